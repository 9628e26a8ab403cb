"""Settings every fine-tuning task shares: `FinetuneOptions`.

Kept apart from `job.py` so that tools take their flag defaults from here
without importing TensorFlow first.
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass
class FinetuneOptions:
    """Settings every fine-tuning task shares, chosen so that a small, briefly
    pretrained encoder learns.

    The reference (lr 3e-4, 3 epochs) is tuned for encoders pretrained for a
    million steps; on the default job's tiny model it learns only the class
    prior. The defaults here were measured on the package's own tasks (README
    section 7): the learning rate by model size
    (`layerwise_lr.default_learning_rate`: the reference's for Small/Base/Large,
    1e-3 below Small), and training until the dev metric has not improved for
    `patience` epochs, at most `epochs`. Task-specific settings (files,
    columns, pooling, SQuAD windows) belong to the `Task`.

    Args:
        init: str. Pretraining model_dir or keras-hub preset folder.
        checkpoint: str or None. With a model_dir `init`: the ckpt-N to start
            from (a path or its name in the model_dir; default the latest), e.g.
            to fine-tune at several points of one pretraining run.
        output_dir: str. Weights, labels.json, history.json, logs/,
            results.json, export/; backup/ while a run is unfinished.
        epochs: int. The most epochs to train (the schedule decays over them).
        patience: int or None. Stop after this many epochs without a better
            dev metric (None: train all `epochs`).
        learning_rate: float or None. Peak rate; None takes the default for
            the model size.
        layer_decay: float or None. Layer-wise learning-rate decay; None
            takes the reference's by model size: 0.9 for large (hidden
            1024), else 0.8.
        batch_size: int.
        max_seq_length: int or None (None: the pretraining length).
        dropout: float. weight_decay: float. warmup_fraction: float. seed: int.
        export: bool. Write a SavedModel (raw text in) to output_dir/export/<version>.
        export_version: int.
        overwrite: bool. Replace an existing export.
        show_progress: bool. Keras' progress bar.
    """

    init: str
    output_dir: str
    checkpoint: Optional[str] = None
    epochs: int = 20
    patience: Optional[int] = 3
    learning_rate: Optional[float] = None
    layer_decay: Optional[float] = None
    batch_size: int = 32
    max_seq_length: Optional[int] = None
    dropout: float = 0.1
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    seed: int = 12345
    export: bool = True
    export_version: int = 1
    overwrite: bool = False
    show_progress: bool = True
