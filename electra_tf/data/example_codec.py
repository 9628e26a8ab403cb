"""The on-disk format of one pretraining example: a `tf.train.Example` with three
int64 lists of length `max_seq_length`. The writer and the reader both use
this module, so feature names and shapes cannot drift apart.

On disk the features keep Google's names (`input_ids`, `input_mask`,
`segment_ids`), so TFRecords of the reference implementation and ours are
interchangeable. In memory everything uses keras-hub's names (`token_ids`,
`padding_mask`, `segment_ids`): this module is the only place that translates.
"""

import tensorflow as tf

# On-disk feature name -> in-memory batch key.
BATCH_KEYS = {"input_ids": "token_ids", "input_mask": "padding_mask", "segment_ids": "segment_ids"}
FEATURES = tuple(BATCH_KEYS)


def serialize_example(example):
    """`PackedExample` -> serialized `tf.train.Example` bytes.

    Args:
        example: `PackedExample` (fields named by the in-memory keys).

    Returns:
        bytes, with the features under their on-disk names.

    Example:
    ```python
    writer.write(serialize_example(example))
    ```
    """
    feature = {
        name: tf.train.Feature(int64_list=tf.train.Int64List(value=getattr(example, key)))
        for name, key in BATCH_KEYS.items()
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def feature_spec(max_seq_length):
    """`tf.io.parse_example` spec (on-disk names) for examples of `max_seq_length` tokens."""
    return {name: tf.io.FixedLenFeature([max_seq_length], tf.int64) for name in FEATURES}


def parse_examples(serialized, max_seq_length):
    """Parses a batch (or one) serialized example(s) into int32 tensors.

    Args:
        serialized: string tensor, [B] or scalar.
        max_seq_length: int. The length the examples were written with.

    Returns:
        dict `token_ids`, `padding_mask`, `segment_ids` of int32 tensors
        `[B, max_seq_length]` (or `[max_seq_length]` for a scalar).

    Example:
    ```python
    batch = parse_examples(tf.constant(records), 128)
    batch["token_ids"], batch["padding_mask"]
    ```
    """
    parsed = tf.io.parse_example(serialized, feature_spec(max_seq_length))
    return {BATCH_KEYS[name]: tf.cast(value, tf.int32) for name, value in parsed.items()}
