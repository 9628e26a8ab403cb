"""Dev-set evaluation after every epoch, in the form the stock Keras callbacks read."""

import json
import math
import os

import keras

HISTORY_FILE = "history.json"


class DevMetrics(keras.callbacks.Callback):
    """Evaluates the task on its dev set after every epoch and adds the metrics to
    Keras' epoch `logs` as `val_<name>`.

    Callbacks placed after this one see them: `keras.callbacks.ModelCheckpoint(
    monitor="val_<key metric>", save_best_only=True)` keeps the best epoch's
    weights, `keras.callbacks.TensorBoard` plots them (run `validation`, tags
    `epoch_<name>`). This callback also keeps the per-epoch history in
    `history.json` (written after every epoch, so it survives a kill) and stops
    training after `patience` epochs without a better key metric.

    Resuming (`keras.callbacks.BackupAndRestore`): the history on disk is read
    back and, at the first epoch this `fit` runs, entries from that epoch on are
    dropped (an epoch evaluated but not backed up before a kill is redone).

    Args:
        task: `Task`. Its `evaluate` and `key_metric`.
        batch_size: int. For evaluation.
        output_dir: str. Where `history.json` lives.
        patience: int or None. Epochs without improvement before stopping
            (None: never stop early).
        log: callable taking a str.
        resume: bool. Read the history already in `output_dir`.

    Example:
    ```python
    dev = DevMetrics(task, 32, "runs/sst2", patience=3, log=print)
    model.fit(data, epochs=20, callbacks=[dev, keras.callbacks.ModelCheckpoint(
        "runs/sst2/best.weights.h5", monitor="val_accuracy", mode="max",
        save_best_only=True, save_weights_only=True)])
    ```
    """

    def __init__(self, task, batch_size, output_dir, patience=None, log=print, resume=False):
        super().__init__()
        self.task, self.batch_size, self.patience, self.log = task, batch_size, patience, log
        self.path = os.path.join(output_dir, HISTORY_FILE)
        self.history = []
        if resume and os.path.isfile(self.path):
            with open(self.path, encoding="utf-8") as f:
                self.history = json.load(f)
        self._first_epoch_seen = False

    @property
    def best_epoch(self):
        """The (1-based) epoch with the highest key metric so far (the earliest on ties)."""
        best = None
        for entry in self.history:
            value = entry.get(self.task.key_metric)
            if value is not None and not math.isnan(value) and (
                    best is None or value > best[1]):
                best = (entry["epoch"], value)
        return best and best[0]

    @property
    def best_value(self):
        """The key metric of `best_epoch`, or None."""
        epoch = self.best_epoch
        return None if epoch is None else next(
            e[self.task.key_metric] for e in self.history if e["epoch"] == epoch)

    def on_epoch_begin(self, epoch, logs=None):
        if not self._first_epoch_seen:
            self._first_epoch_seen = True
            self.history = [entry for entry in self.history if entry["epoch"] <= epoch]

    def on_epoch_end(self, epoch, logs=None):
        metrics, _ = self.task.evaluate(self.model, self.batch_size)
        if logs is not None:
            logs.update({f"val_{name}": value for name, value in metrics.items()})
        loss = (logs or {}).get("loss")
        self.history.append({"epoch": epoch + 1, **metrics,
                             "train_loss": None if loss is None else float(loss)})
        temporary = self.path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(self.history, f, indent=2)
        os.replace(temporary, self.path)  # a kill never leaves half a file
        self.log(f"epoch {epoch + 1}: dev " + ", ".join(
            f"{name} {value:.4f}" for name, value in metrics.items()))
        best = self.best_epoch
        if self.patience and best is not None and epoch + 1 - best >= self.patience:
            self.log(f"dev {self.task.key_metric} has not improved for {self.patience} "
                     f"epoch(s) (best: epoch {best}); stopping.")
            self.model.stop_training = True
