"""Fine-tune a pretrained ELECTRA discriminator on a labelled task.

    python tools/finetune.py --task=classification --init=runs/electra_tiny \
        --train_data=data/sst2/train.tsv --dev_data=data/sst2/dev.tsv \
        --text_column=sentence --label_column=label --output_dir=runs/sst2
"""

import dataclasses
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from electra_tf.errors import UsageError  # noqa: E402
from electra_tf.errors import report_usage_errors  # noqa: E402
from electra_tf.finetune.options import FinetuneOptions  # noqa: E402
from electra_tf.tool_runner import check_command_line  # noqa: E402
from electra_tf.tool_runner import run_tool  # noqa: E402

# Flag defaults are the library's (one copy): FinetuneOptions' field defaults.
JOB = {f.name: f.default for f in dataclasses.fields(FinetuneOptions)}
TASKS = ["classification", "regression", "token_classification", "question_answering"]

flags.DEFINE_enum("task", "classification", TASKS, "What to fine-tune for: classification "
                  "(single sentence or pair), regression (e.g. STS-B), token_classification "
                  "(NER, CoNLL-2003 files) or question_answering (SQuAD v1.1/v2.0 JSON).")
flags.DEFINE_string("init", None, "Pretrained encoder: a tools/pretrain.py model_dir, or a "
                    "keras-hub preset folder (tools/export.py's keras_hub_preset).")
flags.DEFINE_string("checkpoint", JOB["checkpoint"], "With a model_dir --init: the ckpt-N to "
                    "start from (a path or its name in the model_dir; default: the latest).")
flags.DEFINE_string("train_data", None, "Training data: CSV/TSV with a header (GLUE files "
                    "work as downloaded) or JSONL.")
flags.DEFINE_string("dev_data", None, "Dev data in the same format; evaluated every epoch.")
flags.DEFINE_string("output_dir", None, "Best weights, labels.json, history.json, logs/, "
                    "results.json, export/. A run killed before it finished resumes when started "
                    "again with the same flags (from <output_dir>/backup/).")
flags.DEFINE_string("text_column", "text", "Column with the (first) text.")
flags.DEFINE_string("text_pair_column", None, "Column with the second text of pair tasks "
                    "(MRPC, MNLI, ...).")
flags.DEFINE_string("label_column", "label", "Column with the label (a class or a number).")
flags.DEFINE_enum("format", None, ["csv", "tsv", "jsonl"], "File format (default: from the "
                  "extension).")
flags.DEFINE_integer("epochs", JOB["epochs"], "Most training epochs; training stops earlier when the "
                     "dev metric has not improved for --patience epochs. The learning rate "
                     "decays linearly over this many epochs.")
flags.DEFINE_integer("patience", JOB["patience"], "Stop after this many epochs without a better dev metric "
                     "(accuracy, Pearson, entity F1 or SQuAD F1); 0 trains all --epochs.")
flags.DEFINE_float("learning_rate", None, "Peak learning rate. Default by model size: 1e-3 "
                   "up to hidden size 128 (tiny, briefly pretrained models), then the "
                   "reference's 3e-4 small, 1e-4 base, 5e-5 large.")
flags.DEFINE_enum("pooling", "mean", ["mean", "cls"], "classification/regression: the "
                  "sentence vector under the head: the mean of the real tokens, or the [CLS] "
                  "vector as the reference (which needs a long-pretrained encoder).")
flags.DEFINE_float("layer_decay", None, "Layer-wise learning-rate decay: the head trains at "
                   "the full rate, the top layer at decay, each layer below one more factor, "
                   "the embeddings at decay^(layers+1). Default: 0.8, or 0.9 for large models "
                   "(hidden size 1024), as the reference.")
flags.DEFINE_enum("metric", None, ["accuracy", "matthews_corrcoef", "f1", "pearson", "spearman"],
                  "classification/regression: the dev metric that picks the best epoch and "
                  "counts for --patience (default: accuracy; pearson for regression).")
flags.DEFINE_integer("batch_size", JOB["batch_size"], "Batch size.")
flags.DEFINE_integer("max_seq_length", None, "Tokens per example (default: the pretraining "
                     "length).")
flags.DEFINE_float("dropout", JOB["dropout"], "Dropout in the task head.")
flags.DEFINE_integer("seed", JOB["seed"], "Seed for initialization and shuffling.")
flags.DEFINE_bool("export", JOB["export"], "Export a SavedModel (raw text in) to <output_dir>/export/1.")
flags.DEFINE_bool("overwrite", JOB["overwrite"], "Replace an existing export.")
flags.DEFINE_bool("litert", False, "classification/regression: also write LiteRT (.tflite) models "
                  "to <output_dir>/export/litert (float32, dynamic-range int8, full int8 "
                  "calibrated on the training texts, tokenizer.tflite; see docs/deployment.md).")
