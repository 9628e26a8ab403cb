"""SavedModel of a fine-tuned tagger: raw text in, entities with character offsets out.

Everything runs in the graph with TensorFlow and tf-text ops (what TF Serving
has): splitting text into words with offsets, WordPiece per word, the model,
first-wordpiece tags per word, decoding tags into entity spans (seqeval's
lenient rules, vectorized) and mapping spans back to the original string.

Words: the text is split as the tokenizer splits it (`text.word_split`): at
whitespace, and every punctuation character and every CJK ideograph is a word
of its own. So "Merkel's" is three words and "東京" two (character-level tags,
as Chinese NER corpora are annotated).
Each word is tagged by its first wordpiece, as in training; words beyond
`max_seq_length` wordpieces are tagged "O".

Offsets are CHARACTER (Unicode code point) offsets into the original input,
end exclusive: in Python, `text[entity_start:entity_end] == entity_text` for
the decoded string (invalid UTF-8 bytes count as one replacement character
each).
"""

import numpy as np
import tensorflow as tf

from electra_tf.export.serving_modules import TEXT
from electra_tf.finetune.head_model import backbone_inputs
from electra_tf.finetune.tagging.seqeval_metrics import split_tag
from electra_tf.text.input_limits import cap_utf8_bytes
from electra_tf.text.input_limits import default_max_input_bytes
from electra_tf.text.packing import WordPacker
from electra_tf.text.word_split import byte_to_char_offsets
from electra_tf.text.word_split import split_words_with_offsets

# Prefix codes for `decode_spans`.
OUTSIDE, BEGIN, INSIDE, END, SINGLE = 0, 1, 2, 3, 4
_PREFIX_CODES = {"O": OUTSIDE, "B": BEGIN, "I": INSIDE, "E": END, "S": SINGLE}


def decode_spans(prefixes, types):
    """Entity spans from per-word tags, as seqeval's default-mode `get_entities`.

    Vectorized over the batch: an entity ends where seqeval's `end_of_chunk`
    fires and starts where `start_of_chunk` fires; with an "O" appended to
    every row these events alternate start, end, start, end, ... so the k-th
    start and the k-th end of a row form the k-th entity.

    Args:
        prefixes: int32 [batch, words]. OUTSIDE/BEGIN/INSIDE/END/SINGLE codes
            (padding: OUTSIDE).
        types: int32 [batch, words]. Entity type id, 0 for "O".

    Returns:
        `(first, last)`: int32 `tf.RaggedTensor`s [batch, (entities)], the
        inclusive word range of each entity.

    Example:
    ```python
    decode_spans(tf.constant([[BEGIN, INSIDE, OUTSIDE, INSIDE]]), tf.constant([[1, 1, 0, 2]]))
    # first [[0, 3]], last [[1, 3]]
    ```
    """
    column = tf.zeros_like(prefixes[:, :1])
    cur_p, cur_t = tf.concat([prefixes, column], 1), tf.concat([types, column], 1)
    prev_p, prev_t = tf.concat([column, prefixes], 1), tf.concat([column, types], 1)

    def prev_in(*codes):
        return tf.reduce_any(tf.stack([prev_p == c for c in codes]), axis=0)

    def cur_in(*codes):
        return tf.reduce_any(tf.stack([cur_p == c for c in codes]), axis=0)

    type_changed = prev_t != cur_t
    ends = (prev_in(END, SINGLE)
            | (prev_in(BEGIN, INSIDE) & cur_in(BEGIN, SINGLE, OUTSIDE))
            | ((prev_p != OUTSIDE) & type_changed))
    starts = (cur_in(BEGIN, SINGLE)
              | (prev_in(END, SINGLE, OUTSIDE) & cur_in(END, INSIDE))
              | ((cur_p != OUTSIDE) & type_changed))
    index = tf.broadcast_to(tf.range(tf.shape(cur_p)[1], dtype=tf.int32), tf.shape(cur_p))
    first = tf.ragged.boolean_mask(index, starts)
    last = tf.ragged.boolean_mask(index, ends) - 1  # an end event is seen one word late
    return first, last


