"""tools/convert_checkpoint.py as a user runs it."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
from safetensors.numpy import load_file

from tests.conftest import assert_clean_error
from tests.conftest import run_tool
from tests.conftest import run_tool_in_process
from tests.convert.test_google_import import reference_checkpoint  # noqa: F401 (fixture)


@pytest.mark.slow
def test_import_google_then_export_hf(reference_checkpoint, tmp_path):  # noqa: F811
    model_dir = str(tmp_path / "run")
    result = run_tool("convert_checkpoint", "--mode=import_google",
                      f"--google_checkpoint={reference_checkpoint['prefix']}",
                      f"--config_json={reference_checkpoint['heads']}",
                      f"--model_dir={model_dir}")
    assert result.returncode == 0, result.stderr
    assert "ckpt-0" in result.stdout and "fresh optimizer at step 0" in result.stdout
    assert sorted(os.listdir(model_dir)) == [
        "checkpoint", "ckpt-0.data-00000-of-00001", "ckpt-0.index", "config.json",
        "conversion.json", "vocab.txt"]

    out = str(tmp_path / "hf")
    result = run_tool_in_process("convert_checkpoint", "--mode=export_hf", f"--model_dir={model_dir}",
                      f"--output_dir={out}")
    assert result.returncode == 0, result.stderr
    with open(os.path.join(out, "generator", "config.json"), encoding="utf-8") as f:
        generator_config = json.load(f)
    assert generator_config["hidden_act"] == "gelu"  # the reference's exact GELU, kept
    assert (generator_config["hidden_size"], generator_config["num_attention_heads"]) == (32, 1)
    # The TF1 kernels come out transposed, PyTorch-style.
    reader = tf.train.load_checkpoint(reference_checkpoint["prefix"])
    exported = load_file(os.path.join(out, "discriminator", "model.safetensors"))
    np.testing.assert_array_equal(
        exported["electra.encoder.layer.1.intermediate.dense.weight"],
        reader.get_tensor("electra/encoder/layer_1/intermediate/dense/kernel").T)


def test_import_hf(hf_pair, tmp_path):
    model_dir = str(tmp_path / "run")
    result = run_tool_in_process("convert_checkpoint", "--mode=import_hf",
                      f"--discriminator_dir={hf_pair['disc_dir']}",
                      f"--generator_dir={hf_pair['gen_dir']}", f"--model_dir={model_dir}")
    assert result.returncode == 0, result.stderr
    with open(os.path.join(model_dir, "conversion.json"), encoding="utf-8") as f:
        record = json.load(f)
    assert record["source"]["format"] == "huggingface" and record["fresh"] == ["pooled_dense"]
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert config["generator_hidden_size"] == 0.5 and config["hidden_act"] == "gelu"
    assert config["generator_intermediate_size"] == 64  # from the checkpoint, not 4 x 32


def test_clear_errors(tmp_path):
    assert_clean_error(run_tool_in_process("convert_checkpoint", f"--model_dir={tmp_path}"),
                       "--mode is required")
    assert_clean_error(run_tool_in_process("convert_checkpoint", "--mode=import_google",
                                f"--google_checkpoint={tmp_path}/model.ckpt",
                                f"--model_dir={tmp_path}/r"),
                       "no TF checkpoint there")
    assert_clean_error(run_tool_in_process("convert_checkpoint", "--mode=import_hf",
                                f"--discriminator_dir={tmp_path}", f"--model_dir={tmp_path}/r"),
                       "has no config.json: not a Hugging Face model folder")
    assert_clean_error(run_tool_in_process("convert_checkpoint", "--mode=export_hf",
                                f"--model_dir={tmp_path}", f"--output_dir={tmp_path}/hf"),
                       "not a model_dir")
    assert_clean_error(run_tool_in_process("convert_checkpoint", "--mode=import_google",
                                f"--google_checkpoint={tmp_path}", f"--model_dir={tmp_path}/r",
                                "--vocab=missing.txt"),
                       "--vocab='missing.txt' does not exist")
    # A real failure deep in the import is one line too.
    assert_clean_error(run_tool_in_process("convert_checkpoint", "--mode=import_google",
                                f"--google_checkpoint={tmp_path}", f"--model_dir={tmp_path}/r"),
                       "holds no TF checkpoint")
