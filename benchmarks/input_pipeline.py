"""Tokenization and tf.data throughput, against Hugging Face `tokenizers` in the same run.

    python benchmarks/input_pipeline.py [--vocab=...] [--num_texts=20000]

Prints tokens/s for: our ElectraTokenizer inside tf.data (batches of 256 texts), the HF
Rust BertWordPieceTokenizer `encode_batch` on the same texts and vocab (the peer, with an
id-agreement check), the TFRecord pretraining pipeline (read, parse, batch) and the raw-text
mode (tokenize + pack, then batch) over the default job's data; and the ratio of what each
pipeline delivers to what the trainer consumes (sequences/s of `--config`'s training step,
measured here). Writes JSON to `--output`. Needs the test extras (`tokenizers`) and the
default data (`python tools/pretrain.py` builds it).
"""

import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

from electra_tf.config import ElectraConfig  # noqa: E402
from electra_tf.data import pretraining_dataset  # noqa: E402
from electra_tf.data import raw_text_dataset  # noqa: E402
from electra_tf.data.default_data import prepare_default_data  # noqa: E402
from electra_tf.data.movie_reviews import read_reviews  # noqa: E402
from electra_tf.text import ElectraTokenizer  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

flags.DEFINE_string("vocab", None, "vocab.txt to use (default: the default job's vocab).")
flags.DEFINE_integer("num_texts", 20000, "Reviews to tokenize.")
flags.DEFINE_integer("batch_size", 256, "Texts per tokenizer call / examples per batch.")
flags.DEFINE_string("config", "configs/electra_tiny.json", "Training config whose step rate "
                    "the pipelines are compared with.")
flags.DEFINE_integer("train_steps", 10, "Training steps timed for the consumption rate.")
flags.DEFINE_string("output", "benchmarks/results/input_pipeline.json", "JSON results.")
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
    ours_rate = ours / (time.perf_counter() - start)
    _rate("electra_tf ElectraTokenizer in tf.data", ours, time.perf_counter() - start)

    try:
        from tokenizers import BertWordPieceTokenizer
    except ImportError:
        print("peer skipped: `pip install tokenizers` (in the test extras) to compare")
    else:
        peer = BertWordPieceTokenizer(vocab, lowercase=True, strip_accents=True)
        start = time.perf_counter()
        peer_ids = []
        for i in range(0, len(texts), FLAGS.batch_size):
            encodings = peer.encode_batch(texts[i:i + FLAGS.batch_size], add_special_tokens=False)
            peer_ids.extend(e.ids for e in encodings)
        theirs = sum(len(ids) for ids in peer_ids)
        peer_rate = theirs / (time.perf_counter() - start)
        _rate("HF tokenizers BertWordPieceTokenizer (peer)", theirs, time.perf_counter() - start)
        our_ids = [ids for batch in dataset for ids in batch.to_list()]
        agree = sum(a == b for a, b in zip(our_ids, peer_ids))
        print(f"{'texts with identical ids':48s} {agree:>14,} of {len(texts):,}")
        print(f"{'tokenizer speed ours / peer':48s} {ours_rate / peer_rate:>14.2f}x")

    results = {"tokenizer_tokens_per_second": ours_rate}
    records = pretraining_dataset(paths["train_data"], FLAGS.batch_size, 128, is_training=False)
    results["tfrecord_sequences_per_second"] = _sequences_per_second(
        "TFRecord pipeline (read, parse, batch)", records)
    start = time.perf_counter()
    raw = raw_text_dataset(paths["heldout_text"], tokenizer, FLAGS.batch_size, 128,
                           is_training=False)
    packing = time.perf_counter() - start
    print(f"{'raw-text mode: tokenize + pack held-out text':48s} {packing:13.1f} s (once)")
    results["raw_text_sequences_per_second"] = _sequences_per_second(
        "raw-text mode, batches after packing", raw)
    consumed = _training_sequences_per_second(tokenizer)
    print(f"{'trainer consumption (' + os.path.basename(FLAGS.config) + ')':48s} "
          f"{consumed:>14,.0f} sequences/s")
    for key in ("tfrecord", "raw_text"):
        ratio = results[f"{key}_sequences_per_second"] / consumed
        results[f"{key}_over_consumption"] = ratio
        print(f"{key + ' pipeline / trainer':48s} {ratio:>14,.0f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak resident memory':48s} {peak:>14,.0f} MiB")
    results.update({"training_sequences_per_second": consumed, "peak_rss_mib": peak,
                    "date": time.strftime("%Y-%m-%d"), "tensorflow": tf.__version__})
    os.makedirs(os.path.dirname(FLAGS.output) or ".", exist_ok=True)
    with open(FLAGS.output, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)


def _sequences_per_second(name, dataset):
    start = time.perf_counter()
    tokens = examples = 0
    for batch in dataset:
        tokens += int(tf.reduce_sum(batch["padding_mask"]))
        examples += int(batch["token_ids"].shape[0])
    seconds = time.perf_counter() - start
    _rate(name, tokens, seconds)
    print(f"{'':48s} {examples / seconds:>14,.0f} sequences/s")
    return examples / seconds


def _training_sequences_per_second(tokenizer):
    from electra_tf.models import ElectraPretrainer
    from electra_tf.training.optimizer import create_optimizer
    from electra_tf.training.train_loop import ElectraTrainStep

    config = ElectraConfig.from_json(FLAGS.config).replace(
        vocab_size=tokenizer.vocabulary_size(), max_seq_length=128)
    model = ElectraPretrainer.from_tokenizer(config, tokenizer)
    step = ElectraTrainStep(model, create_optimizer(config), tf.distribute.get_strategy())
    batch = next(iter(pretraining_dataset(prepare_default_data()["train_data"],
                                          config.batch_size, 128, is_training=False)))
    iterator = iter(tf.data.Dataset.from_tensors(batch).repeat())
    float(step.train(iterator)[0])
    start = time.perf_counter()
    for _ in range(FLAGS.train_steps):
        loss, _ = step.train(iterator)
    float(loss)
    return config.batch_size * FLAGS.train_steps / (time.perf_counter() - start)


if __name__ == "__main__":
    run_tool(main)
