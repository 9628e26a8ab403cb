"""Equal compute: one FLOPs budget -> each run's steps, warmup and checkpoint points.

A run's cost per step is the model FLOPs of `electra_tf.training.flops`
(forward + backward, generator included) times the batch size, so a run
without a generator (MLM) gets more steps than ELECTRA for the same budget.
A budget in minutes is converted to FLOPs once, on the first run's measured
speed, and then holds for every run.
"""

import dataclasses

from electra_tf.errors import UsageError
from electra_tf.training.flops import train_flops_per_sequence


def flops_per_step(config):
    """Model FLOPs of one optimizer step: per-sequence FLOPs x batch size.

    Args:
        config: `ElectraConfig` with `vocab_size` resolved (not 0).

    Returns:
        float.

    Example:
    ```python
    flops_per_step(ElectraConfig(vocab_size=8192))  # about 2.4e12 for ELECTRA-Small
    ```
    """
    if not config.vocab_size:
        raise ValueError("resolve vocab_size (the vocabulary's size) before counting FLOPs.")
    return train_flops_per_sequence(config) * config.batch_size


def steps_for_budget(budget_flops, step_flops):
    """The most whole steps that fit in `budget_flops`.

    Args:
        budget_flops: float. The compute budget of every run.
        step_flops: float. One step's FLOPs (`flops_per_step`).

    Returns:
        int, at least 1.

    Raises:
        UsageError: the budget does not pay for one step.

    Example:
    ```python
    steps_for_budget(1e15, 2.5e12)  # 400
    ```
    """
    steps = int(budget_flops // step_flops)
    if steps < 1:
        raise UsageError(f"the budget of {budget_flops:.3g} FLOPs is less than one training "
                         f"step ({step_flops:.3g} FLOPs); raise --budget_flops/--budget_minutes.")
    return steps


def checkpoint_steps(total_steps, count):
    """Steps at which a run is fine-tuned: `count` points evenly along the run.

    Args:
        total_steps: int. The run's length.
        count: int. Points wanted (the last is always `total_steps`).

    Returns:
        list of distinct ints, ascending, ending at `total_steps` (fewer than
        `count` when the run is shorter than `count` steps).

    Example:
    ```python
    checkpoint_steps(1000, 4)  # [250, 500, 750, 1000]
    ```
    """
    if count < 1:
        raise UsageError(f"--checkpoints_per_run must be at least 1, got {count}.")
    return sorted({max(1, round(total_steps * k / count)) for k in range(1, count + 1)})


def budget_from_speed(minutes, seconds_per_step, step_flops):
    """A budget in minutes as FLOPs, at a measured speed.

    Args:
        minutes: float. Wall-clock pretraining time per run.
        seconds_per_step: float. Measured on the first run.
        step_flops: float. That run's FLOPs per step.

    Returns:
        float: the FLOPs that run does in `minutes`.

    Example:
    ```python
    budget_from_speed(20, 0.5, 1e12)  # 2400 steps' worth: 2.4e15
    ```
    """
    if minutes <= 0 or seconds_per_step <= 0:
        raise UsageError(f"budget minutes and measured seconds per step must be positive, "
                         f"got {minutes} and {seconds_per_step}.")
    return minutes * 60.0 / seconds_per_step * step_flops


@dataclasses.dataclass
class RunPlan:
    """What one run trains: its config (train_steps set) and its fine-tuning points.

    Args:
        name: str. overrides: dict. config: `ElectraConfig` with `train_steps`
        and `warmup_steps` set for the budget. step_flops: float.
        points: list of int. Steps fine-tuned at.
        untrained: bool. The no-pretraining reference (`runs.UNTRAINED`).
    """

    name: str
    overrides: dict
    config: object
    step_flops: float
    points: list
    untrained: bool = False

    @property
    def steps(self):
        return self.config.train_steps

    @property
    def flops(self):
        """FLOPs the run actually spends (the budget rounded down to whole steps)."""
        return self.steps * self.step_flops

    def to_dict(self):
        record = {"name": self.name, "overrides": self.overrides, "steps": self.steps,
                  "warmup_steps": self.config.warmup_steps, "flops_per_step": self.step_flops,
                  "flops": self.flops, "points": list(self.points),
                  "config": self.config.to_dict()}
        if self.untrained:  # only then, so plan.json of earlier experiments still matches
            record["untrained"] = True
        return record


def plan_run(name, overrides, config, budget_flops, checkpoints, warmup_fraction,
             untrained=False):
    """Steps, warmup and checkpoint points of one run at the shared budget.

    Warmup is a fraction of each run's own steps, so runs of different lengths
    get the same schedule shape.

    Args:
        name: str. overrides: dict (for the record).
        config: `ElectraConfig`, vocab_size resolved.
        budget_flops: float.
        checkpoints: int. Fine-tuning points along the run.
        warmup_fraction: float in [0, 1).
        untrained: bool. The no-pretraining reference: one step (at the learning rate 0 of
            its overrides) and one point, whatever the budget.

    Returns:
        `RunPlan`.

    Example:
    ```python
    plan = plan_run("electra", {}, config, 1e15, checkpoints=3, warmup_fraction=0.1)
    plan.steps, plan.points
    ```
    """
    if not 0 <= warmup_fraction < 1:
        raise UsageError(f"--warmup_fraction must be in [0, 1), got {warmup_fraction}.")
    step_flops = flops_per_step(config)
    if untrained:
        if config.learning_rate != 0:
            raise UsageError(f"run {name!r} is the untrained reference; its learning rate "
                             f"must be 0, got {config.learning_rate}.")
        config = config.replace(train_steps=1, warmup_steps=0)
        return RunPlan(name, dict(overrides), config, step_flops, [1], untrained=True)
    steps = steps_for_budget(budget_flops, step_flops)
    config = config.replace(train_steps=steps, warmup_steps=int(round(warmup_fraction * steps)))
    return RunPlan(name, dict(overrides), config, step_flops, checkpoint_steps(steps, checkpoints))
