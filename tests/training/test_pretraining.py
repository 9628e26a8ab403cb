"""run_pretraining end to end on real text: learning, TensorBoard, checkpoints, resume."""

import glob
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from electra_tf.errors import UsageError
from electra_tf.training.pretraining import TrainingOptions
from electra_tf.training.pretraining import run_pretraining
from tests.conftest import assert_clean_error
from tests.conftest import run_tool
from tests.conftest import run_tool_in_process
from tests.training.conftest import tiny_config


def _options(model_dir, data, **overrides):
    values = dict(model_dir=str(model_dir), train_data=data["train"], vocab=data["vocab"],
                  eval_data=data["train"], log_every=10, save_every=20, eval_every=0,
                  eval_steps=5, sample_every=20, show_progress=False)
    values.update(overrides)
    return TrainingOptions(**values)


def _scalars(logdir):
    accumulator = event_accumulator.EventAccumulator(
        logdir, size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    out = {}
    for tag in accumulator.Tags()["tensors"]:
        events = accumulator.Tensors(tag)
        if events and events[0].tensor_proto.dtype == tf.string.as_datatype_enum:
            out[tag] = {e.step: tf.make_ndarray(e.tensor_proto) for e in events}
        else:
            out[tag] = {e.step: float(tf.make_ndarray(e.tensor_proto)) for e in events}
    return out


@pytest.mark.slow
def test_loss_falls_auc_rises_and_tensorboard_shows_it(tmp_path, pretraining_data):
    config = tiny_config(train_steps=200, warmup_steps=20, learning_rate=4e-4)
    summary = run_pretraining(config, _options(tmp_path, pretraining_data, sample_every=60,
                                               log_every=20, save_every=40))
    train = _scalars(str(tmp_path / "logs" / "train"))
    losses = train["loss"]
    assert losses[200] < 0.8 * losses[20]
    assert summary["eval"]["disc_auc"] > 0.65, summary["eval"]
    assert train["disc_auc"][200] > train["disc_auc"][20] + 0.1
    for tag in ("gen_loss", "disc_loss", "gen_accuracy", "disc_accuracy", "disc_precision",
                "disc_recall", "disc_auc", "gen_sampled_correct", "replaced_fraction",
                "learning_rate", "grad_norm", "examples_per_second", "tokens_per_second", "mfu"):
        assert set(train[tag]) == set(range(20, 201, 20)), tag
        assert all(np.isfinite(v) for v in train[tag].values()), tag
    # Warmup 20 steps then linear decay to 0 at 200.
    assert train["learning_rate"][20] == pytest.approx(4e-4, rel=1e-3)
    assert train["learning_rate"][100] == pytest.approx(4e-4 * 100 / 180, rel=1e-3)
    assert train["learning_rate"][200] == pytest.approx(0.0, abs=1e-9)
    assert 0.03 < train["replaced_fraction"][200] < 0.16
    text = train["replaced_tokens"][60].item().decode() if hasattr(
        train["replaced_tokens"][60], "item") else train["replaced_tokens"][60]
    assert "p(replaced)" in text and "[CLS]" in text
    evaluation = _scalars(str(tmp_path / "logs" / "eval"))
    assert evaluation["disc_auc"][200] == pytest.approx(summary["eval"]["disc_auc"])
    saved = json.load(open(tmp_path / "config.json"))
    assert saved["train_steps"] == 200 and saved["vocab_size"] > 1000
    assert os.path.isfile(tmp_path / "vocab.txt")
    assert sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "ckpt-*.index"))) == [
        "ckpt-120.index", "ckpt-160.index", "ckpt-200.index"]


@pytest.mark.slow
def test_interrupted_run_resumes_exactly(tmp_path, pretraining_data):
    config = tiny_config(train_steps=16, warmup_steps=4)
    options = dict(log_every=1, save_every=100, sample_every=0, eval_data=None)
    straight = run_pretraining(config, _options(tmp_path / "a", pretraining_data, **options))
    first = run_pretraining(config, _options(tmp_path / "b", pretraining_data,
                                             steps_this_run=10, **options))
    assert first["step"] == 10 and first["checkpoint"].endswith("ckpt-10")
    resumed = run_pretraining(config, _options(tmp_path / "b", pretraining_data, **options))
    assert resumed["start_step"] == 10 and resumed["step"] == straight["step"] == 16
    a = _scalars(str(tmp_path / "a" / "logs" / "train"))["loss"]
    b = _scalars(str(tmp_path / "b" / "logs" / "train"))["loss"]
    for step in (11, 12, 16):  # the steps after the restart match the uninterrupted run
        assert b[step] == pytest.approx(a[step], rel=1e-4), (step, a[step], b[step])
    reader = tf.train.load_checkpoint(str(tmp_path / "b" / "ckpt-16"))
    names = reader.get_variable_to_shape_map()
    assert any("optimizer" in n and "iterations" in n for n in names)
    assert any(n.startswith("data/") for n in names)  # the input position is saved


