"""Progress lines: elapsed time and an ETA measured on work done in this process."""

from electra_tf.experiments.progress import Progress
from electra_tf.experiments.progress import format_seconds


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_eta_extrapolates_work_done_here_and_not_work_skipped():
    clock, lines = Clock(), []
    progress = Progress("fine-tuning", 10, lines.append, clock)
    progress.skip(4, "job 1-4")  # finished by an earlier run: no speed from it
    assert progress.eta() is None
    clock.now += 60
    progress.done(2, "job 5-6")  # 2 jobs in 60 s; 4 left -> 120 s
    assert progress.eta() == 120
    assert lines[-1] == "[fine-tuning  60.0% | elapsed 0:01:00 | ETA 0:02:00] job 5-6"
    assert "finished earlier, skipped" in lines[0]


def test_seconds_are_formatted_as_hours_minutes_seconds():
    assert format_seconds(3725) == "1:02:05"
    assert format_seconds(None) == "--:--:--"
