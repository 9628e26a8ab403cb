"""`finetune_classification`: pretrained discriminator + labelled files -> a trained,
evaluated and exported classifier (or regressor)."""

import dataclasses
import json
import math
import os
import time
from typing import Optional

import keras

import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.exporter import check_target
from electra_tf.export.exporter import save_serving_model
from electra_tf.export.text_inputs import TextPacker
from electra_tf.finetune.classification_task import ClassificationData
from electra_tf.finetune.classification_task import evaluate
from electra_tf.finetune.classification_task import save_labels
from electra_tf.finetune.classifier import ElectraClassifier
from electra_tf.finetune.encoder_init import load_encoder
from electra_tf.finetune.layerwise_lr import create_finetune_optimizer
from electra_tf.finetune.layerwise_lr import default_learning_rate
from electra_tf.finetune.serving import ClassifierServing


@dataclasses.dataclass
class FinetuneOptions:
    """Fine-tuning settings, chosen so that a small, briefly pretrained encoder learns.

    The reference (lr 3e-4, 3 epochs, [CLS] pooling) is tuned for encoders
    pretrained for a million steps; on the default job's tiny model it learns
    only the class prior. The defaults here were measured on the package's own
    tasks (README section 7): mean pooling, the learning rate by model size
    (`layerwise_lr.default_learning_rate`: the reference's for Small/Base/Large,
    1e-3 below Small), and training until the dev metric has not improved for
    `patience` epochs, at most `epochs`.

    Args:
        init: str. Pretraining model_dir or keras-hub preset folder.
        train_file, dev_file: str. Labelled files (CSV/TSV/JSONL).
        output_dir: str. Weights, labels.json, logs/, results.json, export/.
        task: str. "classification" or "regression".
        text_column, text_pair_column, label_column: column names or indices.
        format: str or None. csv|tsv|jsonl (None: from the extension).
        epochs: int. The most epochs to train (the schedule decays over them).
        patience: int or None. Stop after this many epochs without a better
            dev metric (None: train all `epochs`).
        learning_rate: float or None. Peak rate; None takes the default for
            the model size (`layerwise_lr.default_learning_rate`).
        pooling: str. Sentence vector for classification/regression: "mean"
            of the real tokens, or "cls" (the reference's [CLS] vector).
        batch_size: int.
        layer_decay: float or None. Layer-wise learning-rate decay; None
            takes the reference's by model size: 0.9 for large (hidden
            1024), else 0.8.
        max_seq_length: int or None (None: the pretraining length).
        dropout: float. weight_decay: float. warmup_fraction: float. seed: int.
        export: bool. Write a SavedModel (raw text in) to output_dir/export/<version>.
        show_progress: bool.
    """

    init: str
    train_file: str
    dev_file: str
    output_dir: str
    task: str = "classification"
    text_column: str = "text"
    text_pair_column: Optional[str] = None
    label_column: str = "label"
    format: Optional[str] = None
    epochs: int = 20
    patience: Optional[int] = 3
    learning_rate: Optional[float] = None
    pooling: str = "mean"
    layer_decay: Optional[float] = None
    batch_size: int = 32
    max_seq_length: Optional[int] = None
    dropout: float = 0.1
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    seed: int = 12345
    export: bool = True
    export_version: int = 1
    overwrite: bool = False
    show_progress: bool = True


class _DevEvaluation(keras.callbacks.Callback):
    """Evaluates task metrics on the dev file every epoch; keeps the best weights."""

    def __init__(self, data, packer, options, regression, writer, log):
        super().__init__()
        self.data, self.packer, self.options = data, packer, options
        self.regression, self.writer, self.log = regression, writer, log
        self.key = "pearson" if regression else "accuracy"
        self.best, self.best_epoch, self.history = -math.inf, None, []
        self.path = os.path.join(options.output_dir, "best.weights.h5")

    def on_epoch_end(self, epoch, logs=None):
        metrics, _ = evaluate(self.model, self.data, self.packer, self.options.batch_size,
                              self.regression)
        self.history.append({"epoch": epoch + 1, **metrics, "train_loss": (logs or {}).get("loss")})
        with self.writer.as_default(step=epoch + 1):
            for name, value in metrics.items():
                tf.summary.scalar(f"dev/{name}", value)
        self.writer.flush()
        line = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        self.log(f"epoch {epoch + 1}: dev {line}")
        if metrics[self.key] > self.best:
            self.best, self.best_epoch = metrics[self.key], epoch + 1
            self.model.save_weights(self.path)
        if stalled(epoch, self.best_epoch, self.options.patience):
            self.model.stop_training = True


