"""Export a pretraining run as SavedModels for TF Serving (+ a keras-hub preset).

    python tools/export.py --model_dir=runs/electra_tiny --export_dir=exports
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from electra_tf.errors import UsageError  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.tool_runner import check_command_line  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

flags.DEFINE_string("model_dir", None, "The pretraining run to export (tools/pretrain.py's "
                    "--model_dir).")
flags.DEFINE_string("export_dir", None, "Output folder (default: <model_dir>/export).")
flags.DEFINE_string("checkpoint", None, "A ckpt-N prefix to export (default: the latest).")
flags.DEFINE_integer("version", None, "SavedModel version folder (default: the checkpoint step).")
flags.DEFINE_integer("max_seq_length", None, "Tokens per served input; longer text is "
                     "truncated (default: the run's max_seq_length).")
flags.DEFINE_integer("top_k", 5, "Candidates returned per [MASK] by the generator's fill_mask.")
flags.DEFINE_bool("keras_hub_preset", True, "Also write the discriminator as a keras-hub preset.")
flags.DEFINE_integer("max_input_bytes", None, "Bytes of each request text the signatures read; "
                     "the rest is ignored so one huge request cannot stall the server "
                     "(default: 32 x max_seq_length).")
flags.DEFINE_string("serving_base_path", "/models", "Where --export_dir is mounted inside the "
                    "TF Serving container; models.config points under it.")
flags.DEFINE_bool("overwrite", False, "Replace an existing version folder and preset.")
flags.DEFINE_bool("litert", False, "Also write LiteRT (.tflite) models next to the SavedModels "
                  "(<export_dir>/litert/): detector and encoder in float32, dynamic-range int8 and "
                  "full-integer int8, plus a text-in tokenizer.tflite (see docs/deployment.md).")
flags.DEFINE_string("litert_representative_data", None, "TFRecord glob of the run's pretraining "
                    "data that calibrates the full-integer int8 models (default: the default "
                    "job's data in the cache when its vocabulary matches; else full int8 is "
                    "skipped).")
flags.DEFINE_integer("litert_calibration_examples", 64, "Pretraining examples used to calibrate "
                     "the full-integer int8 models.")
FLAGS = flags.FLAGS


def print_export(result):
    print(f"Exported {result['checkpoint']} (version {result['version']}) in "
          f"{result['seconds']:.1f}s:")
    for key in ("discriminator", "generator", "keras_hub_preset", "models_config",
                "batching_parameters"):
        if key in result:
            print(f"  {key + ':':22s}{result[key]}")


@report_usage_errors
def main(argv):
    logging.set_verbosity(logging.WARNING)
    check_command_line(argv)
    if not FLAGS.model_dir:
        raise UsageError("--model_dir is required: the pretraining run to export.")
    from electra_tf.export.exporter import export_model_dir

    result = export_model_dir(
        FLAGS.model_dir, FLAGS.export_dir or os.path.join(FLAGS.model_dir, "export"),
        version=FLAGS.version, checkpoint=FLAGS.checkpoint,
        sequence_length=FLAGS.max_seq_length, top_k=FLAGS.top_k, overwrite=FLAGS.overwrite,
        keras_hub_preset=FLAGS.keras_hub_preset, max_input_bytes=FLAGS.max_input_bytes,
        serving_base_path=FLAGS.serving_base_path,
    )
    print_export(result)
    if FLAGS.litert:
        from electra_tf.export.litert import export_pretrained_litert

        print("LiteRT models:")
        export_pretrained_litert(
            FLAGS.model_dir, FLAGS.export_dir or os.path.join(FLAGS.model_dir, "export"),
            checkpoint=result["checkpoint"], sequence_length=FLAGS.max_seq_length,
            representative_data=FLAGS.litert_representative_data,
            calibration_examples=FLAGS.litert_calibration_examples, overwrite=FLAGS.overwrite,
            log=lambda line: print(line, flush=True))


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
