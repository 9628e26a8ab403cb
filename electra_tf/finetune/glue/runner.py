"""`run_glue`: fine-tune one pretrained encoder on each GLUE task with several seeds.

Layout of `output_dir`:

```
glue_settings.json        init, hyperparameters and training cap of the runs here
results.json, summary.md  every finished task/seed so far, medians, GLUE score
<task>/data.json          example counts (and skipped QQP rows) of the task's files
<task>/seed_<k>/          one fine-tuning run (the job's results.json, weights, logs)
```

Rerunning resumes: a task/seed whose `results.json` exists is not trained again,
so an interrupted run continues, and a larger `seeds` adds seeds to finished
tasks. The runs in one `output_dir` must share their settings (a changed
`--init`, hyperparameter or cap is an error rather than a silent mix).
"""

import dataclasses
import json
import os
import statistics
import time

from electra_tf.errors import UsageError
from electra_tf.finetune.glue import report as report_lib
from electra_tf.finetune.glue.hparams import hparams_path
from electra_tf.finetune.glue.hparams import load_hparams
from electra_tf.finetune.glue.hparams import size_for_model
from electra_tf.finetune.glue.reader import check_task_files
from electra_tf.finetune.glue.reader import read_task
from electra_tf.finetune.glue.tasks import TASKS

SETTINGS_FILE = "glue_settings.json"
RESULTS_FILE = "results.json"
SUMMARY_FILE = "summary.md"
DATA_FILE = "data.json"
# The job's own record of a finished run; its presence marks the run done.
RUN_RESULTS_FILE = "results.json"


def run_glue(glue_dir, init, output_dir, tasks=None, hparams=None, seeds=3,
             max_train_examples=None, keep_weights=True, show_progress=False, log=print):
    """Fine-tunes `init` on GLUE tasks, `seeds` runs each; reports medians and the GLUE score.

    Args:
        glue_dir: str. The GLUE download folder (CoLA/, SST-2/, ... each with
            train.tsv and dev.tsv; MNLI with dev_matched.tsv, dev_mismatched.tsv).
        init: str. A pretraining model_dir or a keras-hub preset folder.
        output_dir: str. Where runs and reports go (see the module docstring).
        tasks: list of str or None. Keys of `TASKS` (run in GLUE's order);
            None runs all nine.
        hparams: str or None. "tiny", "small", "base", "large" or a JSON path;
            None picks the file for the model's hidden size.
        seeds: int. Runs per task, with seeds 1..seeds.
        max_train_examples: int or None. Train on a fixed random sample of at
            most this many examples per task (quick runs; dev sets stay whole).
        keep_weights: bool. Keep each run's best weights (False deletes them once
            the run's results are written: a base model's are 440 MB a run).
        show_progress: bool. Progress bars inside each run.
        log: callable taking a str.

    Returns:
        dict: the report also written to `output_dir/results.json`.

    Example:
    ```python
    report = run_glue("glue_data", "runs/electra_small", "runs/glue_small",
                      tasks=["rte", "mrpc"], seeds=3)
    report["tasks"]["rte"]["median"]["accuracy"]
    ```
    """
    unknown = sorted(set(tasks or ()) - set(TASKS))
    if unknown:
        raise UsageError(f"unknown GLUE task(s) {', '.join(unknown)}; the tasks are "
                         f"{', '.join(TASKS)}.")
    names = [name for name in TASKS if tasks is None or name in tasks]
    if seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {seeds}.")
    if max_train_examples is not None and max_train_examples < 1:
        raise UsageError(f"--max_train_examples must be positive, got {max_train_examples}.")
    if not os.path.isdir(glue_dir or ""):
        raise UsageError(f"--glue_dir={glue_dir!r} is not a folder; it should hold the GLUE "
                         "task folders (CoLA/, SST-2/, MRPC/, ...).")
    for name in names:
        check_task_files(TASKS[name], glue_dir)
    if not os.path.isdir(init or ""):
        raise UsageError(f"--init={init!r} is not a folder: pass a pretraining model_dir or a "
                         "keras-hub preset folder.")
    hparams_file = hparams_path(hparams or size_for_model(init))
    hparams_values = load_hparams(hparams_file)
    settings = {"init": os.path.abspath(init), "hparams_file": hparams_file,
                "hparams": dataclasses.asdict(hparams_values),
                "max_train_examples": max_train_examples}
    _check_settings(output_dir, settings)
    log(f"GLUE: {', '.join(TASKS[n].title for n in names)}; {seeds} seed(s) each; "
        f"hyperparameters {hparams_file}.")

    plan = [(name, seed) for name in names for seed in range(1, seeds + 1)]
    pending = [(name, seed) for name, seed in plan
               if not _finished(_run_dir(output_dir, name, seed))]
    # Read every task with runs to do before training anything: a bad row in the
    # last task should not surface hours into the first.
    for name in dict.fromkeys(name for name, _ in pending):
        _record_counts(output_dir, read_task(TASKS[name], glue_dir))
    log(f"{len(plan) - len(pending)} of {len(plan)} runs already done in {output_dir}; "
        f"{len(pending)} to run.")

    data, step = None, 0
    for name, seed in plan:
        task, run_dir = TASKS[name], _run_dir(output_dir, name, seed)
        if (name, seed) not in pending:
            continue
        step += 1
        if data is None or data.task.name != name:
            data = _training_data(read_task(task, glue_dir), hparams_values,
                                  max_train_examples)
        prefix = f"[{step}/{len(pending)}] {task.title} seed {seed}"
        log(f"{prefix}: {len(data.train)} training examples, "
            f"{hparams_values.epochs_for(name)} epochs ...")
        start = time.time()
        results = _finetune(data, hparams_values, init, run_dir, seed, keep_weights,
                            show_progress, log=lambda line: log(f"    {line}"))
        scores = report_lib.run_scores(task, results)
        shown = ", ".join(f"{k} {100 * v:.1f}" for k, v in scores.items())
        log(f"{prefix}: {shown} (best epoch {results.get('best_epoch')}, "
            f"{time.time() - start:.0f}s)")
        _write_report(output_dir, glue_dir, seeds, settings)
    report = _write_report(output_dir, glue_dir, seeds, settings)
    score = report["glue_score"]
    log(f"GLUE score: {100 * score:.1f}" if score is not None else
        "GLUE score: needs all eight tasks (CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE).")
    log(f"  results: {os.path.join(output_dir, RESULTS_FILE)}")
    log(f"  summary: {os.path.join(output_dir, SUMMARY_FILE)}")
    return report


