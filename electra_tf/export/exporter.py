"""`export_model_dir`: a run's checkpoint -> SavedModels, warmup, serving config, preset.

```
export_dir/
  discriminator/<version>/    SavedModel: serving_default, serving_pair, encode, encode_pair, encode_ids
      assets.extra/tf_serving_warmup_requests
  generator/<version>/        SavedModel: fill_mask (= serving_default)
      assets.extra/tf_serving_warmup_requests
  keras_hub_preset/           ElectraBackbone + ElectraTokenizer (keras-hub format)
  models.config               serves both models with TF Serving
  batching_parameters.txt
```

The folder names live in `export_layout.py`, which also finds them again.
"""

import os
import shutil
import time

import numpy as np
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.export_layout import DISCRIMINATOR
from electra_tf.export.export_layout import GENERATOR
from electra_tf.export.export_layout import PRESET
from electra_tf.export.export_layout import TOWERS
from electra_tf.export.export_layout import version_dir
from electra_tf.export.op_audit import audit_saved_model
from electra_tf.export.preset import save_keras_hub_preset
from electra_tf.export.serving_config import DEFAULT_SERVING_BASE_PATH
from electra_tf.export.serving_config import write_serving_config
from electra_tf.export.serving_modules import DiscriminatorServing
from electra_tf.export.serving_modules import GeneratorServing
from electra_tf.export.variable_tracking import track_backing_variables
from electra_tf.export.warmup import write_warmup_requests
from electra_tf.training.model_dir import load_pretrainer

WARMUP_TEXTS = [
    "The movie was great and the acting superb.",
    "I would not watch it again.",
    "",
]


def served_name(folder):
    """The name TF Serving knows the model in `folder` by."""
    return f"electra_{folder}"


def check_target(path, overwrite):
    if os.path.exists(path):
        if not overwrite:
            raise UsageError(
                f"{path!r} already exists. Pass --overwrite to replace it, or choose another "
                "--version."
            )
        shutil.rmtree(path)


def save_serving_model(module, path, model_name, warmup_requests):
    """Saves `module` as a SavedModel version folder for TF Serving.

    Tracks the Keras layers' backing variables first
    (`track_backing_variables`), so TF Serving's session loader restores them.
    Writes to a temporary folder, audits its ops (`audit_saved_model`), adds
    the warmup requests, then renames it into place: TF Serving never sees a
    half-written version.

    Args:
        module: a `tf.Module` with a `signatures()` method.
        path: str. The version folder, e.g. exports/classifier/1.
        model_name: str. The name used in the warmup requests.
        warmup_requests: list of `(signature, {input: value})`.

    Returns:
        sorted list of the ops the graph uses.
    """
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    track_backing_variables(module)
    tf.saved_model.save(module, tmp, signatures=module.signatures())
    ops = audit_saved_model(tmp)
    write_warmup_requests(tmp, model_name, warmup_requests)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    os.replace(tmp, path)
    return ops


def export_model_dir(
    model_dir,
    export_dir,
    version=None,
    checkpoint=None,
    sequence_length=None,
    top_k=5,
    overwrite=False,
    keras_hub_preset=True,
    max_input_bytes=None,
    serving_base_path=DEFAULT_SERVING_BASE_PATH,
):
    """Exports a trained run for TF Serving and keras-hub.

    Args:
        model_dir: str. The pretraining run.
        export_dir: str. Receives the layout in this module's docstring.
        version: int or None. SavedModel version folder (None: the checkpoint's step).
        checkpoint: str or None. A ckpt-N prefix; None is the latest.
        sequence_length: int or None. Tokens per input (None: the run's max_seq_length).
        top_k: int. Candidates per [MASK] in `fill_mask`.
        overwrite: bool. Replace an existing version folder / preset.
        keras_hub_preset: bool. Also write the keras-hub preset.
        max_input_bytes: int or None. Bytes of each request text the signatures
            read (None: `input_limits.default_max_input_bytes(sequence_length)`).
        serving_base_path: str. Where export_dir is mounted in the TF Serving
            container; `models.config` names each model's folder under it.

    Returns:
        dict of paths and the op list of each SavedModel.

    Example:
    ```python
    export_model_dir("runs/electra_tiny", "exports")
    ```
    """
    start = time.time()
    model, tokenizer, config, checkpoint = load_pretrainer(model_dir, checkpoint)
    sequence_length = int(sequence_length or config.max_seq_length)
    if not 8 <= sequence_length <= config.max_position_embeddings:
        raise UsageError(
            f"sequence_length must be in [8, {config.max_position_embeddings}], got {sequence_length}.")
    version = int(version if version is not None else checkpoint.rsplit("-", 1)[-1])
    paths = {tower: version_dir(export_dir, tower, version) for tower in TOWERS}
    for path in paths.values():
        check_target(path, overwrite)
    if keras_hub_preset:
        check_target(os.path.join(export_dir, PRESET), overwrite)

    if max_input_bytes is not None and int(max_input_bytes) < 1:
        raise UsageError(f"max_input_bytes must be positive, got {max_input_bytes}.")
    modules = {
        DISCRIMINATOR: DiscriminatorServing(model, tokenizer, sequence_length, max_input_bytes),
        GENERATOR: GeneratorServing(model, tokenizer, sequence_length, top_k=top_k,
                                    max_input_bytes=max_input_bytes),
    }
    texts = np.array(WARMUP_TEXTS, dtype=object)
    warmup = {
        DISCRIMINATOR: [
            ("serving_default", {"text": texts}),
            ("serving_pair", {"text": texts, "text_pair": texts[::-1].copy()}),
            ("encode", {"text": texts}),
        ],
        GENERATOR: [("fill_mask", {"text": np.array(
            ["The movie was [MASK].", "A [MASK] film with a [MASK] ending."], dtype=object)})],
    }
    result = {"checkpoint": checkpoint, "version": version,
              "max_input_bytes": modules[DISCRIMINATOR].packer.max_input_bytes}
    for name, module in modules.items():
        # The warmup requests name the model as models.config does.
        result[f"{name}_ops"] = save_serving_model(
            module, paths[name], served_name(name), warmup[name])
        result[name] = paths[name]
    if keras_hub_preset:
        result[PRESET] = save_keras_hub_preset(model, tokenizer, os.path.join(export_dir, PRESET))
    result["models_config"], result["batching_parameters"] = write_serving_config(
        export_dir, {served_name(name): name for name in modules}, base_path=serving_base_path)
    result["seconds"] = round(time.time() - start, 2)
    return result
