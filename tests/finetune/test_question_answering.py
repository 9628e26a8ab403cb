"""Extractive QA (SQuAD): official EM/F1, character-exact span mapping, sliding
windows, bad answers, decoding rules, learning a constructed task, and the
exported SavedModel answering in a fresh process."""

import json
import os
import random

import numpy as np
import pytest
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.finetune.job import FinetuneOptions
from electra_tf.finetune.job import run_finetuning
from electra_tf.finetune.qa import squad_metrics
from electra_tf.finetune.qa.model import ElectraQuestionAnswerer
from electra_tf.finetune.qa.squad import SquadExample
from electra_tf.finetune.qa.squad import build_features
from electra_tf.finetune.qa.squad import decode_predictions
from electra_tf.finetune.qa.squad import read_squad
from electra_tf.finetune.qa.task import QuestionAnsweringTask
from electra_tf.finetune.qa.task import predict_answers
from electra_tf.text.tokenizer import ElectraTokenizer
from tests.export import fuzz
from tests.export.serving_session import assert_serves
from tests.export.serving_session import serve_in_session


def _squad_file(path, paragraphs, version="1.1"):
    """paragraphs: list of (context, [(id, question, answer_text or None, answer_start)])."""
    data = [{"title": "t", "paragraphs": [{"context": context, "qas": [
        {"id": qid, "question": question,
         "answers": [] if text is None else [{"text": text, "answer_start": start}],
         **({"is_impossible": text is None} if version == "2.0" else {})}
        for qid, question, text, start in qas]} for context, qas in paragraphs]}]
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"version": version, "data": data}, f, ensure_ascii=False)
    return str(path)


def _answered(context, answers):
    """[(id, question, text, start)] for answer texts located in `context` (first match)."""
    return [(f"q{i}", f"where is {text}?", text, context.index(text))
            for i, text in enumerate(answers)]


def _one_hot_logits(features, high=8.0):
    """Logits whose best span is each window's training label."""
    logits = np.zeros(features.token_ids.shape + (2,), np.float32)
    rows = np.arange(len(features))
    logits[rows, features.start_positions, 0] = high
    logits[rows, features.end_positions, 1] = high
    return logits


# --------------------------------------------------------------------------- metrics


def test_squad_em_and_f1_match_hand_computed_values():
    normalize = squad_metrics.normalize_answer
    assert normalize("The  Denver Broncos!") == "denver broncos"
    assert normalize("an apple, a pear & the plum") == "apple pear plum"
    assert normalize("Theater") == "theater"  # articles only as whole words
    assert squad_metrics.exact_match("Denver Broncos", "the denver broncos.") == 1
    # gold {denver, broncos}, prediction {broncos, won}: P = R = 1/2 -> F1 1/2.
    assert squad_metrics.f1("Denver Broncos", "Broncos won") == pytest.approx(0.5)
    # gold {a1 b c}, prediction {b c d e}: same 2, P 2/4, R 2/3 -> 2*(1/2*2/3)/(7/6) = 4/7.
    assert squad_metrics.f1("x1 b c", "b c d e") == pytest.approx(4 / 7)
    # Token bags: "b b" vs "b": same 1, P 1, R 1/2 -> 2/3.
    assert squad_metrics.f1("b b", "b") == pytest.approx(2 / 3)

    golds = {"q1": ["Denver Broncos", "The Broncos"], "q2": ["Santa Clara, California"],
             "q3": ["1996"], "q4": ["x"]}
    predictions = {"q1": "broncos", "q2": "Santa Clara", "q3": "in 1995"}
    scores = squad_metrics.squad_scores(golds, predictions)
    # EM: q1 matches "The Broncos". F1: q1 1, q2 (P 1, R 2/3) 0.8, q3 0, q4 missing 0.
    assert scores["exact_match"] == pytest.approx(1 / 4)
    assert scores["f1"] == pytest.approx((1 + 0.8 + 0 + 0) / 4)
    assert scores["total"] == 4 and scores["missing"] == 1

    # SQuAD v2.0: no gold answer -> only "" is right; "" against a real answer is wrong.
    golds = {"a": ["Paris"], "b": [], "c": [], "d": ["the"]}
    predictions = {"a": "", "b": "", "c": "Paris", "d": ""}
    v2 = squad_metrics.squad_scores(golds, predictions, version_2=True)
    # "d": its only gold normalizes to "", so it counts as a no-answer question.
    assert v2["exact_match"] == pytest.approx(2 / 4) and v2["f1"] == pytest.approx(2 / 4)
    assert v2["has_answer_total"] == 1 and v2["has_answer_exact_match"] == 0.0
    assert v2["no_answer_total"] == 3 and v2["no_answer_exact_match"] == pytest.approx(2 / 3)
    # v1.1 keeps the "the" gold and scores F1 of empty token lists 0.
    assert squad_metrics.f1("the", "", version_2=False) == 0.0
    assert squad_metrics.f1("the", "", version_2=True) == 1.0


