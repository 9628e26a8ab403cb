"""The replaced-token demo on a tiny real run: library, export agreement, and the tool."""

import math
import os
import re
import shutil

import pytest

from electra_tf.demo.replaced_tokens import BATCH_SIZE
from electra_tf.demo.replaced_tokens import CorruptedToken
from electra_tf.demo.replaced_tokens import DetectorBackend
from electra_tf.demo.replaced_tokens import ReplacedTokenDetector
from electra_tf.demo.replaced_tokens import _align
from electra_tf.demo.replaced_tokens import format_corruption
from electra_tf.demo.replaced_tokens import format_detection
from electra_tf.demo.replaced_tokens import render_pieces
from electra_tf.demo.replaced_tokens import summary_line
from electra_tf.errors import UsageError
from tests.conftest import assert_clean_error
from tests.conftest import run_tool
from tests.conftest import run_tool_in_process

SEQUENCE_LENGTH = 64
SENTENCES = ["The movie was great and the acting superb.", "I would not watch it again, sadly.",
             "A short one."]
ODD = ["", "😀 movie 🎬", "中文 电影 很好", "word " * 20000]  # the last is 100 KB
SUMMARY = re.compile(r"replaced (\d+) of (\d+) tokens; caught (\d+) of them at p >= [\d.]+; "
                     r"(\d+) false alarms? among the (\d+) unchanged")


@pytest.fixture(scope="module")
def run(exported_run):
    """The session's pretrained run and its export."""
    return {key: exported_run[key] for key in ("model_dir", "export_dir", "generator")}


@pytest.fixture(scope="module")
def detectors(run):
    return {"model_dir": ReplacedTokenDetector.from_model_dir(run["model_dir"]),
            "export": ReplacedTokenDetector.from_saved_model(run["export_dir"])}


def _pieces(result):
    return [piece for piece, _ in result]


@pytest.mark.slow
def test_model_dir_and_export_give_the_same_probabilities(detectors):
    from_model_dir = detectors["model_dir"].detect(SENTENCES + ODD)
    from_export = detectors["export"].detect(SENTENCES + ODD)
    assert len(from_model_dir) == len(from_export) == len(SENTENCES + ODD)
    for ours, exported in zip(from_model_dir, from_export):
        assert _pieces(ours) == _pieces(exported)
        for (_, p), (_, q) in zip(ours, exported):
            assert 0.0 < p < 1.0
            assert p == pytest.approx(q, abs=1e-5)
    # Only the sentence's own pieces: no [CLS]/[SEP]/padding.
    assert _pieces(from_export[0])[:3] == ["the", "movie", "was"]
    assert _pieces(from_export[0])[-1] == "."
    assert "[CLS]" not in _pieces(from_export[0]) + _pieces(from_export[0])
    assert "[SEP]" not in _pieces(from_export[1]) + _pieces(from_model_dir[1])
    # The probabilities are the sentence's own, not a constant.
    assert len({round(p, 6) for _, p in from_export[0] + from_export[1]}) > 3


def test_odd_sentences_work_and_long_ones_are_truncated(detectors):
    for name, detector in detectors.items():
        empty, emoji, cjk, long = detector.detect(ODD)
        assert empty == [], name
        assert _pieces(emoji) == ["[UNK]", "movie", "[UNK]"], name
        assert len(cjk) == 6, name  # every CJK character is its own word
        assert _pieces(long) == ["word"] * (SEQUENCE_LENGTH - 2), name
        assert detector.detect("A single string.") == detector.detect(["A single string."])
        corrupted = detector.corrupt_and_detect(ODD, seed=5)
        assert [len(tokens) for tokens in corrupted] == [0, len(emoji), len(cjk),
                                                         SEQUENCE_LENGTH - 2], name
        assert summary_line(corrupted).startswith("replaced ")


def _check_corruption(tokens, detected):
    assert [t.original for t in tokens] == _pieces(detected)
    for token in tokens:
        assert token.replaced == (token.written != token.original)
        assert token.chosen or not token.replaced  # only chosen pieces change
    chosen = sum(t.chosen for t in tokens)
    # As pretraining: round(0.15 x tokens, [CLS]/[SEP] included).
    assert chosen == max(1, round(0.15 * (len(tokens) + 2))), (chosen, len(tokens))


def test_corrupt_from_model_dir_is_one_seeded_pretraining_draw(detectors):
    detector = detectors["model_dir"]
    first = detector.corrupt_and_detect(SENTENCES, seed=7)
    assert detector.corrupt_and_detect(SENTENCES, seed=7) == first
    assert detector.corrupt_and_detect(SENTENCES, seed=8) != first
    for tokens, detected in zip(first, detector.detect(SENTENCES)):
        _check_corruption(tokens, detected)
        assert all(t.seen_as is None and 0 < t.probability < 1 for t in tokens)
    assert sum(t.replaced for tokens in first for t in tokens) > 0


