"""Array layouts: the canonical (TF1) one, ours (keras-hub) and Hugging Face's.

The importers and exporters move every weight through the canonical layout of
the reference checkpoint (docs/algorithm.md §8), so each format needs one conversion each
way:

- ours: keras-hub's attention projections are `EinsumDense` layers whose
  kernels keep the heads as their own axis ([H, heads, head_dim] for q/k/v,
  [heads, head_dim, H] for the output), where TF1 and PyTorch flatten them
  to [H, heads * head_dim]. Head-major flattening is what BERT's
  `transpose_for_scores` assumes, so a plain reshape is exact.
- Hugging Face: a PyTorch `nn.Linear` weight is [out, in], the transpose of a
  TF kernel; every other array (embeddings, biases, LayerNorm) is the same.
"""

import numpy as np

from electra_tf.convert import name_maps


def canonical_to_ours(array, weight):
    """Reshapes a canonical array into the shape of our Keras variable.

    Args:
        array: np.ndarray in the canonical layout, shape `weight.shape`.
        weight: `name_maps.ResolvedWeight`.

    Returns:
        np.ndarray shaped like the Keras variable `weight.ours`.

    Example:
    ```python
    kernel = canonical_to_ours(np.zeros([64, 64]), weight)  # -> [64, heads, 64 // heads]
    ```
    """
    heads = weight.heads
    if weight.layout == name_maps.HEADS_IN:
        return array.reshape(array.shape[0], heads, -1)
    if weight.layout == name_maps.HEADS_BIAS:
        return array.reshape(heads, -1)
    if weight.layout == name_maps.HEADS_OUT:
        return array.reshape(heads, -1, array.shape[-1])
    return array


def ours_to_canonical(array, weight):
    """Inverse of `canonical_to_ours`: flattens the heads axes back.

    Example:
    ```python
    flat = ours_to_canonical(variable.numpy(), weight)  # shape == weight.shape
    ```
    """
    if weight.layout == name_maps.HEADS_IN:
        return array.reshape(array.shape[0], -1)
    if weight.layout == name_maps.HEADS_BIAS:
        return array.reshape(-1)
    if weight.layout == name_maps.HEADS_OUT:
        return array.reshape(-1, array.shape[-1])
    return array


def hf_to_canonical(array, weight):
    """A Hugging Face tensor (as numpy) in the canonical layout: Linear weights transposed.

    Example:
    ```python
    kernel = hf_to_canonical(state["electra.embeddings_project.weight"], weight)  # [E, H]
    ```
    """
    return np.ascontiguousarray(array.T) if weight.hf_linear else array


def canonical_to_hf(array, weight):
    """Inverse of `hf_to_canonical` (transposition is its own inverse)."""
    return hf_to_canonical(array, weight)


def hf_shape(weight):
    """The shape `weight` has in a Hugging Face state dict."""
    return tuple(reversed(weight.shape)) if weight.hf_linear else tuple(weight.shape)
