"""The GLUE runner around the fine-tuning job: resume, settings, hyperparameters, errors.

The job itself is replaced by a stand-in that records its calls and writes a
results.json as the job does; tests/glue/test_glue_tool.py runs the real one.
"""

import json
import os

import pytest

from electra_tf.errors import UsageError
from electra_tf.finetune.glue import runner
from electra_tf.finetune.glue.hparams import load_hparams
from electra_tf.finetune.glue.hparams import size_for_model
from tests.conftest import assert_clean_error
from tests.conftest import run_tool_in_process
from tests.glue.glue_files import write_glue


@pytest.fixture
def fake_job(monkeypatch):
    """Stands in for `runner._finetune`; returns the list of calls it received."""
    calls = []

    def finetune(data, hparams, init, run_dir, seed, keep_weights, show_progress, log):
        calls.append({"task": data.task.name, "seed": seed, "train": data.train,
                      "epochs": hparams.epochs_for(data.task.name), "hparams": hparams})
        value = 0.5 + seed / 100
        dev = {"accuracy": value, "f1": value - 0.1, "matthews_corrcoef": value - 0.2,
               "spearman": value, "pearson": value - 0.05}
        later = {name: v - 0.03 for name, v in dev.items()}  # epoch 2 did worse
        results = {"dev": dev, "best_epoch": 1,
                   "history": [{"epoch": 1, **dev}, {"epoch": 2, **later}],
                   "extra_dev": {name: {"accuracy": value - 0.01} for name in data.dev
                                 if name != "dev"}}
        os.makedirs(run_dir, exist_ok=True)
        with open(os.path.join(run_dir, "results.json"), "w") as f:
            json.dump(results, f)
        return results

    monkeypatch.setattr(runner, "_finetune", finetune)
    return calls


@pytest.fixture
def model_dir(tmp_path):
    """Stands for a pretraining model_dir: the runner reads only its config."""
    path = tmp_path / "model"
    path.mkdir()
    (path / "config.json").write_text(json.dumps({"hidden_size": 256}))
    return str(path)


def test_runs_each_task_and_seed_then_resumes(tmp_path, fake_job, model_dir):
    glue_dir, out = write_glue(tmp_path / "glue"), str(tmp_path / "out")
    report = runner.run_glue(glue_dir, model_dir, out, tasks=["rte", "mnli"], seeds=2,
                             log=lambda line: None)
    assert [(c["task"], c["seed"]) for c in fake_job] == [("mnli", 1), ("mnli", 2),
                                                          ("rte", 1), ("rte", 2)]
    assert report["tasks"]["rte"]["median"] == {"accuracy": pytest.approx(0.515)}
    assert report["tasks"]["mnli"]["median"]["mismatched_accuracy"] == pytest.approx(0.505)
    assert report["tasks"]["rte"]["last_epoch"]["median"] == pytest.approx(0.485)
    assert report["glue_score"] is None
    with open(os.path.join(out, "results.json")) as f:
        assert json.load(f)["tasks"]["rte"]["runs"]["2"] == {"accuracy": pytest.approx(0.52)}
    summary = open(os.path.join(out, "summary.md")).read()
    assert "| RTE | accuracy | 51.5 | 51.5 | 0.7 | 51.0 | 52.0 | 1: 51.0, 2: 52.0 | 48.5 |" \
        in summary

    del fake_job[:]
    runner.run_glue(glue_dir, model_dir, out, tasks=["rte", "mnli"], seeds=2,
                    log=lambda line: None)
    assert fake_job == []  # all four finished: nothing trained again

    os.remove(os.path.join(out, "rte", "seed_1", "results.json"))  # a run cut short
    report = runner.run_glue(glue_dir, model_dir, out, tasks=["rte", "mnli"], seeds=3,
                             log=lambda line: None)
    assert [(c["task"], c["seed"]) for c in fake_job] == [("mnli", 3), ("rte", 1), ("rte", 3)]
    assert report["tasks"]["rte"]["seeds"] == [1, 2, 3]


def test_a_different_model_or_hparams_in_the_same_output_dir_is_an_error(
        tmp_path, fake_job, model_dir):
    glue_dir, out = write_glue(tmp_path / "glue", names=["RTE"]), str(tmp_path / "out")
    runner.run_glue(glue_dir, model_dir, out, tasks=["rte"], seeds=1, log=lambda line: None)
    with pytest.raises(UsageError, match=r"hparams.learning_rate: was 0.0003, now 0.0001\)"):
        runner.run_glue(glue_dir, model_dir, out, tasks=["rte"], seeds=1, hparams="base",
                        log=lambda line: None)
    with pytest.raises(UsageError, match="max_train_examples: was None, now 5"):
        runner.run_glue(glue_dir, model_dir, out, tasks=["rte"], seeds=1,
                        max_train_examples=5, log=lambda line: None)


