"""SQuAD v1.1 / v2.0 data: reading the JSON, question + context -> model windows,
and model logits -> answer text and character offsets in the original context.

Contexts are not tokenized as one string. They are first split into *pieces*
with character offsets (`text.word_split`: whitespace-separated words, further split at
every punctuation mark and CJK character, exactly where the WordPiece
tokenizer splits), and each piece is tokenized on its own. Every wordpiece therefore
belongs to one piece, and a span of wordpieces maps back to
`context[piece_start:piece_end]` of the ORIGINAL text: casing, accents and
spacing survive although the tokenizer lowercases and strips accents. This is
the BERT reference's whitespace-word approach with punctuation/CJK splits
added, so "Denver" can be answered out of "Denver's" and a Chinese context
(no spaces) is not one giant word. The same TensorFlow function
(`tokenize_contexts`) runs here and inside the exported SavedModel, so training
and serving see identical ids.

Offsets are Unicode code points (Python `str` indices): `context[start:end]`.
"""

import dataclasses
import json
import math
from typing import List
from typing import Optional

import numpy as np
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.text.word_split import split_words_with_offsets

# A training file with more misplaced answers than this is the wrong file, or
# counts offsets in bytes / UTF-16 units: fail instead of training on a sliver.
MAX_BAD_ANSWER_FRACTION = 0.1


@dataclasses.dataclass
class SquadExample:
    """One question about one context.

    Args:
        qas_id: str. The question id (keys of the predictions file).
        question, context: str.
        answers: list of str. Every gold answer text ([] for v2 no-answer).
        is_impossible: bool. SQuAD v2.0 question without an answer.
        start_char, end_char: int or None. The training answer (the first
            one) as `context[start_char:end_char]`; None without an answer.
    """

    qas_id: str
    question: str
    context: str
    answers: List[str]
    is_impossible: bool = False
    start_char: Optional[int] = None
    end_char: Optional[int] = None


