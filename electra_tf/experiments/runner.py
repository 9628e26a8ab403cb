"""The experiment's phases: pretrain every run to its budget, fine-tune every
checkpoint point on every task with every seed, report.

Everything finished is kept and skipped on a rerun: a pretraining point is
finished when its checkpoint view exists (`checkpoint_views`), a fine-tuning
job when its `score.json` does. A killed pretraining run resumes from its
latest checkpoint (run_pretraining resumes a model_dir), a killed fine-tuning
job from its backup/ (run_finetuning resumes an output_dir). The report is
rewritten after every fine-tuning job, so a partial experiment already has one.

Layout of `output_dir`:
```
budget.json                 the budget in FLOPs (and how a minutes budget was measured)
runs/<run>/plan.json        the run's config, steps and points (checked on a rerun)
runs/<run>/model/           its pretraining model_dir
runs/<run>/points/step_N/   the checkpoint at step N as a model_dir (hard links)
finetune/settings.json      fine-tuning settings (checked on a rerun)
finetune/<run>/step_N/<task>/seed_S/   run_finetuning's output_dir + score.json
results.json, results.md, plot_<task>.png
```
"""

import dataclasses
import json
import os
import shutil
import time

from electra_tf.errors import UsageError
from electra_tf.experiments import checkpoint_views
from electra_tf.experiments.budget import budget_from_speed
from electra_tf.experiments.budget import flops_per_step
from electra_tf.experiments.progress import Progress
from electra_tf.experiments.report import summarize
from electra_tf.experiments.runs import describe_overrides
from electra_tf.experiments.report import write_report

SCORE_FILE = "score.json"
BUDGET_FILE = "budget.json"
PLAN_FILE = "plan.json"
METRIC = "accuracy"
# Pretraining summary entries kept per point (losses and the tower metrics).
_PRETRAINING_KEYS = ("loss", "auc", "accuracy", "seconds_per_step")


class Interrupted(Exception):
    """Pretraining stopped on SIGTERM/SIGINT with a checkpoint; rerun to resume."""


@dataclasses.dataclass
class Experiment:
    """Everything the runner needs; built by tools/compare_objectives.py.

    Args:
        output_dir: str.
        plans: list of `budget.RunPlan`.
        budget: dict with at least `flops` (from `budget_json`).
        train_data: str. TFRecord glob or text files (same for every run).
        vocab: str.
        tasks: dict {name: {"train": path, "dev": path}}.
        seeds: list of int. Fine-tuning seeds.
        finetune: dict. `FinetuneOptions` fields shared by every job.
        text_column, label_column: str. Task file columns.
        training: dict. `TrainingOptions` fields shared by every run
            (save_every, log_every, show_progress, ...).
        settings: dict. Recorded in results.json (flags, splits, ...).
    """

    output_dir: str
    plans: list
    budget: dict
    train_data: str
    vocab: str
    tasks: dict
    seeds: list
    finetune: dict = dataclasses.field(default_factory=dict)
    text_column: str = "sentence"
    label_column: str = "label"
    training: dict = dataclasses.field(default_factory=dict)
    settings: dict = dataclasses.field(default_factory=dict)

    def run_dir(self, name):
        return os.path.join(self.output_dir, "runs", name)

    def model_dir(self, name):
        return os.path.join(self.run_dir(name), "model")

    def view(self, name, step):
        return checkpoint_views.view_dir(self.run_dir(name), step)

    def job_dir(self, name, step, task, seed):
        return os.path.join(self.output_dir, "finetune", name, f"step_{step:07d}", task,
                            f"seed_{seed}")


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write_json(path, value):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)


def _check_recorded(path, value, what):
    """Writes `value` to `path`, or checks it equals what an earlier run recorded there."""
    if os.path.isfile(path):
        recorded = _read_json(path)
        if recorded != json.loads(json.dumps(value)):
            changed = sorted(k for k in set(recorded) | set(value)
                             if recorded.get(k) != json.loads(json.dumps(value)).get(k))
            raise UsageError(
                f"{path} records different {what} ({', '.join(changed)} changed): this "
                "output_dir holds an earlier experiment. Rerun with its settings to resume, or "
                "pass a new --output_dir.")
    else:
        _write_json(path, value)