def test_resume_with_another_model_is_refused(tmp_path, pretraining_data):
    run_pretraining(tiny_config(train_steps=2), _options(tmp_path, pretraining_data,
                                                         eval_data=None, sample_every=0))
    with pytest.raises(UsageError, match=r"hidden_size: saved 64, now 96.*--model_dir"):
        run_pretraining(tiny_config(train_steps=4, hidden_size=96),
                        _options(tmp_path, pretraining_data, eval_data=None))
    with pytest.raises(UsageError, match=r"mask_prob"):
        run_pretraining(tiny_config(train_steps=4, mask_prob=0.3),
                        _options(tmp_path, pretraining_data, eval_data=None))


def test_diverging_loss_stops_with_a_clear_message(tmp_path, pretraining_data):
    config = tiny_config(train_steps=50, warmup_steps=0, learning_rate=1e12, clip_norm=1e30)
    with pytest.raises(UsageError, match=r"step \d+.*diverged.*last good checkpoint is ckpt|"
                                         r"step \d+.*diverged.*none saved yet"):
        run_pretraining(config, _options(tmp_path, pretraining_data, eval_data=None,
                                         sample_every=0, save_every=1000))
    assert not glob.glob(str(tmp_path / "ckpt-*"))  # nothing corrupted was saved


@pytest.mark.slow
def test_bfloat16_and_gradient_accumulation_train(tmp_path, pretraining_data):
    summary = run_pretraining(
        tiny_config(train_steps=3), _options(tmp_path, pretraining_data, eval_data=None,
                                             mixed_precision="mixed_bfloat16",
                                             grad_accum_steps=2, log_every=1, sample_every=0))
    assert summary["step"] == 3 and np.isfinite(summary["train"]["loss"])
    tf.keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow
def test_pretrain_tool_flags_and_bad_input(tmp_path, pretraining_data):
    model_dir = tmp_path / "run"
    result = run_tool_in_process("pretrain", f"--train_data={pretraining_data['train']}",
                      f"--model_dir={model_dir}", "--max_seq_length=64", "--train_steps=4",
                      "--batch_size=8", "--hidden_size=64", "--num_heads=2",
                      "--log_every=2", "--noprogress", "--noexport")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Finished at step 4/4" in result.stdout and "tensorboard --logdir" in result.stdout
    assert json.load(open(model_dir / "config.json"))["hidden_size"] == 64  # flag override
    # --vocab came from the data's metadata.json.
    mismatch = run_tool_in_process("pretrain", f"--train_data={pretraining_data['train']}",
                        f"--model_dir={model_dir}", "--max_seq_length=64", "--train_steps=8",
                        "--batch_size=8", "--hidden_size=32", "--num_heads=2")
    assert_clean_error(mismatch, "hidden_size: saved 64, now 32")
    wrong_length = run_tool_in_process("pretrain", f"--train_data={pretraining_data['train']}",
                            f"--model_dir={tmp_path / 'other'}", "--max_seq_length=128")
    assert_clean_error(wrong_length, "max_seq_length=64", "max_seq_length=128")
    missing = run_tool_in_process("pretrain", f"--train_data={tmp_path}/none*.tfrecord",
                       f"--vocab={pretraining_data['vocab']}",
                       f"--model_dir={tmp_path / 'missing'}")
    assert_clean_error(missing, "none*.tfrecord", "matches no file")
    # Bad input leaves no half-made run behind.
    assert not (tmp_path / "other").exists() and not (tmp_path / "missing").exists()


@pytest.mark.slow
def test_float16_with_loss_scaling_trains(tmp_path, pretraining_data):
    summary = run_pretraining(
        tiny_config(train_steps=3), _options(tmp_path, pretraining_data, eval_data=None,
                                             mixed_precision="mixed_float16", log_every=1,
                                             sample_every=0))
    tf.keras.mixed_precision.set_global_policy("float32")
    assert summary["step"] == 3 and np.isfinite(summary["train"]["loss"])


