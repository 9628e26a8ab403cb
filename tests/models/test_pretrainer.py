"""The full ELECTRA step on a tiny real model (docs/algorithm.md §2-§4)."""

import keras
import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from electra_tf.models import ElectraGenerator
from electra_tf.models import ElectraPretrainer
from electra_tf.models import ReplacedTokenDetectionHead
from electra_tf.models import TiedMaskedLMHead

from .batches import BERT_SPECIAL_IDS
from .batches import SPECIAL_IDS
from .batches import make_batch
from .batches import tiny_config

BATCH_SIZE = 4
SEQ_LENGTH = 32


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return ElectraPretrainer(tiny_config(), **SPECIAL_IDS)


@pytest.fixture(scope="module")
def batch():
    return make_batch(BATCH_SIZE, SEQ_LENGTH, seed=0)


def run(model, batch, step=0, training=False):
    outputs = model.compute_outputs(batch, model.step_seed(step), training=training)
    return {key: value.numpy() for key, value in outputs.items()}


def test_outputs_are_consistent_with_the_spec(model, batch):
    out = run(model, batch)
    config = model.config
    ids, mask = batch["token_ids"], batch["padding_mask"]
    np.testing.assert_array_equal(
        out["disc_labels"], (out["disc_input_ids"] != ids).astype(np.int32) * mask
    )
    np.testing.assert_allclose(
        out["total_loss"],
        config.gen_weight * out["gen_loss"] + config.disc_weight * out["disc_loss"],
        rtol=1e-6,
    )
    # The discriminator loss, by hand, over all non-pad tokens.
    logits = out["disc_logits"].astype(np.float64)
    labels = out["disc_labels"]
    per_token = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    np.testing.assert_allclose(out["disc_loss"], per_token[mask == 1].mean(), rtol=1e-5)
    np.testing.assert_allclose(out["disc_probs"], mask / (1 + np.exp(-logits)), rtol=1e-5)
    # The generator saw [MASK] only at chosen positions.
    shown = out["gen_input_ids"] != ids
    assert np.all(out["gen_input_ids"][shown] == SPECIAL_IDS["mask_id"])
    assert shown.sum() <= out["masked_weights"].sum()


def test_generator_logits_are_computed_only_at_masked_positions(model, batch):
    out = run(model, batch)
    config = model.config
    assert out["gen_logits"].shape == (BATCH_SIZE, config.num_predictions, config.vocab_size)
    assert out["gen_logits"].dtype == np.float32
    # They are the logits of the gathered positions: the head applied at
    # every position, then indexed, gives the same numbers.
    hidden = model.generator(dict(batch, token_ids=out["gen_input_ids"]))
    every_position = np.tile(np.arange(SEQ_LENGTH), (BATCH_SIZE, 1))
    all_logits = model.generator_head(hidden, every_position).numpy()
    expected = np.take_along_axis(all_logits, out["masked_positions"][..., None], axis=1)
    np.testing.assert_allclose(out["gen_logits"], expected, rtol=1e-4, atol=1e-4)


def test_embeddings_are_one_set_of_variables(model):
    discriminator, generator = model.discriminator, model.generator
    shared_layers = (
        "token_embedding",
        "position_embedding",
        "segment_embedding",
        "embeddings_layer_norm",
    )
    for name in shared_layers:
        assert getattr(generator, name) is getattr(discriminator, name)
        assert len([v for v in model.trainable_variables if v.path.startswith(name + "/")]) >= 1
    embedding_variables = [v for v in model.trainable_variables if "token_embedding" in v.path]
    assert len(embedding_variables) == 1
    assert embedding_variables[0] is discriminator.token_embedding.embeddings
    assert model.generator_head.token_embedding is discriminator.token_embedding
    shared = {id(v) for v in discriminator.trainable_variables}
    assert not shared & {id(v) for v in model.generator_variables}
    # Generator sizes come from the fraction; it has its own projection.
    assert generator.hidden_dim == model.config.generator_hidden == 16
    assert generator.embeddings_projection is not None
    assert len(generator.transformer_layers) == model.config.num_layers