class TokenClassifierServing(tf.Module):
    """`serving_default`: `text` [batch] -> entities and per-word tags.

    Outputs (W: most words in a text of the batch, E: most entities):
    `entity_text`, `entity_type` (str [batch, E], "" padding),
    `entity_start`, `entity_end` (int32 [batch, E] CHARACTER offsets into the
    input, end exclusive, -1 padding), `entity_score` (float32 [batch, E]: the
    mean over the entity's words of the probability of the predicted tag; 0
    padding); `words`, `word_tags` (str [batch, W], "" padding), `word_start`,
    `word_end` (int32 [batch, W] character offsets, -1 padding).

    Args:
        model: `ElectraTokenClassifier` with trained weights.
        tokenizer: `ElectraTokenizer`.
        sequence_length: int.
        label_names: list of str, the model's output order; must contain "O".
        max_input_bytes: int or None. Bytes of each text read (default
            `input_limits.default_max_input_bytes(sequence_length)`); words
            past the cap are not returned, like words past `sequence_length`.

    Example:
    ```python
    module = TokenClassifierServing(model, tokenizer, 128, ["O", "B-PER", "I-PER"])
    save_serving_model(module, "exports/ner/1", "ner", module.warmup_requests(["Hi Ann"]))
    ```
    """

    def __init__(self, model, tokenizer, sequence_length, label_names, max_input_bytes=None):
        super().__init__(name="electra_token_classifier")
        self.max_input_bytes = int(max_input_bytes or default_max_input_bytes(sequence_length))
        if "O" not in label_names:
            raise ValueError(
                f"label_names must contain 'O' (truncated words get it): {label_names}")
        self.model = model
        self.packer = WordPacker(tokenizer, sequence_length)
        self.split_on_cjk = bool(getattr(tokenizer, "split_on_cjk", True))
        type_names = sorted({split_tag(t)[1] for t in label_names if t != "O"})
        type_ids = {name: i + 1 for i, name in enumerate(type_names)}
        self.label_names = tf.constant(list(label_names))
        self.type_names = tf.constant([""] + type_names)
        self.tag_prefixes = tf.constant([_PREFIX_CODES[split_tag(t)[0]] for t in label_names],
                                        tf.int32)
        self.tag_types = tf.constant([type_ids.get(split_tag(t)[1], 0) if t != "O" else 0
                                      for t in label_names], tf.int32)
        self.outside_id = list(label_names).index("O")

    @tf.function(input_signature=[TEXT])
    def tag(self, text):
        # A prefix of the request: offsets into it are offsets into the request.
        text = cap_utf8_bytes(text, self.max_input_bytes)
        words, byte_begins, byte_ends = split_words_with_offsets(text, self.split_on_cjk)
        packed = self.packer(words)
        # Words that normalize to nothing (e.g. only control characters) are
        # not words to the model: drop them, so they cannot break an entity.
        has_pieces = packed["piece_counts"] > 0
        words, positions = (tf.ragged.boolean_mask(t, has_pieces)
                            for t in (words, packed["word_positions"]))
        byte_begins, byte_ends = (tf.ragged.boolean_mask(t, has_pieces)
                                  for t in (byte_begins, byte_ends))
        logits = self.model(backbone_inputs(packed), training=False)
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)

        is_word = tf.sequence_mask(words.row_lengths(), dtype=tf.bool)  # [B, W]
        position = positions.to_tensor(default_value=-1)
        in_model = position >= 0  # not truncated away
        word_probabilities = tf.gather(probabilities, tf.maximum(position, 0), batch_dims=1)
        tag_ids = tf.where(in_model, tf.argmax(word_probabilities, axis=-1, output_type=tf.int32),
                           self.outside_id)
        tag_probability = tf.where(in_model, tf.reduce_max(word_probabilities, axis=-1), 0.0)
        prefixes = tf.where(is_word, tf.gather(self.tag_prefixes, tag_ids), OUTSIDE)
        types = tf.where(is_word, tf.gather(self.tag_types, tag_ids), 0)
        first, last = decode_spans(prefixes, types)

        byte_begin = byte_begins.to_tensor(default_value=0)
        byte_end = byte_ends.to_tensor(default_value=0)
        char_begin = byte_to_char_offsets(text, byte_begin)
        char_end = byte_to_char_offsets(text, byte_end)

        is_entity = tf.sequence_mask(first.row_lengths(), dtype=tf.bool)  # [B, E]
        first, last = first.to_tensor(default_value=0), last.to_tensor(default_value=0)

        def at(values, index):
            return tf.gather(values, index, batch_dims=1)

        entity_byte_begin, entity_byte_end = at(byte_begin, first), at(byte_end, last)
        entity_text = tf.strings.substr(
            tf.broadcast_to(text[:, tf.newaxis], tf.shape(first)), entity_byte_begin,
            entity_byte_end - entity_byte_begin, unit="BYTE")
        # Mean tag probability over the words of each entity, via prefix sums.
        sums = tf.concat([tf.zeros_like(tag_probability[:, :1]),
                          tf.cumsum(tag_probability, axis=1)], axis=1)
        score = (at(sums, last + 1) - at(sums, first)) / tf.cast(last - first + 1, tf.float32)
        return {
            "entity_text": tf.where(is_entity, entity_text, ""),
            "entity_type": tf.where(is_entity, tf.gather(self.type_names, at(types, first)), ""),
            "entity_start": tf.where(is_entity, at(char_begin, first), -1),
            "entity_end": tf.where(is_entity, at(char_end, last), -1),
            "entity_score": tf.where(is_entity, score, 0.0),
            "words": words.to_tensor(default_value=""),
            "word_tags": tf.where(is_word, tf.gather(self.label_names, tag_ids), ""),
            "word_start": tf.where(is_word, char_begin, -1),
            "word_end": tf.where(is_word, char_end, -1),
        }

    def signatures(self):
        return {"serving_default": self.tag}

    def warmup_requests(self, texts):
        return [("serving_default", {"text": np.array(texts, dtype=object)})]
