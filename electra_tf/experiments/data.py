"""The experiment's default data, built once into the cache: the split of the
default corpus (`splits`), a vocabulary learned from its pretraining part only,
and that part packed into TFRecords.

The vocabulary is learned without the fine-tuning texts too, so nothing about
them reaches the encoder before fine-tuning.
"""

import os

from electra_tf.data import metadata as metadata_lib
from electra_tf.data.default_data import DEFAULT_VOCAB_SIZE
from electra_tf.data.default_data import default_cache_dir
from electra_tf.data.default_data import vocab_from_files
from electra_tf.data.pretraining_data import build_pretraining_data
from electra_tf.experiments import splits as splits_lib

# Bump when the split rule changes: a new folder, never a silently different one.
DATA_VERSION = "movie_reviews_v1"


def experiment_data_dir(cache_dir=None):
    """`<cache>/experiments/movie_reviews_v1` (cache: `$ELECTRA_TF_CACHE` or ~/.cache/electra_tf)."""
    return os.path.join(cache_dir or default_cache_dir(), "experiments", DATA_VERSION)


def prepare_split(cache_dir=None, log=print):
    """The split files (written on first use); returns `splits.write_splits`'s dict."""
    folder = experiment_data_dir(cache_dir)
    split = splits_lib.read_splits(folder)
    if split is None:
        log(f"Splitting the default corpus into pretraining text and held-out tasks in "
            f"{folder} ...")
        split = splits_lib.write_splits(folder)
    return split


def prepare_experiment_data(cache_dir=None, max_seq_length=128, vocab_size=DEFAULT_VOCAB_SIZE,
                            seed=12345, num_workers=None, log=print):
    """Builds (or finds) the split, the vocabulary and the pretraining TFRecords.

    Args:
        cache_dir: str or None. Defaults to `default_cache_dir()`.
        max_seq_length: int. Example length of the TFRecords.
        vocab_size: int. Size of the learned vocabulary.
        seed: int. Packing seed.
        num_workers: int or None. Processes for the TFRecord build.
        log: callable taking a str.

    Returns:
        dict: `train_data` (TFRecord glob), `vocab`, `tasks` {name: {"train",
        "dev"}}, `counts` (the split's sizes) and `dir`.

    Example:
    ```python
    data = prepare_experiment_data()
    data["tasks"]["rt"]["dev"]  # .../experiments/movie_reviews_v1/rt/dev.tsv
    ```
    """
    folder = experiment_data_dir(cache_dir)
    split = prepare_split(cache_dir, log)
    vocab = os.path.join(folder, f"vocab_{vocab_size}.txt")
    if not os.path.isfile(vocab):
        log(f"Learning a {vocab_size}-token vocabulary from the pretraining text (about a "
            "minute) ...")
        vocab_from_files(split["pretraining"], vocab + ".tmp", vocab_size)
        os.replace(vocab + ".tmp", vocab)
    records = os.path.join(folder, f"tfrecords_{vocab_size}_{max_seq_length}")
    if not os.path.isfile(os.path.join(records, metadata_lib.METADATA_FILE)):
        log(f"Packing the pretraining text into TFRecords in {records} (a few minutes) ...")
        build_pretraining_data(split["pretraining"], vocab, records,
                               max_seq_length=max_seq_length, seed=seed,
                               num_workers=num_workers, overwrite=True)
    return {"train_data": os.path.join(records, "*.tfrecord"), "vocab": vocab,
            "tasks": split["tasks"], "counts": split["counts"], "dir": folder}
