"""A finished classification run, read back: the best classifier of a
`run_finetuning` output_dir (what `--litert` and the benchmarks convert)."""

import json
import os

import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.finetune.classification.model import ElectraClassifier
from electra_tf.finetune.encoder_init import load_encoder
from electra_tf.finetune.job import BEST_WEIGHTS
from electra_tf.finetune.job import LABELS_FILE
from electra_tf.finetune.job import RESULTS_FILE


def classifier_from_finetune_dir(output_dir):
    """Rebuilds the best fine-tuned classifier of a `tools/finetune.py` run.

    Args:
        output_dir: str. The fine-tuning --output_dir (results.json,
            labels.json, best.weights.h5).

    Returns:
        `(classifier, tokenizer, sequence_length, label_names, results)`;
        `label_names` is None for regression.

    Example:
    ```python
    model, tokenizer, length, labels, results = classifier_from_finetune_dir("runs/rt")
    ```
    """
    paths = {name: os.path.join(output_dir, name)
             for name in (RESULTS_FILE, LABELS_FILE, BEST_WEIGHTS)}
    for path in paths.values():
        if not os.path.isfile(path):
            raise UsageError(f"{path!r} is missing: {output_dir!r} is not a finished "
                             "classification run of tools/finetune.py.")
    with open(paths[RESULTS_FILE], encoding="utf-8") as f:
        results = json.load(f)
    if results.get("task") not in ("classification", "regression"):
        raise UsageError(f"{output_dir!r} is a {results.get('task')!r} run; LiteRT export covers "
                         "classification and regression.")
    with open(paths[LABELS_FILE], encoding="utf-8") as f:
        labels = json.load(f)
    label_names = None if labels["regression"] else labels["labels"]
    backbone, tokenizer, _ = load_encoder(results["init"])
    length = int(results["max_seq_length"])
    # Runs from before the pooling option trained the reference's [CLS] head.
    classifier = ElectraClassifier(backbone, 1 if label_names is None else len(label_names),
                                   pooling=results.get("pooling", "cls"))
    ones = tf.ones([1, length], tf.int32)
    classifier({"token_ids": ones, "segment_ids": ones * 0, "padding_mask": ones})
    classifier.load_weights(paths[BEST_WEIGHTS])
    return classifier, tokenizer, length, label_names, results
