"""Guards that keep one bad request from crashing or stalling a model server.

Every exported signature runs these before tokenizing or calling the model:
a request with mismatched pair sizes or out-of-range ids gets an
`InvalidArgumentError` naming the problem (TF Serving returns it to that client
as INVALID_ARGUMENT), and a huge text costs no more than its first
`max_input_bytes` bytes.
"""

import tensorflow as tf

# Bytes of raw text kept per token of `sequence_length`. English WordPiece
# averages ~4-5 bytes per token and CJK 3 bytes per character-token, so 32 bytes
# a token leaves several times more text than the model can use; what is cut
# lies far beyond the truncation point for ordinary text. Text that is mostly
# whitespace or control characters (which normalization deletes) is the
# exception: it may fill fewer tokens than it would uncapped.
BYTES_PER_TOKEN = 32


def default_max_input_bytes(sequence_length):
    """The default byte cap for inputs of a model that reads `sequence_length` tokens."""
    return BYTES_PER_TOKEN * int(sequence_length)


def cap_utf8_bytes(text, max_bytes):
    """Cuts each string to at most `max_bytes` bytes at a character boundary.

    Work is bounded by `max_bytes` per string, whatever its length: only the
    prefix is scanned. Invalid UTF-8 bytes count as one character each, as in
    `tf.strings.substr(unit="UTF8_CHAR")`.

    Args:
        text: string tensor [batch].
        max_bytes: int > 0.

    Returns:
        string tensor [batch].

    Example:
    ```python
    cap_utf8_bytes(tf.constant(["héllo"]), 2)  # [b"h"]: "é" would not fit whole
    ```
    """
    prefix = tf.strings.substr(text, 0, max_bytes, unit="BYTE")
    # The prefix may end inside a character; keep only whole characters.
    chars = tf.strings.length(prefix, unit="UTF8_CHAR")
    start = tf.zeros_like(chars)
    whole = tf.strings.substr(text, start, chars, unit="UTF8_CHAR")
    shorter = tf.strings.substr(text, start, tf.maximum(chars - 1, 0), unit="UTF8_CHAR")
    capped = tf.where(tf.strings.length(whole) <= max_bytes, whole, shorter)
    return tf.where(tf.strings.length(text) <= max_bytes, text, capped)


def check_same_batch(first, second, first_name, second_name):
    """`(first, second)` once their batch sizes are checked equal.

    Without this, tf-text's round-robin trimming reads past the shorter batch
    (the process aborts or returns garbage).

    Raises:
        tf.errors.InvalidArgumentError (at run time), naming both sizes.
    """
    first_size, second_size = tf.shape(first)[0], tf.shape(second)[0]
    check = tf.debugging.Assert(
        tf.equal(first_size, second_size),
        [f"{first_name} and {second_name} must have the same batch size: {first_name} has",
         first_size, f"entries, {second_name} has", second_size])
    with tf.control_dependencies([check]):
        return tf.identity(first), tf.identity(second)


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
