"""The discriminator: a keras-hub `ElectraBackbone` plus the RTD head (docs/algorithm.md §3).

The discriminator is the model users keep after pretraining, so it is a real
`keras_hub.models.ElectraBackbone`: it saves, loads and fine-tunes with
keras-hub's own tools (`backbone.save_to_preset(...)`,
`keras_hub.models.ElectraTextClassifier(backbone=...)`) with no code of ours.
The replaced-token-detection head is pretraining-only and lives beside it.
"""

import keras
import keras_hub

from electra_tf.errors import UsageError
# keras-hub's registered tanh-approximated GELU (it serialises by name).
from electra_tf.private_apis import gelu_approximate

# docs/algorithm.md §3: every kernel and embedding starts from a truncated normal, stddev 0.02.
INITIALIZER_STDDEV = 0.02
# ElectraConfig.hidden_act -> the Keras activation. keras.activations.gelu is
# the exact erf form by default (approximate=False).
ACTIVATIONS = {"gelu": keras.activations.gelu, "gelu_approximate": gelu_approximate}


def hidden_activation(hidden_act):
    """The Keras activation function of an `ElectraConfig.hidden_act` name.

    Args:
        hidden_act: str. "gelu" (exact erf GELU) or "gelu_approximate" (tanh).

    Returns:
        A callable activation, serialisable by name.

    Example:
    ```python
    head = ReplacedTokenDetectionHead(256, activation=hidden_activation(config.hidden_act))
    ```
    """
    if hidden_act not in ACTIVATIONS:
        raise UsageError(
            f"hidden_act must be one of {', '.join(ACTIVATIONS)}, got {hidden_act!r}."
        )
    return ACTIVATIONS[hidden_act]


def set_feedforward_activation(backbone, activation):
    """Makes every Transformer layer of `backbone` use `activation` in its FFN.

    keras-hub's `ElectraBackbone` hard-codes the tanh GELU and has no argument
    for it. Its functional graph calls each layer again at run time, and
    `Dense` reads `self.activation` when called, so replacing the attribute
    changes the computation; the graph's structure and variables are
    unchanged. `backbone.get_config()` cannot record it (see
    `export/preset.py`): rebuild from an `ElectraConfig` to keep it.

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        activation: a Keras activation (see `hidden_activation`).
    """
    for layer in backbone.transformer_layers:
        layer.activation = activation
        layer._feedforward_intermediate_dense.activation = activation


def build_discriminator(config, dtype=None):
    """Builds the discriminator encoder from an `ElectraConfig`.

    Args:
        config: `ElectraConfig`. Uses vocab_size, embedding_size, hidden_size,
            num_layers, num_heads, intermediate_size, hidden_act, dropout,
            max_position_embeddings and type_vocab_size.
        dtype: optional dtype or `keras.DTypePolicy`; None follows the global
            policy (e.g. `mixed_bfloat16`).

    Returns:
        `keras_hub.models.ElectraBackbone` named "discriminator".

    Example:
    ```python
    config = ElectraConfig(vocab_size=1000, hidden_size=64, num_heads=2,
                           intermediate_size=128, embedding_size=32, num_layers=2)
    backbone = build_discriminator(config)
    outputs = backbone({"token_ids": ids, "segment_ids": segments,
                        "padding_mask": mask})
    outputs["sequence_output"]  # [B, T, hidden_size]
    ```
    """
    if config.vocab_size <= 0:
        raise UsageError(
            f"vocab_size must be set to the vocabulary's size before building "
            f"a model (0 means 'take it from the vocabulary'), got {config.vocab_size}."
        )
    backbone = keras_hub.models.ElectraBackbone(
        vocab_size=config.vocab_size,
        num_layers=config.num_layers,
        num_heads=config.num_heads,
        hidden_dim=config.hidden_size,
        embedding_dim=config.embedding_size,
        intermediate_dim=config.intermediate_size,
        dropout=config.dropout,
        max_sequence_length=config.max_position_embeddings,
        num_segments=config.type_vocab_size,
        dtype=dtype,
        name="discriminator",
    )
    set_feedforward_activation(backbone, hidden_activation(config.hidden_act))
    return backbone


