"""Pretrain ELECTRA.

    python tools/pretrain.py                      # the default job: tiny model, embedded corpus
    python tools/pretrain.py --config=configs/electra_small.json \
        --train_data='data/train/*.tfrecord' --eval_data='data/eval/*.tfrecord' \
        --vocab=vocab.txt --model_dir=runs/small

Every field of the config file can be overridden by a flag of the same name
(e.g. --learning_rate=1e-4 --mask_prob=0.2); --flagfile=FILE reads flags from
a file. Rerunning the same command resumes from the latest checkpoint.
"""

import dataclasses
import os
import typing

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from electra_tf.config import ElectraConfig  # noqa: E402
from electra_tf.errors import UsageError  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.tool_runner import check_command_line  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402
from electra_tf.training.options import TrainingOptions  # noqa: E402

DEFAULT_CONFIG = os.path.join("configs", "electra_tiny.json")
# Flag defaults are the library's (one copy): TrainingOptions' field defaults.
RUN = {f.name: f.default for f in dataclasses.fields(TrainingOptions)}

flags.DEFINE_string("config", DEFAULT_CONFIG, "Model/objective config: a JSON file, or a "
                    "shipped config by name (electra_tiny, electra_small, electra_base, "
                    "electra_large).")
flags.DEFINE_string("train_data", None, "TFRecord glob from tools/build_pretraining_data.py, or "
                    "text files (.txt/.gz globs) tokenized on the fly. Unset: the default job's "
                    "embedded corpus, built into the cache on first use.")
flags.DEFINE_string("eval_data", None, "Held-out data in the same formats (default job: the "
                    "held-out reviews).")
flags.DEFINE_string("vocab", None, "vocab.txt the data was built with (default: the one named "
                    "in the TFRecords' metadata.json).")
flags.DEFINE_string("model_dir", None, "Checkpoints, config.json, vocab.txt and TensorBoard "
                    "logs (default: runs/<config name>).")
flags.DEFINE_string("cache_dir", None, "Default job's data cache ($ELECTRA_TF_CACHE or "
                    "~/.cache/electra_tf).")
flags.DEFINE_enum("strategy", RUN["strategy"], ["auto", "default", "mirrored", "multi_worker", "tpu"],
                  "tf.distribute strategy. auto: TPU if --tpu is set, MirroredStrategy with "
                  "several GPUs, else default. multi_worker reads TF_CONFIG.")
flags.DEFINE_string("tpu", None, "TPU name or address ('local' on a TPU VM).")
flags.DEFINE_enum("jit_compile", RUN["jit_compile"], ["auto", "true", "false"],
                  "XLA-compile forward/backward. auto: on for GPU/TPU, off on CPU (measured "
                  "faster there).")
flags.DEFINE_enum("mixed_precision", RUN["mixed_precision"], ["float32", "mixed_bfloat16", "mixed_float16"],
                  "Compute dtype policy; mixed_float16 adds dynamic loss scaling.")
flags.DEFINE_integer("grad_accum_steps", RUN["grad_accum_steps"], "Micro-batches accumulated per update "
                     "(--batch_size is the effective batch).")
flags.DEFINE_integer("save_every", RUN["save_every"], "Steps between checkpoints (also at the end and on "
                     "SIGTERM/SIGINT).")
flags.DEFINE_integer("keep_checkpoints", RUN["keep_checkpoints"], "Checkpoints kept in --model_dir.")
flags.DEFINE_integer("log_every", RUN["log_every"], "Steps between TensorBoard scalars and progress updates.")
flags.DEFINE_integer("eval_every", RUN["eval_every"], "Steps between evaluations on --eval_data (0: at the "
                     "end only).")
flags.DEFINE_integer("eval_steps", RUN["eval_steps"], "Batches per evaluation.")
flags.DEFINE_integer("sample_every", RUN["sample_every"], "Steps between TensorBoard text summaries of one "
                     "example's replaced tokens.")
flags.DEFINE_integer("steps_this_run", None, "Stop with a checkpoint after this many steps "
                     "(for time-limited jobs); rerun to continue.")
flags.DEFINE_bool("preemption_safe", RUN["preemption_safe"], "Multi-worker: checkpoint via TF's "
                  "PreemptionCheckpointHandler when a worker is told to stop.")
flags.DEFINE_float("peak_tflops", None, "Hardware peak TFLOP/s for the MFU estimate (default: "
                   "a table for GPUs/TPUs, cores x clock x vector width for CPUs).")
flags.DEFINE_bool("progress", RUN["show_progress"], "Show a progress bar.")
flags.DEFINE_bool("export", True, "At the end, export SavedModels for TF Serving and a keras-hub "
                  "preset to --export_dir (as tools/export.py does).")
flags.DEFINE_string("export_dir", None, "Where the end-of-run export goes (default: "
                    "<model_dir>/export).")

_TYPES = {int: flags.DEFINE_integer, float: flags.DEFINE_float, bool: flags.DEFINE_bool,
          str: flags.DEFINE_string}
_HELP = ElectraConfig.field_help()
for _name, _type in typing.get_type_hints(ElectraConfig).items():
    _base = next((t for t in typing.get_args(_type) if t is not type(None)), _type)
    if _name not in flags.FLAGS:
        _TYPES[_base](_name, None, f"[config override] {_HELP[_name]}")
FLAGS = flags.FLAGS


