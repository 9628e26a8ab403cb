"""A tiny config, and a tiny pretraining run, shared by the tests (the data is the root
conftest's `pretraining_data`)."""

import os

from electra_tf.config import ElectraConfig
from tests.conftest import REPO


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
