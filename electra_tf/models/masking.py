"""Dynamic masking and token replacement for one ELECTRA step (docs/algorithm.md §2).

Pure TensorFlow functions, so they run inside the training graph (a fresh
draw every step, nothing baked into the data files) and compile under XLA:
every shape is fixed by the batch ([B, T]) and `max_predictions` ([B, P]),
nothing has a data-dependent size, and all randomness comes from stateless
ops driven by an explicit `seed` tensor of shape [2] (int32 or int64). The
same seed gives the same draw on every run. (XLA implements the stateless
Philox generator with a different stream layout than TensorFlow's kernels, so
an XLA-compiled step and the same step run eagerly draw different, each
reproducible, numbers.)

Positions are chosen WITHOUT replacement (the reference draws with
replacement; docs/algorithm.md §9.1): every sequence gets
exactly `n` distinct chosen positions.

Chosen positions are returned in "prediction slots" of fixed width P:
`masked_positions[b, j]` is the j-th chosen position of sequence b,
`masked_weights[b, j]` is 1.0 for a real prediction and 0.0 for a padding
slot. Padding slots point at position 0 and hold id 0; every function here
ignores them, so they never change an input or a label.

Example:
```python
# The functions name their arguments input_ids/input_mask; a batch calls them
# token_ids/padding_mask (keras-hub's names).
input_ids, input_mask = batch["token_ids"], batch["padding_mask"]
seeds = tf.random.experimental.stateless_split(step_seed, 3)
selection = choose_masked_positions(
    input_ids, input_mask, seeds[0], mask_prob=0.15, max_predictions=19,
    excluded_ids=(cls_id, sep_id, mask_id),
)
generator_input_ids = mask_for_generator(
    input_ids, selection.positions, selection.weights, mask_id, seeds[1]
)
# ... run the generator, gather logits at selection.positions ...
sampled_ids = sample_from_logits(logits, seeds[2])
disc_input_ids, labels = replace_tokens(
    input_ids, input_mask, selection.positions, selection.weights, sampled_ids
)
```
"""

import collections

import tensorflow as tf

MaskedSelection = collections.namedtuple("MaskedSelection", ["positions", "ids", "weights"])
MaskedSelection.__doc__ = """Chosen positions of a batch, in P prediction slots per sequence.

Args:
    positions: int32 [B, P]. Chosen positions; 0 in padding slots.
    ids: int32 [B, P]. Original tokens at the chosen positions (the generator's
        labels); 0 in padding slots.
    weights: float32 [B, P]. 1.0 for a real prediction, 0.0 for a padding slot.
"""


def candidates_mask(input_ids, input_mask, excluded_ids):
    """Which tokens may be chosen for prediction (docs/algorithm.md §2.1, `get_candidates_mask`).

    Every non-pad token except the special tokens in `excluded_ids`.

    Args:
        input_ids: int [B, T]. Token ids.
        input_mask: int [B, T]. 1 for real tokens (special tokens included),
            0 for padding.
        excluded_ids: iterable of int. Ids never chosen: [CLS], [SEP] and
            [MASK] (passing [PAD] too is harmless). Look them up in the
            vocabulary; a BERT `vocab.txt` has [CLS]=101, not 2.

    Returns:
        bool [B, T].

    Example:
    ```python
    candidates = candidates_mask(input_ids, input_mask, (cls_id, sep_id, mask_id))
    ```
    """
    input_ids = tf.convert_to_tensor(input_ids)
    candidates = tf.cast(input_mask, tf.bool)
    for token_id in excluded_ids:
        candidates &= tf.not_equal(input_ids, tf.cast(token_id, input_ids.dtype))
    return candidates


