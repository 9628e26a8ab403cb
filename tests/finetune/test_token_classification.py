"""Token classification (NER): entity metrics, CoNLL reading, label alignment, learning,
and the raw-text SavedModel with character offsets."""

import json
import os
import random

import keras
import numpy as np
import pytest
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.finetune.tagging.conll import ConllSentence
from electra_tf.finetune.tagging.conll import read_conll
from electra_tf.finetune.tagging.conll import tag_labels
from electra_tf.finetune.tagging.conll import tag_scheme
from electra_tf.export.warmup import read_warmup_requests
from electra_tf.finetune.job import FinetuneOptions
from electra_tf.finetune.job import run_finetuning
from electra_tf.finetune.tagging import serving as ner_serving
from electra_tf.finetune.tagging.encoding import IGNORE_LABEL
from electra_tf.finetune.tagging.encoding import encode_sentences
from electra_tf.finetune.tagging.model import ElectraTokenClassifier
from electra_tf.finetune.tagging.seqeval_metrics import entity_scores
from electra_tf.finetune.tagging.seqeval_metrics import get_entities
from electra_tf.finetune.tagging.seqeval_metrics import get_strict_entities
from electra_tf.finetune.tagging.task import TaggingTask
from electra_tf.finetune.tagging.task import predict_word_tags
from electra_tf.text import word_split
from electra_tf.text.packing import WordPacker
from electra_tf.text.tokenizer import ElectraTokenizer
from electra_tf.training.model_dir import load_pretrainer
from tests.export import fuzz
from tests.export.serving_session import assert_serves
from tests.export.serving_session import serve_in_session


# ---------------------------------------------------------------- entity metrics

def test_seqeval_classic_example_scores_half():
    y_true = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    y_pred = [["O", "O", "B-MISC", "I-MISC", "O", "O"], ["B-PER", "I-PER", "O"]]
    # True: MISC words 2-4, PER 7-8 (sentences joined with one "O"); predicted
    # MISC 2-3 is a wrong span, PER is right: 1 of 2 predicted, 1 of 2 true.
    assert get_entities(y_true) == [("MISC", 2, 4), ("PER", 7, 8)]
    assert get_entities(y_pred) == [("MISC", 2, 3), ("PER", 7, 8)]
    scores = entity_scores(y_true, y_pred)
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.5, 0.5, 0.5)
    assert scores["accuracy"] == pytest.approx(8 / 9)
    assert scores["per_type"]["PER"]["f1"] == 1.0 and scores["per_type"]["MISC"]["f1"] == 0.0
    assert scores["per_type"]["MISC"]["support"] == 1


def test_seqeval_readme_example_lenient_and_strict():
    # seqeval's README: an entity opened by I- counts in default mode only.
    y_true, y_pred = [["B-NP", "I-NP", "O"]], [["I-NP", "I-NP", "O"]]
    assert get_entities(y_pred) == [("NP", 0, 1)]
    assert entity_scores(y_true, y_pred)["f1"] == 1.0
    strict = entity_scores(y_true, y_pred, mode="strict", scheme="IOB2")
    assert (strict["precision"], strict["recall"], strict["f1"]) == (0.0, 0.0, 0.0)


def test_seqeval_iob1_and_type_changes():
    # IOB1: I- carries entities; B- only splits two adjacent entities of one type.
    tags = ["I-PER", "I-PER", "B-PER", "I-PER", "O", "I-LOC", "I-ORG", "B-LOC"]
    assert get_entities(tags) == [("PER", 0, 1), ("PER", 2, 3), ("LOC", 5, 5), ("ORG", 6, 6),
                                  ("LOC", 7, 7)]
    # 5 true; predicted merges the two PERs (a wrong span) and misses ORG: 2 of its 3
    # entities (both LOCs) are right.
    pred = ["I-PER", "I-PER", "I-PER", "I-PER", "O", "I-LOC", "O", "B-LOC"]
    scores = entity_scores([tags], [pred])
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 5)
    assert scores["f1"] == pytest.approx(2 * (2 / 3) * (2 / 5) / (2 / 3 + 2 / 5))


