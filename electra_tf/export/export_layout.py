"""The folders of an export, and how to find its SavedModels again.

```
export_dir/
  discriminator/<version>/    SavedModel (a numeric version folder, as TF Serving wants)
  generator/<version>/        SavedModel
  keras_hub_preset/
```

`exporter.py` writes this layout; `locate_export` reads it back for anything
that loads an export (the demo, tools). The tower names are also the
`ElectraPretrainer` attributes and the Hugging Face folder names
(`electra_tf.convert.name_maps` imports them from here), so one spelling
serves every format.

This module imports only the standard library and `electra_tf.errors`: finding
an export must not load TensorFlow or Keras.
"""

import os

from electra_tf.errors import UsageError

DISCRIMINATOR = "discriminator"
GENERATOR = "generator"
TOWERS = (DISCRIMINATOR, GENERATOR)
PRESET = "keras_hub_preset"
SAVED_MODEL_FILE = "saved_model.pb"


def version_dir(export_dir, tower, version):
    """The SavedModel folder of `tower` at `version`: `export_dir/<tower>/<version>`.

    Args:
        export_dir: str.
        tower: `DISCRIMINATOR` or `GENERATOR`.
        version: int or str.

    Returns:
        str.

    Example:
    ```python
    version_dir("exports", DISCRIMINATOR, 600)  # "exports/discriminator/600"
    ```
    """
    return os.path.join(export_dir, tower, str(version))


def is_saved_model(path):
    """Whether `path` is a SavedModel folder (holds `saved_model.pb`).

    Example:
    ```python
    is_saved_model("exports/discriminator/600")  # True
    ```
    """
    return os.path.isfile(os.path.join(path, SAVED_MODEL_FILE))


def saved_model_versions(folder):
    """The numeric subfolders of `folder` that hold a SavedModel, highest first.

    The exporter's unfinished `.tmp` folders are skipped (not numeric).

    Args:
        folder: str, e.g. `export_dir/discriminator`. A missing folder has none.

    Returns:
        list of str.

    Example:
    ```python
    saved_model_versions("exports/discriminator")  # ["600", "300"]
    ```
    """
    if not os.path.isdir(folder):
        return []
    names = [name for name in os.listdir(folder)
             if name.isdigit() and is_saved_model(os.path.join(folder, name))]
    return sorted(names, key=int, reverse=True)


def is_export(path):
    """Whether `path` is an export folder: it holds `discriminator/<version>/`.

    Example:
    ```python
    is_export("exports")  # True; a pretraining model_dir gives False
    ```
    """
    return bool(saved_model_versions(os.path.join(path, DISCRIMINATOR)))


def locate_export(path):
    """Finds the discriminator (and generator) SavedModels of an export.

    Args:
        path: str. An export folder holding `discriminator/<version>/` (the
            highest version is taken), its `discriminator/` folder, or one
            SavedModel version folder itself.

    Returns:
        `(discriminator_dir, generator_dir)`; `generator_dir` is the
        generator's folder of the same version (else its highest version),
        or None when the export has none.

    Raises:
        UsageError: `path` is missing or holds no discriminator SavedModel.

    Example:
    ```python
    locate_export("exports")  # ("exports/discriminator/600", "exports/generator/600")
    ```
    """
    path = os.path.normpath(path)
    if not os.path.exists(path):
        raise UsageError(f"{path!r} does not exist.")
    if is_saved_model(path):
        version = os.path.basename(path)
        generator = version_dir(os.path.dirname(os.path.dirname(path)), GENERATOR, version)
        return path, generator if is_saved_model(generator) else None
    if is_export(path):
        export_dir, discriminator_root = path, os.path.join(path, DISCRIMINATOR)
    elif saved_model_versions(path) and os.path.basename(path) != GENERATOR:
        export_dir, discriminator_root = os.path.dirname(path), path
    else:
        hint = ""
        if os.path.isfile(os.path.join(path, "config.json")):
            hint = (" It looks like a pretraining model_dir: load it as a model_dir "
                    "(--model_dir) instead.")
        raise UsageError(
            f"{path!r} holds no {DISCRIMINATOR}/<version>/ SavedModel and is not a SavedModel "
            f"folder. Export the run first (python tools/export.py --model_dir=RUN "
            f"--export_dir={path}).{hint}"
        )
    version = saved_model_versions(discriminator_root)[0]
    generator_versions = saved_model_versions(os.path.join(export_dir, GENERATOR))
    if not generator_versions:
        return os.path.join(discriminator_root, version), None
    generator_version = version if version in generator_versions else generator_versions[0]
    return (os.path.join(discriminator_root, version),
            version_dir(export_dir, GENERATOR, generator_version))
