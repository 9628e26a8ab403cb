import glob
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from electra_tf.data import build_pretraining_data
from electra_tf.data.example_codec import parse_examples
from electra_tf.errors import UsageError
from electra_tf.text import ElectraTokenizer
from electra_tf.text import vocab_sha256
from tests.conftest import assert_clean_error
from tests.conftest import run_tool
from tests.conftest import run_tool_in_process


def _read_all(output_dir, length):
    files = sorted(glob.glob(os.path.join(output_dir, "*.tfrecord")))
    records = [r.numpy() for r in tf.data.TFRecordDataset(files)]
    return parse_examples(tf.constant(records), length)


def test_shards_hold_packed_examples_and_metadata(tmp_path, corpus_path, small_vocab_path):
    out = str(tmp_path / "data")
    metadata = build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=64,
                                      num_shards=3, num_workers=1, show_progress=False)
    on_disk = json.load(open(os.path.join(out, "metadata.json")))
    assert on_disk["num_examples"] == metadata["num_examples"] > 100
    assert on_disk["vocab_sha256"] == vocab_sha256(small_vocab_path)
    assert on_disk["max_seq_length"] == 64 and on_disk["lowercase"] is True
    assert len(glob.glob(os.path.join(out, "*.tfrecord"))) == on_disk["num_shards"] == 3
    assert sum(s["num_examples"] for s in on_disk["shards"]) == on_disk["num_examples"]
    batch = _read_all(out, 64)
    assert batch["token_ids"].shape == (on_disk["num_examples"], 64)
    assert int(tf.reduce_sum(batch["padding_mask"])) == on_disk["num_tokens"]
    tokenizer = ElectraTokenizer.from_vocab_file(small_vocab_path)
    assert (batch["token_ids"][:, 0].numpy() == tokenizer.cls_id).all()
    # Real text survives the trip: the first example starts with the corpus's first words.
    first_line = open(corpus_path, encoding="utf-8").readline()
    expected = tf.function(tokenizer.tokenize)(tf.constant([first_line])).to_list()[0][:5]
    starts = batch["token_ids"][:, 1:6].numpy().tolist()
    assert expected in starts


@pytest.mark.slow
def test_output_depends_on_seed_not_on_workers(tmp_path, corpus_path, small_vocab_path):
    runs = {}
    for name, workers, seed in (("a", 1, 1), ("b", 2, 1), ("c", 1, 2)):
        out = str(tmp_path / name)
        build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=32,
                               num_shards=2, num_workers=workers, seed=seed, show_progress=False)
        runs[name] = _read_all(out, 32)["token_ids"].numpy()
    np.testing.assert_array_equal(runs["a"], runs["b"])
    assert runs["a"].shape != runs["c"].shape or (runs["a"] != runs["c"]).any()


def test_shard_count_follows_corpus_size(tmp_path, corpus_path, small_vocab_path):
    out = str(tmp_path / "auto")
    metadata = build_pretraining_data(corpus_path, small_vocab_path, out, max_seq_length=32,
                                      num_workers=1, show_progress=False)
    assert metadata["num_shards"] == 1  # a few hundred KB: one shard, not 1000 empty ones
    tiny = tmp_path / "two_docs.txt"
    tiny.write_text("one doc.\n\nanother doc.\n", encoding="utf-8")
    metadata = build_pretraining_data(str(tiny), small_vocab_path, str(tmp_path / "many"),
                                      max_seq_length=32, num_shards=5, num_workers=1,
                                      show_progress=False)
    assert metadata["num_shards"] == 2  # empty shards are not left behind
    assert len(glob.glob(str(tmp_path / "many" / "*"))) == 3


def test_existing_output_is_refused_unless_overwrite(tmp_path, corpus_path, small_vocab_path):
    out = str(tmp_path / "data")
    kwargs = dict(max_seq_length=32, num_workers=1, show_progress=False)
    build_pretraining_data(corpus_path, small_vocab_path, out, **kwargs)
    with pytest.raises(UsageError, match="already holds pretraining data.*--overwrite"):
        build_pretraining_data(corpus_path, small_vocab_path, out, **kwargs)
    build_pretraining_data(corpus_path, small_vocab_path, out, overwrite=True, **kwargs)


@pytest.mark.slow
def test_tool_writes_data_and_reports(tmp_path, corpus_path, small_vocab_path):
    out = tmp_path / "data"
    result = run_tool("build_pretraining_data", f"--corpus={corpus_path}",
                      f"--vocab={small_vocab_path}", f"--output_dir={out}",
                      "--max_seq_length=64", "--num_workers=2", "--num_shards=2")
    assert result.returncode == 0, result.stderr
    assert "examples" in result.stdout and "byte" in result.stdout  # progress bar + summary
    # Output to a file (not a terminal): plain lines, no control characters.
    assert not any(code in result.stdout for code in ("\r", "\b", "\x1b"))
    assert len(glob.glob(str(out / "*.tfrecord"))) == 2


@pytest.mark.parametrize(
    "case",
    ["no_match", "empty", "binary", "bad_vocab", "missing_vocab", "short_length", "exists"],
)
def test_tool_bad_input_gets_a_clear_error(tmp_path, small_vocab_path, bert_vocab_path, case):
    text = tmp_path / "corpus.txt"
    text.write_text("A sentence.\nAnother one.\n", encoding="utf-8")
    vocab = small_vocab_path
    args = {"corpus": str(text), "output_dir": str(tmp_path / "out"), "max_seq_length": "32"}
    expect = []
    if case == "no_match":
        args["corpus"] = str(tmp_path / "missing*.txt")
        expect = ["missing*.txt", "matches no file"]
    elif case == "empty":
        text.write_text("\n\n  \n", encoding="utf-8")
        expect = ["empty", "corpus.txt"]
    elif case == "binary":
        png = tmp_path / "image.png"
        png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
        args["corpus"] = str(png)
        expect = ["image.png", "not a text file"]
    elif case == "bad_vocab":
        bad = tmp_path / "vocab.txt"
        bad.write_text("\n".join(t for t in open(bert_vocab_path).read().split("\n")
                                 if t != "[MASK]"), encoding="utf-8")
        vocab = str(bad)
        expect = ["vocab.txt", "[MASK]"]
    elif case == "missing_vocab":
        vocab = str(tmp_path / "nope.txt")
        expect = ["nope.txt", "does not exist"]
    elif case == "short_length":
        args["max_seq_length"] = "4"
        expect = ["max_seq_length", "at least 8"]
    elif case == "exists":
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "pretrain_data-00000-of-00001.tfrecord").write_bytes(b"")
        expect = ["--overwrite"]
    result = run_tool_in_process("build_pretraining_data", f"--vocab={vocab}",
                      *(f"--{k}={v}" for k, v in args.items()))
    assert_clean_error(result, *expect)
