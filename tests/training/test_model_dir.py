"""Restoring a run's weights is strict: a checkpoint that does not hold the model fails loudly."""

import re

import keras
import pytest
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.models import ElectraPretrainer
from electra_tf.training.model_dir import load_pretrainer
from tests.models.batches import SPECIAL_IDS
from tests.models.batches import tiny_config


def _model_dir(path, config, checkpoint_config):
    """A model_dir whose config.json says `config`, holding a checkpoint of `checkpoint_config`."""
    path.mkdir()
    words = [f"w{i}" for i in range(config.vocab_size - 5)]
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words)
                                    + "\n")
    config.to_json(str(path / "config.json"))
    keras.utils.set_random_seed(0)
    model = ElectraPretrainer(checkpoint_config, **SPECIAL_IDS)
    tf.train.CheckpointManager(tf.train.Checkpoint(model=model), str(path),
                               max_to_keep=1).save(checkpoint_number=3)
    return model


def test_matching_checkpoint_restores_every_weight(tmp_path):
    saved = _model_dir(tmp_path / "run", tiny_config(), tiny_config())
    model, _, _, checkpoint = load_pretrainer(str(tmp_path / "run"))
    assert checkpoint.endswith("ckpt-3")
    for restored, original in zip(model.weights, saved.weights):
        assert (restored.numpy() == original.numpy()).all(), original.path


@pytest.mark.parametrize("saved, pattern", [
    (dict(num_layers=1), r"transformer_layer_1"),  # a layer the file lacks
    (dict(hidden_size=64, num_heads=2), r"shape"),  # every shape differs
])
def test_mismatched_checkpoint_is_refused_naming_file_and_fix(tmp_path, saved, pattern):
    _model_dir(tmp_path / "run", tiny_config(), tiny_config(**saved))
    with pytest.raises(UsageError) as error:
        load_pretrainer(str(tmp_path / "run"))
    message = str(error.value)
    assert "ckpt-3" in message and "config.json" in message, message
    assert "pass the model_dir" in message
    assert re.search(pattern, message), message
