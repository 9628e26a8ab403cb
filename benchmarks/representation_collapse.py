"""How alike are an encoder's token vectors? A check for collapsed representations.

For each encoder given (a pretraining model_dir or a keras-hub preset, as `--init` of
tools/finetune.py takes), encodes the first `--examples` texts of a TSV and prints two mean
cosine similarities of the final hidden states: between the tokens of one text, and between
the mean-pooled vectors of different texts (what the classifier's mean pooling starts from).
Values near 1 mean every token, and every text, looks alike to the encoder. docs/experiments.md
uses it to show why an ELECTRA encoder whose discriminator stopped learning fine-tunes worse
than the untrained one.

Usage:

    python benchmarks/representation_collapse.py --tsv=dev.tsv \
        --init='untrained=runs/compare_objectives/runs/untrained/points/step_0000001' \
        --init='electra=runs/compare_objectives/runs/electra/points/step_0001632'
"""

import csv

from absl import app
from absl import flags

_INIT = flags.DEFINE_multi_string(
    "init", [], "label=encoder (a pretraining model_dir or a keras-hub preset); repeatable.")
_TSV = flags.DEFINE_string("tsv", None, "TSV with a header; its --text_column is encoded.")
_TEXT_COLUMN = flags.DEFINE_string("text_column", "sentence", "Column of the texts.")
_EXAMPLES = flags.DEFINE_integer("examples", 128, "Texts encoded (the first ones).")
_SEQUENCE_LENGTH = flags.DEFINE_integer("sequence_length", 64, "Tokens per text, padded.")


def read_texts(path, column, count):
    """The first `count` values of `column` in the TSV at `path`."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if column not in (reader.fieldnames or []):
            raise app.UsageError(f"{path} has no column {column!r} (columns: "
                                 f"{', '.join(reader.fieldnames or [])}); set --text_column.")
        texts = [row[column] for _, row in zip(range(count), reader)]
    if len(texts) < 2:
        raise app.UsageError(f"{path} has fewer than 2 texts.")
    return texts


def mean_cosines(hidden, mask):
    """(mean cosine between the tokens of a text, mean cosine between pooled texts).

    Args:
        hidden: float array [texts, length, width]. mask: bool array [texts, length].
    """
    import numpy as np

    def mean_off_diagonal(vectors):
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        similarity = unit @ unit.T
        n = len(unit)
        return (similarity.sum() - np.trace(similarity)) / (n * n - n)

    within = [mean_off_diagonal(h[m]) for h, m in zip(hidden, mask) if m.sum() > 1]
    pooled = np.stack([h[m].mean(axis=0) for h, m in zip(hidden, mask)])
    return float(np.mean(within)), float(mean_off_diagonal(pooled))


def main(argv):
    del argv
    import numpy as np
    import tensorflow as tf

    from electra_tf.finetune.encoder_init import load_encoder
    from electra_tf.text.packing import TextPacker

    if not _INIT.value or not _TSV.value:
        raise app.UsageError("Give --tsv and at least one --init=label=encoder.")
    texts = tf.constant(read_texts(_TSV.value, _TEXT_COLUMN.value, _EXAMPLES.value))
    for spec in _INIT.value:
        label, _, init = spec.partition("=")
        backbone, tokenizer, _ = load_encoder(init)
        inputs = TextPacker(tokenizer, _SEQUENCE_LENGTH.value)(texts)
        outputs = backbone(inputs, training=False)
        hidden = np.asarray(outputs["sequence_output"] if isinstance(outputs, dict) else outputs)
        within, between = mean_cosines(hidden, np.asarray(inputs["padding_mask"]).astype(bool))
        print(f"{label}: mean cosine between the tokens of a text {within:.3f}; "
              f"between mean-pooled texts {between:.3f}")


if __name__ == "__main__":
    app.run(main)
