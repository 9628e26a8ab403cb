"""Run an exported fine-tuned model on text from the command line or a file.

    python tools/predict.py --saved_model=runs/sst2/export/1 "A wonderful film." "Dull."
    python tools/predict.py --saved_model=runs/sst2/export/1 --input_file=sentences.txt

Prints one line per input with every output of the model's `serving_default`
signature (label and probabilities for classifiers; entities for NER; answer,
offsets and score for QA). Pair tasks take "first ||| second" per input.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from electra_tf.errors import UsageError  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

flags.DEFINE_string("saved_model", None, "An exported model version folder "
                    "(e.g. runs/sst2/export/1).")
flags.DEFINE_string("input_file", None, "Text file with one input per line (instead of "
                    "positional arguments).")
flags.DEFINE_string("separator", "|||", "Separates the two texts of pair inputs "
                    "(text/text_pair, or question/context for QA).")
flags.DEFINE_integer("batch_size", 64, "Inputs per call.")
FLAGS = flags.FLAGS


def _format(value):
    import numpy as np

    value = np.asarray(value)
    if value.dtype == object:
        value = np.vectorize(lambda v: v.decode("utf-8", "replace"))(value)
    if value.dtype.kind == "f":
        return np.array2string(value, precision=4, separator=", ", max_line_width=10**6)
    return str(value.tolist())


@report_usage_errors
def main(argv):
    texts = argv[1:]
    if FLAGS.input_file:
        if not os.path.isfile(FLAGS.input_file):
            raise UsageError(f"--input_file {FLAGS.input_file!r} does not exist.")
        with open(FLAGS.input_file, encoding="utf-8") as f:
            texts += [line.rstrip("\n") for line in f if line.strip()]
    if not FLAGS.saved_model or not os.path.isfile(os.path.join(FLAGS.saved_model or "",
                                                                "saved_model.pb")):
        raise UsageError(f"--saved_model={FLAGS.saved_model!r} is not a SavedModel folder "
                         "(it needs saved_model.pb; pass the version folder, e.g. export/1).")
    if not texts:
        raise UsageError("no input: pass texts as arguments or --input_file.")
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tf-text ops of the graph)

    signature = tf.saved_model.load(FLAGS.saved_model).signatures["serving_default"]
    names = sorted(signature.structured_input_signature[1])
    for start in range(0, len(texts), FLAGS.batch_size):
        batch = texts[start:start + FLAGS.batch_size]
        if len(names) == 2:
            parts = [t.split(FLAGS.separator, 1) + [""] for t in batch]
            first, second = [p[0].strip() for p in parts], [p[1].strip() for p in parts]
            # Inputs are (text, text_pair) or (context, question) in sorted order.
            values = {"text": first, "text_pair": second} if "text" in names else {
                "question": first, "context": second}
        else:
            values = {names[0]: batch}
        outputs = signature(**{k: tf.constant(v) for k, v in values.items()})
        for row, text in enumerate(batch):
            fields = "  ".join(f"{key}={_format(value[row])}"
                               for key, value in sorted(outputs.items()))
            print(f"[{start + row + 1}] {text[:80]!r}  {fields}")


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
