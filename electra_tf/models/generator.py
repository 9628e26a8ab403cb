"""The generator tower: a small BERT encoder on the discriminator's embeddings.

docs/algorithm.md §3: the word, position and token-type embeddings and the embedding
LayerNorm are ONE set of variables used by both towers. The generator
therefore takes the discriminator backbone's embedding layers themselves
(the same layer objects, so the same variables), and owns only what is its
own: the projection from embedding_size to its hidden size, and its
Transformer layers (same depth as the discriminator; hidden size
`generator_hidden_size` x the discriminator's, FFN and heads as
`ElectraConfig.generator_intermediate` / `generator_heads` give them).
"""

import keras
from keras_hub.layers import TransformerEncoder

from electra_tf.errors import UsageError
from electra_tf.models.discriminator import INITIALIZER_STDDEV
from electra_tf.models.discriminator import hidden_activation

SHARED_EMBEDDING_LAYERS = (
    "token_embedding",
    "position_embedding",
    "segment_embedding",
    "embeddings_layer_norm",
)


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraGenerator(keras.layers.Layer):
    """Generator encoder sharing its embeddings with the discriminator.

    embeddings (shared) -> dropout -> projection E -> H_g (own, only if they
    differ) -> `num_layers` post-LayerNorm `TransformerEncoder` blocks (own).

    Args:
        token_embedding: shared word-embedding layer (`ReversibleEmbedding`).
        position_embedding: shared `keras_hub.layers.PositionEmbedding`.
        segment_embedding: shared token-type `keras.layers.Embedding`.
        embeddings_layer_norm: shared embedding `LayerNormalization`.
        hidden_dim: int. Generator hidden size.
        num_layers: int. Number of Transformer layers.
        num_heads: int. Attention heads; must divide `hidden_dim`.
        intermediate_dim: int. FFN width.
        dropout: float. Dropout in the embeddings and Transformer layers.
        layer_norm_epsilon: float. Defaults to 1e-12 as in BERT/ELECTRA.
        activation: FFN activation. Defaults to the exact GELU (docs/algorithm.md §3).
        kernel_initializer: Defaults to TruncatedNormal(stddev=0.02).
        **kwargs: passed to `keras.layers.Layer` (name, dtype, ...).

    Call args:
        inputs: dict with "token_ids", "segment_ids" and "padding_mask", int
            [B, T] (the `ElectraBackbone` input format).
        training: bool. Enables dropout.

    Returns:
        [B, T, hidden_dim] sequence output.

    Note:
        `get_config` serialises the shared layers by value (as keras-hub's
        `MaskedLMHead` does with its embedding), so `from_config` gives a
        generator with its OWN embeddings. To keep them shared, build it with
        `build_generator(config, discriminator)`.

    Example:
    ```python
    discriminator = build_discriminator(config)
    generator = build_generator(config, discriminator)
    hidden = generator({"token_ids": ids, "segment_ids": segments,
                        "padding_mask": mask})
    ```
    """

    def __init__(
        self,
        token_embedding,
        position_embedding,
        segment_embedding,
        embeddings_layer_norm,
        hidden_dim,
        num_layers,
        num_heads,
        intermediate_dim,
        dropout=0.1,
        layer_norm_epsilon=1e-12,
        activation="gelu",
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.token_embedding = token_embedding
        self.position_embedding = position_embedding
        self.segment_embedding = segment_embedding
        self.embeddings_layer_norm = embeddings_layer_norm
        self.hidden_dim = int(hidden_dim)
        self.num_layers = int(num_layers)
        self.num_heads = int(num_heads)
        self.intermediate_dim = int(intermediate_dim)
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon
        self.activation = keras.activations.get(activation)
        if kernel_initializer is None:
            kernel_initializer = keras.initializers.TruncatedNormal(stddev=INITIALIZER_STDDEV)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.embedding_dim = token_embedding.output_dim

        self.embeddings_dropout = keras.layers.Dropout(
            dropout, dtype=self.dtype_policy, name="embeddings_dropout"
        )
        self.embeddings_projection = None
        if self.hidden_dim != self.embedding_dim:
            self.embeddings_projection = keras.layers.Dense(
                self.hidden_dim,
                kernel_initializer=self._initializer(),
                dtype=self.dtype_policy,
                name="embeddings_projection",
            )
        # One attribute per layer, not a list: `tf.train.Checkpoint` does not
        # see into Keras 3's tracked lists, and would silently skip them.
        for i in range(self.num_layers):
            layer = TransformerEncoder(
                num_heads=self.num_heads,
                intermediate_dim=self.intermediate_dim,
                activation=self.activation,
                dropout=dropout,
                layer_norm_epsilon=layer_norm_epsilon,
                kernel_initializer=self._initializer(),
                dtype=self.dtype_policy,
                name=f"transformer_layer_{i}",
            )
            setattr(self, f"transformer_layer_{i}", layer)

    @property
    def transformer_layers(self):
        """The generator's `TransformerEncoder` layers, bottom to top."""
        return [getattr(self, f"transformer_layer_{i}") for i in range(self.num_layers)]

    def _initializer(self):
        # A fresh instance per layer: a shared seeded initializer would give
        # every layer the same initial values.
        return keras.initializers.get(keras.initializers.serialize(self.kernel_initializer))

    def build(self, inputs_shape=None):
        for layer in SHARED_EMBEDDING_LAYERS:
            # Built already when they come from a backbone; only a
            # standalone (from_config) generator builds them itself.
            if not getattr(self, layer).built:
                self._build_embeddings()
                break
        shape = (None, None, self.embedding_dim)
        if self.embeddings_projection is not None:
            self.embeddings_projection.build(shape)
        shape = (None, None, self.hidden_dim)
        for layer in self.transformer_layers:
            layer.build(shape)
        self.built = True

    def _build_embeddings(self):
        shape = (None, None, self.embedding_dim)
        self.token_embedding.build()
        self.position_embedding.build(shape)
        self.segment_embedding.build()
        self.embeddings_layer_norm.build(shape)

    def call(self, inputs, training=None):
        tokens = self.token_embedding(inputs["token_ids"])
        positions = self.position_embedding(tokens)
        segments = self.segment_embedding(inputs["segment_ids"])
        x = self.embeddings_layer_norm(tokens + positions + segments)
        x = self.embeddings_dropout(x, training=training)
        if self.embeddings_projection is not None:
            x = self.embeddings_projection(x)
        for layer in self.transformer_layers:
            x = layer(x, padding_mask=inputs["padding_mask"], training=training)
        return x

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape["token_ids"]) + (self.hidden_dim,)

    @property
    def own_trainable_variables(self):
        """Trainable variables of the generator alone, without the shared embeddings.

        Example:
        ```python
        grads = tape.gradient(loss, generator.own_trainable_variables)
        ```
        """
        shared = {
            id(v) for name in SHARED_EMBEDDING_LAYERS for v in getattr(self, name).weights
        }
        return [v for v in self.trainable_variables if id(v) not in shared]

    def get_config(self):
        config = super().get_config()
        for name in SHARED_EMBEDDING_LAYERS:
            config[name] = keras.layers.serialize(getattr(self, name))
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "dropout": self.dropout,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in SHARED_EMBEDDING_LAYERS:
            config[name] = keras.layers.deserialize(config[name])
        return cls(**config)


