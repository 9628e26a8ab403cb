"""Tiny configs and synthetic batches for the model tests."""

import numpy as np

from electra_tf.config import ElectraConfig

# A learned vocabulary puts the specials at 0..4; a BERT vocab.txt does not.
SPECIAL_IDS = {"pad_id": 0, "cls_id": 2, "sep_id": 3, "mask_id": 4}
BERT_SPECIAL_IDS = {"pad_id": 0, "cls_id": 101, "sep_id": 102, "mask_id": 103}


def tiny_config(**overrides):
    values = dict(
        vocab_size=128,
        embedding_size=24,
        hidden_size=32,
        num_layers=2,
        num_heads=2,
        intermediate_size=64,
        generator_hidden_size=0.5,
        max_position_embeddings=64,
        max_seq_length=32,
        dropout=0.0,
        seed=7,
    )
    values.update(overrides)
    return ElectraConfig(**values)


def make_batch(
    batch_size,
    seq_length,
    vocab_size=128,
    special_ids=SPECIAL_IDS,
    min_length=8,
    seed=0,
    word_ids=None,
):
    """[CLS] A [SEP] B [SEP] [PAD]..., random real lengths, int32 numpy arrays.

    Words are drawn from `word_ids` (default: every id above the specials).
    Padded positions hold [PAD], padding_mask 0 (keras-hub batch keys).
    """
    rng = np.random.default_rng(seed)
    if word_ids is None:
        specials = set(special_ids.values())
        word_ids = np.array([i for i in range(vocab_size) if i not in specials])
    ids = np.full((batch_size, seq_length), special_ids["pad_id"], np.int32)
    mask = np.zeros((batch_size, seq_length), np.int32)
    segments = np.zeros((batch_size, seq_length), np.int32)
    for row in range(batch_size):
        length = int(rng.integers(min_length, seq_length + 1))
        ids[row, :length] = rng.choice(word_ids, size=length)
        ids[row, 0] = special_ids["cls_id"]
        middle = length // 2
        ids[row, middle] = special_ids["sep_id"]
        ids[row, length - 1] = special_ids["sep_id"]
        mask[row, :length] = 1
        segments[row, middle + 1 : length] = 1
    return {"token_ids": ids, "padding_mask": mask, "segment_ids": segments}
