"""Tokenization and tf.data throughput, against Hugging Face `tokenizers` in the same run.

    python benchmarks/input_pipeline.py [--vocab=...] [--num_texts=20000]

Prints tokens/s for: our ElectraTokenizer inside tf.data (batches of 256 texts), the HF
Rust BertWordPieceTokenizer `encode_batch` on the same texts and vocab (the peer), and the
TFRecord pretraining pipeline (read, parse, batch) over the default job's data; plus peak
resident memory. Needs the test extras (`tokenizers`) and the default data
(`python tools/pretrain.py` builds it).
"""

import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from electra_tf.data import pretraining_dataset  # noqa: E402
from electra_tf.data.default_data import prepare_default_data  # noqa: E402
from electra_tf.data.movie_reviews import read_reviews  # noqa: E402
from electra_tf.text import ElectraTokenizer  # noqa: E402

flags.DEFINE_string("vocab", None, "vocab.txt to use (default: the default job's vocab).")
flags.DEFINE_integer("num_texts", 20000, "Reviews to tokenize.")
flags.DEFINE_integer("batch_size", 256, "Texts per tokenizer call / examples per batch.")
FLAGS = flags.FLAGS


def _rate(name, tokens, seconds):
    print(f"{name:48s} {tokens / seconds:>14,.0f} tokens/s  ({tokens:,} tokens, {seconds:.2f}s)")


def main(argv):
    del argv
    paths = prepare_default_data()
    vocab = FLAGS.vocab or paths["vocab"]
    texts = [text for text, _, _ in read_reviews()][: FLAGS.num_texts]

    tokenizer = ElectraTokenizer.from_vocab_file(vocab)
    dataset = tf.data.Dataset.from_tensor_slices(texts).batch(FLAGS.batch_size)
    dataset = dataset.map(tokenizer, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
    for _ in dataset.take(1):  # build the graph before timing
        pass
    start = time.perf_counter()
    ours = sum(int(tf.size(batch.flat_values)) for batch in dataset)
    _rate("electra_tf ElectraTokenizer in tf.data", ours, time.perf_counter() - start)

    try:
        from tokenizers import BertWordPieceTokenizer
    except ImportError:
        print("peer skipped: `pip install tokenizers` (in the test extras) to compare")
    else:
        peer = BertWordPieceTokenizer(vocab, lowercase=True, strip_accents=True)
        start = time.perf_counter()
        theirs = 0
        for i in range(0, len(texts), FLAGS.batch_size):
            encodings = peer.encode_batch(texts[i:i + FLAGS.batch_size], add_special_tokens=False)
            theirs += sum(len(e.ids) for e in encodings)
        _rate("HF tokenizers BertWordPieceTokenizer (peer)", theirs, time.perf_counter() - start)
        print(f"{'token count agreement':48s} {ours == theirs} ({ours} vs {theirs})")

    records = pretraining_dataset(paths["train_data"], FLAGS.batch_size, 128, is_training=False)
    start = time.perf_counter()
    tokens = examples = 0
    for batch in records:
        tokens += int(tf.reduce_sum(batch["input_mask"]))
        examples += int(batch["input_ids"].shape[0])
    seconds = time.perf_counter() - start
    _rate("TFRecord pipeline (read, parse, batch)", tokens, seconds)
    print(f"{'':48s} {examples / seconds:>14,.0f} sequences/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak resident memory':48s} {peak:>14,.0f} MiB")


if __name__ == "__main__":
    app.run(main)
