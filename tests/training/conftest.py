"""Small real pretraining data and a tiny config shared by the training tests."""

import os

import pytest

from electra_tf.config import ElectraConfig
from electra_tf.data import build_pretraining_data
from tests.conftest import REPO


@pytest.fixture(scope="session")
def pretraining_data(tmp_path_factory, corpus_path, small_vocab_path):
    """TFRecords (64-token examples) of 300 real reviews: {"train", "vocab"}."""
    out = str(tmp_path_factory.mktemp("pretraining_data"))
    build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=64,
                           num_shards=2, num_workers=1, show_progress=False)
    return {"train": os.path.join(out, "*.tfrecord"), "vocab": small_vocab_path, "dir": out}


def tiny_config(**overrides):
    config = ElectraConfig.from_json(os.path.join(REPO, "configs", "electra_tiny.json"))
    values = dict(max_seq_length=64, batch_size=16, train_steps=40, warmup_steps=10,
                  hidden_size=64, num_heads=2, intermediate_size=128, embedding_size=32)
    values.update(overrides)
    return config.replace(**values)


def pretrain_tiny(model_dir, data, train_steps):
    """Pretrains the tiny test model (64-token examples) into `model_dir`; returns it.

    The starting point of the export, demo and fine-tuning tests.
    """
    from electra_tf.training.pretraining import TrainingOptions
    from electra_tf.training.pretraining import run_pretraining

    run_pretraining(tiny_config(train_steps=train_steps, max_seq_length=64),
                    TrainingOptions(model_dir=str(model_dir), train_data=data["train"],
                                    vocab=data["vocab"], sample_every=0, show_progress=False))
    return str(model_dir)
