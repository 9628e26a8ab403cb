"""The distributed, XLA-compiled ELECTRA training step (the custom `train_step`).

One optimizer update, per replica, inside `strategy.run`:

1. the loss denominators (number of chosen positions, number of real
   tokens) are summed over every micro-batch of the update and across
   replicas: they follow from the batches alone;
2. forward + backward run once per micro-batch, XLA-compiled when
   `jit_compile`, each micro-batch's loss being its share of the exact
   global mean, so the summed gradients are the gradient of the mean over
   the whole update (the same update as one big batch);
3. the gradients are summed across replicas, *outside* XLA (XLA on CPU has no
   collectives, and MultiWorkerMirroredStrategy needs them);
4. the optimizer clips by global norm and applies;
5. metrics are updated (`keras.metrics`, aggregated across replicas).

Step values come back as scalars reduced with `axis=None`, which every
strategy supports (Keras's own `fit` reduces along axis 0 and fails on
scalars under MultiWorkerMirroredStrategy).
"""

import functools

import tensorflow as tf

from electra_tf.models.pretrainer import dense_gradients
from electra_tf.models.two_stage import DISCRIMINATOR_STAGE
from electra_tf.models.two_stage import GENERATOR_STAGE
from electra_tf.models.two_stage import copy_generator_to_discriminator

# Outputs the metrics need; the rest of `compute_outputs` stays in the XLA cluster.
_METRIC_OUTPUTS = (
    "total_loss", "gen_loss", "disc_loss", "masked_ids", "masked_weights", "gen_logits",
    "sampled_ids", "disc_labels", "disc_probs",
)
_LOSSES = ("total_loss", "gen_loss", "disc_loss")


