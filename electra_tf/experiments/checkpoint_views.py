"""A pretraining checkpoint as a model_dir of its own, for fine-tuning at that step.

`run_finetuning` starts from a model_dir's latest checkpoint. To fine-tune at
several points along a run, each point gets a small folder holding the run's
config.json and vocab.txt, hard links to that step's checkpoint files (copies
where links are impossible), a `checkpoint` state file naming it, and the
pretraining summary at that step. Links keep the files after the run's
CheckpointManager deletes its own names, and cost no disk space.
"""

import glob
import json
import os
import re
import shutil

from electra_tf.training.model_dir import CONFIG_FILE
from electra_tf.training.model_dir import VOCAB_FILE

SUMMARY_FILE = "pretraining.json"
_CKPT_INDEX = re.compile(r"^ckpt-(\d+)\.index$")


def latest_step(model_dir):
    """The step of the newest `ckpt-N` in `model_dir` (0 when there is none).

    Example:
    ```python
    latest_step("runs/electra_tiny")  # 600
    ```
    """
    if not os.path.isdir(model_dir):
        return 0
    steps = [int(m.group(1)) for m in map(_CKPT_INDEX.match, os.listdir(model_dir)) if m]
    return max(steps, default=0)


def view_dir(run_dir, step):
    """Where the view of `step` of the run in `run_dir` lives."""
    return os.path.join(run_dir, "points", f"step_{step:07d}")


def read_view(path):
    """The pretraining summary saved with a finished view, or None if there is none."""
    summary = os.path.join(path, SUMMARY_FILE)
    if not os.path.isfile(summary):
        return None
    with open(summary, encoding="utf-8") as f:
        return json.load(f)


def make_view(model_dir, step, path, summary):
    """Writes the view of `model_dir`'s `ckpt-<step>` to `path` (atomically).

    Args:
        model_dir: str. The pretraining run's folder.
        step: int. A step whose checkpoint is in `model_dir`.
        path: str. The view folder (replaced if unfinished).
        summary: dict. Pretraining summary at this step (saved as pretraining.json,
            which marks the view finished).

    Returns:
        str: `path`, a model_dir that `load_encoder` / `FinetuneOptions(init=...)` accept.

    Example:
    ```python
    make_view("out/runs/electra/model", 600, "out/runs/electra/points/step_0000600", {})
    ```
    """
    prefix = os.path.join(model_dir, f"ckpt-{step}")
    files = glob.glob(prefix + ".index") + glob.glob(prefix + ".data-*")
    if not glob.glob(prefix + ".index"):
        raise FileNotFoundError(f"{prefix}.index is missing: the run has no checkpoint at "
                                f"step {step}.")
    temporary = path + ".tmp"
    shutil.rmtree(temporary, ignore_errors=True)
    os.makedirs(temporary)
    for name in (CONFIG_FILE, VOCAB_FILE):
        shutil.copyfile(os.path.join(model_dir, name), os.path.join(temporary, name))
    for source in files:
        target = os.path.join(temporary, os.path.basename(source))
        try:
            os.link(source, target)
        except OSError:  # another filesystem, or links not supported
            shutil.copyfile(source, target)
    with open(os.path.join(temporary, "checkpoint"), "w", encoding="utf-8") as f:
        f.write(f'model_checkpoint_path: "ckpt-{step}"\n'
                f'all_model_checkpoint_paths: "ckpt-{step}"\n')
    with open(os.path.join(temporary, SUMMARY_FILE), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(temporary, path)
    return path
