"""Mistakes a user can make converting, and the one-line messages they get."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch

from electra_tf.convert import import_google_checkpoint
from electra_tf.convert import import_hf
from electra_tf.convert import pytorch_bin_message
from electra_tf.convert.hf_files import read_folder
from electra_tf.convert.mismatch import field_hint
from electra_tf.errors import UsageError
from tests.conftest import REPO
from tests.convert.conftest import OUR_CONFIG as CONFIG


def _edit_config(folder, **changes):
    path = folder / "config.json"
    values = json.loads(path.read_text(encoding="utf-8"))
    values.update(changes)
    path.write_text(json.dumps(values), encoding="utf-8")


def test_hf_config_that_contradicts_its_weights(hf_pair, tmp_path):
    folder = tmp_path / "disc"
    shutil.copytree(hf_pair["disc_dir"], folder)
    _edit_config(folder, intermediate_size=256)
    with pytest.raises(UsageError) as error:
        import_hf(discriminator_dir=str(folder))
    # Named and shaped as PyTorch stores it ([out, in]).
    assert str(error.value) == (
        "electra.encoder.layer.0.intermediate.dense.weight: the checkpoint has shape [128, 64] "
        "but the config gives [256, 64]; discriminator FFN width 128 vs 256: is "
        "intermediate_size 128 or 256?")


def test_hf_pair_with_a_stated_generator_fraction(hf_pair, tmp_path):
    stated = tmp_path / "config.json"
    stated.write_text(json.dumps({"generator_hidden_size": 0.25}), encoding="utf-8")
    with pytest.raises(UsageError, match=r"hidden_size 32 vs 16 from the config; generator "
                                         r"hidden size 32 vs 16: is generator_hidden_size 0.5 "
                                         r"or 0.25\?"):
        import_hf(hf_pair["disc_dir"], hf_pair["gen_dir"], config_json=str(stated))


def test_hf_settings_ours_cannot_represent(hf_pair, tmp_path):
    folder = tmp_path / "relu"
    shutil.copytree(hf_pair["disc_dir"], folder)
    _edit_config(folder, hidden_act="relu")
    with pytest.raises(UsageError, match="hidden_act 'relu' is not a GELU"):
        import_hf(discriminator_dir=str(folder))
    _edit_config(folder, hidden_act="gelu_new", layer_norm_eps=1e-5)
    with pytest.raises(UsageError, match="layer_norm_eps is 1e-05"):
        import_hf(discriminator_dir=str(folder))


def test_missing_files(tmp_path):
    with pytest.raises(UsageError, match="is not a folder"):
        read_folder(str(tmp_path / "nowhere"), "--generator_dir")
    with pytest.raises(UsageError, match="has no config.json"):
        read_folder(str(tmp_path), "--generator_dir")
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="holds no weights: expected model.safetensors"):
        read_folder(str(tmp_path), "--generator_dir")
    with pytest.raises(UsageError, match="no TF checkpoint at"):
        import_google_checkpoint(str(tmp_path / "model.ckpt-1"))
    with pytest.raises(UsageError, match="holds no TF checkpoint"):
        import_google_checkpoint(str(tmp_path))


def test_pytorch_bin_without_torch(tmp_path):
    """A real .bin read in a process where torch cannot be imported."""
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    torch.save({"electra.embeddings.word_embeddings.weight": torch.zeros(4, 2)},
               tmp_path / "pytorch_model.bin")
    script = textwrap.dedent(f"""
        import sys
        class NoTorch:  # as if torch were not installed (None in sys.modules would
            def find_spec(self, name, path=None, target=None):  # break scipy, via keras)
                if name.split(".")[0] == "torch":
                    raise ModuleNotFoundError("No module named 'torch'")
        sys.meta_path.insert(0, NoTorch())
        sys.path.insert(0, {REPO!r})
        from electra_tf.convert.hf_files import read_folder
        from electra_tf.errors import UsageError
        try:
            read_folder({str(tmp_path)!r}, "--discriminator_dir")
        except UsageError as error:
            print(error)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == pytorch_bin_message(str(tmp_path / "pytorch_model.bin"))
    assert "pip install torch" in result.stdout and "safetensors" in result.stdout


def test_field_hints():
    assert field_hint("Hg", 64, 256, CONFIG.replace(hidden_size=256, num_heads=4,
                                                     generator_hidden_size=1.0)) == (
        "generator hidden size 64 vs 256: is generator_hidden_size 0.25 or 1?")
    assert field_hint("Ig", 32, 64, CONFIG) == (
        "generator FFN width 32 vs 64: is generator_intermediate_size 32 (null derives 4 x "
        "the generator's hidden size 32)?")
    assert field_hint("V", 30522, 100, CONFIG) == (
        "vocabulary size 30522 vs 100: is vocab_size 30522 or 100?")