# --------------------------------------------------------------------------- spans


@pytest.fixture(scope="module")
def bert_tokenizer(bert_vocab_path):
    return ElectraTokenizer.from_vocab_file(bert_vocab_path)


def test_answer_spans_round_trip_character_offsets_through_wordpieces(tmp_path, bert_tokenizer):
    cases = [
        ("Zoë Saldaña starred in Avatar (2009), directed by James Cameron.",
         ["Zoë Saldaña", "2009", "James Cameron", "Avatar"]),
        ("北京是中国的首都。东京很大，Tokyo is big.", ["中国", "首都", "东京很大", "Tokyo"]),
        ("Denver's quarterback, Peyton Manning, won Super Bowl 50!",
         ["Denver", "Peyton Manning", "Super Bowl 50", "Manning, won"]),
        ("Ångström units\u00a0— 10 nm — are tiny; naïve café-au-lait 😀 costs $5.",
         ["Ångström", "café", "au-lait", "$5", "tiny"]),
    ]
    paragraphs = [(context, [(f"{n}-{qid}", q, t, s)
                             for qid, q, t, s in _answered(context, answers)])
                  for n, (context, answers) in enumerate(cases)]
    examples = read_squad(_squad_file(tmp_path / "train.json", paragraphs))
    features = build_features(examples, bert_tokenizer, max_seq_length=64, is_training=True)
    assert len(features) == len(examples) == 17  # one window each here
    # Pieces tokenize to exactly what the tokenizer makes of the whole context.
    whole = tf.function(bert_tokenizer.tokenize)(tf.constant([c for c, _ in cases])).to_list()
    by_context = {e.context: c for e, c in zip(features.examples, features.contexts)}
    assert [by_context[c].token_ids.tolist() for c, _ in cases] == whole

    answers = decode_predictions(features, _one_hot_logits(features), max_answer_length=30)
    for example in examples:
        answer = answers[example.qas_id]
        assert (answer["text"], answer["start"], answer["end"]) == (
            example.answers[0], example.start_char, example.end_char), example
        assert example.context[answer["start"]:answer["end"]] == answer["text"]


def test_long_context_gives_several_windows_and_the_answer_lands_in_the_right_one(
        tmp_path, bert_tokenizer):
    filler = [f"Scene {i} of the film was shot at night near the old harbour." for i in range(30)]
    context = " ".join(filler[:17] + ["The director of the film was Peter Jackson."] + filler[17:])
    qas = [("q", "Who directed the film?", "Peter Jackson", context.index("Peter Jackson"))]
    examples = read_squad(_squad_file(tmp_path / "long.json", [(context, qas)]))
    features = build_features(examples, bert_tokenizer, max_seq_length=64, doc_stride=24,
                              max_query_length=16, is_training=True)
    tokens = features.contexts[0]
    assert len(tokens.token_ids) > 300 and len(features) >= 10
    first, last = tokens.token_span(examples[0].start_char, examples[0].end_char)
    covered = [f for f in range(len(features))
               if first in features.token_to_context[f] and last in features.token_to_context[f]]
    assert 1 <= len(covered) < len(features)
    for f in range(len(features)):
        start, end = features.start_positions[f], features.end_positions[f]
        if f in covered:  # labels point at the answer's wordpieces of this window
            span = tokens.char_span(features.token_to_context[f, start],
                                    features.token_to_context[f, end])
            assert context[span[0]:span[1]] == "Peter Jackson"
        else:
            assert start == end == 0  # [CLS]: the answer is not in this window
    # Every context wordpiece has exactly one max-context window.
    counts = np.zeros(len(tokens.token_ids), int)
    for f in range(len(features)):
        np.add.at(counts, features.token_to_context[f][features.max_context[f]], 1)
    assert (counts == 1).all()
    # Decoding across windows finds it; a window without it scores its own guess lower.
    logits = _one_hot_logits(features)
    decoy = next(f for f in range(len(features)) if f not in covered)
    inside = np.flatnonzero(features.max_context[decoy])[:2]
    logits[decoy, inside[0], 0], logits[decoy, inside[1], 1] = 7.0, 7.0
    answer = decode_predictions(features, logits)["q"]
    assert (answer["text"], answer["start"]) == ("Peter Jackson", context.index("Peter Jackson"))
    assert len(answer["nbest"]) >= 2
    assert sum(a["probability"] for a in answer["nbest"]) == pytest.approx(1.0)