def _finetune(data, hparams, init, run_dir, seed, keep_weights, show_progress, log):
    """The one call into the fine-tuning job: one task, one seed."""
    from electra_tf.finetune.classification.task import ClassificationData
    from electra_tf.finetune.classification.task import ClassificationTask
    from electra_tf.finetune.job import BEST_WEIGHTS
    from electra_tf.finetune.job import FinetuneOptions
    from electra_tf.finetune.job import run_finetuning

    task = data.task

    def columns(split):
        return ClassificationData.from_columns(
            split.texts, split.labels, text_pairs=split.text_pairs,
            label_names=None if task.regression else list(task.label_names),
            regression=task.regression, source=split.path)

    extra_dev = {name: columns(split) for name, split in data.dev.items() if name != "dev"}
    job_task = ClassificationTask(columns(data.train), columns(data.dev["dev"]),
                                  metric=task.key.metric, pooling=hparams.pooling,
                                  extra_dev=extra_dev or None)
    options = FinetuneOptions(
        init=init, output_dir=run_dir, epochs=hparams.epochs_for(task.name), patience=None,
        learning_rate=hparams.learning_rate, layer_decay=hparams.layer_decay,
        batch_size=hparams.batch_size, max_seq_length=hparams.max_seq_length,
        dropout=hparams.dropout, weight_decay=hparams.weight_decay,
        warmup_fraction=hparams.warmup_fraction, seed=seed, export=False,
        show_progress=show_progress)
    results = run_finetuning(job_task, options, log=log)
    if not keep_weights:
        os.remove(os.path.join(run_dir, BEST_WEIGHTS))
    return results


def _training_data(data, hparams, max_train_examples):
    """The task's data as trained on: the capped sample, both pair orders if set,
    and STS-B's 0-5 scores divided by 5 (the reference trains on [0, 1]; Spearman
    and Pearson do not change, the reported MSE is on that scale)."""
    train = data.train.sample(max_train_examples)
    if hparams.double_unordered and data.task.symmetric:
        train = train.with_both_orders()
    data = dataclasses.replace(data, train=train)
    if data.task.regression:
        data = dataclasses.replace(data, train=data.train.scaled(1 / data.task.score_range[1]),
                                   dev={name: split.scaled(1 / data.task.score_range[1])
                                        for name, split in data.dev.items()})
    return data


