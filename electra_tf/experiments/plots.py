"""Dev score vs pretraining FLOPs, one line per run: the paper's Figure 4 at our scale.

Needs matplotlib, the `experiments` extra (`pip install -e ".[experiments]"`).
"""

import os

from electra_tf.errors import UsageError

INSTALL_HINT = 'the plots need matplotlib: pip install -e ".[experiments]" (or --noplots).'


def check_matplotlib():
    """Raises `UsageError` with the install command when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None


def plot_scores(results, output_dir):
    """One PNG per task: median dev score (min-max bars over seeds) vs FLOPs.

    Args:
        results: dict as written to results.json.
        output_dir: str.

    Returns:
        dict {task: PNG path}.

    Example:
    ```python
    plot_scores(json.load(open("out/results.json")), "out")  # {"rt": "out/plot_rt.png", ...}
    ```
    """
    check_matplotlib()
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    from matplotlib import pyplot

    metric = results.get("metric", "accuracy")
    paths = {}
    for task in results["tasks"]:
        figure, axes = pyplot.subplots(figsize=(6.4, 4.4), dpi=120)
        for run in results["runs"]:
            points = [p for p in run["points"] if p.get("summary", {}).get(task)]
            if not points:
                continue
            x = [p["flops"] for p in points]
            cells = [p["summary"][task] for p in points]
            y = [100 * c["median"] for c in cells]
            errors = [[100 * (c["median"] - c["min"]) for c in cells],
                      [100 * (c["max"] - c["median"]) for c in cells]]
            axes.errorbar(x, y, yerr=errors, marker="o", capsize=3, label=run["name"])
        axes.set_xlim(left=0)  # compute starts at zero: equal budgets line up
        axes.set_xlabel("pretraining FLOPs")
        axes.set_ylabel(f"dev {metric} (%), median over seeds")
        axes.set_title(f"{task}: dev {metric} vs pretraining compute")
        axes.grid(alpha=0.3)
        if axes.get_legend_handles_labels()[0]:
            axes.legend()
        figure.tight_layout()
        paths[task] = os.path.join(output_dir, f"plot_{task}.png")
        figure.savefig(paths[task])
        pyplot.close(figure)
    return paths