def test_gradients_flow_as_the_spec_says(model, batch):
    embeddings = model.discriminator.token_embedding.embeddings
    discriminator_only = [
        v for v in model.discriminator.trainable_variables if "transformer_layer" in v.path
    ]
    with tf.GradientTape(persistent=True) as tape:
        outputs = model.compute_outputs(batch, model.step_seed(3), training=True)
    # No gradient from the discriminator loss into the generator's own
    # variables: sampling is outside the gradient path.
    for gradient in tape.gradient(outputs["disc_loss"], model.generator_variables):
        assert gradient is None or not np.any(tf.convert_to_tensor(gradient).numpy())
    # ... nor from the generator loss into the discriminator tower.
    for gradient in tape.gradient(outputs["gen_loss"], discriminator_only):
        assert gradient is None
    # The shared word embeddings learn from both losses.
    for loss in ("gen_loss", "disc_loss"):
        gradient = tf.convert_to_tensor(tape.gradient(outputs[loss], embeddings))
        assert np.abs(gradient.numpy()).sum() > 0, loss
    # And the generator's own variables do get a gradient from its loss.
    generator_gradients = tape.gradient(outputs["gen_loss"], model.generator_variables)
    assert all(g is not None for g in generator_gradients)
    del tape


def test_same_seed_same_step_and_new_step_new_masks(model, batch):
    first = run(model, batch, step=5)
    again = run(model, batch, step=5)
    later = run(model, batch, step=6)
    for key in ("masked_positions", "gen_input_ids", "sampled_ids", "disc_input_ids"):
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first["masked_positions"], later["masked_positions"])
    # The step seed is a pure function of (config.seed, step).
    np.testing.assert_array_equal(model.step_seed(5).numpy(), model.step_seed(5).numpy())


def test_disallow_correct_labels_every_chosen_position_replaced(batch):
    keras.utils.set_random_seed(1)
    model = ElectraPretrainer(tiny_config(disallow_correct=True), **SPECIAL_IDS)
    for step in range(3):
        out = run(model, batch, step=step)
        assert out["disc_labels"].sum() == out["masked_weights"].sum()
        assert not np.any((out["sampled_ids"] == out["masked_ids"])[out["masked_weights"] > 0])


def test_bert_vocabulary_ids(tmp_path):
    keras.utils.set_random_seed(2)
    config = tiny_config(vocab_size=200)
    model = ElectraPretrainer(config, **BERT_SPECIAL_IDS)
    words = np.array([100] + list(range(110, 200)))
    batch = make_batch(8, SEQ_LENGTH, vocab_size=200, special_ids=BERT_SPECIAL_IDS, word_ids=words)
    out = run(model, batch)
    chosen = out["masked_ids"][out["masked_weights"] > 0]
    assert chosen.size and not set(chosen) & {0, 101, 102, 103}
    shown = out["gen_input_ids"] != batch["token_ids"]
    assert shown.any() and np.all(out["gen_input_ids"][shown] == 103)
    assert np.isfinite(out["total_loss"])


def test_update_metrics_matches_numpy(model, batch):
    out_tensors = model.compute_outputs(batch, model.step_seed(0))
    out = {k: v.numpy() for k, v in out_tensors.items()}
    for metric in model.metrics:
        metric.reset_state()
    logs = {k: float(v) for k, v in model.update_metrics(out_tensors, batch).items()}
    mask = batch["padding_mask"] == 1
    slots = out["masked_weights"] > 0
    labels = out["disc_labels"][mask]
    predicted = out["disc_probs"][mask] > 0.5
    assert logs["loss"] == pytest.approx(out["total_loss"], rel=1e-6)
    assert logs["replaced_fraction"] == pytest.approx(labels.mean(), rel=1e-5)
    assert logs["disc_accuracy"] == pytest.approx((predicted == labels).mean(), rel=1e-5)
    gen_correct = out["gen_logits"].argmax(-1) == out["masked_ids"]
    assert logs["gen_accuracy"] == pytest.approx(gen_correct[slots].mean(), abs=1e-6)
    sampled_correct = out["sampled_ids"] == out["masked_ids"]
    assert logs["gen_sampled_correct"] == pytest.approx(sampled_correct[slots].mean(), abs=1e-6)
    assert set(logs) >= {"gen_loss", "disc_loss", "disc_precision", "disc_recall", "disc_auc"}


