"""The sequence classification / regression model: ELECTRA's head on [CLS] or on the
mean of the tokens."""

import keras

POOLINGS = ("cls", "mean")
# The keras-hub backbone's functional inputs, in its order: a dict with other
# keys or another order makes Keras warn on every call.
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


def _init():
    return keras.initializers.TruncatedNormal(stddev=0.02)


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraClassifier(keras.Model):
    """Discriminator encoder + the reference's classification head.

    The head is Google's (classification_tasks.py, spec §4): dropout on the
    pooled final hidden state, then one dense layer to the outputs. There is no
    pooler and no extra hidden layer. `pooling="cls"` pools as the reference
    does (the [CLS] vector); `pooling="mean"` averages the real tokens
    (`padding_mask`), which a short-pretrained encoder needs: its [CLS] vector
    hardly varies between inputs (see `FinetuneOptions.pooling`).

    The backbone's own pooler (`pooled_dense`) feeds nothing here, so it is
    frozen: it would only collect no gradients (and a warning each step).

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        num_outputs: int. Number of labels, or 1 for regression.
        dropout: float. Dropout rate on the pooled vector (reference: 0.1).
        pooling: "cls" (the reference) or "mean" over real tokens.
        **kwargs: passed to `keras.Model` (name, ...).

    Call args:
        inputs: dict of int32 [B, T] "token_ids", "segment_ids", "padding_mask".
        training: bool. Dropout on.

    Returns:
        float32 [B, num_outputs] logits (or regression values).

    Example:
    ```python
    model = ElectraClassifier(backbone, num_outputs=2)
    logits = model({"token_ids": ids, "segment_ids": seg, "padding_mask": mask})
    ```
    """

    def __init__(self, backbone, num_outputs, dropout=0.1, pooling="cls", **kwargs):
        super().__init__(**kwargs)
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        self.backbone = backbone
        self.pooling = pooling
        freeze_unused_pooler(backbone)
        self.num_outputs = int(num_outputs)
        self.dropout_rate = float(dropout)
        self.head_dropout = keras.layers.Dropout(dropout)
        self.head_output = keras.layers.Dense(num_outputs, kernel_initializer=_init(),
                                              dtype="float32", name="classifier_output")

    def call(self, inputs, training=False):
        sequence = self.backbone(backbone_inputs(inputs), training=training)["sequence_output"]
        if self.pooling == "mean":
            mask = keras.ops.cast(inputs["padding_mask"], sequence.dtype)[:, :, None]
            count = keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)
            hidden = keras.ops.sum(sequence * mask, axis=1) / count
        else:
            hidden = sequence[:, 0, :]
        return self.head_output(self.head_dropout(hidden, training=training))

    def get_config(self):
        return {**super().get_config(), "backbone": keras.saving.serialize_keras_object(
            self.backbone), "num_outputs": self.num_outputs, "dropout": self.dropout_rate,
            "pooling": self.pooling}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)