def num_to_predict(input_mask, candidates, mask_prob, max_predictions):
    """How many positions to choose in each sequence (docs/algorithm.md §2.2).

    n = max(1, min(max_predictions, round(num_real_tokens * mask_prob))), with
    num_real_tokens = sum(input_mask) ([CLS]/[SEP] included), then capped at
    the number of candidates so a short sequence never gets a position twice
    (a sequence with no candidate at all gets 0). The product is rounded in
    float32 with round-half-to-even, exactly as the reference `tf.round` does
    (so 30 tokens at 0.15 give 5, where float64 arithmetic would give 4).

    Args:
        input_mask: int [B, T]. 1 for real tokens, 0 for padding.
        candidates: bool [B, T]. From `candidates_mask`.
        mask_prob: float. Fraction of real tokens to predict.
        max_predictions: int. P, the reference `max_predictions_per_seq`.

    Returns:
        int32 [B].

    Example:
    ```python
    n = num_to_predict(input_mask, candidates, 0.15, 19)
    ```
    """
    num_tokens = tf.reduce_sum(tf.cast(input_mask, tf.float32), axis=-1)
    n = tf.cast(tf.round(num_tokens * tf.cast(mask_prob, tf.float32)), tf.int32)
    n = tf.maximum(1, tf.minimum(int(max_predictions), n))
    num_candidates = tf.reduce_sum(tf.cast(candidates, tf.int32), axis=-1)
    return tf.minimum(n, num_candidates)


def choose_masked_positions(
    input_ids, input_mask, seed, mask_prob, max_predictions, excluded_ids
):
    """Chooses the positions to predict, without replacement (docs/algorithm.md §2.1-§2.3).

    Each candidate gets a uniform random score and the `n` highest-scoring
    candidates of each sequence are chosen: a uniformly random subset of size
    `n`, found by one `top_k` of fixed size P instead of a data-dependent
    `tf.where`, so the shapes stay static for XLA.

    Args:
        input_ids: int [B, T]. Token ids.
        input_mask: int [B, T]. 1 for real tokens, 0 for padding.
        seed: int32/int64 [2]. Stateless seed; change it every step.
        mask_prob: float. Fraction of real tokens to predict.
        max_predictions: int. P, the number of prediction slots.
        excluded_ids: iterable of int. [CLS], [SEP], [MASK] ids.

    Returns:
        `MaskedSelection(positions, ids, weights)`, each [B, P].

    Example:
    ```python
    selection = choose_masked_positions(
        input_ids, input_mask, tf.constant([7, 0]), 0.15, 19, (101, 102, 103)
    )
    ```
    """
    input_ids = tf.convert_to_tensor(input_ids)
    max_predictions = int(max_predictions)
    candidates = candidates_mask(input_ids, input_mask, excluded_ids)
    n = num_to_predict(input_mask, candidates, mask_prob, max_predictions)

    # Scores are in [0, 1) for candidates and -1 elsewhere, so the first n of
    # the top_k are always candidates (n never exceeds their count). P columns
    # of -1 are appended so top_k is valid even when T < P.
    scores = tf.random.stateless_uniform(tf.shape(input_ids), seed=seed, dtype=tf.float32)
    scores = tf.where(candidates, scores, -1.0)
    scores = tf.pad(scores, [[0, 0], [0, max_predictions]], constant_values=-1.0)
    _, positions = tf.math.top_k(scores, k=max_predictions, sorted=True)

    is_real = tf.range(max_predictions)[tf.newaxis, :] < n[:, tf.newaxis]
    positions = tf.where(is_real, tf.cast(positions, tf.int32), 0)
    ids = tf.gather(input_ids, positions, batch_dims=1)
    ids = tf.where(is_real, tf.cast(ids, tf.int32), 0)
    weights = tf.cast(is_real, tf.float32)
    return MaskedSelection(positions=positions, ids=ids, weights=weights)


