"""benchmarks/representation_collapse.py: the cosine measures on vectors with known answers,
and the script on a real pretrained model_dir, as docs/experiments.md runs it."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO

SCRIPT = os.path.join(REPO, "benchmarks", "representation_collapse.py")


def _module():
    spec = importlib.util.spec_from_file_location("representation_collapse", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_collapsed_vectors_score_one_and_orthogonal_ones_zero():
    mean_cosines = _module().mean_cosines
    mask = np.array([[True, True, True, False], [True, True, True, False]])
    collapsed = np.ones((2, 4, 3))  # every token the same vector
    assert mean_cosines(collapsed, mask) == pytest.approx((1.0, 1.0))
    eye = np.eye(4)[:, :3]  # tokens 0-2 orthogonal; the padded 4th is ignored
    eye[3] = [5.0, 5.0, 5.0]
    texts = np.stack([eye, -eye])  # the second text's pooled vector is opposite the first's
    assert mean_cosines(texts, mask) == pytest.approx((0.0, -1.0))


def _tsv(path, column="sentence"):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{column}\tlabel\n")
        f.writelines(f"{text}\tpositive\n" for text in (
            "a gripping , funny film .", "the plot never comes together .",
            "one of the best performances of the year ."))
    return str(path)


def test_the_script_reads_a_model_dir_and_the_same_encoder_scores_the_same(tmp_path, pretrained):
    result = subprocess.run(
        [sys.executable, SCRIPT, f"--tsv={_tsv(tmp_path / 'dev.tsv')}",
         f"--init=a={pretrained}", f"--init=b={pretrained}"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if "mean cosine" in line]
    assert len(lines) == 2 and lines[0].startswith("a: ") and lines[1].startswith("b: ")
    assert lines[0][3:] == lines[1][3:]
    within = float(lines[0].split("a text ")[1].split(";")[0])
    assert -1.0 <= within < 1.0


def test_a_missing_column_is_a_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, SCRIPT, f"--tsv={_tsv(tmp_path / 'dev.tsv', column='text')}",
         f"--init=a={tmp_path}"], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "has no column 'sentence'" in result.stderr and "Traceback" not in result.stderr