def build_generator(config, discriminator, dtype=None, embedding_layers=None):
    """Builds the generator from an `ElectraConfig`, sharing `discriminator`'s embeddings.

    Args:
        config: `ElectraConfig`. Uses num_layers, generator_hidden,
            generator_heads, generator_intermediate, hidden_act and dropout.
        discriminator: the `keras_hub.models.ElectraBackbone` whose
            `token_embedding`, `position_embedding`, `segment_embedding` and
            `embeddings_layer_norm` layers the generator reuses.
        dtype: optional dtype or `keras.DTypePolicy`; None follows the global
            policy.
        embedding_layers: optional dict {name: layer} for the names in
            `SHARED_EMBEDDING_LAYERS`: the generator's own embedding layers
            instead of the discriminator's (`embedding_sharing` "none"/"gdes").

    Returns:
        A built `ElectraGenerator` named "generator".

    Example:
    ```python
    generator = build_generator(config, build_discriminator(config))
    ```
    """
    if config.generator_hidden % config.generator_heads:
        raise UsageError(
            f"generator hidden size {config.generator_hidden} is not divisible by "
            f"its {config.generator_heads} heads; adjust generator_hidden_size."
        )
    if embedding_layers is None:
        embedding_layers = {name: getattr(discriminator, name) for name in SHARED_EMBEDDING_LAYERS}
    generator = ElectraGenerator(
        **embedding_layers,
        hidden_dim=config.generator_hidden,
        num_layers=config.num_layers,
        num_heads=config.generator_heads,
        intermediate_dim=config.generator_intermediate,
        activation=hidden_activation(config.hidden_act),
        dropout=config.dropout,
        dtype=dtype,
        name="generator",
    )
    generator.build()
    return generator
