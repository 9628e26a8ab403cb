"""Hugging Face folders -> ElectraPretrainer: same logits as transformers computes."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
from transformers import ElectraConfig as HFElectraConfig
from transformers import ElectraForMaskedLM
from transformers import ElectraForPreTraining

from electra_tf.convert import import_hf
from electra_tf.convert import write_model_dir
from electra_tf.convert.imported_model import is_model_only_checkpoint
from electra_tf.errors import UsageError
from electra_tf.models.pretrainer import ElectraPretrainer
from electra_tf.training.model_dir import load_pretrainer
from tests.convert.conftest import TOLERANCE
from tests.convert.conftest import build_hf_pair
from tests.convert.conftest import hf_discriminator_logits
from tests.convert.conftest import hf_generator_logits
from tests.convert.conftest import hf_sequence_output
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
    assert config.hidden_act == "gelu"  # transformers' default: exact erf GELU
    assert imported.imported == ["embeddings", "discriminator", "discriminator_head",
                                 "generator", "generator_head"]
    assert imported.fresh == ["pooled_dense"]

    # The stock models, heads included: with exact GELU everywhere nothing differs.
    disc_diff = max_diff(our_discriminator_logits(imported.model, batch),
                         hf_discriminator_logits(hf_pair["disc"], batch))
    gen_diff = max_diff(our_generator_logits(imported.model, batch),
                        hf_generator_logits(hf_pair["gen"], batch))
    print(f"\n[hf import] hidden_act 'gelu': discriminator logits max|diff| {disc_diff:.3g}; "
          f"generator MLM logits {gen_diff:.3g}")
    assert disc_diff <= TOLERANCE
    assert gen_diff <= TOLERANCE
    assert not any("ElectraGeneratorPredictions" in note for note in imported.notes)


def test_tanh_gelu_pair_keeps_its_activation(hf_pair, tmp_path):
    disc, gen = build_hf_pair(hidden_act="gelu_new")
    disc.load_state_dict(hf_pair["disc"].state_dict())
    gen.load_state_dict(hf_pair["gen"].state_dict())
    result = import_hf(save_hf(disc, tmp_path / "d"), save_hf(gen, tmp_path / "g"))
    assert result.config.hidden_act == "gelu_approximate"
    assert any("ElectraGeneratorPredictions" in note for note in result.notes)
    batch = inputs()
    disc_diff = max_diff(np.asarray(result.model.discriminator(batch)["sequence_output"]),
                         hf_sequence_output(disc, batch))
    gen_diff = max_diff(np.asarray(result.model.generator(batch)), hf_sequence_output(gen, batch))
    assert disc_diff <= TOLERANCE and gen_diff <= TOLERANCE
    # The heads use hidden_act too (as the reference; HF's generator head is
    # hard-coded exact GELU, so it is compared with its activation swapped).
    assert max_diff(our_discriminator_logits(result.model, batch),
                    hf_discriminator_logits(disc, batch)) <= TOLERANCE
    assert max_diff(our_generator_logits(result.model, batch),
                    hf_generator_logits(gen, batch, head_activation="gelu_new")) <= TOLERANCE
    # The same weights under exact GELU: the activation really is what differs.
    exact = max_diff(np.asarray(result.model.discriminator(batch)["sequence_output"]),
                     hf_sequence_output(hf_pair["disc"], batch))
    assert exact > 10 * TOLERANCE


def test_generator_sized_the_google_way_imports(tmp_path):
    """Discriminator hidden 192 / FFN 384 (not 4 x hidden), generator hidden 64 / FFN 256."""
    torch.manual_seed(11)
    common = dict(vocab_size=100, embedding_size=32, num_hidden_layers=1,
                  max_position_embeddings=64, hidden_act="gelu")
    disc = ElectraForPreTraining(HFElectraConfig(
        hidden_size=192, num_attention_heads=3, intermediate_size=384, **common)).eval()
    gen = ElectraForMaskedLM(HFElectraConfig(
        hidden_size=64, num_attention_heads=1, intermediate_size=256, **common)).eval()
    with torch.no_grad():
        gen.electra.embeddings.load_state_dict(disc.electra.embeddings.state_dict())
    result = import_hf(save_hf(disc, tmp_path / "d"), save_hf(gen, tmp_path / "g"))
    config = result.config
    assert (config.generator_hidden, config.generator_intermediate,
            config.generator_heads) == (64, 256, 1)
    # Google's derivation gives these: the config states no generator sizes of its own.
    assert config.generator_intermediate_size is None and config.generator_num_heads is None
    batch = {k: v[:, :12] for k, v in inputs().items()}
    positions = np.tile(np.arange(12, dtype=np.int32), (2, 1))
    ours = np.asarray(result.model.generator_head(result.model.generator(batch), positions))
    with torch.no_grad():
        theirs = gen(input_ids=torch.tensor(batch["token_ids"], dtype=torch.long),
                     attention_mask=torch.tensor(batch["padding_mask"], dtype=torch.long),
                     token_type_ids=torch.tensor(batch["segment_ids"], dtype=torch.long)
                     ).logits.numpy()
    assert max_diff(ours, theirs) <= TOLERANCE
    assert max_diff(our_discriminator_logits(result.model, batch),
                    hf_discriminator_logits(disc, batch)) <= TOLERANCE


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
                    hf_generator_logits(hf_pair["gen"], batch)) <= TOLERANCE


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
