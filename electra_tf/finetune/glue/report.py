"""GLUE results: each run's reported figures, medians over seeds, the GLUE score, the table.

The GLUE score is the one the ELECTRA paper reports for the dev sets: the mean,
over the eight tasks other than WNLI, of each task's key metric (Matthews
correlation for CoLA, Spearman correlation for STS-B, accuracy for the others,
MNLI on its matched dev set), each the median over fine-tuning seeds (the paper:
"Evaluation metrics are Spearman correlation for STS, Matthews correlation for
CoLA, and accuracy for the other GLUE tasks", the median of 10 runs; WNLI is
left out of the dev results, following BERT). It is only a GLUE score with all
eight: with fewer tasks, `average_of_tasks` gives the mean of those run, under
another name.
"""

import math
import statistics

from electra_tf.finetune.glue.tasks import TASKS

GLUE_SCORE_DEFINITION = (
    "Mean of the medians over seeds of CoLA Matthews corr., SST-2 acc., MRPC acc., STS-B "
    "Spearman, QQP acc., MNLI-m acc., QNLI acc. and RTE acc. (WNLI left out), as the ELECTRA "
    "paper computes its GLUE dev score.")


def run_scores(task, results):
    """The figures `task` reports, read from one fine-tuning run's results.

    Args:
        task: `GlueTask`.
        results: dict. The fine-tuning job's results: "dev" holds the best
            epoch's dev metrics, "extra_dev" those of the extra dev sets
            (MNLI's mismatched) on the same weights.

    Returns:
        dict of `Reported.name` -> float, in `task.reported` order.

    Example:
    ```python
    run_scores(TASKS["mnli"], {"dev": {"accuracy": 0.81},
                               "extra_dev": {"mismatched": {"accuracy": 0.82}}})
    # {"matched_accuracy": 0.81, "mismatched_accuracy": 0.82}
    ```
    """
    scores = {}
    for reported in task.reported:
        metrics = results.get("dev") if reported.dev == "dev" else (
            results.get("extra_dev") or {}).get(reported.dev)
        if not metrics or reported.metric not in metrics:
            raise ValueError(f"{task.title}: the run's results have no {reported.metric!r} on "
                             f"the {reported.dev!r} dev set (results keys: {sorted(results)}).")
        scores[reported.name] = float(metrics[reported.metric])
    return scores


def last_epoch_score(task, results):
    """The key metric after the last epoch, or None if the run kept no history.

    The best epoch is chosen on the dev set, which flatters dev scores a
    little; the reference evaluates the model after its last epoch. Reporting
    both shows how much the choice adds.

    Args:
        task: `GlueTask`.
        results: dict. The fine-tuning job's results ("history": one dict of
            dev metrics per epoch).

    Returns:
        float or None.

    Example:
    ```python
    last_epoch_score(TASKS["rte"], {"history": [{"accuracy": 0.6}, {"accuracy": 0.7}]})  # 0.7
    ```
    """
    history = results.get("history") or []
    if not history or task.key.metric not in history[-1]:
        return None
    return float(history[-1][task.key.metric])


def summarize_seeds(scores_by_seed):
    """Median and spread of each figure over the seeds of one task.

    Args:
        scores_by_seed: dict of seed -> dict of figure -> float (one run each).

    Returns:
        dict with "seeds" (sorted list), and "median", "mean", "std" (sample
        standard deviation; None for one seed), "min", "max": each a dict of
        figure -> float. Each figure's median is taken on its own (MRPC's median
        F1 and median accuracy may come from different seeds).

    Example:
    ```python
    summarize_seeds({1: {"accuracy": 0.8}, 2: {"accuracy": 0.9}, 3: {"accuracy": 0.7}})
    # {"seeds": [1, 2, 3], "median": {"accuracy": 0.8}, "min": {"accuracy": 0.7}, ...}
    ```
    """
    seeds = sorted(scores_by_seed)
    if not seeds:
        raise ValueError("no runs to summarize.")
    names = list(scores_by_seed[seeds[0]])
    column = {name: [scores_by_seed[seed][name] for seed in seeds] for name in names}
    return {
        "seeds": seeds,
        "median": {n: float(statistics.median(v)) for n, v in column.items()},
        "mean": {n: float(statistics.fmean(v)) for n, v in column.items()},
        "std": {n: float(statistics.stdev(v)) if len(v) > 1 else None
                for n, v in column.items()},
        "min": {n: float(min(v)) for n, v in column.items()},
        "max": {n: float(max(v)) for n, v in column.items()},
    }


