"""LiteRT models: run the .tflite files with the LiteRT interpreter and compare
them with the Keras model and the SavedModel; the text-in tokenizer against
`ElectraTokenizer`."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export import litert
from electra_tf.export.litert_tokenizer import NORMALIZATION_DIFFERENCES
from electra_tf.export.litert_tokenizer import LiteRTTokenizer
from electra_tf.export.litert_tokenizer import normalization_may_differ
from electra_tf.text.packing import TextPacker
from electra_tf.finetune.classification.finished_run import classifier_from_finetune_dir
from electra_tf.finetune.classification.model import ElectraClassifier
from electra_tf.models.pretrainer import ElectraPretrainer
from electra_tf.text.tokenizer import ElectraTokenizer
from electra_tf.training.model_dir import load_pretrainer
from tests.conftest import real_review_documents
from tests.training.conftest import tiny_config

LENGTH = 64  # the pretraining data's max_seq_length
# int8 bounds on outputs in [0, 1] (probabilities) of a tiny model; measured
# max differences are about a tenth of these.
INT8_MAX_DIFF = {litert.DYNAMIC_INT8: 0.02, litert.FULL_INT8: 0.05}
INT8_MEAN_DIFF = {litert.DYNAMIC_INT8: 0.005, litert.FULL_INT8: 0.02}
VARIED_SENTENCES = [
    "The movie was great and the acting superb.", "", "a", "Café Olé — naïve résumé!",
    "中文 mixed with English 日本語", "😀 emoji, and more 🎬🍿", "don't $5 <b>bold</b> x^y|z~",
    "tab\tseparated\nlines\r", "İstanbul ΑΘΗΝΑ", "e\u0301 combining", "“quoted” ‘single’ «guillemets»",
    "a\u00a0no-break space", "ℕ" * 3, "word " * 200, "supercalifragilisticexpialidocious" * 5,
    "¿Qué tal? ¡Muy bien!", "3.14159 and 1,000,000", "a\u200bzero width", "a·b",
]


def _keras_outputs(module, batch):
    return {key: value.numpy() for key, value in
            module.serve(**{k: tf.constant(v) for k, v in batch.items()}).items()}


def _per_example(function, examples, key):
    """function(example)[key] for every example, flattened and concatenated."""
    return np.concatenate([np.asarray(function(example)[key]).ravel() for example in examples])


def _op_input_dtypes(path, op_name):
    """dtypes of the first input of every `op_name` op in the model."""
    model = litert.LiteRTModel(path)
    details = model.interpreter.get_tensor_details()
    dtypes = {d["index"]: d["dtype"] for d in details}
    return {dtypes[op["inputs"][0]] for op in model.interpreter._get_ops_details()
            if op["op_name"] == op_name}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, pretraining_data):
    """An untrained tiny pretrainer on the real 2000-token vocab, LiteRT models
    written with calibration from the real pretraining TFRecords."""
    tokenizer = ElectraTokenizer.from_vocab_file(pretraining_data["vocab"])
    model = ElectraPretrainer.from_tokenizer(
        tiny_config(vocab_size=tokenizer.vocabulary_size()), tokenizer)
    batches = litert.representative_from_tfrecords(
        pretraining_data["train"], LENGTH, pretraining_data["vocab"], count=16,
        pad_id=tokenizer.pad_id)
    modules = {"detector": litert.detector_model(model, LENGTH),
               "encoder": litert.encoder_model(model, LENGTH)}
    out = str(tmp_path_factory.mktemp("litert") / "litert")
    manifest = litert.write_litert_models(out, modules, tokenizer, LENGTH, batches, log=print)
    # Held-out examples (the calibration took the first 16).
    test = litert.representative_from_tfrecords(
        pretraining_data["train"], LENGTH, pretraining_data["vocab"], count=24,
        pad_id=tokenizer.pad_id)[16:]
    return {"dir": out, "manifest": manifest, "modules": modules, "examples": test,
            "tokenizer": tokenizer, "model": model}


@pytest.mark.slow
def test_float32_models_match_the_keras_model(tiny):
    # Padded batches work too (the SavedModels' shape).
    padded = litert.representative_from_texts(["a short one", "and a longer second text here"],
                                              tiny["tokenizer"], LENGTH)
    padded = {key: np.concatenate([np.pad(b[key], [(0, 0), (0, LENGTH - b[key].shape[1])])
                                   for b in padded]) for key in litert.ID_INPUTS}
    for name, module in tiny["modules"].items():
        model = litert.LiteRTModel(os.path.join(tiny["dir"], f"{name}_float32.tflite"))
        for batch in tiny["examples"][:4] + [padded]:
            expected = _keras_outputs(module, batch)
            got = model(**batch)
            assert set(got) == set(expected)
            for key in expected:
                assert got[key].shape == expected[key].shape
                np.testing.assert_allclose(got[key], expected[key], atol=1e-5, rtol=0)


@pytest.mark.slow
def test_int8_models_are_int8_small_and_close(tiny, capsys):
    float_size = os.path.getsize(os.path.join(tiny["dir"], "detector_float32.tflite"))
    key = "replaced_probability"
    expected = _per_example(lambda b: _keras_outputs(tiny["modules"]["detector"], b),
                            tiny["examples"], key)
    for quantization in (litert.DYNAMIC_INT8, litert.FULL_INT8):
        path = os.path.join(tiny["dir"], f"detector_{quantization}.tflite")
        model = litert.LiteRTModel(path)
        got = _per_example(lambda b, m=model: m(**b), tiny["examples"], key)
        diff = np.abs(got - expected)
        with capsys.disabled():
            print(f"\n{quantization}: max diff {diff.max():.2e}, mean {diff.mean():.2e}, "
                  f"{os.path.getsize(path) / float_size:.0%} of float32")
        assert diff.max() <= INT8_MAX_DIFF[quantization]
        assert diff.mean() <= INT8_MEAN_DIFF[quantization]
        assert os.path.getsize(path) < 0.5 * float_size
    # Dynamic range: int8 weights, float activations; full: int8 activations.
    assert _op_input_dtypes(os.path.join(tiny["dir"], "detector_dynamic_int8.tflite"),
                            "FULLY_CONNECTED") == {np.float32}
    assert _op_input_dtypes(os.path.join(tiny["dir"], "detector_full_int8.tflite"),
                            "FULLY_CONNECTED") == {np.int8}


@pytest.mark.slow
def test_manifest_describes_every_file(tiny):
    with open(os.path.join(tiny["dir"], litert.MANIFEST_FILE), encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["sequence_length"] == LENGTH and manifest["lowercase"] is True
    assert manifest["special_tokens"] == tiny["tokenizer"].special_token_ids()
    assert manifest["calibration_examples"] == 16
    for name in ("detector", "encoder"):
        for quantization in litert.QUANTIZATIONS:
            entry = manifest["models"][name][quantization]
            path = os.path.join(tiny["dir"], entry["file"])
            assert os.path.getsize(path) == entry["bytes"]
    with open(os.path.join(tiny["dir"], "vocab.txt"), encoding="utf-8") as f:
        assert f.read().splitlines() == list(tiny["tokenizer"].get_vocabulary())
    assert len(manifest["tokenizer"]["differences_from_saved_model"]) == len(
        NORMALIZATION_DIFFERENCES)


@pytest.mark.slow
def test_classifier_litert_matches_keras(tiny, tmp_path):
    classifier = ElectraClassifier(tiny["model"].discriminator, num_outputs=3)
    texts = [" ".join(doc) for doc in real_review_documents(12, heldout=True)]
    manifest = litert.export_classifier_litert(
        classifier, tiny["tokenizer"], LENGTH, str(tmp_path / "litert"), ["a", "b", "c"],
        representative_texts=texts[:8], log=print)
    assert manifest["labels"] == ["a", "b", "c"] and manifest["task"] == "classification"
    examples = litert.representative_from_texts(texts[8:], tiny["tokenizer"], LENGTH)
    module = litert.classifier_model(classifier, LENGTH)
    expected = _per_example(lambda b: _keras_outputs(module, b), examples, "probabilities")
    for quantization, bound in ((litert.FLOAT32, 1e-5), (litert.DYNAMIC_INT8, 0.02),
                                (litert.FULL_INT8, 0.05)):
        model = litert.LiteRTModel(str(tmp_path / "litert" / f"classifier_{quantization}.tflite"))
        got = _per_example(lambda b, m=model: m(**b), examples, "probabilities")
        assert got.shape == (4 * 3,)
        np.testing.assert_allclose(got, expected, atol=bound, rtol=0)


@pytest.fixture(scope="module")
def bert_litert_tokenizer(bert_vocab_path, tmp_path_factory):
    tokenizer = ElectraTokenizer.from_vocab_file(bert_vocab_path)
    path = tmp_path_factory.mktemp("tok") / "tokenizer.tflite"
    path.write_bytes(litert.convert(LiteRTTokenizer(tokenizer, 128)))
    return tokenizer, litert.LiteRTModel(str(path))


def _real_sentences(count):
    sentences = [line for doc in real_review_documents(400, heldout=True) for line in doc]
    return sentences[:count]


def test_tokenizer_ids_equal_the_saved_model_packer_on_real_text(bert_litert_tokenizer):
    tokenizer, model = bert_litert_tokenizer
    sentences = _real_sentences(1500) + VARIED_SENTENCES
    packed = TextPacker(tokenizer, 128)(tf.constant(sentences))
    expected = [packed[name].numpy() for name in ("token_ids", "segment_ids", "padding_mask")]
    got = model(text=np.array(sentences, dtype=object))
    same = np.ones(len(sentences), bool)
    for index, name in enumerate(litert.ID_INPUTS):
        same &= (got[name] == expected[index]).all(axis=1)
    explained = np.array([normalization_may_differ(s) for s in sentences])
    unexplained = [s for s, ok, why in zip(sentences, same, explained) if not ok and not why]
    assert not unexplained, unexplained[:5]
    # The exemption must stay rare, or this test would check little.
    assert explained.mean() < 0.05, explained.mean()
    assert same.mean() > 0.95
    print(f"\nLiteRT tokenizer: identical ids on {same.sum()} of {len(sentences)} sentences")


@pytest.mark.parametrize("text,electra,litert_tokens,why", NORMALIZATION_DIFFERENCES)
def test_documented_normalization_differences(bert_litert_tokenizer, text, electra,
                                              litert_tokens, why):
    tokenizer, model = bert_litert_tokenizer
    vocabulary = tokenizer.get_vocabulary()
    ours = tokenizer.tokenize(tf.constant([text]))
    ours = ours.to_list()[0] if hasattr(ours, "to_list") else ours[0]
    assert [vocabulary[i] for i in ours] == electra
    out = model(text=np.array([text], dtype=object))
    ids = out["token_ids"][0][out["padding_mask"][0] > 0][1:-1]
    assert [vocabulary[i] for i in ids] == litert_tokens
    assert normalization_may_differ(text)


@pytest.mark.slow
def test_bad_input_is_a_usage_error(tiny, tmp_path):
    module = tiny["modules"]["detector"]
    with pytest.raises(UsageError, match="quantization 'int4'"):
        litert.convert(module, "int4")
    with pytest.raises(UsageError, match="representative_batches"):
        litert.convert(module, litert.FULL_INT8)
    with pytest.raises(UsageError, match="is not a file"):
        litert.LiteRTModel(str(tmp_path / "missing.tflite"))
    with pytest.raises(UsageError, match="already exists"):
        litert.write_litert_models(tiny["dir"], {}, tiny["tokenizer"], LENGTH)
    with pytest.raises(UsageError, match="matches no file"):
        litert.representative_from_tfrecords(str(tmp_path / "*.tfrecord"), LENGTH, "v.txt")
    with pytest.raises(UsageError, match="not a finished classification run"):
        classifier_from_finetune_dir(str(tmp_path))


@pytest.fixture(scope="module")
def exported(exported_run):
    """The session's run exported by tools/export.py with --litert."""
    return exported_run