def test_seqeval_iobes_lenient_and_strict():
    y_true = [["S-LOC", "O", "B-PER", "I-PER", "E-PER"], ["B-ORG", "E-ORG"]]
    y_pred = [["S-LOC", "O", "B-PER", "E-PER", "O"], ["B-ORG", "I-ORG"]]
    assert get_entities(y_true) == [("LOC", 0, 0), ("PER", 2, 4), ("ORG", 6, 7)]
    # Default mode reads "B-ORG I-ORG" (no E-) as an entity; strict mode does not.
    assert get_entities(y_pred) == [("LOC", 0, 0), ("PER", 2, 3), ("ORG", 6, 7)]
    assert get_strict_entities(y_pred, "IOBES") == [("LOC", 0, 0), ("PER", 2, 3)]
    lenient = entity_scores(y_true, y_pred)
    assert (lenient["precision"], lenient["recall"]) == (pytest.approx(2 / 3),
                                                         pytest.approx(2 / 3))
    strict = entity_scores(y_true, y_pred, mode="strict", scheme="IOBES")
    assert (strict["precision"], strict["recall"]) == (pytest.approx(1 / 2), pytest.approx(1 / 3))
    assert strict["f1"] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="not allowed in the IOB2"):
        entity_scores(y_true, y_pred, mode="strict", scheme="IOB2")


