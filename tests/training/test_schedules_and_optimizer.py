import keras
import numpy as np
import tensorflow as tf

from electra_tf.training.optimizer import create_optimizer
from electra_tf.training.schedules import WarmupLinearDecay
from tests.training.conftest import tiny_config


def test_warmup_then_linear_decay_to_zero_and_config_round_trip():
    schedule = WarmupLinearDecay(1e-3, warmup_steps=10, total_steps=110)
    values = [float(schedule(step)) for step in (0, 5, 10, 60, 110, 200)]
    np.testing.assert_allclose(values, [0.0, 5e-4, 1e-3, 5e-4, 0.0, 0.0], atol=1e-9)
    clone = WarmupLinearDecay.from_config(schedule.get_config())
    assert float(clone(37)) == float(schedule(37))


def test_weight_decay_skips_layernorm_and_bias_and_clipping_is_global():
    optimizer = create_optimizer(tiny_config(weight_decay=0.5, learning_rate=1e-3,
                                             warmup_steps=0))
    dense = keras.layers.Dense(2)
    norm = keras.layers.LayerNormalization()
    dense.build((None, 2))
    norm.build((None, 2))
    variables = dense.trainable_variables + norm.trainable_variables
    before = [v.numpy().copy() for v in variables]
    optimizer.build(variables)
    # Zero gradients: only weight decay can move a variable.
    optimizer.apply_gradients([(tf.zeros_like(v), v) for v in variables])
    moved = {v.name: not np.allclose(b, v.numpy()) for v, b in zip(variables, before)}
    assert moved == {"kernel": True, "bias": False, "gamma": False, "beta": False}
    assert optimizer.global_clipnorm == 1.0 and optimizer.epsilon == 1e-6
