"""Text -> packed model inputs, inside the graph (training input pipelines and
exported models run the same code).

`TextPacker` packs one or two texts `[CLS] A [SEP] (B [SEP])`; `WordPacker`
packs pre-split words and says where each word's first wordpiece lands (token
classification). Both return keras-hub-style dicts (`token_ids`,
`segment_ids`, `padding_mask`), the backbone's inputs. Tokenizing in the
SavedModel means a client sends strings and can never use a different
vocabulary or normalization than the model was trained with.
"""

import keras_hub
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.text import special_tokens
from electra_tf.text.input_limits import cap_utf8_bytes
from electra_tf.text.input_limits import check_same_batch
from electra_tf.text.input_limits import default_max_input_bytes


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
            `input_limits.default_max_input_bytes(sequence_length)`.

    Call args:
        text: string tensor [batch].
        text_pair: string tensor [batch] or None.

    Returns:
        dict of int32 [batch, L] `token_ids`, `segment_ids`, `padding_mask`:
        the backbone's inputs.

    Example:
    ```python
    packer = TextPacker(tokenizer, 128)
    inputs = packer(tf.constant(["Hello world"]))
    backbone(inputs)
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
        return {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask}


class WordPacker(tf.Module):
    """Words -> `[CLS] pieces(word 1) pieces(word 2) ... [SEP]`, padded, plus where
    each word's first wordpiece sits.

    Runs in graphs only (tf.data, tf.function, SavedModels): keras-hub
    tokenizers return Python lists when called eagerly.

    Args:
        tokenizer: `ElectraTokenizer`.
        sequence_length: int. Output length L (>= 3).

    Call args:
        words: string `tf.RaggedTensor` [batch, (words)].

    Returns:
        dict: `token_ids`, `segment_ids`, `padding_mask`, int32 [batch, L]
        (the backbone's inputs); `word_positions`, int32 `tf.RaggedTensor` [batch, (words)]: the index of
        each word's first wordpiece, -1 for words truncated away or with no
        wordpiece; `piece_counts`, the same shape: wordpieces per word (before
        truncation).

    Example:
    ```python
    packer = WordPacker(tokenizer, 128)
    packed = tf.function(packer)(tf.ragged.constant([["Angela", "Merkel", "visited", "Zürich"]]))
    packed["token_ids"], packed["word_positions"]
    ```
    """

    def __init__(self, tokenizer, sequence_length, name=None):
        super().__init__(name=name)
        self.tokenizer = tokenizer
        self.sequence_length = int(sequence_length)
        if self.sequence_length < 3:
            raise UsageError(f"sequence_length must be at least 3, got {sequence_length}.")
        self.cls_id, self.sep_id, self.pad_id = tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id

    def __call__(self, words):
        words = words.with_row_splits_dtype(tf.int64)
        length = self.sequence_length
        pieces = tf.cast(self.tokenizer.tokenize(words.flat_values), tf.int32)  # [N, (P)]
        counts = tf.cast(pieces.row_lengths(), tf.int32)
        # Offset of each word's first piece within its sentence: an exclusive
        # cumulative sum over all words, minus the sum before the sentence.
        flat_starts = tf.cumsum(counts, exclusive=True)
        sentence_starts = tf.gather(tf.concat([flat_starts, [tf.reduce_sum(counts)]], 0),
                                    words.row_splits[:-1])
        starts = flat_starts - tf.gather(sentence_starts, words.value_rowids())
        kept = (counts > 0) & (starts < length - 2)
        positions = words.with_flat_values(tf.where(kept, starts + 1, -1))  # +1: [CLS]

        ids = tf.RaggedTensor.from_row_splits(
            pieces, tf.cast(words.row_splits, pieces.row_splits.dtype)).merge_dims(1, 2)
        ids = ids[:, :length - 2]
        batch = ids.nrows()
        cls = tf.RaggedTensor.from_tensor(tf.fill([batch, 1], tf.constant(self.cls_id, tf.int32)))
        sep = tf.RaggedTensor.from_tensor(tf.fill([batch, 1], tf.constant(self.sep_id, tf.int32)))
        ids = tf.concat([cls, ids, sep], axis=1)
        token_ids = ids.to_tensor(default_value=self.pad_id, shape=[None, length])
        padding_mask = tf.sequence_mask(ids.row_lengths(), length, dtype=tf.int32)
        return {"token_ids": token_ids, "segment_ids": tf.zeros_like(token_ids),
                "padding_mask": padding_mask, "word_positions": positions,
                "piece_counts": words.with_flat_values(counts)}
