"""Extractive question answering (SQuAD v1.1 / v2.0): the span model and
`finetune_question_answering`, pretrained discriminator + SQuAD files -> a
trained, evaluated (EM/F1) and exported question answerer."""

import json
import math
import os
import time

import keras
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.exporter import check_target
from electra_tf.export.exporter import save_serving_model
from electra_tf.finetune.classifier import backbone_inputs
from electra_tf.finetune.classifier import freeze_unused_pooler
from electra_tf.finetune.encoder_init import load_encoder
from electra_tf.finetune.layerwise_lr import create_finetune_optimizer
from electra_tf.finetune.qa_serving import QuestionAnsweringServing
from electra_tf.finetune.run_classification import stalled
from electra_tf.finetune.squad import build_features
from electra_tf.finetune.squad import decode_predictions
from electra_tf.finetune.squad import read_squad
from electra_tf.finetune.squad_metrics import squad_scores

PREDICTIONS_FILE = "predictions.json"
NBEST_FILE = "nbest_predictions.json"
NULL_ODDS_FILE = "null_odds.json"
BEST_WEIGHTS = "best.weights.h5"


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraQuestionAnswerer(keras.Model):
    """Discriminator encoder + a span head: every token gets a start and an end logit.

    Output: float32 [batch, L, 2], `[..., 0]` start logits and `[..., 1]` end
    logits (the reference ELECTRA/BERT SQuAD head: one Dense(2) on the
    sequence output, float32 so mixed precision keeps exact scores).

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        dropout: float. On the sequence output, during training.

    Example:
    ```python
    model = ElectraQuestionAnswerer(backbone)
    logits = model({"token_ids": ids, "segment_ids": seg, "padding_mask": mask})
    ```
    """

    def __init__(self, backbone, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        freeze_unused_pooler(backbone)
        self.dropout_rate = float(dropout)
        self.head_dropout = keras.layers.Dropout(dropout)
        self.span_output = keras.layers.Dense(
            2, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype="float32", name="span_output")

    def call(self, inputs, training=False):
        hidden = self.backbone(backbone_inputs(inputs), training=training)["sequence_output"]
        return self.span_output(self.head_dropout(hidden, training=training))

    def get_config(self):
        return {**super().get_config(), "backbone": keras.saving.serialize_keras_object(
            self.backbone), "dropout": self.dropout_rate}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="electra_tf")
class SpanLoss(keras.losses.Loss):
    """Mean of the start and end sparse cross-entropies.

    `y_true`: [batch, 2] start and end positions (0 = [CLS] = no answer in
    this window). `y_pred`: [batch, L, 2] logits.
    """

    def __init__(self, name="span_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        positions = keras.ops.cast(y_true, "int32")
        start = keras.losses.sparse_categorical_crossentropy(
            positions[:, 0], y_pred[..., 0], from_logits=True)
        end = keras.losses.sparse_categorical_crossentropy(
            positions[:, 1], y_pred[..., 1], from_logits=True)
        return (start + end) / 2.0


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


class _SquadDevEvaluation(keras.callbacks.Callback):
    """Decodes the dev windows every epoch, logs EM/F1, keeps the best (F1) weights."""

    def __init__(self, features, batch_size, decode, version_2, path, writer, log,
                 patience=None):
        super().__init__()
        self.patience = patience
        self.features, self.batch_size, self.decode = features, batch_size, decode
        self.version_2, self.path, self.writer, self.log = version_2, path, writer, log
        self.best, self.best_epoch, self.history = -math.inf, None, []

    def on_epoch_end(self, epoch, logs=None):
        answers = predict_answers(self.model, self.features, self.batch_size, **self.decode)
        metrics = evaluate_answers(answers, self.features.examples, self.version_2)
        self.history.append({"epoch": epoch + 1, **metrics, "train_loss": (logs or {}).get("loss")})
        with self.writer.as_default(step=epoch + 1):
            for name, value in metrics.items():
                if not name.endswith(("total", "missing")):
                    tf.summary.scalar(f"dev/{name}", value)
        self.writer.flush()
        self.log(f"epoch {epoch + 1}: dev exact_match {metrics['exact_match']:.4f}, "
                 f"f1 {metrics['f1']:.4f}")
        if metrics["f1"] > self.best:
            self.best, self.best_epoch = metrics["f1"], epoch + 1
            self.model.save_weights(self.path)
        if stalled(epoch, self.best_epoch, self.patience):
            self.model.stop_training = True


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)