def _run_dir(output_dir, name, seed):
    return os.path.join(output_dir, name, f"seed_{seed}")


def _finished(run_dir):
    """The run's results, or None if it has not finished."""
    path = os.path.join(run_dir, RUN_RESULTS_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            results = json.load(f)
    except (OSError, json.JSONDecodeError):
        return None  # cut short mid-write: run it again
    return results if isinstance(results, dict) and "dev" in results else None


def _check_settings(output_dir, settings):
    path = os.path.join(output_dir, SETTINGS_FILE)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            previous = json.load(f)
        changed = []
        for key in ("init", "hparams", "max_train_examples"):
            before, now = previous.get(key), settings[key]
            if isinstance(before, dict) and isinstance(now, dict):
                changed += [(f"{key}.{name}", before.get(name), now.get(name))
                            for name in sorted(set(before) | set(now))
                            if before.get(name) != now.get(name)]
            elif before != now:
                changed.append((key, before, now))
        if changed:
            details = "; ".join(f"{key}: was {before!r}, now {now!r}"
                                for key, before, now in changed)
            raise UsageError(
                f"{output_dir} holds GLUE runs made with other settings ({details}). Use "
                "another --output_dir, or delete it to start over.")
        return
    os.makedirs(output_dir, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(settings, f, indent=2)


def _record_counts(output_dir, data):
    counts = {"train_examples": len(data.train),
              "dev_examples": {name: len(split) for name, split in data.dev.items()},
              "skipped_rows": {os.path.basename(s.path): len(s.skipped_lines)
                               for s in [data.train, *data.dev.values()] if s.skipped_lines}}
    os.makedirs(os.path.join(output_dir, data.task.name), exist_ok=True)
    with open(os.path.join(output_dir, data.task.name, DATA_FILE), "w", encoding="utf-8") as f:
        json.dump(counts, f, indent=2)
    return counts


def _counts(output_dir, glue_dir, name):
    path = os.path.join(output_dir, name, DATA_FILE)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return _record_counts(output_dir, read_task(TASKS[name], glue_dir))


def _write_report(output_dir, glue_dir, seeds, settings):
    """Collects every finished run of seeds 1..`seeds` in `output_dir` into the report."""
    tasks = {}
    for name, task in TASKS.items():
        runs, best_epochs, last, seconds = {}, {}, {}, {}
        for seed in range(1, seeds + 1):
            results = _finished(_run_dir(output_dir, name, seed))
            if results is not None:
                runs[seed] = report_lib.run_scores(task, results)
                best_epochs[str(seed)] = results.get("best_epoch")
                last[str(seed)] = report_lib.last_epoch_score(task, results)
                seconds[str(seed)] = results.get("seconds")
        if not runs:
            continue
        counts = _counts(output_dir, glue_dir, name)
        cap = settings["max_train_examples"]
        train = counts["train_examples"] if cap is None else min(cap, counts["train_examples"])
        tasks[name] = {
            "key_metric": task.key.name, "in_glue_score": task.in_glue_score,
            "runs": {str(seed): scores for seed, scores in runs.items()},
            "best_epochs": best_epochs, "seconds": seconds,
            **report_lib.summarize_seeds(runs),
            "last_epoch": {"runs": last, "median": statistics.median(last.values())
                           if None not in last.values() else None},
            "train_examples": train, "dev_examples": counts["dev_examples"],
            "skipped_rows": counts["skipped_rows"]}
    medians = {name: summary["median"] for name, summary in tasks.items()}
    average, averaged = report_lib.average_of_tasks(medians)
    report = {
        "glue_score": report_lib.glue_score(medians),
        "glue_score_definition": report_lib.GLUE_SCORE_DEFINITION,
        "average_of_tasks": {"value": average, "tasks": averaged},
        "tasks": tasks,
        "settings": dict(settings, seeds=list(range(1, seeds + 1))),
    }
    _write_atomically(os.path.join(output_dir, RESULTS_FILE), json.dumps(report, indent=2))
    _write_atomically(os.path.join(output_dir, SUMMARY_FILE), report_lib.summary_markdown(report))
    return report


def _write_atomically(path, text):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
