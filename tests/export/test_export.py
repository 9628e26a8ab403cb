"""Export a tiny trained run and check what TF Serving and keras-hub users get."""

import json
import os
import shutil
import subprocess
import sys
import time

import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.op_audit import audit_saved_model
from electra_tf.text.packing import TextPacker
from electra_tf.models.discriminator import hidden_activation
from electra_tf.models.discriminator import set_feedforward_activation
from electra_tf.export.warmup import read_warmup_requests
from electra_tf.training.model_dir import load_pretrainer
from electra_tf.text.input_limits import cap_utf8_bytes
from tests.conftest import REPO
from tests.export import fuzz
from tests.export.serving_session import assert_serves
from tests.export.serving_session import serve_in_session
from tests.conftest import assert_clean_error
from tests.conftest import run_tool_in_process

SENTENCES = ["The movie was great and the acting superb.", "", "😀 emoji and 中文 mixed ᚠᛇ",
             "control\x01chars\x7f and\ttabs", "x " * 50000, "short"]


@pytest.fixture(scope="module")
def exported(exported_run):
    """The session's run exported by tools/export.py (--top_k=3, keras-hub preset)."""
    return exported_run


def _requests(exported):
    """One request per signature of both exports, plus batch-size extremes."""
    model, tokenizer, config, _ = load_pretrainer(exported["model_dir"])
    packed = TextPacker(tokenizer, config.max_seq_length)(tf.constant(SENTENCES))
    ids, mask = packed["token_ids"].numpy(), packed["padding_mask"].numpy()
    sentences = np.array(SENTENCES, dtype=object)
    pair = sentences[::-1].copy()
    return {
        "discriminator": [
            ("serving_default", {"text": sentences}),
            ("serving_pair", {"text": sentences, "text_pair": pair}),
            ("encode", {"text": sentences}),
            ("encode_pair", {"text": sentences, "text_pair": pair}),
            ("encode_ids", {"token_ids": ids, "segment_ids": np.zeros_like(ids),
                            "padding_mask": mask}),
            ("serving_default", {"text": np.array(["a sentence"] * 512, dtype=object)}),
            ("serving_default", {"text": np.array(["one"], dtype=object)}),
        ],
        "generator": [
            ("fill_mask", {"text": np.array(["The [MASK] was great.", "no mask",
                                             "[MASK] and [MASK]"], dtype=object)}),
            ("serving_default", {"text": np.array(["[MASK]"], dtype=object)}),
        ],
    }


@pytest.fixture(scope="module")
def served(exported, tmp_path_factory):
    """Every signature of both exports run through TF Serving's session loader
    (with all warmup records replayed), as {"<signature>/<output>": array}."""
    requests = _requests(exported)
    results = {}
    for name in ("discriminator", "generator"):
        outputs = assert_serves(exported[name], requests[name], tmp_path_factory.mktemp(name),
                                model_name=f"electra_{name}")
        for (signature, _), output in zip(requests[name], outputs):
            for key, value in output.items():
                results.setdefault(f"{signature}/{key}", value)
        if name == "discriminator":
            results["batch512"] = outputs[5]["replaced_probability"]
            results["batch1"] = outputs[6]["replaced_probability"]
    return results


@pytest.mark.slow
def test_saved_models_in_the_serving_loader_match_the_keras_model(exported, served):
    model, tokenizer, config, _ = load_pretrainer(exported["model_dir"])
    packer = TextPacker(tokenizer, config.max_seq_length)
    packed = {k: v.numpy() for k, v in packer(tf.constant(SENTENCES)).items()}
    ids, segments, mask = packed["token_ids"], packed["segment_ids"], packed["padding_mask"]
    np.testing.assert_array_equal(served["serving_default/token_ids"], ids)
    np.testing.assert_array_equal(served["serving_default/padding_mask"], mask)
    inputs = {"token_ids": ids, "segment_ids": segments, "padding_mask": mask}
    encoded = model.discriminator(inputs, training=False)
    probability = tf.sigmoid(model.discriminator_head(encoded["sequence_output"])).numpy() * mask
    np.testing.assert_allclose(served["serving_default/replaced_probability"], probability,
                               atol=1e-5)
    for signature in ("encode", "encode_ids"):
        np.testing.assert_allclose(served[f"{signature}/sequence_output"],
                                   encoded["sequence_output"].numpy(), atol=1e-5)
        np.testing.assert_allclose(served[f"{signature}/pooled_output"],
                                   encoded["pooled_output"].numpy(), atol=1e-5)
    # Pairs: [CLS] A [SEP] B [SEP] with segment 1 on B.
    pair_encoded = model.discriminator(packer(
        tf.constant(SENTENCES), tf.constant(list(reversed(SENTENCES)))), training=False)
    np.testing.assert_allclose(served["encode_pair/sequence_output"],
                               pair_encoded["sequence_output"].numpy(), atol=1e-5)
    assert (served["serving_pair/token_ids"][0] == tokenizer.sep_id).sum() == 2
    # Wordpiece strings line up with the ids; padding is "" and probability 0.
    tokens = served["serving_default/tokens"]
    assert tokens[0, 0] == b"[CLS]" and b"movie" in tokens[0].tolist()
    assert (tokens[mask == 0] == b"").all()
    assert (served["serving_default/replaced_probability"][mask == 0] == 0).all()
    # Empty text still gets [CLS] [SEP]; 100 KB of text is truncated, not an error.
    assert mask[1].sum() == 2 and mask[4].sum() == config.max_seq_length
    assert served["batch512"].shape == (512, config.max_seq_length)
    assert served["batch1"].shape == (1, config.max_seq_length)
    assert np.isfinite(served["serving_default/replaced_probability"]).all()


