"""`run_pretraining`: config + data + model_dir -> a trained, checkpointed ELECTRA.

The one library call behind `tools/pretrain.py`. It picks the strategy,
precision and XLA mode, builds the tf.data input per replica, the model and
optimizer under the strategy, restores the latest checkpoint of `model_dir`
(model, optimizer slots, step, data-iterator position), then trains with a
progress bar, TensorBoard logs, periodic evaluation and checkpoints, saving
also at the end and on SIGTERM/SIGINT.
"""

import dataclasses
import glob
import json
import math
import os
import signal
import time

import keras
import numpy as np
import tensorflow as tf

from electra_tf.data.corpus import expand_globs
from electra_tf.data.pipeline import pretraining_dataset
from electra_tf.data.pipeline import raw_text_dataset
from electra_tf.errors import UsageError
from electra_tf.models.pretrainer import ElectraPretrainer
from electra_tf.progress_bar import ProgressBar
from electra_tf.text.tokenizer import ElectraTokenizer
from electra_tf.text.vocab import vocab_sha256
from electra_tf.training import distribution
from electra_tf.training.flops import peak_flops_per_second
from electra_tf.training.flops import train_flops_per_sequence
from electra_tf.training.model_dir import is_model_only_checkpoint
from electra_tf.training.model_dir import prepare_model_dir
from electra_tf.training.model_dir import restore_strictly
from electra_tf.training.optimizer import create_optimizer
from electra_tf.training.optimizer import current_learning_rate
from electra_tf.training.options import TrainingOptions  # noqa: F401 (its home before)
from electra_tf.training.sample_summary import replaced_token_table
from electra_tf.training.train_loop import ElectraTrainStep

# fp16 loss scaling skips steps whose gradients overflow; this many in a row
# means the run has diverged rather than the scale being too high.
MAX_SKIPPED_FP16_STEPS = 25


def _is_tfrecord_input(pattern):
    files = [f for p in str(pattern).split(",") if p.strip() for f in glob.glob(p.strip())]
    return bool(files) and all(".tfrecord" in os.path.basename(f) for f in files)


def _dataset_fn(pattern, tokenizer, sha, config, batch_size, is_training, seed,
                skip_batches=0):
    """A `dataset_fn(input_context)` for `distribute_datasets_from_function`.

    `skip_batches` fast-forwards a deterministic (seeded) training input to
    where a resumed run left off, for strategies whose distributed iterators
    cannot be checkpointed.
    """
    if _is_tfrecord_input(pattern):
        def build(ctx):
            return pretraining_dataset(
                pattern, batch_size, config.max_seq_length, ctx, is_training=is_training,
                vocab_sha256=sha, lowercase=config.lowercase, seed=seed, drop_remainder=True,
            )

        build(None)  # check files and metadata now, with a clear message
    else:
        expand_globs(pattern)  # a pattern matching no file fails now, with a clear message

        def build(ctx):
            return raw_text_dataset(pattern, tokenizer, batch_size, config.max_seq_length, ctx,
                                    is_training=is_training, seed=seed, drop_remainder=True)

    def dataset_fn(ctx):
        dataset = build(ctx)
        return dataset.skip(skip_batches) if skip_batches else dataset

    return dataset_fn


class _StopRequest:
    """SIGTERM/SIGINT set a flag; the loop saves a checkpoint and exits cleanly."""

    def __init__(self):
        self.signal = None
        self._previous = {}

    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum, frame):
        if self.signal is not None:  # second signal: stop now
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _resolve_vocab_size(config, tokenizer):
    size = tokenizer.vocabulary_size()
    if config.vocab_size in (0, None):
        return config.replace(vocab_size=size)
    if config.vocab_size != size:
        raise UsageError(
            f"config vocab_size={config.vocab_size} but the vocabulary has {size} tokens. Set "
            f"vocab_size={size} (or 0 to take it from the vocabulary file)."
        )
    return config


