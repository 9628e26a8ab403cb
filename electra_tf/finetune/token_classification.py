"""Token classification (NER, chunking): CoNLL files -> a trained, evaluated, exported tagger.

How words become model inputs (`WordPacker`, shared with the exported model):
each word is tokenized on its own, so word boundaries are exact, and the
word's tag is predicted from its FIRST wordpiece. Continuation wordpieces,
[CLS], [SEP] and padding carry label -100 and weight 0: they count in neither
the loss nor the metrics.

Truncation: a sentence is cut to `max_seq_length - 2` wordpieces. In training,
words whose first wordpiece falls beyond that are dropped (the number is
logged); at prediction (dev evaluation and the exported model) such words are
tagged "O", and dev F1 is computed against all gold tags, so truncation costs
recall honestly. Words that normalize to no wordpiece at all (e.g. only
control characters) are handled the same way.
"""

import collections
import dataclasses
import json
import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.exporter import check_target
from electra_tf.export.exporter import save_serving_model
from electra_tf.finetune.classification_task import LABELS_FILE
from electra_tf.finetune.classifier import backbone_inputs
from electra_tf.finetune.classifier import freeze_unused_pooler
from electra_tf.finetune.conll import check_known_tags
from electra_tf.finetune.conll import read_conll
from electra_tf.finetune.conll import tag_labels
from electra_tf.finetune.conll import tag_scheme
from electra_tf.finetune.encoder_init import load_encoder
from electra_tf.finetune.layerwise_lr import create_finetune_optimizer
from electra_tf.finetune.run_classification import stalled
from electra_tf.finetune.seqeval_metrics import entity_scores

IGNORE_LABEL = -100
WORDS_SPEC = tf.RaggedTensorSpec([None, None], tf.string, ragged_rank=1,
                                 row_splits_dtype=tf.int64)
TAG_IDS_SPEC = tf.RaggedTensorSpec([None, None], tf.int32, ragged_rank=1,
                                   row_splits_dtype=tf.int64)


PackedWords = collections.namedtuple(
    "PackedWords", ["token_ids", "segment_ids", "padding_mask", "word_positions", "piece_counts"])


class WordPacker(tf.Module):
    """Words -> `[CLS] pieces(word 1) pieces(word 2) ... [SEP]`, padded, plus where
    each word's first wordpiece sits.

    Runs in graphs only (tf.data, tf.function, SavedModels): keras-hub
    tokenizers return Python lists when called eagerly.

    Args:
        tokenizer: `ElectraTokenizer`.
        sequence_length: int. Output length L (>= 3).

    Call args:
        words: string `tf.RaggedTensor` [batch, (words)].

    Returns:
        `PackedWords`: `token_ids`, `segment_ids`, `padding_mask`, int32 [batch, L];
        `word_positions`, int32 `tf.RaggedTensor` [batch, (words)]: the index of
        each word's first wordpiece, -1 for words truncated away or with no
        wordpiece; `piece_counts`, the same shape: wordpieces per word (before
        truncation).

    Example:
    ```python
    packer = WordPacker(tokenizer, 128)
    packed = tf.function(packer)(tf.ragged.constant([["Angela", "Merkel", "visited", "Zürich"]]))
    packed.token_ids, packed.word_positions
    ```
    """

    def __init__(self, tokenizer, sequence_length, name=None):
        super().__init__(name=name)
        self.tokenizer = tokenizer
        self.sequence_length = int(sequence_length)
        if self.sequence_length < 3:
            raise UsageError(f"sequence_length must be at least 3, got {sequence_length}.")
        self.cls_id, self.sep_id, self.pad_id = tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id

    def __call__(self, words):
        words = words.with_row_splits_dtype(tf.int64)
        length = self.sequence_length
        pieces = tf.cast(self.tokenizer.tokenize(words.flat_values), tf.int32)  # [N, (P)]
        counts = tf.cast(pieces.row_lengths(), tf.int32)
        # Offset of each word's first piece within its sentence: an exclusive
        # cumulative sum over all words, minus the sum before the sentence.
        flat_starts = tf.cumsum(counts, exclusive=True)
        sentence_starts = tf.gather(tf.concat([flat_starts, [tf.reduce_sum(counts)]], 0),
                                    words.row_splits[:-1])
        starts = flat_starts - tf.gather(sentence_starts, words.value_rowids())
        kept = (counts > 0) & (starts < length - 2)
        positions = words.with_flat_values(tf.where(kept, starts + 1, -1))  # +1: [CLS]

        ids = tf.RaggedTensor.from_row_splits(
            pieces, tf.cast(words.row_splits, pieces.row_splits.dtype)).merge_dims(1, 2)
        ids = ids[:, :length - 2]
        batch = ids.nrows()
        cls = tf.RaggedTensor.from_tensor(tf.fill([batch, 1], tf.constant(self.cls_id, tf.int32)))
        sep = tf.RaggedTensor.from_tensor(tf.fill([batch, 1], tf.constant(self.sep_id, tf.int32)))
        ids = tf.concat([cls, ids, sep], axis=1)
        token_ids = ids.to_tensor(default_value=self.pad_id, shape=[None, length])
        padding_mask = tf.sequence_mask(ids.row_lengths(), length, dtype=tf.int32)
        return PackedWords(token_ids, tf.zeros_like(token_ids), padding_mask, positions,
                           words.with_flat_values(counts))


