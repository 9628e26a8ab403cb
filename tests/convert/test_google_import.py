"""Reference TF1 checkpoints (docs/algorithm.md §8 names, written with tf.compat.v1) ->
ElectraPretrainer.

The checkpoint is written from the Hugging Face models' weights with the
variable names spelled out here from docs/algorithm.md §8, independently of the
package's name table, and the imported model is compared with transformers.
"""

import json

import numpy as np
import pytest
import tensorflow as tf

from electra_tf.convert import import_google_checkpoint
from electra_tf.errors import UsageError
from tests.convert.conftest import TOLERANCE
from tests.convert.conftest import hf_discriminator_logits
from tests.convert.conftest import hf_generator_logits
from tests.convert.conftest import inputs
from tests.convert.conftest import max_diff
from tests.convert.conftest import our_discriminator_logits
from tests.convert.conftest import our_generator_logits
from tests.convert.conftest import write_vocab

# (TF1 suffix, PyTorch suffix, transpose) inside electra/encoder/layer_i vs electra.encoder.layer.i
LAYER = [
    (f"attention/self/{n}/{k}", f"attention.self.{n}.{w}", k == "kernel")
    for n in ("query", "key", "value") for k, w in (("kernel", "weight"), ("bias", "bias"))
] + [
    ("attention/output/dense/kernel", "attention.output.dense.weight", True),
    ("attention/output/dense/bias", "attention.output.dense.bias", False),
    ("attention/output/LayerNorm/gamma", "attention.output.LayerNorm.weight", False),
    ("attention/output/LayerNorm/beta", "attention.output.LayerNorm.bias", False),
    ("intermediate/dense/kernel", "intermediate.dense.weight", True),
    ("intermediate/dense/bias", "intermediate.dense.bias", False),
    ("output/dense/kernel", "output.dense.weight", True),
    ("output/dense/bias", "output.dense.bias", False),
    ("output/LayerNorm/gamma", "output.LayerNorm.weight", False),
    ("output/LayerNorm/beta", "output.LayerNorm.bias", False),
]
EMBEDDINGS = [
    ("word_embeddings", "word_embeddings.weight"),
    ("position_embeddings", "position_embeddings.weight"),
    ("token_type_embeddings", "token_type_embeddings.weight"),
    ("LayerNorm/gamma", "LayerNorm.weight"),
    ("LayerNorm/beta", "LayerNorm.bias"),
]


def reference_variables(disc, gen=None):
    """{TF1 name: array} in the reference layout (docs/algorithm.md §8) from HF models."""
    d = {k: v.numpy() for k, v in disc.state_dict().items()}
    variables = {f"electra/embeddings/{tf_name}": d[f"electra.embeddings.{hf_name}"]
                 for tf_name, hf_name in EMBEDDINGS}

    def tower(scope, state):
        project = f"{scope}/embeddings_project/"
        variables[project + "kernel"] = state["electra.embeddings_project.weight"].T
        variables[project + "bias"] = state["electra.embeddings_project.bias"]
        for i in range(2):
            for tf_name, hf_name, transpose in LAYER:
                value = state[f"electra.encoder.layer.{i}.{hf_name}"]
                variables[f"{scope}/encoder/layer_{i}/{tf_name}"] = value.T if transpose else value

    tower("electra", d)
    head = "discriminator_predictions/"
    variables[head + "dense/kernel"] = d["discriminator_predictions.dense.weight"].T
    variables[head + "dense/bias"] = d["discriminator_predictions.dense.bias"]
    variables[head + "dense_1/kernel"] = d["discriminator_predictions.dense_prediction.weight"].T
    variables[head + "dense_1/bias"] = d["discriminator_predictions.dense_prediction.bias"]
    if gen is not None:
        g = {k: v.numpy() for k, v in gen.state_dict().items()}
        tower("generator", g)
        head = "generator_predictions/"
        variables[head + "dense/kernel"] = g["generator_predictions.dense.weight"].T
        variables[head + "dense/bias"] = g["generator_predictions.dense.bias"]
        variables[head + "LayerNorm/gamma"] = g["generator_predictions.LayerNorm.weight"]
        variables[head + "LayerNorm/beta"] = g["generator_predictions.LayerNorm.bias"]
        variables[head + "output_bias"] = g["generator_lm_head.bias"]
    return variables


def write_tf1_checkpoint(prefix, variables):
    """Saves `variables` as TF1 variables of exactly these names (tf.compat.v1.train.Saver)."""
    with tf.Graph().as_default():
        var_list = {name: tf.compat.v1.Variable(np.ascontiguousarray(value), name=name)
                    for name, value in variables.items()}
        saver = tf.compat.v1.train.Saver(var_list=var_list)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return saver.save(session, prefix, write_meta_graph=False)