def read_squad(path, version_2=False, is_training=True, log=print):
    """Reads a SQuAD JSON file (`data -> paragraphs -> context, qas`).

    Training files (`is_training=True`) are checked: each answer must be the
    text found at its `answer_start` (character offset) in the context. A
    question whose answer is not there is skipped, and one warning line counts
    them and names the first ids; if more than 10% are bad the file raises
    `UsageError` (wrong file, or offsets in bytes/UTF-16 units). Evaluation
    files only need the answer texts (the official script ignores offsets).

    Args:
        path: str. train-v1.1.json, dev-v2.0.json, ...
        version_2: bool. SQuAD v2.0 (questions may be unanswerable). A v1.1
            read of a file with `is_impossible: true` raises `UsageError`.
        is_training: bool. Validate and keep the training answer offsets.
        log: callable for the skipped-questions warning.

    Returns:
        list of `SquadExample`.

    Example:
    ```python
    examples = read_squad("squad/train-v1.1.json")
    examples[0].context[examples[0].start_char:examples[0].end_char]  # the answer
    ```
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)["data"]
    except FileNotFoundError:
        raise UsageError(f"SQuAD file {path!r} does not exist.") from None
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{path!r} is not a SQuAD JSON file with a top-level 'data' list "
                         f"({type(error).__name__}: {error}).") from None
    examples, bad = [], []
    for article in data:
        for paragraph in _field(article, "paragraphs", path, "an article"):
            context = _field(paragraph, "context", path, "a paragraph")
            for qa in _field(paragraph, "qas", path, "a paragraph"):
                example = _read_question(qa, context, path, version_2, is_training)
                if example is None:
                    bad.append(str(qa.get("id")))
                else:
                    examples.append(example)
    if bad:
        total = len(bad) + len(examples)
        message = (f"{path!r}: {len(bad)} of {total} question(s) have an answer text that is not "
                   f"at its answer_start in the context: {', '.join(bad[:5])}"
                   f"{', ...' if len(bad) > 5 else ''}.")
        if len(bad) > MAX_BAD_ANSWER_FRACTION * total:
            raise UsageError(message + " answer_start must be the character (not byte) offset "
                             "of the answer text; check the file.")
        log(f"warning: {message} Skipped them.")
    if not examples:
        raise UsageError(f"{path!r} holds no questions.")
    return examples


def _field(record, key, path, what):
    if not isinstance(record, dict) or key not in record:
        raise UsageError(f"{path!r}: {what} has no {key!r} field; is this a SQuAD file?")
    return record[key]


def _read_question(qa, context, path, version_2, is_training):
    """A `SquadExample`, or None when the training answer is misplaced."""
    qas_id = str(_field(qa, "id", path, "a question"))
    question = _field(qa, "question", path, f"question {qas_id}")
    answers = qa.get("answers") or []
    is_impossible = bool(qa.get("is_impossible", False))
    if is_impossible and not version_2:
        raise UsageError(f"{path!r}: question {qas_id} is marked is_impossible: this is a SQuAD "
                         "v2.0 file; pass version_2=True (--version_2).")
    texts = [str(a.get("text", "")) for a in answers if isinstance(a, dict)]
    example = SquadExample(qas_id, question, context, [] if is_impossible else texts,
                           is_impossible)
    if not is_training or is_impossible:
        return example
    if not answers:
        raise UsageError(f"{path!r}: question {qas_id} has no answers and is not marked "
                         "is_impossible. Fix the file, or read SQuAD v2.0 with version_2=True.")
    text, start = answers[0].get("text"), answers[0].get("answer_start")
    if (not isinstance(text, str) or not text.strip() or not isinstance(start, int)
            or context[start:start + len(text)] != text):
        return None
    example.start_char, example.end_char = start, start + len(text)
    return example


# --------------------------------------------------------------------------- tokens


def tokenize_contexts(tokenizer, contexts):
    """Contexts -> pieces with byte offsets, and their wordpieces (in-graph).

    Args:
        tokenizer: `ElectraTokenizer`.
        contexts: string tensor [B].

    Returns:
        `(token_ids, token_pieces, piece_starts, piece_ends)`, RaggedTensors:
        wordpiece ids [B, (T)], the piece index of each wordpiece [B, (T)],
        and each piece's start/end BYTE offsets in the context [B, (P)].
        Pieces that normalize to nothing (control characters) have no
        wordpieces.
    """
    pieces, starts, ends = split_words_with_offsets(
        contexts, bool(getattr(tokenizer, "split_on_cjk", True)))
    ids = tokenizer.tokenize(pieces.flat_values)  # [N pieces, (wordpieces)]
    ids = tf.cast(ids, tf.int32)
    index_in_context = tf.cast(tf.ragged.range(pieces.row_lengths()).flat_values, tf.int32)
    token_pieces = tf.repeat(index_in_context, ids.row_lengths())
    token_ids = tf.RaggedTensor.from_row_splits(ids, pieces.row_splits).merge_dims(1, 2)
    token_pieces = tf.RaggedTensor.from_row_splits(token_pieces, token_ids.row_splits)
    return token_ids, token_pieces, starts, ends


def query_limit(max_query_length, max_seq_length):
    """Question wordpieces kept: `max_query_length`, but at most half the window so
    the context always gets the other half (matters for short models)."""
    return max(1, min(int(max_query_length), int(max_seq_length) // 2))


@dataclasses.dataclass
class ContextTokens:
    """One context's wordpieces and the character span of each one's piece.

    Args:
        token_ids: int32 [T]. token_pieces: int32 [T], piece of each wordpiece.
        piece_starts, piece_ends: int64 [P]. Character offsets of each piece.
    """

    token_ids: np.ndarray
    token_pieces: np.ndarray
    piece_starts: np.ndarray
    piece_ends: np.ndarray

    def char_span(self, first_token, last_token):
        """(start, end) characters covered by wordpieces first..last (inclusive)."""
        return (int(self.piece_starts[self.token_pieces[first_token]]),
                int(self.piece_ends[self.token_pieces[last_token]]))

    def token_span(self, start_char, end_char):
        """(first, last) wordpieces overlapping context[start_char:end_char], or None."""
        starts = self.piece_starts[self.token_pieces]
        ends = self.piece_ends[self.token_pieces]
        inside = np.flatnonzero((starts < end_char) & (ends > start_char))
        return (int(inside[0]), int(inside[-1])) if len(inside) else None


def _char_offsets(text, byte_offsets):
    """Byte offsets (at character boundaries) of UTF-8 `text` -> character offsets."""
    lengths = np.fromiter((len(c.encode("utf-8")) for c in text), np.int64, len(text))
    char_starts = np.concatenate([[0], np.cumsum(lengths)])
    return np.searchsorted(char_starts, np.asarray(byte_offsets, np.int64))


def tokenize_context_texts(tokenizer, contexts, batch_size=256):
    """`tokenize_contexts` for Python strings -> list of `ContextTokens` (char offsets).

    Example:
    ```python
    tokens = tokenize_context_texts(tokenizer, ["Café au lait."])[0]
    tokens.char_span(0, 0)  # (0, 4): "Café"
    ```
    """
    # In a tf.function: eagerly, keras-hub returns ragged ids as Python lists.
    run = tf.function(lambda texts: tokenize_contexts(tokenizer, texts),
                      input_signature=[tf.TensorSpec([None], tf.string)])
    out = []
    for begin in range(0, len(contexts), batch_size):
        batch = list(contexts[begin:begin + batch_size])
        ids, pieces, starts, ends = run(tf.constant(batch, tf.string))
        # Slice numpy copies: indexing ragged rows eagerly costs ~0.1 ms each.
        token_splits, piece_splits = ids.row_splits.numpy(), starts.row_splits.numpy()
        ids, pieces = ids.flat_values.numpy(), pieces.flat_values.numpy()
        starts, ends = starts.flat_values.numpy(), ends.flat_values.numpy()
        for row, text in enumerate(batch):
            tokens = slice(token_splits[row], token_splits[row + 1])
            spans = slice(piece_splits[row], piece_splits[row + 1])
            out.append(ContextTokens(ids[tokens].astype(np.int32),
                                     pieces[tokens].astype(np.int32),
                                     _char_offsets(text, starts[spans]),
                                     _char_offsets(text, ends[spans])))
    return out


def tokenize_questions(tokenizer, questions, limit, batch_size=1024):
    """Question wordpiece ids (lists), each cut to `limit`."""
    run = tf.function(tokenizer.tokenize, input_signature=[tf.TensorSpec([None], tf.string)])
    out = []
    for begin in range(0, len(questions), batch_size):
        ids = run(tf.constant(list(questions[begin:begin + batch_size]), tf.string))
        out.extend([row[:limit] for row in ids.to_list()])
    return out


# --------------------------------------------------------------------------- windows


@dataclasses.dataclass
class SquadFeatures:
    """Model windows `[CLS] question [SEP] context-window [SEP]` of some examples.

    A context longer than the model gives several windows, `doc_stride`
    wordpieces apart. Arrays have one row per window (F) and L columns.

    Args:
        examples: list of `SquadExample`. contexts: list of `ContextTokens`,
            one per example.
        example_index: int32 [F]. token_ids, segment_ids, padding_mask: int32 [F, L].
        token_to_context: int32 [F, L]. Index of the token in its context's
            wordpieces, -1 for [CLS], question, [SEP] and padding.
        max_context: bool [F, L]. The token has more context on both sides in
            this window than in any other (answers must start at such tokens).
        start_positions, end_positions: int32 [F]. Training labels; 0 ([CLS])
            when the answer is not inside the window or there is none.
        skipped: list of str. Training questions dropped (answer maps to no
            wordpiece).
    """

    examples: list
    contexts: list
    example_index: np.ndarray
    token_ids: np.ndarray
    segment_ids: np.ndarray
    padding_mask: np.ndarray
    token_to_context: np.ndarray
    max_context: np.ndarray
    start_positions: np.ndarray
    end_positions: np.ndarray
    skipped: list

    def __len__(self):
        return len(self.example_index)

    def inputs(self):
        return {"token_ids": self.token_ids, "segment_ids": self.segment_ids,
                "padding_mask": self.padding_mask}

    def labels(self):
        return np.stack([self.start_positions, self.end_positions], axis=-1)

    def unbatched(self, labels=True):
        """Unbatched `tf.data.Dataset` of inputs dicts (and [2] start/end labels)."""
        return tf.data.Dataset.from_tensor_slices(
            (self.inputs(), self.labels()) if labels else self.inputs())

    def dataset(self, batch_size, labels=True):
        """`tf.data.Dataset` of inputs dicts (and [batch, 2] start/end labels)."""
        return self.unbatched(labels).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def window_starts(num_tokens, window, doc_stride):
    """Start offsets of the windows covering `num_tokens` context wordpieces
    (the BERT reference's sliding window: the last one ends at the context's end)."""
    starts, start = [], 0
    while True:
        starts.append(start)
        if start + window >= num_tokens:
            return starts
        start += min(window, doc_stride)


def _max_context(windows, num_tokens):
    """[W, T] bool: window w is the max-context window of token t (BERT's rule:
    score min(left, right) + 0.01 * window length, first best wins)."""
    scores = np.full((len(windows), max(num_tokens, 1)), -np.inf)
    for w, (start, length) in enumerate(windows):
        position = np.arange(start, start + length)
        scores[w, position] = np.minimum(position - start, start + length - 1 - position) \
            + 0.01 * length
    best = scores.argmax(axis=0)
    return best[None, :] == np.arange(len(windows))[:, None]


def build_features(examples, tokenizer, max_seq_length, doc_stride=128, max_query_length=64,
                   is_training=False, log=print):
    """Examples -> `SquadFeatures` (several windows for long contexts).

    Args:
        examples: list of `SquadExample`.
        tokenizer: `ElectraTokenizer`.
        max_seq_length: int. L, wordpieces per window.
        doc_stride: int. Wordpieces between window starts.
        max_query_length: int. Question wordpieces kept (see `query_limit`).
        is_training: bool. Label each window with the answer's wordpiece span.
        log: callable for the skipped-questions warning.

    Example:
    ```python
    features = build_features(read_squad("dev-v1.1.json", is_training=False),
                              tokenizer, max_seq_length=384)
    ```
    """
    if doc_stride < 1:
        raise UsageError(f"doc_stride must be >= 1, got {doc_stride}.")
    unique = {}
    for example in examples:
        unique.setdefault(example.context, len(unique))
    tokenized = tokenize_context_texts(tokenizer, list(unique))
    contexts = [tokenized[unique[e.context]] for e in examples]
    questions = tokenize_questions(tokenizer, [e.question for e in examples],
                                   query_limit(max_query_length, max_seq_length))
    # Rows are numpy arrays, not lists: full SQuAD is ~10^8 token positions.
    rows = {k: [] for k in ("example_index", "token_ids", "segment_ids", "padding_mask",
                            "token_to_context", "max_context", "start_positions",
                            "end_positions")}
    kept_examples, kept_contexts, skipped = [], [], []
    for example, context, question in zip(examples, contexts, questions):
        answer = None
        if is_training and not example.is_impossible:
            answer = context.token_span(example.start_char, example.end_char)
            if answer is None:
                skipped.append(example.qas_id)
                continue
        index = len(kept_examples)
        kept_examples.append(example)
        kept_contexts.append(context)
        prefix = np.array([tokenizer.cls_id] + question + [tokenizer.sep_id], np.int32)
        first = len(prefix)  # position of the window's first context token
        window = max_seq_length - first - 1
        num_tokens = len(context.token_ids)
        windows = [(s, min(window, num_tokens - s))
                   for s in window_starts(num_tokens, window, doc_stride)]
        max_context = _max_context(windows, num_tokens)
        for w, (start, length) in enumerate(windows):
            ids = np.full(max_seq_length, tokenizer.pad_id, np.int32)
            ids[:first] = prefix
            ids[first:first + length] = context.token_ids[start:start + length]
            ids[first + length] = tokenizer.sep_id
            segments = np.zeros(max_seq_length, np.int32)
            segments[first:first + length + 1] = 1
            mask = (np.arange(max_seq_length) <= first + length).astype(np.int32)
            positions = np.full(max_seq_length, -1, np.int32)
            positions[first:first + length] = np.arange(start, start + length)
            is_max = np.zeros(max_seq_length, bool)
            is_max[first:first + length] = max_context[w, start:start + length]
            label = (0, 0)
            if answer is not None and start <= answer[0] and answer[1] < start + length:
                label = (answer[0] - start + first, answer[1] - start + first)
            for key, value in (("example_index", index), ("token_ids", ids),
                               ("segment_ids", segments), ("padding_mask", mask),
                               ("token_to_context", positions), ("max_context", is_max),
                               ("start_positions", label[0]), ("end_positions", label[1])):
                rows[key].append(value)
    if skipped:
        log(f"warning: {len(skipped)} training question(s) have an answer of no wordpieces "
            f"(only control characters?): {', '.join(skipped[:5])}. Skipped them.")
    def matrix(key, dtype=np.int32):
        return np.stack(rows[key]) if rows[key] else np.zeros((0, max_seq_length), dtype)

    return SquadFeatures(
        examples=kept_examples, contexts=kept_contexts,
        example_index=np.array(rows["example_index"], np.int32),
        token_ids=matrix("token_ids"), segment_ids=matrix("segment_ids"),
        padding_mask=matrix("padding_mask"), token_to_context=matrix("token_to_context"),
        max_context=matrix("max_context", bool),
        start_positions=np.array(rows["start_positions"], np.int32),
        end_positions=np.array(rows["end_positions"], np.int32), skipped=skipped)


# --------------------------------------------------------------------------- decoding


def span_candidates(start_logits, end_logits, can_start, can_end, max_answer_length, n_best):
    """The `n_best` best spans of one window, by start + end logit.

    A span (i, j) needs `can_start[i]`, `can_end[j]`, i <= j and
    j - i < `max_answer_length` (wordpieces). The whole [L, L] score matrix is
    masked (as the SavedModel does), so the best span is exact, not searched
    among the top starts and top ends only.

    Returns:
        list of `(score, i, j)`, best first (ties: lowest i*L + j first, as
        `tf.argmax`).
    """
    length = len(start_logits)
    scores = start_logits[:, None] + end_logits[None, :]
    i = np.arange(length)
    valid = (can_start[:, None] & can_end[None, :] & (i[None, :] >= i[:, None])
             & (i[None, :] - i[:, None] < max_answer_length))
    flat = np.where(valid, scores, -np.inf).ravel()
    count = min(int(n_best), int(valid.sum()))
    if count == 0:
        return []
    top = np.argpartition(-flat, count - 1)[:count]
    top = top[np.lexsort((top, -flat[top]))]
    return [(float(flat[k]), int(k // length), int(k % length)) for k in top]


def _softmax(scores):
    scores = np.asarray(scores, np.float64)
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()


def decode_predictions(features, logits, n_best=20, max_answer_length=30, version_2=False,
                       null_threshold=0.0):
    """Model logits of every window -> one answer per question, in original text.

    Per window: the `n_best` spans inside the context (start at a token whose
    max-context window this is, start <= end, at most `max_answer_length`
    wordpieces). Across a question's windows the best score wins, and its
    text is `context[start:end]` of the original context. SQuAD v2.0: the
    null score is start_logit[CLS] + end_logit[CLS] of the window most sure
    there is an answer (the lowest one, as the BERT reference), and the
    answer is "" when `null_score - best_span_score > null_threshold`.

    Args:
        features: `SquadFeatures`.
        logits: float [F, L, 2]. Start and end logits of every window.
        n_best: int. Candidates kept per window and per question.
        max_answer_length: int. In wordpieces.
        version_2: bool. Allow "no answer".
        null_threshold: float.

    Returns:
        dict qas_id -> {"text", "start", "end" (characters; None when ""),
        "score", "null_score", "null_odds", "nbest": [{"text", "start", "end",
        "score", "probability"}]}.

    Example:
    ```python
    logits = model.predict(features.dataset(32, labels=False))
    answers = decode_predictions(features, logits)
    {qid: a["text"] for qid, a in answers.items()}  # the predictions file
    ```
    """
    logits = np.asarray(logits, np.float32)
    windows = [[] for _ in features.examples]
    for f, e in enumerate(features.example_index):
        windows[e].append(f)
    out = {}
    for e, example in enumerate(features.examples):
        context = features.contexts[e]
        spans, null_score = {}, math.inf
        for f in windows[e]:
            start_logits, end_logits = logits[f, :, 0], logits[f, :, 1]
            null_score = min(null_score, float(start_logits[0] + end_logits[0]))
            in_context = features.token_to_context[f] >= 0
            for score, i, j in span_candidates(start_logits, end_logits,
                                               in_context & features.max_context[f], in_context,
                                               max_answer_length, n_best):
                span = context.char_span(features.token_to_context[f, i],
                                         features.token_to_context[f, j])
                if span not in spans or spans[span] < score:
                    spans[span] = score
        ranked = sorted(spans.items(), key=lambda item: -item[1])[:n_best]
        scores = [score for _, score in ranked] + ([null_score] if version_2 else [])
        probabilities = _softmax(scores) if scores else []
        nbest = [{"text": example.context[s:t], "start": s, "end": t, "score": score,
                  "probability": float(p)} for ((s, t), score), p in zip(ranked, probabilities)]
        best = nbest[0] if nbest else None
        null_odds = (null_score - best["score"]) if best else math.inf
        if best is None or (version_2 and null_odds > null_threshold):
            best = {"text": "", "start": None, "end": None, "score": None}
        out[example.qas_id] = {
            "text": best["text"], "start": best["start"], "end": best["end"],
            "score": best["score"], "null_score": null_score,
            "null_odds": null_odds if math.isfinite(null_odds) else None, "nbest": nbest}
    return out
