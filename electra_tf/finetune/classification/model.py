"""The sequence classification / regression model: ELECTRA's head on [CLS] or on the
mean of the tokens."""

import keras

from electra_tf.finetune.head_model import BackboneHeadModel
from electra_tf.finetune.head_model import head_initializer

POOLINGS = ("cls", "mean")


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraClassifier(BackboneHeadModel):
    """Discriminator encoder + the reference's classification head.

    The head is Google's (its classification_tasks.py): dropout
    on the pooled final hidden state, then one dense layer to the outputs.
    There is no pooler and no extra hidden layer. `pooling="cls"` pools as the
    reference does (the [CLS] vector); `pooling="mean"` averages the real tokens
    (`padding_mask`), which a short-pretrained encoder needs: its [CLS] vector
    hardly varies between inputs (see `ClassificationTask`).

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
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        super().__init__(backbone, dropout, **kwargs)
        self.pooling = pooling
        self.num_outputs = int(num_outputs)
        self.head_output = keras.layers.Dense(num_outputs, kernel_initializer=head_initializer(),
                                              dtype="float32", name="classifier_output")

    def call(self, inputs, training=False):
        sequence = self.sequence_output(inputs, training)
        if self.pooling == "mean":
            mask = keras.ops.cast(inputs["padding_mask"], sequence.dtype)[:, :, None]
            count = keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)
            hidden = keras.ops.sum(sequence * mask, axis=1) / count
        else:
            hidden = sequence[:, 0, :]
        return self.head_output(self.head_dropout(hidden, training=training))

    def get_config(self):
        return {**super().get_config(), "num_outputs": self.num_outputs, "pooling": self.pooling}