def test_decoding_respects_span_rules_and_the_v2_null_threshold(bert_tokenizer):
    example = SquadExample("q", "which one?", "alpha beta gamma delta", ["alpha beta"])
    features = build_features([example], bert_tokenizer, max_seq_length=16)
    at = {w: 5 + i for i, w in enumerate(["alpha", "beta", "gamma", "delta"])}  # [CLS] q q ? [SEP]
    assert features.token_to_context[0, at["alpha"]] == 0
    logits = np.zeros((1, 16, 2), np.float32)
    logits[0, 1, :] = 20.0  # a question token: never an answer
    logits[0, at["alpha"]] = (3, -10)
    logits[0, at["gamma"], 1] = 2
    logits[0, at["delta"]] = (5, -10)  # delta..gamma would be best, but end < start
    logits[0, 0] = (1, 1)  # [CLS]: null score 2
    decode = lambda **kw: decode_predictions(features, logits, **kw)["q"]
    assert decode()["text"] == "alpha beta gamma"  # 3 + 2
    best = decode(max_answer_length=2)  # alpha..beta = 3 + 0
    assert (best["text"], best["start"], best["end"], best["score"]) == ("alpha beta", 0, 10, 3.0)
    assert decode(max_answer_length=2, version_2=True)["text"] == "alpha beta"  # 2 - 3 < 0
    logits[0, 0] = (3, 3)  # null 6: 6 - 3 > 0
    assert decode(max_answer_length=2)["text"] == "alpha beta"  # v1.1 always answers
    no_answer = decode(max_answer_length=2, version_2=True)
    assert (no_answer["text"], no_answer["start"], no_answer["null_odds"]) == ("", None, 3.0)
    assert decode(max_answer_length=2, version_2=True, null_threshold=5.0)["text"] == "alpha beta"


# --------------------------------------------------------------------------- bad input


def test_misplaced_answer_start_is_skipped_with_a_warning_or_fails_the_file(tmp_path):
    context = "The capital of France is Paris."
    good = [(f"ok{i}", "What is the capital?", "Paris", 25) for i in range(19)]
    bad = [("bad-1", "What is the capital?", "Paris", 3)]
    logged = []
    examples = read_squad(_squad_file(tmp_path / "a.json", [(context, good + bad)]),
                          log=logged.append)
    assert [e.qas_id for e in examples] == [q[0] for q in good]
    assert len(logged) == 1 and "1 of 20" in logged[0] and "bad-1" in logged[0], logged
    assert examples[0].context[examples[0].start_char:examples[0].end_char] == "Paris"
    # Dev files need only the texts: nothing is skipped.
    assert len(read_squad(str(tmp_path / "a.json"), is_training=False, log=logged.append)) == 20

    # Mostly wrong offsets (e.g. bytes): the whole file is refused, naming a question.
    accented = "Café Olé: the capital of France is Paris."
    byte_start = accented.encode("utf-8").index(b"Paris")
    wrong = [(f"w{i}", "What is the capital?", "Paris", byte_start) for i in range(5)]
    with pytest.raises(UsageError, match=r"5 of 5 .*w0.*character \(not byte\) offset"):
        read_squad(_squad_file(tmp_path / "b.json", [(accented, wrong)]))
    # A v2.0 file read as v1.1.
    v2 = _squad_file(tmp_path / "v2.json", [(context, [("imp-7", "Who?", None, 0)])], "2.0")
    with pytest.raises(UsageError, match="imp-7.*version_2"):
        read_squad(v2)
    with pytest.raises(UsageError, match="does not exist"):
        read_squad(str(tmp_path / "missing.json"))