@keras.saving.register_keras_serializable(package="electra_tf")
class ReplacedTokenDetectionHead(keras.layers.Layer):
    """Per-token "was this token replaced?" logits (docs/algorithm.md §3, discriminator head).

    dense(hidden -> hidden, GELU) -> dense(hidden -> 1). The last dense runs in
    float32 whatever the dtype policy: it is tiny, and its output feeds the
    sigmoid cross-entropy directly.

    Args:
        hidden_dim: int. Width of the intermediate dense layer (the
            discriminator's hidden size).
        activation: activation of the intermediate layer. Defaults to the
            exact GELU (docs/algorithm.md §3); pass `hidden_activation(config.hidden_act)`.
        kernel_initializer: initializer of both kernels. Defaults to
            TruncatedNormal(stddev=0.02).
        **kwargs: passed to `keras.layers.Layer` (name, dtype, ...).

    Call args:
        hidden_states: float [B, T, hidden_dim]. Discriminator sequence output.

    Returns:
        float32 [B, T] logits; sigmoid gives P(replaced).

    Example:
    ```python
    head = ReplacedTokenDetectionHead(hidden_dim=256)
    logits = head(backbone(inputs)["sequence_output"])  # [B, T]
    ```
    """

    def __init__(
        self,
        hidden_dim,
        activation="gelu",
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_dim = int(hidden_dim)
        self.activation = keras.activations.get(activation)
        if kernel_initializer is None:
            kernel_initializer = keras.initializers.TruncatedNormal(stddev=INITIALIZER_STDDEV)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

        # Names follow the reference checkpoint (docs/algorithm.md §8:
        # discriminator_predictions/{dense, dense_1}) to ease weight import.
        self.dense = keras.layers.Dense(
            self.hidden_dim,
            activation=self.activation,
            kernel_initializer=keras.initializers.get(
                keras.initializers.serialize(self.kernel_initializer)
            ),
            dtype=self.dtype_policy,
            name="dense",
        )
        self.dense_1 = keras.layers.Dense(
            1,
            kernel_initializer=keras.initializers.get(
                keras.initializers.serialize(self.kernel_initializer)
            ),
            dtype="float32",
            name="dense_1",
        )

    def build(self, hidden_states_shape):
        self.dense.build(hidden_states_shape)
        self.dense_1.build(tuple(hidden_states_shape[:-1]) + (self.hidden_dim,))
        self.built = True

    def call(self, hidden_states):
        x = self.dense(hidden_states)
        return keras.ops.squeeze(self.dense_1(x), axis=-1)

    def compute_output_shape(self, hidden_states_shape):
        return tuple(hidden_states_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config


def replaced_token_detection(backbone, head, inputs, training=False):
    """The discriminator's verdict on every token: backbone -> RTD head -> sigmoid.

    The one place this is computed: the pretraining step, the SavedModel and
    LiteRT exports and the demo all call it, so they cannot disagree on
    (for instance) what padding positions report.

    Args:
        backbone: the discriminator `keras_hub.models.ElectraBackbone`.
        head: its `ReplacedTokenDetectionHead`.
        inputs: dict of int [B, T] "token_ids", "segment_ids", "padding_mask".
        training: bool. Dropout in the backbone.

    Returns:
        dict of float32 [B, T] tensors: "logits", and
        "replaced_probability" = sigmoid(logits), 0 on padding.

    Example:
    ```python
    detection = replaced_token_detection(
        model.discriminator, model.discriminator_head,
        {"token_ids": ids, "segment_ids": segments, "padding_mask": mask})
    detection["replaced_probability"]  # [B, T]
    ```
    """
    hidden = backbone(inputs, training=training)["sequence_output"]
    logits = keras.ops.cast(head(hidden), "float32")
    mask = keras.ops.cast(inputs["padding_mask"], "float32")
    return {"logits": logits, "replaced_probability": keras.ops.sigmoid(logits) * mask}
