"""Text classification and regression: data, training, metrics (GLUE-style tasks)."""

import json
import os

import numpy as np
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.finetune import metrics as metrics_lib
from electra_tf.finetune.table_reader import column
from electra_tf.finetune.table_reader import read_rows

LABELS_FILE = "labels.json"


class ClassificationData:
    """Texts (and optional second texts) with labels read from one file.

    Args:
        path: str. CSV/TSV with a header, or JSONL.
        text_column, text_pair_column, label_column: column names (or indices).
        labels: list of str or None. The label set (index = class id); None
            infers it from this file (sorted). Regression ignores it.
        regression: bool. Float labels.
        format: str or None. csv|tsv|jsonl; None: from the extension.
    """

    def __init__(self, path, text_column="text", text_pair_column=None, label_column="label",
                 labels=None, regression=False, format=None):
        rows = read_rows(path, format)
        self.path = path
        self.texts = column(rows, text_column, path)
        self.text_pairs = column(rows, text_pair_column, path) if text_pair_column else None
        raw = [v.strip() for v in column(rows, label_column, path)]
        if regression:
            try:
                self.labels = np.array([float(v) for v in raw], np.float32)
            except ValueError as error:
                raise UsageError(f"{path!r}: a regression label is not a number ({error}).") from None
            self.label_names = None
        else:
            self.label_names = list(labels) if labels is not None else sorted(set(raw))
            index = {name: i for i, name in enumerate(self.label_names)}
            unknown = sorted(set(raw) - set(index))
            if unknown:
                raise UsageError(
                    f"{path!r} has label(s) {', '.join(map(repr, unknown[:5]))} that the training "
                    f"file does not (known: {', '.join(map(repr, self.label_names))}).")
            if len(self.label_names) < 2:
                raise UsageError(f"{path!r} has a single label {self.label_names}: nothing to learn.")
            self.labels = np.array([index[v] for v in raw], np.int32)

    def __len__(self):
        return len(self.texts)

    def dataset(self, packer, batch_size, shuffle=False, seed=0):
        """`tf.data.Dataset` of (inputs dict, labels) with in-graph tokenization."""
        columns = [self.texts] + ([self.text_pairs] if self.text_pairs else [])
        dataset = tf.data.Dataset.from_tensor_slices((tuple(columns), self.labels))
        if shuffle:
            dataset = dataset.shuffle(len(self), seed=seed, reshuffle_each_iteration=True)

        def encode(texts, labels):
            token_ids, segment_ids, padding_mask = packer(*texts)
            return {"token_ids": token_ids, "segment_ids": segment_ids,
                    "padding_mask": padding_mask}, labels

        return dataset.batch(batch_size).map(encode, num_parallel_calls=tf.data.AUTOTUNE) \
            .prefetch(tf.data.AUTOTUNE)


def evaluate(model, data, packer, batch_size, regression):
    """Task metrics of `model` on `data`, plus the predictions."""
    outputs = model.predict(data.dataset(packer, batch_size), verbose=0)
    if regression:
        predictions = outputs[:, 0]
        return metrics_lib.regression_metrics(data.labels, predictions), predictions
    predictions = outputs.argmax(-1)
    return metrics_lib.classification_metrics(data.labels, predictions, outputs.shape[-1]), \
        predictions


def save_labels(output_dir, label_names, regression):
    with open(os.path.join(output_dir, LABELS_FILE), "w", encoding="utf-8") as f:
        json.dump({"labels": label_names, "regression": regression}, f, indent=2)