# --------------------------------------------------------------------------- learning

SUBJECTS = ("movie film story plot acting director scene actors script cast killer budget "
            "camera music horror comedy girl audience school zombie").split()
OBJECTS = ("screen title children money book video woman child family world death peter "
           "adam year house friend city night town water").split()
RELATIONS = ["capital", "color", "king", "song"]


def _template_squad(path, paragraphs, seed, impossible_every=0):
    """Contexts of three facts "The R of X is Y." (random relations, subjects,
    objects); questions "What is the R of X?" -> Y. Every combination differs
    between seeds, so dev questions are unseen."""
    rng = random.Random(seed)
    out = []
    for p in range(paragraphs):
        facts = list(zip(rng.sample(RELATIONS, 3), rng.sample(SUBJECTS, 3), rng.sample(OBJECTS, 3)))
        context = " ".join(f"The {r} of {x} is {y}." for r, x, y in facts)
        qas = [(f"s{seed}-{p}-{r}", f"What is the {r} of {x}?", y,
                context.index(f"The {r} of {x} is {y}.") + len(f"The {r} of {x} is "))
               for r, x, y in facts]
        if impossible_every and p % impossible_every == 0:
            missing = next(r for r in RELATIONS if r not in [f[0] for f in facts])
            qas.append((f"s{seed}-{p}-none", f"What is the {missing} of {facts[0][1]}?", None, 0))
        out.append((context, qas))
    return _squad_file(path, out, "2.0" if impossible_every else "1.1")


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory, pretrained):
    root = tmp_path_factory.mktemp("qa")
    task = QuestionAnsweringTask(_template_squad(root / "train.json", 150, seed=1),
                                 _template_squad(root / "dev.json", 40, seed=2),
                                 max_answer_length=5)
    options = FinetuneOptions(init=pretrained, output_dir=str(root / "out"), epochs=6,
                              learning_rate=1e-3, batch_size=16, max_seq_length=64,
                              show_progress=False)
    logged = []
    results = run_finetuning(task, options, log=logged.append)
    options.dev_file = task.dev_file  # what the tests below read back
    return results, options, logged


@pytest.mark.slow
def test_question_answering_learns_a_constructed_squad_task(finetuned):
    results, options, logged = finetuned
    # Chance: one of ~24 context words; even "the word after 'is'" gives 1/3.
    assert results["dev"]["exact_match"] > 0.6, (results["dev"], logged)
    assert results["dev"]["f1"] >= results["dev"]["exact_match"]
    assert results["train_questions"] == 450 and results["dev_questions"] == 120
    saved = json.load(open(os.path.join(options.output_dir, "results.json")))
    assert len(saved["history"]) == 6 and saved["dev"] == results["dev"]
    assert max(h["f1"] for h in saved["history"]) == pytest.approx(results["dev"]["f1"])
    predictions = json.load(open(results["predictions"]))
    gold = {e.qas_id: e.answers for e in read_squad(options.dev_file, is_training=False)}
    assert set(predictions) == set(gold)
    assert squad_metrics.squad_scores(gold, predictions)["exact_match"] == pytest.approx(
        results["dev"]["exact_match"])
    assert any(line.startswith("epoch 6: dev exact_match") for line in logged)


