"""Tagged sentences -> model inputs, per-wordpiece labels and sample weights.

How words become model inputs (`text.packing.WordPacker`, shared with the
exported model): each word is tokenized on its own, so word boundaries are
exact, and the word's tag is predicted from its FIRST wordpiece. Continuation
wordpieces, [CLS], [SEP] and padding carry label -100 and weight 0: they count
in neither the loss nor the metrics.

Truncation: a sentence is cut to `max_seq_length - 2` wordpieces. In training,
words whose first wordpiece falls beyond that are dropped (the number is
logged); at prediction (dev evaluation and the exported model) such words are
tagged "O", and dev F1 is computed against all gold tags, so truncation costs
recall honestly. Words that normalize to no wordpiece at all (e.g. only
control characters) are handled the same way.
"""

import dataclasses

import numpy as np
import tensorflow as tf

IGNORE_LABEL = -100
WORDS_SPEC = tf.RaggedTensorSpec([None, None], tf.string, ragged_rank=1,
                                 row_splits_dtype=tf.int64)
TAG_IDS_SPEC = tf.RaggedTensorSpec([None, None], tf.int32, ragged_rank=1,
                                   row_splits_dtype=tf.int64)


def token_labels(word_positions, word_tag_ids, sequence_length):
    """Per-wordpiece labels: each word's tag id at its first wordpiece, -100 elsewhere.

    Args:
        word_positions: int32 `tf.RaggedTensor` [batch, (words)] from `WordPacker` (`text.packing`).
        word_tag_ids: int32 `tf.RaggedTensor` [batch, (words)].
        sequence_length: int.

    Returns:
        int32 [batch, sequence_length].
    """
    flat_positions = word_positions.flat_values
    kept = flat_positions >= 0
    rows = tf.cast(tf.boolean_mask(word_positions.value_rowids(), kept), tf.int32)
    indices = tf.stack([rows, tf.boolean_mask(flat_positions, kept)], axis=1)
    base = tf.fill([word_positions.nrows(out_type=tf.int32), sequence_length],
                   tf.constant(IGNORE_LABEL, tf.int32))
    return tf.tensor_scatter_nd_update(base, indices,
                                       tf.boolean_mask(word_tag_ids.flat_values, kept))


@dataclasses.dataclass
class EncodedSentences:
    """Model inputs and labels of tagged sentences, as numpy arrays.

    Args:
        inputs: dict `token_ids`, `segment_ids`, `padding_mask` -> int32 [N, L].
        labels: int32 [N, L]. Tag ids at first wordpieces, -100 elsewhere.
        weights: float32 [N, L]. 1 where a label is set, else 0.
        word_positions: list of int32 arrays, one per sentence: each word's
            first-wordpiece index, -1 when it was truncated / has no wordpiece.
    """

    inputs: dict
    labels: np.ndarray
    weights: np.ndarray
    word_positions: list

    def __len__(self):
        return len(self.labels)

    @property
    def dropped_words(self):
        return int(sum((p < 0).sum() for p in self.word_positions))

    def unbatched(self):
        """Unbatched `tf.data.Dataset` of `(inputs, labels, sample_weights)`."""
        return tf.data.Dataset.from_tensor_slices((self.inputs, self.labels, self.weights))

    def dataset(self, batch_size):
        """`tf.data.Dataset` of `(inputs, labels, sample_weights)` batches."""
        return self.unbatched().batch(batch_size).prefetch(tf.data.AUTOTUNE)


def encode_sentences(sentences, label_names, packer, chunk_size=1024):
    """Tokenizes and aligns `sentences` (from `read_conll`) with `packer`.

    Args:
        sentences: list of `ConllSentence`.
        label_names: list of str; a tag's index is its label id.
        packer: `text.packing.WordPacker`.
        chunk_size: int. Sentences encoded per graph call.

    Returns:
        `EncodedSentences`.

    Example:
    ```python
    encoded = encode_sentences(read_conll("train.txt"), labels, WordPacker(tokenizer, 128))
    model.fit(encoded.dataset(32, shuffle=True))
    ```
    """
    index = {name: i for i, name in enumerate(label_names)}
    length = packer.sequence_length

    @tf.function(input_signature=[WORDS_SPEC, TAG_IDS_SPEC])
    def encode(words, tag_ids):
        packed = packer(words)
        positions = packed["word_positions"]
        return (packed["token_ids"], packed["segment_ids"], packed["padding_mask"],
                token_labels(positions, tag_ids, length), positions.flat_values,
                positions.row_lengths())

    parts = []
    for begin in range(0, len(sentences), chunk_size):
        chunk = sentences[begin:begin + chunk_size]
        words = tf.ragged.constant([s.words for s in chunk], dtype=tf.string,
                                   row_splits_dtype=tf.int64)
        tag_ids = tf.ragged.constant([[index[t] for t in s.tags] for s in chunk], dtype=tf.int32,
                                     row_splits_dtype=tf.int64)
        parts.append([t.numpy() for t in encode(words, tag_ids)])
    token_ids, segment_ids, padding_mask, labels = (
        np.concatenate([p[i] for p in parts]) for i in range(4))
    word_positions = []
    for part in parts:
        word_positions.extend(np.split(part[4], np.cumsum(part[5])[:-1]))
    return EncodedSentences(
        inputs={"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask},
        labels=labels, weights=(labels != IGNORE_LABEL).astype(np.float32),
        word_positions=word_positions)
