"""Task metrics computed from numpy predictions (what GLUE reports)."""

import numpy as np


def accuracy(labels, predictions):
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    return float((labels == predictions).mean()) if len(labels) else 0.0


def f1_binary(labels, predictions, positive=1):
    """F1 of the positive class (MRPC/QQP report this)."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    tp = np.sum((predictions == positive) & (labels == positive))
    fp = np.sum((predictions == positive) & (labels != positive))
    fn = np.sum((predictions != positive) & (labels == positive))
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def macro_f1(labels, predictions):
    classes = np.unique(np.concatenate([np.asarray(labels), np.asarray(predictions)]))
    return float(np.mean([f1_binary(labels, predictions, c) for c in classes])) if len(classes) else 0.0


def matthews_corrcoef(labels, predictions):
    """Multi-class Matthews correlation (Gorodkin's R_K; the binary MCC for 2 classes)."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    classes = np.unique(np.concatenate([labels, predictions]))
    index = {c: i for i, c in enumerate(classes)}
    confusion = np.zeros((len(classes), len(classes)))
    for y, p in zip(labels, predictions):
        confusion[index[y], index[p]] += 1
    t, p_sum, c, s = confusion.sum(1), confusion.sum(0), np.trace(confusion), confusion.sum()
    denominator = np.sqrt((s * s - p_sum @ p_sum) * (s * s - t @ t))
    return float((c * s - t @ p_sum) / denominator) if denominator else 0.0


def pearson(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _ranks(values):
    values = np.asarray(values, float)
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    for value in np.unique(values):  # ties share their mean rank
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(x, y):
    return pearson(_ranks(x), _ranks(y))


def classification_metrics(labels, predictions, num_labels):
    metrics = {"accuracy": accuracy(labels, predictions),
               "matthews_corrcoef": matthews_corrcoef(labels, predictions)}
    metrics["f1"] = f1_binary(labels, predictions) if num_labels == 2 else macro_f1(
        labels, predictions)
    return metrics


def regression_metrics(labels, predictions):
    return {"pearson": pearson(labels, predictions), "spearman": spearman(labels, predictions),
            "mse": float(np.mean((np.asarray(labels) - np.asarray(predictions)) ** 2))}
