"""Text files -> sharded TFRecords of packed pretraining examples + metadata.json.

Work is split by output shard. With at least as many input files as shards,
shard `s` reads files s, s+N, s+2N, ...; otherwise every shard reads all files
and keeps documents s, s+N, ... . Either way a document belongs to exactly one
shard, shards are built independently in parallel worker processes, and each
shard's random choices come from `(seed, shard)`, so the output depends on the
seed and the shard count only, not on `num_workers` or timing.
"""

import math
import multiprocessing
import os
import random
import time

import tensorflow as tf

from electra_tf.data import metadata as metadata_lib
from electra_tf.data.corpus import CorpusStats
from electra_tf.data.corpus import corpus_bytes
from electra_tf.data.corpus import expand_globs
from electra_tf.data.corpus import read_documents
from electra_tf.data.document_tokenizer import DocumentTokenizer
from electra_tf.data.example_codec import serialize_example
from electra_tf.data.packing import ExampleBuilder
from electra_tf.errors import UsageError
from electra_tf.progress_bar import ProgressBar
from electra_tf.text.tokenizer import ElectraTokenizer
from electra_tf.text.vocab import vocab_sha256

# Auto shard count: one shard per this many input bytes, so a small corpus
# gets a few full shards instead of hundreds of near-empty ones.
BYTES_PER_SHARD = 4 << 20
MAX_AUTO_SHARDS = 1024
SHARD_PATTERN = "pretrain_data-{:05d}-of-{:05d}.tfrecord"


def auto_num_shards(total_bytes):
    return max(1, min(MAX_AUTO_SHARDS, math.ceil(total_bytes / BYTES_PER_SHARD)))


def _existing_outputs(output_dir):
    if not os.path.isdir(output_dir):
        return []
    return sorted(
        name
        for name in os.listdir(output_dir)
        if ".tfrecord" in name or name == metadata_lib.METADATA_FILE
    )


class _ShardBuilder:
    """Tokenizes and packs the documents of one shard (runs in a worker)."""

    def __init__(self, vocab_path, lowercase, max_seq_length):
        tokenizer = ElectraTokenizer.from_vocab_file(vocab_path, lowercase=lowercase)
        self.special = tokenizer.special_token_ids()
        self.max_seq_length = max_seq_length

        self.tokenize_documents = DocumentTokenizer(tokenizer)

    def build(self, task, progress=None):
        files, shard, num_shards, seed, path = task
        own_files = len(files) >= num_shards
        files = files[shard::num_shards] if own_files else files
        builder = ExampleBuilder(
            self.max_seq_length,
            cls_id=self.special["[CLS]"],
            sep_id=self.special["[SEP]"],
            pad_id=self.special["[PAD]"],
            rng=random.Random(f"{seed}-{shard}"),
        )
        stats = CorpusStats()
        num_examples = num_tokens = 0
        pending, pending_bytes = [], 0

        def flush(writer):
            nonlocal num_examples, num_tokens, pending, pending_bytes
            for document in self.tokenize_documents(pending):
                for example in builder.add_document(document):
                    writer.write(serialize_example(example))
                    num_examples += 1
                    num_tokens += int(example.padding_mask.sum())
            if progress is not None:
                with progress.get_lock():
                    progress.value += pending_bytes
            pending, pending_bytes = [], 0

        with tf.io.TFRecordWriter(path + ".tmp") as writer:
            for index, document in enumerate(read_documents(files, stats)):
                if not own_files and index % num_shards != shard:
                    continue
                pending.append(document)
                pending_bytes += sum(len(line) + 1 for line in document)
                if len(pending) >= 256 or pending_bytes > (8 << 20):
                    flush(writer)
            flush(writer)
        os.replace(path + ".tmp", path)
        if not own_files:
            # Every shard read every file: count the corpus once, not N times.
            stats = stats if shard == 0 else CorpusStats()
        return {
            "shard": shard,
            "file": os.path.basename(path),
            "num_examples": num_examples,
            "num_tokens": num_tokens,
            "stats": stats,
        }


_worker_builder = None
_worker_progress = None


def _init_worker(vocab_path, lowercase, max_seq_length, progress):
    global _worker_builder, _worker_progress
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    _worker_builder = _ShardBuilder(vocab_path, lowercase, max_seq_length)
    _worker_progress = progress


def _run_task(task):
    try:
        return _worker_builder.build(task, _worker_progress)
    except UsageError as error:
        return {"error": str(error)}


