"""The two ELECTRA losses (docs/algorithm.md §4), in float32 whatever the compute dtype.

Generator: softmax cross-entropy averaged over the chosen positions.
Discriminator: sigmoid cross-entropy averaged over all non-pad tokens,
[CLS]/[SEP] included.

Both are means over a variable number of terms (masked slots, real tokens).
With several replicas, averaging each replica's mean and then the replicas
is NOT the global mean when replicas hold different numbers of terms. So each
loss comes in two forms:

- `*_loss_terms(...)` returns `(loss_sum, count)` for one replica;
- `*_loss(..., normalizer=None)` returns `loss_sum / normalizer`, where the
  normalizer defaults to the local count.

For the exact global mean under `tf.distribute`, pass the count summed over
all replicas as `normalizer` (`cross_replica_sum(count)` inside the replica
function does it) and SUM the replicas' losses and gradients (do not average
them again): sum_r (sum_r / N_global) = global mean.

Example:
```python
loss_sum, count = masked_lm_loss_terms(logits, masked_ids, masked_weights)
loss = masked_lm_loss(
    logits, masked_ids, masked_weights, normalizer=cross_replica_sum(count)
)
```
"""

import tensorflow as tf


def cross_replica_sum(value):
    """Sums `value` over the replicas of the current `tf.distribute` strategy.

    Call it inside the replica function (`strategy.run`). Outside any strategy,
    or with a single replica, returns `value` unchanged. The result is wrapped in
    `stop_gradient`: it is a normalizer, not something to differentiate.

    Args:
        value: float tensor. A per-replica count.

    Returns:
        Tensor like `value`.

    Example:
    ```python
    normalizer = cross_replica_sum(tf.reduce_sum(masked_weights))
    ```
    """
    value = tf.stop_gradient(value)
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.SUM, value)


def _normalize(loss_sum, count, normalizer):
    if normalizer is None:
        normalizer = count
    # divide_no_nan: a batch with nothing to predict contributes 0, not NaN.
    return tf.math.divide_no_nan(loss_sum, tf.cast(normalizer, tf.float32))


def masked_lm_loss_terms(logits, labels, weights):
    """Generator loss as `(sum, count)` over the chosen positions.

    Args:
        logits: float [B, P, V]. Generator logits at the chosen positions.
        labels: int [B, P]. Original tokens.
        weights: float [B, P]. 1 for real predictions, 0 for padding slots.

    Returns:
        `(loss_sum, count)`, float32 scalars.

    Example:
    ```python
    loss_sum, count = masked_lm_loss_terms(gen_logits, masked_ids, masked_weights)
    ```
    """
    weights = tf.cast(weights, tf.float32)
    per_slot = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.cast(logits, tf.float32)
    )
    return tf.reduce_sum(per_slot * weights), tf.reduce_sum(weights)


def masked_lm_loss(logits, labels, weights, normalizer=None):
    """Generator loss: weighted mean softmax cross-entropy (docs/algorithm.md §4.1).

    Args:
        logits: float [B, P, V]. Generator logits at the chosen positions.
        labels: int [B, P]. Original tokens.
        weights: float [B, P]. 1 for real predictions, 0 for padding slots.
        normalizer: optional float scalar. Divides the summed loss; default
            the local sum of `weights`. Pass the global count for
            distributed training (see the module docstring).

    Returns:
        float32 scalar.

    Example:
    ```python
    loss = masked_lm_loss(gen_logits, masked_ids, masked_weights)
    ```
    """
    loss_sum, count = masked_lm_loss_terms(logits, labels, weights)
    return _normalize(loss_sum, count, normalizer)


def replaced_token_detection_loss_terms(logits, labels, input_mask):
    """Discriminator loss as `(sum, count)` over the non-pad tokens.

    Args:
        logits: float [B, T]. Discriminator logits (replaced = positive).
        labels: int [B, T]. 1 replaced, 0 original.
        input_mask: int [B, T]. 1 for real tokens; padding is ignored.

    Returns:
        `(loss_sum, count)`, float32 scalars.

    Example:
    ```python
    loss_sum, count = replaced_token_detection_loss_terms(
        disc_logits, disc_labels, input_mask
    )
    ```
    """
    weights = tf.cast(input_mask, tf.float32)
    per_token = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.float32), logits=tf.cast(logits, tf.float32)
    )
    return tf.reduce_sum(per_token * weights), tf.reduce_sum(weights)


def replaced_token_detection_loss(logits, labels, input_mask, normalizer=None):
    """Discriminator loss: mean sigmoid cross-entropy over non-pad tokens.

    [CLS] and [SEP] count like any real token (docs/algorithm.md §4.2); padding does not
    affect the value.

    Args:
        logits: float [B, T]. Discriminator logits (replaced = positive).
        labels: int [B, T]. 1 replaced, 0 original.
        input_mask: int [B, T]. 1 for real tokens; padding is ignored.
        normalizer: optional float scalar. Divides the summed loss; default
            the local number of real tokens. Pass the global count for
            distributed training (see the module docstring).

    Returns:
        float32 scalar.

    Example:
    ```python
    loss = replaced_token_detection_loss(disc_logits, disc_labels, input_mask)
    ```
    """
    loss_sum, count = replaced_token_detection_loss_terms(logits, labels, input_mask)
    return _normalize(loss_sum, count, normalizer)
