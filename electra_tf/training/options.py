"""How a pretraining run is run: `TrainingOptions` (what it learns is `ElectraConfig`).

Kept apart from `pretraining.py` so that `tools/pretrain.py` takes its flag
defaults from here without importing TensorFlow first.
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass
class TrainingOptions:
    """How to run (not what to learn: that is `ElectraConfig`).

    Args:
        model_dir: str. Checkpoints, config.json, vocab.txt, logs/.
        train_data: str. TFRecord glob from `build_pretraining_data`, or text
            files (`.txt`/`.gz` globs) tokenized on the fly.
        vocab: str. The vocabulary the data was built with.
        eval_data: str or None. Same formats; evaluated every `eval_every`.
        strategy: str. auto|default|mirrored|multi_worker|tpu.
        tpu: str or None. TPU name/address for the tpu strategy.
        jit_compile: str. auto|true|false (XLA for forward/backward).
        mixed_precision: str. float32|mixed_bfloat16|mixed_float16.
        grad_accum_steps: int. Micro-batches per update; batch_size is split.
        save_every: int. Steps between checkpoints (also saved at the end).
        keep_checkpoints: int. Checkpoints kept.
        log_every: int. Steps between TensorBoard scalars / progress updates.
        eval_every: int. Steps between evaluations on `eval_data` (0: only at
            the end).
        eval_steps: int. Batches per evaluation.
        sample_every: int. Steps between replaced-token text summaries.
        steps_this_run: int or None. Stop (with a checkpoint) after this many
            steps, e.g. to fit a preemptible time slot; rerun to continue.
        preemption_safe: bool. Multi-worker: save through TF's
            PreemptionCheckpointHandler when a worker gets SIGTERM.
        peak_tflops: float or None. Hardware peak for the MFU estimate.
        show_progress: bool. Progress bar on stdout.
    """

    model_dir: str
    train_data: str
    vocab: str
    eval_data: Optional[str] = None
    strategy: str = "auto"
    tpu: Optional[str] = None
    jit_compile: str = "auto"
    mixed_precision: str = "float32"
    grad_accum_steps: int = 1
    save_every: int = 200
    keep_checkpoints: int = 3
    log_every: int = 25
    eval_every: int = 200
    eval_steps: int = 20
    sample_every: int = 200
    steps_this_run: Optional[int] = None
    preemption_safe: bool = False
    peak_tflops: Optional[float] = None
    show_progress: bool = True
