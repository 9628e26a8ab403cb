"""LiteRT deployment: size, latency and accuracy of the .tflite models against the SavedModels.

    python benchmarks/litert_deployment.py --model_dir=runs/electra_tiny \
        --finetune_dir=runs/rt_sentiment --train_data=data/rt_sentiment/train.tsv \
        --dev_data=data/rt_sentiment/dev.tsv --text_column=sentence

For the pretrained run (detector, encoder) and a fine-tuned classifier, converts float32,
dynamic-range int8 and full-integer int8 models (full int8 calibrated on the run's
pretraining TFRecords, and on the classifier's training texts), then on real held-out
sentences, one sentence per call on one CPU thread (TensorFlow and LiteRT alike):
file size, latency per sentence, max/mean difference from the SavedModel (same token ids
in; LiteRT models get each sentence's real tokens, unpadded), decisions agreeing with the SavedModel, and the classifier's dev accuracy: SavedModel
(text in) vs each LiteRT model on the SavedModel's ids and on `tokenizer.tflite`'s ids.
Prints a Markdown table (docs/deployment.md) and writes JSON to --output.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

from electra_tf.tool_runner import run_tool  # noqa: E402

flags.DEFINE_string("model_dir", None, "Pretraining run (tools/pretrain.py --model_dir); its "
                    "SavedModels are read from --export_dir.")
flags.DEFINE_string("export_dir", None, "tools/export.py's output for --model_dir (default: "
                    "<model_dir>/export).")
flags.DEFINE_string("representative_data", None, "The run's pretraining TFRecords for full-int8 "
                    "calibration (default: the default job's data in the cache).")
flags.DEFINE_string("finetune_dir", None, "A tools/finetune.py classification --output_dir "
                    "(with export/1); skipped when unset.")
flags.DEFINE_string("train_data", None, "The classifier's training file (calibration texts).")
flags.DEFINE_string("dev_data", None, "The classifier's dev file (accuracy).")
flags.DEFINE_string("text_column", "text", "Text column of --train_data/--dev_data.")
flags.DEFINE_string("label_column", "label", "Label column of --dev_data.")
flags.DEFINE_integer("sentences", 200, "Held-out corpus sentences for the pretrained models' "
                     "differences and latencies.")
flags.DEFINE_integer("calibration_examples", 64, "Examples calibrating the full-int8 models.")
flags.DEFINE_string("work_dir", "/tmp/electra_litert_benchmark", "Where the .tflite files go.")
flags.DEFINE_string("output", "benchmarks/results/litert_deployment.json", "JSON results.")
FLAGS = flags.FLAGS


def _latest_version(path):
    versions = sorted((int(v) for v in os.listdir(path) if v.isdigit()))
    if not versions:
        raise SystemExit(f"no SavedModel version folder in {path}: run tools/export.py first.")
    return os.path.join(path, str(versions[-1]))


def _timed_per_call(function, inputs, repeats=3):
    """Calls function(item) for every item; returns outputs and ms per call:
    the fastest of `repeats` passes (after one untimed warm-up call), since
    other processes on a shared machine only ever add time."""
    function(inputs[0])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        outputs = [function(item) for item in inputs]
        best = min(best, time.perf_counter() - start)
    return outputs, 1000 * best / len(inputs)


def _heldout_sentences(count):
    from electra_tf.data.default_data import prepare_default_data

    heldout = prepare_default_data(log=lambda *_: None)["heldout_text"]
    sentences = []
    with open(heldout, encoding="utf-8") as f:
        for line in f:
            if len(line.split()) >= 4:
                sentences.append(line.strip())
            if len(sentences) == count:
                break
    return sentences


def _rows_of(batch):
    keys = list(batch)
    return [{key: batch[key][i:i + 1] for key in keys} for i in range(len(batch[keys[0]]))]


def pretrained(results):
    from electra_tf.export.litert import LiteRTModel
    from electra_tf.export.litert import QUANTIZATIONS
    from electra_tf.export.litert import export_pretrained_litert
    from electra_tf.export.litert import trim_padding

    export_dir = FLAGS.export_dir or os.path.join(FLAGS.model_dir, "export")
    saved = tf.saved_model.load(_latest_version(os.path.join(export_dir, "discriminator")))
    work = os.path.join(FLAGS.work_dir, "pretrained")
    manifest = export_pretrained_litert(
        FLAGS.model_dir, work, representative_data=FLAGS.representative_data,
        calibration_examples=FLAGS.calibration_examples, overwrite=True,
        log=lambda line: print(line, flush=True))
    litert_dir = manifest["path"]
    sentences = _heldout_sentences(FLAGS.sentences)
    detect = saved.signatures["serving_default"]
    outputs, saved_ms = _timed_per_call(lambda s: detect(text=tf.constant([s])), sentences)
    ids = [{k: o[k].numpy() for k in ("token_ids", "padding_mask")} for o in outputs]
    for item in ids:
        item["segment_ids"] = np.zeros_like(item["token_ids"])
    reference = [o["replaced_probability"].numpy() for o in outputs]
    encode_ids = saved.signatures["encode_ids"]
    encoded, encode_ms = _timed_per_call(
        lambda b: encode_ids(**{k: tf.constant(v) for k, v in b.items()}), ids)
    rows = [{"model": "detector SavedModel (text in)", "quantization": "float32",
             "ms_per_sentence": saved_ms},
            {"model": "encoder SavedModel (encode_ids)", "quantization": "float32",
             "ms_per_sentence": encode_ms}]

    tokenizer = LiteRTModel(os.path.join(litert_dir, "tokenizer.tflite"))
    trimmed = [trim_padding(item) for item in ids]
    tokenized, tokenizer_ms = _timed_per_call(
        lambda s: tokenizer(text=np.array([s], dtype=object)), sentences)
    same = sum(all((t[k] == i[k]).all() for k in i) for t, i in zip(tokenized, ids))
    rows.append({"model": "tokenizer.tflite", "quantization": "-",
                 "bytes": os.path.getsize(os.path.join(litert_dir, "tokenizer.tflite")),
                 "ms_per_sentence": tokenizer_ms,
                 "note": f"ids equal to the SavedModel's on {same}/{len(sentences)} sentences"})
    for name, key, expected in (("detector", "replaced_probability", reference),
                                ("encoder", "sequence_output",
                                 [e["sequence_output"].numpy() for e in encoded])):
        for quantization in QUANTIZATIONS:
            entry = manifest["models"][name][quantization]
            if "file" not in entry:
                rows.append({"model": name, "quantization": quantization,
                             "note": entry["error"]})
                continue
            model = LiteRTModel(os.path.join(litert_dir, entry["file"]))
            got, ms = _timed_per_call(lambda b, m=model: m(**b), trimmed)
            diffs = [np.abs(g[key] - e[:, :g[key].shape[1]]) for g, e in zip(got, expected)]
            flat = np.concatenate([d.ravel() for d in diffs])
            row = {"model": name, "quantization": quantization, "bytes": entry["bytes"],
                   "ms_per_sentence": ms, "max_diff": float(flat.max()),
                   "mean_diff": float(flat.mean())}
            if name == "detector":
                agree = np.concatenate([((g[key] >= 0.5) == (e[:, :g[key].shape[1]] >= 0.5)).ravel()
                                        for g, e in zip(got, expected)])
                row["note"] = f"same replaced/original decision (p >= 0.5) on {agree.mean():.2%} " \
                              "of tokens"
            rows.append(row)
    results["pretrained"] = {"rows": rows, "sentences": len(sentences),
                             "representative_data": manifest.get("representative_data"),
                             "calibration_examples": manifest.get("calibration_examples")}


def classifier(results):
    from electra_tf.export.litert import LiteRTModel
    from electra_tf.export.litert import QUANTIZATIONS
    from electra_tf.finetune.classification.finished_run import classifier_from_finetune_dir
    from electra_tf.export.litert import export_classifier_litert
    from electra_tf.export.litert import trim_padding
    from electra_tf.text.packing import TextPacker
    from electra_tf.finetune.classification.data import ClassificationData

    model, tokenizer, length, labels, _ = classifier_from_finetune_dir(FLAGS.finetune_dir)
    columns = dict(text_column=FLAGS.text_column, label_column=FLAGS.label_column)
    train = ClassificationData(FLAGS.train_data, **columns)
    dev = ClassificationData(FLAGS.dev_data, labels=labels, **columns)
    work = os.path.join(FLAGS.work_dir, "classifier")
    manifest = export_classifier_litert(
        model, tokenizer, length, work, labels, representative_texts=train.texts,
        calibration_examples=FLAGS.calibration_examples, overwrite=True,
        log=lambda line: print(line, flush=True))
    saved = tf.saved_model.load(_latest_version(os.path.join(FLAGS.finetune_dir, "export")))
    classify = saved.signatures["serving_default"]
    outputs, saved_ms = _timed_per_call(lambda s: classify(text=tf.constant([s])), dev.texts)
    reference = np.concatenate([o["probabilities"].numpy() for o in outputs])
    accuracy = float((reference.argmax(-1) == dev.labels).mean())
    rows = [{"model": "classifier SavedModel (text in)", "quantization": "float32",
             "ms_per_sentence": saved_ms, "accuracy": accuracy}]
    packed = TextPacker(tokenizer, length)(tf.constant(dev.texts))
    ids = [trim_padding(row) for row in _rows_of({k: v.numpy() for k, v in packed.items()})]
    tokenizer_model = LiteRTModel(os.path.join(work, "tokenizer.tflite"))
    litert_ids = [trim_padding(tokenizer_model(text=np.array([s], dtype=object)))
                  for s in dev.texts]
    same = sum(all(a[k].shape == b[k].shape and (a[k] == b[k]).all() for k in b)
               for a, b in zip(litert_ids, ids))
    for quantization in QUANTIZATIONS:
        entry = manifest["models"]["classifier"][quantization]
        if "file" not in entry:
            rows.append({"model": "classifier", "quantization": quantization,
                         "note": entry["error"]})
            continue
        model_q = LiteRTModel(os.path.join(work, entry["file"]))
        got, ms = _timed_per_call(lambda b, m=model_q: m(**b), ids)
        probabilities = np.concatenate([g["probabilities"] for g in got])
        text_in = np.concatenate([model_q(**b)["probabilities"] for b in litert_ids])
        diff = np.abs(probabilities - reference)
        rows.append({
            "model": "classifier", "quantization": quantization, "bytes": entry["bytes"],
            "ms_per_sentence": ms, "max_diff": float(diff.max()), "mean_diff": float(diff.mean()),
            "accuracy": float((probabilities.argmax(-1) == dev.labels).mean()),
            "accuracy_text_in": float((text_in.argmax(-1) == dev.labels).mean()),
            "note": f"same label as the SavedModel on "
                    f"{(probabilities.argmax(-1) == reference.argmax(-1)).mean():.2%}"})
    results["classifier"] = {"rows": rows, "dev_examples": len(dev),
                             "tokenizer_ids_equal": f"{same}/{len(dev)}",
                             "calibration_examples": manifest.get("calibration_examples")}


def _table(rows, float_bytes):
    lines = ["| model | quantization | size MB | % of float | ms/sentence | max diff | mean diff "
             "| dev acc. (same ids) | dev acc. (tokenizer.tflite) | note |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        size = row.get("bytes")
        cells = [row["model"], row["quantization"],
                 f"{size / 1e6:.2f}" if size else "",
                 f"{size / float_bytes[row['model']]:.0%}" if size and row["model"] in float_bytes
                 else "",
                 f"{row['ms_per_sentence']:.2f}" if "ms_per_sentence" in row else "",
                 f"{row['max_diff']:.2e}" if "max_diff" in row else "",
                 f"{row['mean_diff']:.2e}" if "mean_diff" in row else "",
                 f"{100 * row['accuracy']:.1f}%" if "accuracy" in row else "",
                 f"{100 * row['accuracy_text_in']:.1f}%" if "accuracy_text_in" in row else "",
                 row.get("note", "")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv):
    del argv
    if not FLAGS.model_dir and not FLAGS.finetune_dir:
        raise SystemExit("pass --model_dir and/or --finetune_dir.")
    # One thread for TensorFlow too: the comparison is per core, as on a phone.
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import tensorflow_text  # noqa: F401 (the SavedModels' tokenizer ops)

    results = {"tensorflow": tf.__version__, "threads": 1}
    start = time.time()
    rows = []
    if FLAGS.model_dir:
        pretrained(results)
        rows += results["pretrained"]["rows"]
    if FLAGS.finetune_dir:
        if not (FLAGS.train_data and FLAGS.dev_data):
            raise SystemExit("--finetune_dir needs --train_data and --dev_data.")
        classifier(results)
        rows += results["classifier"]["rows"]
    results["seconds"] = round(time.time() - start, 1)
    float_bytes = {row["model"]: row["bytes"] for row in rows
                   if row["quantization"] == "float32" and "bytes" in row}
    print()
    print(_table(rows, float_bytes))
    for part in ("pretrained", "classifier"):
        if part in results:
            extra = {k: v for k, v in results[part].items() if k != "rows"}
            print(f"{part}: {extra}")
    print(f"total {results['seconds']} s")
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.output)), exist_ok=True)
    with open(FLAGS.output, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    run_tool(main)
