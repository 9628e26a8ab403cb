"""`run_finetuning`: a pretrained discriminator + a `Task` -> a trained, evaluated
and exported model. The one job every task family runs."""

import json
import math
import os
import shutil
import sys
import time

import keras
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.exporter import check_target
from electra_tf.export.exporter import save_serving_model
from electra_tf.finetune.dev_metrics import HISTORY_FILE
from electra_tf.finetune.dev_metrics import DevMetrics
from electra_tf.finetune.encoder_init import load_encoder
from electra_tf.finetune.epoch_order import EpochShuffle
from electra_tf.finetune.layerwise_lr import create_finetune_optimizer
from electra_tf.finetune.layerwise_lr import default_learning_rate
from electra_tf.finetune.options import FinetuneOptions  # noqa: F401 (its home before)
from electra_tf.finetune.random_state import RandomStateBackup

LABELS_FILE = "labels.json"
RESULTS_FILE = "results.json"
BEST_WEIGHTS = "best.weights.h5"
BACKUP_DIR = "backup"
MIN_SEQUENCE_LENGTH = 8


def _check_options(options):
    for name in ("epochs", "batch_size"):
        if int(getattr(options, name)) < 1:
            raise UsageError(f"{name} must be at least 1, got {getattr(options, name)}.")
    if options.patience is not None and options.patience < 1:
        raise UsageError(f"patience must be at least 1 (or None: no early stopping), "
                         f"got {options.patience}.")
    if not 0 <= options.dropout < 1:
        raise UsageError(f"dropout must be in [0, 1), got {options.dropout}.")


def _write_json(path, value):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
    os.replace(temporary, path)


def _start_or_resume(output_dir, log):
    """True when an unfinished run's backup is there to resume; otherwise clears
    what an earlier, finished run left (its history must not count as ours)."""
    if os.path.isdir(os.path.join(output_dir, BACKUP_DIR)):
        log(f"Resuming the unfinished run in {output_dir} (from {BACKUP_DIR}/; delete it to "
            "start over).")
        return True
    for name in (HISTORY_FILE, BEST_WEIGHTS):
        path = os.path.join(output_dir, name)
        if os.path.exists(path):
            os.remove(path)
    return False


def _restore_best(model, path, log):
    if os.path.exists(path):
        model.load_weights(path)
    else:  # every dev metric was NaN: nothing was ever "best"
        log("warning: no epoch had a finite dev metric; keeping the last epoch's weights.")
        model.save_weights(path)


