"""Limits on raw text inputs: a byte cap, and equal batch sizes for text pairs.

Whatever tokenizes a request (`packing.TextPacker`, the tagger's and question
answerer's word splits) reads at most `max_input_bytes` of each text, so a huge
request costs no more than a long one, and checks that the two texts of a pair
come in equal numbers.
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
