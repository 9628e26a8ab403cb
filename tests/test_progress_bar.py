"""Progress output: plain lines in files, one rewritten line on terminals, an honest ETA."""

import io

from electra_tf.progress_bar import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_file_gets_plain_lines_without_control_characters():
    stream = io.StringIO()
    bar = ProgressBar(100, stateful_metrics=["lr"], stream=stream, interval=0)
    for step in (10, 50, 100):
        bar.update(step, [("loss", 1.0), ("lr", step / 1000)])
    text = stream.getvalue()
    assert not any(code in text for code in ("\r", "\b", "\x1b"))
    lines = text.splitlines()
    assert len(lines) == 3 and lines[-1].startswith("100/100 steps")
    assert "lr: 0.1" in lines[-1] and "loss: 1" in lines[-1]


def test_log_lines_are_spaced_out_but_the_last_one_always_prints():
    stream = io.StringIO()
    bar = ProgressBar(1000, stream=stream, interval=3600)
    for step in range(1, 1001):
        bar.update(step)
    assert len(stream.getvalue().splitlines()) == 2  # the first and the final update


def test_a_terminal_line_is_rewritten_in_place():
    stream = _Terminal()
    bar = ProgressBar(3, stream=stream, interval=0)
    for step in (1, 2, 3):
        bar.update(step)
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1


def test_the_eta_ignores_the_slow_first_step(monkeypatch):
    clock = iter([0.0, 3600.0, 3601.0, 3602.0])  # start; a slow first step; then 1 s a step
    monkeypatch.setattr("electra_tf.progress_bar.time.time", lambda: next(clock))
    stream = io.StringIO()
    bar = ProgressBar(12, stream=stream, interval=0)
    bar.update(1)
    bar.update(2)
    first, second = stream.getvalue().splitlines()
    assert "ETA" not in first  # no rate yet: no guess
    assert "ETA 10s" in second  # 10 steps left at the measured 1 s a step, not 10 hours


def test_averaged_metrics_weigh_each_step():
    bar = ProgressBar(None, verbose=0)
    bar.update(1, [("loss", 4.0)])
    bar.update(4, [("loss", 0.0)])  # three steps at 0.0
    assert "loss: 1" in bar.line(4)
