"""Where fine-tuning starts: the discriminator of a run, or a keras-hub preset."""

import json
import os

import keras_hub

from electra_tf.errors import UsageError
from electra_tf.text.tokenizer import ElectraTokenizer


def load_encoder(init, checkpoint=None):
    """Loads a pretrained ELECTRA discriminator and its tokenizer from `--init`.

    Accepts a pretraining `model_dir` (config.json + vocab.txt + ckpt-N, e.g.
    written by tools/pretrain.py or tools/convert_checkpoint.py) or a keras-hub
    preset directory (tools/export.py's `keras_hub_preset/`; the activation
    electra-tf recorded there is restored). The generator is dropped:
    fine-tuning uses the discriminator only.

    Args:
        init: str. The directory.
        checkpoint: str or None. A ckpt-N of a model_dir `init`: a prefix path,
            or its name inside `init` ("ckpt-400"); default the latest.

    Returns:
        `(backbone, tokenizer, max_seq_length)`: a `keras_hub.models.ElectraBackbone`,
        an `ElectraTokenizer`, and the sequence length it was pretrained with.

    Example:
    ```python
    backbone, tokenizer, length = load_encoder("runs/electra_tiny")
    ```
    """
    if not init or not os.path.isdir(init):
        raise UsageError(
            f"--init={init!r} is not a directory. Pass a pretraining model_dir "
            "(runs/electra_tiny) or a keras-hub preset folder (.../export/keras_hub_preset).")
    if os.path.isfile(os.path.join(init, "tokenizer.json")) and os.path.isfile(
            os.path.join(init, "metadata.json")):
        if checkpoint:
            raise UsageError(f"--checkpoint={checkpoint!r} applies to a pretraining model_dir; "
                             f"{init!r} is a keras-hub preset (one set of weights).")
        return _from_preset(init)
    from electra_tf.training.model_dir import load_pretrainer

    if checkpoint and not os.path.isfile(checkpoint + ".index") and os.path.isfile(
            os.path.join(init, checkpoint) + ".index"):
        checkpoint = os.path.join(init, checkpoint)

    model, tokenizer, config, _ = load_pretrainer(init, checkpoint)
    return model.discriminator, tokenizer, config.max_seq_length


def _from_preset(preset):
    from electra_tf.export.preset import read_preset_activation
    from electra_tf.models.discriminator import hidden_activation
    from electra_tf.models.discriminator import set_feedforward_activation

    backbone = keras_hub.models.ElectraBackbone.from_preset(preset)
    # keras-hub's config cannot state exact GELU; electra-tf's export records it.
    hidden_act = read_preset_activation(preset)
    if hidden_act:
        set_feedforward_activation(backbone, hidden_activation(hidden_act))
    with open(os.path.join(preset, "tokenizer.json"), encoding="utf-8") as f:
        lowercase = json.load(f)["config"].get("lowercase", True)
    vocab = os.path.join(preset, "assets", "tokenizer", "vocabulary.txt")
    tokenizer = ElectraTokenizer.from_vocab_file(vocab, lowercase=lowercase)
    return backbone, tokenizer, min(512, backbone.max_sequence_length)
