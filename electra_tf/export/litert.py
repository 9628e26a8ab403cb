"""LiteRT (TFLite) models for phones and small devices: float32 and int8.

```
export_dir/litert/
  detector_{float32,dynamic_int8,full_int8}.tflite     ids -> replaced_probability [B, n]
  encoder_{float32,dynamic_int8,full_int8}.tflite      ids -> sequence_output, pooled_output
  tokenizer.tflite      text [B] -> token_ids, segment_ids, padding_mask [B, L] (tf-text ops)
  vocab.txt             the run's vocabulary
  litert.json           inputs/outputs, normalization settings, sizes, converter errors
```

(A fine-tuned classifier's folder has `classifier_*.tflite` instead of the
detector and encoder.) The models take ids, not text: tokenization ops have no
LiteRT builtin kernels, so text goes through `tokenizer.tflite`, which needs
only tf-text's LiteRT custom ops (no Flex delegate). Its normalization differs
from `ElectraTokenizer` on a few character classes, listed in
`litert_tokenizer.NORMALIZATION_DIFFERENCES` and in `litert.json`; clients
that tokenize themselves use `vocab.txt` with the settings in `litert.json`.

Quantizations:
- `float32`: outputs equal the Keras model's to float rounding.
- `dynamic_int8`: int8 weights, float activations (no calibration data).
- `full_int8`: int8 weights and activations, only int8 builtin kernels,
  calibrated on a representative dataset: the pretraining TFRecords for the
  pretrained models, the training texts for a classifier. Inputs stay int32
  ids and outputs float32, so every variant is called the same way.
"""

import json
import os
import shutil
import warnings

import numpy as np
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.litert_tokenizer import CUSTOM_OPS
from electra_tf.export.litert_tokenizer import NORMALIZATION_DIFFERENCES
from electra_tf.export.litert_tokenizer import LiteRTTokenizer
from electra_tf.export.variable_tracking import track_backing_variables
from electra_tf.models.discriminator import replaced_token_detection

FLOAT32 = "float32"
DYNAMIC_INT8 = "dynamic_int8"
FULL_INT8 = "full_int8"
QUANTIZATIONS = (FLOAT32, DYNAMIC_INT8, FULL_INT8)
LITERT_DIR = "litert"
MANIFEST_FILE = "litert.json"
TOKENIZER_FILE = "tokenizer.tflite"
VOCAB_FILE = "vocab.txt"
ID_INPUTS = ("token_ids", "segment_ids", "padding_mask")


def _id_specs():
    # Length is dynamic so a device runs only the real tokens: padding costs
    # time, and in full_int8 the attention mask's large negative values on
    # padded positions would take over the int8 range of the scores.
    return [tf.TensorSpec([None, None], tf.int32, name=name) for name in ID_INPUTS]


def trim_padding(batch):
    """Cuts a batch of one example to its real tokens (`padding_mask` == 1).

    The LiteRT models take any length up to `sequence_length`; unpadded
    inputs are faster and are what full_int8 was calibrated on.

    Args:
        batch: dict of int32 [1, L] arrays `token_ids`, `segment_ids`, `padding_mask`.

    Returns:
        the same dict with [1, n] arrays, n = number of real tokens.

    Example:
    ```python
    inputs = trim_padding(tokenizer_model(text=np.array(["great film"], dtype=object)))
    ```
    """
    mask = np.asarray(batch["padding_mask"])
    if mask.ndim != 2 or mask.shape[0] != 1:
        raise UsageError(f"trim_padding takes one example ([1, L]), got shape {mask.shape}.")
    length = int(mask.sum())
    return {key: np.asarray(value)[:, :length] for key, value in batch.items()}


