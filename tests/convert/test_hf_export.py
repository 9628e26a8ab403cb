"""model_dir -> Hugging Face folders that transformers loads and computes the same logits with."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from transformers import AutoTokenizer
from transformers import ElectraForMaskedLM
from transformers import ElectraForPreTraining

from electra_tf.convert import export_hf
from electra_tf.convert import import_hf
from electra_tf.convert.keras_weights import read_canonical
from electra_tf.errors import UsageError
from electra_tf.models.pretrainer import ElectraPretrainer
from electra_tf.text.tokenizer import ElectraTokenizer
from electra_tf.training.model_dir import prepare_model_dir
from tests.convert.conftest import OUR_CONFIG as CONFIG
from tests.convert.conftest import TOLERANCE
from tests.convert.conftest import hf_discriminator_logits
from tests.convert.conftest import hf_generator_logits
from tests.convert.conftest import hf_sequence_output
from tests.convert.conftest import inputs
from tests.convert.conftest import max_diff
from tests.convert.conftest import our_discriminator_logits
from tests.convert.conftest import our_generator_logits
from tests.convert.conftest import write_vocab


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A model_dir as tools/pretrain.py lays it out, holding a random ElectraPretrainer."""
    root = tmp_path_factory.mktemp("export_hf")
    vocab = write_vocab(root / "vocab.txt")
    model_dir = str(root / "run")
    keras.utils.set_random_seed(3)
    tokenizer = ElectraTokenizer.from_vocab_file(vocab)
    model = ElectraPretrainer.from_tokenizer(CONFIG, tokenizer)
    rng = np.random.default_rng(3)
    for variable in model.trainable_weights:  # no zero biases or unit gammas left
        variable.assign(variable.numpy() + rng.normal(0, 0.05, variable.shape).astype("float32"))
    prepare_model_dir(model_dir, CONFIG, vocab)
    tf.train.Checkpoint(model=model).save(os.path.join(model_dir, "ckpt"))
    out = str(root / "hf")
    result = export_hf(model_dir, out)
    return {"model": model, "model_dir": model_dir, "out": out, "result": result,
            "vocab": vocab}


def test_transformers_loads_the_export_and_matches(run):
    disc, info = ElectraForPreTraining.from_pretrained(run["result"]["discriminator"],
                                                       output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    gen, info = ElectraForMaskedLM.from_pretrained(run["result"]["generator"],
                                                   output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    disc.eval()
    gen.eval()
    assert disc.config.hidden_act == "gelu" and gen.config.hidden_size == 32
    assert (gen.config.num_attention_heads, gen.config.intermediate_size) == (1, 64)
    assert gen.config.embedding_size == 24

    # Exact GELU: the stock models, heads included, compute what ours does.
    batch, model = inputs(), run["model"]
    disc_diff = max_diff(our_discriminator_logits(model, batch),
                         hf_discriminator_logits(disc, batch))
    gen_diff = max_diff(our_generator_logits(model, batch), hf_generator_logits(gen, batch))
    print(f"\n[hf export] discriminator logits max|diff| {disc_diff:.3g}; generator MLM "
          f"logits {gen_diff:.3g}")
    assert disc_diff <= TOLERANCE
    assert gen_diff <= TOLERANCE


def test_tanh_gelu_model_exports_gelu_new(tmp_path):
    config = CONFIG.replace(hidden_act="gelu_approximate")
    vocab = write_vocab(tmp_path / "vocab.txt")
    model = ElectraPretrainer.from_tokenizer(config, ElectraTokenizer.from_vocab_file(vocab))
    model_dir = str(tmp_path / "run")
    prepare_model_dir(model_dir, config, vocab)
    tf.train.Checkpoint(model=model).save(os.path.join(model_dir, "ckpt"))
    result = export_hf(model_dir, str(tmp_path / "hf"))
    disc = ElectraForPreTraining.from_pretrained(result["discriminator"]).eval()
    assert disc.config.hidden_act == "gelu_new"
    batch = inputs()
    assert max_diff(np.asarray(model.discriminator(batch)["sequence_output"]),
                    hf_sequence_output(disc, batch)) <= TOLERANCE


def test_export_files_and_tokenizer(run):
    folder = run["result"]["discriminator"]
    assert sorted(os.listdir(folder)) == ["config.json", "model.safetensors",
                                         "special_tokens_map.json", "tokenizer_config.json",
                                         "vocab.txt"]
    with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
        assert json.load(f)["do_lower_case"] is True
    hf_tokenizer = AutoTokenizer.from_pretrained(folder)
    ours = ElectraTokenizer.from_vocab_file(run["vocab"])
    text = "The cat sat on the Mat, and the movie was GREAT!"
    expected = hf_tokenizer(text, add_special_tokens=False)["input_ids"]
    assert [int(i) for i in ours([text])[0]] == expected
    assert hf_tokenizer.mask_token_id == ours.mask_id


def test_reimport_gives_the_same_weights(run):
    imported = import_hf(run["result"]["discriminator"], run["result"]["generator"])
    assert imported.config.generator_hidden_size == CONFIG.generator_hidden_size
    original = read_canonical(run["model"], CONFIG)
    again = read_canonical(imported.model, imported.config)
    assert original.keys() == again.keys()
    for name in original:
        np.testing.assert_array_equal(original[name], again[name], err_msg=name)


def test_export_refuses_to_overwrite_and_needs_a_destination(run):
    with pytest.raises(UsageError, match="exists; pass --overwrite"):
        export_hf(run["model_dir"], run["out"])
    with pytest.raises(UsageError, match="--output_dir"):
        export_hf(run["model_dir"])
