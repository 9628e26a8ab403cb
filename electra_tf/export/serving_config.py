"""TF Serving's side files: `models.config` (which models to serve) and
`batching_parameters.txt` (server-side request batching)."""

import os

from electra_tf.errors import UsageError

# Where the README's `docker run -v $PWD/exports:/models` mounts the export folder.
DEFAULT_SERVING_BASE_PATH = "/models"

# Batches of up to 64 texts within 2 ms: a latency/throughput middle ground
# for encoder models; raise max_batch_size on a GPU.
BATCHING_PARAMETERS = """max_batch_size { value: 64 }
batch_timeout_micros { value: 2000 }
max_enqueued_batches { value: 100 }
num_batch_threads { value: 4 }
pad_variable_length_inputs: true
"""


def write_serving_config(export_dir, models, base_path=DEFAULT_SERVING_BASE_PATH):
    """Writes models.config for `models` ({name: folder under export_dir}) and
    batching_parameters.txt; returns their paths.

    `base_path` is where export_dir is mounted in the server (the README's
    `docker run -v $PWD/exports:/models` mounts it at /models).
    """
    base_path = base_path.rstrip("/") or "/"
    if not os.path.isabs(base_path):
        raise UsageError(f"--serving_base_path must be absolute (the server's view), got "
                         f"{base_path!r}.")
    entries = "".join(
        f'  config {{\n    name: "{name}"\n    base_path: "{os.path.join(base_path, folder)}"\n'
        f'    model_platform: "tensorflow"\n  }}\n'
        for name, folder in models.items()
    )
    config_path = os.path.join(export_dir, "models.config")
    with open(config_path, "w", encoding="utf-8") as f:
        f.write("model_config_list {\n" + entries + "}\n")
    batching_path = os.path.join(export_dir, "batching_parameters.txt")
    with open(batching_path, "w", encoding="utf-8") as f:
        f.write(BATCHING_PARAMETERS)
    return config_path, batching_path
