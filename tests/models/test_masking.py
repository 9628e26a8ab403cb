"""docs/algorithm.md §2, one test per rule, on the pure masking functions."""

import numpy as np
import tensorflow as tf

from electra_tf.models import masking

from .batches import BERT_SPECIAL_IDS
from .batches import SPECIAL_IDS
from .batches import make_batch

EXCLUDED = (SPECIAL_IDS["cls_id"], SPECIAL_IDS["sep_id"], SPECIAL_IDS["mask_id"])


def choose(batch, seed=(1, 2), mask_prob=0.15, max_predictions=5, excluded=EXCLUDED):
    selection = masking.choose_masked_positions(
        batch["token_ids"],
        batch["padding_mask"],
        tf.constant(seed, tf.int64),
        mask_prob=mask_prob,
        max_predictions=max_predictions,
        excluded_ids=excluded,
    )
    return tuple(t.numpy() for t in selection)


def real_slots(positions, weights):
    """Chosen positions per row, padding slots dropped."""
    return [row[row_weights > 0] for row, row_weights in zip(positions, weights)]


def test_special_tokens_and_padding_are_never_chosen():
    batch = make_batch(64, 32, min_length=4, seed=1)
    # Put some [MASK] tokens in the input too: they must not be chosen either.
    batch["token_ids"][:, 1::7] = np.where(
        batch["padding_mask"][:, 1::7] > 0, SPECIAL_IDS["mask_id"], batch["token_ids"][:, 1::7]
    )
    # A high mask_prob makes every sequence choose as much as it can.
    positions, _, weights = choose(batch, mask_prob=0.9, max_predictions=32)
    chosen_tokens = np.concatenate(
        [batch["token_ids"][row, p] for row, p in enumerate(real_slots(positions, weights))]
    )
    chosen_mask = np.concatenate(
        [batch["padding_mask"][row, p] for row, p in enumerate(real_slots(positions, weights))]
    )
    assert chosen_tokens.size > 500
    assert not set(chosen_tokens) & set(SPECIAL_IDS.values())
    assert np.all(chosen_mask == 1)


def test_count_per_sequence_follows_the_reference_formula():
    max_predictions = 5
    mask_prob = 0.15
    batch = make_batch(200, 64, min_length=4, seed=2)
    positions, _, weights = choose(batch, mask_prob=mask_prob, max_predictions=max_predictions)
    num_real = batch["padding_mask"].sum(axis=1)
    # float32 product and round-half-to-even, as the reference's tf.round.
    expected = np.maximum(
        1,
        np.minimum(
            max_predictions, np.round(num_real.astype(np.float32) * np.float32(mask_prob))
        ),
    )
    counts = weights.sum(axis=1)
    np.testing.assert_array_equal(counts, expected)
    # Lengths from 4 to 64 cover n = 1 (floor), 2..4, and the cap at P.
    assert set(expected) == {1, 2, 3, 4, 5}
    # Padding slots point at position 0 and carry id 0.
    assert np.all(positions[weights == 0] == 0)


def test_count_is_capped_at_the_number_of_candidates():
    cls_id, sep_id = SPECIAL_IDS["cls_id"], SPECIAL_IDS["sep_id"]
    ids = np.full((3, 24), sep_id, np.int32)
    ids[:, 0] = cls_id
    ids[0, 1:3] = [10, 11]  # 24 real tokens -> n = 4, but only 2 candidates
    ids[1, 5] = 12  # 1 candidate
    # Row 2: only specials, nothing to choose.
    mask = np.ones_like(ids)
    batch = {"token_ids": ids, "padding_mask": mask}
    positions, masked_ids, weights = choose(batch, max_predictions=5)
    np.testing.assert_array_equal(weights.sum(axis=1), [2, 1, 0])
    assert sorted(positions[0][weights[0] > 0]) == [1, 2]
    assert positions[1][weights[1] > 0].tolist() == [5]
    assert masked_ids[1][weights[1] > 0].tolist() == [12]


def test_positions_are_chosen_without_replacement():
    batch = make_batch(256, 32, min_length=4, seed=3)
    for step in range(5):
        positions, _, weights = choose(batch, seed=(step, 9), mask_prob=0.5, max_predictions=16)
        for row in real_slots(positions, weights):
            assert len(np.unique(row)) == len(row)


