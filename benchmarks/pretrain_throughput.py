"""Pretraining throughput of electra-tf against Hugging Face's PyTorch ELECTRA, same run.

    python benchmarks/pretrain_throughput.py --config=configs/electra_small.json --batch_size=32

For each variant (jit_compile on/off x float32/mixed_bfloat16) and for the peer, after
`--warmup` untimed steps, the median over `--steps` timed steps of: step time, sequences/s,
tokens/s, MFU and peak memory. Prints a table, our/peer tokens/s ratios, and writes JSON
(`--output`).

MFU = model FLOPs per step / step time / peak. Model FLOPs: `electra_tf/training/flops.py`
(6·N per token plus attention, generator MLM head on masked positions only, both towers).
The peak is *measured in this run*: the best float32 throughput of many short 1024³ TF
matmuls, measured before and after the variants (both printed; MFU uses the higher), so a
busy moment on a shared machine lowers one sample, not the peak (MFU on CPU means "share of
what this CPU's BLAS reaches").

The peer (`transformers` ElectraForMaskedLM + ElectraForPreTraining in PyTorch, the
standard alternative) trains the same sizes, activation, batch, sequence length and
objective: 15% of tokens chosen, 85% shown as [MASK], Gumbel-sampled replacements, loss
1·MLM + 50·RTD, tied embeddings (the generator uses the discriminator's embedding module),
one AdamW step. It does exactly the work the objective needs: Gumbel noise, sampling and
the MLM cross-entropy at the chosen positions only. HF's MLM head itself projects every
position to the vocabulary (the library's design, kept; ours gathers the masked positions
first). Data: the same random token ids for both (throughput only). Needs `torch` and
`transformers` (the `test` extra); without them the peer is reported as missing.
"""

import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

from electra_tf.config import ElectraConfig  # noqa: E402
from electra_tf.convert.hf_config import HIDDEN_ACT_TO_HF  # noqa: E402
from electra_tf.models import ElectraPretrainer  # noqa: E402
from electra_tf.training.flops import train_flops_per_sequence  # noqa: E402
from electra_tf.training.optimizer import create_optimizer  # noqa: E402
from electra_tf.training.train_loop import ElectraTrainStep  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

flags.DEFINE_string("config", "configs/electra_small.json", "Model config to benchmark.")
flags.DEFINE_integer("batch_size", 32, "Sequences per step.")
flags.DEFINE_integer("seq_length", None, "Tokens per sequence (default: the config's).")
flags.DEFINE_integer("vocab_size", 30522, "Vocabulary size (the config's 0 means: this).")
flags.DEFINE_integer("steps", 20, "Timed steps per variant (the median is reported).")
flags.DEFINE_integer("warmup", 3, "Untimed steps first (tracing, XLA compilation).")
flags.DEFINE_list("variants", ["float32/nojit", "float32/jit", "mixed_bfloat16/nojit",
                               "mixed_bfloat16/jit", "peer"], "What to run.")
flags.DEFINE_string("output", "benchmarks/results/pretrain_throughput.json", "JSON results.")
FLAGS = flags.FLAGS

PAD, CLS, SEP, MASK = 0, 101, 102, 103


def random_batch(config, batch_size, seq_length, rng):
    ids = rng.integers(1000, config.vocab_size, size=(batch_size, seq_length)).astype(np.int32)
    ids[:, 0], ids[:, -1] = CLS, SEP
    return {"token_ids": ids, "padding_mask": np.ones_like(ids),
            "segment_ids": np.zeros_like(ids)}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured_peak_flops(size=1024, repeats=30):
    """Best float32 FLOP/s over `repeats` short size³ TF matmuls on the default device.

    Short matmuls (a few ms each) and the best of many: another process taking
    the cores for a moment slows some samples but rarely all of them.
    """
    a = tf.random.normal([size, size])
    b = tf.random.normal([size, size])
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best


def run_ours(config, batch, precision, jit):
    keras.mixed_precision.set_global_policy(precision)
    keras.utils.set_random_seed(0)
    strategy = tf.distribute.get_strategy()
    model = ElectraPretrainer(config, pad_id=PAD, cls_id=CLS, sep_id=SEP, mask_id=MASK)
    step = ElectraTrainStep(model, create_optimizer(config), strategy, jit_compile=jit)
    dataset = tf.data.Dataset.from_tensors(batch).repeat()
    iterator = iter(dataset)
    for _ in range(FLAGS.warmup):
        float(step.train(iterator)[0])
    times = []
    for _ in range(FLAGS.steps):
        start = time.perf_counter()
        float(step.train(iterator)[0])  # the float() waits for the step to finish
        times.append(time.perf_counter() - start)
    keras.mixed_precision.set_global_policy("float32")
    return times


