"""`assets.extra/tf_serving_warmup_requests`: real requests TF Serving replays on load,
so the first user request does not pay for graph initialization."""

import os

import tensorflow as tf
from tensorflow_serving.apis import model_pb2
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_log_pb2

WARMUP_FILE = "tf_serving_warmup_requests"


def write_warmup_requests(export_path, model_name, requests):
    """Writes `PredictionLog` records for `requests` under `export_path/assets.extra/`.

    Args:
        export_path: str. A SavedModel version folder.
        model_name: str. The name the server knows the model by.
        requests: list of `(signature_name, {input_name: numpy-able value})`.

    Returns:
        str, the file written.
    """
    folder = os.path.join(export_path, "assets.extra")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, WARMUP_FILE)
    with tf.io.TFRecordWriter(path) as writer:
        for signature, inputs in requests:
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature))
            for name, value in inputs.items():
                request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


def read_warmup_requests(path):
    """Parses a warmup file back into `(signature_name, {name: numpy array})`."""
    requests = []
    for record in tf.data.TFRecordDataset(path):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        request = log.predict_log.request
        inputs = {name: tf.make_ndarray(proto) for name, proto in request.inputs.items()}
        requests.append((request.model_spec.signature_name, inputs))
    return requests
