"""Entity F1 against the real `seqeval` package; SQuAD EM/F1 against the official scripts' logic.

The package carries its own copies of both metrics (it must not need either
package at run time), so they are checked here against implementations that
share no code with them: `seqeval` itself (a test extra), and the official
SQuAD evaluate-v1.1.py / evaluate-v2.0.py logic written out below from the
scripts, on many random cases each.
"""

import collections
import random
import re
import string
import warnings

import pytest
from seqeval import metrics as seqeval
from seqeval.scheme import IOB2
from seqeval.scheme import IOBES

from electra_tf.finetune.qa import squad_metrics
from electra_tf.finetune.tagging.seqeval_metrics import entity_scores

TYPES = ("PER", "LOC", "MISC")


def random_tags(rng, prefixes, sentences=12):
    """Random (often ill-formed) tag sequences: every transition the decoders must handle."""
    result = []
    for _ in range(sentences):
        tags = []
        for _ in range(rng.randint(1, 9)):
            prefix = rng.choice(prefixes)
            tags.append("O" if prefix == "O" else f"{prefix}-{rng.choice(TYPES)}")
        result.append(tags)
    return result


def noisy_copy(rng, sentences, prefixes):
    """Predictions: the truth with some tags replaced, so scores are neither 0 nor 1."""
    out = []
    for tags in sentences:
        out.append([t if rng.random() < 0.7 else
                    ("O" if (p := rng.choice(prefixes)) == "O" else f"{p}-{rng.choice(TYPES)}")
                    for t in tags])
    return out


def seqeval_scores(y_true, y_pred, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns when a ratio is 0/0 and returns 0
        report = seqeval.classification_report(y_true, y_pred, output_dict=True, **kwargs)
        return {
            "precision": seqeval.precision_score(y_true, y_pred, **kwargs),
            "recall": seqeval.recall_score(y_true, y_pred, **kwargs),
            "f1": seqeval.f1_score(y_true, y_pred, **kwargs),
            "accuracy": seqeval.accuracy_score(y_true, y_pred),
            "per_type": {k: v for k, v in report.items() if k in TYPES},
        }


def assert_same_scores(ours, theirs):
    for key in ("precision", "recall", "f1", "accuracy"):
        assert ours[key] == pytest.approx(theirs[key], abs=1e-12), key
    for type_, values in theirs["per_type"].items():
        for key, their_key in (("precision", "precision"), ("recall", "recall"),
                               ("f1", "f1-score")):
            assert ours["per_type"][type_][key] == pytest.approx(values[their_key], abs=1e-12)
        assert ours["per_type"][type_]["support"] == values["support"]


@pytest.mark.parametrize("seed", range(20))
def test_default_mode_matches_seqeval(seed):
    rng = random.Random(seed)
    prefixes = ["O", "O", "B", "I", "E", "S"] if seed % 2 else ["O", "O", "B", "I"]
    y_true = random_tags(rng, prefixes)
    y_pred = noisy_copy(rng, y_true, prefixes)
    assert_same_scores(entity_scores(y_true, y_pred), seqeval_scores(y_true, y_pred))


@pytest.mark.parametrize("scheme,seqeval_scheme,prefixes", [
    ("IOB2", IOB2, ["O", "O", "B", "I"]),
    ("IOBES", IOBES, ["O", "O", "B", "I", "E", "S"]),
])
@pytest.mark.parametrize("seed", range(10))
def test_strict_mode_matches_seqeval(scheme, seqeval_scheme, prefixes, seed):
    rng = random.Random(100 + seed)
    y_true = random_tags(rng, prefixes)
    y_pred = noisy_copy(rng, y_true, prefixes)
    ours = entity_scores(y_true, y_pred, mode="strict", scheme=scheme)
    assert_same_scores(ours, seqeval_scores(y_true, y_pred, mode="strict",
                                            scheme=seqeval_scheme))


# --- SQuAD: the official scripts' logic, written independently ---------------

def official_normalize(s):
    """evaluate-v1.1.py / v2.0.py `normalize_answer`: lower, no punc, no articles, white space."""
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def official_f1_v1(prediction, ground_truth):
    prediction_tokens = official_normalize(prediction).split()
    ground_truth_tokens = official_normalize(ground_truth).split()
    common = collections.Counter(prediction_tokens) & collections.Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def official_f1_v2(a_gold, a_pred):
    gold_toks = official_normalize(a_gold).split()
    pred_toks = official_normalize(a_pred).split()
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def official_scores(golds, predictions, version_2):
    exact, f1 = [], []
    for qid, answers in golds.items():
        if version_2:
            answers = [a for a in answers if official_normalize(a)] or [""]
        if qid not in predictions:
            exact.append(0)
            f1.append(0)
            continue
        pred = predictions[qid]
        exact.append(max(int(official_normalize(a) == official_normalize(pred))
                         for a in answers))
        f1_fn = official_f1_v2 if version_2 else (lambda g, p: official_f1_v1(p, g))
        f1.append(max(f1_fn(a, pred) for a in answers))
    return sum(exact) / len(exact), sum(f1) / len(f1)


WORDS = ["the", "a", "an", "Denver", "Broncos", "broncos", "1990s", "l'été", "U.S.", "—",
         "Ünïcode", "rock-'n'-roll", "Theory", "ANother", "...", "x", "",  "  ", "50%", "$5"]


def random_answer(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 5)))


@pytest.mark.parametrize("version_2", [False, True])
def test_squad_scores_match_the_official_logic(version_2):
    rng = random.Random(7)
    golds, predictions = {}, {}
    for i in range(300):
        count = rng.choice([0, 1, 1, 2, 3]) if version_2 else rng.choice([1, 2, 3])
        golds[f"q{i}"] = [random_answer(rng) for _ in range(count)]
        if rng.random() < 0.95:  # a few questions without a prediction
            answers = golds[f"q{i}"]
            predictions[f"q{i}"] = (rng.choice(answers) + rng.choice(["", " the", "!"])
                                    if answers and rng.random() < 0.4 else random_answer(rng))
    if not version_2:
        golds = {q: a for q, a in golds.items() if a}
    exact, f1 = official_scores(golds, predictions, version_2)
    ours = squad_metrics.squad_scores(golds, predictions, version_2=version_2)
    assert 0.05 < exact < 0.95 and 0.05 < f1 < 0.95  # the cases exercise both outcomes
    assert ours["exact_match"] == pytest.approx(exact, abs=1e-12)
    assert ours["f1"] == pytest.approx(f1, abs=1e-12)
