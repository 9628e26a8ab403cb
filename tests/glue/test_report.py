"""Per-task metrics against independent implementations, medians, the GLUE score, the table."""

import numpy as np
import pytest
import scipy.stats as stats
import sklearn.metrics as sklearn_metrics

from electra_tf.finetune import metrics as metrics_lib
from electra_tf.finetune.glue import report
from electra_tf.finetune.glue.tasks import TASKS


def _job_results(task, gold, predicted, extra=None):
    """What the fine-tuning job reports for string labels: its own metric functions on
    class ids in the task's label order (regression: the raw scores)."""
    def metrics(gold, predicted):
        if task.regression:
            return metrics_lib.regression_metrics(gold, predicted)
        ids = {name: i for i, name in enumerate(task.label_names)}
        return metrics_lib.classification_metrics([ids[y] for y in gold],
                                                  [ids[p] for p in predicted],
                                                  len(task.label_names))
    results = {"dev": metrics(gold, predicted), "best_epoch": 1}
    if extra:
        results["extra_dev"] = {name: metrics(*pair) for name, pair in extra.items()}
    return results


def _labels(task, count, seed):
    rng = np.random.default_rng(seed)
    return list(rng.choice(task.label_names, count))


def _noisy(task, gold, seed):
    rng = np.random.default_rng(seed)
    return [g if rng.random() < 0.7 else rng.choice(task.label_names) for g in gold]


@pytest.mark.parametrize("name", ["cola", "sst2", "mrpc", "qqp", "qnli", "rte", "wnli"])
def test_classification_figures_match_sklearn(name):
    """The key metric and F1 (positive class "1": paraphrase/duplicate) as sklearn has them."""
    task = TASKS[name]
    gold = _labels(task, 200, 1)
    predicted = _noisy(task, gold, 2)
    scores = report.run_scores(task, _job_results(task, gold, predicted))
    assert list(scores) == [r.name for r in task.reported]
    expected = {"accuracy": lambda: sklearn_metrics.accuracy_score(gold, predicted),
                "matthews_corrcoef": lambda: sklearn_metrics.matthews_corrcoef(gold, predicted),
                "f1": lambda: sklearn_metrics.f1_score(gold, predicted, pos_label="1")}
    for figure, value in scores.items():
        assert value == pytest.approx(expected[figure](), abs=1e-9), figure
    assert task.key.name == ("matthews_corrcoef" if name == "cola" else "accuracy")


def test_stsb_reports_spearman_then_pearson_as_scipy():
    task = TASKS["stsb"]
    rng = np.random.default_rng(0)
    gold = np.round(rng.uniform(0, 5, 300) * 5) / 5  # ties, as STS-B's scores have
    predicted = gold + rng.normal(0, 1.5, 300)
    scores = report.run_scores(task, _job_results(task, gold, predicted))
    assert list(scores) == ["spearman", "pearson"]
    assert scores["spearman"] == pytest.approx(stats.spearmanr(gold, predicted)[0], abs=1e-9)
    assert scores["pearson"] == pytest.approx(stats.pearsonr(gold, predicted)[0], abs=1e-9)


def test_mnli_reports_matched_and_mismatched_accuracy():
    task = TASKS["mnli"]
    gold_m, gold_mm = _labels(task, 150, 3), _labels(task, 120, 4)
    predicted_m, predicted_mm = _noisy(task, gold_m, 5), _noisy(task, gold_mm, 6)
    results = _job_results(task, gold_m, predicted_m,
                           extra={"mismatched": (gold_mm, predicted_mm)})
    scores = report.run_scores(task, results)
    assert scores == pytest.approx({
        "matched_accuracy": sklearn_metrics.accuracy_score(gold_m, predicted_m),
        "mismatched_accuracy": sklearn_metrics.accuracy_score(gold_mm, predicted_mm)})
    with pytest.raises(ValueError, match="mismatched"):
        report.run_scores(task, {"dev": results["dev"]})


# The ELECTRA-Base row of the reference README's dev results (medians, x100), plus
# made-up figures the score must ignore: F1s, Pearson, MNLI-mm, WNLI.
BASE = {"cola": {"matthews_corrcoef": 67.7}, "sst2": {"accuracy": 95.1},
        "mrpc": {"accuracy": 89.5, "f1": 20.0}, "stsb": {"spearman": 91.2, "pearson": 10.0},
        "qqp": {"accuracy": 91.5, "f1": 30.0},
        "mnli": {"matched_accuracy": 88.8, "mismatched_accuracy": 40.0},
        "qnli": {"accuracy": 93.2}, "rte": {"accuracy": 82.7}, "wnli": {"accuracy": 10.0}}


