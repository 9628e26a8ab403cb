"""The on-disk format of one pretraining example: a `tf.train.Example` with three
int64 lists of length `max_seq_length`. The writer and the reader both use
this module, so feature names and shapes cannot drift apart."""

import tensorflow as tf

FEATURES = ("input_ids", "input_mask", "segment_ids")


def serialize_example(example):
    """`PackedExample` -> serialized `tf.train.Example` bytes."""
    feature = {
        name: tf.train.Feature(int64_list=tf.train.Int64List(value=getattr(example, name)))
        for name in FEATURES
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def feature_spec(max_seq_length):
    """`tf.io.parse_example` spec for examples of `max_seq_length` tokens."""
    return {name: tf.io.FixedLenFeature([max_seq_length], tf.int64) for name in FEATURES}


def parse_examples(serialized, max_seq_length):
    """Parses a batch (or one) serialized example(s) into int32 tensors."""
    parsed = tf.io.parse_example(serialized, feature_spec(max_seq_length))
    return {name: tf.cast(value, tf.int32) for name, value in parsed.items()}
