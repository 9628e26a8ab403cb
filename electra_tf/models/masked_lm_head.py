"""The generator's masked-LM head with tied output embeddings (docs/algorithm.md §3).

Like `keras_hub.layers.MaskedLMHead`, it gathers the hidden states at the
masked positions FIRST, so the [*, E] x [E, V] projection costs B*P rows, not
B*T. Unlike it, the vocabulary projection and bias run in float32 under a
mixed policy: the logits feed a softmax over the whole vocabulary and the
Gumbel sampler (docs/algorithm.md §9.6), and bfloat16 logits would round them to 8 bits.
"""

import keras
from keras import ops

from electra_tf.models.discriminator import INITIALIZER_STDDEV


@keras.saving.register_keras_serializable(package="electra_tf")
class TiedMaskedLMHead(keras.layers.Layer):
    """Vocabulary logits at masked positions, tied to the word embeddings.

    gather(hidden, positions) -> dense(hidden -> E, GELU) -> LayerNorm ->
    x @ word_embeddings^T + output_bias[V] (the reference `get_token_logits`).

    The word-embedding matrix is read from `token_embedding`, the shared
    layer (not a copy), so the generator's MLM loss trains the same variable
    the discriminator embeds with.

    Args:
        token_embedding: `keras.layers.ReversibleEmbedding` (or any layer with
            an `embeddings` [V, E] variable), e.g. the discriminator backbone's
            `token_embedding`.
        activation: activation of the dense layer. Defaults to the exact
            GELU (docs/algorithm.md §3); pass `hidden_activation(config.hidden_act)`.
        layer_norm_epsilon: float. Defaults to 1e-12 as in BERT/ELECTRA.
        kernel_initializer: initializer of the dense kernel. Defaults to
            TruncatedNormal(stddev=0.02).
        logits_dtype: dtype of the vocabulary projection and the returned
            logits. Defaults to float32 whatever the layer's policy.
        **kwargs: passed to `keras.layers.Layer` (name, dtype, ...).

    Call args:
        hidden_states: float [B, T, H]. Generator sequence output.
        masked_positions: int [B, P]. Positions to predict.

    Returns:
        [B, P, V] logits in `logits_dtype`.

    Note:
        `get_config` serialises `token_embedding` by value (as keras-hub's
        `MaskedLMHead` does), so `from_config` gives a head with its OWN
        copy. To keep the tie, rebuild the head with the shared layer.

    Example:
    ```python
    head = TiedMaskedLMHead(token_embedding=backbone.token_embedding)
    logits = head(generator_hidden, masked_positions)  # [B, P, V]
    ```
    """

    def __init__(
        self,
        token_embedding,
        activation="gelu",
        layer_norm_epsilon=1e-12,
        kernel_initializer=None,
        logits_dtype="float32",
        **kwargs,
    ):
        # autocast=False: the tied projection reads the float32 embedding
        # variable as is instead of a bfloat16 copy.
        super().__init__(autocast=False, **kwargs)
        self.token_embedding = token_embedding
        self.activation = keras.activations.get(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        if kernel_initializer is None:
            kernel_initializer = keras.initializers.TruncatedNormal(stddev=INITIALIZER_STDDEV)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.logits_dtype = logits_dtype
        self.vocabulary_size = token_embedding.input_dim
        embedding_dim = token_embedding.output_dim

        # Names follow the reference checkpoint (docs/algorithm.md §8:
        # generator_predictions/{dense, LayerNorm, output_bias}).
        self.dense = keras.layers.Dense(
            embedding_dim,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="dense",
        )
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="layer_norm",
        )

    def build(self, hidden_states_shape, masked_positions_shape=None):
        if not self.token_embedding.built:
            # Only after `from_config`: a shared embedding is built by its owner.
            self.token_embedding.build()
        # The gathered length does not change any variable shape.
        gathered_shape = (hidden_states_shape[0], None, hidden_states_shape[-1])
        self.dense.build(gathered_shape)
        self.layer_norm.build(gathered_shape[:-1] + (self.token_embedding.output_dim,))
        self.output_bias = self.add_weight(
            name="output_bias",
            shape=(self.vocabulary_size,),
            initializer="zeros",
            dtype=self.variable_dtype,
        )
        self.built = True

    def call(self, hidden_states, masked_positions):
        # Gather first: only the P chosen positions reach the vocabulary.
        positions = ops.expand_dims(ops.cast(masked_positions, "int32"), axis=-1)
        x = ops.take_along_axis(hidden_states, positions, axis=1)
        x = self.dense(x)
        x = self.layer_norm(x)
        x = ops.cast(x, self.logits_dtype)
        embeddings = ops.cast(self.token_embedding.embeddings, self.logits_dtype)
        logits = ops.matmul(x, ops.transpose(embeddings))
        return logits + ops.cast(self.output_bias, self.logits_dtype)

    def compute_output_shape(self, hidden_states_shape, masked_positions_shape):
        return tuple(masked_positions_shape) + (self.vocabulary_size,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "token_embedding": keras.layers.serialize(self.token_embedding),
                "activation": keras.activations.serialize(self.activation),
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "logits_dtype": self.logits_dtype,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["token_embedding"] = keras.layers.deserialize(config["token_embedding"])
        return cls(**config)
