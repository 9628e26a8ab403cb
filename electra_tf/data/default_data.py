"""The default job's data: the embedded movie-review corpus, a WordPiece vocab
learned from it and TFRecords, built once into a cache folder and reused."""

import os

from electra_tf.data import metadata as metadata_lib
from electra_tf.data import movie_reviews
from electra_tf.data.corpus import expand_globs
from electra_tf.data.corpus import read_documents
from electra_tf.data.pretraining_data import build_pretraining_data
from electra_tf.text.vocab import build_vocab
from electra_tf.text.vocab import write_vocab

DEFAULT_VOCAB_SIZE = 8192


def default_cache_dir():
    """`$ELECTRA_TF_CACHE`, else `~/.cache/electra_tf`."""
    return os.environ.get("ELECTRA_TF_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "electra_tf"
    )


def vocab_from_files(input_patterns, output_path, vocab_size, lowercase=True):
    """Learns a vocabulary from text files and writes it; returns its size."""
    files = expand_globs(input_patterns)
    lines = (line for document in read_documents(files) for line in document)
    tokens = build_vocab(lines, vocab_size, lowercase=lowercase)
    write_vocab(tokens, output_path)
    return len(tokens)


def prepare_default_data(
    cache_dir=None,
    max_seq_length=128,
    vocab_size=DEFAULT_VOCAB_SIZE,
    seed=12345,
    num_workers=None,
    log=print,
):
    """Builds (or finds in `cache_dir`) everything the default job trains on.

    Each step is skipped when its output is already complete (a vocab file, a
    dataset with its metadata.json), so a second run starts at once.

    Args:
        cache_dir: str or None. Defaults to `default_cache_dir()`.
        max_seq_length: int. Example length of the TFRecords.
        vocab_size: int. Size of the learned vocabulary.
        seed: int. Packing seed.
        num_workers: int or None. Processes for the TFRecord build.
        log: callable taking a str, for progress messages.

    Returns:
        dict with `vocab`, `train_data` and `eval_data` (TFRecord globs) and
        the corpus text files `train_text`, `heldout_text`.

    Example:
    ```python
    paths = prepare_default_data()
    dataset = pretraining_dataset(paths["train_data"], 32, 128)
    ```
    """
    cache_dir = cache_dir or default_cache_dir()
    corpus_dir = os.path.join(cache_dir, "corpus")
    text = {split: os.path.join(corpus_dir, f"{split}.txt") for split in ("train", "heldout")}
    if not all(os.path.isfile(path) for path in text.values()):
        log(f"Writing the movie-review corpus to {corpus_dir} ...")
        movie_reviews.write_corpus(corpus_dir)

    vocab = os.path.join(cache_dir, f"vocab_{vocab_size}.txt")
    if not os.path.isfile(vocab):
        log(f"Learning a {vocab_size}-token WordPiece vocabulary (about a minute) ...")
        vocab_from_files(text["train"], vocab + ".tmp", vocab_size)
        os.replace(vocab + ".tmp", vocab)

    paths = {"vocab": vocab, "train_text": text["train"], "heldout_text": text["heldout"]}
    for split, source in (("train", text["train"]), ("eval", text["heldout"])):
        out = os.path.join(cache_dir, f"tfrecords_{vocab_size}_{max_seq_length}", split)
        if not os.path.isfile(os.path.join(out, metadata_lib.METADATA_FILE)):
            log(f"Packing {split} examples into TFRecords in {out} ...")
            build_pretraining_data(
                source, vocab, out, max_seq_length=max_seq_length, seed=seed,
                num_workers=num_workers, overwrite=True,
            )
        paths[f"{split}_data"] = os.path.join(out, "*.tfrecord")
    return paths
