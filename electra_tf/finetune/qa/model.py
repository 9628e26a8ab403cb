"""The extractive question answering model: a start and an end logit per token."""

import keras

from electra_tf.finetune.head_model import BackboneHeadModel
from electra_tf.finetune.head_model import head_initializer


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraQuestionAnswerer(BackboneHeadModel):
    """Discriminator encoder + a span head: every token gets a start and an end logit.

    Output: float32 [batch, L, 2], `[..., 0]` start logits and `[..., 1]` end
    logits (the reference ELECTRA/BERT SQuAD head: one Dense(2) on the
    sequence output, float32 so mixed precision keeps exact scores).

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        dropout: float. On the sequence output, during training.

    Example:
    ```python
    model = ElectraQuestionAnswerer(backbone)
    logits = model({"token_ids": ids, "segment_ids": seg, "padding_mask": mask})
    ```
    """

    def __init__(self, backbone, dropout=0.1, **kwargs):
        super().__init__(backbone, dropout, **kwargs)
        self.span_output = keras.layers.Dense(2, kernel_initializer=head_initializer(),
                                              dtype="float32", name="span_output")

    def call(self, inputs, training=False):
        hidden = self.sequence_output(inputs, training)
        return self.span_output(self.head_dropout(hidden, training=training))


@keras.saving.register_keras_serializable(package="electra_tf")
class SpanLoss(keras.losses.Loss):
    """Mean of the start and end sparse cross-entropies.

    `y_true`: [batch, 2] start and end positions (0 = [CLS] = no answer in
    this window). `y_pred`: [batch, L, 2] logits.
    """

    def __init__(self, name="span_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        positions = keras.ops.cast(y_true, "int32")
        start = keras.losses.sparse_categorical_crossentropy(
            positions[:, 0], y_pred[..., 0], from_logits=True)
        end = keras.losses.sparse_categorical_crossentropy(
            positions[:, 1], y_pred[..., 1], from_logits=True)
        return (start + end) / 2.0
