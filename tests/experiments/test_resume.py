"""Rerunning the experiment skips what is finished and resumes what was cut short.

Pretraining and fine-tuning are stand-ins that write what the real ones write
(checkpoints, summary.json) and count their calls; the real ones run in
test_compare_objectives_tool.py.
"""

import json
import os
import shutil

import pytest

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError
from electra_tf.experiments import budget
from electra_tf.experiments import runner
from electra_tf.experiments.checkpoint_views import latest_step


class FakePretraining:
    """Trains from the model_dir's latest checkpoint; `stop` {run: step} simulates a SIGINT."""

    def __init__(self, stop=None):
        self.calls, self.stop = [], dict(stop or {})

    def __call__(self, config, options, log):
        run = os.path.basename(os.path.dirname(options.model_dir))
        start = latest_step(options.model_dir)
        target = min(config.train_steps, start + options.steps_this_run)
        interrupted = start < self.stop.get(run, -1) < target
        if interrupted:
            target = self.stop.pop(run)
        self.calls.append((run, start, target))
        os.makedirs(options.model_dir, exist_ok=True)
        config.to_json(os.path.join(options.model_dir, "config.json"))
        with open(os.path.join(options.model_dir, "vocab.txt"), "w") as f:
            f.write(open(options.vocab).read())
        for suffix in (".index", ".data-00000-of-00001"):
            with open(os.path.join(options.model_dir, f"ckpt-{target}{suffix}"), "w") as f:
                f.write(str(target))
        summary = {"step": target, "interrupted": interrupted, "seconds": 2.0,
                   "train": {"loss": 100.0 / target, "gen_loss": 1.0, "disc_auc": 0.9}}
        with open(os.path.join(options.model_dir, "summary.json"), "w") as f:
            json.dump(summary, f)
        return summary


class FakeFinetuning:
    """Scores from the checkpoint's step and the seed; `fail_at` simulates a kill."""

    def __init__(self, fail_at=None):
        self.calls, self.fail_at = [], fail_at

    def __call__(self, init, task, seed, output_dir, log):
        assert os.path.isfile(os.path.join(init, "checkpoint"))  # a model_dir view
        if self.fail_at is not None and len(self.calls) + 1 == self.fail_at:
            raise KeyboardInterrupt
        self.calls.append((init, task, seed))
        step = int(open(os.path.join(init, "checkpoint")).read().split("ckpt-")[1].split('"')[0])
        return {"accuracy": 0.5 + step / 1000 + seed / 100}


def _experiment(tmp_path, budget_flops=None):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n")
    base = ElectraConfig(vocab_size=6, hidden_size=32, num_heads=2, intermediate_size=64,
                         embedding_size=16, num_layers=1, max_seq_length=16, batch_size=2)
    configs = {"a": base, "b": base.replace(generator_hidden_size=1.0)}
    budget_flops = budget_flops or 40 * budget.flops_per_step(configs["b"])
    plans = [budget.plan_run(name, {}, config, budget_flops, 3, 0.1)
             for name, config in configs.items()]
    return runner.Experiment(
        output_dir=str(tmp_path / "out"), plans=plans, budget={"flops": budget_flops},
        train_data="unused", vocab=str(vocab), tasks={"rt": {}, "imdb": {}}, seeds=[1, 2])


def test_a_rerun_skips_finished_parts_and_resumes_cut_ones(tmp_path):
    experiment = _experiment(tmp_path)
    b = experiment.plans[1]
    assert b.points == [13, 27, 40]
    # 1. Run b is stopped at step 20, between its first two points.
    pretraining = FakePretraining(stop={"b": 20})
    with pytest.raises(runner.Interrupted):
        runner.run_experiment(experiment, pretraining, FakeFinetuning(), plots=False, log=print)
    a = experiment.plans[0].points
    assert pretraining.calls == [("a", 0, a[0]), ("a", a[0], a[1]), ("a", a[1], a[2]),
                                 ("b", 0, 13), ("b", 13, 20)]
    # 2. The rerun trains b on from its checkpoint at 20; fine-tuning is killed at job 3.
    pretraining, finetuning = FakePretraining(), FakeFinetuning(fail_at=3)
    with pytest.raises(KeyboardInterrupt):
        runner.run_experiment(experiment, pretraining, finetuning, plots=False, log=print)
    assert pretraining.calls == [("b", 20, 27), ("b", 27, 40)]
    assert len(finetuning.calls) == 2
    # 3. The next rerun does only the remaining jobs: 2 runs x 3 points x 2 tasks x 2 seeds.
    pretraining, finetuning = FakePretraining(), FakeFinetuning()
    outcome = runner.run_experiment(experiment, pretraining, finetuning, plots=False, log=print)
    assert pretraining.calls == []
    assert len(finetuning.calls) == 24 - 2
    # 4. A finished experiment reruns nothing and reports the same.
    before = open(outcome["json"]).read()
    pretraining, finetuning = FakePretraining(), FakeFinetuning()
    again = runner.run_experiment(experiment, pretraining, finetuning, plots=False, log=print)
    assert pretraining.calls == [] and finetuning.calls == []
    assert open(again["json"]).read() == before
    results = json.loads(before)
    last = results["runs"][1]["points"][-1]
    assert last["step"] == 40 and last["scores"]["rt"] == {"1": 0.55, "2": 0.56}
    assert last["summary"]["rt"]["median"] == pytest.approx(0.555)
    for run in results["runs"]:  # every point keeps the losses of its own segment
        assert [p["pretraining"]["loss"] for p in run["points"]] == pytest.approx(
            [100.0 / p["step"] for p in run["points"]])
    # 5. Killed after its last checkpoint but before its view: the view is made
    # from that checkpoint and its summary, without training.
    shutil.rmtree(experiment.view("b", 40))
    pretraining = FakePretraining()
    runner.run_experiment(experiment, pretraining, FakeFinetuning(), plots=False, log=print)
    assert pretraining.calls == []
    assert open(os.path.join(experiment.view("b", 40), "ckpt-40.index")).read() == "40"
    assert open(again["json"]).read() == before


def test_a_rerun_with_another_budget_is_refused(tmp_path):
    runner.run_experiment(_experiment(tmp_path), FakePretraining(), FakeFinetuning(),
                          plots=False, log=print)
    changed = _experiment(tmp_path, budget_flops=_experiment(tmp_path).budget["flops"] * 2)
    with pytest.raises(UsageError, match="records different settings for run 'a'"):
        runner.run_experiment(changed, FakePretraining(), FakeFinetuning(), plots=False,
                              log=print)


def test_fine_tuning_starts_from_the_checkpoint_of_its_point(tmp_path):
    experiment = _experiment(tmp_path)
    finetuning = FakeFinetuning()
    runner.run_experiment(experiment, FakePretraining(), finetuning, plots=False, log=print)
    view = experiment.view("b", 27)
    assert sorted(os.listdir(view)) == ["checkpoint", "ckpt-27.data-00000-of-00001",
                                        "ckpt-27.index", "config.json", "pretraining.json",
                                        "vocab.txt"]
    assert open(os.path.join(view, "ckpt-27.index")).read() == "27"
    assert {init for init, _, _ in finetuning.calls} == {
        experiment.view(p.name, s) for p in experiment.plans for s in p.points}