@pytest.mark.slow
def test_exported_model_in_the_serving_loader_answers_with_character_offsets(
        finetuned, tmp_path):
    results, options, _ = finetuned
    dev = read_squad(options.dev_file, is_training=False)[:12]
    # Non-ASCII before the answer: character offsets differ from byte offsets.
    prefix = "Olé! 北京 café — "
    examples = dev + [SquadExample(e.qas_id + "-u", e.question, prefix + e.context, e.answers)
                      for e in dev[:6]]
    requests = {"question": [e.question for e in examples] + ["What?", "What is it?"],
                "context": [e.context for e in examples] + ["", "word " * 3000]}
    outputs, = assert_serves(results["export"], [("serving_default", {
        name: np.array(values, dtype=object) for name, values in requests.items()})], tmp_path,
        model_name="electra_question_answering")
    served = {"answer": [a.decode() for a in outputs["answer"]],
              "start": outputs["start"].tolist(), "end": outputs["end"].tolist(),
              "score": outputs["score"].tolist()}

    from electra_tf.finetune.encoder_init import load_encoder

    backbone, tokenizer, _ = load_encoder(options.init)
    features = build_features(examples, tokenizer, max_seq_length=64)
    assert len(features) == len(examples)  # single windows: serving must agree exactly
    model = ElectraQuestionAnswerer(backbone)
    model(features.inputs())
    model.load_weights(os.path.join(options.output_dir, "best.weights.h5"))
    expected = predict_answers(model, features, batch_size=8, max_answer_length=5)
    correct = 0
    for i, example in enumerate(examples):
        answer, start, end = served["answer"][i], served["start"][i], served["end"][i]
        assert example.context[start:end] == answer
        mine = expected[example.qas_id]
        assert (answer, start, end) == (mine["text"], mine["start"], mine["end"]), example
        assert served["score"][i] == pytest.approx(mine["score"], abs=1e-3)
        if answer == example.answers[0]:
            correct += 1
            gold_start = example.context.rindex(f" is {answer}.") + 4
            assert start == gold_start
    assert correct >= len(examples) // 2, served["answer"]
    shifted = [i for i in range(6) if served["answer"][i] == served["answer"][12 + i]]
    assert shifted and all(served["start"][12 + i] == served["start"][i] + len(prefix)
                           for i in shifted)
    assert len(prefix.encode("utf-8")) != len(prefix)
    # Empty context: no span. Very long context: truncated to one window, no error.
    assert (served["answer"][-2], served["start"][-2], served["end"][-2]) == ("", 0, 0)
    long_start, long_end = served["start"][-1], served["end"][-1]
    assert requests["context"][-1][long_start:long_end] == served["answer"][-1] != ""
    assert long_end < 64 * len("word ")
    assert os.path.isfile(os.path.join(results["export"], "assets.extra",
                                       "tf_serving_warmup_requests"))


def test_exported_question_answerer_survives_fuzzed_requests(finetuned, tmp_path):
    results, _, _ = finetuned
    requests = fuzz.text_requests("serving_default", ["question", "context"],
                                  np.random.default_rng(4), 12)
    run = serve_in_session(results["export"], [r[:2] for r in requests], tmp_path)
    fuzz.check_fuzz_results(requests, run)
    mismatched = [result for (_, _, bad), result in zip(requests, run.results) if bad]
    assert mismatched and all("question and context must have the same batch size"
                              in result["message"] for result in mismatched)


@pytest.mark.slow
def test_squad_v2_end_to_end_predicts_no_answer_above_the_threshold(tmp_path, pretrained):
    train = _template_squad(tmp_path / "train.json", 12, seed=3, impossible_every=2)
    dev = _template_squad(tmp_path / "dev.json", 8, seed=4, impossible_every=2)
    options = FinetuneOptions(init=pretrained, output_dir=str(tmp_path / "out"), epochs=1,
                              batch_size=16, max_seq_length=64, show_progress=False)
    with pytest.raises(UsageError, match="version_2"):
        run_finetuning(QuestionAnsweringTask(train, dev), options, log=lambda _: None)
    # A threshold below any null - span difference: every answer is "".
    results = run_finetuning(
        QuestionAnsweringTask(train, dev, version_2=True, null_threshold=-1e9), options,
        log=lambda _: None)
    dev_examples = read_squad(dev, version_2=True, is_training=False)
    impossible = np.mean([e.is_impossible for e in dev_examples])
    assert 0 < impossible < 1
    assert results["dev"]["exact_match"] == pytest.approx(impossible)
    assert results["dev"]["no_answer_exact_match"] == 1.0
    assert results["dev"]["has_answer_exact_match"] == 0.0
    assert set(json.load(open(results["predictions"])).values()) == {""}
    null_odds = json.load(open(results["null_odds"]))
    assert set(null_odds) == {e.qas_id for e in dev_examples}
    served = tf.saved_model.load(results["export"]).signatures["serving_default"](
        question=tf.constant([dev_examples[0].question]),
        context=tf.constant([dev_examples[0].context]))
    assert served["answer"].numpy().tolist() == [b""] and served["start"].numpy()[0] == 0
