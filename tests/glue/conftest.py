"""A tiny pretrained model for the end-to-end GLUE run."""

import pytest

from tests.training.conftest import pretrain_tiny
from tests.training.conftest import pretraining_data  # noqa: F401 (fixture)


@pytest.fixture(scope="session")
def glue_pretrained(tmp_path_factory, pretraining_data):  # noqa: F811
    """The tiny test model after 10 pretraining steps: the GLUE test checks the plumbing
    (files in, figures out), not accuracy, so a short pretraining will do."""
    return pretrain_tiny(tmp_path_factory.mktemp("glue_pretrained") / "run", pretraining_data,
                         10)
