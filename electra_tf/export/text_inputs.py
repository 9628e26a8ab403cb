"""Raw text -> packed model inputs, inside the graph (what exported models run).

Tokenizing in the SavedModel means a client sends strings and can never use a
different vocabulary or normalization than the model was trained with.
"""

import keras_hub
import tensorflow as tf

from electra_tf.export.request_checks import cap_utf8_bytes
from electra_tf.export.request_checks import check_same_batch
from electra_tf.export.request_checks import default_max_input_bytes
from electra_tf.text import special_tokens


class TextPacker(tf.Module):
    """Tokenizes one or two texts and packs `[CLS] A [SEP] (B [SEP])`, padded.

    Over-long inputs are truncated (round robin between the two segments) to
    `sequence_length`; nothing errors on long text. Each text is first cut to
    `max_input_bytes` bytes (at a character boundary) so that tokenizing a huge
    request costs no more than tokenizing a long one. Pairs must have equal
    batch sizes (`InvalidArgumentError` otherwise).

    Args:
        tokenizer: `ElectraTokenizer`.
        sequence_length: int. Output length L.
        max_input_bytes: int or None. Bytes of each text read; None:
            `request_checks.default_max_input_bytes(sequence_length)`.

    Example:
    ```python
    packer = TextPacker(tokenizer, 128)
    token_ids, segment_ids, padding_mask = packer(tf.constant(["Hello world"]))
    ```
    """

    def __init__(self, tokenizer, sequence_length, max_input_bytes=None, name=None):
        super().__init__(name=name)
        self.tokenizer = tokenizer
        self.sequence_length = int(sequence_length)
        self.max_input_bytes = int(max_input_bytes or default_max_input_bytes(sequence_length))
        self.mask_id = tokenizer.mask_id
        self.pad_id = tokenizer.pad_id
        self.packer = keras_hub.layers.MultiSegmentPacker(
            sequence_length=self.sequence_length,
            start_value=tokenizer.cls_id,
            end_value=tokenizer.sep_id,
            pad_value=tokenizer.pad_id,
            truncate="round_robin",
        )

    def cap(self, text):
        """Each text cut to `max_input_bytes` bytes."""
        return cap_utf8_bytes(text, self.max_input_bytes)

    def __call__(self, text, text_pair=None):
        if text_pair is not None:
            text, text_pair = check_same_batch(text, text_pair, "text", "text_pair")
        segments = [self.tokenizer.tokenize(self.cap(text))]
        if text_pair is not None:
            segments.append(self.tokenizer.tokenize(self.cap(text_pair)))
        return self._pack(segments)

    def tokenize_with_masks(self, text):
        """Like `__call__` for one segment, but each literal "[MASK]" becomes the
        [MASK] id (the tokenizer alone would split it into "[", "mask", "]")."""
        pieces = tf.strings.split(self.cap(text), sep=special_tokens.MASK)  # [B, (pieces)]
        ids = self.tokenizer.tokenize(pieces.flat_values)  # [P, (tokens)]
        # Every piece but the last of its row is followed by a [MASK].
        row_lengths = pieces.row_lengths()
        is_last = tf.equal(
            tf.ragged.range(row_lengths).flat_values + 1,
            tf.repeat(row_lengths, row_lengths),
        )
        mask_suffix = tf.RaggedTensor.from_row_lengths(
            tf.fill([tf.reduce_sum(1 - tf.cast(is_last, tf.int64))], tf.cast(self.mask_id, ids.dtype)),
            1 - tf.cast(is_last, tf.int64),
        )
        ids = tf.concat([ids, mask_suffix], axis=1)
        ids = tf.RaggedTensor.from_row_splits(ids, pieces.row_splits).merge_dims(1, 2)
        return self._pack([ids])

    def _pack(self, segments):
        token_ids, segment_ids = self.packer(tuple(segments) if len(segments) > 1 else segments[0])
        token_ids = tf.cast(token_ids, tf.int32)
        segment_ids = tf.cast(segment_ids, tf.int32)
        padding_mask = tf.cast(tf.not_equal(token_ids, self.pad_id), tf.int32)
        return token_ids, segment_ids, padding_mask