def test_masked_ids_are_the_original_tokens():
    batch = make_batch(32, 32, seed=4)
    positions, masked_ids, weights = choose(batch)
    original = np.take_along_axis(batch["token_ids"], positions, axis=1)
    np.testing.assert_array_equal(masked_ids[weights > 0], original[weights > 0])


def test_about_85_percent_of_chosen_positions_show_mask_and_the_rest_keep_their_token():
    mask_id = SPECIAL_IDS["mask_id"]
    batch = make_batch(2000, 48, min_length=40, seed=5)
    positions, _, weights = choose(batch, max_predictions=7)
    generator_ids = masking.mask_for_generator(
        batch["token_ids"], positions, weights, mask_id, tf.constant([3, 4]), 0.85
    ).numpy()

    chosen = np.zeros_like(batch["padding_mask"], bool)
    rows = np.repeat(np.arange(len(positions)), positions.shape[1])
    real = weights.reshape(-1) > 0
    chosen[rows[real], positions.reshape(-1)[real]] = True

    shown_mask = generator_ids[chosen] == mask_id
    # ~13k chosen positions: 3 sigma of the fraction is ~0.01.
    assert chosen.sum() > 10000
    assert abs(shown_mask.mean() - 0.85) < 0.01
    # The other 15% keep their original token (no random-token replacement).
    np.testing.assert_array_equal(
        generator_ids[chosen][~shown_mask], batch["token_ids"][chosen][~shown_mask]
    )
    np.testing.assert_array_equal(generator_ids[~chosen], batch["token_ids"][~chosen])


def test_padding_slots_never_change_inputs_or_labels():
    # Position 0 is a real candidate here, and padding slots also point at it.
    ids = np.array([[40, 41, 42, 43, 3, 0, 0, 0]], np.int32)
    mask = np.array([[1, 1, 1, 1, 1, 0, 0, 0]], np.int32)
    positions = np.array([[0, 2, 0, 0]], np.int32)
    weights = np.array([[1.0, 1.0, 0.0, 0.0]], np.float32)
    sampled = np.array([[50, 51, 52, 53]], np.int32)
    disc_ids, labels = masking.replace_tokens(ids, mask, positions, weights, sampled)
    np.testing.assert_array_equal(disc_ids.numpy(), [[50, 41, 51, 43, 3, 0, 0, 0]])
    np.testing.assert_array_equal(labels.numpy(), [[1, 0, 1, 0, 0, 0, 0, 0]])
    # Same for the generator input: every draw shows [MASK] (prob 1).
    generator_ids = masking.mask_for_generator(ids, positions, weights, 4, tf.constant([0, 0]), 1.0)
    np.testing.assert_array_equal(generator_ids.numpy(), [[4, 41, 4, 43, 3, 0, 0, 0]])


def test_discriminator_input_holds_samples_at_chosen_positions_and_originals_elsewhere():
    batch = make_batch(64, 32, seed=6)
    positions, _, weights = choose(batch)
    sampled = np.random.default_rng(0).integers(5, 128, size=positions.shape).astype(np.int32)
    disc_ids, labels = masking.replace_tokens(
        batch["token_ids"], batch["padding_mask"], positions, weights, sampled
    )
    disc_ids, labels = disc_ids.numpy(), labels.numpy()
    chosen = np.zeros_like(disc_ids, bool)
    for row, row_positions in enumerate(real_slots(positions, weights)):
        np.testing.assert_array_equal(
            disc_ids[row, row_positions], sampled[row][weights[row] > 0]
        )
        chosen[row, row_positions] = True
    np.testing.assert_array_equal(disc_ids[~chosen], batch["token_ids"][~chosen])
    np.testing.assert_array_equal(labels, (disc_ids != batch["token_ids"]).astype(np.int32))
    assert labels.sum() > 0


def test_a_correctly_sampled_token_is_labelled_original():
    batch = make_batch(16, 32, seed=7)
    positions, masked_ids, weights = choose(batch)
    # A peaked generator: all mass on the original token.
    logits = tf.one_hot(masked_ids, 128) * 1e4
    sampled = masking.sample_from_logits(logits, tf.constant([5, 6]))
    np.testing.assert_array_equal(sampled.numpy()[weights > 0], masked_ids[weights > 0])
    disc_ids, labels = masking.replace_tokens(
        batch["token_ids"], batch["padding_mask"], positions, weights, sampled
    )
    np.testing.assert_array_equal(disc_ids.numpy(), batch["token_ids"])
    assert labels.numpy().sum() == 0


