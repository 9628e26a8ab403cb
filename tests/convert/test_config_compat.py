"""hidden_act and generator sizes: new configs follow Google, older config files load as trained."""

import json
import math

import keras
import numpy as np
import pytest

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError
from electra_tf.models.discriminator import build_discriminator
from electra_tf.models.generator import build_generator

TINY = dict(vocab_size=50, embedding_size=16, hidden_size=64, num_layers=2, num_heads=2,
            intermediate_size=128, generator_hidden_size=0.5, max_position_embeddings=32,
            max_seq_length=16)


def exact_gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x.astype(np.float64) / math.sqrt(2.0)))


def tanh_gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def ffn_activations(config):
    """(computed, pre-activation) of the first FFN dense of each tower, on 3-sigma inputs."""
    discriminator = build_discriminator(config)
    generator = build_generator(config, discriminator)
    results = []
    for layer in (discriminator.transformer_layers[0], generator.transformer_layers[0]):
        dense = layer._feedforward_intermediate_dense
        x = np.random.default_rng(0).normal(0, 3.0, (4, dense.kernel.shape[0])).astype("float32")
        pre = x @ np.asarray(dense.kernel) + np.asarray(dense.bias)
        results.append((np.asarray(dense(x)), pre))
    return results


@pytest.mark.parametrize("hidden_act,reference", [("gelu", exact_gelu),
                                                  ("gelu_approximate", tanh_gelu)])
def test_both_towers_compute_the_configured_gelu(hidden_act, reference):
    keras.utils.set_random_seed(0)
    for computed, pre in ffn_activations(ElectraConfig(**TINY, hidden_act=hidden_act)):
        np.testing.assert_allclose(computed, reference(pre), atol=1e-5)
        # The two forms differ by up to ~5e-4 here: the check can tell them apart.
        other = tanh_gelu if reference is exact_gelu else exact_gelu
        assert np.max(np.abs(computed - other(pre))) > 1e-4


def test_new_configs_default_to_exact_gelu_and_google_generator_sizes():
    assert ElectraConfig().hidden_act == "gelu"
    for name in ("small", "base", "large", "tiny"):
        with open(f"configs/electra_{name}.json", encoding="utf-8") as f:
            assert json.load(f)["hidden_act"] == "gelu"
    # Google's get_generator_config: FFN 4 x hidden, heads max(1, hidden // 64).
    config = ElectraConfig(hidden_size=192, num_heads=3, intermediate_size=384,
                           generator_hidden_size=1 / 3)
    assert (config.generator_hidden, config.generator_intermediate,
            config.generator_heads) == (64, 256, 1)
    base = ElectraConfig.from_json("configs/electra_base.json")
    assert (base.generator_hidden, base.generator_intermediate, base.generator_heads) == (
        256, 1024, 4)
    stated = ElectraConfig(**TINY, generator_intermediate_size=64, generator_num_heads=2)
    assert (stated.generator_intermediate, stated.generator_heads) == (64, 2)
    assert not stated.replace(generator_intermediate_size=None).diff(
        ElectraConfig(**TINY, generator_intermediate_size=128, generator_num_heads=2))
    with pytest.raises(UsageError, match="hidden_act must be one of"):
        ElectraConfig(hidden_act="relu")


def test_a_config_file_from_before_loads_as_the_model_it_trained(tmp_path):
    """A run dir's config.json without hidden_act: tanh GELU, generator sizes scaled."""
    old = ElectraConfig(**TINY).to_dict()
    for field in ("hidden_act", "generator_intermediate_size", "generator_num_heads"):
        del old[field]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    config = ElectraConfig.from_json(str(path))
    assert config.hidden_act == "gelu_approximate"
    # The earlier derivation scaled the discriminator's FFN and heads by the fraction.
    assert (config.generator_intermediate, config.generator_heads) == (64, 1)
    assert ElectraConfig(**TINY).generator_intermediate == 128  # what new configs derive
    keras.utils.set_random_seed(0)
    for computed, pre in ffn_activations(config):
        np.testing.assert_allclose(computed, tanh_gelu(pre), atol=1e-5)
    # Written back, the file states everything and reads the same.
    config.to_json(str(path))
    assert ElectraConfig.from_json(str(path)) == config