def build_pretraining_data(
    input_patterns,
    vocab_path,
    output_dir,
    max_seq_length=128,
    lowercase=True,
    seed=12345,
    num_workers=None,
    num_shards=0,
    overwrite=False,
    show_progress=True,
):
    """Builds sharded TFRecords of ELECTRA pretraining examples.

    Args:
        input_patterns: str or list of str. Globs of `.txt`/`.gz` text files
            (comma-separated in a string): one sentence or paragraph per line,
            blank lines between documents.
        vocab_path: str. WordPiece `vocab.txt`.
        output_dir: str. Receives `pretrain_data-XXXXX-of-YYYYY.tfrecord` files
            and `metadata.json`.
        max_seq_length: int. Tokens per example (at least 8).
        lowercase: bool. Must match the vocabulary (uncased: True).
        seed: int. Fixes every random choice of the packing.
        num_workers: int or None. Worker processes (None: the CPU count).
        num_shards: int. Output files; 0 picks one per 4 MiB of input.
        overwrite: bool. Replace shards already in `output_dir`.
        show_progress: bool. Print a progress bar with ETA to stdout.

    Returns:
        The metadata dict also written to `output_dir/metadata.json`.

    Raises:
        UsageError: on any input a user must fix (see `electra_tf.data.corpus`).

    Example:
    ```python
    build_pretraining_data("corpus/*.txt", "vocab.txt", "data/", max_seq_length=128)
    ```
    """
    if max_seq_length < 8:
        raise UsageError(
            f"max_seq_length must be at least 8 ([CLS] A [SEP] B [SEP] plus some text), "
            f"got {max_seq_length}."
        )
    files = expand_globs(input_patterns)
    tokenizer = ElectraTokenizer.from_vocab_file(vocab_path, lowercase=lowercase)
    existing = _existing_outputs(output_dir)
    if existing and not overwrite:
        raise UsageError(
            f"output directory {output_dir!r} already holds pretraining data ({existing[0]}, "
            f"... {len(existing)} files). Pass --overwrite to replace it, or choose another "
            "--output_dir."
        )
    for name in existing:
        os.remove(os.path.join(output_dir, name))
    os.makedirs(output_dir, exist_ok=True)

    total_bytes = corpus_bytes(files)
    num_shards = num_shards or auto_num_shards(total_bytes)
    num_workers = max(1, min(num_workers or os.cpu_count() or 1, num_shards))
    tasks = [
        (files, shard, num_shards, seed,
         os.path.join(output_dir, SHARD_PATTERN.format(shard, num_shards)))
        for shard in range(num_shards)
    ]
    start = time.time()
    compressed = any(path.endswith(".gz") for path in files)
    progbar = ProgressBar(None if compressed else total_bytes, unit_name="byte",
                          verbose=1 if show_progress else 0)
    if num_workers == 1:
        progress = multiprocessing.Value("q", 0)
        builder = _ShardBuilder(vocab_path, lowercase, max_seq_length)
        results = []
        for task in tasks:
            results.append(builder.build(task, progress))
            progbar.update(progress.value)
    else:
        context = multiprocessing.get_context("spawn")
        progress = context.Value("q", 0)
        with context.Pool(
            num_workers,
            initializer=_init_worker,
            initargs=(vocab_path, lowercase, max_seq_length, progress),
        ) as pool:
            pending = pool.map_async(_run_task, tasks, chunksize=1)
            while not pending.ready():
                pending.wait(0.5)
                progbar.update(progress.value)
            results = pending.get()
    progbar.update(progbar.target or progress.value, finalize=True)
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise UsageError(errors[0])

    stats = CorpusStats()
    for result in results:
        stats.add(result["stats"])
    if stats.lines == 0:
        for result in results:
            path = os.path.join(output_dir, result["file"])
            if os.path.exists(path):
                os.remove(path)
        raise UsageError(
            f"the corpus is empty: {', '.join(files[:3])}{' ...' if len(files) > 3 else ''} "
            "hold(s) no text lines. Pass text files with one sentence per line."
        )
    shards = []
    for result in sorted(results, key=lambda r: r["shard"]):
        path = os.path.join(output_dir, result["file"])
        if result["num_examples"] == 0:
            os.remove(path)  # more shards than documents: no empty files
            continue
        shards.append({"file": result["file"], "num_examples": result["num_examples"]})
    metadata = {
        "max_seq_length": max_seq_length,
        "vocab_file": os.path.abspath(vocab_path),
        "vocab_sha256": vocab_sha256(vocab_path),
        "vocab_size": tokenizer.vocabulary_size(),
        "lowercase": lowercase,
        "special_token_ids": tokenizer.special_token_ids(),
        "num_examples": sum(r["num_examples"] for r in results),
        "num_tokens": sum(r["num_tokens"] for r in results),
        "num_shards": len(shards),
        "shards": shards,
        "source_files": [os.path.abspath(path) for path in files],
        "documents": stats.documents,
        "lines": stats.lines,
        "text_bytes": stats.bytes,
        "invalid_utf8_bytes_skipped": stats.invalid_bytes,
        "long_lines_split": stats.split_lines,
        "seed": seed,
        "build_seconds": round(time.time() - start, 2),
    }
    metadata_lib.write_metadata(output_dir, metadata)
    return metadata