class IdsModel(tf.Module):
    """A model with a fixed-length ids signature, what the LiteRT converter reads.

    `serve(token_ids, segment_ids, padding_mask)` (int32 [batch, n], n up
    to `sequence_length`) returns the dict `outputs_fn` builds.

    Args:
        layers: dict name -> Keras layer/model; tracked so their weights are
            captured by the conversion.
        outputs_fn: callable `(layers, token_ids, segment_ids, padding_mask)` ->
            dict of float32 tensors.
        sequence_length: int.
        name: str.

    Example:
    ```python
    detector = detector_model(pretrainer, 128)
    detector.serve(ids, segments, mask)["replaced_probability"]
    ```
    """

    def __init__(self, layers, outputs_fn, sequence_length, name):
        super().__init__(name=name)
        self.layers = dict(layers)
        self.sequence_length = int(sequence_length)
        self._outputs_fn = outputs_fn
        # Build every layer now: variables first created inside the traced
        # function would not be the tracked, trained ones.
        ones = tf.ones([1, self.sequence_length], tf.int32)
        outputs_fn(self.layers, ones, ones * 0, ones)
        self.serve = tf.function(self._serve, input_signature=_id_specs())

    def _serve(self, token_ids, segment_ids, padding_mask):
        return self._outputs_fn(self.layers, token_ids, segment_ids, padding_mask)


def _inputs(token_ids, segment_ids, padding_mask):
    return {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask}


def _detector_outputs(layers, token_ids, segment_ids, padding_mask):
    detection = replaced_token_detection(layers["backbone"], layers["head"],
                                         _inputs(token_ids, segment_ids, padding_mask))
    return {"replaced_probability": detection["replaced_probability"]}


def _encoder_outputs(layers, token_ids, segment_ids, padding_mask):
    outputs = layers["backbone"](_inputs(token_ids, segment_ids, padding_mask), training=False)
    return {"sequence_output": tf.cast(outputs["sequence_output"], tf.float32),
            "pooled_output": tf.cast(outputs["pooled_output"], tf.float32)}


def _classifier_outputs(layers, token_ids, segment_ids, padding_mask):
    logits = tf.cast(layers["classifier"](_inputs(token_ids, segment_ids, padding_mask),
                                          training=False), tf.float32)
    return {"probabilities": tf.nn.softmax(logits, axis=-1)}


def _regression_outputs(layers, token_ids, segment_ids, padding_mask):
    logits = tf.cast(layers["classifier"](_inputs(token_ids, segment_ids, padding_mask),
                                          training=False), tf.float32)
    return {"score": logits[:, 0]}


def detector_model(pretrainer, sequence_length):
    """The replaced-token detector (discriminator + head) as an `IdsModel`:
    ids -> `replaced_probability` [batch, L] (0 on padding), as the
    discriminator SavedModel's `serving_default` computes it."""
    return IdsModel({"backbone": pretrainer.discriminator, "head": pretrainer.discriminator_head},
                    _detector_outputs, sequence_length, "electra_detector")


def encoder_model(pretrainer, sequence_length):
    """The discriminator encoder as an `IdsModel`: ids -> `sequence_output`
    [batch, L, H], `pooled_output` [batch, H] (the SavedModel's `encode_ids`)."""
    return IdsModel({"backbone": pretrainer.discriminator}, _encoder_outputs, sequence_length,
                    "electra_encoder")


def classifier_model(classifier, sequence_length, regression=False):
    """A fine-tuned `ElectraClassifier` as an `IdsModel`: ids -> `probabilities`
    [batch, labels] (or `score` [batch] for regression)."""
    return IdsModel({"classifier": classifier},
                    _regression_outputs if regression else _classifier_outputs,
                    sequence_length, "electra_classifier")


