"""Has the discriminator learned replaced-token detection? Plots it from TensorBoard logs.

For each pretraining model_dir given, reads `logs/train` and draws the discriminator's AUC
(top) and the generator's MLM loss (bottom) against the step, with the loss of a generator
that ignores context (the corpus' unigram entropy) as a line. docs/experiments.md uses it to
show when a run's discriminator stops telling replaced tokens apart: AUC near 0.5 with
`disc_recall` 0 means it predicts "original" everywhere, whatever its loss says.

Usage (needs matplotlib: `pip install -e ".[experiments]"`):

    python benchmarks/rtd_onset.py --out=rtd_onset.png \
        --run='electra lr 5e-4=runs/compare_objectives/runs/electra/model' \
        --run='electra lr 2.5e-4=/tmp/probe_lr' \
        --unigram_data='runs/data/*.tfrecord'
"""

import glob
import os

from absl import app
from absl import flags

_RUN = flags.DEFINE_multi_string(
    "run", [], "label=model_dir of a pretraining run (repeatable); its logs/train is read.")
_OUT = flags.DEFINE_string("out", "rtd_onset.png", "PNG to write.")
_UNIGRAM_DATA = flags.DEFINE_string(
    "unigram_data", None,
    "TFRecord glob of the runs' pretraining data: draws its unigram entropy (nats) on the "
    "loss panel and prints it. Unset: no line.")
_MAX_RECORDS = flags.DEFINE_integer(
    "max_records", 10000, "Examples read for the unigram entropy.")


def train_scalars(model_dir, tags=("disc_auc", "gen_loss", "disc_recall")):
    """{tag: [(step, value), ...]} from `model_dir/logs/train`."""
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(model_dir, "logs", "train", "events.out.tfevents.*")))
    if not files:
        raise app.UsageError(f"No TensorBoard events in {model_dir}/logs/train.")
    out = {tag: {} for tag in tags}
    for path in files:
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag in out and value.HasField("tensor"):
                    out[value.tag][event.step] = float(tf.make_ndarray(value.tensor))
    return {tag: sorted(points.items()) for tag, points in out.items()}


def unigram_entropy(pattern, max_records):
    """Entropy (nats) of the non-special token ids in the TFRecords, and the top token's share.

    A generator that ignores context can do no better than this at [MASK] positions.
    """
    import numpy as np
    import tensorflow as tf

    files = sorted(glob.glob(pattern))
    if not files:
        raise app.UsageError(f"--unigram_data matches no file: {pattern}")
    features = {"input_ids": tf.io.VarLenFeature(tf.int64)}
    ids = np.concatenate([
        tf.sparse.to_dense(tf.io.parse_single_example(raw, features)["input_ids"]).numpy()
        for raw in tf.data.TFRecordDataset(files).take(max_records)])
    # Ids 0-4 are [PAD] [UNK] [CLS] [SEP] [MASK] in every vocabulary the package builds; they
    # are never masked, so they are not what the generator predicts.
    counts = np.bincount(ids[ids > 4])
    probs = counts[counts > 0] / counts.sum()
    return float(-(probs * np.log(probs)).sum()), float(probs.max())


def main(argv):
    del argv
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not _RUN.value:
        raise app.UsageError("Give at least one --run=label=model_dir.")
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    for spec in _RUN.value:
        label, _, model_dir = spec.partition("=")
        scalars = train_scalars(model_dir)
        steps, auc = zip(*scalars["disc_auc"])
        top.plot(steps, auc, marker=".", label=label)
        steps, loss = zip(*scalars["gen_loss"])
        bottom.plot(steps, loss, marker=".", label=label)
        peak = max(scalars["disc_auc"], key=lambda point: point[1])
        print(f"{label}: peak disc AUC {peak[1]:.3f} at step {peak[0]}, "
              f"last {scalars['disc_auc'][-1][1]:.3f} at step {scalars['disc_auc'][-1][0]}")
    if _UNIGRAM_DATA.value:
        entropy, top_share = unigram_entropy(_UNIGRAM_DATA.value, _MAX_RECORDS.value)
        print(f"unigram entropy {entropy:.3f} nats; most frequent token {100 * top_share:.1f}%")
        bottom.axhline(entropy, color="grey", linestyle="--", label="unigram entropy")
    top.axhline(0.5, color="grey", linestyle=":")
    top.set_ylabel("discriminator AUC")
    bottom.set_ylabel("generator MLM loss (nats)")
    bottom.set_xlabel("pretraining step")
    top.legend()
    bottom.legend()
    figure.tight_layout()
    figure.savefig(_OUT.value, dpi=110)
    print(f"Wrote {_OUT.value}")


if __name__ == "__main__":
    app.run(main)
