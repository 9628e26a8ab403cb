"""Hugging Face folders -> ElectraPretrainer: same logits as transformers computes."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from electra_tf.convert import import_hf
from electra_tf.convert import write_model_dir
from electra_tf.convert.hf_config import EXACT_GELU_NOTE
from electra_tf.convert.imported_model import is_model_only_checkpoint
from electra_tf.errors import UsageError
from electra_tf.models.pretrainer import ElectraPretrainer
from electra_tf.training.model_dir import load_pretrainer
from tests.convert.conftest import TOLERANCE
from tests.convert.conftest import build_hf_pair
from tests.convert.conftest import hf_discriminator_logits
from tests.convert.conftest import hf_generator_logits
from tests.convert.conftest import inputs
from tests.convert.conftest import max_diff
from tests.convert.conftest import our_discriminator_logits
from tests.convert.conftest import our_generator_logits
from tests.convert.conftest import save_hf
from tests.convert.conftest import write_vocab


@pytest.fixture(scope="module")
def imported(hf_pair):
    return import_hf(hf_pair["disc_dir"], hf_pair["gen_dir"])


def test_pair_import_matches_transformers(hf_pair, imported):
    config, batch = imported.config, inputs()
    assert (config.hidden_size, config.num_heads, config.intermediate_size) == (64, 2, 128)
    assert (config.generator_hidden, config.generator_heads,
            config.generator_intermediate) == (32, 1, 64)
    assert (config.embedding_size, config.vocab_size, config.num_layers) == (24, 100, 2)
    assert config.generator_hidden_size == 0.5
    assert imported.imported == ["embeddings", "discriminator", "discriminator_head",
                                 "generator", "generator_head"]
    assert imported.fresh == ["pooled_dense"]

    disc_diff = max_diff(our_discriminator_logits(imported.model, batch),
                         hf_discriminator_logits(hf_pair["disc"], batch))
    ours_gen = our_generator_logits(imported.model, batch)
    gen_diff = max_diff(ours_gen, hf_generator_logits(hf_pair["gen"], batch, "gelu_new"))
    stock_gen_diff = max_diff(ours_gen, hf_generator_logits(hf_pair["gen"], batch))
    print(f"\n[hf import] discriminator logits max|diff| {disc_diff:.3g}; generator MLM "
          f"logits {gen_diff:.3g} (HF head with tanh GELU), {stock_gen_diff:.3g} (stock HF "
          "head, exact GELU)")
    assert disc_diff <= TOLERANCE
    assert gen_diff <= TOLERANCE
    # HF's generator head hard-codes exact GELU: a real but small difference, as documented.
    assert TOLERANCE < stock_gen_diff < 5e-3
    assert any("ElectraGeneratorPredictions" in note for note in imported.notes)


def test_model_dir_round_trip(imported, tmp_path):
    model_dir = str(tmp_path / "run")
    path = write_model_dir(imported, model_dir)
    assert os.path.basename(path) == "ckpt-0"
    assert tf.train.latest_checkpoint(model_dir) == path
    with open(os.path.join(model_dir, "conversion.json"), encoding="utf-8") as f:
        record = json.load(f)
    assert record["fresh"] == ["pooled_dense"] and "step 0" in record["optimizer"]

    model, tokenizer, config, _ = load_pretrainer(model_dir)
    assert config == imported.config and tokenizer.vocabulary_size() == 100
    batch = inputs()
    np.testing.assert_array_equal(our_discriminator_logits(model, batch),
                                  our_discriminator_logits(imported.model, batch))
    np.testing.assert_array_equal(our_generator_logits(model, batch),
                                  our_generator_logits(imported.model, batch))
    # The checkpoint holds every variable of the model, not just those load_pretrainer reads.
    fresh = ElectraPretrainer(config, pad_id=0, cls_id=2, sep_id=3, mask_id=4)
    tf.train.Checkpoint(model=fresh).restore(path).assert_existing_objects_matched()

    with pytest.raises(UsageError, match="already holds a run"):
        write_model_dir(imported, model_dir)

    # An import holds no optimizer state; a training checkpoint does.
    assert is_model_only_checkpoint(path)
    optimizer = keras.optimizers.Adam()
    optimizer.build(fresh.trainable_variables)
    trained = tf.train.Checkpoint(model=fresh, optimizer=optimizer).write(str(tmp_path / "t"))
    assert not is_model_only_checkpoint(trained)


def test_discriminator_alone_from_pytorch_bin(hf_pair, tmp_path):
    folder = tmp_path / "bin_only"
    folder.mkdir()
    (folder / "config.json").write_text(hf_pair["disc"].config.to_json_string(),
                                        encoding="utf-8")
    torch.save(hf_pair["disc"].state_dict(), folder / "pytorch_model.bin")
    write_vocab(folder / "vocab.txt")

    result = import_hf(discriminator_dir=str(folder))
    assert result.imported == ["embeddings", "discriminator", "discriminator_head"]
    assert result.fresh == ["generator", "generator_head", "pooled_dense"]
    batch = inputs()
    diff = max_diff(our_discriminator_logits(result.model, batch),
                    hf_discriminator_logits(hf_pair["disc"], batch))
    assert diff <= TOLERANCE


def test_generator_alone(hf_pair):
    result = import_hf(generator_dir=hf_pair["gen_dir"])
    config = result.config
    assert (config.hidden_size, config.num_heads, config.generator_hidden_size) == (32, 1, 1.0)
    assert result.imported == ["embeddings", "generator", "generator_head"]
    batch = inputs()
    assert max_diff(our_generator_logits(result.model, batch),
                    hf_generator_logits(hf_pair["gen"], batch, "gelu_new")) <= TOLERANCE


def test_exact_gelu_config_is_noted_and_measured(hf_pair, tmp_path):
    disc, _ = build_hf_pair(hidden_act="gelu")
    disc.load_state_dict(hf_pair["disc"].state_dict())
    result = import_hf(discriminator_dir=save_hf(disc, tmp_path / "exact"))
    assert any(EXACT_GELU_NOTE.split("{source}")[1][:40] in note for note in result.notes)
    batch = inputs()
    diff = max_diff(our_discriminator_logits(result.model, batch),
                    hf_discriminator_logits(disc, batch))
    print(f"\n[hf import] hidden_act 'gelu' (exact) vs ours (tanh): discriminator logits "
          f"max|diff| {diff:.3g}")
    assert TOLERANCE < diff < 1e-2


def test_differing_shared_embeddings(hf_pair, tmp_path):
    _, gen = build_hf_pair(seed=5)  # its embeddings differ from hf_pair's discriminator
    gen_dir = save_hf(gen, tmp_path / "other_generator")
    with pytest.raises(UsageError, match="differs between the discriminator and the generator"):
        import_hf(hf_pair["disc_dir"], gen_dir)
    result = import_hf(hf_pair["disc_dir"], gen_dir, shared_embeddings="discriminator")
    batch = inputs()
    assert max_diff(our_discriminator_logits(result.model, batch),
                    hf_discriminator_logits(hf_pair["disc"], batch)) <= TOLERANCE


def test_folders_in_the_wrong_roles(hf_pair):
    with pytest.raises(UsageError, match="pass it as --generator_dir"):
        import_hf(discriminator_dir=hf_pair["gen_dir"])
    with pytest.raises(UsageError, match="pass it as --discriminator_dir"):
        import_hf(generator_dir=hf_pair["disc_dir"])
