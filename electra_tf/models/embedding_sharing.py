"""What the generator shares with the discriminator (`ElectraConfig.embedding_sharing`).

- "embeddings" (default, docs/algorithm.md §3, §6.3): word, position and segment embeddings and
  the embedding LayerNorm are the discriminator backbone's layers, used by
  both towers.
- "none": the generator has its own copies of those four layers (and its MLM
  head is tied to its own word embeddings).
- "all": one encoder. The generator IS the discriminator backbone
  (`SharedEncoderGenerator`), so both towers must have the same sizes. The
  BERT baseline (objective "mlm") is built this way too: its one encoder is
  the discriminator backbone, read by the MLM head.
- "gdes" (DeBERTaV3's gradient-disentangled embedding sharing): the generator
  has its own embeddings E_G, as with "none"; the discriminator embeds words
  with stop_gradient(E_G) + E_delta, where E_delta is the discriminator
  backbone's own word-embedding variable, initialised to zero. The MLM loss
  trains E_G, the RTD loss trains only E_delta. It is applied to the word
  embeddings, as DeBERTaV3 does (the table the MLM head is tied to, where the
  two losses pull against each other); position and segment embeddings and the
  embedding LayerNorm are each tower's own, as with "none".
  `fold_gdes_embeddings` writes E_G + E_delta into the discriminator's variable
  for export, so every export and fine-tuning sees one ordinary matrix.
"""

import keras
from keras import ops

from electra_tf.models.generator import SHARED_EMBEDDING_LAYERS
from electra_tf.models.generator import build_generator


@keras.saving.register_keras_serializable(package="electra_tf")
class SharedEncoderGenerator(keras.layers.Layer):
    """The generator of `embedding_sharing="all"` (and of "mlm"): the backbone itself.

    Holds no variable of its own: calling it runs the discriminator backbone
    and returns its sequence output, the interface `ElectraGenerator` has.

    Args:
        backbone: the discriminator `keras_hub.models.ElectraBackbone`.
        **kwargs: passed to `keras.layers.Layer` (name, dtype, ...).

    Call args:
        inputs: dict of int [B, T] "token_ids", "segment_ids", "padding_mask".
        training: bool. Dropout.

    Returns:
        [B, T, hidden] sequence output.

    Example:
    ```python
    generator = SharedEncoderGenerator(discriminator)
    hidden = generator({"token_ids": ids, "segment_ids": segments, "padding_mask": mask})
    ```
    """

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.hidden_dim = backbone.hidden_dim
        self.num_layers = backbone.num_layers
        self.built = True

    @property
    def transformer_layers(self):
        return self.backbone.transformer_layers

    @property
    def own_trainable_variables(self):
        """None: every variable belongs to the backbone."""
        return []

    def call(self, inputs, training=None):
        return self.backbone(inputs, training=training)["sequence_output"]

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape["token_ids"]) + (self.hidden_dim,)


class _GdesEmbedding:
    """Mixin: `embeddings` reads stop_gradient(source) + own variable (E_delta).

    keras's `Embedding.call` (and `ReversibleEmbedding`) look the ids up in
    the `embeddings` property, so overriding it changes what the backbone's
    functional graph computes without rebuilding keras-hub's backbone.
    """

    @property
    def embeddings(self):
        source = ops.stop_gradient(self._gdes_source.embeddings)
        return ops.cast(source, self._embeddings.dtype) + self._embeddings


_GDES_CLASSES = {}


def attach_gdes_embedding(token_embedding, source):
    """Makes `token_embedding` embed with stop_gradient(source) + its own variable.

    Its own variable becomes E_delta and is zeroed. The source layer is kept
    as a plain reference (not a tracked sublayer), so the discriminator's
    variables (and checkpoints, exports) do not grow a copy of E_G.

    Args:
        token_embedding: the discriminator backbone's `ReversibleEmbedding`.
        source: the generator's word-embedding layer (E_G), same shape.

    Example:
    ```python
    attach_gdes_embedding(discriminator.token_embedding, generator.token_embedding)
    ```
    """
    original = type(token_embedding)
    if original not in _GDES_CLASSES:
        _GDES_CLASSES[original] = type("Gdes" + original.__name__, (_GdesEmbedding, original), {})
    # object.__setattr__: Keras would track a layer attribute as a sublayer.
    object.__setattr__(token_embedding, "_gdes_source", source)
    object.__setattr__(token_embedding, "_gdes_original_class", original)
    token_embedding.__class__ = _GDES_CLASSES[original]
    token_embedding._embeddings.assign(ops.zeros_like(token_embedding._embeddings))


def is_gdes_embedding(layer):
    """True while `layer` embeds with stop_gradient(E_G) + E_delta."""
    return isinstance(layer, _GdesEmbedding)


def fold_gdes_embeddings(discriminator):
    """Writes E_G + E_delta into the discriminator's word embeddings (export form).

    Afterwards `discriminator.token_embedding` is an ordinary embedding
    holding the matrix it computed with, so the discriminator's forward pass
    is unchanged, and keras-hub, SavedModel and Hugging Face exports and
    fine-tuning see one ordinary matrix. Training after this would no longer
    disentangle the gradients: only exports and inference call it
    (`load_pretrainer`). Does nothing for other sharing modes.

    Args:
        discriminator: the discriminator `keras_hub.models.ElectraBackbone`.

    Returns:
        bool: True if it folded anything.

    Example:
    ```python
    fold_gdes_embeddings(model.discriminator)
    model.discriminator.save_to_preset("preset")
    ```
    """
    layer = discriminator.token_embedding
    if not is_gdes_embedding(layer):
        return False
    merged = ops.convert_to_tensor(layer.embeddings)
    layer.__class__ = layer._gdes_original_class
    layer._embeddings.assign(merged)
    return True


def _own_copy(layer):
    """A fresh, unbuilt layer with `layer`'s config (own, newly initialised variables)."""
    return keras.layers.deserialize(keras.layers.serialize(layer))


def build_generator_tower(config, discriminator, dtype=None):
    """The generator tower for `config.embedding_sharing` (see the module docstring).

    Args:
        config: `ElectraConfig`.
        discriminator: the discriminator `keras_hub.models.ElectraBackbone`.
        dtype: optional dtype policy.

    Returns:
        `(generator, word_embedding)`: the tower (an `ElectraGenerator` or a
        `SharedEncoderGenerator`) and the word-embedding layer its MLM head
        is tied to.

    Example:
    ```python
    generator, word_embedding = build_generator_tower(config, discriminator)
    head = TiedMaskedLMHead(token_embedding=word_embedding)
    ```
    """
    if config.objective == "mlm" or config.embedding_sharing == "all":
        generator = SharedEncoderGenerator(discriminator, dtype=dtype, name="generator")
        return generator, discriminator.token_embedding
    if config.embedding_sharing == "embeddings":
        generator = build_generator(config, discriminator, dtype=dtype)
        return generator, discriminator.token_embedding
    layers = {name: _own_copy(getattr(discriminator, name)) for name in SHARED_EMBEDDING_LAYERS}
    generator = build_generator(config, discriminator, dtype=dtype, embedding_layers=layers)
    if config.embedding_sharing == "gdes":
        attach_gdes_embedding(discriminator.token_embedding, generator.token_embedding)
    return generator, generator.token_embedding