def run_finetuning(task, options, log=print, extra_callbacks=()):
    """Fine-tunes, evaluates every epoch, keeps the best epoch, exports.

    Callbacks: the task's dev metrics into Keras' logs (`DevMetrics`), then the
    stock `ModelCheckpoint` (best epoch by `task.key_metric`), `TensorBoard`
    (logs/) and `BackupAndRestore` (backup/ after every epoch: a killed run,
    started again with the same command, resumes at the next epoch with the
    same weights, optimizer state, schedule, data order (`EpochShuffle`) and
    dropout random state (`RandomStateBackup`), and deletes backup/ when it
    finishes).

    Args:
        task: a `Task` (`ClassificationTask`, `TaggingTask`,
            `QuestionAnsweringTask`).
        options: `FinetuneOptions`.
        log: callable taking a str.
        extra_callbacks: more `keras.callbacks.Callback`s, run after the job's own
            (they see the dev metrics in `logs` as `val_<name>`).

    Returns:
        dict written to `output_dir/results.json`: best dev metrics, best
        epoch, per-epoch history, task fields, timing, export path.

    Example:
    ```python
    task = ClassificationTask.from_files("sst2/train.tsv", "sst2/dev.tsv",
                                         text_column="sentence")
    results = run_finetuning(task, FinetuneOptions(init="runs/electra_tiny",
                                                   output_dir="runs/sst2"))
    results["dev"]["accuracy"]
    ```
    """
    _check_options(options)
    start = time.time()
    keras.utils.set_random_seed(options.seed)
    task.read(log)  # a bad file fails before minutes of model loading
    backbone, tokenizer, pretrained_length = load_encoder(options.init, options.checkpoint)
    length = options.max_seq_length or pretrained_length
    if not MIN_SEQUENCE_LENGTH <= length <= backbone.max_sequence_length:
        raise UsageError(f"max_seq_length must be in [{MIN_SEQUENCE_LENGTH}, "
                         f"{backbone.max_sequence_length}], got {length}.")
    output_dir = options.output_dir
    os.makedirs(output_dir, exist_ok=True)
    export_path = os.path.join(output_dir, "export", str(options.export_version))
    if options.export:  # before the (slow, for real data) tokenization
        check_target(export_path, options.overwrite)
    task.prepare(tokenizer, length, log)
    _write_json(os.path.join(output_dir, LABELS_FILE), task.labels())

    model = task.build_model(backbone, options.dropout)
    sample = next(iter(task.batches(task.train_examples().take(2), 2)))
    model(sample[0])  # build: the optimizer needs the variables
    steps_per_epoch = math.ceil(task.num_train_examples() / options.batch_size)
    rate = options.learning_rate or default_learning_rate(backbone)
    optimizer = create_finetune_optimizer(
        model, backbone, rate, steps_per_epoch * options.epochs,
        options.warmup_fraction, options.layer_decay, options.weight_decay)
    model.compile(optimizer=optimizer, loss=task.loss())

    resume = _start_or_resume(output_dir, log)
    best_path = os.path.join(output_dir, BEST_WEIGHTS)
    dev = DevMetrics(task, options.batch_size, output_dir, options.patience, log, resume)
    order = EpochShuffle(options.seed)
    train = task.batches(order.shuffle(task.train_examples(), task.num_train_examples()),
                         options.batch_size)
    train = train.apply(tf.data.experimental.assert_cardinality(steps_per_epoch))
    callbacks = [
        order, dev,
        keras.callbacks.ModelCheckpoint(
            best_path, monitor=f"val_{task.key_metric}", mode="max", save_best_only=True,
            save_weights_only=True, initial_value_threshold=dev.best_value),
        # Per epoch: with an integer update_freq, Keras records the epoch
        # summaries only when the step count happens to be a multiple of it.
        keras.callbacks.TensorBoard(os.path.join(output_dir, "logs")),
        RandomStateBackup(os.path.join(output_dir, BACKUP_DIR, "random_state.npz")),
        # Kept until results and export are written (deleted below): a kill
        # during the export resumes after the last epoch, not from scratch.
        keras.callbacks.BackupAndRestore(os.path.join(output_dir, BACKUP_DIR),
                                         delete_checkpoint=False),
        *extra_callbacks,
    ]
    log(f"Fine-tuning {task.describe()}; at most {options.epochs} epoch(s) (patience "
        f"{options.patience}), learning rate {rate:g}, max_seq_length {length}.")
    # Keras' live bar writes control characters; a log file gets a line per epoch.
    verbose = (1 if sys.stdout.isatty() else 2) if options.show_progress else 0
    model.fit(train, epochs=options.epochs, verbose=verbose,
              shuffle=False,  # EpochShuffle orders the examples
              callbacks=callbacks)
    _restore_best(model, best_path, log)
    metrics, details = task.evaluate(model, options.batch_size)
    log(f"best epoch {dev.best_epoch}: dev {task.key_metric} {metrics[task.key_metric]:.4f}")
    results = {
        "task": task.name, "init": options.init, "checkpoint": options.checkpoint,
        "best_epoch": dev.best_epoch,
        "dev": {**metrics, **details}, "history": dev.history, **task.results(),
        "max_seq_length": length, "learning_rate": rate,
        **task.finish(model, options.batch_size, output_dir, log),
    }
    if options.export:
        module = task.serving_module(model, tokenizer, length)
        save_serving_model(module, export_path, task.export_name,
                           module.warmup_requests(task.warmup_inputs()))
        results["export"] = export_path
    shutil.rmtree(os.path.join(output_dir, BACKUP_DIR), ignore_errors=True)
    results["seconds"] = round(time.time() - start, 1)
    _write_json(os.path.join(output_dir, RESULTS_FILE), results)
    return results