def glue_score(medians):
    """The paper's dev-set GLUE score, or None unless all eight tasks are there.

    Args:
        medians: dict of task name -> dict of figure -> median (as
            `summarize_seeds(...)["median"]`).

    Returns:
        float (same scale as the metrics) or None.

    Example:
    ```python
    glue_score({name: {TASKS[name].key.name: 0.8} for name in TASKS})  # 0.8
    ```
    """
    names = [name for name, task in TASKS.items() if task.in_glue_score]
    if any(name not in medians for name in names):
        return None
    return float(statistics.fmean(medians[name][TASKS[name].key.name] for name in names))


def average_of_tasks(medians):
    """Mean key metric over the GLUE-score tasks that were run (not a GLUE score).

    Args:
        medians: dict of task name -> dict of figure -> median.

    Returns:
        (float or None, list of the task names averaged).

    Example:
    ```python
    average_of_tasks({"rte": {"accuracy": 0.7}, "wnli": {"accuracy": 0.5}})  # (0.7, ["rte"])
    ```
    """
    names = [name for name, task in TASKS.items() if task.in_glue_score and name in medians]
    if not names:
        return None, []
    return float(statistics.fmean(medians[name][TASKS[name].key.name] for name in names)), names


def _percent(value):
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{100 * value:.1f}"


def summary_markdown(report):
    """The Markdown summary of a GLUE report (`results.json`'s content).

    Args:
        report: dict with "tasks" (task name -> `summarize_seeds` output plus
            "train_examples", "dev_examples", "skipped_rows"), "glue_score",
            "settings" ("init", "hparams_file", "max_train_examples", "seeds").

    Returns:
        str: a paper-style row of medians (x100) with the GLUE score, then
        the spread over seeds per task and figure.

    Example:
    ```python
    with open("summary.md", "w") as f:
        f.write(summary_markdown(report))
    ```
    """
    tasks, settings = report["tasks"], report["settings"]
    lines = ["# GLUE dev results", ""]
    cap = settings.get("max_train_examples")
    lines.append(
        f"Model `{settings['init']}`, hyperparameters `{settings['hparams_file']}`, "
        f"{len(settings['seeds'])} seed(s) per task (the paper reports medians of 10)"
        + (f", at most {cap} training examples per task" if cap else "") + ".")
    lines += ["", "Medians over seeds, x100:", ""]
    header, metric_row, value_row = ["Task"], ["Metric"], ["Median"]
    for name, task in TASKS.items():
        header.append(task.title)
        metric_row.append("/".join(r.label for r in task.reported))
        summary = tasks.get(name)
        value_row.append("/".join(_percent(summary["median"][r.name]) for r in task.reported)
                         if summary else "—")
    score = report.get("glue_score")
    header.append("GLUE")
    metric_row.append("avg")
    ran = sum(1 for name in tasks if TASKS[name].in_glue_score)
    value_row.append(_percent(score) if score is not None else f"— ({ran} of 8 tasks)")
    for row in (header, ["---"] * len(header), metric_row, value_row):
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "GLUE: " + GLUE_SCORE_DEFINITION]
    if score is None:
        partial = report.get("average_of_tasks") or {}
        if partial.get("value") is not None:
            titles = ", ".join(TASKS[n].title for n in partial["tasks"])
            lines.append(f"Not every task was run, so there is no GLUE score; the average of "
                         f"the tasks run ({titles}) is {_percent(partial['value'])}.")
    lines += ["", "Per task and figure, x100. Each run keeps its best epoch by the key "
              "metric (listed first) on the dev set; \"Last epoch\" is the key metric after "
              "the last epoch instead (the reference's protocol, no choice on dev).", "",
              "| Task | Figure | Median | Mean | Std | Min | Max | Runs (seed: value) "
              "| Last epoch, median | Train | Dev |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, task in TASKS.items():
        summary = tasks.get(name)
        if not summary:
            continue
        dev = ", ".join(f"{k} {v}" for k, v in summary["dev_examples"].items()) \
            if len(summary["dev_examples"]) > 1 else str(next(iter(
                summary["dev_examples"].values())))
        skipped = sum(summary.get("skipped_rows", {}).values())
        train = str(summary["train_examples"]) + (f" ({skipped} malformed rows skipped)"
                                                   if skipped else "")
        for reported in task.reported:
            runs = ", ".join(f"{seed}: {_percent(summary['runs'][str(seed)][reported.name])}"
                             for seed in summary["seeds"])
            last = (summary.get("last_epoch") or {}).get("median") \
                if reported is task.key else None
            lines.append("| " + " | ".join([
                task.title, reported.name, _percent(summary["median"][reported.name]),
                _percent(summary["mean"][reported.name]), _percent(summary["std"][reported.name]),
                _percent(summary["min"][reported.name]), _percent(summary["max"][reported.name]),
                runs, _percent(last), train, dev]) + " |")
    return "\n".join(lines) + "\n"