@pytest.fixture(scope="module")
def reference_checkpoint(hf_pair, tmp_path_factory):
    root = tmp_path_factory.mktemp("google")
    variables = reference_variables(hf_pair["disc"], hf_pair["gen"])
    # Training state a reference checkpoint may hold: must be ignored.
    variables["electra/embeddings/word_embeddings/adam_m"] = np.zeros((100, 24), np.float32)
    variables["global_step"] = np.int64(1000000)
    prefix = write_tf1_checkpoint(str(root / "model.ckpt-1000000"), variables)
    write_vocab(root / "vocab.txt")  # found beside the checkpoint
    heads = root / "heads.json"  # heads are invisible in shapes; hidden/64 would give 1
    heads.write_text(json.dumps({"num_heads": 2}), encoding="utf-8")
    return {"prefix": prefix, "dir": str(root), "heads": str(heads), "root": root}


def test_reference_checkpoint_matches_transformers(hf_pair, reference_checkpoint):
    reader = tf.train.load_checkpoint(reference_checkpoint["prefix"])
    assert "global_step" in reader.get_variable_to_shape_map()  # really there, really ignored
    imported = import_google_checkpoint(reference_checkpoint["dir"],
                                        config_json=reference_checkpoint["heads"])
    config = imported.config
    assert (config.hidden_size, config.num_heads, config.generator_hidden_size) == (64, 2, 0.5)
    assert (config.embedding_size, config.intermediate_size, config.num_layers) == (24, 128, 2)
    assert imported.vocab.endswith("vocab.txt")
    assert imported.source["ignored_training_state"] == 2
    assert imported.fresh == ["pooled_dense"]

    batch = inputs()
    disc_diff = max_diff(our_discriminator_logits(imported.model, batch),
                         hf_discriminator_logits(hf_pair["disc"], batch))
    # The reference computes exact GELU everywhere, as HF's "gelu" models do.
    assert config.hidden_act == "gelu"
    gen_diff = max_diff(our_generator_logits(imported.model, batch),
                        hf_generator_logits(hf_pair["gen"], batch))
    print(f"\n[google import] discriminator logits max|diff| {disc_diff:.3g}; generator MLM "
          f"logits {gen_diff:.3g}")
    assert disc_diff <= TOLERANCE
    assert gen_diff <= TOLERANCE


def test_discriminator_only_checkpoint(hf_pair, tmp_path):
    prefix = write_tf1_checkpoint(str(tmp_path / "disc.ckpt"),
                                  reference_variables(hf_pair["disc"]))
    (tmp_path / "heads.json").write_text(json.dumps({"num_heads": 2,
                                                     "generator_hidden_size": 0.25}))
    imported = import_google_checkpoint(prefix, config_json=str(tmp_path / "heads.json"))
    assert imported.imported == ["embeddings", "discriminator", "discriminator_head"]
    assert "generator" in imported.fresh and imported.config.generator_hidden == 16
    assert imported.vocab is None and any("special-token ids" in n for n in imported.notes)
    batch = inputs()
    assert max_diff(our_discriminator_logits(imported.model, batch),
                    hf_discriminator_logits(hf_pair["disc"], batch)) <= TOLERANCE


def test_generator_size_mismatch_names_the_field(reference_checkpoint):
    stated = reference_checkpoint["root"] / "small.json"
    stated.write_text(json.dumps({"num_heads": 2, "generator_hidden_size": 0.25}))
    with pytest.raises(UsageError) as error:
        import_google_checkpoint(reference_checkpoint["prefix"], config_json=str(stated))
    message = str(error.value)
    assert message.startswith("generator/embeddings_project/kernel: the checkpoint has shape "
                              "[24, 32] but the config gives [24, 16]"), message
    assert "generator hidden size 32 vs 16: is generator_hidden_size 0.5 or 0.25?" in message


def test_stated_depth_and_vocabulary_are_checked(reference_checkpoint):
    deeper = reference_checkpoint["root"] / "deeper.json"
    deeper.write_text(json.dumps({"num_layers": 3}))
    with pytest.raises(UsageError, match=r"electra/encoder/layer_2/attention/self/query/kernel: "
                                         r"the checkpoint has no layer 2.*num_layers 2 or 3"):
        import_google_checkpoint(reference_checkpoint["prefix"], config_json=str(deeper))
    wrong_vocab = reference_checkpoint["root"] / "vocab_50.txt"
    wrong_vocab.write_text("".join(f"{t}\n" for t in
                                   ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abc")))
    with pytest.raises(UsageError, match="8 tokens but the checkpoint's word embeddings have 100"):
        import_google_checkpoint(reference_checkpoint["prefix"], vocab=str(wrong_vocab))
