"""Makes a `tf.Module` of Keras 3 layers save variables TF Serving can restore.

A `tf.Module` that holds Keras 3 layers and is written with
`tf.saved_model.save` tracks the layers' `keras.Variable` wrappers, but the
traced signatures capture the `tf.Variable`s behind them. `tf.saved_model.load`
papers over the difference; TF Serving's loader (the TF1 `SavedModelBundle`
session loader, also used by `saved_model_cli run`) restores variables by the
object graph and then fails with "Could not find variable ..." on every
signature (keras-team/keras #19274, #20095; tensorflow/serving #2250).
Tracking the backing `tf.Variable`s themselves on the module puts the captured
variables into the object graph, so both loaders restore the same ones.
"""

import keras
import tensorflow as tf

from electra_tf.errors import UsageError

TRACKED_ATTRIBUTE = "backing_variables"


def keras_layers(root):
    """Every Keras layer reachable from `root`'s attributes (through nested
    `tf.Module`s, lists, tuples and dicts), each once."""
    found, seen, stack = [], set(), [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, keras.layers.Layer):
            found.append(obj)
        elif isinstance(obj, tf.Module):
            stack.extend(value for key, value in vars(obj).items() if not key.startswith("_self"))
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
    return found


def track_backing_variables(module):
    """Sets `module.backing_variables` to the `tf.Variable` behind every
    `keras.Variable` of the Keras layers `module` holds; returns their count."""
    variables, seen = [], set()
    for layer in keras_layers(module):
        for variable in layer.variables:
            backing = variable.value if isinstance(variable, keras.Variable) else variable
            if not isinstance(backing, tf.Variable):
                raise UsageError(
                    f"cannot export {variable.path}: it is backed by {type(backing).__name__}, "
                    "not a tf.Variable (export outside any stateless or autocast scope).")
            if id(backing) not in seen:
                seen.add(id(backing))
                variables.append(backing)
    setattr(module, TRACKED_ATTRIBUTE, variables)
    return len(variables)
