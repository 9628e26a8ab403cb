"""The experiment's split of the default corpus: no text on two sides, the documented sizes."""

import csv
import json
import os

import pytest

from electra_tf.data import movie_reviews
from electra_tf.experiments import splits

# The counts documented in docs/experiments.md (the rule never changes them).
EXPECTED = {
    "rt": {"train": {"negative": 829, "positive": 867}, "dev": {"negative": 839, "positive": 865}},
    "imdb": {"train": {"negative": 894, "positive": 869},
             "dev": {"negative": 826, "positive": 869}},
    "pretraining": {"imdb": 21446, "rotten_tomatoes": 5130},
}


def _normalized(text):
    return " ".join(text.split()).lower()


def _documents(path):
    with open(path, encoding="utf-8") as f:
        return [block for block in f.read().split("\n\n") if block.strip()]


def _task_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    return splits.write_splits(str(tmp_path_factory.mktemp("split")))


def test_the_sizes_are_the_documented_ones(split):
    assert split["counts"] == EXPECTED
    # Dev sets of ~1,700: ten times the default job's 168 RT dev sentences.
    for task in ("rt", "imdb"):
        assert 1650 <= sum(EXPECTED[task]["dev"].values()) <= 1800
        rows = _task_rows(split["tasks"][task]["dev"])
        assert len(rows) == sum(EXPECTED[task]["dev"].values())
    with open(os.path.join(os.path.dirname(split["pretraining"]), splits.SPLITS_FILE)) as f:
        assert json.load(f)["counts"] == EXPECTED


def test_no_text_is_both_pretrained_on_and_fine_tuned_on(split):
    pretraining = {_normalized(doc) for doc in _documents(split["pretraining"])}
    seen = {}
    for task, files in split["tasks"].items():
        for name, path in files.items():
            for row in _task_rows(path):
                text = _normalized(row["sentence"])
                assert text not in pretraining, (task, name, text[:80])
                assert seen.setdefault(text, (task, name)) == (task, name), text[:80]
    # Every review is somewhere: nothing was lost between the sides.
    total = sum(1 for text, _, _ in movie_reviews.read_reviews()
                if movie_reviews.review_to_lines(text))
    assert len(pretraining) + len(seen) >= total - 5  # a few reviews normalize alike


def test_the_files_mix_both_labels_from_the_first_rows(split):
    for files in split["tasks"].values():
        labels = {row["label"] for row in _task_rows(files["train"])[:20]}
        assert labels == {"negative", "positive"}


def test_the_rule_depends_only_on_the_text_and_source(tmp_path):
    reviews = [(f"review number {i} was {'good' if i % 2 else 'bad'}.", i % 2,
                "rotten_tomatoes" if i % 3 else "imdb") for i in range(400)]
    first = splits.write_splits(str(tmp_path / "a"), reviews)
    second = splits.write_splits(str(tmp_path / "b"), list(reversed(reviews)))
    assert first["counts"] == second["counts"]
    for task in ("rt", "imdb"):
        for name in ("train", "dev"):
            rows = {tuple(r.values()) for r in _task_rows(first["tasks"][task][name])}
            assert rows == {tuple(r.values()) for r in _task_rows(second["tasks"][task][name])}
            for sentence, _ in rows:
                source = "rotten_tomatoes" if task == "rt" else "imdb"
                assert splits.assign(sentence, source) == (task, name)
    assert splits.assign("any text", "other_source") == ("pretraining", None)