def _scatter_slots(input_ids, positions, weights, values):
    """Writes `values` [B, P] at `positions` in a copy of `input_ids` [B, T].

    Padding slots (weight 0) are dropped. The scatter ADDS into zeros with the
    padding slots contributing 0, instead of `tensor_scatter_nd_update`,
    because padding slots all point at position 0, which may also be a real
    chosen position: with an update the winner of such a duplicate index is
    unspecified, with a sum it is always the real slot.
    """
    input_ids = tf.convert_to_tensor(input_ids)
    shape = tf.shape(input_ids)
    is_real = tf.cast(weights > 0, input_ids.dtype)
    batch_index = tf.broadcast_to(tf.range(shape[0])[:, tf.newaxis], tf.shape(positions))
    indices = tf.stack([batch_index, tf.cast(positions, tf.int32)], axis=-1)
    chosen = tf.scatter_nd(indices, is_real, shape) > 0
    written = tf.scatter_nd(indices, tf.cast(values, input_ids.dtype) * is_real, shape)
    return tf.where(chosen, written, input_ids)


def chosen_positions_mask(input_ids, masked_positions, masked_weights):
    """The chosen positions as a [B, T] 0/1 mask (for losses over them only).

    Args:
        input_ids: int [B, T]. Gives the shape.
        masked_positions: int32 [B, P]. Chosen positions.
        masked_weights: float32 [B, P]. 0 marks padding slots, ignored.

    Returns:
        int32 [B, T]: 1 at the chosen positions.

    Example:
    ```python
    weights = chosen_positions_mask(input_ids, selection.positions, selection.weights)
    ```
    """
    zeros = tf.zeros_like(tf.convert_to_tensor(input_ids), dtype=tf.int32)
    ones = tf.ones(tf.shape(masked_positions), tf.int32)
    return _scatter_slots(zeros, masked_positions, masked_weights, ones)


def mask_for_generator(
    input_ids, masked_positions, masked_weights, mask_id, seed, mask_token_prob=0.85
):
    """Builds the generator input (docs/algorithm.md §2.4).

    Each chosen position becomes [MASK] with probability `mask_token_prob`
    and keeps its original token otherwise. No random-token replacement.

    Args:
        input_ids: int [B, T]. Original token ids.
        masked_positions: int32 [B, P]. From `choose_masked_positions`.
        masked_weights: float32 [B, P]. 0 marks padding slots, left untouched.
        mask_id: int. The [MASK] id.
        seed: int32/int64 [2]. Stateless seed, distinct from the one that
            chose the positions.
        mask_token_prob: float. Probability of showing [MASK].

    Returns:
        Tensor like `input_ids`.

    Example:
    ```python
    generator_input_ids = mask_for_generator(
        input_ids, selection.positions, selection.weights, mask_id, seed
    )
    ```
    """
    input_ids = tf.convert_to_tensor(input_ids)
    draw = tf.random.stateless_uniform(tf.shape(masked_positions), seed=seed, dtype=tf.float32)
    show_mask = tf.cast(draw < mask_token_prob, tf.float32) * masked_weights
    mask_ids = tf.fill(tf.shape(masked_positions), tf.cast(mask_id, input_ids.dtype))
    return _scatter_slots(input_ids, masked_positions, show_mask, mask_ids)


def mask_for_mlm(
    input_ids,
    masked_positions,
    masked_weights,
    mask_id,
    vocab_size,
    seed,
    mask_token_prob=0.8,
    random_token_prob=0.1,
):
    """Builds the input of the BERT baseline (objective "mlm", docs/algorithm.md §6.2).

    Each chosen position becomes [MASK] with probability `mask_token_prob`,
    a token drawn uniformly from the whole vocabulary with probability
    `random_token_prob` (BERT's rule: it may draw the original token or a
    special token), and keeps its token otherwise.

    Args:
        input_ids: int [B, T]. Original token ids.
        masked_positions: int32 [B, P]. From `choose_masked_positions`.
        masked_weights: float32 [B, P]. 0 marks padding slots, left untouched.
        mask_id: int. The [MASK] id.
        vocab_size: int. Random tokens are drawn from [0, vocab_size).
        seed: int32/int64 [2]. Stateless seed.
        mask_token_prob: float. Probability of [MASK] (BERT: 0.8).
        random_token_prob: float. Probability of a random token (BERT: 0.1).

    Returns:
        Tensor like `input_ids`.

    Example:
    ```python
    mlm_input_ids = mask_for_mlm(
        input_ids, selection.positions, selection.weights, mask_id, 30522, seed
    )
    ```
    """
    input_ids = tf.convert_to_tensor(input_ids)
    choice_seed, token_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    draw = tf.random.stateless_uniform(
        tf.shape(masked_positions), seed=choice_seed, dtype=tf.float32)
    random_ids = tf.random.stateless_uniform(
        tf.shape(masked_positions), seed=token_seed, minval=0, maxval=int(vocab_size),
        dtype=tf.int32)
    originals = tf.gather(input_ids, masked_positions, batch_dims=1)
    values = tf.where(
        draw < mask_token_prob,
        tf.cast(mask_id, input_ids.dtype),
        tf.where(draw < mask_token_prob + random_token_prob,
                 tf.cast(random_ids, input_ids.dtype), originals),
    )
    return _scatter_slots(input_ids, masked_positions, masked_weights, values)


