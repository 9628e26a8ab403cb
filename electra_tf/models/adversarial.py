"""Adversarial generator training (`training="adversarial"`, paper Appendix F).

The generator is trained to MAXIMISE the discriminator's RTD loss on the
tokens it sampled, by REINFORCE instead of maximum likelihood (sampling is
not differentiable). As in the paper:

- each sampled position t is its own action (the paper's simplifying
  assumption: the discriminator's verdict on t depends on x̂_t and the
  unreplaced context only), with reward R_t = the discriminator's sigmoid
  cross-entropy at t, -log D(original) if x̂_t equals the original and
  -log D(replaced) otherwise (under stop_gradient);
- the baseline is learned: b_t = -log sigmoid(w^T h_G(x^masked)_t), from the
  generator's encoder output at t, trained with a sigmoid cross-entropy whose
  target is exp(-R_t) (minimised when b_t = R_t);
- the generator minimises -(R_t - b_t) * log p_G(x̂_t), averaged over the
  chosen positions (one sample per position).

Implementation choices: the baseline reads the generator's hidden state under
stop_gradient, so only w (and its bias) learn from the baseline loss and the
generator learns from the reward alone; the baseline loss is added to the
total with weight 1; the generator's maximum-likelihood loss is still
computed and logged (gen_loss, gen_accuracy) but not trained on.
"""

import keras
import tensorflow as tf

from electra_tf.models.discriminator import INITIALIZER_STDDEV


@keras.saving.register_keras_serializable(package="electra_tf")
class AdversarialBaseline(keras.layers.Layer):
    """The learned REINFORCE baseline: logit z_t = w^T h_t + c, b_t = -log sigmoid(z_t).

    Args:
        **kwargs: passed to `keras.layers.Layer` (name, dtype, ...).

    Call args:
        hidden_states: float [B, T, H]. Generator sequence output.
        positions: int [B, P]. The chosen positions.

    Returns:
        float32 [B, P] logits z (stop_gradient on `hidden_states`).

    Example:
    ```python
    baseline = AdversarialBaseline(name="adversarial_baseline")
    z = baseline(generator_hidden, selection.positions)
    b = baseline_value(z)
    ```
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(
            1, kernel_initializer=keras.initializers.TruncatedNormal(stddev=INITIALIZER_STDDEV),
            dtype="float32", name="dense")

    def build(self, hidden_states_shape, positions_shape=None):
        self.dense.build((None, None, hidden_states_shape[-1]))
        self.built = True

    def call(self, hidden_states, positions):
        gathered = tf.gather(tf.stop_gradient(hidden_states), tf.cast(positions, tf.int32),
                             batch_dims=1)
        return tf.squeeze(self.dense(tf.cast(gathered, tf.float32)), axis=-1)


def baseline_value(baseline_logits):
    """b = -log sigmoid(z): the expected reward the baseline predicts, in [0, inf)."""
    return -tf.math.log_sigmoid(tf.cast(baseline_logits, tf.float32))


def rtd_rewards(disc_logits, disc_labels, positions):
    """R_t: the discriminator's sigmoid cross-entropy at each chosen position (no gradient).

    Args:
        disc_logits: float [B, T]. Discriminator logits (replaced = positive).
        disc_labels: int [B, T]. 1 replaced, 0 original.
        positions: int [B, P]. Chosen positions.

    Returns:
        float32 [B, P].

    Example:
    ```python
    rewards = rtd_rewards(disc_logits, disc_labels, selection.positions)
    ```
    """
    per_token = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.cast(disc_labels, tf.float32), logits=tf.cast(disc_logits, tf.float32))
    return tf.stop_gradient(tf.gather(per_token, tf.cast(positions, tf.int32), batch_dims=1))


def policy_gradient_loss_terms(gen_logits, sampled_ids, rewards, baselines, weights):
    """REINFORCE loss as `(sum, count)`: -sum (R - b) log p_G(sampled).

    Its gradient is minus the policy gradient of the expected reward:
    descending it makes a sample with R > b more likely and one with R < b
    less likely.

    Args:
        gen_logits: float [B, P, V]. Generator logits at the chosen positions.
        sampled_ids: int [B, P]. The tokens sampled from them.
        rewards: float [B, P]. R_t (`rtd_rewards`).
        baselines: float [B, P]. b_t (`baseline_value`).
        weights: float [B, P]. 1 for real prediction slots.

    Returns:
        `(loss_sum, count)`, float32 scalars.

    Example:
    ```python
    loss_sum, count = policy_gradient_loss_terms(
        gen_logits, sampled_ids, rewards, baseline_value(z), selection.weights)
    ```
    """
    weights = tf.cast(weights, tf.float32)
    log_p = -tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(sampled_ids, tf.int32), logits=tf.cast(gen_logits, tf.float32))
    advantage = tf.stop_gradient(tf.cast(rewards, tf.float32) - tf.cast(baselines, tf.float32))
    return -tf.reduce_sum(advantage * log_p * weights), tf.reduce_sum(weights)


def baseline_loss_terms(baseline_logits, rewards, weights):
    """Baseline loss as `(sum, count)`: sigmoid cross-entropy of z against exp(-R).

    Args:
        baseline_logits: float [B, P]. z.
        rewards: float [B, P]. R_t.
        weights: float [B, P]. 1 for real prediction slots.

    Returns:
        `(loss_sum, count)`, float32 scalars.

    Example:
    ```python
    loss_sum, count = baseline_loss_terms(z, rewards, selection.weights)
    ```
    """
    weights = tf.cast(weights, tf.float32)
    target = tf.exp(-tf.stop_gradient(tf.cast(rewards, tf.float32)))
    per_slot = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=target, logits=tf.cast(baseline_logits, tf.float32))
    return tf.reduce_sum(per_slot * weights), tf.reduce_sum(weights)
