"""Write the sentiment fine-tuning example's data: held-out Rotten Tomatoes sentences.

    python tools/prepare_sentiment_data.py --output_dir=data/rt_sentiment

The sentences come from the ~10% of reviews the default pretraining job never sees
(electra_tf/data/movie_reviews.py), split again into train.tsv and dev.tsv (1 in 5).
"""

from absl import flags

from electra_tf.data.movie_reviews import write_sentiment_split
from electra_tf.errors import report_usage_errors
from electra_tf.tool_runner import run_tool

flags.DEFINE_string("output_dir", "data/rt_sentiment", "Where train.tsv and dev.tsv go.")
FLAGS = flags.FLAGS


@report_usage_errors
def main(argv):
    del argv
    paths = write_sentiment_split(FLAGS.output_dir)
    print(f"Wrote {paths['train_examples']} training sentences to {paths['train']} and "
          f"{paths['dev_examples']} dev sentences to {paths['dev']}.")


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
