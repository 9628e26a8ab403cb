"""Layer-wise learning-rate decay for fine-tuning (spec §4), done without the
reference's off-by-one.

With L Transformer layers and decay d, the task head, the pooler and the top
layer (index L-1) train at the full rate; layer i trains at d^(L-1-i); the
embeddings (and their projection) at d^L. The reference (its issue #51) gives
the top layer d^2 and the embeddings d^(L+1): every layer one step too low.
"""

import keras

from electra_tf.training.schedules import WarmupLinearDecay

_EMBEDDING_LAYERS = ("token_embedding", "position_embedding", "segment_embedding",
                     "embeddings_layer_norm", "embeddings_projection")


def layer_multipliers(backbone, variables, decay):
    """{id(variable): learning-rate multiplier} for `variables`.

    Variables of `backbone`'s embeddings and Transformer layers get decayed
    multipliers; everything else (task heads, the pooler) gets 1.0.

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        variables: the trainable variables being optimized.
        decay: float in (0, 1]. 0.8 for small/base, 0.9 for large (reference).
    """
    num_layers = len(backbone.transformer_layers)
    multipliers = {}
    for index, layer in enumerate(backbone.transformer_layers):
        for variable in layer.trainable_variables:
            multipliers[id(variable)] = decay ** (num_layers - 1 - index)
    for name in _EMBEDDING_LAYERS:
        layer = getattr(backbone, name, None)
        for variable in (layer.trainable_variables if layer is not None else []):
            multipliers[id(variable)] = decay ** num_layers
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
        self._multipliers = {self._var_key(v): self._multipliers_by_id.get(id(v), 1.0)
                             for v in variables}
        super().build(variables)

    def _multiplier(self, variable):
        return self._multipliers.get(self._var_key(variable), 1.0)

    def update_step(self, gradient, variable, learning_rate):
        return super().update_step(gradient, variable, learning_rate * self._multiplier(variable))

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                rate = keras.ops.cast(self.learning_rate, variable.dtype) * self._multiplier(variable)
                variable.assign(variable - variable * rate * self.weight_decay)


def create_finetune_optimizer(model, backbone, learning_rate, total_steps, warmup_fraction=0.1,
                              layer_decay=0.8, weight_decay=0.01):
    """AdamW, 10% linear warmup then linear decay, layer-wise rates, clip 1.0.

    Example:
    ```python
    optimizer = create_finetune_optimizer(model, backbone, 3e-4, total_steps=1000)
    ```
    """
    variables = model.trainable_variables
    optimizer = LayerwiseAdamW(
        multipliers=layer_multipliers(backbone, variables, layer_decay),
        learning_rate=WarmupLinearDecay(learning_rate, int(total_steps * warmup_fraction),
                                        total_steps),
        weight_decay=weight_decay, epsilon=1e-6, global_clipnorm=1.0,
    )
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    return optimizer
