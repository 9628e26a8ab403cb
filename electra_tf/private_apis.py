"""Every non-public keras-hub / Keras / TensorFlow name this package uses, in one place.

Where a public API does the job the package uses it; these have none (as of the
versions pinned in setup.py: Keras < 3.16, keras-hub 0.32, TensorFlow 2.21).
`tests/test_private_apis.py` checks each one still exists and behaves as relied
on, so an upgrade that moves one fails there, by name, instead of deep in a run.

- keras-hub's WordPiece split patterns (`CJK_REGEX`, `PUNCTUATION_REGEX`):
  words must break exactly where keras-hub's tokenizer breaks them.
- keras-hub's `gelu_approximate`: the registered activation its
  `ElectraBackbone` serializes; a model switched to tanh GELU must save the
  same name for keras-hub's `from_preset` to load it.
- Keras' optimizer variable key (`Optimizer._var_key`): `update_step` receives
  the backend variable, not the Keras variable a per-variable setting was made
  for; the key is the only mapping between the two.
- Keras' `Layer._flatten_layers` (every sublayer, recursively; Keras 3 has no
  public walk) and `MultiHeadAttention._softmax` (the softmax layer, whose
  dtype policy the mixed-precision pretrainer sets to float32).
- TensorFlow's `saved_model_cli` entry point (`tensorflow.python.tools`: the
  console script has no public Python twin) and its registered-op list
  (`tensorflow.python.framework.c_api_util.ApiDefMap`: which ops a stock TF
  Serving binary has, for the export's op audit).
- Keras' `AdamW._apply_weight_decay` and `_use_weight_decay`, overridden and
  called by `finetune.layerwise_lr.LayerwiseAdamW`: the decoupled decay must
  use each variable's layer-wise rate and no public hook reaches it.
"""

from keras_hub.src.tokenizers.word_piece_tokenizer import CJK_REGEX
from keras_hub.src.tokenizers.word_piece_tokenizer import PUNCTUATION_REGEX
from keras_hub.src.utils.keras_utils import gelu_approximate

__all__ = ["CJK_REGEX", "LIST_REGISTERED_OPS_SCRIPT", "PUNCTUATION_REGEX", "all_sublayers",
           "attention_softmax", "gelu_approximate", "optimizer_variable_key",
           "saved_model_cli_main"]

# Run in a fresh interpreter (`python -c`): prints the JSON list of every op
# registered once TensorFlow and tf-text are imported.
LIST_REGISTERED_OPS_SCRIPT = (
    "import json, tensorflow, tensorflow_text\n"
    "from tensorflow.python.framework import c_api_util\n"
    "print(json.dumps(sorted(c_api_util.ApiDefMap().op_names())))\n"
)


def saved_model_cli_main():
    """TensorFlow's `saved_model_cli` main function (imported when asked for).

    Example:
    ```python
    sys.exit(saved_model_cli_main()())
    ```
    """
    from tensorflow.python.tools.saved_model_cli import main

    return main


def all_sublayers(model):
    """Every layer inside `model`, recursively (not `model` itself).

    Example:
    ```python
    dense = [l for l in all_sublayers(model) if isinstance(l, keras.layers.Dense)]
    ```
    """
    return list(model._flatten_layers(include_self=False, recursive=True))


def attention_softmax(layer):
    """The `keras.layers.Softmax` a `keras.layers.MultiHeadAttention` normalizes with.

    Example:
    ```python
    attention_softmax(mha).dtype_policy = keras.DTypePolicy("float32")
    ```
    """
    return layer._softmax


def optimizer_variable_key(optimizer, variable):
    """The key a Keras optimizer files `variable` under (Keras or backend variable).

    Args:
        optimizer: `keras.optimizers.Optimizer`.
        variable: a `keras.Variable` or the backend variable behind it.

    Returns:
        hashable.

    Example:
    ```python
    optimizer_variable_key(optimizer, model.trainable_variables[0])
    ```
    """
    return optimizer._var_key(variable)