def convert(module, quantization=FLOAT32, representative_batches=None):
    """Converts an `IdsModel` or `LiteRTTokenizer` to a LiteRT flatbuffer.

    Args:
        module: `IdsModel` (or `LiteRTTokenizer`, float32 only).
        quantization: one of `QUANTIZATIONS`.
        representative_batches: for `full_int8`: list of dicts of int32
            arrays `token_ids`, `segment_ids`, `padding_mask` [1, L], from
            the data the model was trained on.

    Returns:
        bytes of the .tflite model.

    Raises:
        UsageError: unknown quantization, or `full_int8` without batches.
        tf.lite's `ConverterError`: the converter cannot convert the model.

    Example:
    ```python
    flatbuffer = convert(detector_model(pretrainer, 128), "dynamic_int8")
    ```
    """
    if quantization not in QUANTIZATIONS:
        raise UsageError(f"quantization {quantization!r} is not one of {', '.join(QUANTIZATIONS)}.")
    if quantization == FULL_INT8 and not representative_batches:
        raise UsageError("full_int8 needs representative_batches: examples of the training data "
                         "to calibrate the activation ranges.")
    # The converter captures the variables the trace reads; tracking them on
    # the module makes those the layers' real weights (see variable_tracking).
    track_backing_variables(module)
    function = (module.tokenize if isinstance(module, LiteRTTokenizer) else module.serve)
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], module)
    if isinstance(module, LiteRTTokenizer):
        # tf-text's tokenizer ops are LiteRT custom ops, not Flex (TF) ops.
        converter.allow_custom_ops = True
    if quantization != FLOAT32:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == FULL_INT8:
        batches = list(representative_batches)
        converter.representative_dataset = lambda: iter(batches)
        # Only int8 kernels: a float fallback would quietly not be full-integer.
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    with warnings.catch_warnings():
        # Calibration runs tf.lite.Interpreter, which warns about its move to
        # ai-edge-litert on every call.
        warnings.simplefilter("ignore", UserWarning)
        return converter.convert()


def representative_from_tfrecords(file_pattern, sequence_length, vocab_path, count=64,
                                  pad_id=0):
    """Calibration batches drawn from pretraining TFRecords (the run's corpus).

    The data must have been built with `vocab_path` (checked by its sha256);
    examples longer than `sequence_length` are cut, shorter ones padded.

    Args:
        file_pattern: str. TFRecord glob written by `build_pretraining_data`.
        sequence_length: int. The exported L.
        vocab_path: str. The run's vocab.txt.
        count: int. Examples to take (file order, deterministic).
        pad_id: int.

    Returns:
        list of dicts of int32 [1, n] arrays (`ID_INPUTS`), cut to the real tokens.

    Example:
    ```python
    batches = representative_from_tfrecords("data/*.tfrecord", 128, "runs/x/vocab.txt")
    ```
    """
    from electra_tf.data import metadata as metadata_lib
    from electra_tf.data.pipeline import pretraining_dataset
    from electra_tf.text.vocab import vocab_sha256

    directories = metadata_lib.dataset_directories(file_pattern)
    if not directories:
        raise UsageError(f"representative data {file_pattern!r} matches no file: pass the run's "
                         "pretraining TFRecords (tools/build_pretraining_data.py's output).")
    data_length = metadata_lib.read_metadata(directories[0])["max_seq_length"]
    dataset = pretraining_dataset(file_pattern, 1, data_length, is_training=False,
                                  vocab_sha256=vocab_sha256(vocab_path), drop_remainder=False)
    batches = []
    for example in dataset.take(int(count)):
        batches.append(trim_padding(_fit(
            example["token_ids"].numpy(), example["segment_ids"].numpy(),
            example["padding_mask"].numpy(), sequence_length, pad_id)))
    if not batches:
        raise UsageError(f"representative data {file_pattern!r} holds no examples.")
    return batches


def _fit(ids, segments, mask, length, pad_id):
    """Cuts or pads one [1, n] example to [1, length]."""
    n = ids.shape[1]
    if n >= length:
        ids, segments, mask = ids[:, :length], segments[:, :length], mask[:, :length]
    else:
        pad = [(0, 0), (0, length - n)]
        ids = np.pad(ids, pad, constant_values=pad_id)
        segments, mask = np.pad(segments, pad), np.pad(mask, pad)
    return {"token_ids": ids.astype(np.int32), "segment_ids": segments.astype(np.int32),
            "padding_mask": mask.astype(np.int32)}


