"""Model FLOPs per training step and the MFU estimate shown in TensorBoard.

Per token, a Transformer layer of width H (FFN width F, sequence length T)
does 2 * (4 H^2 + 2 H F) multiply-adds-as-FLOPs in its matmuls and
2 * 2 T H in attention (QK^T and AV). Training costs 3x the forward pass
(forward + two backward matmuls), hence the usual `6 N + 12 L T H` per token.
ELECTRA adds, per tower, the embedding projection (E -> H) on every token;
the discriminator head (H -> H -> 1) on every token; and the generator's MLM
head (Hg -> E, then E -> V through the tied embeddings) on the masked
positions only, because that is where we compute it. The paper's baselines
and strategies change which of these run (`train_flops_per_sequence`). Embedding lookups,
LayerNorm, softmax and elementwise work are not counted (as is customary).
Padding tokens are counted: the hardware does that work too.
"""

import os


def _tower_forward_flops_per_token(hidden, layers, ffn, embedding, seq_length):
    matmuls = layers * (4 * hidden * hidden + 2 * hidden * ffn)
    projection = embedding * hidden if embedding != hidden else 0
    attention = layers * 2 * seq_length * hidden
    return 2 * (matmuls + projection + attention)


def _mlm_head_forward_flops(hidden, embedding, vocab):
    """Per predicted position: dense hidden -> E, then E -> V (tied embeddings)."""
    return 2 * (hidden * embedding + embedding * vocab)


def train_flops_per_sequence(config, vocab_size=None, stage=None):
    """FLOPs of one training step's work on one sequence (forward + backward).

    Follows what the step computes for `config.objective`, `.training` and
    `.embedding_sharing` (docs/algorithm.md §6):

    - electra / electra_15: generator tower on every token, its MLM head on
      the P chosen positions, discriminator tower and RTD head on every token
      (electra_15 runs the head everywhere and weights the loss);
    - mlm: one encoder (the discriminator's sizes) and its MLM head at P;
    - replace_mlm: electra's generator, then the encoder and an MLM head at P;
    - all_tokens_mlm: electra's generator, then the encoder with an MLM head
      on every token and the copy head (the RTD head) on every token;
    - embedding_sharing "all": the generator pass runs the discriminator's
      encoder (its sizes);
    - adversarial: adds the baseline (hidden -> 1) at P positions;
    - two_stage: stage "generator" trains the generator alone (no
      discriminator pass); stage "discriminator" runs the generator forward
      only (1x, it is frozen) and trains the discriminator (3x). With
      `stage=None` a two_stage run's figure is the mean over its steps.

    Args:
        config: `ElectraConfig`.
        vocab_size: int or None. Defaults to `config.vocab_size`.
        stage: None, "generator" or "discriminator" (two_stage only).

    Returns:
        float.

    Example:
    ```python
    flops_per_step = train_flops_per_sequence(config) * config.batch_size
    ```
    """
    vocab = vocab_size or config.vocab_size
    T, E, P = config.max_seq_length, config.embedding_size, config.num_predictions
    H, objective = config.hidden_size, config.objective
    disc_tower = T * _tower_forward_flops_per_token(H, config.num_layers,
                                                    config.intermediate_size, E, T)
    rtd_head = T * 2 * (H * H + H)
    if objective == "mlm":
        return 3.0 * (disc_tower + P * _mlm_head_forward_flops(H, E, vocab))
    if config.embedding_sharing == "all":
        gen_hidden, gen_ffn = H, config.intermediate_size
    else:
        gen_hidden, gen_ffn = config.generator_hidden, config.generator_intermediate
    generator = (T * _tower_forward_flops_per_token(gen_hidden, config.num_layers, gen_ffn, E, T)
                 + P * _mlm_head_forward_flops(gen_hidden, E, vocab))
    if config.training == "adversarial":
        generator += P * 2 * gen_hidden
    if objective == "replace_mlm":
        encoder = disc_tower + P * _mlm_head_forward_flops(H, E, vocab)
    elif objective == "all_tokens_mlm":
        encoder = disc_tower + T * _mlm_head_forward_flops(H, E, vocab) + rtd_head
    else:
        encoder = disc_tower + rtd_head
    if config.training != "two_stage":
        return 3.0 * (generator + encoder)
    first = 3.0 * generator
    second = 1.0 * generator + 3.0 * encoder
    if stage == "generator":
        return first
    if stage == "discriminator":
        return second
    steps = config.generator_steps
    return (steps * first + (config.train_steps - steps) * second) / config.train_steps


def peak_flops_per_second(device_kind="cpu", mixed_precision="float32"):
    """A rough peak for MFU: per-device-kind table, or the CPU's cores x clock x width.

    GPU/TPU peaks are dense tensor-core/MXU figures. A CPU core is taken to
    retire two FMAs per cycle on its widest vectors: 64 float32 FLOPs per
    cycle with AVX-512, 32 with AVX2, 8 otherwise. (AMD Zen 4 runs AVX-512 as
    two 256-bit halves, so there this peak is twice the real one.) Pass `--peak_tflops` to the pretrain
    tool for a known figure.
    """
    low_precision = mixed_precision != "float32"
    table = {
        "h100": 989e12 if low_precision else 67e12,
        "h200": 989e12 if low_precision else 67e12,
        "a100": 312e12 if low_precision else 19.5e12,
        "v100": 125e12 if low_precision else 15.7e12,
        "tpu": 275e12,
    }
    kind = device_kind.lower()
    for name, value in table.items():
        if name in kind:
            return value
    mhz, flops_per_cycle = 2000.0, 8
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            info = f.read()
    except OSError:
        info = ""
    speeds = [float(line.split(":")[1]) for line in info.splitlines() if line.startswith("cpu MHz")]
    if speeds:
        mhz = max(speeds)
    flags = next((line for line in info.splitlines() if line.startswith("flags")), "").split()
    if "avx512f" in flags:
        flops_per_cycle = 64
    elif "fma" in flags:
        flops_per_cycle = 32
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores * mhz * 1e6 * flops_per_cycle
