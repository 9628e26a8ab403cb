"""Convert ELECTRA checkpoints: Google TF1 or Hugging Face -> model_dir, model_dir -> Hugging Face.

    # A reference (google-research/electra) TF1 checkpoint -> a model_dir:
    python tools/convert_checkpoint.py --mode=import_google \
        --google_checkpoint=electra_small/electra_small --vocab=electra_small/vocab.txt \
        --model_dir=runs/electra_small_imported

    # Hugging Face folders (either or both) -> a model_dir:
    python tools/convert_checkpoint.py --mode=import_hf \
        --discriminator_dir=electra-small-discriminator \
        --generator_dir=electra-small-generator --model_dir=runs/from_hf

    # A model_dir -> Hugging Face folders <output_dir>/{discriminator,generator}:
    python tools/convert_checkpoint.py --mode=export_hf \
        --model_dir=runs/electra_tiny --output_dir=hf_export

An imported model_dir holds the model only (config.json, vocab.txt, ckpt-0,
conversion.json): tools/export.py uses it as is, and continued pretraining
starts a fresh optimizer at step 0 (the reference's Adam slots are not
carried over). Pass the training settings of the continued run (e.g.
max_seq_length, learning_rate) in --config_json at import: they are written
to the model_dir's config.json.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from electra_tf.errors import UsageError  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.tool_runner import check_command_line  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

MODES = ("import_google", "import_hf", "export_hf")

flags.DEFINE_enum("mode", None, list(MODES), "import_google: a TF1 checkpoint "
                  "(--google_checkpoint) "
                  "-> --model_dir; import_hf: Hugging Face folders (--discriminator_dir and/or "
                  "--generator_dir) -> --model_dir; export_hf: --model_dir -> Hugging Face "
                  "folders.")
flags.DEFINE_string("google_checkpoint", None, "import_google: the TF1 checkpoint prefix (e.g. "
                    "electra_small/electra_small) or its folder.")
flags.DEFINE_string("discriminator_dir", None, "import_hf: an ElectraForPreTraining folder to "
                    "read. export_hf: where to write it (default <output_dir>/discriminator).")
flags.DEFINE_string("generator_dir", None, "import_hf: an ElectraForMaskedLM folder to read. "
                    "export_hf: where to write it (default <output_dir>/generator).")
flags.DEFINE_string("model_dir", None, "import_*: the model_dir to write (config.json, "
                    "vocab.txt, ckpt-0). export_hf: the run to export.")
flags.DEFINE_string("output_dir", None, "export_hf: parent folder of the discriminator/ and "
                    "generator/ Hugging Face folders.")
flags.DEFINE_string("vocab", None, "vocab.txt of the checkpoint (default: vocab.txt beside the "
                    "TF1 checkpoint or in the Hugging Face folders).")
flags.DEFINE_string("config_json", None, "import_*: an electra-tf config (configs/*.json) or a "
                    "BERT-style one: num_heads (TF1 default hidden/64) and training settings; "
                    "sizes it states are checked against the checkpoint.")
flags.DEFINE_string("checkpoint", None, "export_hf: a ckpt-N prefix (default: the latest).")
flags.DEFINE_enum("shared_embeddings", "check", ["check", "discriminator", "generator"],
                  "import_hf with both folders: 'check' requires their embedding copies to be "
                  "equal; otherwise that model's copy wins.")
flags.DEFINE_bool("overwrite", False, "Replace an existing model_dir run / Hugging Face weights.")
FLAGS = flags.FLAGS


def _check_flags():
    """Flag and file checks that need no TensorFlow, so mistakes fail fast."""
    mode = FLAGS.mode
    if mode is None:
        raise UsageError(f"--mode is required: one of {', '.join(MODES)}.")
    if not FLAGS.model_dir:
        raise UsageError(f"--mode={mode} needs --model_dir.")
    for flag in ("vocab", "config_json"):
        path = getattr(FLAGS, flag)
        if path and not os.path.isfile(path):
            raise UsageError(f"--{flag}={path!r} does not exist.")
    if mode == "import_google":
        if not FLAGS.google_checkpoint:
            raise UsageError("--mode=import_google needs --google_checkpoint: the TF1 checkpoint "
                             "prefix "
                             "or its folder.")
        source = FLAGS.google_checkpoint
        if not (os.path.isdir(source) or os.path.isfile(source + ".index")):
            raise UsageError(f"--google_checkpoint={source!r}: no TF checkpoint there (no "
                             f"folder, no {source}.index).")
    elif mode == "import_hf":
        if not FLAGS.discriminator_dir and not FLAGS.generator_dir:
            raise UsageError("--mode=import_hf needs --discriminator_dir, --generator_dir or "
                             "both.")
        for flag in ("discriminator_dir", "generator_dir"):
            path = getattr(FLAGS, flag)
            if path and not os.path.isfile(os.path.join(path, "config.json")):
                raise UsageError(f"--{flag}={path!r} has no config.json: not a Hugging Face "
                                 "model folder.")
    else:
        if not os.path.isfile(os.path.join(FLAGS.model_dir, "config.json")):
            raise UsageError(f"--model_dir={FLAGS.model_dir!r} has no config.json: not a "
                             "model_dir written by tools/pretrain.py or an import.")
        if not (FLAGS.output_dir or FLAGS.discriminator_dir or FLAGS.generator_dir):
            raise UsageError("--mode=export_hf needs --output_dir (or --discriminator_dir / "
                             "--generator_dir).")


def _print_import(imported, checkpoint):
    print(f"Wrote {checkpoint} ({imported.source['format']} import).")
    print(f"  imported: {', '.join(imported.imported)}")
    print(f"  fresh:    {', '.join(imported.fresh)}")
    for note in imported.notes:
        print(f"  note: {note}")
    print("  Continued pretraining from here starts a fresh optimizer at step 0.")


@report_usage_errors
def main(argv):
    logging.set_verbosity(logging.WARNING)
    check_command_line(argv)
    _check_flags()
    from electra_tf import convert

    if FLAGS.mode == "export_hf":
        result = convert.export_hf(
            FLAGS.model_dir, FLAGS.output_dir, discriminator_dir=FLAGS.discriminator_dir,
            generator_dir=FLAGS.generator_dir, checkpoint=FLAGS.checkpoint,
            overwrite=FLAGS.overwrite,
        )
        print(f"Exported {result['checkpoint']}:")
        for tower in ("discriminator", "generator"):
            if tower in result:
                print(f"  {tower + ':':15s}{result[tower]}")
        return
    if FLAGS.mode == "import_google":
        imported = convert.import_google_checkpoint(
            FLAGS.google_checkpoint, config_json=FLAGS.config_json, vocab=FLAGS.vocab)
    else:
        imported = convert.import_hf(
            FLAGS.discriminator_dir, FLAGS.generator_dir, config_json=FLAGS.config_json,
            vocab=FLAGS.vocab, shared_embeddings=FLAGS.shared_embeddings)
    checkpoint = convert.write_model_dir(imported, FLAGS.model_dir, overwrite=FLAGS.overwrite)
    _print_import(imported, checkpoint)


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
