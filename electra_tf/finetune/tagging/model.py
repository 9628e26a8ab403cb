"""The token classification model: a linear tag layer on every token."""

import keras

from electra_tf.finetune.head_model import BackboneHeadModel
from electra_tf.finetune.head_model import head_initializer


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraTokenClassifier(BackboneHeadModel):
    """Discriminator encoder + a per-token linear head (the reference's tagging head).

    sequence_output -> dropout -> Dense(num_tags): float32 logits [batch, L, num_tags].

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        num_tags: int.
        dropout: float.

    Example:
    ```python
    model = ElectraTokenClassifier(backbone, num_tags=9)
    logits = model({"token_ids": ids, "segment_ids": seg, "padding_mask": mask})
    ```
    """

    def __init__(self, backbone, num_tags, dropout=0.1, **kwargs):
        super().__init__(backbone, dropout, **kwargs)
        self.num_tags = int(num_tags)
        self.head_output = keras.layers.Dense(num_tags, kernel_initializer=head_initializer(),
                                              dtype="float32", name="token_classifier_output")

    def call(self, inputs, training=False):
        hidden = self.sequence_output(inputs, training)
        return self.head_output(self.head_dropout(hidden, training=training))

    def get_config(self):
        return {**super().get_config(), "num_tags": self.num_tags}