def run_peer(config, batch):
    import torch
    import transformers

    torch.manual_seed(0)
    common = dict(vocab_size=config.vocab_size, embedding_size=config.embedding_size,
                  max_position_embeddings=config.max_position_embeddings,
                  type_vocab_size=config.type_vocab_size,
                  hidden_act=HIDDEN_ACT_TO_HF[config.hidden_act],
                  hidden_dropout_prob=config.dropout, attention_probs_dropout_prob=config.dropout,
                  layer_norm_eps=1e-12, num_hidden_layers=config.num_layers)
    disc = transformers.ElectraForPreTraining(transformers.ElectraConfig(
        hidden_size=config.hidden_size, num_attention_heads=config.num_heads,
        intermediate_size=config.intermediate_size, **common))
    gen = transformers.ElectraForMaskedLM(transformers.ElectraConfig(
        hidden_size=config.generator_hidden, num_attention_heads=config.generator_heads,
        intermediate_size=config.generator_intermediate, **common))
    gen.electra.embeddings = disc.electra.embeddings  # tied embeddings, as in ELECTRA
    gen.generator_lm_head.weight = disc.electra.embeddings.word_embeddings.weight
    params = list({id(p): p for p in list(disc.parameters()) + list(gen.parameters())}.values())
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, eps=1e-6, weight_decay=0.01)
    ids = torch.from_numpy(batch["token_ids"]).long()
    mask = torch.from_numpy(batch["padding_mask"]).long()
    segments = torch.from_numpy(batch["segment_ids"]).long()
    disc.train()
    gen.train()

    def step():
        candidates = (ids != CLS) & (ids != SEP) & (mask > 0)
        chosen = (torch.rand(ids.shape) < config.mask_prob) & candidates
        shown = chosen & (torch.rand(ids.shape) < config.mask_token_prob)
        gen_input = torch.where(shown, torch.full_like(ids, MASK), ids)
        # HF's head projects every position; the objective only needs the chosen ones.
        logits = gen(input_ids=gen_input, attention_mask=mask,
                     token_type_ids=segments).logits[chosen]
        gen_loss = torch.nn.functional.cross_entropy(logits, ids[chosen])
        with torch.no_grad():
            gumbel = -torch.log(-torch.log(torch.rand(logits.shape).clamp_min(1e-20)))
            sampled = torch.argmax(logits.float() + gumbel, dim=-1)
        disc_input = ids.clone()
        disc_input[chosen] = sampled
        disc_labels = (disc_input != ids).float()
        disc_logits = disc(input_ids=disc_input, attention_mask=mask,
                           token_type_ids=segments).logits
        disc_loss = torch.nn.functional.binary_cross_entropy_with_logits(
            disc_logits[mask > 0], disc_labels[mask > 0])
        loss = gen_loss + 50.0 * disc_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        return loss.detach().item()

    for _ in range(FLAGS.warmup):
        step()
    times = []
    for _ in range(FLAGS.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times, f"torch {torch.__version__}, transformers {transformers.__version__}"


def main(argv):
    del argv
    config = ElectraConfig.from_json(FLAGS.config)
    seq_length = FLAGS.seq_length or config.max_seq_length
    config = config.replace(vocab_size=config.vocab_size or FLAGS.vocab_size,
                            max_seq_length=seq_length, dropout=config.dropout)
    batch = random_batch(config, FLAGS.batch_size, seq_length, np.random.default_rng(0))
    flops = train_flops_per_sequence(config) * FLAGS.batch_size
    peak_before = measured_peak_flops()
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU x{os.cpu_count()}"
    print(f"{os.path.basename(FLAGS.config)}: {config.num_layers} layers, hidden "
          f"{config.hidden_size}, generator {config.generator_hidden}, batch {FLAGS.batch_size} "
          f"x {seq_length}, vocab {config.vocab_size}; {flops / 1e9:.1f} model GFLOP/step; "
          f"{device}; load average {os.getloadavg()[0]:.2f}; measured fp32 matmul peak "
          f"{peak_before / 1e9:.0f} GFLOP/s (before)", flush=True)
    rows = []
    for variant in FLAGS.variants:
        label = variant
        if variant == "peer":
            try:
                times, label = run_peer(config, batch)
                label = f"peer: HF {label}"
            except ImportError as error:
                print(f"peer missing ({error}): pip install -e '.[test]' (it holds torch and "
                      "transformers)")
                continue
        else:
            precision, jit = variant.split("/")
            times = run_ours(config, batch, precision, jit == "jit")
            label = f"electra_tf {variant}"
        seconds = statistics.median(times)
        rows.append({
            "variant": label, "step_seconds": seconds,
            "step_seconds_min": min(times), "step_seconds_max": max(times),
            "sequences_per_second": FLAGS.batch_size / seconds,
            "tokens_per_second": FLAGS.batch_size * seq_length / seconds,
            "peak_rss_mib": peak_rss_mib(), "load_average": os.getloadavg()[0],
        })
        row = rows[-1]
        print(f"{label:48s} {seconds:7.3f} s/step (min {min(times):.3f}, max {max(times):.3f}) "
              f"{row['sequences_per_second']:8.1f} seq/s {row['tokens_per_second']:9.0f} tok/s  "
              f"peak RSS {row['peak_rss_mib']:.0f} MiB  load {row['load_average']:.2f}",
              flush=True)
    peak_after = measured_peak_flops()
    peak = max(peak_before, peak_after)
    print(f"measured fp32 matmul peak: {peak_before / 1e9:.0f} GFLOP/s before, "
          f"{peak_after / 1e9:.0f} after; MFU uses {peak / 1e9:.0f}")
    for row in rows:
        row["mfu"] = flops / row["step_seconds"] / peak
        print(f"MFU {row['variant']}: {100 * row['mfu']:.1f}%")
    peers = [r for r in rows if r["variant"].startswith("peer")]
    if peers:
        for row in rows:
            if row is not peers[0]:
                ratio = row["tokens_per_second"] / peers[0]["tokens_per_second"]
                print(f"ratio ours/peer tokens/s, {row['variant']}: {ratio:.2f}x")
    os.makedirs(os.path.dirname(FLAGS.output) or ".", exist_ok=True)
    with open(FLAGS.output, "w", encoding="utf-8") as f:
        json.dump({"config": FLAGS.config, "batch_size": FLAGS.batch_size,
                   "seq_length": seq_length, "model_flops_per_step": flops,
                   "peak_flops": peak, "peak_flops_before": peak_before,
                   "peak_flops_after": peak_after, "device": device, "tensorflow": tf.__version__,
                   "date": time.strftime("%Y-%m-%d"), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    run_tool(main)