@pytest.mark.slow
def test_a_few_adam_steps_reduce_the_loss():
    keras.utils.set_random_seed(3)
    model = ElectraPretrainer(tiny_config(), **SPECIAL_IDS)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), jit_compile=False)
    batch = make_batch(8, SEQ_LENGTH, seed=4)
    dataset = tf.data.Dataset.from_tensors(batch).repeat()
    history = model.fit(dataset, epochs=5, steps_per_epoch=6, verbose=0).history
    # Epoch means: the masks are new every step, the trend is still clear.
    assert history["loss"][-1] < 0.8 * history["loss"][0], history["loss"]
    assert history["gen_loss"][-1] < history["gen_loss"][0], history["gen_loss"]
    assert int(model.optimizer.iterations.numpy()) == 30
    logs = model.evaluate(tf.data.Dataset.from_tensors(batch), verbose=0, return_dict=True)
    assert np.isfinite(logs["loss"]) and 0.0 <= logs["disc_auc"] <= 1.0


def test_a_batch_with_the_tfrecord_feature_names_is_refused_clearly(model, batch):
    # Google's on-disk names, as a hand-built dict (not via pretraining_dataset) would carry.
    old = {"input_ids": batch["token_ids"], "input_mask": batch["padding_mask"],
           "segment_ids": batch["segment_ids"]}
    expected = (r"need the keys token_ids, padding_mask, segment_ids.*"
                r"missing token_ids, padding_mask")
    with pytest.raises(ValueError, match=expected) as caught:
        model.compute_outputs(old, model.step_seed(0))
    assert "pretraining_dataset" in str(caught.value)
    with pytest.raises(ValueError, match=expected):
        model.loss_counts(old)
    with pytest.raises(ValueError, match=expected):
        model.test_step((old,))