def stalled(epoch, best_epoch, patience):
    """True when `patience` epochs have passed since the best (`epoch` counts from 0)."""
    return patience is not None and epoch + 1 - best_epoch >= patience


def finetune_classification(options, log=print):
    """Fine-tunes, evaluates every epoch, restores the best epoch, exports.

    Returns:
        dict written to `output_dir/results.json`: best dev metrics, epoch,
        per-epoch history, timing, paths.

    Example:
    ```python
    finetune_classification(FinetuneOptions(init="runs/electra_tiny",
        train_file="sst2/train.tsv", dev_file="sst2/dev.tsv", output_dir="runs/sst2",
        text_column="sentence"))
    ```
    """
    if options.task not in ("classification", "regression"):
        raise UsageError(f"task {options.task!r} is not classification or regression.")
    regression = options.task == "regression"
    start = time.time()
    keras.utils.set_random_seed(options.seed)
    backbone, tokenizer, pretrained_length = load_encoder(options.init)
    length = options.max_seq_length or pretrained_length
    if not 8 <= length <= backbone.max_sequence_length:
        raise UsageError(f"max_seq_length must be in [8, {backbone.max_sequence_length}], got {length}.")
    columns = dict(text_column=options.text_column, text_pair_column=options.text_pair_column,
                   label_column=options.label_column, regression=regression, format=options.format)
    train = ClassificationData(options.train_file, **columns)
    dev = ClassificationData(options.dev_file, labels=train.label_names, **columns)
    os.makedirs(options.output_dir, exist_ok=True)
    export_path = os.path.join(options.output_dir, "export", str(options.export_version))
    if options.export:
        check_target(export_path, options.overwrite)
    save_labels(options.output_dir, train.label_names, regression)

    packer = TextPacker(tokenizer, length)
    num_outputs = 1 if regression else len(train.label_names)
    model = ElectraClassifier(backbone, num_outputs, dropout=options.dropout,
                              pooling=options.pooling)
    sample, _ = next(iter(train.dataset(packer, 2)))
    model(sample)  # build: the optimizer needs the variables
    steps_per_epoch = math.ceil(len(train) / options.batch_size)
    rate = options.learning_rate or default_learning_rate(backbone)
    optimizer = create_finetune_optimizer(
        model, backbone, rate, steps_per_epoch * options.epochs,
        options.warmup_fraction, options.layer_decay, options.weight_decay)
    loss = (keras.losses.MeanSquaredError() if regression else
            keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(optimizer=optimizer, loss=loss)
    writer = tf.summary.create_file_writer(os.path.join(options.output_dir, "logs"))
    dev_callback = _DevEvaluation(dev, packer, options, regression, writer, log)
    log(f"Fine-tuning {options.task} on {len(train)} examples ({len(dev)} dev), "
        f"{num_outputs} output(s), at most {options.epochs} epoch(s) (patience "
        f"{options.patience}), learning rate {rate:g}, "
        f"{options.pooling} pooling, max_seq_length {length}.")
    model.fit(train.dataset(packer, options.batch_size, shuffle=True, seed=options.seed),
              # The dataset shuffles itself (seeded); Keras would only warn.
              epochs=options.epochs, shuffle=False, verbose=1 if options.show_progress else 0,
              callbacks=[dev_callback, keras.callbacks.TensorBoard(
                  os.path.join(options.output_dir, "logs"), update_freq=50)])
    model.load_weights(dev_callback.path)
    metrics, _ = evaluate(model, dev, packer, options.batch_size, regression)
    results = {
        "task": options.task, "init": options.init, "best_epoch": dev_callback.best_epoch,
        "dev": metrics, "history": dev_callback.history, "train_examples": len(train),
        "dev_examples": len(dev), "labels": train.label_names, "max_seq_length": length,
        "pooling": options.pooling,
        "learning_rate": rate, "seconds": None,
    }
    if options.export:
        module = ClassifierServing(model, tokenizer, length, train.label_names,
                                   pair=bool(options.text_pair_column))
        save_serving_model(module, export_path, "electra_classifier",
                           module.warmup_requests(train.texts[:3]))
        results["export"] = export_path
    results["seconds"] = round(time.time() - start, 1)
    with open(os.path.join(options.output_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    return results



