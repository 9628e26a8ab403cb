"""Extractive question answering (SQuAD v1.1 / v2.0) as a fine-tuning `Task`."""

import json
import os

from electra_tf.errors import UsageError
from electra_tf.finetune.qa.model import ElectraQuestionAnswerer
from electra_tf.finetune.qa.model import SpanLoss
from electra_tf.finetune.qa.serving import QuestionAnsweringServing
from electra_tf.finetune.qa.squad import build_features
from electra_tf.finetune.qa.squad import decode_predictions
from electra_tf.finetune.qa.squad import read_squad
from electra_tf.finetune.qa.squad_metrics import squad_scores
from electra_tf.finetune.task import Task

PREDICTIONS_FILE = "predictions.json"
NBEST_FILE = "nbest_predictions.json"
NULL_ODDS_FILE = "null_odds.json"


def predict_answers(model, features, batch_size, n_best=20, max_answer_length=30,
                    version_2=False, null_threshold=0.0):
    """Runs `model` on every window and decodes (see `squad.decode_predictions`)."""
    logits = model.predict(features.dataset(batch_size, labels=False), verbose=0)
    return decode_predictions(features, logits, n_best, max_answer_length, version_2,
                              null_threshold)


def evaluate_answers(answers, examples, version_2=False):
    """EM/F1 (fractions) of decoded `answers` against the examples' gold texts."""
    golds = {e.qas_id: e.answers for e in examples}
    return squad_scores(golds, {q: a["text"] for q, a in answers.items()}, version_2)


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)


class QuestionAnsweringTask(Task):
    """Answer spans in SQuAD JSON files; dev F1 picks the best epoch.

    Contexts longer than the model give several windows `doc_stride`
    wordpieces apart (`squad.build_features`); the loss is the mean of the
    start and end cross-entropies (`SpanLoss`); dev answers are decoded over
    all windows of a question and scored with the official EM/F1. At the end
    the best epoch's predictions.json (qas_id -> answer text, the official
    scripts' input), nbest_predictions.json and (v2.0) null_odds.json are
    written. Export: `QuestionAnsweringServing` (question + context text in,
    answer and character offsets out).

    Args:
        train_file, dev_file: str. SQuAD JSON (see `squad.read_squad` for
            misplaced training answers).
        version_2: bool. SQuAD v2.0 (unanswerable questions).
        doc_stride: int. Wordpieces between the windows of a long context.
        max_query_length: int. Question wordpieces kept (at most half of L).
        max_answer_length: int. Longest answer, in wordpieces.
        n_best: int. Candidate spans per window and per question.
        null_threshold: float. v2.0: answer "" when null - best span score
            exceeds it.

    Example:
    ```python
    task = QuestionAnsweringTask("squad/train-v1.1.json", "squad/dev-v1.1.json")
    run_finetuning(task, FinetuneOptions(init="runs/electra_small", output_dir="runs/squad",
                                         max_seq_length=384))
    ```
    """

    key_metric = "f1"
    export_name = "electra_question_answering"

    def __init__(self, train_file, dev_file, version_2=False, doc_stride=128,
                 max_query_length=64, max_answer_length=30, n_best=20, null_threshold=0.0):
        for name, value in (("doc_stride", doc_stride), ("max_query_length", max_query_length),
                            ("max_answer_length", max_answer_length), ("n_best", n_best)):
            if int(value) < 1:
                raise UsageError(f"{name} must be >= 1, got {value}.")
        self.train_file, self.dev_file, self.version_2 = train_file, dev_file, bool(version_2)
        self.name = "squad_v2" if self.version_2 else "squad_v1.1"
        self.doc_stride, self.max_query_length = int(doc_stride), int(max_query_length)
        self.decode = dict(n_best=int(n_best), max_answer_length=int(max_answer_length),
                           version_2=self.version_2, null_threshold=float(null_threshold))
        self.train_questions = self.dev_questions = self.train = self.dev = None

    def read(self, log):
        self.train_questions = read_squad(self.train_file, self.version_2, is_training=True,
                                          log=log)
        self.dev_questions = read_squad(self.dev_file, self.version_2, is_training=False,
                                       log=log)

    def prepare(self, tokenizer, sequence_length, log):
        shape = dict(max_seq_length=sequence_length, doc_stride=self.doc_stride,
                     max_query_length=self.max_query_length)
        self.train = build_features(self.train_questions, tokenizer, is_training=True, log=log,
                                    **shape)
        self.dev = build_features(self.dev_questions, tokenizer, is_training=False, log=log,
                                  **shape)
        if not len(self.train):
            raise UsageError(f"{self.train_file!r}: no training question is left to learn from.")

    def describe(self):
        return (f"SQuAD v{'2.0' if self.version_2 else '1.1'} on {len(self.train.examples)} "
                f"questions ({len(self.train)} windows), dev {len(self.dev.examples)} "
                f"({len(self.dev)} windows)")

    def labels(self):
        return {"task": self.name, "version_2": self.version_2}

    def build_model(self, backbone, dropout):
        return ElectraQuestionAnswerer(backbone, dropout=dropout)

    def loss(self):
        return SpanLoss()

    def _answers(self, model, batch_size):
        return predict_answers(model, self.dev, batch_size, **self.decode)

    def evaluate(self, model, batch_size):
        answers = self._answers(model, batch_size)
        return evaluate_answers(answers, self.dev.examples, self.version_2), {}

    def finish(self, model, batch_size, output_dir, log):
        answers = self._answers(model, batch_size)
        paths = {"predictions": os.path.join(output_dir, PREDICTIONS_FILE),
                 "nbest": os.path.join(output_dir, NBEST_FILE)}
        _write_json(paths["predictions"], {q: a["text"] for q, a in answers.items()})
        _write_json(paths["nbest"], {q: a["nbest"] for q, a in answers.items()})
        if self.version_2:
            paths["null_odds"] = os.path.join(output_dir, NULL_ODDS_FILE)
            _write_json(paths["null_odds"], {q: a["null_odds"] for q, a in answers.items()})
        return paths

    def results(self):
        return {"train_questions": len(self.train.examples), "train_windows": len(self.train),
                "dev_questions": len(self.dev.examples), "dev_windows": len(self.dev),
                "doc_stride": self.doc_stride, "max_query_length": self.max_query_length,
                "max_answer_length": self.decode["max_answer_length"],
                "null_threshold": self.decode["null_threshold"]}

    def serving_module(self, model, tokenizer, sequence_length):
        return QuestionAnsweringServing(
            model, tokenizer, sequence_length, self.max_query_length,
            self.decode["max_answer_length"], self.version_2, self.decode["null_threshold"])

    def warmup_inputs(self):
        return self.dev.examples[:3]
