"""AdamW as ELECTRA pretrains with it (docs/algorithm.md §5), for a loop that all-reduces
itself."""

import keras

from electra_tf.training.schedules import WarmupLinearDecay

# Reference: no weight decay on LayerNorm parameters and biases. Keras names
# LayerNorm weights "gamma"/"beta".
NO_DECAY_NAMES = ("gamma", "beta", "bias")


@keras.saving.register_keras_serializable(package="electra_tf")
class PreReducedAdamW(keras.optimizers.AdamW):
    """Keras AdamW that expects gradients already summed across replicas.

    Inside a replica context Keras's optimizer all-reduces gradients before
    applying them, *after* clipping each replica's partial gradient. Our
    training loop all-reduces first, outside the XLA cluster (XLA on CPU has
    no collectives), so clipping sees the true global gradient; this subclass
    then skips the second all-reduce.
    Gradients must be dense (`electra_tf.models.pretrainer.dense_gradients`)
    for the clipping norm to count repeated embedding rows correctly.
    Everything else is stock `keras.optimizers.AdamW`.
    """

    def _all_reduce_sum_gradients(self, grads_and_vars):
        return list(grads_and_vars)


def create_optimizer(config, mixed_precision="float32"):
    """AdamW with warmup/decay, decoupled weight decay and global-norm clipping.

    Weight decay `config.weight_decay` skips LayerNorm weights and biases;
    epsilon, betas and clip norm come from `config`. Adam's bias correction is
    kept (the reference drops it; docs/algorithm.md §9.2). The
    schedule counts optimizer updates. Gradient accumulation is not Keras's
    (a mean of per-micro-batch means): `ElectraTrainStep` sums micro-batch
    gradients of the global mean itself. `mixed_float16` wraps the optimizer
    in dynamic loss scaling.

    Args:
        config: `ElectraConfig`.
        mixed_precision: str. "float32", "mixed_bfloat16" or "mixed_float16".

    Returns:
        A Keras optimizer (`PreReducedAdamW` or a `LossScaleOptimizer` of it).

    Example:
    ```python
    optimizer = create_optimizer(ElectraConfig.from_json("configs/electra_small.json"))
    ```
    """
    optimizer = PreReducedAdamW(
        learning_rate=WarmupLinearDecay(
            config.learning_rate, config.warmup_steps, config.train_steps
        ),
        weight_decay=config.weight_decay,
        beta_1=config.adam_beta_1,
        beta_2=config.adam_beta_2,
        epsilon=config.adam_epsilon,
        global_clipnorm=config.clip_norm,
    )
    optimizer.exclude_from_weight_decay(var_names=list(NO_DECAY_NAMES))
    if mixed_precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def current_learning_rate(optimizer):
    """The learning rate the next update uses (unwrapping loss scaling)."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return inner.learning_rate