class ElectraTrainStep:
    """Builds the train/eval step functions for an `ElectraPretrainer`.

    Create it (and the model and optimizer) under `strategy.scope()`.

    Args:
        model: `ElectraPretrainer`.
        optimizer: Keras optimizer from `create_optimizer` (all-reduce is
            done here, not by the optimizer; so is gradient accumulation).
        strategy: `tf.distribute.Strategy`.
        jit_compile: bool. XLA-compile the forward/backward computation.
        grad_accum_steps: int. Micro-batches per optimizer update: each
            `train` call reads this many from the iterator.

    Example:
    ```python
    with strategy.scope():
        model = ElectraPretrainer.from_tokenizer(config, tokenizer)
        optimizer = create_optimizer(config)
        step = ElectraTrainStep(model, optimizer, strategy, jit_compile=False)
    iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))
    loss, grad_norm = step.train(iterator)
    ```
    """

    def __init__(self, model, optimizer, strategy, jit_compile=False, grad_accum_steps=1):
        self.model = model
        self.optimizer = optimizer
        self.strategy = strategy
        self.jit_compile = bool(jit_compile)
        self.grad_accum_steps = int(grad_accum_steps)
        if self.grad_accum_steps < 1:
            raise ValueError(f"grad_accum_steps must be >= 1, got {grad_accum_steps}.")
        # Every variable any stage trains gets its optimizer slots now, so a
        # checkpoint restores into them; each step applies to its stage's.
        self.variables = model.variables_to_train()
        self._stage_variables = {None: self.variables}
        for stage in (GENERATOR_STAGE, DISCRIMINATOR_STAGE):
            if model.training_stage(0) is not None:
                self._stage_variables[stage] = model.variables_to_train(stage)
        # Micro-batches seen: seeds each micro-batch's masking/sampling and
        # positions a replayed input (checkpointed).
        self.micro_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="micro_step")
        # Slots exist before the first step, so a checkpoint restores into them.
        optimizer.build(self.variables)
        # One traced function per two_stage stage: the variable list is static.
        self._forward_backward = {
            stage: tf.function(functools.partial(self._forward_backward_fn, stage=stage),
                               jit_compile=self.jit_compile)
            for stage in self._stage_variables}
        self._train = {stage: tf.function(functools.partial(self._train_fn, stage=stage))
                       for stage in self._stage_variables}
        self.evaluate = tf.function(self._eval_fn)

    def train(self, iterator):
        """One optimizer update over `grad_accum_steps` micro-batches; returns (loss, grad_norm).

        two_stage: picks the stage from the optimizer's step, and at the
        first step of the discriminator stage initialises the discriminator
        from the generator (once: a run resumed later does not repeat it).
        """
        stage = None
        if len(self._stage_variables) > 1:
            step = int(tf.identity(getattr(self.optimizer.iterations, "value",
                                           self.optimizer.iterations)).numpy())
            stage = self.model.training_stage(step)
            if step == self.model.config.generator_steps:
                copy_generator_to_discriminator(self.model)
        return self._train[stage](iterator)

    def _forward_backward_fn(self, batch, seed, gen_count, disc_count, stage=None):
        with tf.GradientTape() as tape:
            outputs = self.model.compute_outputs(
                batch, seed, training=True, loss_normalizers=(gen_count, disc_count),
                stage=stage)
            loss = self.optimizer.scale_loss(outputs["total_loss"])
        grads = dense_gradients(tape.gradient(loss, self._stage_variables[stage]))
        return grads, {key: outputs[key] for key in _METRIC_OUTPUTS}

    def _replica_train_fn(self, batches, step, stage=None):
        context = tf.distribute.get_replica_context()
        replicas = self.strategy.num_replicas_in_sync
        counts = tf.add_n([tf.stack(self.model.loss_counts(batch)) for batch in batches])
        if replicas > 1:
            counts = context.all_reduce(tf.distribute.ReduceOp.SUM, counts)
        replica = tf.cast(context.replica_id_in_sync_group, tf.int64)
        grads, micro_outputs = None, []
        for index, batch in enumerate(batches):
            seed = tf.random.experimental.stateless_fold_in(
                self.model.step_seed(step + index), replica)
            # Waiting for the previous micro-batch's gradients keeps one
            # micro-batch's activations in memory at a time, which is what
            # accumulation is for.
            previous = [] if grads is None else [g for g in grads if g is not None]
            with tf.control_dependencies(previous):
                micro_grads, outputs = self._forward_backward[stage](
                    batch, seed, counts[0], counts[1])
            grads = micro_grads if grads is None else [
                g if m is None else m if g is None else g + m for g, m in zip(grads, micro_grads)]
            micro_outputs.append(outputs)
        if replicas > 1:
            grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        grad_norm = tf.linalg.global_norm(grads)
        scale = getattr(self.optimizer, "dynamic_scale", None)
        if scale is not None:  # fp16: report the unscaled norm
            grad_norm = grad_norm / tf.cast(scale, grad_norm.dtype)
        self.optimizer.apply_gradients(zip(grads, self._stage_variables[stage]))
        # Each micro-batch's losses are its share of the global mean: their
        # sum is this replica's share, and scaled by the replica count their
        # mean across replicas (what a metric sees) is the global value.
        losses = {key: tf.add_n([o[key] for o in micro_outputs]) * replicas for key in _LOSSES}
        for outputs, batch in zip(micro_outputs, batches):
            self.model.update_metrics(dict(outputs, **losses), batch)
        return losses["total_loss"] / replicas, grad_norm

    def _train_fn(self, iterator, stage=None):
        batches = [next(iterator) for _ in range(self.grad_accum_steps)]
        step = self.micro_step.read_value()
        loss, grad_norm = self.strategy.run(self._replica_train_fn, args=(batches, step),
                                            kwargs={"stage": stage})
        self.micro_step.assign_add(self.grad_accum_steps)
        loss = self.strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
        grad_norm = self.strategy.reduce(tf.distribute.ReduceOp.MEAN, grad_norm, axis=None)
        return loss, grad_norm

    def _eval_fn(self, batch):
        """Updates the metrics on one distributed eval batch (no dropout, fixed masks)."""
        self.strategy.run(self.model.test_step, args=(batch,))
