"""The paper's baselines and training strategies (docs/algorithm.md §6), one rule per test.

Each test builds a tiny real model of one option and checks the property
that option is defined by, so breaking that option's code makes it fail.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError
from electra_tf.models import ElectraPretrainer
from electra_tf.models import masking
from electra_tf.models.adversarial import policy_gradient_loss_terms
from electra_tf.models.copy_mechanism import copy_mechanism_distribution
from electra_tf.models.copy_mechanism import copy_mechanism_loss_terms
from electra_tf.models.two_stage import copy_generator_to_discriminator
from electra_tf.training.optimizer import create_optimizer
from electra_tf.training.train_loop import ElectraTrainStep

from .batches import SPECIAL_IDS
from .batches import make_batch
from .batches import tiny_config

EQUAL_SIZES = dict(generator_hidden_size=1.0, generator_intermediate_size=64,
                   generator_num_heads=2)
MASK_ID = SPECIAL_IDS["mask_id"]


def build(**overrides):
    keras.utils.set_random_seed(0)
    return ElectraPretrainer(tiny_config(**overrides), **SPECIAL_IDS)


def run(model, batch, step=0, **kwargs):
    outputs = model.compute_outputs(batch, model.step_seed(step), **kwargs)
    return {key: value.numpy() for key, value in outputs.items()}


def chosen_mask(out, shape):
    mask = np.zeros(shape, np.int32)
    for row in range(shape[0]):
        real = out["masked_weights"][row] > 0
        mask[row, out["masked_positions"][row][real]] = 1
    return mask


def sigmoid_cross_entropy(logits, labels):
    logits = logits.astype(np.float64)
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


@pytest.fixture(scope="module")
def batch():
    return make_batch(4, 32, seed=0)


def test_electra_15_weights_the_rtd_loss_only_at_chosen_positions(batch):
    out = run(build(objective="electra_15"), batch)
    chosen = chosen_mask(out, batch["token_ids"].shape)
    per_token = sigmoid_cross_entropy(out["disc_logits"], out["disc_labels"])
    assert out["disc_count"] == chosen.sum() < batch["padding_mask"].sum()
    np.testing.assert_allclose(out["disc_loss_sum"], (per_token * chosen).sum(), rtol=1e-5)
    np.testing.assert_allclose(out["disc_loss"], per_token[chosen == 1].mean(), rtol=1e-5)


def test_gdes_disentangles_the_gradients_and_exports_the_sum(batch):
    model = build(embedding_sharing="gdes")
    e_g = model.generator.token_embedding.embeddings
    e_delta = model.discriminator.token_embedding._embeddings
    assert e_g is not e_delta and np.all(e_delta.numpy() == 0)
    # The generator's other embedding layers are its own, too.
    assert model.generator.position_embedding is not model.discriminator.position_embedding
    with tf.GradientTape(persistent=True) as tape:
        outputs = model.compute_outputs(batch, model.step_seed(0), training=True)
    rtd = tape.gradient(outputs["disc_loss"], [e_g, e_delta])
    mlm = tape.gradient(outputs["gen_loss"], [e_g, e_delta])
    assert rtd[0] is None and mlm[1] is None
    assert np.abs(tf.convert_to_tensor(rtd[1]).numpy()).sum() > 0
    assert np.abs(tf.convert_to_tensor(mlm[0]).numpy()).sum() > 0
    # After training E_delta != 0; the export form holds E_G + E_delta and
    # computes the same discriminator output.
    e_delta.assign(tf.random.normal(e_delta.shape, stddev=0.05))
    inputs = {k: batch[k] for k in ("token_ids", "segment_ids", "padding_mask")}
    before = model.discriminator(inputs)["sequence_output"].numpy()
    expected = e_g.numpy() + e_delta.numpy()
    model.finalize_encoder()
    token_embedding = model.discriminator.token_embedding
    assert type(token_embedding) is keras.layers.ReversibleEmbedding or "Gdes" not in type(
        token_embedding).__name__
    np.testing.assert_allclose(token_embedding.embeddings.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(model.discriminator(inputs)["sequence_output"].numpy(), before,
                               atol=1e-5)


def _train(model, steps, batch):
    optimizer = create_optimizer(model.config.replace(warmup_steps=1, learning_rate=1e-2))
    step = ElectraTrainStep(model, optimizer, tf.distribute.get_strategy())
    iterator = iter(tf.data.Dataset.from_tensors(batch).repeat())
    for _ in range(steps):
        step.train(iterator)
    return optimizer


@pytest.mark.slow
def test_two_stage_freezes_the_generator_and_starts_the_discriminator_from_it(batch):
    model = build(training="two_stage", train_steps=4, two_stage_generator_steps=2,
                  **EQUAL_SIZES)
    disc_layer = model.discriminator.transformer_layers[0]
    initial_disc = [v.numpy() for v in disc_layer.trainable_weights]
    optimizer = _train(model, 2, batch)
    # Stage 1 trains the generator only.
    for before, variable in zip(initial_disc, disc_layer.trainable_weights):
        np.testing.assert_array_equal(before, variable.numpy())
    generator_after_stage_1 = [v.numpy() for v in model.generator_variables]
    copy_check = build(training="two_stage", train_steps=4, **EQUAL_SIZES)
    copy_generator_to_discriminator(copy_check)
    for g, d in zip(copy_check.generator.transformer_layers[1].trainable_weights,
                    copy_check.discriminator.transformer_layers[1].trainable_weights):
        np.testing.assert_array_equal(g.numpy(), d.numpy())
    # Stage 2: generator unchanged, discriminator learning from the copy.
    step = ElectraTrainStep(model, optimizer, tf.distribute.get_strategy())
    iterator = iter(tf.data.Dataset.from_tensors(batch).repeat())
    step.train(iterator)
    step.train(iterator)
    assert int(optimizer.iterations.numpy()) == 4
    for before, variable in zip(generator_after_stage_1, model.generator_variables):
        np.testing.assert_array_equal(before, variable.numpy())
    generator_layer = model.generator.transformer_layers[0].trainable_weights
    moved = [np.abs(d.numpy() - g.numpy()).max()
             for d, g in zip(disc_layer.trainable_weights, generator_layer)]
    # Two Adam steps of lr 1e-2 from the copy: close to it, but moved.
    assert 0 < max(moved) < 0.05


def test_two_stage_and_all_sharing_refuse_unequal_sizes():
    for option in (dict(training="two_stage"), dict(embedding_sharing="all")):
        with pytest.raises(UsageError, match="generator_hidden_size=1.0.*generator_num_heads"):
            tiny_config(**option)
    tiny_config(training="two_stage", **EQUAL_SIZES)


def test_all_sharing_has_one_set_of_encoder_variables(batch):
    model = build(embedding_sharing="all", **EQUAL_SIZES)
    separate = build(embedding_sharing="embeddings", **EQUAL_SIZES)
    assert model.generator.backbone is model.discriminator
    assert not model.generator.own_trainable_variables
    encoder = {id(v) for v in model.discriminator.trainable_variables}
    generator_side = {id(v) for v in model.generator.trainable_variables}
    assert generator_side == encoder
    heads = {id(v) for h in (model.discriminator_head, model.generator_head)
             for v in h.trainable_variables}
    assert {id(v) for v in model.trainable_variables} == encoder | heads
    assert len(separate.trainable_variables) > len(model.trainable_variables)
    with tf.GradientTape() as tape:
        outputs = model.compute_outputs(batch, model.step_seed(0), training=True)
    layer = model.discriminator.transformer_layers[0].trainable_weights[0]
    assert tape.gradient(outputs["gen_loss"], layer) is not None


def test_none_sharing_gives_the_generator_its_own_embeddings():
    model = build(embedding_sharing="none")
    assert model.generator.token_embedding is not model.discriminator.token_embedding
    assert model.generator_head.token_embedding is model.generator.token_embedding
    own = {id(v) for v in model.generator_variables}
    assert id(model.generator.token_embedding.embeddings) in own


def test_mlm_masks_80_percent_randomises_10_and_keeps_10():
    rows, length, vocab = 200, 100, 1000
    rng = np.random.default_rng(0)
    ids = rng.integers(10, vocab, size=(rows, length)).astype(np.int32)
    positions = np.tile(np.arange(length, dtype=np.int32), (rows, 1))
    weights = np.ones((rows, length), np.float32)
    out = masking.mask_for_mlm(ids, positions, weights, MASK_ID, vocab,
                               tf.constant([3, 4])).numpy()
    n = ids.size
    masked = np.mean(out == MASK_ID)
    kept = np.mean(out == ids)
    random = np.mean((out != MASK_ID) & (out != ids))
    # Expected fractions: a random draw hits the original or [MASK] w.p. 1/V each.
    expected = {"masked": 0.8 + 0.1 / vocab, "kept": 0.1 + 0.1 / vocab,
                "random": 0.1 * (1 - 2 / vocab)}
    for name, value in (("masked", masked), ("kept", kept), ("random", random)):
        p = expected[name]
        tolerance = 5 * np.sqrt(p * (1 - p) / n)  # 5 binomial standard deviations
        assert abs(value - p) < tolerance, (name, value, p, tolerance)


def test_mlm_trains_one_encoder_with_no_generator(batch):
    model = build(objective="mlm")
    assert model.generator.backbone is model.discriminator
    out = run(model, batch)
    shown = out["gen_input_ids"] != batch["token_ids"]
    assert shown.sum() <= out["masked_weights"].sum()
    np.testing.assert_array_equal(out["disc_input_ids"], out["gen_input_ids"])
    assert out["disc_loss"] == 0 and out["total_loss"] == pytest.approx(out["gen_loss"])
    # The MLM gradient reaches the encoder's Transformer layers.
    with tf.GradientTape() as tape:
        outputs = model.compute_outputs(batch, model.step_seed(0), training=True)
    layer = model.discriminator.transformer_layers[-1].trainable_weights[0]
    assert tape.gradient(outputs["total_loss"], layer) is not None


def test_replace_mlm_encoder_sees_no_mask_and_predicts_the_originals(batch):
    model = build(objective="replace_mlm")
    out = run(model, batch)
    assert np.any(out["gen_input_ids"] == MASK_ID)
    assert not np.any(out["disc_input_ids"] == MASK_ID)
    # The encoder's loss: the MLM of the originals at the chosen positions.
    hidden = model.discriminator({"token_ids": out["disc_input_ids"],
                                  "segment_ids": batch["segment_ids"],
                                  "padding_mask": batch["padding_mask"]})["sequence_output"]
    logits = model.encoder_mlm_head(hidden, out["masked_positions"]).numpy().astype(np.float64)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_p, out["masked_ids"][..., None], -1)[..., 0]
    weights = out["masked_weights"]
    assert out["disc_count"] == weights.sum()
    np.testing.assert_allclose(out["disc_loss"], -(picked * weights).sum() / weights.sum(),
                               rtol=1e-5)


def test_copy_mechanism_is_d_onehot_plus_one_minus_d_softmax():
    rng = np.random.default_rng(1)
    vocab = 11
    copy_logits = rng.normal(size=(2, 5)).astype(np.float32)
    input_ids = rng.integers(0, vocab, size=(2, 5)).astype(np.int32)
    mlm_logits = rng.normal(size=(2, 5, vocab)).astype(np.float32)
    labels = np.where(rng.random((2, 5)) < 0.5, input_ids, rng.integers(0, vocab, (2, 5)))
    d = 1 / (1 + np.exp(-copy_logits.astype(np.float64)))
    softmax = np.exp(mlm_logits) / np.exp(mlm_logits).sum(-1, keepdims=True)
    expected = d[..., None] * np.eye(vocab)[input_ids] + (1 - d[..., None]) * softmax
    probs = copy_mechanism_distribution(copy_logits, input_ids, mlm_logits).numpy()
    np.testing.assert_allclose(probs, expected, rtol=1e-5)
    weights = np.ones((2, 5), np.float32)
    weights[1, 3:] = 0
    loss_sum, count = copy_mechanism_loss_terms(copy_logits, input_ids, mlm_logits,
                                                labels.astype(np.int32), weights)
    picked = np.take_along_axis(expected, labels[..., None], -1)[..., 0]
    np.testing.assert_allclose(loss_sum.numpy(), -(np.log(picked) * weights).sum(), rtol=1e-5)
    assert count.numpy() == weights.sum()


def test_all_tokens_mlm_predicts_every_token_with_the_copy_mechanism(batch):
    model = build(objective="all_tokens_mlm")
    out = run(model, batch)
    assert out["disc_count"] == batch["padding_mask"].sum()
    assert not np.any(out["disc_input_ids"] == MASK_ID)
    # disc_logits is the copy head's z: D = sigmoid(-z).
    inputs = {"token_ids": out["disc_input_ids"], "segment_ids": batch["segment_ids"],
              "padding_mask": batch["padding_mask"]}
    hidden = model.discriminator(inputs)["sequence_output"]
    every = np.tile(np.arange(32, dtype=np.int32), (4, 1))
    mlm_logits = model.encoder_mlm_head(hidden, every)
    loss_sum, _ = copy_mechanism_loss_terms(-out["disc_logits"], out["disc_input_ids"],
                                            mlm_logits, batch["token_ids"],
                                            batch["padding_mask"])
    np.testing.assert_allclose(out["disc_loss_sum"], loss_sum.numpy(), rtol=1e-5)


def test_policy_gradient_raises_the_probability_of_rewarded_samples():
    rng = np.random.default_rng(2)
    logits = tf.Variable(rng.normal(size=(1, 6, 9)).astype(np.float32))
    sampled = rng.integers(0, 9, size=(1, 6)).astype(np.int32)
    rewards = np.array([[2.0, 0.1, 1.5, 0.0, 3.0, 0.2]], np.float32)
    baselines = np.full((1, 6), 1.0, np.float32)
    weights = np.ones((1, 6), np.float32)
    with tf.GradientTape() as tape:
        loss_sum, _ = policy_gradient_loss_terms(logits, sampled, rewards, baselines, weights)
    grad = tape.gradient(loss_sum, logits).numpy()
    at_sample = np.take_along_axis(grad, sampled[..., None], -1)[..., 0]
    # Gradient descent moves the sampled logit up exactly where R > b.
    np.testing.assert_array_equal(np.sign(-at_sample), np.sign(rewards - baselines))
    log_p = lambda x: np.take_along_axis(  # noqa: E731
        x - np.log(np.exp(x).sum(-1, keepdims=True)), sampled[..., None], -1)[..., 0]
    stepped = logits.numpy() - 0.1 * grad
    change = log_p(stepped) - log_p(logits.numpy())
    np.testing.assert_array_equal(np.sign(change), np.sign(rewards - baselines))


def test_adversarial_generator_learns_from_the_reward_not_the_mle(batch):
    model = build(training="adversarial")
    with tf.GradientTape(persistent=True) as tape:
        outputs = model.compute_outputs(batch, model.step_seed(0), training=True)
    out = {k: v.numpy() for k, v in outputs.items()}
    # R_t is the discriminator's cross-entropy at each chosen position.
    per_token = sigmoid_cross_entropy(out["disc_logits"], out["disc_labels"])
    expected = np.take_along_axis(per_token, out["masked_positions"], 1)
    np.testing.assert_allclose(out["rewards"], expected, rtol=1e-5)
    config = model.config
    np.testing.assert_allclose(
        out["total_loss"], config.gen_weight * out["policy_loss"] + out["baseline_loss"]
        + config.disc_weight * out["disc_loss"], rtol=1e-5)
    # The baseline learns from its own loss only; the RTD loss does not reach the generator.
    baseline_kernel = model.adversarial_baseline.dense.kernel
    assert tape.gradient(outputs["baseline_loss"], baseline_kernel) is not None
    generator_layer = model.generator.transformer_layers[0].trainable_weights[0]
    assert tape.gradient(outputs["baseline_loss"], generator_layer) is None
    assert tape.gradient(outputs["disc_loss"], generator_layer) is None
    assert tape.gradient(outputs["policy_loss"], generator_layer) is not None


def test_a_generator_size_sweep_is_one_field():
    for fraction, width in ((0.25, 8), (0.5, 16), (1.0, 32)):
        model = build(generator_hidden_size=fraction)
        assert model.generator.hidden_dim == width
        assert model.generator.transformer_layers[0]._feedforward_intermediate_dense.units == (
            4 * width)


def test_configs_without_the_new_fields_mean_todays_electra():
    legacy = {k: v for k, v in tiny_config().to_dict().items()
              if k not in ("objective", "training", "embedding_sharing",
                           "two_stage_generator_steps")}
    config = ElectraConfig.from_dict(legacy)
    assert (config.objective, config.training, config.embedding_sharing) == (
        "electra", "joint", "embeddings")
    assert config.diff(tiny_config()) == {}
    changed = tiny_config().diff(tiny_config(objective="mlm", embedding_sharing="embeddings"))
    assert changed == {"objective": ("electra", "mlm")}
    with pytest.raises(UsageError, match="objective must be one of"):
        tiny_config(objective="bert")
    with pytest.raises(UsageError, match="embedding_sharing"):
        tiny_config(objective="mlm", embedding_sharing="none")
