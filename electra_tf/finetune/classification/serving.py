"""SavedModels of fine-tuned classifiers: raw text in, label and probabilities out."""

import numpy as np
import tensorflow as tf

from electra_tf.export.serving_modules import TEXT
from electra_tf.export.serving_modules import TEXT_PAIR
from electra_tf.text.packing import TextPacker


class ClassifierServing(tf.Module):
    """`serving_default`: `text` (and `text_pair` for pair tasks) -> `label` (str),
    `probabilities` [batch, num_labels] (classification) or `score` [batch]
    (regression).

    Args:
        model: `ElectraClassifier` with trained weights.
        tokenizer: `ElectraTokenizer`.
        sequence_length: int.
        label_names: list of str, or None for regression.
        pair: bool. The task reads two texts.
        max_input_bytes: int or None. Bytes of each text read (`TextPacker`).

    Example:
    ```python
    module = ClassifierServing(model, tokenizer, 128, ["negative", "positive"], pair=False)
    module.classify(tf.constant(["A gripping film."]))["label"]
    ```
    """

    def __init__(self, model, tokenizer, sequence_length, label_names, pair,
                 max_input_bytes=None):
        super().__init__(name="electra_classifier")
        self.model = model
        self.packer = TextPacker(tokenizer, sequence_length, max_input_bytes)
        self.regression = label_names is None
        self.label_names = tf.constant(label_names or [""])
        self.pair = bool(pair)

    def _outputs(self, inputs):
        logits = tf.cast(self.model(inputs, training=False), tf.float32)
        if self.regression:
            return {"score": logits[:, 0]}
        probabilities = tf.nn.softmax(logits, axis=-1)
        return {"label": tf.gather(self.label_names, tf.argmax(probabilities, axis=-1)),
                "probabilities": probabilities}

    @tf.function(input_signature=[TEXT])
    def classify(self, text):
        return self._outputs(self.packer(text))

    @tf.function(input_signature=[TEXT, TEXT_PAIR])
    def classify_pair(self, text, text_pair):
        return self._outputs(self.packer(text, text_pair))

    def signatures(self):
        if self.pair:
            return {"serving_default": self.classify_pair}
        return {"serving_default": self.classify}

    def warmup_requests(self, texts):
        texts = np.array(texts, dtype=object)
        inputs = {"text": texts}
        if self.pair:
            inputs["text_pair"] = texts[::-1].copy()
        return [("serving_default", inputs)]
