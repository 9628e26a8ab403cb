"""The equal-compute experiment: which pretraining objective gives the better encoder per FLOP?

    python tools/compare_objectives.py --runs=electra,mlm --budget_minutes=20 --seeds=5

Pretrains each run (an objective/strategy: see electra_tf/experiments/runs.py)
on the same corpus and data order at the same model-FLOPs budget, fine-tunes
each encoder on held-out labelled tasks with several seeds, and writes
results.json, results.md (median dev accuracy over seeds and its spread) and
plot_<task>.png (dev accuracy vs pretraining FLOPs) to --output_dir.
Rerunning the same command resumes: finished parts are skipped.
docs/experiments.md describes the splits, the defaults and how to read the report.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from electra_tf.errors import UsageError  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.tool_runner import check_command_line  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

DEFAULT_CONFIG = os.path.join("configs", "experiments", "small_cpu.json")

flags.DEFINE_list("runs", ["electra", "mlm"], "Runs to compare, comma-separated: names from "
                  "electra_tf/experiments/runs.py (electra, mlm, electra_15, replace_mlm, "
                  "all_tokens_mlm, gdes, no_sharing, adversarial, two_stage; untrained, the "
                  "encoder as initialised, fine-tuned for reference) or custom runs "
                  "'name:field=value;field=value' over config fields (quote the ';' in a "
                  "shell). The first run is the baseline of the deltas and, with "
                  "--budget_minutes, the one whose speed is measured.")
flags.DEFINE_string("config", DEFAULT_CONFIG, "Base config of every run: a JSON file, or a "
                    "shipped config by name (experiments/small_cpu, electra_tiny, ...); "
                    "train_steps and warmup_steps are set from the budget.")
flags.DEFINE_float("budget_flops", None, "Pretraining budget of every run in model FLOPs "
                   "(electra_tf/training/flops.py, generator included).")
flags.DEFINE_float("budget_minutes", None, "Pretraining budget of every run in minutes, turned "
                   "into FLOPs once on the first run's measured speed (kept in "
                   "<output_dir>/budget.json).")
flags.DEFINE_integer("calibration_steps", 30, "Steps timed to turn --budget_minutes into FLOPs.")
flags.DEFINE_string("train_data", None, "Pretraining data of every run: a TFRecord glob from "
                    "tools/build_pretraining_data.py, or text files (.txt/.gz globs). Unset: the "
                    "default corpus minus the held-out fine-tuning texts, built into the cache.")
flags.DEFINE_string("vocab", None, "vocab.txt of --train_data (default: from the TFRecords' "
                    "metadata.json; for text, learned from it into <output_dir>/vocab.txt).")
flags.DEFINE_integer("vocab_size", 8192, "Size of a vocabulary this tool learns.")
flags.DEFINE_string("cache_dir", None, "Cache of the default data ($ELECTRA_TF_CACHE or "
                    "~/.cache/electra_tf).")
flags.DEFINE_multi_string("task", None, "A fine-tuning task as name=train.tsv,dev.tsv "
                          "(CSV/TSV with a header, or JSONL); repeat for several. Unset: rt and "
                          "imdb, the held-out Rotten Tomatoes and IMDB sentiment sets.")
flags.DEFINE_string("text_column", "sentence", "Text column of the task files.")
flags.DEFINE_string("label_column", "label", "Label column of the task files.")
flags.DEFINE_integer("seeds", 5, "Fine-tuning seeds per run, task and checkpoint (seeds "
                     "1..N).")
flags.DEFINE_integer("checkpoints_per_run", 1, "Points along each run's budget that are "
                     "fine-tuned (evenly spaced, the last at the full budget): >1 draws curves.")
flags.DEFINE_float("warmup_fraction", 0.1, "Learning-rate warmup as a fraction of each run's "
                   "own steps.")
flags.DEFINE_string("output_dir", os.path.join("runs", "compare_objectives"),
                    "Where runs, fine-tuning jobs and the report go.")
flags.DEFINE_integer("finetune_epochs", None, "Fine-tuning epochs at most (default: the job's).")
flags.DEFINE_integer("finetune_patience", None, "Early-stopping patience in epochs (default: "
                     "the job's; 0: train every epoch).")
flags.DEFINE_float("finetune_learning_rate", None, "Fine-tuning peak learning rate (default: "
                   "the job's by model size).")
flags.DEFINE_integer("finetune_batch_size", None, "Fine-tuning batch size (default: the job's).")
flags.DEFINE_integer("finetune_max_seq_length", None, "Fine-tuning sequence length (default: "
                     "the pretraining length).")
flags.DEFINE_integer("save_every", 200, "Pretraining steps between checkpoints (resume points).")
flags.DEFINE_integer("log_every", 25, "Pretraining steps per logging window (the loss reported "
                     "at a point is the mean over the last window).")
flags.DEFINE_bool("progress", True, "A progress bar inside each pretraining segment (the tool "
                  "prints a line per phase either way).")
flags.DEFINE_bool("plots", True, "Write plot_<task>.png (needs matplotlib: pip install -e "
                  "\".[experiments]\").")
FLAGS = flags.FLAGS


def _parse_tasks(specs):
    tasks = {}
    for spec in specs:
        name, _, files = spec.partition("=")
        paths = [p.strip() for p in files.split(",")]
        if not name.strip() or len(paths) != 2 or not all(paths):
            raise UsageError(f"--task={spec!r} must look like name=train.tsv,dev.tsv.")
        for path in paths:
            if not os.path.isfile(path):
                raise UsageError(f"--task={spec!r}: {path!r} does not exist.")
        tasks[name.strip()] = {"train": os.path.abspath(paths[0]),
                               "dev": os.path.abspath(paths[1])}
    return tasks


def _data(output_dir, max_seq_length):
    """(train_data, vocab, default tasks, split counts or None)."""
    from electra_tf.experiments import data as data_lib

    if FLAGS.train_data is None:
        paths = data_lib.prepare_experiment_data(FLAGS.cache_dir, max_seq_length,
                                                 FLAGS.vocab_size)
        return paths["train_data"], FLAGS.vocab or paths["vocab"], paths["tasks"], paths["counts"]
    vocab = FLAGS.vocab
    if vocab is None:
        from electra_tf.data.corpus import expand_globs
        from electra_tf.data.metadata import read_metadata

        files = expand_globs(FLAGS.train_data)
        if all(".tfrecord" in os.path.basename(f) for f in files):
            vocab = read_metadata(os.path.dirname(files[0])).get("vocab_file")
            if not vocab or not os.path.isfile(vocab):
                raise UsageError("--vocab is required: the vocab.txt the TFRecords were built "
                                 "with.")
        else:
            from electra_tf.data.default_data import vocab_from_files

            vocab = os.path.join(output_dir, "vocab.txt")
            if not os.path.isfile(vocab):
                print(f"Learning a {FLAGS.vocab_size}-token vocabulary from --train_data into "
                      f"{vocab} ...", flush=True)
                os.makedirs(output_dir, exist_ok=True)
                vocab_from_files(FLAGS.train_data, vocab + ".tmp", FLAGS.vocab_size)
                os.replace(vocab + ".tmp", vocab)
    split = None
    if not FLAGS.task:  # default tasks, whose texts --train_data may contain
        print("warning: the default tasks (held-out reviews of the default corpus) are not "
              "checked against --train_data; pass --task for tasks held out of it.", flush=True)
        split = data_lib.prepare_split(FLAGS.cache_dir)
    return FLAGS.train_data, vocab, split["tasks"] if split else {}, (
        split["counts"] if split else None)


def _finetune_settings():
    settings = {"epochs": FLAGS.finetune_epochs, "learning_rate": FLAGS.finetune_learning_rate,
                "batch_size": FLAGS.finetune_batch_size,
                "max_seq_length": FLAGS.finetune_max_seq_length}
    settings = {k: v for k, v in settings.items() if v is not None}
    if FLAGS.finetune_patience is not None:
        settings["patience"] = FLAGS.finetune_patience or None
    return settings


@report_usage_errors
def main(argv):
    logging.set_verbosity(logging.WARNING)
    check_command_line(argv)
    if (FLAGS.budget_flops is None) == (FLAGS.budget_minutes is None):
        raise UsageError("give exactly one of --budget_flops and --budget_minutes.")
    if FLAGS.seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {FLAGS.seeds}.")
    if FLAGS.plots:  # before hours of training, not after
        from electra_tf.experiments.plots import check_matplotlib

        check_matplotlib()
    from electra_tf.config import ElectraConfig
    from electra_tf.experiments import budget as budget_lib
    from electra_tf.experiments import runner
    from electra_tf.experiments.runs import parse_runs
    from electra_tf.experiments.runs import run_config
    from electra_tf.text.vocab import load_vocab

    from electra_tf.config_files import config_path as find_config

    config_path = find_config(FLAGS.config)
    base = ElectraConfig.from_json(config_path)
    runs = parse_runs(FLAGS.runs)
    configs = [run_config(base, run) for run in runs]  # unknown fields fail now
    output_dir = FLAGS.output_dir
    given_tasks = _parse_tasks(FLAGS.task) if FLAGS.task else None  # before building data
    train_data, vocab, tasks, counts = _data(output_dir, base.max_seq_length)
    tasks = given_tasks or tasks
    vocab_size = len(load_vocab(vocab))
    configs = [c if c.vocab_size else c.replace(vocab_size=vocab_size) for c in configs]
    training = dict(save_every=FLAGS.save_every, keep_checkpoints=2, log_every=FLAGS.log_every,
                    eval_every=0, sample_every=0, show_progress=FLAGS.progress)

    if FLAGS.budget_flops is not None:
        budget = {"flops": FLAGS.budget_flops}
    else:
        from electra_tf.training.pretraining import run_pretraining

        budget = runner.calibrate_budget(output_dir, FLAGS.budget_minutes, configs[0],
                                         train_data, vocab, run_pretraining,
                                         steps=FLAGS.calibration_steps, training=training)
    plans = [budget_lib.plan_run(run.name, run.overrides, config, budget["flops"],
                                 FLAGS.checkpoints_per_run, FLAGS.warmup_fraction,
                                 untrained=run.untrained)
             for run, config in zip(runs, configs)]
    print(f"Comparing {len(plans)} runs at {budget['flops']:.4g} FLOPs each (config "
          f"{config_path}):")
    for plan in plans:
        print(f"  {plan.name}: {plan.step_flops:.4g} FLOPs/step -> {plan.steps} steps "
              f"(warmup {plan.config.warmup_steps}), fine-tuned at steps {plan.points}; "
              f"{'base config' if not plan.overrides else plan.overrides}")
    print(f"Fine-tuning on {', '.join(tasks)} with {FLAGS.seeds} seed(s): "
          f"{len(tasks) * FLAGS.seeds * sum(len(p.points) for p in plans)} jobs.", flush=True)
    experiment = runner.Experiment(
        output_dir=output_dir, plans=plans, budget=budget, train_data=train_data, vocab=vocab,
        tasks=tasks, seeds=list(range(1, FLAGS.seeds + 1)), finetune=_finetune_settings(),
        text_column=FLAGS.text_column, label_column=FLAGS.label_column, training=training,
        settings={"command": " ".join(sys.argv), "config": config_path,
                  "train_data": train_data, "vocab": vocab, "split_counts": counts,
                  "warmup_fraction": FLAGS.warmup_fraction,
                  "checkpoints_per_run": FLAGS.checkpoints_per_run})
    for name in tasks:  # a bad task file fails now, not after the pretraining
        runner.load_task(experiment, name)
    try:
        runner.run_experiment(experiment, plots=FLAGS.plots,
                              log=lambda message: print(message, flush=True))
    except runner.Interrupted as stop:
        print(f"Interrupted: {stop}. Rerun the same command to resume.", flush=True)
        sys.exit(1)
    except KeyboardInterrupt:  # during fine-tuning: the job's backup/ keeps its epochs
        print("\nInterrupted. Rerun the same command to resume.", flush=True)
        sys.exit(1)


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
