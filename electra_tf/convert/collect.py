"""Gathering a source's tensors into canonical arrays, every shape checked first.

Both importers describe their format with a `fetch` function and a layout
(TF1: identity; Hugging Face: transposed Linear weights); this module walks
the table (`name_maps.resolve`), checks every tensor's shape against the
config, reports missing ones together, and only then returns the arrays, so
nothing is assigned from a checkpoint that does not fit.
"""

import numpy as np

from electra_tf.convert import mismatch
from electra_tf.convert import name_maps
from electra_tf.errors import UsageError

PARTS = ("embeddings", "discriminator", "discriminator_head", "generator", "generator_head")


def _missing_hint(weight, config):
    if "embeddings_project" in weight.google:
        hidden = weight.shape[1]
        return (f" The config has embedding_size {config.embedding_size} != hidden size "
                f"{hidden}, so it expects a projection the checkpoint lacks: is embedding_size "
                f"{hidden}?")
    return ""


def collect_canonical(config, parts, fetch, to_canonical, source_shape, source):
    """Canonical arrays of the weights of `parts`, keyed by TF1 name.

    Args:
        config: `ElectraConfig` the model will be built from.
        parts: iterable of part names (see `PARTS`) to load.
        fetch: callable(ResolvedWeight) -> `(name, array)` in the source's
            own naming and layout; array None when the source lacks it.
        to_canonical: callable(array, ResolvedWeight) -> canonical array.
        source_shape: callable(ResolvedWeight) -> the shape the source
            should have (for messages).
        source: str. The checkpoint, for messages.

    Returns:
        dict {google name: float32 np.ndarray}.

    Raises:
        UsageError: a shape mismatch (naming variable, shapes and field), or
            weights missing from the source.

    Example:
    ```python
    arrays = collect_canonical(config, ["embeddings", "discriminator"], fetch,
                               lambda a, w: a, lambda w: w.shape, path)
    ```
    """
    parts = set(parts)
    arrays, missing = {}, []
    for weight in name_maps.resolve(config):
        if weight.part not in parts:
            continue
        name, array = fetch(weight)
        if array is None:
            missing.append((name, weight))
            continue
        array = np.asarray(array)
        canonical = to_canonical(array, weight)
        mismatch.check_shape(name, canonical.shape, weight, config,
                             source_shape=array.shape,
                             expected_source_shape=source_shape(weight))
        arrays[weight.google] = canonical.astype(np.float32)
    if missing:
        names = ", ".join(name for name, _ in missing[:3])
        raise UsageError(
            f"{source}: {len(missing)} weight(s) the config needs are missing, e.g. {names}."
            f"{_missing_hint(missing[0][1], config)}"
        )
    return arrays
