"""Choosing the `tf.distribute` strategy, mixed precision and XLA for a run."""

import json
import os

import keras
import tensorflow as tf

from electra_tf.errors import UsageError

STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def create_strategy(name="auto", tpu_address=None):
    """Builds the strategy named by `--strategy`.

    auto: TPU if `tpu_address` is given, MirroredStrategy with more than one
    GPU, else the default strategy. mirrored uses every GPU, or, on a machine
    without GPUs, every logical CPU device (one unless the process split the
    CPU with `tf.config.set_logical_device_configuration`, as tests do). multi_worker reads the cluster from the
    `TF_CONFIG` environment variable (one process per worker).

    Args:
        name: one of `STRATEGIES`.
        tpu_address: str or None. TPU name or grpc address ("local" on a TPU VM).

    Returns:
        A `tf.distribute.Strategy`.
    """
    if name not in STRATEGIES:
        raise UsageError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}.")
    if name == "auto":
        if tpu_address:
            name = "tpu"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if tf.config.list_logical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        return tf.distribute.MirroredStrategy(
            [device.name for device in tf.config.list_logical_devices("CPU")])
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise UsageError(
                "--strategy=multi_worker needs the TF_CONFIG environment variable describing "
                'the cluster, e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                '"task": {"type": "worker", "index": 0}} on each worker.'
            )
        try:
            json.loads(os.environ["TF_CONFIG"])
        except json.JSONDecodeError as error:
            raise UsageError(f"TF_CONFIG is not valid JSON: {error}") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_address or "")
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy):
    """True on the worker that writes logs and the real checkpoints."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type is None or task_type == "chief" or (
        task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()
    )


def set_mixed_precision(policy):
    """Sets the global Keras dtype policy (`--mixed_precision`)."""
    if policy not in PRECISIONS:
        raise UsageError(f"--mixed_precision must be one of {', '.join(PRECISIONS)}, got {policy!r}.")
    keras.mixed_precision.set_global_policy(policy)


def resolve_jit_compile(flag, strategy):
    """`--jit_compile=auto|true|false` -> bool.

    auto: on for GPU and TPU; on CPU off, because `benchmarks/pretrain_throughput.py`
    measured the XLA-compiled step about 10x slower than TensorFlow's own
    kernels on a 2-core CPU (TF 2.21; README "Measured here").
    XLA only ever compiles the forward/backward computation: the cross-replica
    all-reduce and the optimizer update stay outside it, so every strategy
    (including multi-worker on CPU, where XLA has no collectives) works.
    """
    value = str(flag).lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    if value != "auto":
        raise UsageError(f"--jit_compile must be auto, true or false, got {flag!r}.")
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return True
    return bool(tf.config.list_logical_devices("GPU"))
