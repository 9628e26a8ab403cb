"""tf.data input for pretraining: TFRecord shards (or raw text) -> batches.

Both functions take a `tf.distribute.InputContext`, so they plug into
`strategy.distribute_datasets_from_function`: each input pipeline reads a
disjoint part of the data and batches `global_batch_size / num_replicas`.
"""

import os
import random

import numpy as np
import tensorflow as tf

from electra_tf.data import metadata as metadata_lib
from electra_tf.data.corpus import expand_globs
from electra_tf.data.corpus import read_documents
from electra_tf.data.document_tokenizer import DocumentTokenizer
from electra_tf.data.example_codec import parse_examples
from electra_tf.data.packing import ExampleBuilder
from electra_tf.errors import UsageError

# Raw-text mode packs the whole corpus in memory; beyond this, use TFRecords.
MAX_RAW_TEXT_BYTES = 256 << 20


def _per_replica_batch_size(global_batch_size, input_context):
    if input_context is None:
        return global_batch_size
    if global_batch_size % input_context.num_replicas_in_sync:
        raise UsageError(
            f"batch_size {global_batch_size} is not divisible by the "
            f"{input_context.num_replicas_in_sync} replicas; pick a multiple."
        )
    return input_context.get_per_replica_batch_size(global_batch_size)


def _shard(dataset, input_context):
    if input_context is None or input_context.num_input_pipelines == 1:
        return dataset
    return dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)


def _batch(dataset, global_batch_size, input_context, is_training, shuffle_buffer, seed,
           drop_remainder=None):
    if drop_remainder is None:
        drop_remainder = is_training
    if is_training:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.repeat()
    dataset = dataset.batch(
        _per_replica_batch_size(global_batch_size, input_context),
        drop_remainder=drop_remainder,
        num_parallel_calls=tf.data.AUTOTUNE,
        # Order only matters for reproducible or single-pass reads.
        deterministic=seed is not None or not is_training,
    )
    return dataset


def pretraining_dataset(
    file_pattern,
    global_batch_size,
    max_seq_length,
    input_context=None,
    is_training=True,
    vocab_sha256=None,
    lowercase=None,
    shuffle_buffer=10000,
    seed=None,
    drop_remainder=None,
):
    """Batches of packed examples from TFRecords written by `build_pretraining_data`.

    Files are sharded across input pipelines when there are at least as many
    files as pipelines, else records are (each pipeline then reads every file
    but keeps a disjoint 1/N of the records).

    Args:
        file_pattern: str. Glob (comma-separated globs allowed) of shards;
            each shard's folder must hold the `metadata.json` written with it.
        global_batch_size: int. Examples per step across all replicas.
        max_seq_length: int. Must equal the data's; checked against metadata.
        input_context: `tf.distribute.InputContext` or None.
        is_training: bool. Shuffle and repeat forever, drop partial batches;
            False: one pass in file order, the last batch may be short.
        vocab_sha256: str or None. The run's vocabulary hash, checked against
            the data's (None skips the check).
        lowercase: bool or None. Checked against the data's casing.
        shuffle_buffer: int. Examples in the shuffle buffer.
        seed: int or None. Fixes file and example order (reproducible runs).
        drop_remainder: bool or None. Drop a last partial batch; None means
            `is_training` (eval loops that need fixed shapes pass True).

    Returns:
        `tf.data.Dataset` of dicts `token_ids`, `padding_mask`, `segment_ids`
        (keras-hub's names; the files keep Google's `input_ids`,
        `input_mask`, `segment_ids`), each int32
        `[per_replica_batch, max_seq_length]`.

    Example:
    ```python
    dataset = strategy.distribute_datasets_from_function(
        lambda ctx: pretraining_dataset("data/*.tfrecord", 128, 128, ctx))
    ```
    """
    files = []
    for pattern in str(file_pattern).split(","):
        if pattern.strip():
            files.extend(sorted(tf.io.gfile.glob(pattern.strip())))
    files = [path for path in dict.fromkeys(files) if not path.endswith(".tmp")]
    if not files:
        raise UsageError(
            f"--train_data/--eval_data pattern {file_pattern!r} matches no file. Build data with "
            "`python tools/build_pretraining_data.py`, or check the glob."
        )
    for directory in sorted({os.path.dirname(path) for path in files}):
        metadata_lib.check_metadata(directory, max_seq_length, vocab_sha256, lowercase)

    num_pipelines = input_context.num_input_pipelines if input_context else 1
    dataset = tf.data.Dataset.from_tensor_slices(files)
    by_file = len(files) >= num_pipelines
    if by_file:
        dataset = _shard(dataset, input_context)
    if is_training:
        dataset = dataset.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(files), 8),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True if (seed is not None or not is_training) else None,
    )
    if not by_file:
        dataset = _shard(dataset, input_context)
    dataset = _batch(dataset, global_batch_size, input_context, is_training, shuffle_buffer, seed,
                     drop_remainder)
    # Parse whole batches: one vectorized op instead of one per example.
    dataset = dataset.map(
        lambda serialized: parse_examples(serialized, max_seq_length),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def raw_text_dataset(
    input_patterns,
    tokenizer,
    global_batch_size,
    max_seq_length,
    input_context=None,
    is_training=True,
    shuffle_buffer=10000,
    seed=12345,
    drop_remainder=None,
):
    """Pretraining batches straight from text files, no TFRecord step.

    For small corpora (up to 256 MB): the text is tokenized by the same
    `ElectraTokenizer` and packed by the same `ExampleBuilder` as the TFRecord
    tool (so both modes give the same examples for the same seed and a single
    shard), once, in memory, when this function is called; the dataset then
    shards, shuffles and batches like `pretraining_dataset`.

    Args:
        input_patterns: str or list. Globs of `.txt`/`.gz` files.
        tokenizer: `ElectraTokenizer`.
        global_batch_size, max_seq_length, input_context, is_training,
        shuffle_buffer, seed, drop_remainder: as in `pretraining_dataset`.

    Returns:
        `tf.data.Dataset` of dicts `token_ids`, `padding_mask`, `segment_ids`.
    """
    from electra_tf.data.corpus import corpus_bytes

    files = expand_globs(input_patterns)
    size = corpus_bytes(files)
    if size > MAX_RAW_TEXT_BYTES:
        raise UsageError(
            f"{len(files)} text file(s) hold {size >> 20} MB: too much to pack in memory. "
            "Build TFRecords with `python tools/build_pretraining_data.py` and pass their glob."
        )
    special = tokenizer.special_token_ids()
    builder = ExampleBuilder(
        max_seq_length, special["[CLS]"], special["[SEP]"], special["[PAD]"],
        rng=random.Random(f"{seed}-0"),
    )

    tokenize_documents = DocumentTokenizer(tokenizer)
    columns = {"token_ids": [], "padding_mask": [], "segment_ids": []}

    def pack(documents):
        for sentences in tokenize_documents(documents):
            for example in builder.add_document(sentences):
                for name in columns:
                    columns[name].append(getattr(example, name))

    documents = []
    for document in read_documents(files):
        documents.append(document)
        if len(documents) == 256:
            pack(documents)
            documents = []
    pack(documents)
    if not columns["token_ids"]:
        raise UsageError(f"the corpus {', '.join(files)} holds no text.")
    dataset = tf.data.Dataset.from_tensor_slices(
        {name: np.stack(rows) for name, rows in columns.items()}
    )
    dataset = _shard(dataset, input_context)
    dataset = _batch(dataset, global_batch_size, input_context, is_training, shuffle_buffer, seed,
                     drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)
