"""Pretrain ELECTRA. With no flags: the default job on the embedded corpus.

Until the pretrainer lands, the default job prepares its data: the movie-review
corpus, a WordPiece vocabulary learned from it, and TFRecords, in the cache
folder ($ELECTRA_TF_CACHE or ~/.cache/electra_tf).
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from electra_tf.data.default_data import prepare_default_data  # noqa: E402
from electra_tf.data.metadata import read_metadata  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402

flags.DEFINE_string("cache_dir", None, "Where the default job keeps its corpus, vocab and "
                    "TFRecords (default: $ELECTRA_TF_CACHE or ~/.cache/electra_tf).")
flags.DEFINE_integer("max_seq_length", 128, "Tokens per example.")
flags.DEFINE_integer("num_workers", None, "Processes for building TFRecords (default: all cores).")
FLAGS = flags.FLAGS


@report_usage_errors
def main(argv):
    del argv
    start = time.time()
    paths = prepare_default_data(
        FLAGS.cache_dir, max_seq_length=FLAGS.max_seq_length, num_workers=FLAGS.num_workers
    )
    print(f"Default data ready in {time.time() - start:.1f}s:")
    print(f"  vocab:      {paths['vocab']}")
    for split in ("train", "eval"):
        metadata = read_metadata(os.path.dirname(paths[f"{split}_data"]))
        print(f"  {split + ' data:':11} {paths[f'{split}_data']} ({metadata['num_examples']} "
              f"examples, {metadata['num_tokens']} tokens)")


if __name__ == "__main__":
    app.run(main)
