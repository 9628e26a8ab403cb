"""benchmarks/rtd_onset.py as docs/experiments.md runs it: TensorBoard logs in, the
discriminator's peak and last AUC and the corpus' unigram entropy out, and a PNG."""

import math
import os
import subprocess
import sys

import tensorflow as tf

from tests.conftest import REPO


def _write_run(model_dir, auc_by_step, gen_loss_by_step):
    writer = tf.summary.create_file_writer(os.path.join(model_dir, "logs", "train"))
    with writer.as_default():
        for step, auc in auc_by_step.items():
            tf.summary.scalar("disc_auc", auc, step=step)
            tf.summary.scalar("gen_loss", gen_loss_by_step[step], step=step)
            tf.summary.scalar("disc_recall", 0.0, step=step)
    writer.close()


def _write_records(path, rows):
    with tf.io.TFRecordWriter(path) as writer:
        for ids in rows:
            feature = {"input_ids": tf.train.Feature(int64_list=tf.train.Int64List(value=ids))}
            writer.write(tf.train.Example(
                features=tf.train.Features(feature=feature)).SerializeToString())


def test_it_reports_the_peak_and_last_auc_and_the_unigram_entropy(tmp_path):
    _write_run(str(tmp_path / "a"), {25: 0.5, 100: 0.84, 300: 0.54},
               {25: 9.0, 100: 8.0, 300: 6.4})
    # [CLS]=2, [SEP]=3 and [PAD]=0 are not counted: tokens 5, 5, 6, 7 -> p = 1/2, 1/4, 1/4.
    _write_records(str(tmp_path / "data.tfrecord"), [[2, 5, 5, 3, 0], [2, 6, 7, 3, 0]])
    out = tmp_path / "onset.png"
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "benchmarks", "rtd_onset.py"), f"--out={out}",
         f"--run=lr 5e-4={tmp_path / 'a'}", f"--unigram_data={tmp_path / 'data.tfrecord'}"],
        capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "lr 5e-4: peak disc AUC 0.840 at step 100, last 0.540 at step 300" in result.stdout
    entropy = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    assert f"unigram entropy {entropy:.3f} nats; most frequent token 50.0%" in result.stdout
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_folder_without_logs_is_a_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "benchmarks", "rtd_onset.py"),
         f"--run=x={tmp_path}", f"--out={tmp_path / 'x.png'}"],
        capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert result.returncode != 0
    assert f"No TensorBoard events in {tmp_path}/logs/train" in result.stderr
    assert "Traceback" not in result.stderr