def run_pretraining(config, options, log=print):
    """Pretrains ELECTRA; returns a summary dict (also written to model_dir/summary.json).

    Rerunning with the same `model_dir` resumes from its latest checkpoint.

    Args:
        config: `ElectraConfig`. `vocab_size` 0 takes the vocabulary's size.
        options: `TrainingOptions`.
        log: callable(str) for messages.

    Returns:
        dict: step, losses and metrics of the last train window and eval,
        paths, timing.

    Example:
    ```python
    config = ElectraConfig.from_json("configs/electra_tiny.json")
    run_pretraining(config, TrainingOptions(model_dir="runs/tiny",
                    train_data="data/*.tfrecord", vocab="vocab.txt"))
    ```
    """
    # Multi-worker collectives must be set up before TensorFlow runs any op.
    strategy = distribution.create_strategy(options.strategy, options.tpu)
    tokenizer = ElectraTokenizer.from_vocab_file(options.vocab, lowercase=config.lowercase)
    sha = vocab_sha256(options.vocab)
    config = _resolve_vocab_size(config, tokenizer)
    if options.grad_accum_steps < 1 or config.batch_size % options.grad_accum_steps:
        raise UsageError(
            f"batch_size {config.batch_size} must be a multiple of grad_accum_steps "
            f"{options.grad_accum_steps}."
        )
    distribution.set_mixed_precision(options.mixed_precision)
    keras.utils.set_random_seed(config.seed)
    chief = distribution.is_chief(strategy)
    jit_compile = distribution.resolve_jit_compile(options.jit_compile, strategy)

    micro_batch = config.batch_size // options.grad_accum_steps
    # Input is checked before the model_dir is written: a typo in --train_data
    # must not leave a half-made run behind.
    train_fn = _dataset_fn(options.train_data, tokenizer, sha, config, micro_batch, True, config.seed)
    eval_fn = None
    if options.eval_data:
        eval_fn = _dataset_fn(options.eval_data, tokenizer, sha, config, micro_batch, False, None)
    resuming = prepare_model_dir(options.model_dir, config, options.vocab, write=chief)
    input_options = tf.distribute.InputOptions(experimental_fetch_to_device=True)
    train_dataset = strategy.distribute_datasets_from_function(train_fn, input_options)
    eval_dataset = (strategy.distribute_datasets_from_function(eval_fn, input_options)
                    if eval_fn else None)

    with strategy.scope():
        model = ElectraPretrainer.from_tokenizer(config, tokenizer)
        optimizer = create_optimizer(config, options.mixed_precision)
        step_fn = ElectraTrainStep(model, optimizer, strategy, jit_compile=jit_compile,
                                   grad_accum_steps=options.grad_accum_steps)
    state = dict(model=model, optimizer=optimizer, micro_step=step_fn.micro_step,
                 dropout_rng=model.dropout_rng_variables)
    # A single-device iterator is checkpointable (shuffle buffer included); a
    # distributed one is not, so those runs replay their seeded input instead.
    iterator = iter(train_dataset)
    iterator_in_checkpoint = isinstance(iterator, tf.data.Iterator)
    if iterator_in_checkpoint:
        state["data"] = iterator
    checkpoint = tf.train.Checkpoint(**state)
    write_dir = options.model_dir if chief else os.path.join(
        options.model_dir, f".worker_{strategy.cluster_resolver.task_id}")
    manager = tf.train.CheckpointManager(checkpoint, write_dir, max_to_keep=options.keep_checkpoints)
    restored = _restore(checkpoint, model, optimizer, options.model_dir, resuming, log)
    if restored and not iterator_in_checkpoint:
        replay = _dataset_fn(options.train_data, tokenizer, sha, config, micro_batch, True,
                             config.seed, skip_batches=_as_int(step_fn.micro_step))
        iterator = iter(strategy.distribute_datasets_from_function(replay, input_options))

    preemption = None
    if options.preemption_safe and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        preemption = tf.distribute.experimental.PreemptionCheckpointHandler(
            strategy.cluster_resolver, manager)

    writers = _summary_writers(options.model_dir, chief, eval_dataset is not None)
    peak = _peak_flops(strategy, options)
    sample_batch = _first_batch(eval_fn or train_fn)

    start_step = _as_int(optimizer.iterations)
    target = config.train_steps
    if options.steps_this_run:
        target = min(target, start_step + options.steps_this_run)
    generator = ("no generator" if config.objective == "mlm"
                 else f"generator {config.generator_hidden}")
    log(f"Training {config.num_layers}-layer {_describe(config)} (hidden {config.hidden_size}, "
        f"{generator}) on {strategy.num_replicas_in_sync} replica(s), "
        f"{type(strategy).__name__}, XLA {'on' if jit_compile else 'off'}, "
        f"{options.mixed_precision}; steps {start_step} -> {target} of {config.train_steps}.")
    progbar = ProgressBar(max(target - start_step, 1), verbose=1 if (
        options.show_progress and chief) else 0, stateful_metrics=["loss", "auc", "lr"])

    summary = {"model_dir": os.path.abspath(options.model_dir), "start_step": start_step}
    run_start = time.time()
    parts = _LoopParts(config=config, options=options, model=model, optimizer=optimizer,
                       step_fn=step_fn, iterator=iterator, preemption=preemption,
                       checkpoint_manager=manager, write_dir=write_dir, chief=chief,
                       writers=writers, tokenizer=tokenizer, sample_batch=sample_batch,
                       eval_dataset=eval_dataset, peak_flops=peak)
    step, last_logs, eval_logs, stop_signal = _train(parts, start_step, target, progbar, log)

    summary.update({
        "step": step,
        "train_steps": config.train_steps,
        "interrupted": bool(stop_signal),
        "seconds": round(time.time() - run_start, 2),
        "train": last_logs,
        "eval": eval_logs,
        "checkpoint": manager.latest_checkpoint,
        "logdir": os.path.abspath(os.path.join(options.model_dir, "logs")),
        "jit_compile": jit_compile,
        "strategy": type(strategy).__name__,
        "replicas": strategy.num_replicas_in_sync,
        "chief": chief,
    })
    if chief:
        with open(os.path.join(options.model_dir, "summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
    return summary


@dataclasses.dataclass
class _LoopParts:
    """What `run_pretraining` builds and `_train` steps with."""

    config: object
    options: object
    model: object
    optimizer: object
    step_fn: object
    iterator: object
    preemption: object
    checkpoint_manager: object
    write_dir: str
    chief: bool
    writers: dict
    tokenizer: object
    sample_batch: object
    eval_dataset: object
    peak_flops: object


def _train(parts, start_step, target, progbar, log):
    """Steps from `start_step` to `target`, logging a window every `log_every` steps,
    sampling, evaluating and checkpointing on their schedules, and saving then stopping
    on SIGTERM/SIGINT.

    Returns:
        `(step, last window's logs, last eval's logs, the stop signal's name or None)`.
    """
    options, model, optimizer, manager = (parts.options, parts.model, parts.optimizer,
                                          parts.checkpoint_manager)
    last_logs, eval_logs = {}, {}
    window_start, window_steps, grad_norms = time.time(), 0, []
    skipped = 0
    step = start_step
    with _StopRequest() as stop:
        for metric in model.metrics:
            metric.reset_state()
        while step < target:
            if parts.preemption is not None:
                loss, grad_norm = parts.preemption.run(parts.step_fn.train, parts.iterator)
            else:
                loss, grad_norm = parts.step_fn.train(parts.iterator)
            step = _as_int(optimizer.iterations)
            loss_value = float(loss)
            if not math.isfinite(loss_value) or not math.isfinite(float(grad_norm)):
                if options.mixed_precision == "mixed_float16" and skipped < MAX_SKIPPED_FP16_STEPS:
                    skipped += 1  # loss scaling skipped this update; the scale drops
                    continue
                _diverged(step, loss_value, manager, log)
            skipped = 0
            grad_norms.append(float(grad_norm))
            window_steps += 1
            done = step >= target
            if step % options.log_every == 0 or done:
                logs = _window_logs(model, optimizer, parts.config, step, parts.peak_flops,
                                    time.time() - window_start, window_steps, grad_norms)
                _write_scalars(parts.writers.get("train"), logs, step)
                last_logs = logs
                progbar.update(step - start_step, [("loss", logs["loss"]),
                               ("auc", logs["disc_auc"]), ("lr", logs["learning_rate"])])
                for metric in model.metrics:
                    metric.reset_state()
                window_start, window_steps, grad_norms = time.time(), 0, []
            if options.sample_every and (step % options.sample_every == 0 or done) and parts.chief:
                _write_sample(parts.writers.get("train"), model, parts.tokenizer,
                              parts.sample_batch, step)
            if parts.eval_dataset is not None and (
                    (options.eval_every and step % options.eval_every == 0) or done):
                eval_logs = _evaluate(parts.step_fn, model, parts.eval_dataset, options.eval_steps)
                _write_scalars(parts.writers.get("eval"), eval_logs, step)
            if step % options.save_every == 0 or done or stop.signal:
                manager.save(checkpoint_number=step)
                _cleanup_worker_dir(parts.write_dir, parts.chief)
            if stop.signal:
                log(f"\n{stop.signal} received: saved checkpoint at step {step} in "
                    f"{options.model_dir}. Rerun the same command to resume.")
                break
    for writer in parts.writers.values():
        writer.flush()
    return step, last_logs, eval_logs, stop.signal


def _restore(checkpoint, model, optimizer, model_dir, resuming, log):
    """Restores the latest checkpoint of `model_dir` into `checkpoint`, strictly.

    Returns:
        bool: a training state (optimizer, step, data position) was restored;
        False for a fresh start or for imported weights (model only).
    """
    latest = tf.train.latest_checkpoint(model_dir)
    if latest and is_model_only_checkpoint(latest):
        # Weights imported by tools/convert_checkpoint.py: no optimizer, step
        # or data state to resume, so training starts fresh from them.
        restore_strictly(tf.train.Checkpoint(model=model), latest,
                         "The imported weights do not match this model; import them again "
                         "with this config, or pass a new --model_dir.")
        log(f"Initialised from imported weights {latest}: fresh optimizer at step 0.")
        return False
    if latest:
        restore_strictly(checkpoint, latest, "The checkpoint does not match this model; pass "
                                             "a new --model_dir.")
        log(f"Resumed from {latest} at step {_as_int(optimizer.iterations)}.")
        return True
    if resuming:
        log(f"{model_dir} has a config.json but no checkpoint: starting at step 0.")
    return False


def _peak_flops(strategy, options):
    """Peak FLOP/s of all replicas, for MFU: --peak_tflops, or the device's table value."""
    if options.peak_tflops:
        return options.peak_tflops * 1e12
    device = (tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU"))[0]
    if isinstance(strategy, tf.distribute.TPUStrategy):
        kind = "tpu"
    elif device.device_type == "GPU":
        kind = tf.config.experimental.get_device_details(
            tf.config.list_physical_devices("GPU")[0]).get("device_name", "gpu")
    else:
        kind = "cpu"
    return peak_flops_per_second(kind, options.mixed_precision) * strategy.num_replicas_in_sync


def _window_logs(model, optimizer, config, step, peak, elapsed, window_steps, grad_norms):
    """The logged scalars of the steps since the last log: metrics, rate, MFU."""
    logs = {m.name: float(m.result()) for m in model.metrics}
    rate = window_steps * config.batch_size / max(elapsed, 1e-9)
    # two_stage's stages cost differently: the stage of this step.
    flops_per_step = train_flops_per_sequence(
        config, stage=model.training_stage(step - 1)) * config.batch_size
    logs.update({
        "learning_rate": float(tf.identity(current_learning_rate(optimizer))),
        "grad_norm": float(np.mean(grad_norms)),
        "examples_per_second": rate,
        "tokens_per_second": rate * config.max_seq_length,
        "mfu": rate / config.batch_size * flops_per_step / peak,
        "seconds_per_step": elapsed / window_steps,
    })
    return logs


def _describe(config):
    """"ELECTRA", or the objective/strategy/sharing options that differ from it."""
    options = [f"{name}={getattr(config, name)}" for name, default in (
        ("objective", "electra"), ("training", "joint"), ("embedding_sharing", "embeddings"))
        if getattr(config, name) != default]
    return "ELECTRA" + (f" [{', '.join(options)}]" if options else "")


def _as_int(variable):
    """A (possibly mirrored, possibly Keras-wrapped) scalar variable's value."""
    return int(tf.identity(getattr(variable, "value", variable)).numpy())


def _diverged(step, loss_value, manager, log):
    last = manager.latest_checkpoint or "none saved yet"
    raise UsageError(
        f"the loss became {loss_value} at step {step}: training diverged and was stopped "
        f"without saving. The last good checkpoint is {last}. Lower --learning_rate, raise "
        "--warmup_steps, or use --mixed_precision=mixed_bfloat16 instead of mixed_float16."
    )


def _summary_writers(model_dir, chief, with_eval):
    if not chief:
        return {}
    writers = {"train": tf.summary.create_file_writer(os.path.join(model_dir, "logs", "train"))}
    if with_eval:
        writers["eval"] = tf.summary.create_file_writer(os.path.join(model_dir, "logs", "eval"))
    return writers


def _write_scalars(writer, logs, step):
    if writer is None:
        return
    with writer.as_default(step=step):
        for name, value in logs.items():
            tf.summary.scalar(name, value)


def _first_batch(dataset_fn):
    """One small batch (numpy) for the text summaries, outside any strategy."""
    for batch in dataset_fn(None).take(1):
        return {k: v.numpy()[:2] for k, v in batch.items()}


def _write_sample(writer, model, tokenizer, batch, step):
    if writer is None or batch is None:
        return
    outputs = model.compute_outputs(batch, model.step_seed(step, stream=2), training=False)
    text = replaced_token_table(tokenizer, {k: v.numpy() for k, v in outputs.items()}, batch)
    with writer.as_default(step=step):
        tf.summary.text("replaced_tokens", text)


def _evaluate(step_fn, model, dataset, max_batches):
    for metric in model.metrics:
        metric.reset_state()
    for index, batch in enumerate(dataset):
        if index >= max_batches:
            break
        step_fn.evaluate(batch)
    logs = {m.name: float(m.result()) for m in model.metrics}
    for metric in model.metrics:
        metric.reset_state()
    return logs


def _cleanup_worker_dir(write_dir, chief):
    """Non-chief workers write throwaway copies (MultiWorkerMirroredStrategy needs
    every worker to save); only the chief's are kept."""
    if not chief:
        tf.io.gfile.rmtree(write_dir)
