"""One training update made deterministic, so runs that split a batch differently compare exactly.

Every candidate position is chosen (mask_prob 0.99, P = T), always shown as
[MASK], the generator samples greedily (temperature 1e-6: no Gumbel draw can
beat a logit gap) and there is no dropout: the update is then a function of
the batch alone, not of the per-replica or per-micro-batch seeds, and two runs
differ only in how they normalise, reduce, accumulate and clip.

With Adam's epsilon at 1.0 and learning rate 1.0 the first update is
lr·g/(|g|+1) ≈ g for the small gradients here: proportional to the (clipped)
gradient, so a wrong scale shows in the weights (with epsilon 1e-6 the first
Adam step is about sign(g) and hides it). `clip_norm` is set below the norm
so clipping is active.
"""

import contextlib

import keras
import numpy as np
import tensorflow as tf

from electra_tf.models import ElectraPretrainer
from electra_tf.training.optimizer import create_optimizer
from electra_tf.training.train_loop import ElectraTrainStep
from tests.models.batches import SPECIAL_IDS
from tests.models.batches import make_batch
from tests.models.batches import tiny_config

SEQ_LENGTH = 32
GLOBAL_BATCH = 32
TOLERANCE = 1e-6


@contextlib.contextmanager
def eager_functions():
    """Runs `tf.function`s eagerly: tracing the step costs ~10 s of CPU, running it ~1 s.

    The arithmetic under test is the same either way; the compiled paths run
    in the XLA variant and in every run_pretraining test.
    """
    tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(False)


def deterministic_config(**overrides):
    values = dict(mask_prob=0.99, max_predictions_per_seq=SEQ_LENGTH, mask_token_prob=1.0,
                  temperature=1e-6, dropout=0.0, learning_rate=1.0, warmup_steps=0,
                  train_steps=10, adam_epsilon=1.0, weight_decay=0.0, clip_norm=1.0)
    values.update(overrides)
    return tiny_config(**values)


def ragged_batch(size=GLOBAL_BATCH, seed=0):
    """Real lengths from 4 to 32 tokens, sorted: the first half is much shorter than the second,
    so a mean of the halves' means is far from the mean over the batch."""
    batch = make_batch(size, SEQ_LENGTH, min_length=4, seed=seed)
    order = np.argsort(batch["padding_mask"].sum(axis=1), kind="stable")
    batch = {key: value[order] for key, value in batch.items()}
    tokens = batch["padding_mask"].sum(axis=1)
    assert tokens[size // 2:].sum() > 1.5 * tokens[:size // 2].sum()
    return batch


def new_model(config, weights=None):
    keras.utils.set_random_seed(0)
    model = ElectraPretrainer(config, **SPECIAL_IDS)
    if weights is not None:
        model.set_weights(weights)
    return model


def batches_dataset(batches):
    """A dataset yielding each of `batches` (dicts of [b, T] arrays) in turn."""
    return tf.data.Dataset.from_tensor_slices(
        {key: np.stack([batch[key] for batch in batches]) for key in batches[0]})


def one_update(model, config, batches, strategy=None, grad_accum_steps=1, jit_compile=False,
               mixed_precision="float32"):
    """One optimizer update of `ElectraTrainStep` reading `batches` in order; returns
    (loss, grad_norm).

    Under a strategy with one input pipeline (MirroredStrategy), consecutive
    batches go to consecutive replicas. With fp16 loss scaling, updates whose
    gradients overflowed are skipped (the scale halves) until one is applied.
    """
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        optimizer = create_optimizer(config, mixed_precision)
        step = ElectraTrainStep(model, optimizer, strategy, jit_compile=jit_compile,
                                grad_accum_steps=grad_accum_steps)
    dataset = batches_dataset(batches).repeat()
    if strategy.num_replicas_in_sync > 1:
        dataset = strategy.distribute_datasets_from_function(lambda ctx: dataset)
    iterator = iter(dataset)
    for _ in range(20):
        loss, grad_norm = step.train(iterator)
        if int(optimizer.iterations.numpy()) > 0:
            return float(loss), float(grad_norm)
    raise AssertionError("every update overflowed")


def reference_update(config, weights, batch):
    """The single-device, full-batch update: (weights after, loss, grad_norm)."""
    model = new_model(config, weights)
    loss, grad_norm = one_update(model, config, [batch])
    return [np.array(w) for w in model.get_weights()], loss, grad_norm


def max_difference(weights_a, weights_b):
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
               for a, b in zip(weights_a, weights_b))