@pytest.mark.slow
def test_export_tool_writes_litert_next_to_the_saved_models(exported):
    litert_dir = os.path.join(exported["export_dir"], litert.LITERT_DIR)
    assert "detector_full_int8.tflite" in exported["stdout"]
    names = set(os.listdir(litert_dir))
    for name in ("detector", "encoder"):
        for quantization in litert.QUANTIZATIONS:
            assert f"{name}_{quantization}.tflite" in names
    assert {"tokenizer.tflite", "vocab.txt", "litert.json"} <= names
    assert os.path.isdir(os.path.join(exported["export_dir"], "discriminator"))


def test_text_in_litert_matches_the_saved_model(exported):
    """tokenizer.tflite + detector_float32.tflite == the SavedModel's serving_default."""
    import tensorflow_text  # noqa: F401 (the SavedModel's tokenizer ops)

    saved = tf.saved_model.load(
        os.path.join(exported["export_dir"], "discriminator",
                     os.listdir(os.path.join(exported["export_dir"], "discriminator"))[0]))
    litert_dir = os.path.join(exported["export_dir"], litert.LITERT_DIR)
    sentences = _real_sentences(40) + [s for s in VARIED_SENTENCES
                                       if not normalization_may_differ(s)]
    expected = saved.signatures["serving_default"](text=tf.constant(sentences))
    ids = litert.LiteRTModel(os.path.join(litert_dir, "tokenizer.tflite"))(
        text=np.array(sentences, dtype=object))
    np.testing.assert_array_equal(ids["token_ids"], expected["token_ids"].numpy())
    np.testing.assert_array_equal(ids["padding_mask"], expected["padding_mask"].numpy())
    got = litert.LiteRTModel(os.path.join(litert_dir, "detector_float32.tflite"))(**ids)
    np.testing.assert_allclose(got["replaced_probability"],
                               expected["replaced_probability"].numpy(), atol=1e-5, rtol=0)
    encoded = saved.signatures["encode_ids"](**{k: tf.constant(v) for k, v in ids.items()})
    got = litert.LiteRTModel(os.path.join(litert_dir, "encoder_float32.tflite"))(**ids)
    for key in ("sequence_output", "pooled_output"):
        np.testing.assert_allclose(got[key], encoded[key].numpy(), atol=1e-5, rtol=0)
    # The trained weights are in the file (the 0.06 MB empty-model defect).
    model, _, _, _ = load_pretrainer(exported["model_dir"])
    assert os.path.getsize(os.path.join(litert_dir, "encoder_float32.tflite")) > 0.8 * 4 * sum(
        int(np.prod(v.shape)) for v in model.discriminator.weights)
