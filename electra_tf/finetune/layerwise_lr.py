"""Layer-wise learning-rate decay for fine-tuning (docs/algorithm.md §7), the authors' way.

With L Transformer layers and decay d, the task head counts as a layer
(google-research/electra issue #51, the authors' answer): the head trains at
the full rate, the top encoder layer (index L-1) at d, layer i at d^(L-i),
and the embeddings (and their projection) at d^(L+1). The released code gives
the top layer d^2 and the embeddings d^(L+2), a leftover of the pooler it
removed. The decay defaults to 0.8, and 0.9 for large models, as the
reference's configure_finetuning.py sets it.
"""

import keras

from electra_tf.private_apis import optimizer_variable_key
from electra_tf.training.schedules import WarmupLinearDecay

_EMBEDDING_LAYERS = ("token_embedding", "position_embedding", "segment_embedding",
                     "embeddings_layer_norm", "embeddings_projection")


# The reference's model_size "large" (24 layers, hidden 1024) fine-tunes with 0.9.
LARGE_HIDDEN_SIZE = 1024
DEFAULT_LAYER_DECAY = 0.8
LARGE_LAYER_DECAY = 0.9


def default_layer_decay(backbone):
    """The reference's decay for this model size: 0.9 for large, else 0.8.

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.

    Returns:
        float.
    """
    large = backbone.hidden_dim >= LARGE_HIDDEN_SIZE
    return LARGE_LAYER_DECAY if large else DEFAULT_LAYER_DECAY


# Peak fine-tuning rates by hidden size: the reference's for Small (256), Base
# (768) and Large (1024). Below Small (the default job's tiny models, pretrained
# for minutes) 3e-4 learns only the class prior in 3 epochs; 1e-3 learns (README
# section 7 has the measurements).
LEARNING_RATES = ((128, 1e-3), (256, 3e-4), (768, 1e-4), (1024, 5e-5))


def default_learning_rate(backbone):
    """The peak fine-tuning rate for this model size (see `LEARNING_RATES`).

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.

    Returns:
        float: the rate of the first size at or above `backbone.hidden_dim`
        (the largest size's rate beyond it).
    """
    for hidden, rate in LEARNING_RATES:
        if backbone.hidden_dim <= hidden:
            return rate
    return LEARNING_RATES[-1][1]


def layer_multipliers(backbone, variables, decay):
    """{id(variable): learning-rate multiplier} for `variables`.

    Transformer layer i (of L) gets decay^(L-i), so the top one gets decay;
    the embeddings and their projection decay^(L+1); everything else (task
    heads, the backbone's unused pooler) 1.0.

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        variables: the trainable variables being optimized.
        decay: float in (0, 1]. 0.8 for small/base, 0.9 for large (reference).

    Returns:
        dict {id(variable): float} with an entry for each of `variables`.
    """
    num_layers = len(backbone.transformer_layers)
    multipliers = {}
    for index, layer in enumerate(backbone.transformer_layers):
        for variable in layer.trainable_variables:
            multipliers[id(variable)] = decay ** (num_layers - index)
    for name in _EMBEDDING_LAYERS:
        layer = getattr(backbone, name, None)
        for variable in (layer.trainable_variables if layer is not None else []):
            multipliers[id(variable)] = decay ** (num_layers + 1)
    return {id(v): multipliers.get(id(v), 1.0) for v in variables}


@keras.saving.register_keras_serializable(package="electra_tf")
class LayerwiseAdamW(keras.optimizers.AdamW):
    """AdamW whose step for each variable uses `learning_rate * multiplier[variable]`.

    Scaling gradients would not work: Adam normalizes them away. The decoupled
    weight decay uses the same per-variable rate.

    Args:
        multipliers: dict id(variable) -> float (see `layer_multipliers`).
        **kwargs: passed to `keras.optimizers.AdamW`.
    """

    def __init__(self, multipliers=None, **kwargs):
        super().__init__(**kwargs)
        self._multipliers_by_id = dict(multipliers or {})
        self._multipliers = {}

    def build(self, variables):
        # update_step receives the backend's tf.Variable, not the Keras
        # Variable the multipliers were computed for: key them the way the
        # optimizer itself keys variables.
        self._multipliers = {optimizer_variable_key(self, v):
                             self._multipliers_by_id.get(id(v), 1.0) for v in variables}
        super().build(variables)

    def _multiplier(self, variable):
        return self._multipliers.get(optimizer_variable_key(self, variable), 1.0)

    def update_step(self, gradient, variable, learning_rate):
        return super().update_step(gradient, variable, learning_rate * self._multiplier(variable))

    # Keras' hook for the decoupled decay (private_apis.py names it): the
    # public `update_step` never sees the decay, which must use our rates.
    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                rate = keras.ops.cast(self.learning_rate, variable.dtype) * self._multiplier(variable)
                variable.assign(variable - variable * rate * self.weight_decay)


def create_finetune_optimizer(model, backbone, learning_rate, total_steps, warmup_fraction=0.1,
                              layer_decay=None, weight_decay=0.01):
    """AdamW, 10% linear warmup then linear decay, layer-wise rates, clip 1.0.

    Args:
        model: the fine-tuning model (built: its variables must exist).
        backbone: its `keras_hub.models.ElectraBackbone`.
        learning_rate: float or None. Peak rate (the head's); None takes
            `default_learning_rate(backbone)`.
        total_steps: int. Optimizer steps of the whole run.
        warmup_fraction: float. Share of `total_steps` warming up linearly.
        layer_decay: float or None. None takes `default_layer_decay(backbone)`.
        weight_decay: float. Decoupled decay, not on LayerNorm and biases.

    Returns:
        `LayerwiseAdamW`.

    Example:
    ```python
    optimizer = create_finetune_optimizer(model, backbone, 3e-4, total_steps=1000)
    ```
    """
    if layer_decay is None:
        layer_decay = default_layer_decay(backbone)
    if learning_rate is None:
        learning_rate = default_learning_rate(backbone)
    variables = model.trainable_variables
    optimizer = LayerwiseAdamW(
        multipliers=layer_multipliers(backbone, variables, layer_decay),
        learning_rate=WarmupLinearDecay(learning_rate, int(total_steps * warmup_fraction),
                                        total_steps),
        weight_decay=weight_decay, epsilon=1e-6, global_clipnorm=1.0,
    )
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return optimizer
