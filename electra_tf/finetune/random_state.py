"""Dropout's random state, backed up next to `BackupAndRestore`'s weights."""

import os

import keras
import numpy as np

from electra_tf.models.random_state import random_state_variables


class RandomStateBackup(keras.callbacks.Callback):
    """Saves the dropout seed generators' state after every epoch and restores it
    when training starts, so that a resumed run draws the same dropout masks as
    an uninterrupted one (with `BackupAndRestore` restoring weights, optimizer
    and epoch).

    Args:
        path: str. An .npz file (in the backup folder).

    Example:
    ```python
    model.fit(data, epochs=3, callbacks=[
        RandomStateBackup("out/backup/random_state.npz"),
        keras.callbacks.BackupAndRestore("out/backup")])
    ```
    """

    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_train_begin(self, logs=None):
        if not os.path.isfile(self.path):
            return
        with np.load(self.path) as saved:
            values = [saved[f"state_{i}"] for i in range(len(saved.files))]
        states = random_state_variables(self.model)
        if len(values) != len(states):
            raise ValueError(f"{self.path} holds {len(values)} random states, the model has "
                             f"{len(states)}: it belongs to another model; delete the backup.")
        for variable, value in zip(states, values):
            variable.assign(value)

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        temporary = self.path + ".tmp.npz"
        np.savez(temporary, **{f"state_{i}": np.asarray(v)
                               for i, v in enumerate(random_state_variables(self.model))})
        os.replace(temporary, self.path)
