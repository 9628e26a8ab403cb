"""tools/glue.py end to end: a real (tiny) model fine-tuned on two small GLUE tasks."""

import json

import pytest

from tests.conftest import run_tool
from tests.conftest import run_tool_in_process
from tests.glue.glue_files import STSB_HEADER

REVIEWS_POSITIVE = ["a gorgeous , witty , seductive movie .", "an utterly charming film .",
                    "the performances are wonderful and moving .", "a delight from start to end ."]
REVIEWS_NEGATIVE = ["a dull , lifeless mess .", "the plot is tedious and the jokes fall flat .",
                    "an ugly , boring waste of time .", "it never comes to life ."]


def _write_small_glue(root):
    """SST-2 (48 train, 16 dev) and STS-B (24 train, 8 dev) in their GLUE layouts."""
    sst2 = root / "SST-2"
    sst2.mkdir(parents=True)
    for name, count in (("train.tsv", 48), ("dev.tsv", 16)):
        rows = [f"{(REVIEWS_POSITIVE if i % 2 else REVIEWS_NEGATIVE)[i % 4]} \t{i % 2}"
                for i in range(count)]
        (sst2 / name).write_text("sentence\tlabel\n" + "\n".join(rows) + "\n")
    stsb = root / "STS-B"
    stsb.mkdir()
    for name, count in (("train.tsv", 24), ("dev.tsv", 8)):
        rows = [f"{i}\tmain-captions\tMSRvid\t2012test\t{i:04d}\tnone\tnone\t"
                f"{REVIEWS_POSITIVE[i % 4]}\t{(REVIEWS_POSITIVE + REVIEWS_NEGATIVE)[i % 8]}\t"
                f"{(i % 6) * 0.9:.3f}"
                for i in range(count)]
        (stsb / name).write_text(STSB_HEADER + "\n" + "\n".join(rows) + "\n")
    return str(root)


@pytest.mark.slow
def test_glue_tool_runs_tasks_and_reports(tmp_path, pretrained):
    glue_dir = _write_small_glue(tmp_path / "glue")
    hparams = tmp_path / "quick.json"
    hparams.write_text(json.dumps({
        "learning_rate": 1e-3, "layer_decay": 0.8, "batch_size": 8, "max_seq_length": 32,
        "epochs": 1, "task_epochs": {}, "pooling": "mean"}))
    out = tmp_path / "out"
    args = [f"--glue_dir={glue_dir}", f"--init={pretrained}", f"--output_dir={out}",
            "--tasks=sst2,stsb", f"--hparams={hparams}", "--seeds=1", "--nokeep_weights"]
    result = run_tool("glue", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[1/2] SST-2 seed 1: accuracy" in result.stdout
    assert "[2/2] STS-B seed 1: spearman" in result.stdout

    report = json.loads((out / "results.json").read_text())
    assert set(report["tasks"]) == {"sst2", "stsb"} and report["glue_score"] is None
    sst2, stsb = report["tasks"]["sst2"], report["tasks"]["stsb"]
    run = json.loads((out / "sst2" / "seed_1" / "results.json").read_text())
    assert sst2["median"] == {"accuracy": run["dev"]["accuracy"]}
    assert run["dev_examples"] == 16 and run["train_examples"] == 48
    assert set(stsb["median"]) == {"spearman", "pearson"}
    stsb_run = json.loads((out / "stsb" / "seed_1" / "results.json").read_text())
    # STS-B trains on both orders of each pair (the reference's double_unordered) and picks
    # its best epoch by Spearman, the figure the GLUE score takes.
    assert stsb_run["train_examples"] == 48 and stsb_run["key_metric"] == "spearman"
    assert run["key_metric"] == "accuracy"
    assert not (out / "sst2" / "seed_1" / "best.weights.h5").exists()  # --nokeep_weights
    summary = (out / "summary.md").read_text()
    assert f"| SST-2 | accuracy | {100 * run['dev']['accuracy']:.1f} |" in summary
    assert "— (2 of 8 tasks)" in summary

    again = run_tool_in_process("glue", *args)  # resumes: nothing left to train
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 of 2 runs already done" in again.stdout and "seed 1: accuracy" not in again.stdout
    assert json.loads((out / "results.json").read_text())["tasks"] == report["tasks"]
