"""The All-Tokens MLM copy mechanism (paper §3.2 / Table 5, docs/algorithm.md §6.2).

The encoder predicts the identity of EVERY input token. A sigmoid copy
probability D per token says "the input token is the original"; the
prediction is the mixture

    p(x_t = v) = D_t * onehot(input_t)[v] + (1 - D_t) * softmax(mlm_logits_t)[v].

The loss is its negative log-likelihood of the original token at every real
token, computed in log space (log D and log(1 - D) from the logit,
log-softmax from the logits), so neither a confident D nor a tiny softmax
probability underflows to log(0).
"""

import tensorflow as tf


def copy_mechanism_distribution(copy_logits, input_ids, mlm_logits):
    """The mixture distribution itself (for inspection and tests).

    Args:
        copy_logits: float [B, T]. D = sigmoid(copy_logits).
        input_ids: int [B, T]. The tokens the encoder read.
        mlm_logits: float [B, T, V]. The encoder's MLM logits at every position.

    Returns:
        float32 [B, T, V]: D * onehot(input) + (1 - D) * softmax(mlm_logits).

    Example:
    ```python
    probs = copy_mechanism_distribution(copy_logits, disc_input_ids, mlm_logits)
    ```
    """
    mlm_logits = tf.cast(mlm_logits, tf.float32)
    copy = tf.sigmoid(tf.cast(copy_logits, tf.float32))[..., tf.newaxis]
    onehot = tf.one_hot(input_ids, tf.shape(mlm_logits)[-1], dtype=tf.float32)
    return copy * onehot + (1.0 - copy) * tf.nn.softmax(mlm_logits, axis=-1)


def copy_mechanism_log_likelihood(copy_logits, input_ids, mlm_logits, labels):
    """log p(labels) under `copy_mechanism_distribution`, in log space.

    Args:
        copy_logits: float [B, T]. D = sigmoid(copy_logits).
        input_ids: int [B, T]. The tokens the encoder read.
        mlm_logits: float [B, T, V]. MLM logits at every position.
        labels: int [B, T]. The original tokens.

    Returns:
        float32 [B, T].

    Example:
    ```python
    log_p = copy_mechanism_log_likelihood(copy_logits, disc_input_ids, logits, token_ids)
    ```
    """
    copy_logits = tf.cast(copy_logits, tf.float32)
    log_copy = tf.math.log_sigmoid(copy_logits)
    log_generate = tf.math.log_sigmoid(-copy_logits)
    log_softmax = -tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.cast(mlm_logits, tf.float32))
    generated = log_generate + log_softmax
    copied = tf.equal(tf.cast(input_ids, tf.int32), tf.cast(labels, tf.int32))
    return tf.where(copied, tf.experimental.numpy.logaddexp(log_copy, generated), generated)


def copy_mechanism_loss_terms(copy_logits, input_ids, mlm_logits, labels, weights):
    """All-Tokens MLM loss as `(sum, count)`: NLL of the originals under the mixture.

    Args:
        copy_logits: float [B, T]. D = sigmoid(copy_logits).
        input_ids: int [B, T]. The tokens the encoder read.
        mlm_logits: float [B, T, V]. MLM logits at every position.
        labels: int [B, T]. The original tokens.
        weights: [B, T]. 1 for the tokens to predict (every real token).

    Returns:
        `(loss_sum, count)`, float32 scalars.

    Example:
    ```python
    loss_sum, count = copy_mechanism_loss_terms(
        copy_logits, disc_input_ids, mlm_logits, token_ids, padding_mask)
    ```
    """
    weights = tf.cast(weights, tf.float32)
    log_p = copy_mechanism_log_likelihood(copy_logits, input_ids, mlm_logits, labels)
    return -tf.reduce_sum(log_p * weights), tf.reduce_sum(weights)
