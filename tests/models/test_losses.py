"""docs/algorithm.md §4: the two losses, against hand computations in numpy."""

import numpy as np
import tensorflow as tf

from electra_tf.models import losses


def numpy_sigmoid_ce(logits, labels):
    probs = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    return -(labels * np.log(probs) + (1 - labels) * np.log(1 - probs))


def test_discriminator_loss_averages_over_all_non_pad_tokens():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 10)).astype(np.float32)
    labels = rng.integers(0, 2, size=(3, 10)).astype(np.int32)
    mask = np.zeros((3, 10), np.int32)
    mask[0, :10] = 1
    mask[1, :4] = 1  # [CLS] x [SEP] [SEP]: specials count like any token
    mask[2, :7] = 1
    labels[mask == 0] = 0

    loss = losses.replaced_token_detection_loss(logits, labels, mask).numpy()
    per_token = numpy_sigmoid_ce(logits, labels)
    # The mean over the 21 real tokens, not a mean of per-sequence means.
    expected = per_token[mask == 1].mean()
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    assert not np.isclose(expected, np.mean([per_token[r][mask[r] == 1].mean() for r in range(3)]))

    # Values at padded positions do not matter.
    noisy_logits = np.where(mask == 1, logits, 50.0).astype(np.float32)
    noisy_labels = np.where(mask == 1, labels, 1).astype(np.int32)
    noisy = losses.replaced_token_detection_loss(noisy_logits, noisy_labels, mask).numpy()
    np.testing.assert_allclose(noisy, loss, rtol=1e-6)


def test_generator_loss_is_the_weighted_mean_over_chosen_positions():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 3, 7)).astype(np.float32)
    labels = np.array([[1, 2, 0], [6, 0, 0]], np.int32)
    weights = np.array([[1, 1, 0], [1, 0, 0]], np.float32)

    loss = losses.masked_lm_loss(logits, labels, weights).numpy()
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    per_slot = -np.take_along_axis(log_probs, labels[..., None], -1)[..., 0]
    expected = (per_slot * weights).sum() / weights.sum()
    np.testing.assert_allclose(loss, expected, rtol=1e-5)

    # Padding slots do not matter, whatever their logits.
    noisy_logits = logits.copy()
    noisy_logits[weights == 0] = 100.0
    noisy = losses.masked_lm_loss(noisy_logits, labels, weights).numpy()
    np.testing.assert_allclose(noisy, loss, rtol=1e-6)


def test_sum_and_count_and_global_normalizer():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(4, 6)).astype(np.float32)
    labels = rng.integers(0, 2, size=(4, 6))
    mask = np.ones((4, 6), np.int32)
    mask[:, 4:] = 0
    loss_sum, count = losses.replaced_token_detection_loss_terms(logits, labels, mask)
    assert count.numpy() == 16.0
    # Two "replicas" holding halves of the batch, each divided by the global
    # count: their sum is the loss of the whole batch.
    halves = [
        losses.replaced_token_detection_loss(
            logits[i : i + 2], labels[i : i + 2], mask[i : i + 2], normalizer=count
        )
        for i in (0, 2)
    ]
    whole = losses.replaced_token_detection_loss(logits, labels, mask)
    np.testing.assert_allclose((halves[0] + halves[1]).numpy(), whole.numpy(), rtol=1e-6)
    np.testing.assert_allclose(whole.numpy(), loss_sum.numpy() / 16.0, rtol=1e-6)
    # Outside a strategy the cross-replica sum is the identity.
    assert losses.cross_replica_sum(count).numpy() == 16.0


def test_losses_are_float32_for_bfloat16_logits():
    logits = tf.constant(np.random.default_rng(3).normal(size=(2, 3, 5)), tf.bfloat16)
    labels = tf.zeros((2, 3), tf.int32)
    weights = tf.ones((2, 3))
    assert losses.masked_lm_loss(logits, labels, weights).dtype == tf.float32
    disc = losses.replaced_token_detection_loss(logits[..., 0], labels, tf.ones((2, 3), tf.int32))
    assert disc.dtype == tf.float32


def test_nothing_to_predict_gives_zero_not_nan():
    loss = losses.masked_lm_loss(tf.zeros((1, 2, 5)), tf.zeros((1, 2), tf.int32), tf.zeros((1, 2)))
    assert loss.numpy() == 0.0
