"""Pack text files into sharded TFRecords of ELECTRA pretraining examples.

    python tools/build_pretraining_data.py --corpus='corpus/*.txt' --vocab=vocab.txt \
        --output_dir=data/ --max_seq_length=128
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from electra_tf.data.pretraining_data import build_pretraining_data  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.tool_runner import check_command_line  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

flags.DEFINE_list("corpus", None, "Text files: comma-separated globs (.txt or .gz); one "
                  "sentence or paragraph per line, a blank line between documents.")
flags.DEFINE_string("vocab", None, "WordPiece vocab.txt (from tools/build_vocab.py or BERT's).")
flags.DEFINE_string("output_dir", None, "Folder for the TFRecord shards and metadata.json.")
flags.DEFINE_integer("max_seq_length", 128, "Tokens per example, [CLS]/[SEP] included (>= 8).")
flags.DEFINE_bool("lowercase", True, "Uncased tokenization; must match the vocabulary.")
flags.DEFINE_integer("seed", 12345, "Seed for the packing's random choices.")
flags.DEFINE_integer("num_workers", None, "Worker processes (default: all CPU cores).")
flags.DEFINE_integer("num_shards", 0, "Output shards; 0 picks one per 4 MiB of input text.")
flags.DEFINE_bool("overwrite", False, "Replace shards already in --output_dir.")
FLAGS = flags.FLAGS


@report_usage_errors
def main(argv):
    check_command_line(argv, required=("corpus", "vocab", "output_dir"))
    metadata = build_pretraining_data(
        FLAGS.corpus, FLAGS.vocab, FLAGS.output_dir,
        max_seq_length=FLAGS.max_seq_length, lowercase=FLAGS.lowercase, seed=FLAGS.seed,
        num_workers=FLAGS.num_workers, num_shards=FLAGS.num_shards, overwrite=FLAGS.overwrite,
    )
    print(f"Wrote {metadata['num_examples']} examples ({metadata['num_tokens']} tokens) in "
          f"{metadata['num_shards']} shard(s) to {FLAGS.output_dir} in "
          f"{metadata['build_seconds']}s.")
    if metadata["invalid_utf8_bytes_skipped"]:
        print(f"Skipped {metadata['invalid_utf8_bytes_skipped']} invalid UTF-8 byte(s).")
    if metadata["long_lines_split"]:
        print(f"Split {metadata['long_lines_split']} over-long line piece(s) at whitespace.")


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
