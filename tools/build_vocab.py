"""Learn a WordPiece vocabulary from text files.

    python tools/build_vocab.py --corpus='corpus/*.txt' --vocab=vocab.txt --vocab_size=30522
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from electra_tf.data.default_data import vocab_from_files  # noqa: E402
from electra_tf.errors import UsageError  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

flags.DEFINE_list("corpus", None, "Text files: comma-separated globs (.txt or .gz), "
                  "one sentence per line.")
flags.DEFINE_string("vocab", "vocab.txt", "Where to write the vocabulary, one token a line.")
flags.DEFINE_integer("vocab_size", 30522, "Target vocabulary size, special tokens included.")
flags.DEFINE_bool("lowercase", True, "Lowercase and strip accents (an uncased vocabulary); "
                  "--nolowercase keeps case.")
flags.DEFINE_bool("overwrite", False, "Replace --output if it exists.")
FLAGS = flags.FLAGS


@report_usage_errors
def main(argv):
    del argv
    if not FLAGS.corpus:
        raise UsageError("--corpus is required: the text files to learn from.")
    if os.path.exists(FLAGS.vocab) and not FLAGS.overwrite:
        raise UsageError(f"{FLAGS.vocab!r} exists; pass --overwrite to replace it.")
    start = time.time()
    size = vocab_from_files(FLAGS.corpus, FLAGS.vocab, FLAGS.vocab_size, FLAGS.lowercase)
    print(f"Wrote {size} tokens to {FLAGS.vocab} in {time.time() - start:.1f}s "
          "([PAD] [UNK] [CLS] [SEP] [MASK] are ids 0-4).")
    if size != FLAGS.vocab_size:
        # tf-text's learner searches a count threshold, which lands near the
        # target, not on it; configs take vocab_size from the file (vocab_size 0).
        print(f"  {size} is not --vocab_size={FLAGS.vocab_size}: the WordPiece learner stops "
              "within a few percent of the target. Pretrain with --vocab_size=0 (the tiny "
              "config's setting) to size the model from this file.")


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