def test_mixed_bfloat16_policy_computes_where_the_docs_say(batch):
    """Under mixed_bfloat16: encoders and the heads' hidden dense in bfloat16; attention
    softmax, the heads' output projections and the losses in float32.

    Dtypes are checked on each part's own output, not after `compute_outputs`
    casts the logits (a bfloat16 logit cast to float32 would pass that).
    """
    keras.utils.set_random_seed(4)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = ElectraPretrainer(tiny_config(dropout=0.1), **SPECIAL_IDS)
        assert model.discriminator.token_embedding.embeddings.dtype == "float32"
        # A pipeline batch is already a keras-hub backbone input.
        inputs = batch
        hidden = model.discriminator(inputs, training=True)["sequence_output"]
        gen_hidden = model.generator(inputs, training=True)
        assert hidden.dtype == tf.bfloat16 and gen_hidden.dtype == tf.bfloat16

        for tower, states in ((model.discriminator, hidden), (model.generator, gen_hidden)):
            attention = [layer for layer in tower._flatten_layers()
                         if isinstance(layer, keras.layers.MultiHeadAttention)]
            assert len(attention) == model.config.num_layers
            for layer in attention:
                output, probabilities = layer(states, states, return_attention_scores=True,
                                              training=True)
                assert probabilities.dtype == tf.float32, layer.path
                assert output.dtype == tf.bfloat16, layer.path

        head = model.discriminator_head
        assert head.dense(hidden).dtype == tf.bfloat16
        assert head(hidden).dtype == tf.float32
        positions = np.zeros((BATCH_SIZE, 3), np.int32)
        assert model.generator_head(gen_hidden, positions).dtype == tf.float32

        with tf.GradientTape() as tape:
            outputs = model.compute_outputs(batch, model.step_seed(0), training=True)
        for key in ("total_loss", "gen_loss", "disc_loss", "gen_logits", "disc_logits"):
            assert outputs[key].dtype == tf.float32, key
            assert np.all(np.isfinite(outputs[key].numpy())), key
        gradients = tape.gradient(outputs["total_loss"], model.trainable_variables)
        assert all(
            np.all(np.isfinite(tf.convert_to_tensor(g).numpy())) for g in gradients if g is not None
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_forward_compiles_under_xla(model, batch):
    @tf.function(jit_compile=True)
    def forward(inputs, step):
        outputs = model.compute_outputs(inputs, model.step_seed(step), training=True)
        return outputs["total_loss"], outputs["disc_labels"], outputs["masked_positions"]

    inputs = {key: tf.constant(value) for key, value in batch.items()}
    loss, labels, positions = forward(inputs, tf.constant(0, tf.int64))
    assert np.isfinite(loss.numpy())
    assert positions.shape == (BATCH_SIZE, model.config.num_predictions)
    _, _, again = forward(inputs, tf.constant(0, tf.int64))
    _, _, other = forward(inputs, tf.constant(1, tf.int64))
    # Reproducible per step, and a new step draws new masks inside the same
    # compiled function. (XLA's Philox streams differ from the TF kernels',
    # so compiled and eager draws are not compared with each other.)
    np.testing.assert_array_equal(positions.numpy(), again.numpy())
    assert not np.array_equal(positions.numpy(), other.numpy())
    assert forward.experimental_get_tracing_count() == 1


def test_discriminator_is_a_native_keras_hub_backbone(model, batch, tmp_path):
    discriminator = model.discriminator
    assert isinstance(discriminator, keras_hub.models.ElectraBackbone)
    inputs = batch
    discriminator.save_to_preset(str(tmp_path / "preset"))
    restored = keras_hub.models.Backbone.from_preset(str(tmp_path / "preset"))
    np.testing.assert_allclose(
        restored(inputs)["sequence_output"].numpy(),
        discriminator(inputs)["sequence_output"].numpy(),
        atol=1e-5,
    )


def test_configs_round_trip(model):
    rebuilt = ElectraPretrainer.from_config(model.get_config())
    assert rebuilt.config == model.config and rebuilt.mask_id == model.mask_id
    assert [v.shape for v in rebuilt.trainable_variables] == [
        v.shape for v in model.trainable_variables
    ]
    head = ReplacedTokenDetectionHead.from_config(model.discriminator_head.get_config())
    assert head.hidden_dim == model.config.hidden_size
    # Standalone copies get their own embeddings (the tie is only kept by
    # building from a discriminator).
    generator = ElectraGenerator.from_config(model.generator.get_config())
    generator.build()
    assert generator.token_embedding is not model.discriminator.token_embedding
    assert len(generator.own_trainable_variables) == len(model.generator.own_trainable_variables)
    inputs = {
        "token_ids": np.ones((1, 5), np.int32),
        "segment_ids": np.zeros((1, 5), np.int32),
        "padding_mask": np.ones((1, 5), np.int32),
    }
    assert generator(inputs).shape == (1, 5, model.config.generator_hidden)
    mlm_head = TiedMaskedLMHead.from_config(model.generator_head.get_config())
    hidden = np.zeros((1, 5, model.config.generator_hidden), np.float32)
    assert mlm_head(hidden, np.zeros((1, 2), np.int32)).shape == (1, 2, model.config.vocab_size)


def test_tf_checkpoint_restores_every_variable(model, tmp_path):
    # The training loop resumes through tf.train.Checkpoint: no variable may
    # be invisible to it (e.g. layers kept in a Keras tracked list).
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    keras.utils.set_random_seed(5)
    fresh = ElectraPretrainer(tiny_config(), **SPECIAL_IDS)
    tf.train.Checkpoint(model=fresh).restore(path).assert_existing_objects_matched()
    assert len(fresh.trainable_variables) == len(model.trainable_variables)
    for restored, original in zip(fresh.trainable_variables, model.trainable_variables):
        assert restored.path == original.path
        np.testing.assert_array_equal(restored.numpy(), original.numpy(), err_msg=original.path)
