"""Reading a Hugging Face model folder without `transformers`: config and tensors.

A folder written by `save_pretrained` holds `config.json`, the weights as
`model.safetensors` (or sharded with `model.safetensors.index.json`), or
the older PyTorch pickle `pytorch_model.bin`, and usually `vocab.txt` and
`tokenizer_config.json`. Safetensors are read with `safetensors.numpy`; a
pickle needs `torch`, which electra-tf does not require: without it the user
is told to install torch or convert the folder to safetensors.
"""

import dataclasses
import json
import os

import numpy as np

from electra_tf.errors import UsageError

CONFIG = "config.json"
SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
PYTORCH_BIN = "pytorch_model.bin"
VOCAB = "vocab.txt"
TOKENIZER_CONFIG = "tokenizer_config.json"
# Key prefix of the encoder in ElectraForPreTraining / ElectraForMaskedLM.
ENCODER_PREFIX = "electra."


@dataclasses.dataclass
class HFFolder:
    """A Hugging Face model folder, read.

    Attributes:
        path: str.
        config: dict, its config.json.
        tensors: dict {state-dict key: float32 np.ndarray}.
        weights_file: str. The file the tensors came from.
        vocab: str or None. Its vocab.txt.
        tokenizer_config: dict ({} when absent).
    """

    path: str
    config: dict
    tensors: dict
    weights_file: str
    vocab: object
    tokenizer_config: dict


def pytorch_bin_message(path):
    """The error for a `pytorch_model.bin` when torch is not installed.

    Example:
    ```python
    raise UsageError(pytorch_bin_message("electra/pytorch_model.bin"))
    ```
    """
    return (
        f"{path} is a PyTorch pickle, which needs torch to read, and torch is not installed. "
        "Either `pip install torch` and rerun, or convert the folder to safetensors where "
        "transformers is installed: `ElectraForPreTraining.from_pretrained(folder)"
        ".save_pretrained(folder)` (ElectraForMaskedLM for a generator) writes "
        f"{SAFETENSORS}, which electra-tf reads with numpy alone."
    )


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{path} is not valid JSON: {error}") from None


def safetensors_numpy():
    """The `safetensors.numpy` module, or a UsageError saying how to install it.

    Example:
    ```python
    safetensors_numpy().save_file(tensors, "model.safetensors", metadata={"format": "pt"})
    ```
    """
    try:
        from safetensors import numpy as safetensors_numpy_module
    except ImportError:
        raise UsageError("reading and writing Hugging Face weights needs the safetensors "
                         "package: pip install safetensors") from None
    return safetensors_numpy_module


def _load_safetensors(path):
    load_file = safetensors_numpy().load_file
    try:
        return load_file(path)
    except Exception as error:  # safetensors raises its own error types
        raise UsageError(f"cannot read {path}: {error}") from None


def _load_pytorch_bin(path):
    try:
        import torch
    except ImportError:
        raise UsageError(pytorch_bin_message(path)) from None
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {key: value.detach().to(torch.float32).numpy() for key, value in state.items()}


def _load_tensors(folder):
    index = os.path.join(folder, SAFETENSORS_INDEX)
    single = os.path.join(folder, SAFETENSORS)
    pickle = os.path.join(folder, PYTORCH_BIN)
    if os.path.isfile(single):
        return _load_safetensors(single), single
    if os.path.isfile(index):
        tensors = {}
        for shard in sorted(set(_read_json(index).get("weight_map", {}).values())):
            shard_path = os.path.join(folder, shard)
            if not os.path.isfile(shard_path):
                raise UsageError(f"{index} names {shard}, which is missing from {folder}.")
            tensors.update(_load_safetensors(shard_path))
        return tensors, index
    if os.path.isfile(pickle):
        return _load_pytorch_bin(pickle), pickle
    raise UsageError(
        f"{folder} holds no weights: expected {SAFETENSORS}, {SAFETENSORS_INDEX} or "
        f"{PYTORCH_BIN} (a folder written by save_pretrained)."
    )


def read_folder(folder, flag):
    """Reads a Hugging Face ELECTRA folder.

    Keys are normalised to the ElectraForPreTraining / ElectraForMaskedLM
    form: a bare `ElectraModel` (keys without "electra.") gets the prefix, so
    its encoder imports and its missing head is reported as such.

    Args:
        folder: str.
        flag: str. The flag that named it (for messages), e.g.
            "--discriminator_dir".

    Returns:
        `HFFolder`.

    Raises:
        UsageError: missing folder, config.json or weights; torch needed.

    Example:
    ```python
    disc = read_folder("electra-small-discriminator", "--discriminator_dir")
    disc.tensors["discriminator_predictions.dense.weight"].shape
    ```
    """
    if not folder or not os.path.isdir(folder):
        raise UsageError(f"{flag}={folder!r} is not a folder.")
    config_path = os.path.join(folder, CONFIG)
    if not os.path.isfile(config_path):
        raise UsageError(f"{flag}={folder!r} has no {CONFIG} (a folder written by "
                         "save_pretrained holds one).")
    config = _read_json(config_path)
    if not isinstance(config, dict):
        raise UsageError(f"{config_path} must hold a JSON object.")
    tensors, weights_file = _load_tensors(folder)
    if not any(key.startswith(ENCODER_PREFIX) for key in tensors):
        tensors = {ENCODER_PREFIX + key: value for key, value in tensors.items()}
    tensors = {key: np.asarray(value, dtype=np.float32) for key, value in tensors.items()}
    vocab = os.path.join(folder, VOCAB)
    tokenizer_path = os.path.join(folder, TOKENIZER_CONFIG)
    return HFFolder(
        path=folder,
        config=config,
        tensors=tensors,
        weights_file=weights_file,
        vocab=vocab if os.path.isfile(vocab) else None,
        tokenizer_config=_read_json(tokenizer_path) if os.path.isfile(tokenizer_path) else {},
    )