def test_corrupt_from_export_samples_the_generator_and_rescores(detectors):
    detector = detectors["export"]
    first = detector.corrupt_and_detect(SENTENCES, seed=7)
    assert detector.corrupt_and_detect(SENTENCES, seed=7) == first
    assert detector.corrupt_and_detect(SENTENCES, seed=8) != first
    exact = 0
    for tokens, detected in zip(first, detector.detect(SENTENCES)):
        _check_corruption(tokens, detected)
        # The reported probabilities are the discriminator's on the rebuilt text.
        rescored = detector.detect([render_pieces([t.written for t in tokens])])[0]
        if all(t.seen_as is None for t in tokens):
            exact += 1
            assert _pieces(rescored) == [t.written for t in tokens]
            for token, (_, p) in zip(tokens, rescored):
                assert token.probability == pytest.approx(p, abs=1e-6)
        else:
            assert all(math.isnan(t.probability) or 0 < t.probability < 1 for t in tokens)
        for token in tokens:
            assert token.written not in ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]") or \
                token.written == token.original
    assert exact >= 1  # the common case (re-tokenization kept every piece) was checked


def test_pieces_split_differently_on_retokenization_are_aligned():
    probabilities, seen_as = _align(["play", "##ed", "a", "."],
                                    [("played", 0.9), ("a", 0.2), (".", 0.1)])
    assert probabilities == [0.9, 0.9, 0.2, 0.1]
    assert seen_as == ["played", "played", None, None]
    probabilities, seen_as = _align(["a", "b"], [("a", 0.3)])  # "b" truncated away
    assert probabilities[0] == 0.3 and math.isnan(probabilities[1])
    assert seen_as == [None, "(cut off)"]
    token = CorruptedToken("b", "##ed", True, True, math.nan, "(cut off)")
    assert "##ed (seen as: (cut off))" in format_corruption([token], 0.5)
    assert summary_line([[token]], 0.0).startswith("replaced 1 of 1 tokens; caught 0 of them")


def test_a_backend_gets_batches_and_the_seed_through_one_interface():
    class Recording(DetectorBackend):
        description = "recording"

        def __init__(self):
            self.detected = []

        def detect(self, texts):
            self.detected.append(len(texts))
            return [[(text, 0.5)] for text in texts]

        def corrupt(self, batches, seed):
            self.corrupted = ([len(batch) for batch in batches], seed)
            return [[] for batch in batches for _ in batch]

    backend = Recording()
    detector = ReplacedTokenDetector(backend)
    sentences = [f"s{i}" for i in range(2 * BATCH_SIZE + 3)]
    assert detector.detect(sentences)[-1] == [("s130", 0.5)]
    assert backend.detected == [BATCH_SIZE, BATCH_SIZE, 3]
    assert len(detector.corrupt_and_detect(sentences, seed=7)) == len(sentences)
    assert backend.corrupted == ([BATCH_SIZE, BATCH_SIZE, 3], 7)
    assert detector.description == "recording"
    with pytest.raises(TypeError, match="DetectorBackend"):
        ReplacedTokenDetector(object())


def test_render_pieces_glues_continuations():
    assert render_pieces(["the", "act", "##ing", "[MASK]", "##s", "[UNK]", "."], "?") == \
        "the acting [MASK]s ? ."


def test_formatting_marks_pieces_at_or_above_the_threshold():
    pieces = [("the", 0.02), ("car", 0.87), ("##s", 0.5)]
    assert format_detection(pieces, 0.5) == "the(0.02) *car*(0.87) *##s*(0.50)"
    assert format_detection(pieces, 0.9) == "the(0.02) car(0.87) ##s(0.50)"
    assert format_detection([], 0.5) == "(no tokens)"


def _detection_lines(stdout):
    """The result line under each "[i] sentence" line."""
    lines = stdout.splitlines()
    return [lines[i + 1].strip() for i, line in enumerate(lines) if re.match(r"\[\d+\] ", line)]


def test_tool_marks_every_piece_at_threshold_zero(run, detectors):
    result = run_tool("detect_replaced", f"--model_dir={run['model_dir']}", "--threshold=0",
                      "--sentences=Commas, inside, are kept.", SENTENCES[0], ODD[1])
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    expected = detectors["model_dir"].detect(["Commas, inside, are kept.", SENTENCES[0], ODD[1]])
    lines = _detection_lines(result.stdout)
    assert len(lines) == 3
    for line, pieces in zip(lines, expected):
        assert line == format_detection(pieces, 0.0)
        marked = re.findall(r"\*([^*]+)\*\((\d\.\d\d)\)", line)
        assert [piece for piece, _ in marked] == _pieces(pieces)


