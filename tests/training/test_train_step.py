"""The training step's arithmetic: clipping norm with sparse gradients, exact accumulation.

Each test compares one update against an independent computation on dense
gradients / the full batch (see tests/training/numerics.py for why the step
is made deterministic).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from electra_tf.training.optimizer import create_optimizer
from tests.training.numerics import TOLERANCE
from tests.training.numerics import deterministic_config
from tests.training.numerics import eager_functions
from tests.training.numerics import max_difference
from tests.training.numerics import new_model
from tests.training.numerics import one_update
from tests.training.numerics import ragged_batch
from tests.training.numerics import reference_update


def _trained_variables(model):
    pooler = {id(v) for v in model.discriminator.pooled_dense.trainable_variables}
    return [v for v in model.trainable_variables if id(v) not in pooler]


@pytest.fixture(scope="module")
def dense_reference():
    """Initial weights, the clipping config, the true norm and the weights after
    Keras's AdamW applied the dense (duplicates summed) gradients."""
    batch = ragged_batch()
    probe = new_model(deterministic_config())
    weights = [np.array(w) for w in probe.get_weights()]
    variables = _trained_variables(probe)
    with tf.GradientTape() as tape:
        outputs = probe.compute_outputs(batch, probe.step_seed(0), training=True)
    raw = tape.gradient(outputs["total_loss"], variables)
    # The premise: the segment embedding's gradient has one row per token.
    sparse = [g for g in raw if isinstance(g, tf.IndexedSlices)]
    assert sparse and any(g.indices.shape[0] > 2 for g in sparse)
    dense = [tf.convert_to_tensor(g) for g in raw]
    norm = float(tf.linalg.global_norm(dense))
    # Clip at half the true norm: the update's size then depends on the norm used.
    config = deterministic_config(clip_norm=norm / 2)
    reference = new_model(config, weights)
    create_optimizer(config).apply_gradients(zip(dense, _trained_variables(reference)))
    expected = [np.array(w) for w in reference.get_weights()]
    return dict(batch=batch, weights=weights, config=config, norm=norm, expected=expected)


@pytest.mark.parametrize("path", ["loop", "loop_xla", "fit"])
@pytest.mark.slow
def test_clipped_update_equals_the_one_from_dense_gradients(path, dense_reference):
    batch, config = dense_reference["batch"], dense_reference["config"]
    model = new_model(config, dense_reference["weights"])
    if path == "fit":
        model.compile(optimizer=create_optimizer(config), run_eagerly=True)
        model.fit(tf.data.Dataset.from_tensors(batch), steps_per_epoch=1, verbose=0)
    elif path == "loop":
        with eager_functions():
            _, grad_norm = one_update(model, config, [batch])
    else:
        _, grad_norm = one_update(model, config, [batch], jit_compile=True)
    difference = max_difference(model.get_weights(), dense_reference["expected"])
    assert difference <= TOLERANCE
    if path != "fit":  # the logged norm
        assert grad_norm == pytest.approx(dense_reference["norm"], rel=1e-5)


def test_accumulated_micro_batches_equal_one_full_batch():
    """2 x 16 accumulated == one batch of 32, with halves of unequal token counts."""
    config = deterministic_config()
    batch = ragged_batch()
    weights = [np.array(w) for w in new_model(config).get_weights()]

    model = new_model(config, weights)
    halves = [{k: v[:16] for k, v in batch.items()}, {k: v[16:] for k, v in batch.items()}]
    with eager_functions():
        expected, expected_loss, expected_norm = reference_update(config, weights, batch)
        loss, grad_norm = one_update(model, config, halves, grad_accum_steps=2)
    difference = max_difference(model.get_weights(), expected)
    assert difference <= TOLERANCE
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert grad_norm == pytest.approx(expected_norm, rel=1e-5)


def _relative_update_error(weights, after, expected):
    """|Δw - Δw_expected| / |Δw_expected| over all weights."""
    error = sum(float(np.sum((np.asarray(a) - np.asarray(e)) ** 2)) for a, e in zip(after, expected))
    size = sum(float(np.sum((np.asarray(e) - w) ** 2)) for e, w in zip(expected, weights))
    return (error / size) ** 0.5


# (policy, micro-batches, loss rtol, grad-norm rtol, weight-change rtol). Measured here:
# bf16 (2 x 16 accumulated) loss 3e-5, norm 1.1e-3, weight change 1.9e-2; fp16 (loss
# scaling) 1e-6, 8e-5, 1.7e-3. Tolerances are ~3-5x those.
MIXED = [("mixed_bfloat16", 2, 1e-4, 5e-3, 0.05), ("mixed_float16", 1, 1e-5, 5e-4, 0.01)]


@pytest.mark.parametrize("policy, accumulate, loss_tol, norm_tol, update_tol", MIXED)
def test_mixed_precision_update_matches_float32(policy, accumulate, loss_tol, norm_tol,
                                                update_tol):
    """One update in reduced precision against the float32 full-batch update."""
    config = deterministic_config(clip_norm=1e6)  # unclipped: the scale shows in the weights
    batch = ragged_batch()
    weights = [np.array(w) for w in new_model(config).get_weights()]
    with eager_functions():
        expected, expected_loss, expected_norm = reference_update(config, weights, batch)
        keras.mixed_precision.set_global_policy(policy)
        try:
            model = new_model(config, weights)
            size = len(batch["token_ids"]) // accumulate
            micro = [{k: v[i * size:(i + 1) * size] for k, v in batch.items()}
                     for i in range(accumulate)]
            loss, grad_norm = one_update(model, config, micro, grad_accum_steps=accumulate,
                                         mixed_precision=policy)
        finally:
            keras.mixed_precision.set_global_policy("float32")
    error = _relative_update_error(weights, model.get_weights(), expected)
    assert loss == pytest.approx(expected_loss, rel=loss_tol)
    assert grad_norm == pytest.approx(expected_norm, rel=norm_tol)
    assert error <= update_tol