def finetune_question_answering(options, version_2=False, doc_stride=128, max_query_length=64,
                                max_answer_length=30, n_best=20, null_threshold=0.0, log=print):
    """Fine-tunes on SQuAD, evaluates EM/F1 every epoch, restores the best, exports.

    Reads `options.train_file` / `options.dev_file` (SQuAD JSON; see
    `squad.read_squad` for misplaced training answers) and uses the
    `FinetuneOptions` fields init, output_dir, epochs, learning_rate,
    layer_decay, batch_size, max_seq_length, dropout, weight_decay,
    warmup_fraction, seed, export, export_version, overwrite, show_progress
    (the column/task fields are for classification and are ignored).

    Writes to `output_dir`: best.weights.h5, logs/ (TensorBoard),
    predictions.json (qas_id -> answer text, the official scripts' input),
    nbest_predictions.json, null_odds.json (v2.0), results.json, and with
    `options.export` a SavedModel (`qa_serving.QuestionAnsweringServing`) at
    export/<export_version>.

    Args:
        options: `run_classification.FinetuneOptions`.
        version_2: bool. SQuAD v2.0 (unanswerable questions).
        doc_stride: int. Wordpieces between the windows of a long context.
        max_query_length: int. Question wordpieces kept (at most half of L).
        max_answer_length: int. Longest answer, in wordpieces.
        n_best: int. Candidate spans per window and per question.
        null_threshold: float. v2.0: answer "" when null - best span score
            exceeds it.
        log: callable.

    Returns:
        dict written to results.json: best dev metrics (fractions), epoch,
        per-epoch history, counts, timing, paths.

    Example:
    ```python
    finetune_question_answering(FinetuneOptions(init="runs/electra_small",
        train_file="squad/train-v1.1.json", dev_file="squad/dev-v1.1.json",
        output_dir="runs/squad", max_seq_length=384, epochs=2))
    ```
    """
    start = time.time()
    keras.utils.set_random_seed(options.seed)
    backbone, tokenizer, pretrained_length = load_encoder(options.init)
    length = options.max_seq_length or pretrained_length
    if not 8 <= length <= backbone.max_sequence_length:
        raise UsageError(
            f"max_seq_length must be in [8, {backbone.max_sequence_length}], got {length}.")
    for name, value in (("doc_stride", doc_stride), ("max_query_length", max_query_length),
                        ("max_answer_length", max_answer_length), ("n_best", n_best)):
        if int(value) < 1:
            raise UsageError(f"{name} must be >= 1, got {value}.")
    train_examples = read_squad(options.train_file, version_2, is_training=True, log=log)
    dev_examples = read_squad(options.dev_file, version_2, is_training=False, log=log)
    os.makedirs(options.output_dir, exist_ok=True)
    export_path = os.path.join(options.output_dir, "export", str(options.export_version))
    if options.export:  # before the (slow, for real SQuAD) feature building
        check_target(export_path, options.overwrite)
    shape = dict(max_seq_length=length, doc_stride=doc_stride, max_query_length=max_query_length)
    train = build_features(train_examples, tokenizer, is_training=True, log=log, **shape)
    dev = build_features(dev_examples, tokenizer, is_training=False, log=log, **shape)
    if not len(train):
        raise UsageError(f"{options.train_file!r}: no training question is left to learn from.")

    model = ElectraQuestionAnswerer(backbone, dropout=options.dropout)
    model({k: v[:2] for k, v in train.inputs().items()})  # build: the optimizer needs variables
    steps_per_epoch = math.ceil(len(train) / options.batch_size)
    optimizer = create_finetune_optimizer(
        model, backbone, options.learning_rate, steps_per_epoch * options.epochs,
        options.warmup_fraction, options.layer_decay, options.weight_decay)
    model.compile(optimizer=optimizer, loss=SpanLoss())
    decode = dict(n_best=n_best, max_answer_length=max_answer_length, version_2=version_2,
                  null_threshold=null_threshold)
    logs = os.path.join(options.output_dir, "logs")
    dev_callback = _SquadDevEvaluation(dev, options.batch_size, decode, version_2,
                                       os.path.join(options.output_dir, BEST_WEIGHTS),
                                       tf.summary.create_file_writer(logs), log,
                                       patience=options.patience)
    log(f"Fine-tuning SQuAD v{'2.0' if version_2 else '1.1'} on {len(train.examples)} questions "
        f"({len(train)} windows), dev {len(dev.examples)} ({len(dev)} windows), "
        f"{options.epochs} epoch(s), max_seq_length {length}.")
    model.fit(train.dataset(options.batch_size, shuffle=True, seed=options.seed),
              epochs=options.epochs, verbose=1 if options.show_progress else 0,
              callbacks=[dev_callback, keras.callbacks.TensorBoard(logs, update_freq=50)])
    model.load_weights(dev_callback.path)
    answers = predict_answers(model, dev, options.batch_size, **decode)
    metrics = evaluate_answers(answers, dev.examples, version_2)
    paths = {"predictions": os.path.join(options.output_dir, PREDICTIONS_FILE),
             "nbest": os.path.join(options.output_dir, NBEST_FILE)}
    _write_json(paths["predictions"], {q: a["text"] for q, a in answers.items()})
    _write_json(paths["nbest"], {q: a["nbest"] for q, a in answers.items()})
    if version_2:
        paths["null_odds"] = os.path.join(options.output_dir, NULL_ODDS_FILE)
        _write_json(paths["null_odds"], {q: a["null_odds"] for q, a in answers.items()})
    results = {
        "task": "squad_v2" if version_2 else "squad_v1.1", "init": options.init,
        "best_epoch": dev_callback.best_epoch, "dev": metrics, "history": dev_callback.history,
        "train_questions": len(train.examples), "train_windows": len(train),
        "dev_questions": len(dev.examples), "dev_windows": len(dev),
        "max_seq_length": length, "doc_stride": doc_stride,
        "max_query_length": max_query_length, "max_answer_length": max_answer_length,
        "null_threshold": null_threshold, **paths, "seconds": None,
    }
    if options.export:
        module = QuestionAnsweringServing(model, tokenizer, length, max_query_length,
                                          max_answer_length, version_2, null_threshold)
        save_serving_model(module, export_path, "electra_question_answering",
                           module.warmup_requests(dev.examples[:3]))
        results["export"] = export_path
    results["seconds"] = round(time.time() - start, 1)
    _write_json(os.path.join(options.output_dir, "results.json"), results)
    return results
