"""Run names of the equal-compute experiment and the config overrides they stand for.

This table is the one place that names the objective/strategy fields of
`ElectraConfig` (`objective`, `training`, `embedding_sharing`; docs/algorithm.md §6), so a
run works as soon as its fields exist and fails with a clear message before.
A custom run is `name:field=value;field=value` over any config fields.
"""

import dataclasses
import json
import re

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError

UNTRAINED = "untrained"

# Run name -> ElectraConfig overrides. Each is one change from the default
# (joint ELECTRA, embeddings shared), as in the paper's comparisons.
RUN_OVERRIDES = {
    "electra": {},
    "mlm": {"objective": "mlm"},
    "electra_15": {"objective": "electra_15"},
    "replace_mlm": {"objective": "replace_mlm"},
    "all_tokens_mlm": {"objective": "all_tokens_mlm"},
    "gdes": {"embedding_sharing": "gdes"},
    "no_sharing": {"embedding_sharing": "none"},
    "adversarial": {"training": "adversarial"},
    # Two-stage training needs a generator as wide as the discriminator.
    "two_stage": {"training": "two_stage", "generator_hidden_size": 1.0},
    # The reference without pretraining: the encoder as initialised. It is saved by one step
    # at learning rate 0 (AdamW then changes nothing), so it is a checkpoint like the others
    # and fine-tunes through the same path; it spends one step, not the budget. Without it
    # a table cannot say whether pretraining helped at all at the budget given.
    UNTRAINED: {"learning_rate": 0.0},
}
# Today's behaviour under the names of the option fields: a run that sets one
# of them to this value also works on a version without the field.
_DEFAULT_VALUES = {"objective": "electra", "training": "joint",
                   "embedding_sharing": "embeddings"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclasses.dataclass
class Run:
    """One pretraining run of the experiment.

    Args:
        name: str. Folder name and label in the report.
        overrides: dict {config field: value} applied to the base config.
        untrained: bool. The built-in `untrained` reference: one step, not the budget.
    """

    name: str
    overrides: dict
    untrained: bool = False

    def describe(self):
        """The overrides as `field=value; ...` ("base config" when none)."""
        return describe_overrides(self.overrides)


def describe_overrides(overrides):
    """`field=value; ...` sorted by field, or "base config" for none."""
    if not overrides:
        return "base config"
    return "; ".join(f"{k}={v}" for k, v in sorted(overrides.items()))


def _parse_value(text):
    """JSON where it parses (numbers, true/false, null), else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_runs(specs):
    """Run specs (`--runs`) -> `Run`s.

    Args:
        specs: list of str. Each a name from `RUN_OVERRIDES`, or a custom run
            `name:field=value;field=value` (e.g. `gen_half:generator_hidden_size=0.5`).

    Returns:
        list of `Run`, in the given order.

    Raises:
        UsageError: unknown names, malformed custom runs, repeated names.

    Example:
    ```python
    parse_runs(["electra", "mlm", "gen_half:generator_hidden_size=0.5"])
    ```
    """
    runs, seen = [], set()
    for spec in specs:
        spec = spec.strip()
        if not spec:
            continue
        if ":" in spec:
            name, body = (part.strip() for part in spec.split(":", 1))
            overrides = {}
            for item in (i.strip() for i in body.split(";")):
                if not item:
                    continue
                if "=" not in item:
                    raise UsageError(f"run {spec!r}: {item!r} is not field=value (custom runs "
                                     "look like name:field=value;field=value).")
                field, value = (part.strip() for part in item.split("=", 1))
                overrides[field] = _parse_value(value)
        elif spec in RUN_OVERRIDES:
            name, overrides = spec, dict(RUN_OVERRIDES[spec])
        else:
            raise UsageError(f"unknown run {spec!r}. Known runs: {', '.join(RUN_OVERRIDES)}; or "
                             "a custom run name:field=value;field=value.")
        if not _NAME.match(name):
            raise UsageError(f"run name {name!r} must be letters, digits, '_', '-' or '.'.")
        if name in seen:
            raise UsageError(f"run {name!r} is given twice.")
        seen.add(name)
        runs.append(Run(name, overrides, untrained=spec == UNTRAINED))
    if not runs:
        raise UsageError("no runs given (e.g. --runs=electra,mlm).")
    return runs


def run_config(base, run):
    """The base config with a run's overrides applied (and validated).

    A field this electra-tf version lacks is dropped when the run sets it to
    today's behaviour (`objective=electra`), and refused otherwise.

    Args:
        base: `ElectraConfig`.
        run: `Run`.

    Returns:
        `ElectraConfig`.

    Raises:
        UsageError: a field the config does not have, or an invalid value.

    Example:
    ```python
    config = run_config(ElectraConfig(), Run("gen_half", {"generator_hidden_size": 0.5}))
    ```
    """
    known = {f.name for f in dataclasses.fields(ElectraConfig)}
    overrides = {}
    for field, value in run.overrides.items():
        if field in known:
            overrides[field] = value
        elif _DEFAULT_VALUES.get(field, object()) != value:
            raise UsageError(
                f"run {run.name!r} sets {field}={value!r}, but this electra-tf version's "
                f"ElectraConfig has no field {field!r} (see issue 13 §1). Known fields: "
                f"{', '.join(sorted(known))}.")
    try:
        return base.replace(**overrides)
    except TypeError as error:  # a value of the wrong type deep in validation
        raise UsageError(f"run {run.name!r}: {error}") from None
