"""What every fine-tuning model shares: the pretrained backbone, its inputs, a
dropout before the task's output layer, and serialization."""

import keras

# The keras-hub backbone's functional inputs, in its order: a dict with other
# keys or another order makes Keras warn "structure of inputs doesn't match"
# on every call.
BACKBONE_INPUTS = ("token_ids", "segment_ids", "padding_mask")


def backbone_inputs(inputs):
    """`inputs` as the backbone's functional model expects them (its keys, its order)."""
    return {name: inputs[name] for name in BACKBONE_INPUTS}


def freeze_unused_pooler(backbone):
    """Takes the backbone's [CLS] pooler (`pooled_dense`) out of the trainable set.

    ELECTRA's heads never read `pooled_output`; left trainable, the pooler gets
    no gradient and Keras warns "Gradients do not exist" on every step.
    """
    pooler = getattr(backbone, "pooled_dense", None)
    if pooler is not None:
        pooler.trainable = False


def head_initializer():
    """The reference's initializer for task output layers."""
    return keras.initializers.TruncatedNormal(stddev=0.02)


class BackboneHeadModel(keras.Model):
    """Base class: an ELECTRA discriminator backbone whose sequence output feeds a
    task head (dropout, then the subclass's output layer).

    Subclasses build their output layer in `__init__`, implement `call` with
    `self.sequence_output(inputs, training)` and `self.head_dropout`, and add
    their own fields to `get_config`. The backbone's unused pooler is frozen
    (`freeze_unused_pooler`).

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        dropout: float. Dropout rate before the output layer (reference: 0.1).
        **kwargs: passed to `keras.Model` (name, ...).

    Example:
    ```python
    class SpanScores(BackboneHeadModel):
        def __init__(self, backbone, dropout=0.1, **kwargs):
            super().__init__(backbone, dropout, **kwargs)
            self.out = keras.layers.Dense(2, dtype="float32")

        def call(self, inputs, training=False):
            hidden = self.sequence_output(inputs, training)
            return self.out(self.head_dropout(hidden, training=training))
    ```
    """

    def __init__(self, backbone, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        freeze_unused_pooler(backbone)
        self.dropout_rate = float(dropout)
        self.head_dropout = keras.layers.Dropout(dropout)

    def sequence_output(self, inputs, training=False):
        """The backbone's final hidden states [batch, L, hidden] for an inputs dict."""
        return self.backbone(backbone_inputs(inputs), training=training)["sequence_output"]

    def get_config(self):
        return {**super().get_config(),
                "backbone": keras.saving.serialize_keras_object(self.backbone),
                "dropout": self.dropout_rate}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)