def test_seqeval_edge_cases():
    assert entity_scores([["O", "O"]], [["O", "O"]])["f1"] == 0.0  # no entities: 0, as seqeval
    # E- after O and I- after S- open entities in default mode; E-X after B-Y splits.
    assert get_entities(["E-PER", "S-LOC", "I-LOC", "B-PER", "E-LOC"]) == [
        ("PER", 0, 0), ("LOC", 1, 1), ("LOC", 2, 2), ("PER", 3, 3), ("LOC", 4, 4)]
    with pytest.raises(ValueError, match="2 true tags but 1"):
        entity_scores([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="invalid tag"):
        get_entities(["X-PER"])


# ---------------------------------------------------------------- CoNLL reading

def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_conll_reader_reads_columns_and_skips_docstart(tmp_path):
    path = _write(tmp_path / "train.txt", "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n"
                  "rejects VBZ B-VP O\n\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n")
    sentences = read_conll(path)
    assert [s.words for s in sentences] == [["EU", "rejects"], ["Peter", "Blackburn"]]
    assert [s.tags for s in sentences] == [["B-ORG", "O"], ["B-PER", "I-PER"]]
    assert [s.line for s in sentences] == [3, 7]
    chunks = read_conll(path, tag_column=2)
    assert chunks[0].tags == ["B-NP", "B-VP"]
    assert tag_labels(sentences) == ["O", "B-ORG", "B-PER", "I-PER"]
    assert tag_scheme(["O", "B-PER", "E-PER"]) == "IOBES" and tag_scheme(["O", "I-X"]) == "IOB"


def test_conll_wrong_column_count_names_the_line(tmp_path):
    path = _write(tmp_path / "bad.txt", "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"
                  "German JJ B-MISC\n")
    with pytest.raises(UsageError) as error:
        read_conll(path)
    assert f"{path}:4" in str(error.value) and "expected 4" in str(error.value)
    assert "found 3" in str(error.value)


def test_conll_empty_file_and_bad_tag_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no sentences"):
        read_conll(_write(tmp_path / "empty.txt", ""))
    with pytest.raises(UsageError, match="no sentences"):
        read_conll(_write(tmp_path / "docstart.txt", "-DOCSTART- -X- O\n\n\n"))
    path = _write(tmp_path / "pos.txt", "EU NNP\nrejects VBZ\n")  # a POS file, not tags
    with pytest.raises(UsageError, match=r"pos.txt:1: tag 'NNP'"):
        read_conll(path)
    with pytest.raises(UsageError, match="does not exist"):
        read_conll(str(tmp_path / "missing.txt"))


def test_unknown_dev_tag_fails_before_any_model_loading(tmp_path):
    train = _write(tmp_path / "train.txt", "Ann B-PER\nsings O\n\nBob B-PER\n")
    dev = _write(tmp_path / "dev.txt", "Ann B-PER\n\nin O\nParis B-LOC\n")
    options = FinetuneOptions(init=str(tmp_path / "no_such_model"),
                              output_dir=str(tmp_path / "out"))
    with pytest.raises(UsageError) as error:
        run_finetuning(TaggingTask(train, dev), options)
    assert f"{dev}:4" in str(error.value) and "'B-LOC'" in str(error.value)
    assert not os.path.exists(tmp_path / "out")


# ---------------------------------------------------------------- label alignment

def _eager_pieces(tokenizer, word):
    return list(tokenizer.tokenize(tf.constant([word]))[0])  # eager: a Python list


def test_first_wordpiece_gets_the_tag_and_continuations_are_ignored(small_vocab_path):
    tokenizer = ElectraTokenizer.from_vocab_file(small_vocab_path)
    labels = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    sentences = [
        ConllSentence(["Schwarzenegger", "visited", "Zürich", "and", "東京", "."],
                      ["B-PER", "O", "B-LOC", "O", "B-LOC", "O"], 1),
        ConllSentence(["Kraków", ",", "São", "Paulo", "\x01"],
                      ["B-LOC", "O", "B-LOC", "I-LOC", "O"], 9),
    ]
    pieces = [[_eager_pieces(tokenizer, w) for w in s.words] for s in sentences]
    assert len(pieces[0][0]) >= 3 and len(pieces[0][2]) >= 2  # real multi-piece words
    assert len(pieces[0][4]) == 2  # each CJK character is a piece
    assert pieces[1][4] == []  # a control character normalizes to nothing
    encoded = encode_sentences(sentences, labels, WordPacker(tokenizer, 32))
    for row, (sentence, word_pieces) in enumerate(zip(sentences, pieces)):
        expected_ids = [tokenizer.cls_id] + [p for ps in word_pieces for p in ps] + [
            tokenizer.sep_id]
        ids = encoded.inputs["token_ids"][row]
        assert ids[:len(expected_ids)].tolist() == expected_ids
        assert (ids[len(expected_ids):] == tokenizer.pad_id).all()
        assert encoded.inputs["padding_mask"][row].sum() == len(expected_ids)
        expected_labels = [IGNORE_LABEL] * 32
        position = 1
        for word_tags, ps in zip(sentence.tags, word_pieces):
            if ps:
                expected_labels[position] = labels.index(word_tags)
            position += len(ps)
        assert encoded.labels[row].tolist() == expected_labels
        assert encoded.weights[row].tolist() == [float(v != IGNORE_LABEL)
                                                 for v in expected_labels]
    # "Schwarzenegger": tag on its first piece, -100 on the rest.
    n = len(pieces[0][0])
    assert encoded.labels[0, 1] == labels.index("B-PER")
    assert (encoded.labels[0, 2:1 + n] == IGNORE_LABEL).all()
    assert encoded.word_positions[1].tolist()[-1] == -1  # the control-character word
    assert encoded.dropped_words == 1


def test_truncated_words_are_dropped_in_training_and_predicted_o(small_vocab_path):
    tokenizer = ElectraTokenizer.from_vocab_file(small_vocab_path)
    labels = ["O", "B-PER"]
    words = ["the", "movie", "was", "great", "Ann", "Ann"]
    sentence = ConllSentence(words, ["O", "O", "O", "O", "B-PER", "B-PER"], 1)
    encoded = encode_sentences([sentence], labels, WordPacker(tokenizer, 6))  # 4 pieces fit
    counts = [len(_eager_pieces(tokenizer, w)) for w in words]
    starts = np.cumsum([0] + counts[:-1]) + 1  # after [CLS]
    expected = [int(s) if s <= 4 else -1 for s in starts]
    assert encoded.word_positions[0].tolist() == expected and -1 in expected
    assert (encoded.labels[0] != IGNORE_LABEL).sum() == sum(p >= 0 for p in expected)

    class AlwaysPerson(keras.Model):  # logits favour B-PER at every position
        def call(self, inputs):
            ids = tf.cast(inputs["token_ids"], tf.float32)
            return tf.stack([tf.zeros_like(ids), tf.ones_like(ids)], axis=-1)

    tags = predict_word_tags(AlwaysPerson(), encoded, labels, batch_size=4)[0]
    assert tags == ["B-PER" if p >= 0 else "O" for p in expected]


# ---------------------------------------------------------------- serving graph pieces

def test_serving_words_carry_character_offsets_into_the_original_text():
    texts = ["Zoë 😀 met 東京's\u00a0naïve café-owner,\u3000Ann.", "", "  x\x01y  "]
    words, begins, ends = word_split.split_words_with_offsets(tf.constant(texts))
    starts = word_split.byte_to_char_offsets(tf.constant(texts), begins.to_tensor())
    stops = word_split.byte_to_char_offsets(tf.constant(texts), ends.to_tensor())
    expected = [["Zoë", "😀", "met", "東", "京", "'", "s", "naïve", "café", "-", "owner",
                 ",", "Ann", "."], [], ["x\x01y"]]
    for row, text in enumerate(texts):
        got = [w.decode("utf-8") for w in words[row].numpy()]
        assert got == expected[row]
        n = len(got)
        # Character (not byte) offsets: Python slicing of the str gives each word back.
        assert [text[a:b] for a, b in zip(starts[row, :n].numpy(), stops[row, :n].numpy())] == got
    assert starts[0, 1] == 4 and begins[0, 1] == 5  # after "Zoë " (ë is 2 bytes)


def test_vectorized_span_decoding_equals_seqeval():
    rng = random.Random(7)
    codes = {"O": ner_serving.OUTSIDE, "B": ner_serving.BEGIN, "I": ner_serving.INSIDE,
             "E": ner_serving.END, "S": ner_serving.SINGLE}
    for _ in range(30):
        rows = [[p if p == "O" else f"{p}-{rng.choice('XY')}" for p in
                 (rng.choice("OOBIES") for _ in range(rng.randint(0, 12)))] for _ in range(8)]
        width = max(len(r) for r in rows)
        prefixes, types = np.zeros((8, width), np.int32), np.zeros((8, width), np.int32)
        for i, row in enumerate(rows):
            for j, tag in enumerate(row):
                prefixes[i, j] = codes[tag[0]]
                types[i, j] = 0 if tag == "O" else " XY".index(tag[2])
        first, last = ner_serving.decode_spans(tf.constant(prefixes), tf.constant(types))
        for i, row in enumerate(rows):
            assert list(zip(first[i].numpy(), last[i].numpy())) == [
                (a, b) for _, a, b in get_entities(row)], row


# ---------------------------------------------------------------- learning and export

FIRST = ["Anna", "Jean-Luc", "Zoë", "Søren", "Mohammed", "Keanu", "Greta", "Björk", "Chidi",
         "Marisol", "Takeshi", "Olga"]
LAST = ["Kowalski", "Picard", "Saldaña", "Kierkegaard", "Ali", "Reeves", "Thunberg",
        "Guðmundsdóttir", "Anagonye", "Ortega", "Kitano", "Petrova"]
CITIES = ["Zürich", "Kraków", "São Paulo", "New York", "Reykjavík", "München", "Nairobi",
          "Lisbon", "Córdoba", "Québec", "Buenos Aires", "Tokyo", "Kyiv", "Ouagadougou"]
TEMPLATES = [
    "{P} lives in {L} .",
    "yesterday {P} flew to {L} with {P} .",
    "the film was shot in {L} by {P} .",
    "{P} said the movie about {L} was great .",
    "in {L} , {P} met {P} and the cast .",
    "critics in {L} loved the acting of {P} .",
    "the story follows {P} from {L} to {L} .",
    "i think {P} was wonderful in this movie .",
]


def _tagged_sentence(rng, template):
    words, tags = [], []
    for slot in template.split():
        if slot == "{P}":
            name = [rng.choice(FIRST)] + ([rng.choice(LAST)] if rng.random() < 0.8 else [])
            words += name
            tags += ["B-PER"] + ["I-PER"] * (len(name) - 1)
        elif slot == "{L}":
            city = rng.choice(CITIES).split()
            words += city
            tags += ["B-LOC"] + ["I-LOC"] * (len(city) - 1)
        else:
            words.append(slot)
            tags.append("O")
    return words, tags


def _write_conll(path, count, seed, exclude=()):
    rng = random.Random(seed)
    seen, lines = set(exclude), []
    while len(seen) < count + len(exclude):
        words, tags = _tagged_sentence(rng, rng.choice(TEMPLATES))
        if " ".join(words) in seen:
            continue  # dev sentences are combinations training never saw
        seen.add(" ".join(words))
        lines += [f"{w} X {t}" for w, t in zip(words, tags)] + [""]
    path.write_text("-DOCSTART- X O\n\n" + "\n".join(lines), encoding="utf-8")
    return str(path), seen - set(exclude)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, pretrained):
    root = tmp_path_factory.mktemp("ner")
    model_dir = pretrained
    train_file, train_texts = _write_conll(root / "train.txt", 320, seed=1)
    dev_file, dev_texts = _write_conll(root / "dev.txt", 80, seed=2, exclude=train_texts)
    assert not train_texts & dev_texts
    options = FinetuneOptions(init=model_dir, output_dir=str(root / "out"), epochs=10,
                              learning_rate=5e-3, batch_size=16, max_seq_length=48,
                              show_progress=False)
    messages = []
    task = TaggingTask(train_file, dev_file)
    results = run_finetuning(
        task, options, log=lambda m: (messages.append(m), print(m)))  # shown by pytest on failure
    return {"root": root, "options": options, "results": results, "messages": messages,
            "model_dir": model_dir, "task": task}


