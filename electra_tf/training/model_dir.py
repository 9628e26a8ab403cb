"""What a `model_dir` holds besides checkpoints, and the checks made on resume.

```
model_dir/
  config.json        the resolved ElectraConfig of the run
  vocab.txt          the vocabulary it was trained with (copied in)
  ckpt-N.*           tf.train.Checkpoint: model, optimizer slots, step, data position
  logs/train, logs/eval   TensorBoard event files
```
"""

import json
import os
import re
import shutil

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError
from electra_tf.text.vocab import vocab_sha256

CONFIG_FILE = "config.json"
VOCAB_FILE = "vocab.txt"


def prepare_model_dir(model_dir, config, vocab_path, write=True):
    """Checks a resumed `model_dir` against this run, then records config and vocab.

    A run that resumes with a config differing in anything that changes
    variable shapes or the objective (`config.SHAPE_FIELDS`,
    `config.OBJECTIVE_FIELDS`), or with another vocabulary, is refused with a
    message naming the differences. Optimizer and schedule fields may change.

    Args:
        model_dir: str.
        config: `ElectraConfig` of this run (vocab_size resolved).
        vocab_path: str. This run's vocabulary.
        write: bool. Write config.json / vocab.txt (the chief only).

    Returns:
        bool: True if `model_dir` already held a run (this is a resume).
    """
    config_path = os.path.join(model_dir, CONFIG_FILE)
    resuming = os.path.isfile(config_path)
    if resuming:
        saved = ElectraConfig.from_json(config_path)
        differences = saved.diff(config)
        if differences:
            listed = "; ".join(f"{k}: saved {a!r}, now {b!r}" for k, a, b in
                               ((k, *v) for k, v in sorted(differences.items())))
            raise UsageError(
                f"{model_dir!r} holds a run with a different model or objective ({listed}). "
                "Resume with the same settings, or pass a new --model_dir."
            )
        saved_vocab = os.path.join(model_dir, VOCAB_FILE)
        if os.path.isfile(saved_vocab) and vocab_sha256(saved_vocab) != vocab_sha256(vocab_path):
            raise UsageError(
                f"{model_dir!r} was trained with the vocabulary {saved_vocab!r}, which differs "
                f"from --vocab={vocab_path!r}. Pass --vocab={saved_vocab} to resume."
            )
    if write:
        os.makedirs(model_dir, exist_ok=True)
        config.to_json(config_path)
        target = os.path.join(model_dir, VOCAB_FILE)
        if not os.path.isfile(target):
            shutil.copyfile(vocab_path, target + ".tmp")
            os.replace(target + ".tmp", target)
    return resuming


def load_pretrainer(model_dir, checkpoint=None):
    """Rebuilds the `ElectraPretrainer` of a run and restores its weights.

    Args:
        model_dir: str. A run's folder (config.json, vocab.txt, ckpt-*).
        checkpoint: str or None. A checkpoint prefix (e.g. ".../ckpt-600");
            None takes the latest.

    Returns:
        `(model, tokenizer, config, checkpoint_path)`. The model's encoder
        is in export form (`ElectraPretrainer.finalize_encoder`): read and
        export it, do not train it further.

    Raises:
        UsageError: missing folder, config, vocab or checkpoint, or a
            checkpoint that does not hold every variable of the model.
    """
    from electra_tf.models.pretrainer import ElectraPretrainer
    from electra_tf.text.tokenizer import ElectraTokenizer

    import tensorflow as tf

    config_path = os.path.join(model_dir, CONFIG_FILE)
    vocab_path = os.path.join(model_dir, VOCAB_FILE)
    for path in (config_path, vocab_path):
        if not os.path.isfile(path):
            raise UsageError(
                f"{path!r} is missing: {model_dir!r} is not a model_dir written by "
                "tools/pretrain.py."
            )
    checkpoint = checkpoint or tf.train.latest_checkpoint(model_dir)
    if not checkpoint or not tf.io.gfile.glob(checkpoint + ".index"):
        raise UsageError(
            f"{model_dir!r} holds no checkpoint{'' if not checkpoint else ' ' + repr(checkpoint)}"
            ". Train first (python tools/pretrain.py --model_dir=...), or name an existing "
            "ckpt-N."
        )
    config = ElectraConfig.from_json(config_path)
    tokenizer = ElectraTokenizer.from_vocab_file(vocab_path, lowercase=config.lowercase)
    model = ElectraPretrainer.from_tokenizer(config, tokenizer)
    restore_strictly(
        tf.train.Checkpoint(model=model), checkpoint,
        f"It does not hold the model {config_path!r} describes: pass the model_dir (or "
        "ckpt-N) of the run that wrote it, or restore that run's config.json.")
    # Every reader (exports, fine-tuning, the demo) wants the encoder in its
    # ordinary form (gdes: E_G + E_delta in one matrix).
    model.finalize_encoder()
    return model, tokenizer, config, checkpoint


def restore_strictly(checkpoint, path, fix):
    """Restores `path` into `checkpoint`; every variable it reaches must be in the file.

    A `tf.train.Checkpoint` restore is lazy and lenient: a variable missing
    from the file keeps its random initial value without a word, which would
    ship random weights. Extra entries in the file (optimizer slots, the data
    position, when only the model is restored) are fine.

    Args:
        checkpoint: `tf.train.Checkpoint` of the objects to restore.
        path: str. The checkpoint prefix (".../ckpt-N").
        fix: str. What the user should do, appended to the message.

    Raises:
        UsageError: naming `path`, what did not match, and `fix`.

    Example:
    ```python
    restore_strictly(tf.train.Checkpoint(model=model), "runs/x/ckpt-600", "Pass ...")
    ```
    """
    import tensorflow as tf

    status = None
    try:
        status = checkpoint.restore(path)
        status.assert_existing_objects_matched()
    except (tf.errors.OpError, ValueError, AssertionError) as error:
        if status is not None:
            status.expect_partial()  # the error says it all; no second warning
        raise UsageError(f"cannot restore {path!r}: {_mismatch(error)} {fix}") from None
    status.expect_partial()
    return status


def _mismatch(error, shown=5, limit=600):
    """TensorFlow's restore error in one line: unmatched variables by path and shape
    (not their values), long messages cut short."""
    text = " ".join(str(error).split())
    variables = re.findall(r"path=([^,\s]+), shape=(\([^)]*\))", text)
    if variables:
        found = re.search(r"Found (\d+) Python objects", text)
        count = int(found.group(1)) if found else len(variables)
        listed = ", ".join(f"{name} {shape}" for name, shape in variables[:shown])
        more = f" and {count - shown} more" if count > shown else ""
        return f"{count} of the model's objects are not in it: {listed}{more}."
    return text if len(text) <= limit else text[:limit] + " ..."


def read_run_summary(model_dir):
    """The summary.json written at the end of a run, or None."""
    path = os.path.join(model_dir, "summary.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def is_model_only_checkpoint(path):
    """True for a checkpoint holding a model but no optimizer state (what an import writes).

    tools/pretrain.py resumes a run by restoring model, optimizer, step and
    data position together; a model-only checkpoint has to be restored as
    `tf.train.Checkpoint(model=model)` instead, with a fresh optimizer at
    step 0. This tells the two apart.

    Args:
        path: str. A checkpoint prefix (e.g. ".../ckpt-0").

    Example:
    ```python
    if is_model_only_checkpoint(latest):
        restore_strictly(tf.train.Checkpoint(model=model), latest, "Pass ...")
    ```
    """
    import tensorflow as tf

    names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    has_model = any(name.startswith("model/") for name in names)
    return has_model and not any(name.startswith("optimizer/") for name in names)