def test_disallow_correct_never_samples_the_original():
    batch = make_batch(16, 32, seed=8)
    _, masked_ids, _ = choose(batch)
    logits = tf.one_hot(masked_ids, 128) * 1e4
    for step in range(10):
        sampled = masking.sample_from_logits(
            logits, tf.constant([step, 1]), disallowed_ids=masked_ids
        ).numpy()
        assert not np.any(sampled == masked_ids)


def test_gumbel_samples_follow_the_tempered_softmax():
    vocab = 8
    logits = np.linspace(-2.0, 2.0, vocab).astype(np.float32)
    rows = np.tile(logits, (40000, 1))

    def frequencies(temperature):
        samples = masking.sample_from_logits(rows, tf.constant([11, 12]), temperature).numpy()
        return np.bincount(samples, minlength=vocab) / len(samples)

    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()

    # Temperature 1: the softmax itself (max sampling error ~0.006 at 3 sigma).
    np.testing.assert_allclose(frequencies(1.0), softmax(logits), atol=0.01)
    # Very high temperature: near-uniform.
    np.testing.assert_allclose(frequencies(1e3), np.full(vocab, 1 / vocab), atol=0.01)
    # Very low temperature: always the argmax.
    random_logits = np.random.default_rng(1).normal(size=(500, 50)).astype(np.float32)
    low = masking.sample_from_logits(random_logits, tf.constant([1, 1]), temperature=1e-3)
    np.testing.assert_array_equal(low.numpy(), random_logits.argmax(axis=-1))


def test_same_seed_same_draw_and_new_seed_new_draw():
    batch = make_batch(32, 32, seed=9)
    first = choose(batch, seed=(4, 4))
    again = choose(batch, seed=(4, 4))
    other = choose(batch, seed=(4, 5))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_bert_vocabulary_special_ids():
    ids = BERT_SPECIAL_IDS
    word_ids = np.array([100] + list(range(1000, 1200)))  # [UNK]=100 is a candidate
    batch = make_batch(64, 32, special_ids=ids, word_ids=word_ids, seed=10)
    excluded = (ids["cls_id"], ids["sep_id"], ids["mask_id"])
    positions, masked_ids, weights = choose(
        batch, excluded=excluded, mask_prob=0.9, max_predictions=32
    )
    chosen = masked_ids[weights > 0]
    assert not set(chosen) & {0, 101, 102, 103}
    assert set(chosen) <= set(word_ids)
    # Masked positions show id 103, not 4.
    generator_ids = masking.mask_for_generator(
        batch["token_ids"], positions, weights, ids["mask_id"], tf.constant([1, 2]), 1.0
    ).numpy()
    shown = np.take_along_axis(generator_ids, positions, axis=1)[weights > 0]
    assert np.all(shown == 103)


def test_masking_compiles_under_xla_with_static_shapes():
    batch = make_batch(8, 32, seed=11)

    @tf.function(jit_compile=True)
    def step(input_ids, input_mask, seed):
        selection = masking.choose_masked_positions(input_ids, input_mask, seed, 0.15, 5, EXCLUDED)
        generator_ids = masking.mask_for_generator(
            input_ids, selection.positions, selection.weights, 4, seed
        )
        logits = tf.random.stateless_normal([8, 5, 128], seed)
        sampled = masking.sample_from_logits(logits, seed, disallowed_ids=selection.ids)
        return generator_ids, masking.replace_tokens(
            input_ids, input_mask, selection.positions, selection.weights, sampled
        )

    seed = tf.constant([1, 2], tf.int64)
    generator_ids, (disc_ids, labels) = step(batch["token_ids"], batch["padding_mask"], seed)
    assert generator_ids.shape == (8, 32) and disc_ids.shape == (8, 32)
    # With the original disallowed, every chosen position is labelled replaced.
    num_real = batch["padding_mask"].sum(axis=1).astype(np.float32)
    expected = np.clip(np.round(num_real * np.float32(0.15)), 1, 5)
    np.testing.assert_array_equal(labels.numpy().sum(axis=1), expected)
