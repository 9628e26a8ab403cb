"""Tokens -> examples -> batches: corpus reading, packing, TFRecords, tf.data."""

from electra_tf.data.corpus import expand_globs
from electra_tf.data.corpus import read_documents
from electra_tf.data.packing import ExampleBuilder
from electra_tf.data.pipeline import pretraining_dataset
from electra_tf.data.pipeline import raw_text_dataset
from electra_tf.data.pretraining_data import build_pretraining_data
