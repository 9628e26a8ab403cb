"""Finding an export's SavedModels again (no TensorFlow needed: empty saved_model.pb files)."""

import os

import pytest

from electra_tf.errors import UsageError
from electra_tf.export.export_layout import DISCRIMINATOR
from electra_tf.export.export_layout import GENERATOR
from electra_tf.export.export_layout import is_export
from electra_tf.export.export_layout import locate_export
from electra_tf.export.export_layout import saved_model_versions


def _saved_model(root, tower, version):
    folder = root / tower / str(version)
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"")
    return str(folder)


def test_the_highest_version_and_its_generator_are_found(tmp_path):
    _saved_model(tmp_path, DISCRIMINATOR, 300)
    disc = _saved_model(tmp_path, DISCRIMINATOR, 1200)
    gen = _saved_model(tmp_path, GENERATOR, 1200)
    _saved_model(tmp_path, GENERATOR, 1500)
    # An unfinished export (the exporter's .tmp folder) is never picked.
    (tmp_path / DISCRIMINATOR / "2000.tmp").mkdir()
    assert saved_model_versions(str(tmp_path / DISCRIMINATOR)) == ["1200", "300"]
    assert is_export(str(tmp_path))
    assert locate_export(str(tmp_path)) == (disc, gen)
    assert locate_export(str(tmp_path / DISCRIMINATOR)) == (disc, gen)
    assert locate_export(disc) == (disc, gen)


def test_a_generator_of_another_version_or_none(tmp_path):
    disc = _saved_model(tmp_path, DISCRIMINATOR, 7)
    assert locate_export(str(tmp_path)) == (disc, None)
    gen = _saved_model(tmp_path, GENERATOR, 5)
    assert locate_export(str(tmp_path)) == (disc, gen)
    assert locate_export(disc) == (disc, None)  # a version folder pairs with its own version


def test_folders_that_are_no_export_are_refused_with_the_fix(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        locate_export(str(tmp_path / "missing"))
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    assert not is_export(str(run))
    with pytest.raises(UsageError, match="tools/export.py.*pretraining model_dir"):
        locate_export(str(run))
    _saved_model(tmp_path / "only_gen", GENERATOR, 1)
    with pytest.raises(UsageError, match=f"no {DISCRIMINATOR}/<version>/"):
        locate_export(str(tmp_path / "only_gen" / GENERATOR))
    assert os.path.isdir(tmp_path / "only_gen")
