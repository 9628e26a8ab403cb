"""Smoke test of tools/compare_objectives.py as a user runs it: a tiny budget, a
tiny config, two runs, one seed, one checkpoint, a small held-out task; then a
rerun that skips everything."""

import dataclasses
import json
import os
import struct
import time

import pytest

from electra_tf.config import ElectraConfig
from electra_tf.data import movie_reviews
from electra_tf.experiments import splits
from tests.conftest import REPO
from tests.conftest import real_review_documents
from tests.conftest import run_tool
from tests.conftest import run_tool_in_process
from tests.conftest import write_documents

# ELECTRA vs BERT's MLM once the objective option exists, else two generator sizes.
HAS_OBJECTIVE = "objective" in {f.name for f in dataclasses.fields(ElectraConfig)}
RUNS = "electra,mlm" if HAS_OBJECTIVE else "electra,gen_half:generator_hidden_size=0.5"


def _task_files(folder, per_label=16):
    """Held-out Rotten Tomatoes sentences (the experiment's own rule), both labels."""
    rows = {"train": {0: [], 1: []}, "dev": {0: [], 1: []}}
    for text, label, source in movie_reviews.read_reviews():
        task, split = splits.assign(text, source)
        if task == "rt" and len(rows[split][label]) < per_label:
            rows[split][label].append(splits.task_text(text))
        if all(len(v) == per_label for s in rows.values() for v in s.values()):
            break
    paths = {}
    for split, by_label in rows.items():
        paths[split] = os.path.join(folder, f"{split}.tsv")
        with open(paths[split], "w", encoding="utf-8") as f:
            f.write("sentence\tlabel\n")
            for label, texts in by_label.items():
                f.writelines(f"{t}\t{splits.LABEL_NAMES[label]}\n" for t in texts)
    return paths


def _png_size(path):
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


@pytest.mark.slow
def test_the_tool_compares_two_runs_at_equal_compute_and_resumes(tmp_path):
    corpus = write_documents(tmp_path / "train.txt", real_review_documents(100))
    task = _task_files(str(tmp_path))
    config = ElectraConfig.from_json(os.path.join(REPO, "configs", "electra_tiny.json")).replace(
        max_seq_length=32, batch_size=8, hidden_size=32, num_heads=2, intermediate_size=64,
        embedding_size=16, num_layers=1)
    config.to_json(str(tmp_path / "tiny.json"))
    out = tmp_path / "out"
    args = [f"--config={tmp_path / 'tiny.json'}", f"--runs={RUNS}", "--budget_flops=1e9",
            f"--train_data={corpus}", "--vocab_size=800",
            f"--task=rt={task['train']},{task['dev']}", "--seeds=1",
            "--checkpoints_per_run=1", "--finetune_epochs=1", f"--output_dir={out}",
            "--noprogress"]
    start = time.time()
    result = run_tool("compare_objectives", *args)
    first_seconds = time.time() - start
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[pretraining" in result.stdout and "ETA" in result.stdout

    results = json.loads((out / "results.json").read_text())
    runs = {run["name"]: run for run in results["runs"]}
    assert list(runs) == RUNS.replace("gen_half:generator_hidden_size=0.5", "gen_half").split(",")
    first, second = results["runs"]
    for run in (first, second):  # equal compute: the budget, to within one step
        assert 1e9 - run["flops_per_step"] < run["flops"] <= 1e9
        assert run["steps"] == int(1e9 // run["flops_per_step"])
        (point,) = run["points"]
        assert point["step"] == run["steps"]
        assert 0.0 <= point["scores"]["rt"]["1"] <= 1.0
        assert point["summary"]["rt"]["n"] == 1
        assert point["pretraining"]["loss"] > 0
    if HAS_OBJECTIVE:  # no generator: more steps for the same FLOPs
        assert runs["mlm"]["steps"] > runs["electra"]["steps"]
    table = (out / "results.md").read_text()
    for run in (first, second):
        score = 100 * run["points"][0]["summary"]["rt"]["median"]
        assert f"| {run['name']} |" in table and f"{score:.1f} (1)" in table
    width, height = _png_size(out / "plot_rt.png")
    assert width > 300 and height > 200

    # A rerun finds everything finished: no training, no fine-tuning, same results.
    before = (out / "results.json").read_text()
    again = run_tool_in_process("compare_objectives", *args)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert again.stdout.count("finished earlier, skipped") == 4, again.stdout
    assert "training from step" not in again.stdout
    assert (out / "results.json").read_text() == before

    # Adding the untrained reference trains it one step and fine-tunes it; the rest is kept.
    args[1] = f"--runs={RUNS},untrained"
    third = run_tool_in_process("compare_objectives", *args)
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    assert third.stdout.count("finished earlier, skipped") == 4, third.stdout
    assert "untrained: step 1/1" in third.stdout
    untrained = json.loads((out / "results.json").read_text())["runs"][2]
    assert (untrained["name"], untrained["steps"], untrained["config"]["learning_rate"]) == (
        "untrained", 1, 0.0)
    assert 0.0 <= untrained["points"][0]["scores"]["rt"]["1"] <= 1.0
    assert "| untrained | no pretraining (initial weights) | 1 |" in (
        out / "results.md").read_text()
    print(f"first run {first_seconds:.0f}s")


@pytest.mark.parametrize("args, message", [
    (["--budget_flops=1e9", "--budget_minutes=5"], "exactly one of --budget_flops"),
    (["--budget_flops=1e9", "--runs=electra,bert"], "unknown run 'bert'"),
    (["--budget_flops=1e9", "--task=rt=missing.tsv"], "must look like name=train.tsv,dev.tsv"),
])
def test_bad_flags_fail_at_once_with_one_line(args, message, tmp_path):
    from tests.conftest import assert_clean_error

    result = run_tool_in_process("compare_objectives", *args,
                                 f"--output_dir={tmp_path / 'out'}")
    assert_clean_error(result, message)
    assert not (tmp_path / "out").exists()  # nothing built, nothing trained
