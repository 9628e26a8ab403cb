"""The discriminator as a keras-hub preset: loadable with keras-hub alone.

keras-hub's `ElectraBackbone` hard-codes the tanh-approximated GELU and its
config has no activation field, so a preset cannot say "exact GELU". A model
trained with `hidden_act: "gelu"` (the default, as Google's ELECTRA) loads
from the preset with tanh GELU in its FFNs: its outputs differ slightly. The
export measures that difference on the exported weights, logs it, and records
it with the true activation in `electra_tf.json` beside keras-hub's files;
electra-tf's own loaders (`finetune.encoder_init.load_encoder`) read that file
and restore the exact activation.
"""

import json
import os

import numpy as np
from absl import logging

import keras_hub

from electra_tf.models.discriminator import hidden_activation
from electra_tf.models.discriminator import set_feedforward_activation

# Beside keras-hub's config.json: what the preset's config cannot state.
ACTIVATION_FILE = "electra_tf.json"


def keras_hub_activation_difference(backbone, hidden_act, batch_size=2, length=64, seed=0):
    """max |sequence_output| difference between `hidden_act` and keras-hub's tanh GELU.

    Args:
        backbone: `keras_hub.models.ElectraBackbone` computing `hidden_act`.
        hidden_act: str. Its `ElectraConfig.hidden_act`.
        batch_size, length: shape of the random token batch compared.
        seed: int. Seeds the token ids.

    Returns:
        float; 0.0 when `hidden_act` is already the tanh form.

    Example:
    ```python
    keras_hub_activation_difference(model.discriminator, config.hidden_act)  # e.g. 3e-4
    ```
    """
    if hidden_act == "gelu_approximate":
        return 0.0
    length = min(length, backbone.max_sequence_length)
    ids = np.random.default_rng(seed).integers(
        0, backbone.vocab_size, (batch_size, length)).astype("int32")
    inputs = {"token_ids": ids, "segment_ids": np.zeros_like(ids),
              "padding_mask": np.ones_like(ids)}
    ours = np.asarray(backbone(inputs)["sequence_output"], dtype="float32")
    set_feedforward_activation(backbone, hidden_activation("gelu_approximate"))
    try:
        theirs = np.asarray(backbone(inputs)["sequence_output"], dtype="float32")
    finally:
        set_feedforward_activation(backbone, hidden_activation(hidden_act))
    return float(np.max(np.abs(ours - theirs)))


def read_preset_activation(preset_dir):
    """The `hidden_act` electra-tf recorded in a preset, or None (keras-hub's tanh)."""
    path = os.path.join(preset_dir, ACTIVATION_FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f).get("hidden_act")


def save_keras_hub_preset(pretrainer, tokenizer, preset_dir):
    """Writes `ElectraBackbone` weights/config and a keras-hub `ElectraTokenizer`.

    `keras_hub.models.ElectraBackbone.from_preset(preset_dir)` and
    `keras_hub.tokenizers.ElectraTokenizer.from_preset(preset_dir)` load them
    without importing electra_tf. keras-hub's tokenizer lowercases by Unicode
    case folding where ours (and BERT) lowercase; the two agree on ordinary
    text but can differ on rare characters (e.g. "ß", ligatures, full-width
    letters). The SavedModels embed the exact training tokenizer.

    keras-hub computes tanh GELU: for an exact-GELU model the difference this
    makes is measured, logged as a warning and written to `electra_tf.json`
    (see the module docstring).

    Args:
        pretrainer: `ElectraPretrainer`.
        tokenizer: `ElectraTokenizer`.
        preset_dir: str.

    Returns:
        str: `preset_dir`.
    """
    pretrainer.discriminator.save_to_preset(preset_dir)
    hub_tokenizer = keras_hub.tokenizers.ElectraTokenizer(
        vocabulary=tokenizer.get_vocabulary(),
        lowercase=tokenizer.bert_lowercase,
        strip_accents=tokenizer.bert_lowercase,
    )
    hub_tokenizer.save_to_preset(preset_dir)
    hidden_act = pretrainer.config.hidden_act
    difference = keras_hub_activation_difference(pretrainer.discriminator, hidden_act)
    record = {"hidden_act": hidden_act, "keras_hub_activation": "gelu_approximate",
              "max_abs_sequence_output_difference": difference}
    if difference:
        record["note"] = (
            "keras-hub's ElectraBackbone computes the tanh GELU; this model was trained with "
            "exact GELU. ElectraBackbone.from_preset(...) outputs differ by up to the value "
            "above on random tokens. electra-tf's loaders restore exact GELU from this file."
        )
        logging.warning(
            "keras-hub preset %s: keras-hub's ElectraBackbone cannot express exact GELU "
            "(hidden_act %r); loaded with keras-hub alone, its sequence output differs by up to "
            "%.3g (measured on random tokens). electra-tf's fine-tuning restores exact GELU.",
            preset_dir, hidden_act, difference)
    with open(os.path.join(preset_dir, ACTIVATION_FILE), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    return preset_dir
