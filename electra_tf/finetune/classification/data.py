"""Labelled texts (and text pairs) for classification and regression (GLUE-style tasks)."""

import numpy as np
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.finetune.table_reader import column
from electra_tf.finetune.table_reader import read_rows


class ClassificationData:
    """Texts (and optional second texts) with labels read from one file.

    Args:
        path: str. CSV/TSV with a header, or JSONL.
        text_column, text_pair_column, label_column: column names (or indices).
        labels: list of str or None. The label set (index = class id); None
            infers it from this file (sorted). Regression ignores it.
        regression: bool. Float labels.
        format: str or None. csv|tsv|jsonl; None: from the extension.

    Example:
    ```python
    train = ClassificationData("sst2/train.tsv", text_column="sentence")
    dev = ClassificationData("sst2/dev.tsv", text_column="sentence", labels=train.label_names)
    ```
    """

    def __init__(self, path, text_column="text", text_pair_column=None, label_column="label",
                 labels=None, regression=False, format=None):
        rows = read_rows(path, format)
        self.path = path
        self.texts = column(rows, text_column, path)
        self.text_pairs = column(rows, text_pair_column, path) if text_pair_column else None
        self._set_labels([v.strip() for v in column(rows, label_column, path)], labels,
                         regression)

    @classmethod
    def from_columns(cls, texts, labels, text_pairs=None, label_names=None, regression=False,
                     source="<in memory>"):
        """Examples already read (e.g. by a GLUE reader) instead of a file.

        Args:
            texts: list of str. text_pairs: list of str or None.
            labels: list of str (class names, or numbers for regression).
            label_names: list of str or None. The label set (index = class id);
                None: sorted set of `labels`.
            regression: bool.
            source: str. Names the data in error messages (a file path).

        Returns:
            `ClassificationData`.

        Example:
        ```python
        data = ClassificationData.from_columns(["good", "bad"], ["1", "0"], label_names=["0", "1"])
        ```
        """
        data = cls.__new__(cls)
        data.path = source
        data.texts = [str(t) for t in texts]
        data.text_pairs = [str(t) for t in text_pairs] if text_pairs is not None else None
        if len(labels) != len(data.texts) or (
                data.text_pairs is not None and len(data.text_pairs) != len(data.texts)):
            raise UsageError(f"{source!r}: texts, text pairs and labels differ in number.")
        if not data.texts:
            raise UsageError(f"{source!r} holds no examples.")
        data._set_labels([str(v).strip() for v in labels], label_names, regression)
        return data

    def _set_labels(self, raw, labels, regression):
        path = self.path
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

    def unbatched(self):
        """Unbatched `tf.data.Dataset` of `((text,) or (text, text_pair), label)`."""
        columns = [self.texts] + ([self.text_pairs] if self.text_pairs else [])
        return tf.data.Dataset.from_tensor_slices((tuple(columns), self.labels))

    def dataset(self, packer, batch_size):
        """Batches of `(inputs dict, labels)`, tokenized in the graph by `packer`."""
        return encode_batches(self.unbatched(), packer, batch_size)


def encode_batches(examples, packer, batch_size):
    """`ClassificationData.unbatched()` (maybe reordered) -> batches of (inputs, labels).

    Args:
        examples: `tf.data.Dataset` of `(texts tuple, label)`.
        packer: `TextPacker`.
        batch_size: int.

    Returns:
        `tf.data.Dataset` of `(dict of int32 [B, L] backbone inputs, labels [B])`.
    """
    return examples.batch(batch_size).map(
        lambda texts, labels: (packer(*texts), labels),
        num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
