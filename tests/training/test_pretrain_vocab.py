"""`tools/pretrain.py` on text files without --vocab learns one into the model_dir."""

import json
import os

import pytest

from electra_tf.text.vocab import load_vocab
from tests.conftest import real_review_documents
from tests.conftest import run_tool_in_process
from tests.conftest import write_documents


@pytest.mark.slow
def test_text_input_without_vocab_learns_one_into_the_model_dir(tmp_path):
    corpus = write_documents(tmp_path / "corpus.txt", real_review_documents(120, start=500))
    model_dir = tmp_path / "run"
    result = run_tool_in_process("pretrain", f"--train_data={corpus}", f"--model_dir={model_dir}",
                      "--vocab_size=400", "--max_seq_length=32", "--train_steps=2",
                      "--batch_size=4", "--hidden_size=32", "--num_heads=2",
                      "--eval_every=0", "--noprogress", "--noexport")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "learning a 400-token WordPiece vocabulary" in result.stdout
    vocab = load_vocab(os.path.join(model_dir, "vocab.txt"))
    # The learner lands near 400; the model is sized from the file it wrote.
    assert abs(len(vocab) - 400) <= 40
    assert json.load(open(model_dir / "config.json"))["vocab_size"] == len(vocab)
    assert "Finished at step 2/2" in result.stdout
