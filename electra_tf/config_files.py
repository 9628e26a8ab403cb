"""Finding the JSON files of `configs/`, in a source checkout and in an installed wheel.

The repository keeps them in its top-level `configs/`; setup.py installs that
folder as the package `electra_tf.configs`, so `--config=configs/electra_small.json`
(or `electra_small`) names the same file whether a tool runs from a checkout or
from `pip install electra-tf`.
"""

import importlib.resources
import os

from electra_tf.errors import UsageError

CONFIGS_PACKAGE = "electra_tf.configs"
_CHECKOUT_CONFIGS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs")


def configs_dir():
    """The folder holding the shipped configs (installed package, else the checkout's)."""
    try:
        folder = importlib.resources.files(CONFIGS_PACKAGE)
        if folder.is_dir():
            return str(folder)
    except ModuleNotFoundError:  # a checkout on sys.path without `pip install`
        pass
    return _CHECKOUT_CONFIGS


def config_path(name):
    """The path of a config file given as a path or as a shipped config's name.

    Args:
        name: str. An existing file, or a name relative to `configs/`, with or
            without the `configs/` prefix and the `.json` suffix
            ("configs/electra_small.json", "electra_small", "finetune/base").

    Returns:
        str: an existing file.

    Raises:
        UsageError: neither a file nor a shipped config; names the choices.

    Example:
    ```python
    config_path("electra_small")  # ".../configs/electra_small.json"
    ```
    """
    if os.path.isfile(name):
        return name
    relative = name[len("configs/"):] if name.startswith("configs/") else name
    folder = configs_dir()
    for candidate in (relative, relative + ".json"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    shipped = sorted(os.path.splitext(f)[0] for f in os.listdir(folder) if f.endswith(".json"))
    raise UsageError(f"config {name!r} is neither a file nor a shipped config (shipped, in "
                     f"{folder}: {', '.join(shipped)}).")
