"""Equal compute: steps per run from FLOPs per step, checkpoint points, minutes -> FLOPs."""


import pytest

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError
from electra_tf.experiments import budget
from electra_tf.training.flops import train_flops_per_sequence


def _config(**overrides):
    values = dict(vocab_size=1000, hidden_size=64, num_heads=2, intermediate_size=256,
                  embedding_size=32, num_layers=2, max_seq_length=32, batch_size=8)
    values.update(overrides)
    return ElectraConfig(**values)


def test_a_step_costs_the_model_flops_of_a_sequence_times_the_batch():
    config = _config()
    assert budget.flops_per_step(config) == train_flops_per_sequence(config) * 8
    assert budget.flops_per_step(config.replace(batch_size=16)) == 2 * budget.flops_per_step(
        config)


def test_steps_are_the_whole_steps_the_budget_pays_for():
    assert budget.steps_for_budget(1000.0, 10.0) == 100
    assert budget.steps_for_budget(1009.0, 10.0) == 100  # rounded down: never over budget
    assert budget.steps_for_budget(10.0, 10.0) == 1
    with pytest.raises(UsageError, match="less than one training step"):
        budget.steps_for_budget(9.0, 10.0)


def test_a_cheaper_step_gets_more_steps_for_the_same_budget():
    # A larger generator costs more per step, so it gets fewer steps; every run
    # spends the budget to within one step.
    small, large = _config(generator_hidden_size=0.25), _config(generator_hidden_size=1.0)
    total = 500 * budget.flops_per_step(large)
    plans = [budget.plan_run(name, {}, config, total, 1, 0.1)
             for name, config in (("small", small), ("large", large))]
    assert plans[1].steps == 500
    assert plans[0].steps == int(total // budget.flops_per_step(small)) > 500
    for plan in plans:
        assert total - plan.step_flops < plan.flops <= total
        assert plan.config.train_steps == plan.steps
        assert plan.config.warmup_steps == round(0.1 * plan.steps)


def test_mlm_without_a_generator_gets_more_steps_than_electra():
    from electra_tf.experiments.runs import Run
    from electra_tf.experiments.runs import run_config

    base = _config()
    electra = budget.plan_run("electra", {}, run_config(base, Run("electra", {})), 1e13, 1, 0.1)
    mlm = budget.plan_run("mlm", {}, run_config(base, Run("mlm", {"objective": "mlm"})),
                          1e13, 1, 0.1)
    assert mlm.step_flops < electra.step_flops
    assert mlm.steps > electra.steps


def test_checkpoint_points_are_evenly_spaced_and_end_at_the_budget():
    assert budget.checkpoint_steps(1000, 4) == [250, 500, 750, 1000]
    assert budget.checkpoint_steps(1000, 1) == [1000]
    assert budget.checkpoint_steps(10, 3) == [3, 7, 10]
    assert budget.checkpoint_steps(2, 5) == [1, 2]  # no repeated or zero step
    with pytest.raises(UsageError):
        budget.checkpoint_steps(10, 0)


def test_minutes_become_the_flops_of_that_many_measured_steps():
    # 20 minutes at 0.5 s/step is 2400 steps of 1e12 FLOPs.
    assert budget.budget_from_speed(20, 0.5, 1e12) == pytest.approx(2.4e15)
    with pytest.raises(UsageError):
        budget.budget_from_speed(20, 0.0, 1e12)


def test_the_vocabulary_size_must_be_resolved_before_counting():
    with pytest.raises(ValueError, match="vocab_size"):
        budget.flops_per_step(_config(vocab_size=0))


def test_a_minutes_budget_is_measured_once_on_the_first_run_and_kept(tmp_path):
    from electra_tf.experiments.runner import calibrate_budget

    calls = []

    def pretrain(config, options, log):
        calls.append((config.train_steps, options.log_every, options.model_dir))
        return {"train": {"seconds_per_step": 0.25}, "step": config.train_steps}

    config = _config()
    measured = calibrate_budget(str(tmp_path), 2.0, config, "data", "vocab", pretrain, steps=30)
    # 2 minutes at 0.25 s/step: 480 steps of this config.
    assert measured["flops"] == pytest.approx(480 * budget.flops_per_step(config))
    assert calls == [(30, 10, str(tmp_path / "calibration"))]  # last window: steps 21-30
    assert not (tmp_path / "calibration").exists()
    again = calibrate_budget(str(tmp_path), 2.0, config, "data", "vocab", pretrain, steps=30)
    assert again == measured and len(calls) == 1  # a rerun keeps the budget
    calibrate_budget(str(tmp_path), 3.0, config, "data", "vocab", pretrain, steps=30)
    assert len(calls) == 2


def test_the_untrained_reference_spends_one_step_at_learning_rate_zero_whatever_the_budget():
    from electra_tf.experiments.runs import parse_runs
    from electra_tf.experiments.runs import run_config

    (run,) = parse_runs(["untrained"])
    assert run.untrained and run.overrides == {"learning_rate": 0.0}
    config = run_config(_config(), run)
    plan = budget.plan_run(run.name, run.overrides, config, 1e13, 4, 0.1, untrained=True)
    assert (plan.steps, plan.points, plan.config.warmup_steps) == (1, [1], 0)
    assert plan.flops == plan.step_flops and plan.config.learning_rate == 0.0
    assert plan.to_dict()["untrained"] is True
    # An ordinary run's record has no such key, so earlier experiments' plan.json still match.
    assert "untrained" not in budget.plan_run("electra", {}, _config(), 1e13, 1, 0.1).to_dict()
    # A custom run of that name is an ordinary run; the reference needs its rate of 0.
    assert not parse_runs(["untrained:seed=3"])[0].untrained
    with pytest.raises(UsageError, match="learning rate must be 0"):
        budget.plan_run("untrained", {}, _config(), 1e13, 1, 0.1, untrained=True)
