"""Token classification (NER, chunking) on CoNLL files as a fine-tuning `Task`."""

import keras
import numpy as np

from electra_tf.errors import UsageError
from electra_tf.finetune.tagging.conll import check_known_tags
from electra_tf.finetune.tagging.conll import read_conll
from electra_tf.finetune.tagging.conll import tag_labels
from electra_tf.finetune.tagging.conll import tag_scheme
from electra_tf.finetune.tagging.encoding import IGNORE_LABEL
from electra_tf.finetune.tagging.encoding import encode_sentences
from electra_tf.finetune.tagging.model import ElectraTokenClassifier
from electra_tf.finetune.tagging.seqeval_metrics import entity_scores
from electra_tf.finetune.tagging.serving import TokenClassifierServing
from electra_tf.finetune.task import Task
from electra_tf.text.packing import WordPacker


def predict_word_tags(model, encoded, label_names, batch_size):
    """Tag strings per word: the argmax at each word's first wordpiece ("O" if dropped)."""
    logits = model.predict(encoded.dataset(batch_size), verbose=0)
    best = logits.argmax(-1)
    names = np.array(label_names, dtype=object)
    return [[names[best[i, p]] if p >= 0 else "O" for p in positions]
            for i, positions in enumerate(encoded.word_positions)]


def evaluate_tagging(model, encoded, sentences, label_names, batch_size):
    """Entity precision/recall/F1 (seqeval, default mode) and word accuracy on
    `sentences`; returns `(metrics, per-type scores, predicted tags)`."""
    predicted = predict_word_tags(model, encoded, label_names, batch_size)
    scores = entity_scores([s.tags for s in sentences], predicted)
    metrics = {k: scores[k] for k in ("precision", "recall", "f1", "accuracy")}
    return metrics, scores["per_type"], predicted


class TaggingTask(Task):
    """A tag per word, read from CoNLL files; entity-level F1 picks the best epoch.

    The tag set is the training file's (IOB1/IOB2/IOE/IOBES/BILOU detected);
    dev tags must all appear in training. Each word is tagged at its first
    wordpiece (`tagging.encoding`). Dev metrics: entity precision, recall and
    F1 (seqeval's default mode, the CoNLL script's) and word accuracy, plus
    per-type scores in results.json. Export: `TokenClassifierServing` (raw
    text in, entities with character offsets out).

    Args:
        train_file, dev_file: str. CoNLL files (one word per line, blank
            lines between sentences, -DOCSTART- lines skipped).
        token_column: int. Column of the word.
        tag_column: int. Column of the tag (-1: the last).

    Example:
    ```python
    task = TaggingTask("conll2003/train.txt", "conll2003/valid.txt")
    run_finetuning(task, FinetuneOptions(init="runs/electra_small", output_dir="runs/ner"))
    ```
    """

    name = "token_classification"
    key_metric = "f1"
    export_name = "electra_token_classifier"

    def __init__(self, train_file, dev_file, token_column=0, tag_column=-1):
        self.train_file, self.dev_file = train_file, dev_file
        self.token_column, self.tag_column = token_column, tag_column
        self.train_sentences = self.dev_sentences = self.label_names = self.scheme = None
        self.train = self.dev = None

    def read(self, log):
        self.train_sentences = read_conll(self.train_file, self.token_column, self.tag_column)
        self.dev_sentences = read_conll(self.dev_file, self.token_column, self.tag_column)
        self.label_names = tag_labels(self.train_sentences)
        if len(self.label_names) < 2:
            raise UsageError(f"{self.train_file!r} has only 'O' tags: nothing to learn. "
                             "Check --tag_column.")
        check_known_tags(self.dev_sentences, self.label_names, self.dev_file)
        self.scheme = tag_scheme(self.label_names)

    def prepare(self, tokenizer, sequence_length, log):
        packer = WordPacker(tokenizer, sequence_length)
        self.train = encode_sentences(self.train_sentences, self.label_names, packer)
        self.dev = encode_sentences(self.dev_sentences, self.label_names, packer)
        for name, encoded in (("train", self.train), ("dev", self.dev)):
            if encoded.dropped_words:
                log(f"{name}: {encoded.dropped_words} word(s) beyond max_seq_length "
                    f"{sequence_length} (or with no wordpiece) are "
                    + ("not trained on." if name == "train" else "predicted 'O'."))

    def describe(self):
        return (f"token classification on {len(self.train_sentences)} sentences "
                f"({len(self.dev_sentences)} dev), {len(self.label_names)} tags ({self.scheme})")

    def labels(self):
        return {"task": self.name, "labels": self.label_names, "scheme": self.scheme}

    def build_model(self, backbone, dropout):
        return ElectraTokenClassifier(backbone, len(self.label_names), dropout=dropout)

    def loss(self):
        # Mean over labelled wordpieces only (not over padding and continuations).
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=IGNORE_LABEL, reduction="mean_with_sample_weight")

    def evaluate(self, model, batch_size):
        metrics, per_type, _ = evaluate_tagging(model, self.dev, self.dev_sentences,
                                                self.label_names, batch_size)
        return metrics, {"per_type": per_type}

    def results(self):
        return {"train_sentences": len(self.train_sentences),
                "dev_sentences": len(self.dev_sentences), "labels": self.label_names,
                "scheme": self.scheme,
                "dropped_words": {"train": self.train.dropped_words,
                                  "dev": self.dev.dropped_words}}

    def serving_module(self, model, tokenizer, sequence_length):
        return TokenClassifierServing(model, tokenizer, sequence_length, self.label_names)

    def warmup_inputs(self):
        return [" ".join(s.words) for s in self.train_sentences[:3]] + [""]
