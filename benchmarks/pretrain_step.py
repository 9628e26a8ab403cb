"""Pretraining step throughput with and without XLA, in the same run.

    python benchmarks/pretrain_step.py [--config=configs/electra_tiny.json] [--steps=30]

For each `--jit_compile` mode it trains `--steps` steps on the default job's data
(after `--warmup` untimed steps that include tracing/compilation) and prints
seconds/step, sequences/s, tokens/s, the MFU estimate and peak resident memory.
This is the measurement behind `--jit_compile=auto` (off on CPU). The peer
comparison (Hugging Face's ElectraForPreTraining) belongs to the performance work
and is not part of this script.
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

from electra_tf.config import ElectraConfig  # noqa: E402
from electra_tf.data import pretraining_dataset  # noqa: E402
from electra_tf.data.default_data import prepare_default_data  # noqa: E402
from electra_tf.models import ElectraPretrainer  # noqa: E402
from electra_tf.text import ElectraTokenizer  # noqa: E402
from electra_tf.training.flops import peak_flops_per_second  # noqa: E402
from electra_tf.training.flops import train_flops_per_sequence  # noqa: E402
from electra_tf.training.optimizer import create_optimizer  # noqa: E402
from electra_tf.training.train_loop import ElectraTrainStep  # noqa: E402

flags.DEFINE_string("config", "configs/electra_tiny.json", "Config to benchmark.")
flags.DEFINE_integer("steps", 30, "Timed steps per mode.")
flags.DEFINE_integer("warmup", 5, "Untimed steps first (tracing, XLA compilation).")
flags.DEFINE_list("modes", ["false", "true"], "jit_compile values to compare.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    config = ElectraConfig.from_json(FLAGS.config)
    paths = prepare_default_data(max_seq_length=config.max_seq_length)
    tokenizer = ElectraTokenizer.from_vocab_file(paths["vocab"])
    config = config.replace(vocab_size=tokenizer.vocabulary_size())
    strategy = tf.distribute.get_strategy()
    flops = train_flops_per_sequence(config) * config.batch_size
    peak = peak_flops_per_second("cpu" if not tf.config.list_physical_devices("GPU") else
                                 tf.config.experimental.get_device_details(
                                     tf.config.list_physical_devices("GPU")[0]).get(
                                     "device_name", "gpu"))
    print(f"{config.num_layers} layers, hidden {config.hidden_size}, batch {config.batch_size} x "
          f"{config.max_seq_length}; {flops / 1e9:.1f} GFLOP/step; peak {peak / 1e12:.2f} TFLOP/s")
    for mode in FLAGS.modes:
        model = ElectraPretrainer.from_tokenizer(config, tokenizer)
        optimizer = create_optimizer(config)
        step = ElectraTrainStep(model, optimizer, strategy, jit_compile=mode == "true")
        iterator = iter(pretraining_dataset(paths["train_data"], config.batch_size,
                                            config.max_seq_length, seed=1))
        for _ in range(FLAGS.warmup):
            float(step.train(iterator)[0])
        start = time.perf_counter()
        for _ in range(FLAGS.steps):
            loss, _ = step.train(iterator)
        float(loss)
        seconds = (time.perf_counter() - start) / FLAGS.steps
        rate = config.batch_size / seconds
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"jit_compile={mode:5s}  {seconds:.3f} s/step  {rate:8.1f} sequences/s  "
              f"{rate * config.max_seq_length:10.0f} tokens/s  MFU {100 * flops / seconds / peak:5.1f}%"
              f"  peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    app.run(main)