@pytest.mark.slow
def test_sigterm_saves_a_checkpoint_and_exits_cleanly(tmp_path, pretraining_data):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    process = subprocess.Popen(
        [sys.executable, os.path.join(REPO, "tools", "pretrain.py"),
         f"--train_data={pretraining_data['train']}", f"--model_dir={tmp_path}",
         "--max_seq_length=64", "--train_steps=100000", "--batch_size=8", "--hidden_size=64",
         "--num_heads=2", "--log_every=1", "--save_every=100000", "--eval_every=0",
         "--noprogress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        deadline = time.time() + 120
        for line in process.stdout:  # wait until training runs
            if line.startswith("Training") or time.time() > deadline:
                break
        time.sleep(3)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, stderr[-3000:]
    assert "SIGTERM received: saved checkpoint at step" in stdout
    step = int(stdout.split("saved checkpoint at step ")[1].split()[0])
    assert 0 < step < 100000 and (tmp_path / f"ckpt-{step}.index").exists()
    assert "Interrupted at step" in stdout


@pytest.mark.slow
def test_default_job_machinery_end_to_end(tmp_path):
    """`tools/pretrain.py` with no data flags: corpus -> vocab -> TFRecords -> training.

    The cache is seeded with a small slice of the default corpus so the test is quick;
    writing the full corpus is covered in tests/data/test_movie_reviews.py.
    """
    from tests.conftest import real_review_documents
    from tests.conftest import write_documents

    corpus = tmp_path / "cache" / "corpus"
    corpus.mkdir(parents=True)
    write_documents(corpus / "train.txt", real_review_documents(150))
    write_documents(corpus / "heldout.txt", real_review_documents(30, heldout=True))
    result = run_tool("pretrain", f"--cache_dir={tmp_path / 'cache'}",
                      f"--model_dir={tmp_path / 'run'}", "--train_steps=4", "--log_every=2",
                      "--batch_size=8", "--eval_steps=2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "default job" in result.stdout and "Finished at step 4/4" in result.stdout
    assert "discriminator AUC" in result.stdout and "tensorboard --logdir" in result.stdout
    assert (tmp_path / "cache" / "vocab_8192.txt").exists()
    assert glob.glob(str(tmp_path / "cache" / "tfrecords_8192_128" / "train" / "*.tfrecord"))
    assert (tmp_path / "run" / "ckpt-4.index").exists()
    assert (tmp_path / "run" / "export" / "discriminator" / "4" / "saved_model.pb").exists()
    assert _scalars(str(tmp_path / "run" / "logs" / "eval"))["disc_auc"]


@pytest.mark.slow
def test_training_continues_from_model_only_weights(tmp_path, pretraining_data):
    """A model_dir holding only model weights (what tools/convert_checkpoint.py writes)
    starts a fresh optimizer at step 0 from those weights."""
    import shutil

    from electra_tf.training.model_dir import is_model_only_checkpoint
    from electra_tf.training.model_dir import load_pretrainer

    config = tiny_config(train_steps=30)
    run_pretraining(config, _options(tmp_path / "source", pretraining_data, eval_data=None,
                                     sample_every=0))
    model, _, _, _ = load_pretrainer(str(tmp_path / "source"))
    imported = tmp_path / "imported"
    imported.mkdir()
    for name in ("config.json", "vocab.txt"):
        shutil.copy(tmp_path / "source" / name, imported / name)
    path = tf.train.CheckpointManager(tf.train.Checkpoint(model=model), str(imported),
                                      max_to_keep=1).save(checkpoint_number=0)
    assert is_model_only_checkpoint(path)
    messages = []
    summary = run_pretraining(config.replace(train_steps=2), _options(
        imported, pretraining_data, eval_data=None, sample_every=0, log_every=1),
        log=messages.append)
    assert any("fresh optimizer at step 0" in m for m in messages), messages
    assert summary["start_step"] == 0 and summary["step"] == 2
    fresh = run_pretraining(config.replace(train_steps=2), _options(
        tmp_path / "fresh", pretraining_data, eval_data=None, sample_every=0, log_every=1))
    # Starting from trained weights, the first losses are lower than from scratch.
    assert summary["train"]["loss"] < fresh["train"]["loss"]