def token_labels(word_positions, word_tag_ids, sequence_length):
    """Per-wordpiece labels: each word's tag id at its first wordpiece, -100 elsewhere.

    Args:
        word_positions: int32 `tf.RaggedTensor` [batch, (words)] from `WordPacker`.
        word_tag_ids: int32 `tf.RaggedTensor` [batch, (words)].
        sequence_length: int.

    Returns:
        int32 [batch, sequence_length].
    """
    flat_positions = word_positions.flat_values
    kept = flat_positions >= 0
    rows = tf.cast(tf.boolean_mask(word_positions.value_rowids(), kept), tf.int32)
    indices = tf.stack([rows, tf.boolean_mask(flat_positions, kept)], axis=1)
    base = tf.fill([word_positions.nrows(out_type=tf.int32), sequence_length],
                   tf.constant(IGNORE_LABEL, tf.int32))
    return tf.tensor_scatter_nd_update(base, indices,
                                       tf.boolean_mask(word_tag_ids.flat_values, kept))


@dataclasses.dataclass
class EncodedSentences:
    """Model inputs and labels of tagged sentences, as numpy arrays.

    Args:
        inputs: dict `token_ids`, `segment_ids`, `padding_mask` -> int32 [N, L].
        labels: int32 [N, L]. Tag ids at first wordpieces, -100 elsewhere.
        weights: float32 [N, L]. 1 where a label is set, else 0.
        word_positions: list of int32 arrays, one per sentence: each word's
            first-wordpiece index, -1 when it was truncated / has no wordpiece.
    """

    inputs: dict
    labels: np.ndarray
    weights: np.ndarray
    word_positions: list

    def __len__(self):
        return len(self.labels)

    @property
    def dropped_words(self):
        return int(sum((p < 0).sum() for p in self.word_positions))

    def dataset(self, batch_size, shuffle=False, seed=0):
        """`tf.data.Dataset` of `(inputs, labels, sample_weights)` batches."""
        dataset = tf.data.Dataset.from_tensor_slices((self.inputs, self.labels, self.weights))
        if shuffle:
            dataset = dataset.shuffle(len(self), seed=seed, reshuffle_each_iteration=True)
        return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def encode_sentences(sentences, label_names, packer, chunk_size=1024):
    """Tokenizes and aligns `sentences` (from `read_conll`) with `packer`.

    Args:
        sentences: list of `ConllSentence`.
        label_names: list of str; a tag's index is its label id.
        packer: `WordPacker`.
        chunk_size: int. Sentences encoded per graph call.

    Returns:
        `EncodedSentences`.

    Example:
    ```python
    encoded = encode_sentences(read_conll("train.txt"), labels, WordPacker(tokenizer, 128))
    model.fit(encoded.dataset(32, shuffle=True))
    ```
    """
    index = {name: i for i, name in enumerate(label_names)}
    length = packer.sequence_length

    @tf.function(input_signature=[WORDS_SPEC, TAG_IDS_SPEC])
    def encode(words, tag_ids):
        packed = packer(words)
        positions = packed.word_positions
        return (packed.token_ids, packed.segment_ids, packed.padding_mask,
                token_labels(positions, tag_ids, length), positions.flat_values,
                positions.row_lengths())

    parts = []
    for begin in range(0, len(sentences), chunk_size):
        chunk = sentences[begin:begin + chunk_size]
        words = tf.ragged.constant([s.words for s in chunk], dtype=tf.string,
                                   row_splits_dtype=tf.int64)
        tag_ids = tf.ragged.constant([[index[t] for t in s.tags] for s in chunk], dtype=tf.int32,
                                     row_splits_dtype=tf.int64)
        parts.append([t.numpy() for t in encode(words, tag_ids)])
    token_ids, segment_ids, padding_mask, labels = (
        np.concatenate([p[i] for p in parts]) for i in range(4))
    word_positions = []
    for part in parts:
        word_positions.extend(np.split(part[4], np.cumsum(part[5])[:-1]))
    return EncodedSentences(
        inputs={"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask},
        labels=labels, weights=(labels != IGNORE_LABEL).astype(np.float32),
        word_positions=word_positions)


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraTokenClassifier(keras.Model):
    """Discriminator encoder + a per-token linear head (the reference's tagging head).

    sequence_output -> dropout -> Dense(num_tags): float32 logits [batch, L, num_tags].

    Args:
        backbone: `keras_hub.models.ElectraBackbone`.
        num_tags: int.
        dropout: float.

    Example:
    ```python
    model = ElectraTokenClassifier(backbone, num_tags=9)
    logits = model({"token_ids": ids, "segment_ids": seg, "padding_mask": mask})
    ```
    """

    def __init__(self, backbone, num_tags, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        freeze_unused_pooler(backbone)
        self.num_tags = int(num_tags)
        self.dropout_rate = float(dropout)
        self.head_dropout = keras.layers.Dropout(dropout)
        self.head_output = keras.layers.Dense(
            num_tags, kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype="float32", name="token_classifier_output")

    def call(self, inputs, training=False):
        hidden = self.backbone(backbone_inputs(inputs), training=training)["sequence_output"]
        return self.head_output(self.head_dropout(hidden, training=training))

    def get_config(self):
        return {**super().get_config(), "backbone": keras.saving.serialize_keras_object(
            self.backbone), "num_tags": self.num_tags, "dropout": self.dropout_rate}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


def predict_word_tags(model, encoded, label_names, batch_size):
    """Tag strings per word: the argmax at each word's first wordpiece ("O" if dropped)."""
    logits = model.predict(encoded.dataset(batch_size), verbose=0)
    best = logits.argmax(-1)
    names = np.array(label_names, dtype=object)
    return [[names[best[i, p]] if p >= 0 else "O" for p in positions]
            for i, positions in enumerate(encoded.word_positions)]


def evaluate_tagging(model, encoded, sentences, label_names, batch_size):
    """Entity precision/recall/F1 (seqeval, default mode) and word accuracy on
    `sentences`; returns `(metrics, predicted tags)`."""
    predicted = predict_word_tags(model, encoded, label_names, batch_size)
    scores = entity_scores([s.tags for s in sentences], predicted)
    metrics = {k: scores[k] for k in ("precision", "recall", "f1", "accuracy")}
    metrics["per_type"] = scores["per_type"]
    return metrics, predicted


class _DevEntityEvaluation(keras.callbacks.Callback):
    """Entity F1 on the dev file every epoch; keeps the best weights. (The
    classification callback's pattern, for tagging metrics.)"""

    def __init__(self, encoded, sentences, label_names, options, writer, log):
        super().__init__()
        self.encoded, self.sentences, self.label_names = encoded, sentences, label_names
        self.options, self.writer, self.log = options, writer, log
        self.best, self.best_epoch, self.history = -math.inf, None, []
        self.path = os.path.join(options.output_dir, "best.weights.h5")

    def on_epoch_end(self, epoch, logs=None):
        metrics, _ = evaluate_tagging(self.model, self.encoded, self.sentences, self.label_names,
                                      self.options.batch_size)
        scalars = {k: v for k, v in metrics.items() if k != "per_type"}
        self.history.append({"epoch": epoch + 1, **scalars,
                             "train_loss": (logs or {}).get("loss")})
        with self.writer.as_default(step=epoch + 1):
            for name, value in scalars.items():
                tf.summary.scalar(f"dev/{name}", value)
        self.writer.flush()
        self.log(f"epoch {epoch + 1}: dev " + ", ".join(f"{k} {v:.4f}" for k, v in scalars.items()))
        if metrics["f1"] > self.best:
            self.best, self.best_epoch = metrics["f1"], epoch + 1
            self.model.save_weights(self.path)
        if stalled(epoch, self.best_epoch, self.options.patience):
            self.model.stop_training = True


def save_tag_labels(output_dir, label_names, scheme):
    """Writes `labels.json`: the tag list (index = model output) and its scheme."""
    with open(os.path.join(output_dir, LABELS_FILE), "w", encoding="utf-8") as f:
        json.dump({"task": "token_classification", "labels": label_names, "scheme": scheme},
                  f, indent=2)


def finetune_token_classification(options, tag_column=-1, token_column=0, log=print):
    """Fine-tunes a tagger on CoNLL files, evaluates entity F1 every epoch, restores
    the best epoch, exports a raw-text SavedModel (`ner_serving`).

    Uses `options` (a `FinetuneOptions`) for: init, train_file, dev_file,
    output_dir, epochs, learning_rate, layer_decay, batch_size, max_seq_length,
    dropout, weight_decay, warmup_fraction, seed, export, export_version,
    overwrite, show_progress. Its task/column/format fields do not apply.

    Args:
        options: `FinetuneOptions`.
        tag_column: int. CoNLL column of the tag (default: the last).
        token_column: int. CoNLL column of the word.
        log: callable taking a str.

    Returns:
        dict written to `output_dir/results.json`: best dev precision/recall/F1
        (entity level, seqeval default mode), best_epoch, per-epoch history,
        labels, scheme, timing, export path.

    Example:
    ```python
    finetune_token_classification(FinetuneOptions(init="runs/electra_small",
        train_file="conll2003/train.txt", dev_file="conll2003/valid.txt",
        output_dir="runs/conll2003", learning_rate=1e-4, epochs=3))
    ```
    """
    # Imported here: ner_serving builds on this module's WordPacker.
    from electra_tf.finetune.ner_serving import TokenClassifierServing

    start = time.time()
    keras.utils.set_random_seed(options.seed)
    # Data first: a bad file should fail before minutes of model loading.
    train_sentences = read_conll(options.train_file, token_column, tag_column)
    dev_sentences = read_conll(options.dev_file, token_column, tag_column)
    label_names = tag_labels(train_sentences)
    if len(label_names) < 2:
        raise UsageError(f"{options.train_file!r} has only 'O' tags: nothing to learn. "
                         "Check --tag_column.")
    check_known_tags(dev_sentences, label_names, options.dev_file)
    scheme = tag_scheme(label_names)

    backbone, tokenizer, pretrained_length = load_encoder(options.init)
    length = options.max_seq_length or pretrained_length
    if not 8 <= length <= backbone.max_sequence_length:
        raise UsageError(
            f"max_seq_length must be in [8, {backbone.max_sequence_length}], got {length}.")
    os.makedirs(options.output_dir, exist_ok=True)
    export_path = os.path.join(options.output_dir, "export", str(options.export_version))
    if options.export:
        check_target(export_path, options.overwrite)
    save_tag_labels(options.output_dir, label_names, scheme)

    packer = WordPacker(tokenizer, length)
    train = encode_sentences(train_sentences, label_names, packer)
    dev = encode_sentences(dev_sentences, label_names, packer)
    for name, encoded in (("train", train), ("dev", dev)):
        if encoded.dropped_words:
            log(f"{name}: {encoded.dropped_words} word(s) beyond max_seq_length {length} (or "
                "with no wordpiece) are " + ("not trained on." if name == "train" else
                                             "predicted 'O'."))
    model = ElectraTokenClassifier(backbone, len(label_names), dropout=options.dropout)
    sample, _, _ = next(iter(train.dataset(2)))
    model(sample)  # build: the optimizer needs the variables
    steps_per_epoch = math.ceil(len(train) / options.batch_size)
    optimizer = create_finetune_optimizer(
        model, backbone, options.learning_rate, steps_per_epoch * options.epochs,
        options.warmup_fraction, options.layer_decay, options.weight_decay)
    # Mean over labelled wordpieces only (not over padding and continuations).
    loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=IGNORE_LABEL, reduction="mean_with_sample_weight")
    model.compile(optimizer=optimizer, loss=loss)
    log_dir = os.path.join(options.output_dir, "logs")
    writer = tf.summary.create_file_writer(log_dir)
    dev_callback = _DevEntityEvaluation(dev, dev_sentences, label_names, options, writer, log)
    log(f"Fine-tuning token classification on {len(train)} sentences ({len(dev)} dev), "
        f"{len(label_names)} tags ({scheme}), {options.epochs} epoch(s), "
        f"max_seq_length {length}.")
    model.fit(train.dataset(options.batch_size, shuffle=True, seed=options.seed),
              epochs=options.epochs, verbose=1 if options.show_progress else 0,
              shuffle=False,  # the dataset shuffles itself, every epoch
              callbacks=[dev_callback, keras.callbacks.TensorBoard(log_dir, update_freq=50)])
    model.load_weights(dev_callback.path)
    metrics, _ = evaluate_tagging(model, dev, dev_sentences, label_names, options.batch_size)
    log(f"best epoch {dev_callback.best_epoch}: dev entity F1 {metrics['f1']:.4f}")
    results = {
        "task": "token_classification", "init": options.init,
        "best_epoch": dev_callback.best_epoch, "dev": metrics, "history": dev_callback.history,
        "train_sentences": len(train), "dev_sentences": len(dev), "labels": label_names,
        "scheme": scheme, "max_seq_length": length,
        "dropped_words": {"train": train.dropped_words, "dev": dev.dropped_words},
        "seconds": None,
    }
    if options.export:
        module = TokenClassifierServing(model, tokenizer, length, label_names)
        examples = [" ".join(s.words) for s in train_sentences[:3]]
        save_serving_model(module, export_path, "electra_token_classifier",
                           module.warmup_requests(examples + [""]))
        results["export"] = export_path
    results["seconds"] = round(time.time() - start, 1)
    with open(os.path.join(options.output_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    return results
