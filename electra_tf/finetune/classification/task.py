"""Sentence (or sentence-pair) classification and regression as a fine-tuning `Task`."""

import keras

from electra_tf.errors import UsageError
from electra_tf.finetune import metrics as metrics_lib
from electra_tf.finetune.classification.data import ClassificationData
from electra_tf.finetune.classification.data import encode_batches
from electra_tf.finetune.classification.model import POOLINGS
from electra_tf.finetune.classification.model import ElectraClassifier
from electra_tf.finetune.classification.serving import ClassifierServing
from electra_tf.finetune.task import Task
from electra_tf.text.packing import TextPacker

# Dev metrics that can pick the best epoch (higher is better; not "mse").
CLASSIFICATION_METRICS = ("accuracy", "matthews_corrcoef", "f1")
REGRESSION_METRICS = ("pearson", "spearman")


class ClassificationTask(Task):
    """Labels (or a number, for regression) for one text or a text pair.

    Model: `ElectraClassifier`; loss: cross-entropy (mean squared error for
    regression); dev metrics: accuracy, Matthews correlation and F1 (binary:
    of label index 1; else macro), or Pearson, Spearman and MSE. Export:
    `ClassifierServing` (raw text in, label and probabilities out).

    Args:
        train, dev: `ClassificationData`. The dev set must use the training
            label order (`labels=train.label_names`).
        pooling: "mean" of the real tokens (default: what a short-pretrained
            encoder needs; README section 7 measures it) or "cls", the
            reference's [CLS] vector.
        metric: str or None. The dev metric that picks the best epoch (CoLA:
            "matthews_corrcoef", STS-B: "spearman"); None: accuracy, or
            Pearson for regression.
        extra_dev: dict of name -> `ClassificationData`, or None. Evaluated on
            the best weights at the end (MNLI's mismatched dev set) and
            reported as `results["extra_dev"][name]`.

    Example:
    ```python
    task = ClassificationTask.from_files("sst2/train.tsv", "sst2/dev.tsv",
                                         text_column="sentence")
    run_finetuning(task, FinetuneOptions(init="runs/electra_tiny", output_dir="runs/sst2"))
    ```
    """

    export_name = "electra_classifier"

    def __init__(self, train, dev, pooling="mean", metric=None, extra_dev=None):
        if pooling not in POOLINGS:
            raise UsageError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}.")
        self.train, self.dev, self.pooling = train, dev, pooling
        self.regression = train.label_names is None
        self.name = "regression" if self.regression else "classification"
        allowed = REGRESSION_METRICS if self.regression else CLASSIFICATION_METRICS
        self.key_metric = metric or allowed[0]
        if self.key_metric not in allowed:
            raise UsageError(f"the {self.name} metric that picks the best epoch must be one of "
                             f"{', '.join(allowed)}, got {metric!r}.")
        self.extra_dev = dict(extra_dev or {})
        for data in [dev, *self.extra_dev.values()]:
            if data.label_names != train.label_names or (
                    (data.text_pairs is None) != (train.text_pairs is None)):
                raise UsageError(f"{data.path!r} must have the training data's labels "
                                 f"({train.label_names}) and the same text columns.")
        self.packer = None

    @classmethod
    def from_files(cls, train_file, dev_file, text_column="text", text_pair_column=None,
                   label_column="label", format=None, regression=False, **kwargs):
        """Reads the training and dev files (CSV/TSV with a header, or JSONL).

        Args:
            train_file, dev_file: str.
            text_column, text_pair_column, label_column: column names or indices.
            format: str or None. csv|tsv|jsonl (None: from the extension).
            regression: bool. Float labels.
            **kwargs: `ClassificationTask` arguments (pooling, metric).

        Returns:
            `ClassificationTask`.
        """
        columns = dict(text_column=text_column, text_pair_column=text_pair_column,
                       label_column=label_column, regression=regression, format=format)
        train = ClassificationData(train_file, **columns)
        dev = ClassificationData(dev_file, labels=train.label_names, **columns)
        return cls(train, dev, **kwargs)

    def prepare(self, tokenizer, sequence_length, log):
        self.packer = TextPacker(tokenizer, sequence_length)

    def describe(self):
        outputs = "1 output" if self.regression else f"{len(self.train.label_names)} labels"
        return (f"{self.name} on {len(self.train)} examples ({len(self.dev)} dev), {outputs}, "
                f"{self.pooling} pooling, best epoch by dev {self.key_metric}")

    def labels(self):
        return {"task": self.name, "labels": self.train.label_names,
                "regression": self.regression}

    def build_model(self, backbone, dropout):
        outputs = 1 if self.regression else len(self.train.label_names)
        return ElectraClassifier(backbone, outputs, dropout=dropout, pooling=self.pooling)

    def loss(self):
        if self.regression:
            return keras.losses.MeanSquaredError()
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def batches(self, examples, batch_size):
        return encode_batches(examples, self.packer, batch_size)

    def predict(self, model, data, batch_size):
        """Metrics of `model` on `data` (a `ClassificationData`), and its predictions."""
        outputs = model.predict(data.dataset(self.packer, batch_size), verbose=0)
        if self.regression:
            predictions = outputs[:, 0]
            return metrics_lib.regression_metrics(data.labels, predictions), predictions
        predictions = outputs.argmax(-1)
        return metrics_lib.classification_metrics(
            data.labels, predictions, outputs.shape[-1]), predictions

    def evaluate(self, model, batch_size):
        return self.predict(model, self.dev, batch_size)[0], {}

    def finish(self, model, batch_size, output_dir, log):
        if not self.extra_dev:
            return {}
        extra = {name: self.predict(model, data, batch_size)[0]
                 for name, data in self.extra_dev.items()}
        for name, metrics in extra.items():
            log(f"dev ({name}): {self.key_metric} {metrics[self.key_metric]:.4f}")
        return {"extra_dev": extra}

    def results(self):
        return {"train_examples": len(self.train), "dev_examples": len(self.dev),
                "labels": self.train.label_names, "pooling": self.pooling,
                "key_metric": self.key_metric}

    def serving_module(self, model, tokenizer, sequence_length):
        return ClassifierServing(model, tokenizer, sequence_length, self.train.label_names,
                                 pair=self.train.text_pairs is not None)

    def warmup_inputs(self):
        return self.train.texts[:3]
