"""Median and spread over seeds, and the Markdown table built from them."""

import pytest

from electra_tf.experiments import report


def test_the_median_resists_one_bad_seed_and_the_spread_is_the_range():
    summary = report.summarize([0.80, 0.82, 0.50, 0.81, 0.79])
    assert summary["median"] == pytest.approx(0.80)  # the mean would be 0.744
    assert summary["min"] == 0.50 and summary["max"] == 0.82
    assert summary["spread"] == pytest.approx(0.32)
    assert summary["n"] == 5
    assert report.summarize([0.6, 0.8])["median"] == pytest.approx(0.7)  # even count
    assert report.summarize([0.6])["std"] == 0.0
    assert report.summarize([]) is None


def _point(step, flops, scores_by_task, loss):
    # What an mlm run records too: its summary has disc_* zeros from the shared metrics.
    return {"step": step, "flops": flops,
            "pretraining": {"loss": loss, "gen_loss": loss / 4, "disc_loss": 0.2,
                            "disc_auc": 0.61, "gen_accuracy": 0.162},
            "scores": scores_by_task,
            "summary": {t: report.summarize(list(s.values())) for t, s in scores_by_task.items()}}


def _results():
    electra = [_point(50, 5e12, {"rt": {"1": 0.70, "2": 0.72, "3": 0.71}}, 20.0),
               _point(100, 1e13, {"rt": {"1": 0.80, "2": 0.84, "3": 0.82}}, 15.0)]
    mlm = [_point(70, 5e12, {"rt": {"1": 0.66, "2": 0.69, "3": 0.60}}, 6.0),
           _point(140, 1e13, {"rt": {"1": 0.75, "2": 0.77, "3": 0.74}}, 5.5)]
    return {"budget": {"flops": 1e13}, "metric": "accuracy", "tasks": {"rt": {}},
            "runs": [{"name": "electra", "changes": "base config", "steps": 100, "flops": 1e13,
                      "points": electra},
                     {"name": "mlm", "changes": "objective=mlm", "steps": 140, "flops": 1e13,
                      "overrides": {"objective": "mlm"},
                      "points": mlm}]}


def test_the_table_has_each_runs_median_spread_and_delta_at_the_full_budget():
    table = report.markdown_table(_results())
    final = table.split("Along the budget")[0]
    rows = {line.split(" | ")[0].strip("| "): line for line in final.splitlines()
            if line.startswith("| electra") or line.startswith("| mlm")}
    assert "82.0 [80.0-84.0] (3)" in rows["electra"]
    assert "75.0 [74.0-77.0] (3)" in rows["mlm"]
    assert "| -7.0 |" in rows["mlm"]  # 75.0 - 82.0
    assert "| +0.0 |" in rows["electra"]
    assert "15.000 (disc_loss 0.200, gen_loss 3.750); disc AUC 0.61, gen accuracy 16.2%" in \
        rows["electra"]
    # No discriminator in an mlm run: no disc_* numbers, and the accuracy is the encoder's MLM.
    assert "5.500 (gen_loss 1.375); MLM accuracy 16.2%" in rows["mlm"]
    assert "disc" not in rows["mlm"]
    assert "| 140 | 1e+13 |" in rows["mlm"]
    # The curve section lists every point.
    assert "| mlm | 70 | 5e+12 |" in table
    assert "71.0 [70.0-72.0] (3)" in table


def test_the_report_files_are_written(tmp_path):
    paths = report.write_report(_results(), str(tmp_path))
    assert open(paths["table"]).read() == report.markdown_table(_results())
    assert '"budget"' in open(paths["json"]).read()
