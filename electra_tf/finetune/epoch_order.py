"""Training examples in a new order every epoch that a resumed run reproduces."""

import keras
import tensorflow as tf

# Spreads (seed, epoch) pairs apart in the one-integer shuffle seed.
_SEED_STRIDE = 1_000_003


class EpochShuffle(keras.callbacks.Callback):
    """Shuffles the examples of epoch k with a seed of (seed, k).

    `Dataset.shuffle(reshuffle_each_iteration=True)` draws each epoch's order
    from a counter that restarts with the process: a run resumed after a kill
    (`keras.callbacks.BackupAndRestore`) would replay epoch 1's order in epoch
    k. Here the order is a function of the epoch number, which this callback
    sets before Keras opens the epoch's iterator.

    Args:
        seed: int.

    Example:
    ```python
    order = EpochShuffle(seed=1)
    model.fit(order.shuffle(examples, len(train)).batch(32), epochs=3, callbacks=[order])
    ```
    """

    def __init__(self, seed):
        super().__init__()
        self.seed = int(seed)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="shuffle_epoch")

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)

    def shuffle(self, examples, count):
        """`examples` (a `tf.data.Dataset` of `count` elements), reordered each epoch."""

        @tf.autograph.experimental.do_not_convert
        def one_epoch(_):
            # The seed is read when the epoch's iterator starts.
            return examples.shuffle(count, seed=self.seed * _SEED_STRIDE + self.epoch)

        return tf.data.Dataset.from_tensors(0).flat_map(one_epoch)
