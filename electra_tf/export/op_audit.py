"""Checks that a SavedModel only uses ops TF Serving has: core TensorFlow + tf-text.

The model server links TensorFlow's kernels and (since 2.12) tf-text's. An op
outside that set fails only when the server loads the model, in production;
we refuse it at export time instead. Python-only ops (`tf.py_function`,
`tf.numpy_function`) are registered in core TensorFlow but cannot run in the
server, so they are refused too.
"""

import functools
import json
import os
import subprocess
import sys

from tensorflow.core.protobuf import saved_model_pb2

from electra_tf.errors import UsageError
from electra_tf.private_apis import LIST_REGISTERED_OPS_SCRIPT

PYTHON_ONLY_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})

_LIST_OPS = LIST_REGISTERED_OPS_SCRIPT


@functools.lru_cache(maxsize=1)
def serving_ops():
    """Every op registered by importing only `tensorflow` and `tensorflow_text`.

    Computed in a fresh interpreter, so ops this process registered some other
    way (a custom op library, another package) do not count as available.
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", _LIST_OPS], capture_output=True, text=True,
                            env=env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"could not list TensorFlow ops: {result.stderr[-2000:]}")
    return frozenset(json.loads(result.stdout.strip().splitlines()[-1])) - PYTHON_ONLY_OPS


def saved_model_ops(export_path):
    """The set of op types in a SavedModel's graph and all its functions."""
    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(export_path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    ops = set()
    for meta_graph in proto.meta_graphs:
        ops.update(node.op for node in meta_graph.graph_def.node)
        for function in meta_graph.graph_def.library.function:
            ops.update(node.op for node in function.node_def)
        functions = {f.signature.name for f in meta_graph.graph_def.library.function}
    # Calls to library functions appear as ops named after the function.
    return ops - functions


def audit_saved_model(export_path):
    """Raises `UsageError` naming any op the model server would not have.

    Returns:
        sorted list of the ops used (for reports).
    """
    used = saved_model_ops(export_path)
    missing = sorted(used - serving_ops())
    if missing:
        raise UsageError(
            f"the SavedModel {export_path!r} uses op(s) TF Serving does not provide: "
            f"{', '.join(missing)}. Only core TensorFlow and tensorflow-text ops can be "
            "served; remove tf.py_function/numpy_function or custom-op code from the "
            "exported functions."
        )
    return sorted(used)
