"""Entity-level precision / recall / F1 for tagged sequences, computed as seqeval does.

NER papers (CoNLL-2003, ELECTRA's own results) report *entity* F1: an entity
counts as found only if its type and exact word span both match. Token
accuracy is far higher and says little. We follow seqeval 1.x, the library
the community compares against:

- default mode (`mode=None`, conlleval-compatible): spans are read leniently
  from any mix of B-/I-/E-/S-/O tags. An `I-X` after `O` (or after another
  type) starts an entity, so IOB1 files (where `B-` only separates two adjacent
  entities of one type), IOB2/BIO and IOBES files all work.
- strict mode (`mode="strict"` with `scheme="IOB2"` or `"IOBES"`): only
  well-formed spans count (IOB2: `B-X I-X*`; IOBES: `S-X` or `B-X I-X* E-X`);
  a tag outside the scheme is an error.

Sentences are concatenated with an `O` between them, so an entity never runs
across a sentence boundary, and scores are micro-averaged over all entities.
"""

import collections

# One-letter prefixes (seqeval's vocabulary); "O" is outside any entity.
PREFIXES = ("B", "I", "E", "S")
SCHEMES = ("IOB2", "IOBES")


def split_tag(tag):
    """`"B-PER"` -> `("B", "PER")`; `"O"` -> `("O", "_")` (seqeval's type for none).

    Raises:
        ValueError: `tag` is not `O` or `<B|I|E|S>-<TYPE>`.
    """
    if tag == "O":
        return "O", "_"
    if len(tag) >= 1 and tag[0] in PREFIXES and (len(tag) == 1 or tag[1] == "-"):
        return tag[0], tag[2:] or "_"
    raise ValueError(f"invalid tag {tag!r}: expected O or B-/I-/E-/S-<TYPE>.")


def _flatten(sequences):
    """List of sentences (or one flat sentence) -> one list with O separators."""
    if sequences and all(isinstance(s, (list, tuple)) for s in sequences):
        return [tag for sentence in sequences for tag in list(sentence) + ["O"]]
    return list(sequences)


def _ends_chunk(prev_prefix, prefix, prev_type, type_):
    """seqeval's `end_of_chunk`: the entity open at the previous word ended there."""
    if prev_prefix in ("E", "S"):
        return True
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
        return True
    return prev_prefix != "O" and prev_type != type_


def _starts_chunk(prev_prefix, prefix, prev_type, type_):
    """seqeval's `start_of_chunk`: an entity begins at the current word."""
    if prefix in ("B", "S"):
        return True
    if prev_prefix in ("E", "S", "O") and prefix in ("E", "I"):
        return True
    return prefix != "O" and prev_type != type_


def get_entities(sequences):
    """Entities in default (lenient) mode, as seqeval's `get_entities`.

    Args:
        sequences: a list of tags, or a list of sentences (lists of tags).

    Returns:
        list of `(type, first, last)` (inclusive indices into the concatenation
        of the sentences, each followed by one separator position).

    Example:
    ```python
    get_entities([["B-PER", "I-PER", "O", "B-LOC"]])  # [("PER", 0, 1), ("LOC", 3, 3)]
    get_entities(["I-PER", "I-PER", "O"])             # [("PER", 0, 1)]
    ```
    """
    entities = []
    prev_prefix, prev_type, begin = "O", "_", 0
    for index, tag in enumerate(_flatten(sequences) + ["O"]):
        prefix, type_ = split_tag(tag)
        if _ends_chunk(prev_prefix, prefix, prev_type, type_):
            entities.append((prev_type, begin, index - 1))
        if _starts_chunk(prev_prefix, prefix, prev_type, type_):
            begin = index
        prev_prefix, prev_type = prefix, type_
    return entities


# Strict mode: seqeval's `scheme.Tokens` patterns, as (prev prefixes, prefixes, same type?)
# with None meaning either. `_INSIDE[scheme]` continues an entity; `_START` opens one;
# `_END` says the entity just read closed properly.
_START = {"IOB2": ("B",), "IOBES": ("B", "S")}
_INSIDE = {"IOB2": (("BI", "I"),), "IOBES": (("BI", "I"), ("BI", "E"))}
_END = {
    "IOB2": (("I", "O", None), ("I", "I", False), ("I", "B", None),
             ("B", "O", None), ("B", "I", False), ("B", "B", None)),
    "IOBES": (("SE", "IOBES", None),),
}
_ALLOWED = {"IOB2": "IOB", "IOBES": "IOBES"}


