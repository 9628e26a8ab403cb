"""The one serving check every export test uses: TF Serving's own loader path.

TF Serving loads a SavedModel with the TF1 session loader (`SavedModelBundle`:
import the graph, restore the variables into a session, then run each
signature by feeding and fetching tensor names); `saved_model_cli run` does the
same. `tf.saved_model.load` takes another path that hides defects this one
shows, so it does not count as a serving test.

`serve_in_session` runs requests that way in a fresh process that imports only
TensorFlow, tensorflow_text (to register its ops, as the server links them) and
the serving protos, never `electra_tf` or keras-hub; it also replays every record of
`assets.extra/tf_serving_warmup_requests`, as the server does at load.
"""

import dataclasses
import os
import pickle
import subprocess
import sys

import numpy as np

_SCRIPT = r'''
import os
import pickle
import sys

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401 (registers the tf-text ops, as the server links them)
from tensorflow_serving.apis import prediction_log_pb2

export_path, requests_path, results_path = sys.argv[1:4]
with open(requests_path, "rb") as f:
    requests = pickle.load(f)

tf.compat.v1.disable_eager_execution()
graph = tf.Graph()
session = tf.compat.v1.Session(graph=graph)
meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], export_path)
signatures = {name: {"inputs": sorted(sig.inputs), "outputs": sorted(sig.outputs)}
              for name, sig in meta_graph.signature_def.items()
              if name != "__saved_model_init_op"}


def run(signature, inputs):
    sig = meta_graph.signature_def[signature]
    if sorted(inputs) != sorted(sig.inputs):
        return {"error": "BadRequest", "message": f"inputs {sorted(inputs)} != {sorted(sig.inputs)}"}
    feed = {graph.get_tensor_by_name(sig.inputs[k].name): v for k, v in inputs.items()}
    fetch = {k: graph.get_tensor_by_name(v.name) for k, v in sig.outputs.items()}
    try:
        return {"outputs": session.run(fetch, feed)}
    except tf.errors.OpError as e:
        return {"error": type(e).__name__, "message": e.message[:2000]}


warmup = []
warmup_path = os.path.join(export_path, "assets.extra", "tf_serving_warmup_requests")
if os.path.exists(warmup_path):
    for record in tf.compat.v1.io.tf_record_iterator(warmup_path):
        request = prediction_log_pb2.PredictionLog.FromString(record).predict_log.request
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        warmup.append((request.model_spec.name, request.model_spec.signature_name,
                       run(request.model_spec.signature_name, inputs)))
results = [run(signature, inputs) for signature, inputs in requests]
assert not {"electra_tf", "keras_hub"} & set(sys.modules), "not a clean process"
with open(results_path, "wb") as f:
    pickle.dump({"signatures": signatures, "results": results, "warmup": warmup}, f)
'''


@dataclasses.dataclass
class ServingRun:
    """What the session loader did with an export.

    Attributes:
        signatures: {name: {"inputs": [...], "outputs": [...]}} from the MetaGraph.
        results: one per request, in order: {"outputs": {name: array}} or
            {"error": class name, "message": str}.
        warmup: (model name, signature, result) per warmup record.
    """
    signatures: dict
    results: list
    warmup: list


def serve_in_session(export_path, requests, tmp_path, timeout=600):
    """Loads `export_path` as TF Serving does, in a fresh process, and runs `requests`.

    Args:
        export_path: str. A SavedModel version folder.
        requests: list of `(signature_name, {input_name: numpy array})`.
        tmp_path: a pytest tmp_path for the request/result files.

    Returns:
        `ServingRun`. A process that dies (abort, segfault) fails the test here.
    """
    tmp_path = str(tmp_path)
    os.makedirs(tmp_path, exist_ok=True)
    script = os.path.join(tmp_path, "serve_in_session.py")
    requests_path = os.path.join(tmp_path, "requests.pkl")
    results_path = os.path.join(tmp_path, "results.pkl")
    with open(script, "w", encoding="utf-8") as f:
        f.write(_SCRIPT)
    with open(requests_path, "wb") as f:
        pickle.dump(list(requests), f)
    done = subprocess.run([sys.executable, script, export_path, requests_path, results_path],
                          capture_output=True, text=True, timeout=timeout, cwd=tmp_path,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert done.returncode == 0, (
        f"the session loader process died (exit {done.returncode}):\n{done.stderr[-6000:]}")
    with open(results_path, "rb") as f:
        return ServingRun(**pickle.load(f))


def assert_serves(export_path, requests, tmp_path, model_name=None, expected=None, atol=1e-5):
    """The serving check: every signature of `export_path` runs in TF Serving's loader.

    Asserts that the requests exercise every signature in the SavedModel, that
    each request and each warmup record succeeds (naming the model
    `model_name` when given), and that outputs match `expected`.

    Args:
        export_path: str. A SavedModel version folder.
        requests: list of `(signature_name, {input_name: numpy array})`.
        tmp_path: pytest tmp_path.
        model_name: str or None. The name the warmup records must use.
        expected: list (one per request) of {output: array} or None entries to
            compare; float outputs within `atol`, the rest exactly.

    Returns:
        list of {output: array}, one per request.
    """
    run = serve_in_session(export_path, requests, tmp_path)
    missing = set(run.signatures) - {signature for signature, _ in requests}
    assert not missing, f"signatures never called: {sorted(missing)}"
    assert run.warmup, f"{export_path} has no warmup records"
    for name, signature, result in run.warmup:
        assert "error" not in result, (signature, result)
        if model_name is not None:
            assert name == model_name, (name, model_name)
    outputs = []
    for (signature, inputs), result in zip(requests, run.results):
        assert "error" not in result, (signature, result)
        assert sorted(result["outputs"]) == run.signatures[signature]["outputs"]
        outputs.append(result["outputs"])
    for got, want in zip(outputs, expected or []):
        for key, value in (want or {}).items():
            value = np.asarray(value)
            if value.dtype.kind == "f":
                np.testing.assert_allclose(got[key], value, atol=atol, err_msg=key)
            else:
                np.testing.assert_array_equal(got[key], value, err_msg=key)
    return outputs