def representative_from_texts(texts, tokenizer, sequence_length, count=64, text_pairs=None):
    """Calibration batches from raw training texts, tokenized as the SavedModels do.

    Args:
        texts: list of str (e.g. a fine-tuning train file's text column).
        tokenizer: `ElectraTokenizer`.
        sequence_length: int.
        count: int. The first `count` texts are used.
        text_pairs: list of str or None, for pair tasks.

    Returns:
        list of dicts of int32 [1, n] arrays, cut to the real tokens.

    Example:
    ```python
    batches = representative_from_texts(train.texts, tokenizer, 128)
    ```
    """
    from electra_tf.text.packing import TextPacker

    texts = list(texts)[:int(count)]
    if not texts:
        raise UsageError("representative texts are empty: pass some training texts.")
    packer = TextPacker(tokenizer, sequence_length)
    args = [tf.constant(texts)]
    if text_pairs is not None:
        args.append(tf.constant(list(text_pairs)[:len(texts)]))
    inputs = {name: t.numpy() for name, t in packer(*args).items()}
    return [trim_padding({name: ids[i:i + 1] for name, ids in inputs.items()})
            for i in range(len(texts))]


def find_default_representative_data(vocab_path):
    """The default job's pretraining TFRecords in the data cache when they were
    built with `vocab_path`, else None (so a default-job run needs no flag)."""
    from electra_tf.data import metadata as metadata_lib
    from electra_tf.data.default_data import default_cache_dir
    from electra_tf.text.vocab import vocab_sha256

    sha = vocab_sha256(vocab_path)
    root = default_cache_dir()
    if not os.path.isdir(root):
        return None
    for name in sorted(os.listdir(root)):
        directory = os.path.join(root, name, "train")
        if not name.startswith("tfrecords_") or not os.path.isfile(
                os.path.join(directory, metadata_lib.METADATA_FILE)):
            continue
        if metadata_lib.read_metadata(directory).get("vocab_sha256") == sha:
            return os.path.join(directory, "*.tfrecord")
    return None


def _error_text(error):
    # Converter errors end with the MLIR diagnostics that name the op; keep them.
    return f"{type(error).__name__}: {str(error).strip()}"


