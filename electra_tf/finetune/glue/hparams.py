"""GLUE fine-tuning hyperparameters: `configs/finetune/{tiny,small,base,large}.json`.

small/base/large are the paper's (Table 7) and the reference's
`configure_finetuning.py`; tiny is this package's choice for its own tiny,
briefly pretrained models (configs/finetune/README.md says which field sets which
fine-tuning option, and where each value comes from).
"""

import dataclasses
import json
import os
from typing import Dict

from electra_tf.config_files import config_path
from electra_tf.errors import UsageError

SIZES = ("tiny", "small", "base", "large")

# Hidden size -> hyperparameter file: the reference's Small (256), Base (768) and
# Large (1024); below Small, this package's tiny models (as
# `layerwise_lr.LEARNING_RATES` draws the same line).
_SIZE_BY_HIDDEN = ((128, "tiny"), (256, "small"), (768, "base"))


@dataclasses.dataclass(frozen=True)
class GlueHparams:
    """How each GLUE task is fine-tuned.

    Args:
        learning_rate: float. Peak learning rate.
        layer_decay: float. Layer-wise learning-rate decay.
        batch_size: int. Training batch size.
        max_seq_length: int. Tokens per example (pairs share them).
        epochs: int. Training epochs of every task not in `task_epochs`.
        task_epochs: dict of task name -> epochs (the paper: 10 for RTE and STS-B).
        warmup_fraction: float. Share of the steps with a rising learning rate.
        weight_decay: float. AdamW weight decay.
        dropout: float. Dropout before the task head.
        pooling: str. "cls" (the paper's [CLS] vector) or "mean" (of the real
            tokens, which briefly pretrained models need).
        double_unordered: bool. Train MRPC and STS-B on both orders of each
            pair, as the reference does.

    Example:
    ```python
    hparams = load_hparams("small")
    hparams.epochs_for("rte")  # 10
    ```
    """

    learning_rate: float
    layer_decay: float
    batch_size: int = 32
    max_seq_length: int = 128
    epochs: int = 3
    task_epochs: Dict[str, int] = dataclasses.field(
        default_factory=lambda: {"rte": 10, "stsb": 10})
    warmup_fraction: float = 0.1
    weight_decay: float = 0.01
    dropout: float = 0.1
    pooling: str = "cls"
    double_unordered: bool = True

    def epochs_for(self, task_name):
        """Training epochs of one task."""
        return int(self.task_epochs.get(task_name, self.epochs))


def load_hparams(name_or_path):
    """Reads a hyperparameter file.

    Args:
        name_or_path: str. "tiny", "small", "base" or "large" (the files in
            `configs/finetune/`), or the path of a JSON file with the same keys.

    Returns:
        `GlueHparams`.

    Example:
    ```python
    hparams = load_hparams("configs/finetune/base.json")
    ```
    """
    path = hparams_path(name_or_path)
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(values, dict):
        raise UsageError(f"{path} must hold a JSON object of hyperparameters.")
    fields = {field.name: field for field in dataclasses.fields(GlueHparams)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise UsageError(f"{path}: unknown hyperparameter(s) {', '.join(unknown)}; known: "
                         f"{', '.join(fields)}.")
    missing = [name for name, field in fields.items() if name not in values
               and field.default is dataclasses.MISSING
               and field.default_factory is dataclasses.MISSING]
    if missing:
        raise UsageError(f"{path}: missing {', '.join(missing)}.")
    hparams = GlueHparams(**values)
    if hparams.pooling not in ("cls", "mean"):
        raise UsageError(f"{path}: pooling must be 'cls' or 'mean', got {hparams.pooling!r}.")
    return hparams


def hparams_path(name_or_path):
    """The file `load_hparams` reads for a size name or a path.

    Args:
        name_or_path: str. "tiny", "small", "base", "large", or a JSON path.

    Returns:
        str: the path of an existing file.

    Example:
    ```python
    hparams_path("base")  # ".../configs/finetune/base.json"
    ```
    """
    if name_or_path in SIZES:
        return config_path(os.path.join("finetune", f"{name_or_path}.json"))
    if not os.path.isfile(name_or_path):
        raise UsageError(f"--hparams={name_or_path!r} is neither one of {', '.join(SIZES)} "
                         "nor a JSON file.")
    return name_or_path


def size_for_model(init):
    """The hyperparameter file name for the model in `init`, from its hidden size.

    Reads only the config (a pretraining model_dir's config.json, or a
    keras-hub preset's), so no model is built.

    Args:
        init: str. A pretraining model_dir or a keras-hub preset folder.

    Returns:
        str: one of `SIZES`.

    Example:
    ```python
    load_hparams(size_for_model("runs/electra_tiny"))
    ```
    """
    path = os.path.join(init or "", "config.json")
    if not os.path.isfile(path):
        raise UsageError(f"--init={init!r} has no config.json: pass a pretraining model_dir "
                         "or a keras-hub preset folder (or set --hparams).")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    # A keras-hub preset nests the backbone's arguments under "config".
    hidden = config.get("hidden_size") or config.get("config", {}).get("hidden_dim")
    if not hidden:
        raise UsageError(f"{path} states no hidden size; pass --hparams=small|base|large.")
    for limit, size in _SIZE_BY_HIDDEN:
        if hidden <= limit:
            return size
    return "large"
