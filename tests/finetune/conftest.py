"""The pretrained starting point shared by the fine-tuning tests."""

import pytest

from tests.training.conftest import pretrain_tiny
from tests.training.conftest import pretraining_data  # noqa: F401 (fixture)


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory, pretraining_data):  # noqa: F811
    """A tiny model pretrained for 30 steps; tests only read it (fine-tuning writes elsewhere)."""
    return pretrain_tiny(tmp_path_factory.mktemp("pretrained") / "run", pretraining_data, 30)
