"""Run names -> config overrides; custom runs; fields this version lacks."""

import dataclasses
import os

import pytest

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError
from electra_tf.experiments.runs import RUN_OVERRIDES
from electra_tf.experiments.runs import Run
from electra_tf.experiments.runs import parse_runs
from electra_tf.experiments.runs import run_config
from tests.conftest import REPO

FIELDS = {f.name for f in dataclasses.fields(ElectraConfig)}


def test_named_and_custom_runs_parse_in_order():
    runs = parse_runs(["electra", "mlm", "gen_half:generator_hidden_size=0.5;disallow_correct=true",
                       "sharing:embedding_sharing=none"])
    assert [r.name for r in runs] == ["electra", "mlm", "gen_half", "sharing"]
    assert runs[1].overrides == RUN_OVERRIDES["mlm"] == {"objective": "mlm"}
    assert runs[2].overrides == {"generator_hidden_size": 0.5, "disallow_correct": True}
    assert runs[3].overrides == {"embedding_sharing": "none"}


@pytest.mark.parametrize("specs, message", [
    (["bert"], "unknown run 'bert'"),
    (["x:generator_hidden_size"], "is not field=value"),
    (["electra", "electra"], "given twice"),
    (["bad/name:seed=1"], "must be letters"),
    ([], "no runs"),
])
def test_bad_run_specs_are_refused(specs, message):
    with pytest.raises(UsageError, match=message):
        parse_runs(specs)


def test_a_run_applies_its_overrides_to_the_base_config():
    config = run_config(ElectraConfig(), Run("gen_half", {"generator_hidden_size": 0.5}))
    assert config.generator_hidden_size == 0.5
    assert config.hidden_size == ElectraConfig().hidden_size
    with pytest.raises(UsageError):  # validated like any config
        run_config(ElectraConfig(), Run("bad", {"generator_hidden_size": 2.0}))


def test_a_field_this_version_lacks_is_refused_unless_it_asks_for_todays_behaviour():
    assert run_config(ElectraConfig(), Run("x", {"objective": "electra"})) is not None
    with pytest.raises(UsageError, match="no field 'no_such_field'"):
        run_config(ElectraConfig(), Run("x", {"no_such_field": 1}))
    if "objective" not in FIELDS:
        with pytest.raises(UsageError, match="no field 'objective'"):
            run_config(ElectraConfig(), Run("mlm", {"objective": "mlm"}))
    else:
        assert run_config(ElectraConfig(), Run("mlm", {"objective": "mlm"})).objective == "mlm"


def test_every_named_run_is_a_valid_config_of_the_experiments_default():
    from electra_tf.experiments.budget import flops_per_step

    base = ElectraConfig.from_json(os.path.join(REPO, "configs", "experiments", "small_cpu.json")).replace(vocab_size=8192)
    costs = {}
    for name, overrides in RUN_OVERRIDES.items():
        if not set(overrides) <= FIELDS:
            continue  # a field this version lacks: refused, as tested above
        config = run_config(base, Run(name, overrides))
        for field, value in overrides.items():
            assert getattr(config, field) == value
        costs[name] = flops_per_step(config)
    if "objective" in FIELDS:
        assert set(costs) == set(RUN_OVERRIDES)
        assert costs["mlm"] < costs["electra"]  # no generator
        assert costs["two_stage"] > costs["electra"]  # a discriminator-sized generator
