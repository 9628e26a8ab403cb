"""Show which wordpieces of your sentences the ELECTRA discriminator thinks were replaced.

    python tools/detect_replaced.py --model_dir=runs/electra_tiny "The movie was car."
    python tools/detect_replaced.py --export_dir=exports --sentences="A fine film." \
        --sentences="Another, with a comma."
    python tools/detect_replaced.py --export_dir=exports --interactive < reviews.txt
    python tools/detect_replaced.py --model_dir=runs/electra_tiny --corrupt --seed=3 \
        "The acting was superb."

Every wordpiece is printed with its p(replaced); those at or above --threshold
are marked *like this*. --corrupt first lets the generator replace ~15% of
the wordpieces and prints, per piece, the original, what the generator wrote,
the probability and whether the discriminator caught it, with a summary line.
Sentences longer than the model's sequence length are truncated.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from electra_tf.errors import UsageError  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

flags.DEFINE_string("model_dir", None, "A pretraining run (tools/pretrain.py's --model_dir); "
                    "its latest checkpoint is used unless --checkpoint is given.")
flags.DEFINE_string("export_dir", None, "An export of tools/export.py (its --export_dir; the "
                    "highest discriminator/<version>/ is used), or one SavedModel version "
                    "folder.")
flags.DEFINE_string("checkpoint", None, "With --model_dir: a ckpt-N prefix (default: the latest).")
flags.DEFINE_multi_string("sentences", [], "A sentence to analyse; repeat the flag for more "
                          "(commas inside a sentence are kept). Positional arguments are "
                          "sentences too.")
flags.DEFINE_bool("interactive", False, "Read sentences from stdin, one per line, until EOF; "
                  "print each result as soon as its line is read.")
flags.DEFINE_float("threshold", 0.5, "Wordpieces with p(replaced) >= threshold are marked "
                   "(0 marks all, above 1 none).")
flags.DEFINE_bool("corrupt", False, "Let the generator replace ~15% of the wordpieces first and "
                  "show what it wrote and what the discriminator caught.")
flags.DEFINE_integer("seed", 0, "Seed of the --corrupt draw (the same seed gives the same "
                     "replacements).")
FLAGS = flags.FLAGS

ECHO_CHARS = 100


def _check_flags(sentences):
    if bool(FLAGS.model_dir) == bool(FLAGS.export_dir):
        raise UsageError("pass exactly one of --model_dir (a pretraining run) or --export_dir "
                         "(an export of tools/export.py).")
    path = FLAGS.model_dir or FLAGS.export_dir
    flag = "--model_dir" if FLAGS.model_dir else "--export_dir"
    if not os.path.exists(path):
        raise UsageError(f"{flag}={path!r} does not exist.")
    if FLAGS.checkpoint and not FLAGS.model_dir:
        raise UsageError("--checkpoint applies to --model_dir only; an export holds one "
                         "checkpoint (pick the version folder instead).")
    if not sentences and not FLAGS.interactive:
        raise UsageError('no sentences: pass them as arguments ("The movie was great."), with '
                         "--sentences=..., or use --interactive to read lines from stdin.")


def _echo(index, sentence):
    shown = sentence if len(sentence) <= ECHO_CHARS else sentence[:ECHO_CHARS] + "..."
    # repr() where the raw text would be invisible or break the layout.
    plain = shown and shown.isprintable() and shown == shown.strip()
    print(f"[{index}] {shown}" if plain else f"[{index}] {shown!r}")


class _Printer:
    """Prints one sentence's result; remembers --corrupt results for the total."""

    def __init__(self, detector):
        self.detector = detector
        self.corruptions = []
        self.count = 0

    def show(self, sentence, seed):
        from electra_tf.demo.replaced_tokens import format_corruption
        from electra_tf.demo.replaced_tokens import format_detection

        self.count += 1
        _echo(self.count, sentence)
        if FLAGS.corrupt:
            tokens = self.detector.corrupt_and_detect([sentence], seed=seed)[0]
            self.corruptions.append(tokens)
            print("    " + format_corruption(tokens, FLAGS.threshold).replace("\n", "\n    "))
        else:
            pieces = self.detector.detect([sentence])[0]
            print("    " + format_detection(pieces, FLAGS.threshold))
        sys.stdout.flush()

    def show_total(self):
        from electra_tf.demo.replaced_tokens import summary_line

        if FLAGS.corrupt and self.count:
            print(f"total: {summary_line(self.corruptions, FLAGS.threshold)}")


@report_usage_errors
def main(argv):
    logging.set_verbosity(logging.WARNING)
    # Wordpieces may be any Unicode; never die on a terminal that cannot show them.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    sentences = list(FLAGS.sentences) + list(argv[1:])
    _check_flags(sentences)
    from electra_tf.demo.replaced_tokens import ReplacedTokenDetector

    if FLAGS.model_dir:
        detector = ReplacedTokenDetector.from_model_dir(FLAGS.model_dir, FLAGS.checkpoint)
    else:
        detector = ReplacedTokenDetector.from_saved_model(FLAGS.export_dir)
    mark = f"*marked*: p(replaced) >= {FLAGS.threshold:g}"
    print(f"{'Corrupt-then-detect' if FLAGS.corrupt else 'Replaced-token detection'} with "
          f"{detector.description}; {mark}")
    printer = _Printer(detector)
    # One sentence per call, each with its own seed: a sentence's draw does not
    # depend on the others, and --interactive shows each line at once.
    for sentence in sentences:
        printer.show(sentence, FLAGS.seed + printer.count)
    if FLAGS.interactive:
        if sys.stdin.isatty():
            print("Type a sentence per line; Ctrl-D to finish.")
        for line in sys.stdin:
            printer.show(line.rstrip("\r\n"), FLAGS.seed + printer.count)
    printer.show_total()


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