def test_fill_mask_returns_top_k_for_every_mask(exported, served):
    positions = served["fill_mask/mask_positions"]
    assert positions.shape == (3, 2)
    assert positions[0, 0] == 2 and positions[0, 1] == -1  # [CLS] the [MASK]
    assert (positions[1] == -1).all() and (positions[2] >= 0).all()
    probabilities = served["fill_mask/top_probabilities"]
    assert probabilities.shape == (3, 2, 3)
    assert (np.diff(probabilities[0, 0]) <= 0).all() and 0 < probabilities[0, 0].sum() <= 1
    assert (served["fill_mask/top_tokens"][1] == b"").all()
    model, tokenizer, config, _ = load_pretrainer(exported["model_dir"])
    top_ids = served["fill_mask/top_ids"][0, 0]
    assert [tokenizer.id_to_token(int(i)) for i in top_ids] == [
        t.decode() for t in served["fill_mask/top_tokens"][0, 0]]


def test_saved_model_cli_lists_the_documented_signatures(exported):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run([cli, "show", "--all", "--dir", exported["discriminator"]],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    text = result.stdout
    for signature in ("serving_default", "serving_pair", "encode", "encode_pair", "encode_ids"):
        assert f"signature_def['{signature}']" in text
    assert "inputs['text'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1)" in text
    assert "outputs['replaced_probability'] tensor_info:\n        dtype: DT_FLOAT\n" \
           "        shape: (-1, 64)" in text
    assert "inputs['token_ids'] tensor_info:\n        dtype: DT_INT32\n        shape: (-1, -1)" \
           in text
    assert "outputs['pooled_output'] tensor_info:\n        dtype: DT_FLOAT" in text


def test_warmup_records_and_models_config_name_the_models_alike(exported, served):
    # `served` replayed every record through the session loader; here: names.
    config = open(os.path.join(exported["export_dir"], "models.config")).read()
    for name in ("discriminator", "generator"):
        path = os.path.join(exported[name], "assets.extra", "tf_serving_warmup_requests")
        requests = read_warmup_requests(path)
        assert len(requests) >= 1
        assert f'name: "electra_{name}"' in config
        assert f'base_path: "/models/{name}"' in config
    assert "max_batch_size" in open(os.path.join(exported["export_dir"],
                                                 "batching_parameters.txt")).read()


def test_saved_model_cli_run_with_tf_text_matches_the_session_loader(exported, served, tmp_path):
    """`python -m electra_tf.export.saved_model_cli run`, the documented way to
    run TensorFlow's CLI on these exports (plain saved_model_cli lacks tf-text)."""
    out = tmp_path / "cli"
    result = subprocess.run(
        [sys.executable, "-m", "electra_tf.export.saved_model_cli", "run",
         "--dir", exported["discriminator"], "--tag_set", "serve",
         "--signature_def", "serving_default", "--outdir", str(out),
         "--input_exprs", f"text={SENTENCES[:4]!r}"],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(np.load(out / "replaced_probability.npy"),
                               served["serving_default/replaced_probability"][:4], atol=1e-5)
    np.testing.assert_array_equal(np.load(out / "token_ids.npy"),
                                  served["serving_default/token_ids"][:4])


@pytest.mark.slow
def test_fuzzed_requests_never_crash_the_session_loader(exported, tmp_path):
    model, tokenizer, config, _ = load_pretrainer(exported["model_dir"])
    rng = np.random.default_rng(7)
    discriminator = (
        fuzz.text_requests("serving_default", ["text"], rng, 8)
        + fuzz.text_requests("serving_pair", ["text", "text_pair"], rng, 9)
        + fuzz.text_requests("encode", ["text"], rng, 5)
        + fuzz.text_requests("encode_pair", ["text", "text_pair"], rng, 6)
        + fuzz.ids_requests("encode_ids", rng, 12, tokenizer.vocabulary_size(),
                            config.type_vocab_size, config.max_position_embeddings))
    generator = fuzz.text_requests("fill_mask", ["text"], rng, 10)
    for name, requests in (("discriminator", discriminator), ("generator", generator)):
        run = serve_in_session(exported[name], [r[:2] for r in requests], tmp_path / name)
        fuzz.check_fuzz_results(requests, run)
    # A mismatched pair names both batch sizes.
    run = serve_in_session(exported["discriminator"], [("serving_pair", {
        "text": np.array(["a", "b"], dtype=object), "text_pair": np.array(["c"], dtype=object)})],
        tmp_path / "pair")
    message = run.results[0]["message"]
    assert "text and text_pair must have the same batch size" in message and "[2]" in message \
        and "[1]" in message, message


def test_byte_cap_cuts_at_a_character_boundary_and_bounds_the_work():
    cap = tf.function(cap_utf8_bytes)
    text = tf.constant(["héllo", "abc", "中文字", "\xff\xfeab".encode("latin-1"), ""])
    assert cap(text, 2).numpy().tolist() == [b"h", b"ab", b"", b"\xff\xfe", b""]
    assert cap(text, 3).numpy().tolist() == [b"h\xc3\xa9", b"abc", "中".encode(),
                                             b"\xff\xfea", b""]
    assert cap(text, 100).numpy().tolist() == text.numpy().tolist()
    # 64 texts of 100k CJK characters took 5.9 s to tokenize uncapped.
    huge = tf.constant(["中" * 100_000] * 64)
    cap(huge, 2048)  # trace
    start = time.perf_counter()
    capped = cap(huge, 2048).numpy()
    assert time.perf_counter() - start < 0.5
    assert {len(t) for t in capped} == {2046}  # 682 whole 3-byte characters


def test_huge_requests_read_only_their_capped_prefix(exported):
    model, tokenizer, config, _ = load_pretrainer(exported["model_dir"])
    packer = TextPacker(tokenizer, config.max_seq_length, max_input_bytes=300)
    long_text = " ".join(["The movie was great and the acting superb."] * 30000)
    full = packer(tf.constant([long_text]))["token_ids"].numpy()
    prefix = packer(tf.constant([long_text[:300]]))["token_ids"].numpy()
    np.testing.assert_array_equal(full, prefix)
    assert (full > 0).all()  # the capped prefix still fills the sequence


def test_keras_hub_preset_round_trip(exported):
    preset = exported["keras_hub_preset"]
    backbone = keras_hub.models.ElectraBackbone.from_preset(preset)
    hub_tokenizer = keras_hub.tokenizers.ElectraTokenizer.from_preset(preset)
    model, tokenizer, config, _ = load_pretrainer(exported["model_dir"])
    sentences = ["The movie was great and the acting superb.", "I didn't like it, sadly!"]
    ours = tf.function(tokenizer.tokenize)(tf.constant(sentences)).to_list()
    theirs = [list(map(int, ids)) for ids in hub_tokenizer(tf.constant(sentences))]
    assert theirs == ours
    inputs = {k: v.numpy() for k, v in TextPacker(tokenizer, 64)(tf.constant(sentences)).items()}
    # keras-hub computes tanh GELU: the weights round-trip exactly, so the
    # preset equals our model switched to tanh, and the recorded difference
    # is the exact-vs-tanh gap of our model.
    exact = model.discriminator(inputs)["sequence_output"].numpy()
    set_feedforward_activation(model.discriminator, hidden_activation("gelu_approximate"))
    tanh = model.discriminator(inputs)["sequence_output"].numpy()
    np.testing.assert_allclose(backbone(inputs)["sequence_output"].numpy(), tanh, atol=1e-6)
    record = json.load(open(os.path.join(preset, "electra_tf.json")))
    assert record["hidden_act"] == config.hidden_act == "gelu"
    assert record["max_abs_sequence_output_difference"] > 0
    assert np.abs(exact - tanh).max() > 0


def test_op_audit_rejects_python_ops(tmp_path):
    class WithPyFunc(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def serve(self, x):
            return tf.py_function(lambda v: v * 2, [x], tf.float32)

    module = WithPyFunc()
    tf.saved_model.save(module, str(tmp_path / "bad"), signatures={"serving_default": module.serve})
    with pytest.raises(UsageError, match="EagerPyFunc"):
        audit_saved_model(str(tmp_path / "bad"))


@pytest.mark.slow
def test_export_tool_refuses_existing_version_and_missing_checkpoint(exported, tmp_path):
    # The shared export stays as it is: the overwrite goes into a copy.
    export_dir = str(tmp_path / "exports")
    shutil.copytree(exported["export_dir"], export_dir)
    again = run_tool_in_process("export", f"--model_dir={exported['model_dir']}",
                     f"--export_dir={export_dir}")
    assert_clean_error(again, "already exists", "--overwrite")
    empty = tmp_path / "empty_run"
    empty.mkdir()
    missing = run_tool_in_process("export", f"--model_dir={empty}", f"--export_dir={tmp_path / 'x'}")
    assert_clean_error(missing, "config.json", "is missing")
    overwritten = run_tool_in_process("export", f"--model_dir={exported['model_dir']}",
                           f"--export_dir={export_dir}", "--overwrite",
                           "--nokeras_hub_preset", "--version=7")
    assert overwritten.returncode == 0, overwritten.stderr[-2000:]
    assert os.path.isdir(os.path.join(export_dir, "discriminator", "7"))