def _matches(patterns, prev, current):
    for prev_prefixes, prefixes, same in patterns:
        if prev[0] in prev_prefixes and current[0] in prefixes and (
                same is None or (prev[1] == current[1]) == same):
            return True
    return False


def get_strict_entities(sequences, scheme):
    """Entities that are well formed under `scheme` (seqeval's `mode="strict"`).

    Args:
        sequences: a list of tags, or a list of sentences.
        scheme: "IOB2" or "IOBES".

    Returns:
        list of `(type, first, last)`, indices as in `get_entities`.

    Raises:
        ValueError: unknown scheme, or a tag whose prefix the scheme does not allow.

    Example:
    ```python
    get_strict_entities([["I-PER", "I-PER", "O"]], "IOB2")  # [] (no B- opens it)
    get_strict_entities([["B-PER", "E-PER", "S-LOC"]], "IOBES")
    # [("PER", 0, 1), ("LOC", 2, 2)]
    ```
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}.")
    tokens = [split_tag(tag) for tag in _flatten(sequences)] + [("O", "_")]
    for tag, (prefix, _) in zip(_flatten(sequences), tokens):
        if prefix not in _ALLOWED[scheme]:
            raise ValueError(f"tag {tag!r} is not allowed in the {scheme} scheme.")
    inside = [(prev, cur, True) for prev, cur in _INSIDE[scheme]]
    entities = []
    # Start patterns of both schemes accept any previous tag, so unlike
    # seqeval we need not track it.
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token[0] in _START[scheme]:
            end = index + 1
            while _matches(inside, tokens[end - 1], tokens[end]):
                end += 1  # the sentinel "O" is never inside, so this stops
            if _matches(_END[scheme], tokens[end - 1], tokens[end]):
                entities.append((token[1], index, end - 1))
            index = end
        else:
            index += 1
    return entities


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else 0.0


def _prf(correct, predicted, true):
    precision, recall = _ratio(correct, predicted), _ratio(correct, true)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1}


def entity_scores(y_true, y_pred, mode=None, scheme=None):
    """Micro-averaged entity precision/recall/F1, per-type scores and word accuracy.

    Args:
        y_true, y_pred: lists of sentences (lists of tags), same lengths.
        mode: None (default, lenient) or "strict".
        scheme: "IOB2" or "IOBES"; required for strict mode.

    Returns:
        dict with `precision`, `recall`, `f1` (0.0 when undefined, like
        seqeval), `accuracy` (per word), `true_entities`, `predicted_entities`,
        `correct_entities`, and `per_type`: {type: {precision, recall, f1, support}}.

    Example:
    ```python
    scores = entity_scores([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])
    scores["f1"]  # 0.0: the span is wrong, though 2 of 3 tags are right
    ```
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true sentences but {len(y_pred)} predicted.")
    for number, (true, pred) in enumerate(zip(y_true, y_pred)):
        if len(true) != len(pred):
            raise ValueError(f"sentence {number}: {len(true)} true tags but {len(pred)} "
                             "predicted.")
    if mode == "strict":
        if scheme is None:
            raise ValueError("strict mode needs a scheme: IOB2 or IOBES.")
        true, pred = get_strict_entities(y_true, scheme), get_strict_entities(y_pred, scheme)
    elif mode is None:
        true, pred = get_entities(y_true), get_entities(y_pred)
    else:
        raise ValueError(f"mode must be None or 'strict', got {mode!r}.")
    true, pred = set(true), set(pred)
    correct = true & pred
    scores = _prf(len(correct), len(pred), len(true))
    words = sum(len(s) for s in y_true)
    matching = sum(t == p for ts, ps in zip(y_true, y_pred) for t, p in zip(ts, ps))
    scores.update(accuracy=_ratio(matching, words), true_entities=len(true),
                  predicted_entities=len(pred), correct_entities=len(correct))
    count = collections.Counter
    by_type_true, by_type_pred = count(e[0] for e in true), count(e[0] for e in pred)
    by_type_correct = count(e[0] for e in correct)
    scores["per_type"] = {
        type_: {**_prf(by_type_correct[type_], by_type_pred[type_], by_type_true[type_]),
                "support": by_type_true[type_]}
        for type_ in sorted(set(by_type_true) | set(by_type_pred))}
    return scores
