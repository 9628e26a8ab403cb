"""A checkpoint of a run as a model_dir of its own (what fine-tuning at a point loads)."""

import os

from electra_tf.experiments import checkpoint_views


def _run_dir(tmp_path, steps):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    (model_dir / "vocab.txt").write_text("[PAD]\n")
    for step in steps:
        (model_dir / f"ckpt-{step}.index").write_text(f"index {step}")
        (model_dir / f"ckpt-{step}.data-00000-of-00001").write_text(f"data {step}")
    return str(model_dir)


def test_the_view_holds_the_named_step_not_the_latest(tmp_path):
    model_dir = _run_dir(tmp_path, [10, 20])
    assert checkpoint_views.latest_step(model_dir) == 20
    view = checkpoint_views.make_view(model_dir, 10, str(tmp_path / "view"), {"loss": 3.0})
    assert open(os.path.join(view, "ckpt-10.index")).read() == "index 10"
    assert not os.path.exists(os.path.join(view, "ckpt-20.index"))
    assert 'model_checkpoint_path: "ckpt-10"' in open(os.path.join(view, "checkpoint")).read()
    assert checkpoint_views.read_view(view) == {"loss": 3.0}


def test_the_view_outlives_the_runs_own_checkpoint_cleanup(tmp_path):
    model_dir = _run_dir(tmp_path, [10])
    view = checkpoint_views.make_view(model_dir, 10, str(tmp_path / "view"), {})
    os.remove(os.path.join(model_dir, "ckpt-10.data-00000-of-00001"))  # max_to_keep at work
    assert open(os.path.join(view, "ckpt-10.data-00000-of-00001")).read() == "data 10"


def test_an_unfinished_view_is_not_a_view(tmp_path):
    assert checkpoint_views.read_view(str(tmp_path / "missing")) is None
    assert checkpoint_views.latest_step(str(tmp_path / "missing")) == 0
