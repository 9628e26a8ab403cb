"""Learning-rate schedule of ELECTRA pretraining: linear warmup, then linear decay."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="electra_tf")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup from 0 to `peak_learning_rate`, then linear decay to 0.

    `lr(step) = peak * min(step / warmup_steps, (total_steps - step) / (total_steps - warmup_steps))`,
    clipped at 0. This is the standard form; the reference multiplies its
    warmup and decay factors instead (peak reached slightly below `peak`),
    a difference of at most `warmup_steps / total_steps` (1% for the paper's
    settings) that we accept for a schedule people can read off a plot.

    Args:
        peak_learning_rate: float.
        warmup_steps: int. 0 starts at the peak.
        total_steps: int. The rate reaches 0 here.

    Example:
    ```python
    schedule = WarmupLinearDecay(5e-4, warmup_steps=10000, total_steps=1000000)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule)
    ```
    """

    def __init__(self, peak_learning_rate, warmup_steps, total_steps):
        self.peak_learning_rate = float(peak_learning_rate)
        self.warmup_steps = int(warmup_steps)
        self.total_steps = int(total_steps)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = ops.cast(max(self.warmup_steps, 1), "float32")
        decay = ops.cast(max(self.total_steps - self.warmup_steps, 1), "float32")
        up = step / warmup
        down = (ops.cast(self.total_steps, "float32") - step) / decay
        factor = ops.where(step < self.warmup_steps, up, down)
        return self.peak_learning_rate * ops.clip(factor, 0.0, 1.0)

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
        }
