"""Reading and writing an `ElectraPretrainer`'s weights by their canonical (TF1) names.

Both importers turn their source into `{google name: canonical array}` and
call `assign_canonical`; the exporter calls `read_canonical`. The Keras
variables are found through the `ours` attribute paths of `name_maps`, not
through variable names, because Keras 3 variable paths drop the enclosing
model's name (`token_embedding/embeddings`, not `discriminator/...`).
"""

import re

import numpy as np

from electra_tf.convert import layouts
from electra_tf.convert import name_maps

_INDEXED = re.compile(r"^(\w+)\[(\d+)\]$")


def ours_variable(model, weight):
    """The Keras variable at `weight.ours` (e.g. "generator.transformer_layers[0]....kernel").

    Args:
        model: `ElectraPretrainer`.
        weight: `name_maps.ResolvedWeight`.

    Example:
    ```python
    variable = ours_variable(model, weight)
    variable.shape
    ```
    """
    target = model
    for step in weight.ours.split("."):
        match = _INDEXED.match(step)
        if match:
            target = getattr(target, match.group(1))[int(match.group(2))]
        else:
            target = getattr(target, step)
    return target


def read_canonical(model, config, towers=name_maps.TOWERS):
    """Every weight of `model` in the canonical layout, keyed by its TF1 name.

    Args:
        model: `ElectraPretrainer`.
        config: its `ElectraConfig`.
        towers: towers (with heads) to read; the shared embeddings always.

    Returns:
        dict {google name: float32 np.ndarray}.

    Example:
    ```python
    arrays = read_canonical(model, config)
    arrays["electra/embeddings/word_embeddings"].shape  # (V, E)
    ```
    """
    arrays = {}
    for weight in name_maps.resolve(config, towers):
        value = np.asarray(ours_variable(model, weight).numpy(), dtype=np.float32)
        arrays[weight.google] = layouts.ours_to_canonical(value, weight)
    return arrays


def assign_canonical(model, config, arrays):
    """Assigns canonical arrays to `model`'s variables (those in `arrays`; others stay).

    The caller has checked every shape (`collect.collect_canonical`) with
    the names of its own format; a mismatch here is a bug, so it asserts.

    Args:
        model: `ElectraPretrainer` built from `config`.
        config: `ElectraConfig`.
        arrays: dict {google name: canonical np.ndarray}.

    Returns:
        int: the number of variables assigned.

    Example:
    ```python
    assign_canonical(model, config, read_canonical(other_model, config))
    ```
    """
    count = 0
    for weight in name_maps.resolve(config):
        if weight.google not in arrays:
            continue
        variable = ours_variable(model, weight)
        value = layouts.canonical_to_ours(np.asarray(arrays[weight.google]), weight)
        assert tuple(variable.shape) == value.shape, (weight.ours, variable.shape, value.shape)
        variable.assign(value.astype(variable.dtype))
        count += 1
    assert count == len(arrays), (count, len(arrays))
    return count
