"""Guards that keep one bad request from crashing or stalling a model server.

Every exported signature runs these before calling the model: a request with
out-of-range ids gets an `InvalidArgumentError` naming the problem (TF Serving
returns it to that client as INVALID_ARGUMENT). The text-side guards (pair
sizes, the byte cap) live in `text.input_limits`, where text is tokenized.
"""

import tensorflow as tf


def check_model_inputs(token_ids, segment_ids, padding_mask, vocab_size, num_segments,
                       max_length):
    """Already-tokenized inputs, once checked; out-of-range ids would otherwise
    read the wrong embedding row (CPU gathers do not fail on them everywhere).

    Args:
        token_ids, segment_ids, padding_mask: int32 [batch, length].
        vocab_size: int. Token ids must lie in [0, vocab_size).
        num_segments: int. Segment ids must lie in [0, num_segments).
        max_length: int. The model's position table size.

    Returns:
        the three tensors, dependent on the checks.

    Raises:
        tf.errors.InvalidArgumentError (at run time) naming the input at fault.
    """
    shape = tf.shape(token_ids)
    checks = [
        tf.debugging.Assert(tf.reduce_all(tf.equal(tf.shape(segment_ids), shape)),
                            ["segment_ids must have token_ids' shape", shape, "got",
                             tf.shape(segment_ids)]),
        tf.debugging.Assert(tf.reduce_all(tf.equal(tf.shape(padding_mask), shape)),
                            ["padding_mask must have token_ids' shape", shape, "got",
                             tf.shape(padding_mask)]),
        tf.debugging.Assert(shape[1] <= max_length,
                            [f"token_ids may have at most {max_length} positions, got",
                             shape[1]]),
        tf.debugging.Assert(tf.reduce_all((token_ids >= 0) & (token_ids < vocab_size)),
                            [f"token_ids must lie in [0, {vocab_size}); min/max given:",
                             tf.reduce_min(token_ids), tf.reduce_max(token_ids)]),
        tf.debugging.Assert(tf.reduce_all((segment_ids >= 0) & (segment_ids < num_segments)),
                            [f"segment_ids must lie in [0, {num_segments}); min/max given:",
                             tf.reduce_min(segment_ids), tf.reduce_max(segment_ids)]),
        tf.debugging.Assert(tf.reduce_all((padding_mask == 0) | (padding_mask == 1)),
                            ["padding_mask must be 0 or 1"]),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(token_ids), tf.identity(segment_ids), tf.identity(padding_mask)