@pytest.mark.slow
def test_fine_tuning_learns_entities(trained):
    results = trained["results"]
    history = results["history"]
    assert len(history) == 10
    # Chance is near 0: an entity counts only with the exact span and type. Names
    # and cities split into up to 9 wordpieces (some [UNK]) that the model must read.
    assert results["dev"]["f1"] > 0.6, history
    assert results["dev"]["f1"] > history[0]["f1"] + 0.1, history
    assert results["dev"]["f1"] == pytest.approx(max(h["f1"] for h in history))
    assert results["best_epoch"] == 1 + int(np.argmax([h["f1"] for h in history]))
    assert results["labels"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    out = trained["options"].output_dir
    saved = json.load(open(os.path.join(out, "results.json")))
    assert saved["dev"]["f1"] == results["dev"]["f1"] and saved["scheme"] == "IOB"
    assert json.load(open(os.path.join(out, "labels.json")))["labels"] == results["labels"]
    assert os.listdir(os.path.join(out, "logs"))
    assert any("epoch 10: dev" in m for m in trained["messages"])


SERVED_TEXTS = [
    "Yesterday Anna Kowalski flew to New York with Keanu Reeves.",
    "critics in Zürich loved the acting of Zoë Saldaña",
    "Søren Kierkegaard lives in 東京 . Björk said the movie about Kraków was great",
    "",
    "the film was shot in Lisbon by Greta Thunberg " * 12,
]


def _serve(export_path, tmp_path):
    outputs, = assert_serves(export_path, [
        ("serving_default", {"text": np.array(SERVED_TEXTS, dtype=object)})], tmp_path,
        model_name="electra_token_classifier")
    return outputs


def _strings(row):
    return [v.decode("utf-8") for v in row]


@pytest.mark.slow
def test_exported_model_returns_entities_with_character_offsets(trained, tmp_path):
    served = _serve(trained["results"]["export"], tmp_path)
    labels = trained["results"]["labels"]
    # Words: split at spaces, punctuation and CJK characters, with exact offsets.
    words = [[w for w in _strings(row) if w] for row in served["words"]]
    assert words[0][-3:] == ["Keanu", "Reeves", "."] and words[3] == []
    assert words[2][4:7] == ["東", "京", "."]
    for text, row, starts, ends in zip(SERVED_TEXTS, words, served["word_start"],
                                       served["word_end"]):
        assert [text[s:e] for s, e in zip(starts[:len(row)], ends[:len(row)])] == row
        assert (starts[len(row):] == -1).all()
    # Tags equal the Keras model's argmax at each word's first wordpiece.
    model, tokenizer = _restored_model(trained)
    sentences = [ConllSentence(row or ["x"], ["O"] * max(len(row), 1), 1) for row in words]
    encoded = encode_sentences(sentences, labels, WordPacker(tokenizer, 48))
    expected = predict_word_tags(model, encoded, labels, batch_size=8)
    served_tags = [[t for t in _strings(row) if t] for row in served["word_tags"]]
    assert served_tags[:3] == expected[:3] and served_tags[4] == expected[4]
    assert served_tags[3] == []
    assert "B-PER" in served_tags[0] and "B-LOC" in served_tags[0]
    # The long text is cut at 48 wordpieces: its last words are "O".
    assert set(served_tags[4][-10:]) == {"O"} and "B-LOC" in served_tags[4][:10]
    # Entities are the seqeval spans of those tags, sliced from the original text.
    found_after_non_ascii = 0
    for row, text in enumerate(SERVED_TEXTS):
        n = int((served["entity_start"][row] >= 0).sum())
        spans = [(t, words[row][a], words[row][b]) for t, a, b in get_entities(served_tags[row])]
        assert len(spans) == n
        for k in range(n):
            start, end = served["entity_start"][row, k], served["entity_end"][row, k]
            entity = served["entity_text"][row, k].decode("utf-8")
            assert text[start:end] == entity and entity
            assert served["entity_type"][row, k].decode() == spans[k][0]
            assert entity.startswith(spans[k][1]) and entity.endswith(spans[k][2])
            assert 0 < served["entity_score"][row, k] <= 1
            if any(ord(c) > 127 for c in text[:start]):
                found_after_non_ascii += 1
        assert (served["entity_start"][row, n:] == -1).all()
        assert (served["entity_text"][row, n:] == b"").all()
    assert found_after_non_ascii >= 1  # byte offsets would fail this
    entities = dict(zip(_strings(served["entity_text"][0]), _strings(served["entity_type"][0])))
    assert entities.get("New York") == "LOC", entities


def test_export_has_warmup_requests_with_an_empty_text(trained):
    # assert_serves replays them through the session loader; here: their content.
    path = os.path.join(trained["results"]["export"], "assets.extra", "tf_serving_warmup_requests")
    requests = read_warmup_requests(path)
    assert [name for name, _ in requests] == ["serving_default"]
    texts = requests[0][1]["text"]
    assert len(texts) == 4 and texts[-1] == b""


def test_exported_tagger_survives_fuzzed_requests(trained, tmp_path):
    requests = fuzz.text_requests("serving_default", ["text"], np.random.default_rng(5), 10)
    fuzz.check_fuzz_results(requests, serve_in_session(
        trained["results"]["export"], [r[:2] for r in requests], tmp_path))


def _restored_model(trained):
    """The fine-tuned Keras model, rebuilt from the pretrained run and the best weights."""
    pretrainer, tokenizer, _, _ = load_pretrainer(trained["model_dir"])
    model = ElectraTokenClassifier(pretrainer.discriminator, len(trained["results"]["labels"]))
    model({k: tf.zeros([1, 48], tf.int32) for k in ("token_ids", "segment_ids", "padding_mask")})
    model.load_weights(os.path.join(trained["options"].output_dir, "best.weights.h5"))
    return model, tokenizer


def test_export_refuses_existing_version(trained):
    options = trained["options"]
    with pytest.raises(UsageError, match="already exists"):
        run_finetuning(trained["task"], options)