def write_litert_models(output_dir, models, tokenizer, sequence_length,
                        representative_batches=None, overwrite=False, extra=None, log=print):
    """Converts `models` in every quantization and writes the LiteRT folder.

    A `full_int8` conversion the converter refuses is not fatal: its exact
    error goes into `litert.json` and the result, and no file is written.

    Args:
        output_dir: str. The folder to write (the layout in this module's docstring).
        models: dict name -> `IdsModel`.
        tokenizer: `ElectraTokenizer`. Written as vocab.txt + tokenizer.tflite.
        sequence_length: int.
        representative_batches: list of dicts (see `convert`) or None
            (None: `full_int8` is skipped, and that is recorded).
        overwrite: bool. Replace an existing `output_dir`.
        extra: dict or None. More entries for litert.json (labels, checkpoint, ...).
        log: callable taking a str.

    Returns:
        the manifest dict (also written to `output_dir/litert.json`).

    Example:
    ```python
    write_litert_models("exports/litert", {"detector": detector_model(model, 128)},
                        tokenizer, 128, representative_from_tfrecords(...))
    ```
    """
    if os.path.exists(output_dir):
        if not overwrite:
            raise UsageError(f"{output_dir!r} already exists. Pass --overwrite to replace it.")
        shutil.rmtree(output_dir)
    tmp = output_dir.rstrip("/") + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    manifest = {
        "sequence_length": int(sequence_length),
        "inputs": {name: f"int32 [batch, n], n <= {int(sequence_length)}" for name in ID_INPUTS},
        "input_note": "feed one text's real tokens (tokenizer.tflite output cut to "
                      "padding_mask.sum()): faster, and what full_int8 was calibrated on",
        "vocab": VOCAB_FILE,
        "lowercase": bool(tokenizer.bert_lowercase),
        "normalization": (
            "BERT BasicTokenizer: delete control characters, whitespace -> space"
            + (", lowercase, NFD, strip accents" if tokenizer.bert_lowercase else "")
            + "; split on whitespace, punctuation and CJK characters; WordPiece with '##' "
              "suffixes, [UNK] for unknown words (max 100 bytes per word)"),
        "special_tokens": tokenizer.special_token_ids(),
        "packing": "[CLS] text [SEP], truncated to sequence_length, padded with [PAD]; "
                   "segment_ids 0 (1 for the second text of a pair); padding_mask 1 on tokens",
        **(extra or {}),
        "models": {},
    }
    with open(os.path.join(tmp, VOCAB_FILE), "w", encoding="utf-8") as f:
        f.write("".join(token + "\n" for token in tokenizer.get_vocabulary()))
    litert_tokenizer = LiteRTTokenizer(tokenizer, sequence_length)
    with open(os.path.join(tmp, TOKENIZER_FILE), "wb") as f:
        f.write(convert(litert_tokenizer))
    manifest["tokenizer"] = {
        "file": TOKENIZER_FILE, "input": "text string [batch]", "outputs": list(ID_INPUTS),
        "custom_ops": list(CUSTOM_OPS),
        "register": "tensorflow_text.tflite_registrar.SELECT_TFTEXT_OPS",
        "differences_from_saved_model": [row[3] for row in NORMALIZATION_DIFFERENCES],
    }
    for name, module in models.items():
        entry = manifest["models"][name] = {}
        for quantization in QUANTIZATIONS:
            filename = f"{name}_{quantization}.tflite"
            if quantization == FULL_INT8 and not representative_batches:
                entry[quantization] = {"error": "skipped: no representative data (pass the "
                                                "run's pretraining TFRecords)"}
                log(f"  {filename}: skipped (no representative data)")
                continue
            try:
                flatbuffer = convert(module, quantization, representative_batches)
            except Exception as error:  # noqa: BLE001 (the converter raises several types)
                if quantization != FULL_INT8:
                    raise
                entry[quantization] = {"error": _error_text(error)}
                log(f"  {filename}: the converter cannot make it full-integer: "
                    f"{_error_text(error)}")
                continue
            with open(os.path.join(tmp, filename), "wb") as f:
                f.write(flatbuffer)
            entry[quantization] = {"file": filename, "bytes": len(flatbuffer)}
            log(f"  {filename}: {len(flatbuffer) / 1e6:.2f} MB")
        entry["outputs"] = {key: str(spec.shape) for key, spec in
                            module.serve.get_concrete_function().structured_outputs.items()}
    if representative_batches:
        manifest["calibration_examples"] = len(representative_batches)
    with open(os.path.join(tmp, MANIFEST_FILE), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
    os.replace(tmp, output_dir)
    return manifest


def export_pretrained_litert(model_dir, export_dir, checkpoint=None, sequence_length=None,
                             representative_data=None, calibration_examples=64,
                             overwrite=False, log=print):
    """Writes the detector and encoder of a pretraining run as LiteRT models
    into `export_dir/litert/`, next to the SavedModels.

    Args:
        model_dir: str. The pretraining run.
        export_dir: str. The export folder (tools/export.py's --export_dir).
        checkpoint: str or None. A ckpt-N prefix; None is the latest.
        sequence_length: int or None. L of the models (None: the run's max_seq_length).
        representative_data: str or None. TFRecord glob of the run's pretraining
            data for `full_int8` calibration; None looks for the default job's
            data in the cache (same vocabulary), else skips `full_int8`.
        calibration_examples: int.
        overwrite: bool.
        log: callable taking a str.

    Returns:
        the manifest dict, with `path` added.

    Example:
    ```python
    export_pretrained_litert("runs/electra_tiny", "exports")
    ```
    """
    from electra_tf.training.model_dir import VOCAB_FILE as RUN_VOCAB
    from electra_tf.training.model_dir import load_pretrainer

    model, tokenizer, config, checkpoint = load_pretrainer(model_dir, checkpoint)
    sequence_length = int(sequence_length or config.max_seq_length)
    if not 8 <= sequence_length <= config.max_position_embeddings:
        raise UsageError(f"sequence_length must be in [8, {config.max_position_embeddings}], "
                         f"got {sequence_length}.")
    vocab_path = os.path.join(model_dir, RUN_VOCAB)
    representative_data = representative_data or find_default_representative_data(vocab_path)
    batches = None
    if representative_data:
        batches = representative_from_tfrecords(representative_data, sequence_length, vocab_path,
                                                calibration_examples, tokenizer.pad_id)
    models = {"detector": detector_model(model, sequence_length),
              "encoder": encoder_model(model, sequence_length)}
    path = os.path.join(export_dir, LITERT_DIR)
    manifest = write_litert_models(
        path, models, tokenizer, sequence_length, batches, overwrite=overwrite, log=log,
        extra={"checkpoint": checkpoint, "representative_data": representative_data})
    return {**manifest, "path": path}


def export_classifier_litert(classifier, tokenizer, sequence_length, output_dir,
                             label_names=None, representative_texts=None,
                             calibration_examples=64, pair=False, overwrite=False, log=print):
    """Writes a fine-tuned classifier (or regressor) as LiteRT models.

    Args:
        classifier: `ElectraClassifier` with trained weights.
        tokenizer: `ElectraTokenizer` it was trained with.
        sequence_length: int.
        output_dir: str. E.g. `<finetune output_dir>/export/litert`.
        label_names: list of str (index = class), or None for regression.
        representative_texts: list of str, or (texts, text_pairs) for pair tasks:
            training texts that calibrate `full_int8` (None skips it).
        calibration_examples: int.
        pair: bool. A two-text task (`tokenizer.tflite` then only packs one text).
        overwrite: bool.
        log: callable taking a str.

    Returns:
        the manifest dict.

    Example:
    ```python
    export_classifier_litert(model, tokenizer, 128, "runs/rt/export/litert",
                             ["negative", "positive"], train.texts)
    ```
    """
    batches = None
    if representative_texts is not None:
        texts, pairs = (representative_texts if pair else (representative_texts, None))
        batches = representative_from_texts(texts, tokenizer, sequence_length,
                                            calibration_examples, pairs)
    regression = label_names is None
    extra = {"task": "regression" if regression else "classification",
             "labels": None if regression else list(label_names), "pair": bool(pair)}
    return write_litert_models(
        output_dir, {"classifier": classifier_model(classifier, sequence_length, regression)},
        tokenizer, sequence_length, batches, overwrite=overwrite, extra=extra, log=log)


class LiteRTModel:
    """Runs a .tflite file written here with the LiteRT interpreter
    (`tf.lite`'s, with tf-text's custom ops registered for the tokenizer).

    Args:
        model: str path to a .tflite file, or its bytes.
        num_threads: int. CPU threads (1 is what a phone's budget looks like).

    Example:
    ```python
    tokenizer = LiteRTModel("exports/litert/tokenizer.tflite")
    detector = LiteRTModel("exports/litert/detector_dynamic_int8.tflite")
    detector(**trim_padding(tokenizer(text=np.array(["the movie was great"], dtype=object))))
    ```
    """

    def __init__(self, model, num_threads=1):
        import tensorflow_text as tf_text
        from tensorflow.lite.python.interpreter import InterpreterWithCustomOps

        if isinstance(model, str):
            if not os.path.isfile(model):
                raise UsageError(f"{model!r} is not a file: pass a .tflite written by "
                                 "tools/export.py --litert.")
            source = {"model_path": model}
        else:
            source = {"model_content": bytes(model)}
        with warnings.catch_warnings():
            # tf.lite.Interpreter warns it moves to ai-edge-litert; it still
            # runs the same kernels and spares a dependency.
            warnings.simplefilter("ignore", UserWarning)
            self.interpreter = InterpreterWithCustomOps(
                custom_op_registerers=tf_text.tflite_registrar.SELECT_TFTEXT_OPS,
                num_threads=int(num_threads), **source)
        self.runner = self.interpreter.get_signature_runner()

    def __call__(self, **inputs):
        """Runs the model's signature; returns a dict of numpy arrays."""
        return self.runner(**inputs)
