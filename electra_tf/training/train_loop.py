"""The distributed, XLA-compiled ELECTRA training step (the custom `train_step`).

One step, per replica, inside `strategy.run`:

1. the loss denominators (number of chosen positions, number of real
   tokens) are summed across replicas: they follow from the batch alone;
2. forward + backward run as one function, XLA-compiled when `jit_compile`,
   each replica's loss being its share of the exact global mean;
3. the gradients are summed across replicas, *outside* XLA (XLA on CPU has no
   collectives, and MultiWorkerMirroredStrategy needs them);
4. the optimizer clips by global norm, accumulates if asked, and applies;
5. metrics are updated (`keras.metrics`, aggregated across replicas).

Step values come back as scalars reduced with `axis=None`, which every
strategy supports (Keras's own `fit` reduces along axis 0 and fails on
scalars under MultiWorkerMirroredStrategy).
"""

import tensorflow as tf

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
            done here, not by the optimizer).
        strategy: `tf.distribute.Strategy`.
        jit_compile: bool. XLA-compile the forward/backward computation.

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

    def __init__(self, model, optimizer, strategy, jit_compile=False):
        self.model = model
        self.optimizer = optimizer
        self.strategy = strategy
        self.jit_compile = bool(jit_compile)
        # The backbone's pooler is not on the pretraining loss path.
        unused = {id(v) for v in model.discriminator.pooled_dense.trainable_variables}
        self.variables = [v for v in model.trainable_variables if id(v) not in unused]
        # Micro-batches seen: seeds each step's masking/sampling (checkpointed).
        self.micro_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="micro_step")
        # Slots exist before the first step, so a checkpoint restores into them.
        optimizer.build(self.variables)
        self._forward_backward = tf.function(self._forward_backward_fn, jit_compile=self.jit_compile)
        self.train = tf.function(self._train_fn)
        self.evaluate = tf.function(self._eval_fn)

    def _forward_backward_fn(self, batch, seed, gen_count, disc_count):
        with tf.GradientTape() as tape:
            outputs = self.model.compute_outputs(
                batch, seed, training=True, loss_normalizers=(gen_count, disc_count)
            )
            loss = self.optimizer.scale_loss(outputs["total_loss"])
        grads = tape.gradient(loss, self.variables)
        return grads, {key: outputs[key] for key in _METRIC_OUTPUTS}

    def _replica_train_fn(self, batch, step):
        context = tf.distribute.get_replica_context()
        replicas = self.strategy.num_replicas_in_sync
        counts = self.model.loss_counts(batch)
        if replicas > 1:
            counts = context.all_reduce(tf.distribute.ReduceOp.SUM, counts)
        seed = tf.random.experimental.stateless_fold_in(
            self.model.step_seed(step), tf.cast(context.replica_id_in_sync_group, tf.int64)
        )
        grads, outputs = self._forward_backward(batch, seed, counts[0], counts[1])
        if replicas > 1:
            grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        grad_norm = tf.linalg.global_norm(grads)
        scale = getattr(self.optimizer, "dynamic_scale", None)
        if scale is not None:  # fp16: report the unscaled norm
            grad_norm = grad_norm / tf.cast(scale, grad_norm.dtype)
        self.optimizer.apply_gradients(zip(grads, self.variables))
        # Each replica's losses are its share of the global mean; scaled by the
        # replica count, their mean across replicas (what a metric sees) is
        # the global value.
        for key in _LOSSES:
            outputs[key] = outputs[key] * replicas
        self.model.update_metrics(outputs, batch)
        return outputs["total_loss"] / replicas, grad_norm

    def _train_fn(self, iterator):
        """One optimizer step (or micro-step, with accumulation); returns (loss, grad_norm)."""
        step = self.micro_step.read_value()
        loss, grad_norm = self.strategy.run(self._replica_train_fn, args=(next(iterator), step))
        self.micro_step.assign_add(1)
        loss = self.strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
        grad_norm = self.strategy.reduce(tf.distribute.ReduceOp.MEAN, grad_norm, axis=None)
        return loss, grad_norm

    def _eval_fn(self, batch):
        """Updates the metrics on one distributed eval batch (no dropout, fixed masks)."""
        self.strategy.run(self.model.test_step, args=(batch,))
