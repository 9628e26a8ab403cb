"""The non-public names `electra_tf/private_apis.py` relies on still exist and behave as
relied on in the installed keras-hub / Keras (an upgrade that moves one fails here)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from electra_tf import private_apis
from electra_tf.text.word_split import split_words_with_offsets


def test_keras_hub_split_patterns_still_split_where_its_tokenizer_does():
    import keras_hub

    tokenizer = keras_hub.tokenizers.WordPieceTokenizer(
        vocabulary=["[UNK]", "a", "b", "!", "東", "京"], lowercase=False, strip_accents=False)
    text = "a!b 東京"
    pieces = [tokenizer.id_to_token(int(i)) for i in tokenizer.tokenize(text)]
    words, _, _ = split_words_with_offsets(tf.constant([text]))
    assert [w.decode() for w in words.to_list()[0]] == pieces == ["a", "!", "b", "東", "京"]


def test_gelu_approximate_is_keras_hubs_registered_tanh_gelu():
    x = np.linspace(-3, 3, 13).astype("float32")
    np.testing.assert_allclose(private_apis.gelu_approximate(x),
                               keras.activations.gelu(x, approximate=True), atol=1e-6)
    assert keras.saving.get_registered_name(private_apis.gelu_approximate) == (
        "keras_hub>gelu_approximate")


def test_optimizer_keys_keras_and_backend_variables_alike():
    variable = keras.Variable(np.ones(3, "float32"))
    optimizer = keras.optimizers.AdamW()
    optimizer.build([variable])
    assert private_apis.optimizer_variable_key(optimizer, variable) == (
        private_apis.optimizer_variable_key(optimizer, variable.value))


def test_adamw_weight_decay_hooks_exist_and_run():
    assert callable(getattr(keras.optimizers.AdamW, "_apply_weight_decay", None))
    optimizer = keras.optimizers.AdamW(learning_rate=0.5, weight_decay=0.1)
    variable = keras.Variable(np.ones(2, "float32"), name="kernel")
    optimizer.build([variable])
    assert optimizer._use_weight_decay(variable)
    optimizer._apply_weight_decay([variable])
    np.testing.assert_allclose(variable.numpy(), 1 - 0.5 * 0.1)


def test_sublayers_and_attention_softmax_reach_keras_internals():
    from electra_tf.private_apis import all_sublayers
    from electra_tf.private_apis import attention_softmax

    inputs = keras.Input((4, 8))
    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    model = keras.Model(inputs, keras.layers.Dense(3)(attention(inputs, inputs)))
    layers = all_sublayers(model)
    assert attention in layers and model not in layers
    assert isinstance(attention_softmax(attention), keras.layers.Softmax)


@pytest.mark.slow
def test_saved_model_cli_main_and_the_op_list_script_work():
    import json
    import subprocess
    import sys

    assert callable(private_apis.saved_model_cli_main())
    result = subprocess.run([sys.executable, "-c", private_apis.LIST_REGISTERED_OPS_SCRIPT],
                            capture_output=True, text=True, timeout=300)
    ops = json.loads(result.stdout.strip().splitlines()[-1])
    assert "MatMul" in ops and "WordpieceTokenizeWithOffsets" in ops


def test_no_private_name_is_used_outside_private_apis():
    import os
    import re

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pattern = re.compile(r"keras_hub\.src|keras\.src|tf\.__internal__|tensorflow\.python|"
                         r"\._flatten_layers|_seed_generators|_token_to_id_map|\._softmax\b|"
                         r"\._var_key")
    offenders = []
    for folder in ("electra_tf", "tools", "benchmarks"):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in files:
                path = os.path.join(dirpath, name)
                if name.endswith(".py") and not path.endswith("private_apis.py"):
                    with open(path, encoding="utf-8") as f:
                        offenders += [f"{os.path.relpath(path, root)}:{n}"
                                      for n, line in enumerate(f, 1) if pattern.search(line)]
    assert not offenders, offenders
