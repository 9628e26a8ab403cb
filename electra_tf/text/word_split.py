"""Text -> words with byte offsets, split exactly where the tokenizer splits.

The tagger and the question answerer tokenize each word on its own, so that a
span of wordpieces maps back to a span of the ORIGINAL string (casing, accents
and spacing survive although the tokenizer lowercases and strips accents).
Words break at BERT's whitespace, and every punctuation character and (with
`split_on_cjk`) every CJK ideograph is a word of its own, exactly as the
WordPiece tokenizer pre-splits: "Merkel's" is three words, "東京" two.
Control characters are not delimiters: normalization deletes them, joining
their neighbours, as BERT does.
"""

import tensorflow as tf
import tensorflow_text as tf_text

from electra_tf.text import characters


def split_words_with_offsets(text, split_on_cjk=True):
    """Words of each text and their BYTE offsets (begin, end exclusive).

    Args:
        text: string tensor [batch].
        split_on_cjk: bool. Each CJK ideograph is its own word (as the
            tokenizer's `split_on_cjk`).

    Returns:
        `(words, begins, ends)`: `tf.RaggedTensor`s [batch, (words)].

    Example:
    ```python
    words, begins, ends = split_words_with_offsets(tf.constant(["Hi, Zoë!"]))
    # words [[b"Hi", b",", b"Zo\\xc3\\xab", b"!"]], begins [[0, 2, 4, 8]]
    ```
    """
    keep = f"{characters.PUNCTUATION}|{characters.CJK}" if split_on_cjk else characters.PUNCTUATION
    return tf_text.regex_split_with_offsets(text, f"{characters.SPACE}|{keep}", keep)


def byte_to_char_offsets(text, byte_offsets):
    """Byte offsets into each UTF-8 text -> Unicode character offsets.

    A byte offset at a character boundary maps to the number of characters
    before it (invalid UTF-8 bytes count as one character each).

    Args:
        text: string tensor [batch].
        byte_offsets: int [batch, n] (dense).

    Returns:
        int32 [batch, n].

    Example:
    ```python
    byte_to_char_offsets(tf.constant(["Zoë!"]), tf.constant([[4]]))  # [[3]]
    ```
    """
    _, char_starts = tf.strings.unicode_decode_with_offsets(
        text, "UTF-8", errors="replace")
    char_starts = char_starts.to_tensor(default_value=tf.int64.max)
    return tf.searchsorted(char_starts, tf.cast(byte_offsets, tf.int64), side="left",
                           out_type=tf.int32)
