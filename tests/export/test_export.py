"""Export a tiny trained run and check what TF Serving and keras-hub users get."""

import os
import subprocess
import sys
import textwrap

import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.exporter import export_model_dir
from electra_tf.export.op_audit import audit_saved_model
from electra_tf.export.text_inputs import TextPacker
from electra_tf.export.warmup import read_warmup_requests
from electra_tf.training.model_dir import load_pretrainer
from tests.conftest import assert_clean_error
from tests.conftest import run_tool
from tests.training.conftest import pretraining_data  # noqa: F401 (fixture)
from tests.training.conftest import pretrain_tiny

SENTENCES = ["The movie was great and the acting superb.", "", "😀 emoji and 中文 mixed ᚠᛇ",
             "control\x01chars\x7f and\ttabs", "x " * 50000, "short"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, pretraining_data):  # noqa: F811
    root = tmp_path_factory.mktemp("export")
    model_dir = str(root / "run")
    pretrain_tiny(model_dir, pretraining_data, train_steps=6)
    result = export_model_dir(model_dir, str(root / "exports"), top_k=3)
    return {"model_dir": model_dir, "export_dir": str(root / "exports"), **result}


def _fresh_process_outputs(exported, tmp_path):
    """Loads both SavedModels importing only tensorflow + tensorflow_text and calls
    every signature; returns the outputs as numpy arrays."""
    out = tmp_path / "outputs.npz"
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import tensorflow as tf
        import tensorflow_text  # registers the tf-text ops the graph uses
        sentences = tf.constant({SENTENCES!r})
        pair = tf.constant({list(reversed(SENTENCES))!r})
        disc = tf.saved_model.load({exported['discriminator']!r})
        gen = tf.saved_model.load({exported['generator']!r})
        results = {{}}
        def keep(prefix, outputs):
            for key, value in outputs.items():
                results[prefix + "/" + key] = value.numpy()
        keep("serving_default", disc.signatures["serving_default"](text=sentences))
        keep("serving_pair", disc.signatures["serving_pair"](text=sentences, text_pair=pair))
        keep("encode", disc.signatures["encode"](text=sentences))
        keep("encode_pair", disc.signatures["encode_pair"](text=sentences, text_pair=pair))
        ids = results["serving_default/token_ids"]
        keep("encode_ids", disc.signatures["encode_ids"](
            token_ids=tf.constant(ids), segment_ids=tf.zeros_like(ids),
            padding_mask=tf.constant(results["serving_default/padding_mask"])))
        keep("fill_mask", gen.signatures["fill_mask"](
            text=tf.constant(["The [MASK] was great.", "no mask", "[MASK] and [MASK]"])))
        big = disc.signatures["serving_default"](text=tf.constant(["a sentence"] * 512))
        results["batch512"] = big["replaced_probability"].numpy()
        one = disc.signatures["serving_default"](text=tf.constant(["one"]))
        results["batch1"] = one["replaced_probability"].numpy()
        assert "electra_tf" not in sys.modules and "keras_hub" not in sys.modules
        np.savez({str(out)!r}, **results)
    """)
    script_path = tmp_path / "load_and_call.py"
    script_path.write_text(script, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script_path)], capture_output=True, text=True,
                            timeout=300, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-4000:]
    with np.load(out, allow_pickle=True) as data:
        return {key: data[key] for key in data.files}


def test_saved_models_in_a_fresh_process_match_the_keras_model(exported, tmp_path):
    served = _fresh_process_outputs(exported, tmp_path)
    model, tokenizer, config, _ = load_pretrainer(exported["model_dir"])
    packer = TextPacker(tokenizer, config.max_seq_length)
    ids, segments, mask = (t.numpy() for t in packer(tf.constant(SENTENCES)))
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
    pair_ids, pair_segments, pair_mask = (t.numpy() for t in packer(
        tf.constant(SENTENCES), tf.constant(list(reversed(SENTENCES)))))
    pair_encoded = model.discriminator({"token_ids": pair_ids, "segment_ids": pair_segments,
                                        "padding_mask": pair_mask}, training=False)
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


def test_fill_mask_returns_top_k_for_every_mask(exported, tmp_path):
    served = _fresh_process_outputs(exported, tmp_path)
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


def test_warmup_requests_parse_and_replay(exported):
    for name in ("discriminator", "generator"):
        path = os.path.join(exported[name], "assets.extra", "tf_serving_warmup_requests")
        requests = read_warmup_requests(path)
        assert len(requests) >= 1
        loaded = tf.saved_model.load(exported[name])
        for signature, inputs in requests:
            outputs = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
            assert all(np.isfinite(v.numpy()).all() for v in outputs.values()
                       if v.dtype.is_floating)
    config = open(os.path.join(exported["export_dir"], "models.config")).read()
    assert 'name: "electra_discriminator"' in config and 'base_path: "/models/generator"' in config
    assert "max_batch_size" in open(os.path.join(exported["export_dir"],
                                                 "batching_parameters.txt")).read()


def test_keras_hub_preset_round_trip(exported):
    preset = exported["keras_hub_preset"]
    backbone = keras_hub.models.ElectraBackbone.from_preset(preset)
    hub_tokenizer = keras_hub.tokenizers.ElectraTokenizer.from_preset(preset)
    model, tokenizer, config, _ = load_pretrainer(exported["model_dir"])
    sentences = ["The movie was great and the acting superb.", "I didn't like it, sadly!"]
    ours = tf.function(tokenizer.tokenize)(tf.constant(sentences)).to_list()
    theirs = [list(map(int, ids)) for ids in hub_tokenizer(tf.constant(sentences))]
    assert theirs == ours
    ids, segments, mask = (t.numpy() for t in TextPacker(tokenizer, 64)(tf.constant(sentences)))
    inputs = {"token_ids": ids, "segment_ids": segments, "padding_mask": mask}
    np.testing.assert_allclose(backbone(inputs)["sequence_output"].numpy(),
                               model.discriminator(inputs)["sequence_output"].numpy(), atol=1e-6)


def test_op_audit_rejects_python_ops(tmp_path):
    class WithPyFunc(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def serve(self, x):
            return tf.py_function(lambda v: v * 2, [x], tf.float32)

    module = WithPyFunc()
    tf.saved_model.save(module, str(tmp_path / "bad"), signatures={"serving_default": module.serve})
    with pytest.raises(UsageError, match="EagerPyFunc"):
        audit_saved_model(str(tmp_path / "bad"))


def test_export_tool_refuses_existing_version_and_missing_checkpoint(exported, tmp_path):
    again = run_tool("export", f"--model_dir={exported['model_dir']}",
                     f"--export_dir={exported['export_dir']}")
    assert_clean_error(again, "already exists", "--overwrite")
    empty = tmp_path / "empty_run"
    empty.mkdir()
    missing = run_tool("export", f"--model_dir={empty}", f"--export_dir={tmp_path / 'x'}")
    assert_clean_error(missing, "config.json", "is missing")
    overwritten = run_tool("export", f"--model_dir={exported['model_dir']}",
                           f"--export_dir={exported['export_dir']}", "--overwrite",
                           "--nokeras_hub_preset", "--version=7")
    assert overwritten.returncode == 0, overwritten.stderr[-2000:]
    assert os.path.isdir(os.path.join(exported["export_dir"], "discriminator", "7"))
