"""The sequence classification / regression model: ELECTRA's head on [CLS]."""

import keras


def _init():
    return keras.initializers.TruncatedNormal(stddev=0.02)


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraClassifier(keras.Model):
    """Discriminator encoder + the reference's classification head.

    The head is Google's (classification_tasks.py, spec §4): dropout on the
    final [CLS] hidden state, then one dense layer to the outputs. There is no
    pooler and no extra hidden layer.

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        num_outputs: int. Number of labels, or 1 for regression.
        dropout: float. Dropout rate on the [CLS] vector (reference: 0.1).
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

    def __init__(self, backbone, num_outputs, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.num_outputs = int(num_outputs)
        self.dropout_rate = float(dropout)
        self.head_dropout = keras.layers.Dropout(dropout)
        self.head_output = keras.layers.Dense(num_outputs, kernel_initializer=_init(),
                                              dtype="float32", name="classifier_output")

    def call(self, inputs, training=False):
        hidden = self.backbone(inputs, training=training)["sequence_output"][:, 0, :]
        return self.head_output(self.head_dropout(hidden, training=training))

    def get_config(self):
        return {**super().get_config(), "backbone": keras.saving.serialize_keras_object(
            self.backbone), "num_outputs": self.num_outputs, "dropout": self.dropout_rate}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)
