"""`metadata.json`: what a directory of pretraining TFRecords holds and how it
was made. The input pipeline reads it to refuse data that does not fit the
run (another sequence length, another vocabulary) with a clear message,
instead of a parse error from inside tf.data."""

import glob
import json
import os

from electra_tf.errors import UsageError

METADATA_FILE = "metadata.json"
FORMAT = "electra_tf.pretraining_data"
VERSION = 1


def write_metadata(output_dir, metadata):
    """Writes metadata.json atomically (its presence marks a finished dataset)."""
    path = os.path.join(output_dir, METADATA_FILE)
    values = {"format": FORMAT, "version": VERSION, **metadata}
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(values, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    return path


def read_metadata(directory):
    """Reads `directory/metadata.json`.

    Raises:
        UsageError: it is missing (an unfinished or foreign dataset) or invalid.
    """
    path = os.path.join(directory, METADATA_FILE)
    if not os.path.isfile(path):
        raise UsageError(
            f"{path!r} is missing: {directory!r} is not a finished electra-tf dataset. "
            "Build it with `python tools/build_pretraining_data.py` (an interrupted build "
            "leaves no metadata.json; rerun it with --overwrite)."
        )
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"{path!r} is not valid JSON ({error}); rebuild the dataset.") from None
    if values.get("format") != FORMAT:
        raise UsageError(f"{path!r} does not describe electra-tf pretraining data.")
    return values


def check_metadata(directory, max_seq_length, vocab_sha256=None, lowercase=None):
    """Refuses a dataset built for another sequence length, vocabulary or casing.

    Args:
        directory: str. Folder holding the shards and metadata.json.
        max_seq_length: int. The length the run expects.
        vocab_sha256: str or None. sha256 of the run's vocab file; None skips.
        lowercase: bool or None. The run's casing; None skips.

    Returns:
        The metadata dict.
    """
    metadata = read_metadata(directory)
    path = os.path.join(directory, METADATA_FILE)
    if metadata["max_seq_length"] != max_seq_length:
        raise UsageError(
            f"{path!r} says its examples have max_seq_length={metadata['max_seq_length']}, "
            f"but this run uses max_seq_length={max_seq_length}. Rebuild the data with "
            f"--max_seq_length={max_seq_length}, or set max_seq_length="
            f"{metadata['max_seq_length']} for this run."
        )
    if vocab_sha256 is not None and metadata["vocab_sha256"] != vocab_sha256:
        raise UsageError(
            f"{path!r} was tokenized with another vocabulary (sha256 "
            f"{metadata['vocab_sha256'][:12]}…, built from {metadata.get('vocab_file')!r}) "
            f"than this run's (sha256 {vocab_sha256[:12]}…). Token ids would mean other "
            "words: rebuild the data with this vocab, or pass the vocab it was built with."
        )
    if lowercase is not None and metadata["lowercase"] != lowercase:
        raise UsageError(
            f"{path!r} was built with lowercase={metadata['lowercase']}, this run uses "
            f"lowercase={lowercase}."
        )
    return metadata


def dataset_directories(file_pattern):
    """The folders of the files a TFRecord glob matches (each needs metadata)."""
    files = sorted(glob.glob(file_pattern))
    return sorted({os.path.dirname(os.path.abspath(path)) for path in files})