def _resolve_config():
    from electra_tf.config_files import config_path

    path = config_path(FLAGS.config)
    config = ElectraConfig.from_json(path)
    overrides = {f.name: FLAGS[f.name].value for f in dataclasses.fields(ElectraConfig)
                 if FLAGS[f.name].value is not None}
    return config.replace(**overrides), os.path.splitext(os.path.basename(path))[0]


def _vocab_for(train_data, model_dir, config):
    """The vocabulary when --vocab is unset: the one named in the TFRecords'
    metadata.json, or, for text files, one learned from them into the model_dir
    (reused when the run resumes)."""
    from electra_tf.data.corpus import expand_globs
    from electra_tf.data.default_data import DEFAULT_VOCAB_SIZE
    from electra_tf.data.default_data import vocab_from_files
    from electra_tf.data.metadata import read_metadata
    from electra_tf.training.model_dir import VOCAB_FILE

    files = expand_globs(train_data.split(","))
    if all(".tfrecord" in os.path.basename(f) for f in files):
        vocab = read_metadata(os.path.dirname(files[0])).get("vocab_file")
        if not vocab or not os.path.isfile(vocab):
            raise UsageError(f"the metadata.json next to {files[0]!r} names no vocabulary that "
                             "exists; pass --vocab=<the vocab.txt the data was built with>.")
        return vocab, config
    vocab = os.path.join(model_dir, VOCAB_FILE)
    if not os.path.isfile(vocab):
        size = config.vocab_size or DEFAULT_VOCAB_SIZE
        print(f"No --vocab: learning a {size}-token WordPiece vocabulary from --train_data into "
              f"{vocab} (pass --vocab=FILE to use your own).", flush=True)
        os.makedirs(model_dir, exist_ok=True)
        vocab_from_files(files, vocab, size, lowercase=config.lowercase)
    # The learner lands near the size asked for, not on it: size the model from the file.
    return vocab, config.replace(vocab_size=0)


@report_usage_errors
def main(argv):
    logging.set_verbosity(logging.WARNING)  # TF's INFO lines would bury the progress bar
    check_command_line(argv)
    from electra_tf.training.pretraining import TrainingOptions
    from electra_tf.training.pretraining import run_pretraining

    config, name = _resolve_config()
    train_data, eval_data, vocab = FLAGS.train_data, FLAGS.eval_data, FLAGS.vocab
    model_dir = FLAGS.model_dir or os.path.join("runs", name)
    if train_data is None:
        from electra_tf.data.default_data import prepare_default_data

        print("No --train_data: running the default job (embedded movie-review corpus).")
        paths = prepare_default_data(FLAGS.cache_dir, max_seq_length=config.max_seq_length)
        train_data, vocab = paths["train_data"], vocab or paths["vocab"]
        eval_data = eval_data or paths["eval_data"]
    if vocab is None:
        vocab, config = _vocab_for(train_data, model_dir, config)
    options = TrainingOptions(
        model_dir=model_dir,
        train_data=train_data, eval_data=eval_data, vocab=vocab,
        strategy=FLAGS.strategy, tpu=FLAGS.tpu, jit_compile=FLAGS.jit_compile,
        mixed_precision=FLAGS.mixed_precision, grad_accum_steps=FLAGS.grad_accum_steps,
        save_every=FLAGS.save_every, keep_checkpoints=FLAGS.keep_checkpoints,
        log_every=FLAGS.log_every, eval_every=FLAGS.eval_every, eval_steps=FLAGS.eval_steps,
        sample_every=FLAGS.sample_every, steps_this_run=FLAGS.steps_this_run,
        preemption_safe=FLAGS.preemption_safe, peak_tflops=FLAGS.peak_tflops,
        show_progress=FLAGS.progress,
    )
    summary = run_pretraining(config, options)
    _print_summary(summary)
    finished = not summary["interrupted"] and summary["step"] >= summary["train_steps"]
    if FLAGS.export and finished and summary["chief"]:
        from electra_tf.export.exporter import export_model_dir

        result = export_model_dir(options.model_dir,
                                  FLAGS.export_dir or os.path.join(options.model_dir, "export"),
                                  overwrite=True)
        print(f"  export: {result['discriminator']} (discriminator), {result['generator']} "
              f"(generator), {result['keras_hub_preset']} (keras-hub preset)")


def _print_summary(summary):
    train, evaluation = summary["train"], summary["eval"]
    print()
    print(f"{'Interrupted' if summary['interrupted'] else 'Finished'} at step "
          f"{summary['step']}/{summary['train_steps']} in {summary['seconds']:.0f}s.")
    if train:
        print(f"  train: loss {train['loss']:.4f} (generator {train['gen_loss']:.4f}, "
              f"discriminator {train['disc_loss']:.4f}), discriminator AUC "
              f"{train['disc_auc']:.3f}, {train['seconds_per_step']:.3f} s/step, "
              f"{train['examples_per_second']:.1f} sequences/s, MFU {100 * train['mfu']:.1f}%")
    if evaluation:
        print(f"  eval:  loss {evaluation['loss']:.4f}, discriminator AUC "
              f"{evaluation['disc_auc']:.3f}, generator accuracy {evaluation['gen_accuracy']:.3f}")
    print(f"  checkpoints: {summary['checkpoint']}")
    print(f"  TensorBoard: tensorboard --logdir {summary['logdir']}")


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