def test_tool_marks_nothing_above_one(run, detectors):
    result = run_tool_in_process("detect_replaced", f"--export_dir={run['export_dir']}",
                                 "--threshold=1.01", *SENTENCES[:2])
    assert result.returncode == 0, result.stderr
    lines = _detection_lines(result.stdout)
    expected = detectors["export"].detect(SENTENCES[:2])
    assert lines == [format_detection(pieces, 1.01) for pieces in expected]
    assert len(lines) == 2 and all("*" not in line for line in lines)


def test_tool_interactive_reads_stdin_until_eof(run, detectors):
    import subprocess
    import sys

    from tests.conftest import REPO

    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", "detect_replaced.py"),
         f"--export_dir={run['export_dir']}", "--interactive"],
        input=f"{SENTENCES[0]}\n{SENTENCES[2]}\n", capture_output=True, text=True,
        timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert f"[1] {SENTENCES[0]}" in result.stdout and f"[2] {SENTENCES[2]}" in result.stdout
    expected = detectors["export"].detect([SENTENCES[0], SENTENCES[2]])
    assert _detection_lines(result.stdout) == [format_detection(p, 0.5) for p in expected]


@pytest.mark.parametrize("source", ["model_dir", "export"])
@pytest.mark.slow
def test_tool_corrupt_prints_the_table_and_summary(run, detectors, source):
    flag = (f"--model_dir={run['model_dir']}" if source == "model_dir"
            else f"--export_dir={run['export_dir']}")
    result = run_tool_in_process("detect_replaced", flag, "--corrupt", "--seed=11", *SENTENCES[:2])
    assert result.returncode == 0, result.stderr
    # Sentence i is corrupted with seed + i, exactly as the library does.
    expected = [detectors[source].corrupt_and_detect([s], seed=11 + i)[0]
                for i, s in enumerate(SENTENCES[:2])]
    for tokens in expected:
        table = format_corruption(tokens, 0.5)
        assert "\n".join("    " + line for line in table.splitlines()) in result.stdout
    assert result.stdout.count("pos  original  generator wrote  p(replaced)  verdict") == 2
    total = [line for line in result.stdout.splitlines() if line.startswith("total: ")]
    assert total == [f"total: {summary_line(expected, 0.5)}"]
    replaced, tokens, caught, alarms, unchanged = map(int, SUMMARY.search(total[0]).groups())
    assert tokens == sum(len(t) for t in expected) == replaced + unchanged
    verdicts = result.stdout.count("replaced, caught") + result.stdout.count("replaced, missed")
    assert verdicts == replaced and result.stdout.count("replaced, caught") == caught
    rows = result.stdout.splitlines()
    assert sum(row.endswith("false alarm") for row in rows) == alarms


def test_bad_inputs_give_clean_errors(run, tmp_path):
    no_checkpoint = tmp_path / "no_checkpoint"
    no_checkpoint.mkdir()
    for name in ("config.json", "vocab.txt"):
        shutil.copyfile(os.path.join(run["model_dir"], name), no_checkpoint / name)
    empty = tmp_path / "empty_export"
    empty.mkdir()
    cases = [
        (["A sentence."], "exactly one of --model_dir"),
        ([f"--model_dir={run['model_dir']}", f"--export_dir={run['export_dir']}", "x"],
         "exactly one of --model_dir"),
        ([f"--model_dir={tmp_path / 'missing'}", "x"], "does not exist"),
        ([f"--export_dir={tmp_path / 'missing'}", "x"], "does not exist"),
        ([f"--model_dir={no_checkpoint}", "x"], "holds no checkpoint"),
        ([f"--export_dir={empty}", "x"], "holds no discriminator/<version>/"),
        ([f"--export_dir={run['model_dir']}", "x"], "--model_dir"),
        ([f"--model_dir={run['model_dir']}"], "no sentences"),
    ]
    for args, fragment in cases:
        assert_clean_error(run_tool_in_process("detect_replaced", *args), fragment)


def test_library_errors_are_usage_errors(run, tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        ReplacedTokenDetector.from_model_dir(str(tmp_path / "missing"))
    with pytest.raises(UsageError, match="is an export"):
        ReplacedTokenDetector.from_model_dir(run["export_dir"])
    with pytest.raises(UsageError, match="not an electra-tf discriminator export"):
        ReplacedTokenDetector.from_saved_model(run["generator"])