flags.DEFINE_bool("progress", JOB["show_progress"], "Show a progress bar.")
flags.DEFINE_integer("token_column", 0, "token_classification: column of the word in CoNLL "
                     "lines.")
flags.DEFINE_integer("tag_column", -1, "token_classification: column of the tag (-1: last).")
flags.DEFINE_bool("version_2", False, "question_answering: SQuAD v2.0 (unanswerable "
                  "questions).")
flags.DEFINE_integer("doc_stride", 128, "question_answering: wordpieces between context "
                     "windows.")
flags.DEFINE_integer("max_query_length", 64, "question_answering: question wordpieces kept.")
flags.DEFINE_integer("max_answer_length", 30, "question_answering: longest answer in "
                     "wordpieces.")
flags.DEFINE_integer("n_best", 20, "question_answering: candidate spans per window.")
flags.DEFINE_float("null_threshold", 0.0, "question_answering v2: answer \"\" when the "
                   "no-answer score beats the best span by more than this.")
FLAGS = flags.FLAGS


@report_usage_errors
def main(argv):
    logging.set_verbosity(logging.WARNING)
    check_command_line(argv, required=("init", "train_data", "dev_data", "output_dir"))
    if FLAGS.litert and FLAGS.task not in ("classification", "regression"):
        raise UsageError(f"--litert covers classification and regression, not {FLAGS.task}.")
    from electra_tf.finetune.job import run_finetuning

    options = FinetuneOptions(
        init=FLAGS.init, output_dir=FLAGS.output_dir, checkpoint=FLAGS.checkpoint,
        epochs=FLAGS.epochs,
        patience=FLAGS.patience or None, learning_rate=FLAGS.learning_rate,
        layer_decay=FLAGS.layer_decay, batch_size=FLAGS.batch_size,
        max_seq_length=FLAGS.max_seq_length, dropout=FLAGS.dropout, seed=FLAGS.seed,
        export=FLAGS.export, overwrite=FLAGS.overwrite, show_progress=FLAGS.progress)
    results = run_finetuning(_task(), options)
    dev = ", ".join(f"{k} {v:.4f}" for k, v in results["dev"].items()
                    if isinstance(v, (int, float)))
    print(f"Best epoch {results['best_epoch']}: dev {dev} ({results['seconds']:.0f}s).")
    print(f"  results: {os.path.join(FLAGS.output_dir, 'results.json')}")
    if "export" in results:
        print(f"  export:  {results['export']}")
    if FLAGS.litert:
        _export_litert()


def _export_litert():
    from electra_tf.finetune.classification.finished_run import classifier_from_finetune_dir
    from electra_tf.export.litert import export_classifier_litert
    from electra_tf.finetune.classification.data import ClassificationData

    model, tokenizer, length, labels, _ = classifier_from_finetune_dir(FLAGS.output_dir)
    train = ClassificationData(FLAGS.train_data, text_column=FLAGS.text_column,
                               text_pair_column=FLAGS.text_pair_column,
                               label_column=FLAGS.label_column, labels=labels,
                               regression=labels is None, format=FLAGS.format)
    pair = bool(FLAGS.text_pair_column)
    path = os.path.join(FLAGS.output_dir, "export", "litert")
    print(f"  litert:  {path}")
    export_classifier_litert(
        model, tokenizer, length, path, labels,
        representative_texts=(train.texts, train.text_pairs) if pair else train.texts,
        pair=pair, overwrite=FLAGS.overwrite, log=lambda line: print(line, flush=True))


def _task():
    """The `Task` the flags describe (reading its files: bad ones fail here)."""
    if FLAGS.task == "token_classification":
        from electra_tf.finetune.tagging.task import TaggingTask

        return TaggingTask(FLAGS.train_data, FLAGS.dev_data, token_column=FLAGS.token_column,
                           tag_column=FLAGS.tag_column)
    if FLAGS.task == "question_answering":
        from electra_tf.finetune.qa.task import QuestionAnsweringTask

        return QuestionAnsweringTask(
            FLAGS.train_data, FLAGS.dev_data, version_2=FLAGS.version_2,
            doc_stride=FLAGS.doc_stride, max_query_length=FLAGS.max_query_length,
            max_answer_length=FLAGS.max_answer_length, n_best=FLAGS.n_best,
            null_threshold=FLAGS.null_threshold)
    from electra_tf.finetune.classification.task import ClassificationTask

    return ClassificationTask.from_files(
        FLAGS.train_data, FLAGS.dev_data, text_column=FLAGS.text_column,
        text_pair_column=FLAGS.text_pair_column, label_column=FLAGS.label_column,
        format=FLAGS.format, regression=FLAGS.task == "regression", pooling=FLAGS.pooling,
        metric=FLAGS.metric)


def run():
    """Console-script entry point (see setup.py)."""
    run_tool(main)


if __name__ == "__main__":
    run()