def test_glue_score_is_the_papers_eight_task_mean():
    expected = (67.7 + 95.1 + 89.5 + 91.2 + 91.5 + 88.8 + 93.2 + 82.7) / 8
    assert report.glue_score(BASE) == pytest.approx(expected)
    without_wnli = {name: value for name, value in BASE.items() if name != "wnli"}
    assert report.glue_score(without_wnli) == pytest.approx(expected)
    assert report.glue_score({k: v for k, v in BASE.items() if k != "rte"}) is None
    value, names = report.average_of_tasks({"rte": BASE["rte"], "wnli": BASE["wnli"],
                                            "cola": BASE["cola"]})
    assert names == ["cola", "rte"] and value == pytest.approx((67.7 + 82.7) / 2)


@pytest.mark.parametrize("values", [[0.7, 0.95, 0.8], [0.5, 0.9, 0.6, 0.62], [0.42]])
def test_median_and_spread_over_seeds(values):
    runs = {seed: {"accuracy": v, "f1": 1 - v} for seed, v in enumerate(values, start=1)}
    summary = report.summarize_seeds(runs)
    assert summary["seeds"] == list(range(1, len(values) + 1))
    for figure, column in (("accuracy", values), ("f1", [1 - v for v in values])):
        assert summary["median"][figure] == pytest.approx(np.median(column))
        assert summary["mean"][figure] == pytest.approx(np.mean(column))
        assert summary["min"][figure] == pytest.approx(min(column))
        assert summary["max"][figure] == pytest.approx(max(column))
        if len(column) > 1:
            assert summary["std"][figure] == pytest.approx(np.std(column, ddof=1))
        else:
            assert summary["std"][figure] is None


def _report(medians):
    tasks = {}
    for name, median in medians.items():
        # Three seeds around the median, skewed so that their mean differs from it.
        runs = {seed: {k: v + offset for k, v in median.items()}
                for seed, offset in ((1, -0.01), (2, 0.0), (3, 0.05))}
        tasks[name] = {**report.summarize_seeds(runs),
                       "runs": {str(seed): scores for seed, scores in runs.items()},
                       "train_examples": 100,
                       "dev_examples": {"dev": 10, "mismatched": 12} if name == "mnli"
                       else {"dev": 10}, "skipped_rows": {},
                       "last_epoch": {"median": 0.8} if name == "rte" else {}}
    value, names = report.average_of_tasks(medians)
    return {"tasks": tasks, "glue_score": report.glue_score(medians),
            "average_of_tasks": {"value": value, "tasks": names},
            "settings": {"init": "runs/m", "hparams_file": "configs/finetune/base.json",
                         "max_train_examples": None, "seeds": [1, 2, 3]}}


def test_summary_table_shows_medians_and_the_glue_score():
    fractions = {name: {k: v / 100 for k, v in figures.items()} for name, figures in
                 BASE.items()}
    text = report.summary_markdown(_report(fractions))
    rows = [line for line in text.splitlines() if line.startswith("| Median")]
    assert rows == ["| Median | 67.7 | 95.1 | 89.5/20.0 | 91.2/10.0 | 91.5/30.0 | 88.8/40.0 "
                    "| 93.2 | 82.7 | 10.0 | 87.5 |"]
    assert "| MNLI | mismatched_accuracy | 40.0 |" in text
    assert "| RTE | accuracy | 82.7 | 84.0 | 3.2 | 81.7 | 87.7 | 1: 81.7, 2: 82.7, 3: 87.7 " \
        "| 80.0 | 100 | 10 |" in text


def test_last_epoch_score_is_the_key_metric_of_the_final_epoch():
    history = [{"epoch": 1, "accuracy": 0.7, "matthews_corrcoef": 0.3},
               {"epoch": 2, "accuracy": 0.6, "matthews_corrcoef": 0.2}]
    assert report.last_epoch_score(TASKS["rte"], {"history": history}) == 0.6
    assert report.last_epoch_score(TASKS["cola"], {"history": history}) == 0.2
    assert report.last_epoch_score(TASKS["rte"], {}) is None


def test_summary_without_all_tasks_has_no_glue_score():
    text = report.summary_markdown(_report({"sst2": {"accuracy": 0.661}}))
    assert "| — (1 of 8 tasks) |" in text
    assert "no GLUE score; the average of the tasks run (SST-2) is 66.1" in text