def test_paper_epochs_pair_doubling_and_training_cap(tmp_path, fake_job, model_dir):
    glue_dir = write_glue(tmp_path / "glue")
    runner.run_glue(glue_dir, model_dir, str(tmp_path / "out"),
                    tasks=["cola", "mrpc", "stsb", "rte", "wnli"], seeds=1,
                    max_train_examples=2, log=lambda line: None)
    calls = {c["task"]: c for c in fake_job}
    assert {name: c["epochs"] for name, c in calls.items()} == {
        "cola": 3, "mrpc": 3, "stsb": 10, "rte": 10, "wnli": 3}
    assert calls["cola"]["hparams"].learning_rate == 3e-4  # hidden 256: small.json
    # MRPC and STS-B train on both orders of each pair (the reference's double_unordered).
    mrpc = calls["mrpc"]["train"]
    assert len(mrpc) == 4 and mrpc.texts[2:] == mrpc.text_pairs[:2]
    assert len(calls["stsb"]["train"]) == 4
    # STS-B's 0-5 scores train on [0, 1], as the reference's (label - 0) / 5.
    assert calls["stsb"]["train"].labels == pytest.approx([1.0, 0.76, 1.0, 0.76])
    assert len(calls["wnli"]["train"]) == 2  # 3 rows capped at 2, not doubled
    assert len(calls["cola"]["train"]) == 2


def test_hyperparameter_files_hold_the_papers_values():
    expected = {"small": (3e-4, 0.8), "base": (1e-4, 0.8), "large": (5e-5, 0.9)}
    for size, (rate, decay) in expected.items():
        hparams = load_hparams(size)
        assert (hparams.learning_rate, hparams.layer_decay) == (rate, decay)
        assert (hparams.batch_size, hparams.max_seq_length, hparams.warmup_fraction,
                hparams.dropout, hparams.pooling) == (32, 128, 0.1, 0.1, "cls")
        assert [hparams.epochs_for(t) for t in ("rte", "stsb", "mnli")] == [10, 10, 3]


def test_model_size_picks_the_hyperparameter_file(tmp_path):
    for hidden, size in ((128, "tiny"), (256, "small"), (768, "base"), (1024, "large")):
        model = tmp_path / str(hidden)
        model.mkdir()
        (model / "config.json").write_text(json.dumps({"hidden_size": hidden}))
        assert size_for_model(str(model)) == size
    preset = tmp_path / "preset"
    preset.mkdir()
    (preset / "config.json").write_text(json.dumps({"config": {"hidden_dim": 768}}))
    assert size_for_model(str(preset)) == "base"


def test_hyperparameter_file_errors(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"learning_rate": 1e-4, "layer_decay": 0.8, "lr_decay": 1}))
    with pytest.raises(UsageError, match="unknown hyperparameter.*lr_decay"):
        load_hparams(str(path))
    path.write_text(json.dumps({"learning_rate": 1e-4}))
    with pytest.raises(UsageError, match="missing layer_decay"):
        load_hparams(str(path))
    with pytest.raises(UsageError, match="neither one of tiny, small, base, large"):
        load_hparams("medium")


def test_tool_reports_a_missing_task_folder_cleanly(tmp_path, model_dir):
    glue_dir = write_glue(tmp_path / "glue", names=["CoLA", "RTE"])
    result = run_tool_in_process("glue", f"--glue_dir={glue_dir}", f"--init={model_dir}",
                      f"--output_dir={tmp_path / 'out'}", "--tasks=cola,rte,mrpc")
    assert_clean_error(result, os.path.join(glue_dir, "MRPC"), "train.tsv", "--tasks")
    result = run_tool_in_process("glue", f"--glue_dir={glue_dir}", f"--init={model_dir}",
                      "--tasks=cola,mrcp")
    assert_clean_error(result, "--output_dir is required")
    result = run_tool_in_process("glue", f"--glue_dir={glue_dir}", f"--init={model_dir}",
                      f"--output_dir={tmp_path / 'out'}", "--tasks=cola,mrcp")
    assert_clean_error(result, "unknown GLUE task 'mrcp'")
    result = run_tool_in_process("glue", f"--glue_dir={glue_dir}", f"--init={tmp_path / 'nothing'}",
                      f"--output_dir={tmp_path / 'out'}", "--tasks=cola")
    assert_clean_error(result, "nothing' is not a folder")
