import json
import os

import numpy as np
import pytest
import tensorflow as tf

from electra_tf.data import build_pretraining_data
from electra_tf.data import pretraining_dataset
from electra_tf.data import raw_text_dataset
from electra_tf.errors import UsageError
from electra_tf.text import ElectraTokenizer
from electra_tf.text import vocab_sha256


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, corpus_path, small_vocab_path):
    out = str(tmp_path_factory.mktemp("tfrecords"))
    build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=64,
                           num_shards=4, num_workers=1, show_progress=False)
    return out


def _context(pipeline_id, num_pipelines=2):
    return tf.distribute.InputContext(num_input_pipelines=num_pipelines,
                                      input_pipeline_id=pipeline_id,
                                      num_replicas_in_sync=num_pipelines)


def _rows(dataset):
    return [tuple(row) for batch in dataset for row in batch["token_ids"].numpy()]


@pytest.mark.parametrize("num_shards", [4, 1])
def test_two_input_pipelines_read_disjoint_complete_parts(tmp_path, corpus_path,
                                                          small_vocab_path, num_shards):
    out = str(tmp_path / "d")
    build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=64,
                           num_shards=num_shards, num_workers=1, show_progress=False)
    pattern = os.path.join(out, "*.tfrecord")
    everything = _rows(pretraining_dataset(pattern, 16, 64, is_training=False))
    parts = [_rows(pretraining_dataset(pattern, 16, 64, _context(i), is_training=False))
             for i in range(2)]
    assert len(everything) == json.load(open(os.path.join(out, "metadata.json")))["num_examples"]
    assert sorted(parts[0] + parts[1]) == sorted(everything)  # complete, no duplicates
    assert parts[0] and parts[1]
    assert abs(len(parts[0]) - len(parts[1])) < 0.5 * len(everything)


def test_training_batches_are_fixed_size_int32_and_repeat(data_dir):
    dataset = pretraining_dataset(os.path.join(data_dir, "*.tfrecord"), 8, 64,
                                  _context(0), is_training=True, seed=1)
    assert dataset.element_spec["token_ids"].shape.as_list() == [4, 64]  # per replica
    batches = list(dataset.take(200))  # more than one epoch of this pipeline's half
    assert all(b["token_ids"].dtype == tf.int32 and b["token_ids"].shape == (4, 64)
               for b in batches)


BATCH_KEYS = {"token_ids", "padding_mask", "segment_ids"}


def test_tfrecords_keep_google_names_and_batches_use_keras_hub_names(data_dir, corpus_path,
                                                                    small_vocab_path):
    # On disk: the reference's feature names, so its TFRecords and ours stay interchangeable.
    record = next(iter(tf.data.TFRecordDataset(
        sorted(tf.io.gfile.glob(os.path.join(data_dir, "*.tfrecord"))))))
    features = tf.train.Example.FromString(record.numpy()).features.feature
    assert set(features) == {"input_ids", "input_mask", "segment_ids"}
    # In memory: keras-hub's names, and nothing else, from both input modes.
    batch = next(iter(pretraining_dataset(os.path.join(data_dir, "*.tfrecord"), 8, 64,
                                          is_training=False)))
    assert set(batch) == BATCH_KEYS
    np.testing.assert_array_equal(batch["token_ids"][0], features["input_ids"].int64_list.value)
    np.testing.assert_array_equal(batch["padding_mask"][0],
                                  features["input_mask"].int64_list.value)
    tokenizer = ElectraTokenizer.from_vocab_file(small_vocab_path)
    raw = raw_text_dataset(corpus_path, tokenizer, 8, 64, is_training=False)
    assert set(raw.element_spec) == BATCH_KEYS


def test_mismatched_length_or_vocab_is_refused(data_dir, bert_vocab_path, small_vocab_path):
    pattern = os.path.join(data_dir, "*.tfrecord")
    with pytest.raises(UsageError, match="max_seq_length=64.*max_seq_length=128"):
        pretraining_dataset(pattern, 8, 128)
    with pytest.raises(UsageError, match="another vocabulary"):
        pretraining_dataset(pattern, 8, 64, vocab_sha256=vocab_sha256(bert_vocab_path))
    pretraining_dataset(pattern, 8, 64, vocab_sha256=vocab_sha256(small_vocab_path))


def test_data_without_metadata_is_refused(tmp_path, data_dir):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    os.remove(copy / "metadata.json")
    with pytest.raises(UsageError, match="metadata.json.*is missing"):
        pretraining_dataset(str(copy / "*.tfrecord"), 8, 64)


def test_raw_text_mode_gives_the_tfrecord_examples(tmp_path, corpus_path, small_vocab_path):
    out = str(tmp_path / "one_shard")
    build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=64,
                           num_shards=1, num_workers=1, seed=9, show_progress=False)
    from_records = _rows(pretraining_dataset(os.path.join(out, "*.tfrecord"), 32, 64,
                                             is_training=False))
    tokenizer = ElectraTokenizer.from_vocab_file(small_vocab_path)
    from_text = _rows(raw_text_dataset(corpus_path, tokenizer, 32, 64, is_training=False, seed=9))
    assert from_text == from_records


def test_pipeline_throughput_is_reported(data_dir):
    # Not a benchmark (see benchmarks/): only that a full pass yields every token.
    metadata = json.load(open(os.path.join(data_dir, "metadata.json")))
    tokens = sum(int(np.sum(b["padding_mask"])) for b in
                 pretraining_dataset(os.path.join(data_dir, "*.tfrecord"), 64, 64,
                                     is_training=False))
    assert tokens == metadata["num_tokens"]
