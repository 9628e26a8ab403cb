"""keras-hub presets cannot state exact GELU: the export measures and records it, our loader restores it."""

import json
import os

import keras
import keras_hub
import numpy as np

from electra_tf.config import ElectraConfig
from electra_tf.export.preset import ACTIVATION_FILE
from electra_tf.export.preset import save_keras_hub_preset
from electra_tf.finetune.encoder_init import load_encoder
from electra_tf.models.pretrainer import ElectraPretrainer
from electra_tf.text.tokenizer import ElectraTokenizer

TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [chr(c) for c in range(97, 123)]


def _preset(tmp_path, hidden_act):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(t + "\n" for t in TOKENS), encoding="utf-8")
    tokenizer = ElectraTokenizer.from_vocab_file(str(vocab))
    config = ElectraConfig(vocab_size=len(TOKENS), embedding_size=16, hidden_size=32,
                           num_layers=2, num_heads=2, intermediate_size=64,
                           generator_hidden_size=0.5, max_position_embeddings=32,
                           max_seq_length=16, hidden_act=hidden_act)
    keras.utils.set_random_seed(0)
    model = ElectraPretrainer.from_tokenizer(config, tokenizer)
    # Larger FFN inputs, where the two GELU forms differ (~5e-4 at |x| ~ 2).
    for layer in model.discriminator.transformer_layers:
        kernel = layer._feedforward_intermediate_dense.kernel
        kernel.assign(kernel.numpy() * 20)
    preset = save_keras_hub_preset(model, tokenizer, str(tmp_path / f"preset_{hidden_act}"))
    ids = np.random.default_rng(1).integers(5, len(TOKENS), (2, 12)).astype("int32")
    inputs = {"token_ids": ids, "segment_ids": np.zeros_like(ids),
              "padding_mask": np.ones_like(ids)}
    return model, preset, inputs


def test_exact_gelu_preset_records_the_difference_and_our_loader_restores_it(tmp_path, caplog):
    model, preset, inputs = _preset(tmp_path, "gelu")
    with open(os.path.join(preset, ACTIVATION_FILE), encoding="utf-8") as f:
        record = json.load(f)
    assert record["hidden_act"] == "gelu"
    difference = record["max_abs_sequence_output_difference"]
    assert difference > 1e-5

    ours = np.asarray(model.discriminator(inputs)["sequence_output"])
    # keras-hub alone: loads (tanh GELU), close to but not the trained function.
    hub = keras_hub.models.ElectraBackbone.from_preset(preset)
    hub_diff = np.max(np.abs(np.asarray(hub(inputs)["sequence_output"]) - ours))
    assert 1e-6 < hub_diff < 1e-2
    # electra-tf's fine-tuning loader reads the record: the trained function exactly.
    backbone, _, _ = load_encoder(preset)
    np.testing.assert_allclose(np.asarray(backbone(inputs)["sequence_output"]), ours, atol=1e-6)


def test_tanh_gelu_preset_is_exact_in_keras_hub(tmp_path):
    model, preset, inputs = _preset(tmp_path, "gelu_approximate")
    with open(os.path.join(preset, ACTIVATION_FILE), encoding="utf-8") as f:
        assert json.load(f)["max_abs_sequence_output_difference"] == 0.0
    hub = keras_hub.models.ElectraBackbone.from_preset(preset)
    np.testing.assert_allclose(np.asarray(hub(inputs)["sequence_output"]),
                               np.asarray(model.discriminator(inputs)["sequence_output"]),
                               atol=1e-6)
