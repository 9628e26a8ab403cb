"""Scores over seeds -> median and spread; results.json -> the Markdown report.

Fine-tuning a small encoder is noisy from seed to seed, so every cell is the
median over seeds with its spread (the min-max range), and each run's median
is compared with the first run's: an effect smaller than the spread is not
one.
"""

import json
import os
import statistics

RESULTS_FILE = "results.json"
TABLE_FILE = "results.md"


def summarize(values):
    """Median and spread of one cell's scores (one per seed).

    Args:
        values: list of float.

    Returns:
        dict with n, median, min, max, spread (max - min) and std (0 for one
        value); None for no values.

    Example:
    ```python
    summarize([0.80, 0.82, 0.79])["median"]  # 0.80
    ```
    """
    values = [float(v) for v in values]
    if not values:
        return None
    return {"n": len(values), "median": statistics.median(values), "min": min(values),
            "max": max(values), "spread": max(values) - min(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def _percent(value):
    return f"{100 * value:.1f}"


def format_cell(summary):
    """`81.2 [79.8-82.0] (5)`: median, min-max over seeds, seeds; in percent."""
    if not summary:
        return "-"
    if summary["n"] == 1:
        return f"{_percent(summary['median'])} (1)"
    return (f"{_percent(summary['median'])} [{_percent(summary['min'])}-"
            f"{_percent(summary['max'])}] ({summary['n']})")


def format_losses(pretraining, objective="electra"):
    """The pretraining state at a point, e.g.
    `25.509 (disc_loss 0.392, gen_loss 5.895); disc AUC 0.54, gen accuracy 16.2%`.

    The discriminator's AUC is what says whether replaced-token detection was learned at all
    (0.5: it was not, whatever the losses); an `mlm` run has no discriminator, so its `disc_*`
    values (constant zeros) are left out and its MLM accuracy is the encoder's own.
    """
    if not pretraining or "loss" not in pretraining:
        return "-"
    has_discriminator = objective != "mlm"

    def shown(key):
        return has_discriminator or not key.startswith("disc_")

    parts = [f"{key} {pretraining[key]:.3f}" for key in sorted(pretraining)
             if key.endswith("_loss") and shown(key)
             and isinstance(pretraining[key], (int, float))]
    text = f"{pretraining['loss']:.3f}"
    if parts:
        text += f" ({', '.join(parts)})"
    state = []
    if has_discriminator and isinstance(pretraining.get("disc_auc"), (int, float)):
        state.append(f"disc AUC {pretraining['disc_auc']:.2f}")
    if isinstance(pretraining.get("gen_accuracy"), (int, float)):
        name = "gen accuracy" if has_discriminator else "MLM accuracy"
        state.append(f"{name} {100 * pretraining['gen_accuracy']:.1f}%")
    return text + ("; " + ", ".join(state) if state else "")


def _objective(run):
    return ((run.get("config") or {}).get("objective")
            or (run.get("overrides") or {}).get("objective") or "electra")


def _delta(summary, baseline):
    if not summary or not baseline:
        return "-"
    return f"{100 * (summary['median'] - baseline['median']):+.1f}"


def markdown_table(results):
    """The report: one row per run at its full budget, then every fine-tuning point.

    Args:
        results: dict as written to results.json (see `runner.run_experiment`).

    Returns:
        str (Markdown).

    Example:
    ```python
    print(markdown_table(json.load(open("out/results.json"))))
    ```
    """
    tasks = list(results["tasks"])
    runs = results["runs"]
    metric = results.get("metric", "accuracy")
    lines = [
        f"Dev {metric} (%) at equal pretraining compute: median over fine-tuning seeds "
        "[min-max] (seeds); delta = median minus the first run's "
        f"({runs[0]['name'] if runs else '-'}). Budget {results['budget']['flops']:.3g} FLOPs "
        "per run.",
        "",
    ]
    header = ["Run", "Changes", "Steps", "FLOPs", "Pretraining (end)"]
    for task in tasks:
        header += [task, f"{task} delta"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    baseline = runs[0]["points"][-1] if runs and runs[0]["points"] else None
    for run in runs:
        last = run["points"][-1] if run["points"] else {}
        row = [run["name"], run["changes"], str(run["steps"]), f"{run['flops']:.3g}",
               format_losses(last.get("pretraining"), _objective(run))]
        for task in tasks:
            summary = last.get("summary", {}).get(task)
            base = baseline.get("summary", {}).get(task) if baseline else None
            row += [format_cell(summary), _delta(summary, base)]
        lines.append("| " + " | ".join(row) + " |")
    if any(len(run["points"]) > 1 for run in runs):
        lines += ["", "Along the budget (the curves of the plots):", ""]
        header = ["Run", "Step", "FLOPs", "Pretraining"] + tasks
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for run in runs:
            for point in run["points"]:
                row = [run["name"], str(point["step"]), f"{point['flops']:.3g}",
                       format_losses(point.get("pretraining"), _objective(run))]
                row += [format_cell(point.get("summary", {}).get(task)) for task in tasks]
                lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def write_report(results, output_dir):
    """Writes results.json and results.md (atomically); returns their paths.

    Example:
    ```python
    write_report(results, "out")  # {"json": "out/results.json", "table": "out/results.md"}
    ```
    """
    paths = {"json": os.path.join(output_dir, RESULTS_FILE),
             "table": os.path.join(output_dir, TABLE_FILE)}
    for path, text in ((paths["json"], json.dumps(results, indent=2, sort_keys=True) + "\n"),
                       (paths["table"], markdown_table(results))):
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    return paths
