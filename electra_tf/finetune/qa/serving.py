"""SavedModels of fine-tuned question answerers: question + context text in,
answer text and its character offsets in the context out."""

import numpy as np
import tensorflow as tf

from electra_tf.finetune.qa.squad import query_limit
from electra_tf.finetune.qa.squad import tokenize_contexts
from electra_tf.text.input_limits import cap_utf8_bytes
from electra_tf.text.input_limits import check_same_batch
from electra_tf.text.input_limits import default_max_input_bytes

QUESTION = tf.TensorSpec([None], tf.string, name="question")
CONTEXT = tf.TensorSpec([None], tf.string, name="context")


class QuestionAnsweringServing(tf.Module):
    """`serving_default`: `question`, `context` (string [batch]) ->
    `answer` (string), `start`, `end` (int64 CHARACTER offsets, Unicode code
    points: `context[start:end] == answer` in Python; not bytes, not UTF-16
    units), `score` (float32, start + end logit of the best span, also when a
    v2.0 model answers ""; the lowest float32 when there is no span) and
    `null_score` (start + end logit of [CLS]).

    Everything runs in the graph with TensorFlow and tf-text ops: the context
    is split into pieces with byte offsets and tokenized exactly as in
    training (`squad.tokenize_contexts`), packed `[CLS] question [SEP]
    context [SEP]`, and the best span is the argmax of a masked [L, L]
    start+end score matrix (inside the context, start <= end, at most
    `max_answer_length` wordpieces). ONE window per request: a context longer
    than the model is truncated to what fits after the question (training and
    `decode_predictions` slide windows; send shorter contexts, e.g.
    paragraphs, for answers beyond the first window). When there is no span
    (empty context) or, for SQuAD v2.0 models, when `null_score - score >
    null_threshold`, the answer is "" with start = end = 0.

    Args:
        model: `ElectraQuestionAnswerer` with trained weights.
        tokenizer: `ElectraTokenizer`.
        sequence_length: int. L.
        max_query_length: int. Question wordpieces kept (`squad.query_limit`).
        max_answer_length: int. In wordpieces.
        version_2: bool. May answer "".
        null_threshold: float.
        max_input_bytes: int or None. Bytes of the question and of the context
            read (default `input_limits.default_max_input_bytes(sequence_length)`);
            one window never holds more.

    Example:
    ```python
    served = tf.saved_model.load("runs/squad/export/1").signatures["serving_default"]
    out = served(question=tf.constant(["Who wrote it?"]),
                 context=tf.constant(["It was written by Ann Lee in 1990."]))
    out["answer"], out["start"], out["end"]
    ```
    """

    def __init__(self, model, tokenizer, sequence_length, max_query_length=64,
                 max_answer_length=30, version_2=False, null_threshold=0.0,
                 max_input_bytes=None):
        super().__init__(name="electra_question_answering")
        self.max_input_bytes = int(max_input_bytes or default_max_input_bytes(sequence_length))
        self.model = model
        self.tokenizer = tokenizer
        self.sequence_length = int(sequence_length)
        self.query_limit = query_limit(max_query_length, sequence_length)
        self.max_answer_length = int(max_answer_length)
        self.version_2 = bool(version_2)
        self.null_threshold = float(null_threshold)
        self.cls_id, self.sep_id, self.pad_id = tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id

    def _pack(self, question, context):
        """-> token_ids, segment_ids, padding_mask, token_piece [B, L] (piece index of
        context tokens, -1 elsewhere), piece byte starts/ends [B, P + 1]."""
        length = self.sequence_length
        query = tf.cast(self.tokenizer.tokenize(question), tf.int32)[:, :self.query_limit]
        ids, pieces, starts, ends = tokenize_contexts(self.tokenizer, context)
        # The context keeps what fits after [CLS] question [SEP] ... [SEP].
        room = tf.cast(length - 3 - query.row_lengths(), ids.row_splits.dtype)
        keep = tf.ragged.range(ids.row_lengths()) < tf.expand_dims(room, 1)
        ids, pieces = tf.ragged.boolean_mask(ids, keep), tf.ragged.boolean_mask(pieces, keep)
        batch = tf.shape(question, out_type=tf.int64)[:1]

        def column(value):  # one token per row, as a ragged column
            return tf.RaggedTensor.from_tensor(tf.fill(tf.concat([batch, [1]], 0), value))

        cls, sep, zero, one, none = (column(self.cls_id), column(self.sep_id), column(0),
                                     column(1), column(-1))
        token_ids = tf.concat([cls, query, sep, ids, sep], axis=1)
        segment_ids = tf.concat([zero, tf.zeros_like(query), zero, tf.ones_like(ids), one], axis=1)
        token_piece = tf.concat([none, tf.zeros_like(query) - 1, none, pieces, none], axis=1)

        def dense(ragged, default):
            return ragged.to_tensor(default_value=default, shape=[None, length])

        # A spare last column keeps gathers in range when a context has no pieces.
        spare = tf.zeros(tf.concat([batch, [1]], 0), tf.int64)
        return (dense(token_ids, self.pad_id), dense(segment_ids, 0),
                dense(tf.ones_like(token_ids), 0), dense(token_piece, -1),
                tf.concat([starts.to_tensor(0), spare], axis=1),
                tf.concat([ends.to_tensor(0), spare], axis=1))

    def _best_span(self, logits, token_piece):
        """Masked [L, L] argmax -> (start token, end token, score, has_span)."""
        length = self.sequence_length
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        in_context = token_piece >= 0
        band = tf.linalg.band_part(tf.ones([length, length], tf.bool), 0,
                                   self.max_answer_length - 1)  # 0 <= end - start < max
        valid = band[None] & in_context[:, :, None] & in_context[:, None, :]
        scores = start_logits[:, :, None] + end_logits[:, None, :]
        scores = tf.where(valid, scores, -np.inf)
        flat = tf.reshape(scores, [-1, length * length])
        best = tf.argmax(flat, axis=-1, output_type=tf.int32)
        score = tf.reduce_max(flat, axis=-1)
        return best // length, best % length, score, tf.reduce_any(valid, axis=[1, 2])

    def _answer(self, question, context):
        token_ids, segment_ids, padding_mask, token_piece, starts, ends = self._pack(
            question, context)
        logits = tf.cast(self.model({"token_ids": token_ids, "segment_ids": segment_ids,
                                     "padding_mask": padding_mask}, training=False), tf.float32)
        start_token, end_token, score, any_span = self._best_span(logits, token_piece)
        null_score = logits[:, 0, 0] + logits[:, 0, 1]
        has_span = any_span
        if self.version_2:
            has_span &= ~(null_score - score > self.null_threshold)
        first = tf.gather(token_piece, start_token, batch_dims=1)
        last = tf.gather(token_piece, end_token, batch_dims=1)
        start_byte = tf.where(has_span, tf.gather(starts, tf.maximum(first, 0), batch_dims=1), 0)
        end_byte = tf.where(has_span, tf.gather(ends, tf.maximum(last, 0), batch_dims=1), 0)
        answer = tf.strings.substr(context, start_byte, end_byte - start_byte)
        # Byte -> character offsets: count the characters before the span.
        before = tf.strings.substr(context, tf.zeros_like(start_byte), start_byte)
        start_char = tf.cast(tf.strings.length(before, unit="UTF8_CHAR"), tf.int64)
        end_char = start_char + tf.cast(tf.strings.length(answer, unit="UTF8_CHAR"), tf.int64)
        return {"answer": answer, "start": start_char, "end": end_char,
                "score": tf.where(any_span, score, tf.float32.min), "null_score": null_score}

    @tf.function(input_signature=[QUESTION, CONTEXT])
    def answer(self, question, context):
        question, context = check_same_batch(question, context, "question", "context")
        # Prefixes of the request: answer offsets into them are offsets into it.
        return self._answer(cap_utf8_bytes(question, self.max_input_bytes),
                            cap_utf8_bytes(context, self.max_input_bytes))

    def signatures(self):
        return {"serving_default": self.answer}

    def warmup_requests(self, examples):
        """Warmup requests from `SquadExample`s (a few dev questions)."""
        return [("serving_default", {
            "question": np.array([e.question for e in examples], dtype=object),
            "context": np.array([e.context for e in examples], dtype=object)})]
