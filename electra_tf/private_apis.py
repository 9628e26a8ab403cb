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
- Keras' `AdamW._apply_weight_decay` and `_use_weight_decay`, overridden and
  called by `finetune.layerwise_lr.LayerwiseAdamW`: the decoupled decay must
  use each variable's layer-wise rate and no public hook reaches it.
"""

from keras_hub.src.tokenizers.word_piece_tokenizer import CJK_REGEX
from keras_hub.src.tokenizers.word_piece_tokenizer import PUNCTUATION_REGEX
from keras_hub.src.utils.keras_utils import gelu_approximate

__all__ = ["CJK_REGEX", "PUNCTUATION_REGEX", "gelu_approximate", "optimizer_variable_key"]


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