def sample_from_logits(logits, seed, temperature=1.0, disallowed_ids=None):
    """Samples one token per row with the Gumbel-max trick (docs/algorithm.md §2.6).

    argmax(logits / temperature + Gumbel noise) is an exact sample from
    softmax(logits / temperature), without normalising over the vocabulary.
    The logits are wrapped in `stop_gradient`: sampling is not differentiable
    and no gradient may reach the generator through the samples (docs/algorithm.md §4.3).

    Args:
        logits: float [..., V]. Generator logits (computed in float32 here).
        seed: int32/int64 [2]. Stateless seed.
        temperature: float. Values below 1 sharpen, above 1 flatten.
        disallowed_ids: optional int [...]. One id per row that must not be
            sampled (`disallow_correct`: the original token). It gets the
            lowest float32 logit, which no Gumbel noise (always within
            [-4, 17] here) can lift above any finite logit.

    Returns:
        int32 [...].

    Example:
    ```python
    sampled_ids = sample_from_logits(gen_logits, seed, temperature=1.0)
    ```
    """
    logits = tf.stop_gradient(tf.cast(logits, tf.float32)) / temperature
    if disallowed_ids is not None:
        vocab_size = tf.shape(logits)[-1]
        disallow = tf.one_hot(disallowed_ids, vocab_size, on_value=True, off_value=False)
        logits = tf.where(disallow, tf.float32.min, logits)
    # minval > 0 keeps both logs finite.
    uniform = tf.random.stateless_uniform(
        tf.shape(logits), seed=seed, minval=1e-20, maxval=1.0, dtype=tf.float32
    )
    gumbel = -tf.math.log(-tf.math.log(uniform))
    return tf.argmax(logits + gumbel, axis=-1, output_type=tf.int32)


def replace_tokens(input_ids, input_mask, masked_positions, masked_weights, sampled_ids):
    """Builds the discriminator input and its labels (docs/algorithm.md §2.7).

    The original sequence with the sampled tokens written at every chosen
    position (also those not shown as [MASK]). A position is labelled
    replaced only where its token differs from the original, so a position
    where the generator sampled the original token is labelled original.

    Args:
        input_ids: int [B, T]. Original token ids.
        input_mask: int [B, T]. 1 for real tokens; padding is always 0.
        masked_positions: int32 [B, P]. Chosen positions.
        masked_weights: float32 [B, P]. 0 marks padding slots, ignored.
        sampled_ids: int [B, P]. Generator samples.

    Returns:
        `(disc_input_ids, labels)`: a tensor like `input_ids`, and int32
        [B, T] labels, 1 for replaced, 0 for original or padding.

    Example:
    ```python
    disc_input_ids, labels = replace_tokens(
        input_ids, input_mask, selection.positions, selection.weights, sampled_ids
    )
    ```
    """
    input_ids = tf.convert_to_tensor(input_ids)
    disc_input_ids = _scatter_slots(input_ids, masked_positions, masked_weights, sampled_ids)
    labels = tf.cast(tf.not_equal(disc_input_ids, input_ids), tf.int32)
    return disc_input_ids, labels * tf.cast(input_mask, tf.int32)