def calibrate_budget(output_dir, minutes, config, train_data, vocab, pretrain_fn,
                     steps=30, log=print, training=None):
    """A budget in minutes -> FLOPs, on `config`'s measured speed (cached in budget.json).

    Trains `steps` steps in a throwaway model_dir and takes the seconds per
    step of the last logging window, which excludes the first step's graph
    tracing.

    Args:
        output_dir: str. budget.json goes here; reused when it holds `minutes`.
        minutes: float. config: `ElectraConfig` of the first run (vocab_size resolved).
        train_data, vocab: str. pretrain_fn: `run_pretraining` or a stand-in.
        steps: int. Steps measured. log: callable. training: dict of
            `TrainingOptions` fields.

    Returns:
        dict: flops, minutes, seconds_per_step, flops_per_step, measured_steps.

    Example:
    ```python
    budget = calibrate_budget("out", 20, config, "data/*.tfrecord", "vocab.txt",
                              run_pretraining)
    ```
    """
    from electra_tf.training.pretraining import TrainingOptions

    path = os.path.join(output_dir, BUDGET_FILE)
    if os.path.isfile(path):
        budget = _read_json(path)
        if budget.get("minutes") == minutes:
            log(f"Budget: {budget['flops']:.4g} FLOPs per run ({minutes:g} minutes at the "
                f"{budget['seconds_per_step']:.3f} s/step measured earlier; {path}).")
            return budget
    work = os.path.join(output_dir, "calibration")
    shutil.rmtree(work, ignore_errors=True)
    log(f"Measuring the first run's speed over {steps} steps to turn {minutes:g} minutes into "
        "FLOPs ...")
    fields = dict(training or {}, log_every=max(1, steps // 3), save_every=10 ** 9,
                  sample_every=0, eval_every=0, show_progress=False, steps_this_run=None)
    summary = pretrain_fn(config.replace(train_steps=steps, warmup_steps=0),
                          TrainingOptions(model_dir=work, train_data=train_data, vocab=vocab,
                                          **fields), log=lambda message: None)
    seconds = float(summary["train"]["seconds_per_step"])
    step_flops = flops_per_step(config)
    budget = {"flops": budget_from_speed(minutes, seconds, step_flops), "minutes": minutes,
              "seconds_per_step": seconds, "flops_per_step": step_flops,
              "measured_steps": steps}
    _write_json(path, budget)
    shutil.rmtree(work, ignore_errors=True)
    log(f"Budget: {budget['flops']:.4g} FLOPs per run ({minutes:g} minutes at "
        f"{seconds:.3f} s/step).")
    return budget


def _pretraining_record(summary):
    train = summary.get("train") or {}
    record = {k: v for k, v in train.items()
              if isinstance(v, (int, float)) and any(key in k for key in _PRETRAINING_KEYS)}
    record["step"] = summary.get("step")
    record["seconds"] = summary.get("seconds")
    return record


def pretrain_all(experiment, pretrain_fn, log=print):
    """Phase 1: trains every run to each of its points, making a view at each.

    Args:
        experiment: `Experiment`.
        pretrain_fn: callable(config, TrainingOptions, log=) -> summary dict
            (`run_pretraining`).
        log: callable.

    Raises:
        Interrupted: a run stopped on a signal (its checkpoint is saved).
    """
    from electra_tf.training.pretraining import TrainingOptions

    total = sum(plan.flops for plan in experiment.plans)
    progress = Progress("pretraining", total, log)
    for index, plan in enumerate(experiment.plans, 1):
        _check_recorded(os.path.join(experiment.run_dir(plan.name), PLAN_FILE), plan.to_dict(),
                        f"settings for run {plan.name!r}")
        model_dir, previous = experiment.model_dir(plan.name), 0
        for point in plan.points:
            label = (f"run {index}/{len(experiment.plans)} {plan.name}: step {point}/{plan.steps}"
                     f" ({point * plan.step_flops:.3g} FLOPs)")
            amount = (point - previous) * plan.step_flops
            previous = point
            view = experiment.view(plan.name, point)
            if checkpoint_views.read_view(view) is not None:
                progress.skip(amount, label)
                continue
            current = checkpoint_views.latest_step(model_dir)
            summary_path = os.path.join(model_dir, "summary.json")
            if current < point:
                progress.note(f"{label}: training from step {current}")
                options = TrainingOptions(
                    model_dir=model_dir, train_data=experiment.train_data, vocab=experiment.vocab,
                    steps_this_run=point - current, **experiment.training)
                summary = pretrain_fn(plan.config, options,
                                      log=lambda message, name=plan.name: log(f"  {name}: "
                                                                              f"{message}"))
                if summary.get("interrupted") or summary.get("step") != point:
                    raise Interrupted(f"run {plan.name!r} stopped at step {summary.get('step')}")
            elif os.path.isfile(summary_path) and _read_json(summary_path).get("step") == point:
                summary = _read_json(summary_path)  # trained; killed before its view was made
            else:
                summary = {"step": point}
            try:
                record = _pretraining_record(summary)
                checkpoint_views.make_view(model_dir, point, view, record)
            except FileNotFoundError as error:
                raise UsageError(f"{error} Delete {experiment.run_dir(plan.name)} to retrain "
                                 f"run {plan.name!r}.") from None
            loss = f", loss {record['loss']:.3f}" if "loss" in record else ""
            progress.done(amount, f"{label}{loss}")


def load_task(experiment, name):
    """The `ClassificationTask` of a task's files (reading them checks them).

    Example:
    ```python
    task = load_task(experiment, "rt")
    ```
    """
    from electra_tf.finetune.classification.task import ClassificationTask

    files = experiment.tasks[name]
    return ClassificationTask.from_files(files["train"], files["dev"],
                                         text_column=experiment.text_column,
                                         label_column=experiment.label_column)


def default_finetune_fn(experiment):
    """The real fine-tuning job: `ClassificationTask` from the task files + `run_finetuning`.

    Returns:
        callable(init, task_name, seed, output_dir, log) -> dev metrics dict.
    """
    def finetune(init, task_name, seed, output_dir, log):
        from electra_tf.finetune.job import FinetuneOptions
        from electra_tf.finetune.job import run_finetuning

        task = load_task(experiment, task_name)
        options = FinetuneOptions(init=init, output_dir=output_dir, seed=seed, export=False,
                                  show_progress=False, **experiment.finetune)
        return run_finetuning(task, options, log=log)["dev"]

    return finetune


def _job_log(path):
    """A job's messages go to its own log.txt: the console keeps one line per job."""
    def log(message):
        with open(path, "a", encoding="utf-8") as f:
            f.write(str(message) + "\n")
    return log


def finetune_all(experiment, finetune_fn, log=print, on_score=None):
    """Phase 2: fine-tunes every (seed, task, run, point); seeds outermost, so the
    report has every cell with one seed before any cell has two.

    Args:
        experiment: `Experiment`.
        finetune_fn: callable(init, task, seed, output_dir, log) -> dev metrics dict.
        log: callable.
        on_score: callable() after each finished job (rewrites the report).
    """
    _check_recorded(os.path.join(experiment.output_dir, "finetune", "settings.json"),
                    {"finetune": experiment.finetune, "text_column": experiment.text_column,
                     "label_column": experiment.label_column},
                    "fine-tuning settings")
    jobs = [(seed, task, plan, point) for seed in experiment.seeds for task in experiment.tasks
            for plan in experiment.plans for point in plan.points]
    progress = Progress("fine-tuning", len(jobs), log)
    for number, (seed, task, plan, point) in enumerate(jobs, 1):
        out = experiment.job_dir(plan.name, point, task, seed)
        label = f"job {number}/{len(jobs)} {plan.name} step {point} {task} seed {seed}"
        if os.path.isfile(os.path.join(out, SCORE_FILE)):
            progress.skip(1, label)
            continue
        os.makedirs(out, exist_ok=True)
        start = time.time()
        dev = finetune_fn(experiment.view(plan.name, point), task, seed, out,
                          _job_log(os.path.join(out, "log.txt")))
        score = {"score": float(dev[METRIC]), "metric": METRIC,
                 "seconds": round(time.time() - start, 1)}
        _write_json(os.path.join(out, SCORE_FILE), score)
        progress.done(1, f"{label}: dev {METRIC} {100 * score['score']:.1f} "
                         f"({score['seconds']:.0f}s)")
        if on_score:
            on_score()


def collect_results(experiment):
    """results.json's content from what is on disk (finished parts only).

    Returns:
        dict: settings, budget, metric, tasks, and per run its plan and points
        (step, FLOPs, pretraining losses, scores by seed, summary by task).
    """
    runs = []
    for plan in experiment.plans:
        points, seconds = [], 0.0
        for step in plan.points:
            pretraining = checkpoint_views.read_view(experiment.view(plan.name, step))
            if pretraining is None:
                continue
            seconds += float(pretraining.get("seconds") or 0.0)
            scores, summaries = {}, {}
            for task in experiment.tasks:
                by_seed = {}
                for seed in experiment.seeds:
                    path = os.path.join(experiment.job_dir(plan.name, step, task, seed),
                                        SCORE_FILE)
                    if os.path.isfile(path):
                        by_seed[str(seed)] = _read_json(path)["score"]
                scores[task] = by_seed
                summaries[task] = summarize(list(by_seed.values()))
            points.append({"step": step, "flops": step * plan.step_flops,
                           "pretraining": pretraining, "scores": scores, "summary": summaries})
        runs.append({**{k: v for k, v in plan.to_dict().items() if k != "config"},
                     "changes": ("no pretraining (initial weights)" if plan.untrained
                                 else describe_overrides(plan.overrides)),
                     "config": plan.config.to_dict(),
                     "pretraining_seconds": round(seconds, 1), "points": points})
    return {"settings": experiment.settings, "budget": experiment.budget, "metric": METRIC,
            "seeds": list(experiment.seeds), "tasks": experiment.tasks, "runs": runs}


def run_experiment(experiment, pretrain_fn=None, finetune_fn=None, plots=True, log=print):
    """Runs (or resumes) the whole experiment and writes the report.

    Args:
        experiment: `Experiment`.
        pretrain_fn: callable like `run_pretraining` (default: it).
        finetune_fn: callable like `default_finetune_fn(experiment)` (default: it).
        plots: bool. Write plot_<task>.png (needs matplotlib).
        log: callable.

    Returns:
        dict: the results and the paths of results.json, results.md and the plots.

    Example:
    ```python
    outcome = run_experiment(experiment)
    print(open(outcome["table"]).read())
    ```
    """
    if pretrain_fn is None:
        from electra_tf.training.pretraining import run_pretraining as pretrain_fn
    finetune_fn = finetune_fn or default_finetune_fn(experiment)
    os.makedirs(experiment.output_dir, exist_ok=True)
    start = time.time()

    def report():
        results = collect_results(experiment)
        return results, write_report(results, experiment.output_dir)

    pretrain_all(experiment, pretrain_fn, log)
    report()
    finetune_all(experiment, finetune_fn, log, on_score=report)
    results, paths = report()
    if plots:
        from electra_tf.experiments.plots import plot_scores

        paths["plots"] = plot_scores(results, experiment.output_dir)
    log(f"Done in {time.time() - start:.0f}s: {paths['table']}, {paths['json']}"
        + (f", {', '.join(paths['plots'].values())}" if plots else ""))
    return {"results": results, **paths}
