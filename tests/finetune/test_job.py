"""The one fine-tuning job (`run_finetuning`): resume after a kill, dev metrics in
Keras' logs and TensorBoard, early stopping, a fresh start after a finished run."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from electra_tf.finetune.classification.task import ClassificationTask
from electra_tf.finetune.job import FinetuneOptions
from electra_tf.finetune.job import run_finetuning
from tests.finetune.test_classification import _sentences
from tests.finetune.test_classification import _write_tsv

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Runs the job in its own process and SIGKILLs it as epoch 3 begins: epochs 1
# and 2 are finished and backed up, nothing of epoch 3 is.
KILLED_RUN = r"""
import json, os, signal, sys
import keras
from electra_tf.finetune.classification.task import ClassificationTask
from electra_tf.finetune.job import FinetuneOptions, run_finetuning

class KillAtThirdEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGKILL)

args = json.loads(sys.argv[1])
task = ClassificationTask.from_files(args["train"], args["dev"], text_column="sentence")
run_finetuning(task, FinetuneOptions(**args["options"]), log=lambda _: None,
               extra_callbacks=[KillAtThirdEpoch()])
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("job")
    return (_write_tsv(root / "train.tsv", _sentences(120, start=2000)[:96]),
            _write_tsv(root / "dev.tsv", _sentences(40, start=2400)[:32]))


def _task(files):
    return ClassificationTask.from_files(*files, text_column="sentence")


def _options(pretrained, output_dir, **overrides):
    # No dropout: the comparison below must not depend on dropout's random state.
    values = dict(init=pretrained, output_dir=str(output_dir), epochs=4, patience=None,
                  learning_rate=1e-3, batch_size=16, max_seq_length=32, dropout=0.0,
                  export=False, show_progress=False, seed=7)
    values.update(overrides)
    return values


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, pretrained, files):
    output_dir = tmp_path_factory.mktemp("whole")
    return run_finetuning(_task(files), FinetuneOptions(**_options(pretrained, output_dir)),
                          log=lambda _: None), str(output_dir)


@pytest.mark.slow
def test_a_killed_run_resumes_and_ends_where_an_uninterrupted_one_does(
        tmp_path, pretrained, files, uninterrupted):
    whole, _ = uninterrupted
    output_dir = tmp_path / "killed"
    options = _options(pretrained, output_dir)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, json.dumps(
            {"train": files[0], "dev": files[1], "options": options})],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert os.path.isdir(output_dir / "backup") and not os.path.exists(output_dir / "results.json")
    assert [h["epoch"] for h in json.load(open(output_dir / "history.json"))] == [1, 2]

    logged = []
    resumed = run_finetuning(_task(files), FinetuneOptions(**options), log=logged.append)
    assert any(line.startswith("Resuming") for line in logged), logged
    assert [line.split(":")[0] for line in logged if line.startswith("epoch ")] == [
        "epoch 3", "epoch 4"]  # epochs 1 and 2 were not trained again
    assert not os.path.exists(output_dir / "backup")
    # Same weights, optimizer moments, schedule step and data order as the
    # uninterrupted run: the same losses and dev metrics, epoch by epoch.
    assert [h["epoch"] for h in resumed["history"]] == [1, 2, 3, 4]
    for ours, reference in zip(resumed["history"], whole["history"]):
        assert ours["train_loss"] == pytest.approx(reference["train_loss"], rel=1e-4), (
            resumed["history"], whole["history"])
        assert ours["accuracy"] == pytest.approx(reference["accuracy"], abs=1e-6)
    assert resumed["best_epoch"] == whole["best_epoch"]
    assert resumed["dev"]["accuracy"] == pytest.approx(whole["dev"]["accuracy"], abs=1e-6)


def _validation_scalars(logdir):
    accumulator = event_accumulator.EventAccumulator(
        os.path.join(logdir, "validation"), size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    return {tag: {e.step: float(tf.make_ndarray(e.tensor_proto))
                  for e in accumulator.Tensors(tag)}
            for tag in accumulator.Tags()["tensors"]}


def test_dev_metrics_reach_tensorboard_and_pick_the_best_epoch(uninterrupted):
    results, output_dir = uninterrupted
    scalars = _validation_scalars(os.path.join(output_dir, "logs"))
    history = results["history"]
    for name in ("accuracy", "matthews_corrcoef", "f1"):
        assert scalars[f"epoch_{name}"] == pytest.approx(
            {epoch: entry[name] for epoch, entry in enumerate(history)}, abs=1e-6), name
    accuracies = [entry["accuracy"] for entry in history]
    assert results["best_epoch"] == 1 + int(np.argmax(accuracies))
    assert results["dev"]["accuracy"] == pytest.approx(max(accuracies), abs=1e-6)
    assert json.load(open(os.path.join(output_dir, "history.json"))) == history


@pytest.mark.slow
def test_patience_stops_training_and_a_rerun_starts_afresh(tmp_path, pretrained, files):
    # A learning rate this small changes nothing the dev accuracy can see.
    options = _options(pretrained, tmp_path / "out", epochs=6, patience=2, learning_rate=1e-9)
    first = run_finetuning(_task(files), FinetuneOptions(**options), log=lambda _: None)
    assert [h["epoch"] for h in first["history"]] == [1, 2, 3] and first["best_epoch"] == 1
    logged = []
    again = run_finetuning(_task(files), FinetuneOptions(**options), log=logged.append)
    assert not any(line.startswith("Resuming") for line in logged)
    assert [h["epoch"] for h in again["history"]] == [1, 2, 3]


@pytest.mark.slow
def test_a_named_checkpoint_starts_the_run_and_a_missing_one_is_named(tmp_path, pretrained,
                                                                      files):
    import glob

    from electra_tf.errors import UsageError

    names = sorted(os.path.basename(path)[:-len(".index")]
                   for path in glob.glob(os.path.join(pretrained, "ckpt-*.index")))
    results = run_finetuning(_task(files), FinetuneOptions(**_options(
        pretrained, tmp_path / "named", epochs=1, checkpoint=names[-1])), log=lambda _: None)
    assert results["checkpoint"] == names[-1] and len(results["history"]) == 1
    with pytest.raises(UsageError, match="ckpt-99999"):
        run_finetuning(_task(files), FinetuneOptions(**_options(
            pretrained, tmp_path / "missing", epochs=1, checkpoint="ckpt-99999")),
            log=lambda _: None)
