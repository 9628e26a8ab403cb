"""Shape checks with messages that name the config field most likely at fault.

The most common import failure is a generator-size mismatch between a
config and a checkpoint, which TensorFlow reports as an anonymous shape
error. Every weight is checked here BEFORE any is assigned, and the first
mismatch becomes one `UsageError` naming the variable, both shapes and the
field, e.g.:

    generator/embeddings_project/kernel: the checkpoint has shape [128, 256] but
    the config gives [128, 64]: generator hidden size 256 vs 64: is
    generator_hidden_size 1.0 or 0.25?
"""

from electra_tf.convert import name_maps
from electra_tf.errors import UsageError


def _ratio(value, base):
    return f"{value / base:.4g}" if base else "?"


def field_hint(symbol, got, expected, config):
    """Which `ElectraConfig` field a size `got` (checkpoint) vs `expected` (config) points to.

    Args:
        symbol: size symbol of the differing axis (`name_maps.SIZE_SYMBOLS`).
        got: int. The size in the checkpoint.
        expected: int. The size the config gives.
        config: `ElectraConfig` the model is built from.

    Returns:
        str, e.g. "generator hidden size 64 vs 256: is generator_hidden_size
        0.25 or 1.0?".

    Example:
    ```python
    field_hint("Hg", 64, 256, config)
    ```
    """
    field, words = name_maps.SIZE_SYMBOLS.get(symbol, (None, "size"))
    fraction = f"{config.generator_hidden_size:.4g}"
    if symbol == "Hg":
        return (f"{words} {got} vs {expected}: is generator_hidden_size "
                f"{_ratio(got, config.hidden_size)} or {fraction}?")
    if symbol == "Ig":
        return (f"{words} {got} vs {expected}: is generator_intermediate_size {got} "
                f"(null derives 4 x the generator's hidden size {config.generator_hidden})?")
    if field is None:
        return f"size {got} vs {expected}: the checkpoint is not an ELECTRA model of this layout."
    return f"{words} {got} vs {expected}: is {field} {got} or {expected}?"


def check_shape(name, got, weight, config, source_shape=None, expected_source_shape=None):
    """Raises `UsageError` unless the canonical shape `got` is `weight.shape`.

    Args:
        name: str. The variable as the user's checkpoint names it.
        got: tuple. Its shape in the canonical layout.
        weight: `name_maps.ResolvedWeight` it should fill.
        config: `ElectraConfig` the model is built from.
        source_shape, expected_source_shape: the two shapes as the source
            format lays them out (e.g. PyTorch [out, in]), for the message;
            default to the canonical ones.

    Example:
    ```python
    check_shape("electra/embeddings/word_embeddings", (30522, 128), weight, config)
    ```
    """
    got = tuple(int(d) for d in got)
    if got == tuple(weight.shape):
        return
    shown_got = list(source_shape if source_shape is not None else got)
    shown_expected = list(expected_source_shape if expected_source_shape is not None
                          else weight.shape)
    if len(got) != len(weight.shape):
        hint = (f"rank {len(got)} vs {len(weight.shape)}: the checkpoint's {name} is not "
                "the tensor this name holds in ELECTRA.")
    else:
        axis = next(a for a, (g, e) in enumerate(zip(got, weight.shape, strict=True)) if g != e)
        hint = field_hint(weight.axes[axis], got[axis], weight.shape[axis], config)
    raise UsageError(
        f"{name}: the checkpoint has shape {shown_got} but the config gives "
        f"{shown_expected}; {hint}"
    )
