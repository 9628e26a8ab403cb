"""SQuAD exact match and F1, as the official evaluation scripts compute them.

`evaluate-v1.1.py` and `evaluate-v2.0.py` differ in two corners, both kept:
v2.0 drops gold answers that normalize to "" (and scores a question with no
gold answer against "", so predicting "" for an unanswerable question scores
1), and its F1 of two empty token lists is 1 where v1.1's is 0. Scores here
are fractions in [0, 1] (the scripts print percentages). A question without a
prediction scores 0 and is counted in `missing`.
"""

import collections
import re
import string

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text):
    """Lowercase, drop ASCII punctuation, drop the articles a/an/the, squash
    whitespace (the official `normalize_answer`, in its order).

    Example:
    ```python
    normalize_answer("The  Denver Broncos!")  # "denver broncos"
    ```
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(gold, prediction):
    """1 if the normalized texts are equal, else 0."""
    return int(normalize_answer(gold) == normalize_answer(prediction))


def f1(gold, prediction, version_2=True):
    """Token-bag F1 of the normalized texts.

    Args:
        gold, prediction: str.
        version_2: bool. v2.0's rule: if either side has no tokens, 1 when both
            have none, else 0. (v1.1: 0 whenever nothing overlaps.)
    """
    gold_tokens = normalize_answer(gold).split()
    predicted_tokens = normalize_answer(prediction).split()
    if version_2 and (not gold_tokens or not predicted_tokens):
        return float(gold_tokens == predicted_tokens)
    common = collections.Counter(gold_tokens) & collections.Counter(predicted_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def squad_scores(gold_answers, predictions, version_2=False):
    """Exact match and F1 over questions, each the max over its gold answers.

    Args:
        gold_answers: dict qas_id -> list of gold answer texts ([] when the
            question has no answer, SQuAD v2.0).
        predictions: dict qas_id -> predicted text ("" for no answer).
        version_2: bool. Apply evaluate-v2.0.py's rules and report has-answer
            / no-answer splits.

    Returns:
        dict: "exact_match", "f1", "total", "missing"; with `version_2` also
        "has_answer_exact_match", "has_answer_f1", "has_answer_total" and the
        same for "no_answer_" (absent when that group is empty).

    Example:
    ```python
    squad_scores({"q1": ["Denver Broncos"]}, {"q1": "the Denver Broncos"})
    # {"exact_match": 1.0, "f1": 1.0, "total": 1, "missing": 0}
    ```
    """
    exact, f1_scores, has_answer, missing = {}, {}, {}, 0
    for qas_id, golds in gold_answers.items():
        golds = list(golds)
        if version_2:
            golds = [g for g in golds if normalize_answer(g)] or [""]
        has_answer[qas_id] = golds != [""]
        if qas_id not in predictions:
            missing += 1
            exact[qas_id], f1_scores[qas_id] = 0, 0.0
            continue
        prediction = predictions[qas_id]
        exact[qas_id] = max(exact_match(g, prediction) for g in golds) if golds else 0
        f1_scores[qas_id] = max(f1(g, prediction, version_2) for g in golds) if golds else 0.0
    result = {**_means(exact, f1_scores, list(exact)), "missing": missing}
    if version_2:
        for prefix, wanted in (("has_answer_", True), ("no_answer_", False)):
            ids = [q for q in exact if has_answer[q] == wanted]
            if ids:
                result.update({prefix + k: v for k, v in _means(exact, f1_scores, ids).items()})
    return result


def _means(exact, f1_scores, ids):
    total = len(ids)
    return {"exact_match": sum(exact[q] for q in ids) / total if total else 0.0,
            "f1": sum(f1_scores[q] for q in ids) / total if total else 0.0, "total": total}
