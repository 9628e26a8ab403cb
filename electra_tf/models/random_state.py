"""A model's random-number state: what dropout draws from, outside its weights."""


def random_state_variables(model):
    """The model's variables that are not weights: its dropout seed generators' states.

    Keras keeps each `SeedGenerator` state in `model.variables` (recursively)
    but not in `model.weights`, so neither `save_weights` nor a
    `tf.train.Checkpoint` of the model saves it; checkpoint these as well and a
    resumed run draws the same dropout masks as an uninterrupted one.

    Args:
        model: `keras.Model` (built).

    Returns:
        list of variables, in the model's (fixed) variable order.

    Example:
    ```python
    checkpoint = tf.train.Checkpoint(model=model, rng=random_state_variables(model))
    ```
    """
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]
