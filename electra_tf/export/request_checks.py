"""Guards that keep one bad request from crashing or stalling a model server.

Every exported signature runs these before tokenizing or calling the model:
a request with mismatched pair sizes or out-of-range ids gets an
`InvalidArgumentError` naming the problem (TF Serving returns it to that client
as INVALID_ARGUMENT), and a huge text costs no more than its first
`max_input_bytes` bytes.
"""

import tensorflow as tf

# Where the text-side guards live (they run wherever text is tokenized).
from electra_tf.text.input_limits import BYTES_PER_TOKEN  # noqa: E402,F401
from electra_tf.text.input_limits import cap_utf8_bytes  # noqa: E402,F401
from electra_tf.text.input_limits import check_same_batch  # noqa: E402,F401
from electra_tf.text.input_limits import default_max_input_bytes  # noqa: E402,F401


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
