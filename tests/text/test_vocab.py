import pytest
import tensorflow as tf

from electra_tf.text import ElectraTokenizer
from electra_tf.text import load_vocab
from electra_tf.text.special_tokens import SPECIAL_TOKENS
from tests.conftest import assert_clean_error
from tests.conftest import run_tool
from tests.conftest import run_tool_in_process


def test_learned_vocab_has_special_tokens_first_and_covers_the_corpus(small_vocab_path, corpus_path):
    tokens = load_vocab(small_vocab_path)
    assert tokens[:5] == list(SPECIAL_TOKENS)
    assert 1000 < len(tokens) <= 2000
    assert "the" in tokens and "movie" in tokens
    tokenizer = ElectraTokenizer.from_vocab_file(small_vocab_path)
    lines = open(corpus_path, encoding="utf-8").read().split("\n")[:200]
    ids = tf.function(tokenizer.tokenize)(tf.constant(lines)).flat_values.numpy()
    # Learned on this text, so almost nothing is unknown.
    assert (ids == tokenizer.unk_id).mean() < 0.01


@pytest.mark.slow
def test_build_vocab_tool(tmp_path, corpus_path):
    out = tmp_path / "vocab.txt"
    result = run_tool("build_vocab", f"--corpus={corpus_path}", f"--vocab={out}",
                      "--vocab_size=500")
    assert result.returncode == 0, result.stderr
    tokens = load_vocab(str(out))
    assert tokens[:5] == list(SPECIAL_TOKENS) and len(tokens) <= 500
    # The learner lands near the size asked for; the tool says so when it misses.
    assert (len(tokens) == 500) != (f"{len(tokens)} is not --vocab_size=500" in result.stdout)
    again = run_tool_in_process("build_vocab", f"--corpus={corpus_path}", f"--vocab={out}")
    assert_clean_error(again, "--overwrite")


def test_build_vocab_tool_refuses_a_glob_matching_nothing(tmp_path):
    result = run_tool_in_process("build_vocab", f"--corpus={tmp_path}/nothing*.txt",
                      f"--vocab={tmp_path}/v.txt")
    assert_clean_error(result, "matches no file", "nothing*.txt")
