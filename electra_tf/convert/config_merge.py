"""The `ElectraConfig` of an imported model: sizes from the checkpoint, the rest from a JSON.

An importer infers the sizes it can see (from tensor shapes or a Hugging Face
config). An optional `--config_json` supplies what it cannot (the number of
heads of a TF1 checkpoint, training settings such as `max_seq_length` or
`learning_rate` for continued pretraining) and may state sizes too: a size
the JSON states explicitly is KEPT and checked against the weights, so a
wrong `generator_hidden_size` gives a message naming it instead of being
silently replaced. `vocab_size: 0` means "take it from the checkpoint".

The JSON is either our `ElectraConfig` format (configs/*.json, a model_dir's
config.json; any subset of fields) or a BERT / Hugging Face style config
(`num_attention_heads`, `num_hidden_layers`, ...).
"""

import dataclasses
import json
import os

from electra_tf.config import HEAD_SIZE
from electra_tf.config import ElectraConfig
from electra_tf.convert.hf_config import HF_TO_OURS
from electra_tf.convert.hf_config import hidden_act_from_hf
from electra_tf.errors import UsageError

OUR_FIELDS = tuple(f.name for f in dataclasses.fields(ElectraConfig))


def read_config_json(path):
    """Fields stated by a config JSON, in our names.

    Args:
        path: str. Our `ElectraConfig` JSON, or a BERT / Hugging Face one.

    Returns:
        dict {ElectraConfig field: value} of the fields the file states.

    Raises:
        UsageError: missing file, bad JSON, or neither format.

    Example:
    ```python
    read_config_json("configs/electra_small.json")["num_heads"]  # 4
    read_config_json("bert_config.json")                         # {"num_heads": 12, ...}
    ```
    """
    if not os.path.isfile(path):
        raise UsageError(f"--config_json {path!r} does not exist.")
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"--config_json {path!r} is not valid JSON: {error}") from None
    if not isinstance(values, dict):
        raise UsageError(f"--config_json {path!r} must hold a JSON object.")
    if set(values) <= set(OUR_FIELDS):
        return dict(values)
    if "num_attention_heads" in values or "num_hidden_layers" in values:
        fields = {ours: values[key] for key, ours in HF_TO_OURS.items() if key in values}
        if "hidden_act" in values:
            fields["hidden_act"] = hidden_act_from_hf(values["hidden_act"], path)
        return fields
    unknown = sorted(set(values) - set(OUR_FIELDS))
    raise UsageError(
        f"--config_json {path!r} is neither an electra-tf config (unknown field(s) "
        f"{', '.join(unknown[:8])}) nor a BERT / Hugging Face config (no num_attention_heads)."
    )


def generator_fields(hidden, intermediate, heads, discriminator_hidden):
    """ElectraConfig fields for a generator of the given sizes.

    The FFN width and head count are stated only where Google's derivation
    (4 x hidden, max(1, hidden // 64)) would not give them, so a standard
    generator keeps a config with null (derived) sizes.

    Args:
        hidden: int. The generator's hidden size.
        intermediate: int. Its FFN width (from the checkpoint's shapes).
        heads: int or None. Its attention heads (None: not known; derived).
        discriminator_hidden: int. The discriminator's hidden size.

    Returns:
        dict with generator_hidden_size, and generator_intermediate_size /
        generator_num_heads where needed.

    Example:
    ```python
    generator_fields(64, 256, 1, 192)  # {"generator_hidden_size": 0.333...}
    ```
    """
    fields = {"generator_hidden_size": hidden / discriminator_hidden}
    if intermediate != 4 * hidden:
        fields["generator_intermediate_size"] = int(intermediate)
    if heads is not None and heads != max(1, hidden // HEAD_SIZE):
        fields["generator_num_heads"] = int(heads)
    return fields


def merge_config(inferred, stated=None):
    """`ElectraConfig` from checkpoint-inferred fields and JSON-stated ones.

    Args:
        inferred: dict of ElectraConfig fields seen in the checkpoint.
        stated: dict of fields from `read_config_json`, or None. They win
            (except vocab_size 0); the importer then checks every weight
            against the result, so a stated size that the checkpoint
            contradicts becomes a shape-mismatch message naming the field.

    Returns:
        `ElectraConfig` (validated). max_seq_length is capped at the
        position table's length.

    Example:
    ```python
    config = merge_config({"hidden_size": 256, ...}, read_config_json(path))
    ```
    """
    stated = dict(stated or {})
    if stated.get("vocab_size") in (0, None):
        stated.pop("vocab_size", None)
    values = {**ElectraConfig().to_dict(), **inferred, **stated}
    if "max_seq_length" not in stated:
        values["max_seq_length"] = min(values["max_seq_length"], values["max_position_embeddings"])
    return ElectraConfig.from_dict(values, source="imported config")


def check_stated_layers(config, checkpoint_layers, example_name):
    """Raises `UsageError` when the stated num_layers differs from the checkpoint's.

    Shapes cannot show a missing or extra layer, so depth is checked here.

    Args:
        config: the merged `ElectraConfig`.
        checkpoint_layers: int. Layers found in the checkpoint.
        example_name: callable(int) -> str. The checkpoint's name of a
            variable of layer i, to name in the message.
    """
    if config.num_layers == checkpoint_layers:
        return
    index = min(config.num_layers, checkpoint_layers)
    what = "has no" if config.num_layers > checkpoint_layers else "also has"
    raise UsageError(
        f"{example_name(index)}: the checkpoint {what} layer {index}; it has "
        f"{checkpoint_layers} layers but the config gives num_layers {config.num_layers}. "
        f"Is num_layers {checkpoint_layers} or {config.num_layers}?"
    )
