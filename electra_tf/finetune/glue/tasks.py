"""The nine GLUE tasks: where their files are, their exact TSV layouts, labels and metrics.

The layouts are those of the folder written by the standard GLUE download script
(`download_glue_data.py`): one folder per task with `train.tsv` and `dev.tsv`
(MNLI: `dev_matched.tsv` and `dev_mismatched.tsv`). Column positions and label
lists follow google-research/electra `finetune/classification/classification_tasks.py`
and Hugging Face's `transformers/data/processors/glue.py`, which agree on them.
Label lists are fixed, never inferred from a file, and binary tasks keep the
positive class at index 1 so that F1 (MRPC, QQP) is the positive class's F1.

Metrics (per-run names are the fine-tuning job's dev metric names):

| task  | reported                      | key (best epoch, GLUE score) |
|-------|-------------------------------|------------------------------|
| CoLA  | Matthews corr.                | matthews_corrcoef            |
| SST-2 | accuracy                      | accuracy                     |
| MRPC  | F1, accuracy                  | accuracy                     |
| STS-B | Spearman, Pearson             | spearman                     |
| QQP   | F1, accuracy                  | accuracy                     |
| MNLI  | matched, mismatched accuracy  | matched accuracy             |
| QNLI  | accuracy                      | accuracy                     |
| RTE   | accuracy                      | accuracy                     |
| WNLI  | accuracy                      | accuracy (not in the score)  |

The key metric is the one the ELECTRA paper puts into its dev-set GLUE score
(§3.1: "Spearman correlation for STS, Matthews correlation for CoLA, and accuracy
for the other GLUE tasks"; WNLI left out, Appendix B, following BERT; MNLI is the
matched dev set, the reference's `dev` split for MNLI). See `report.glue_score`.
"""

import dataclasses
from typing import Optional
from typing import Tuple

from electra_tf.errors import UsageError


@dataclasses.dataclass(frozen=True)
class Column:
    """One column a task reads from its TSV rows.

    Args:
        index: int. 0-based position in a row; -1 is the last column (STS-B's
            score and MNLI's gold_label are last, whatever the file's width).
        header: str or None. The name the header row carries there; None for
            CoLA, whose train and dev files have no header.

    Example:
    ```python
    Column(-1, "gold_label")  # MNLI's label: the last column, whatever the width
    ```
    """

    index: int
    header: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Reported:
    """A figure reported for a task: metric `metric` of the dev set `dev`.

    Args:
        name: str. The name in results.json (e.g. "mismatched_accuracy").
        dev: str. Which dev set: "dev", or an extra one ("mismatched").
        metric: str. The fine-tuning job's metric name on that dev set.
        label: str. How the summary table titles it ("MCC", "Acc", ...).

    Example:
    ```python
    Reported("mismatched_accuracy", "mismatched", "accuracy", "mm")
    ```
    """

    name: str
    dev: str
    metric: str
    label: str


@dataclasses.dataclass(frozen=True)
class GlueTask:
    """One GLUE task's files, layout, labels and metrics.

    Args:
        name: str. The short name used by `--tasks` and in results ("sst2").
        folder: str. Its folder in the GLUE download ("SST-2").
        title: str. Its name in tables ("SST-2").
        text: Column. The (first) sentence.
        text_pair: Column or None. The second sentence of pair tasks.
        label: Column. The label (a class name, or STS-B's 0-5 score).
        label_names: tuple of str, or None for regression (STS-B). Class `i`
            is `label_names[i]`.
        has_header: bool. False only for CoLA's train.tsv and dev.tsv.
        num_columns: int or None. Columns of a headerless file (CoLA: 4); files
            with a header must have the header's width on every row.
        dev_files: tuple of (dev set name, file name). The first is "dev",
            the one the best epoch is chosen on.
        reported: tuple of `Reported`. The first is the key metric: the one
            the best epoch is chosen by and the GLUE score averages.
        in_glue_score: bool. False for WNLI (the paper's dev score leaves it out).
        skip_malformed_rows: bool. True for QQP, whose files hold rows broken
            by newlines inside questions; the references skip them.
        symmetric: bool. The pair's order carries no meaning (MRPC, STS-B):
            the reference trains on both orders (`double_unordered`).
        score_range: (float, float) or None. Valid regression labels.

    Example:
    ```python
    task = TASKS["mrpc"]
    task.key.name, task.label_names  # "accuracy", ("0", "1")
    ```
    """

    name: str
    folder: str
    title: str
    text: Column
    text_pair: Optional[Column]
    label: Column
    label_names: Optional[Tuple[str, ...]]
    has_header: bool = True
    num_columns: Optional[int] = None
    dev_files: Tuple[Tuple[str, str], ...] = (("dev", "dev.tsv"),)
    reported: Tuple[Reported, ...] = (Reported("accuracy", "dev", "accuracy", "Acc"),)
    in_glue_score: bool = True
    skip_malformed_rows: bool = False
    symmetric: bool = False
    score_range: Optional[Tuple[float, float]] = None

    @property
    def regression(self):
        return self.label_names is None

    @property
    def key(self):
        """The key `Reported` metric (best epoch, median, GLUE score)."""
        return self.reported[0]

    @property
    def train_file(self):
        return "train.tsv"

    @property
    def files(self):
        """Every file the runner reads, relative to the task folder."""
        return (self.train_file,) + tuple(name for _, name in self.dev_files)


_ACCURACY = Reported("accuracy", "dev", "accuracy", "Acc")
_F1 = Reported("f1", "dev", "f1", "F1")
_ENTAILMENT = ("entailment", "not_entailment")

TASKS = {
    "cola": GlueTask(
        name="cola", folder="CoLA", title="CoLA",
        # source, label, the original annotator's mark, sentence; no header.
        text=Column(3), text_pair=None, label=Column(1), label_names=("0", "1"),
        has_header=False, num_columns=4,
        reported=(Reported("matthews_corrcoef", "dev", "matthews_corrcoef", "MCC"),)),
    "sst2": GlueTask(
        name="sst2", folder="SST-2", title="SST-2",
        text=Column(0, "sentence"), text_pair=None, label=Column(1, "label"),
        label_names=("0", "1")),
    "mrpc": GlueTask(
        name="mrpc", folder="MRPC", title="MRPC",
        text=Column(3, "#1 String"), text_pair=Column(4, "#2 String"),
        label=Column(0, "Quality"), label_names=("0", "1"),
        reported=(_ACCURACY, _F1), symmetric=True),
    "stsb": GlueTask(
        name="stsb", folder="STS-B", title="STS-B",
        text=Column(7, "sentence1"), text_pair=Column(8, "sentence2"),
        label=Column(-1, "score"), label_names=None, score_range=(0.0, 5.0),
        reported=(Reported("spearman", "dev", "spearman", "Spearman"),
                  Reported("pearson", "dev", "pearson", "Pearson")),
        symmetric=True),
    "qqp": GlueTask(
        name="qqp", folder="QQP", title="QQP",
        text=Column(3, "question1"), text_pair=Column(4, "question2"),
        label=Column(5, "is_duplicate"), label_names=("0", "1"),
        reported=(_ACCURACY, _F1), skip_malformed_rows=True),
    "mnli": GlueTask(
        name="mnli", folder="MNLI", title="MNLI",
        # train.tsv has 12 columns, the dev files 16 (five annotator labels):
        # gold_label is last in both.
        text=Column(8, "sentence1"), text_pair=Column(9, "sentence2"),
        label=Column(-1, "gold_label"),
        label_names=("contradiction", "entailment", "neutral"),
        dev_files=(("dev", "dev_matched.tsv"), ("mismatched", "dev_mismatched.tsv")),
        reported=(Reported("matched_accuracy", "dev", "accuracy", "m"),
                  Reported("mismatched_accuracy", "mismatched", "accuracy", "mm"))),
    "qnli": GlueTask(
        name="qnli", folder="QNLI", title="QNLI",
        text=Column(1, "question"), text_pair=Column(2, "sentence"),
        label=Column(3, "label"), label_names=_ENTAILMENT),
    "rte": GlueTask(
        name="rte", folder="RTE", title="RTE",
        text=Column(1, "sentence1"), text_pair=Column(2, "sentence2"),
        label=Column(3, "label"), label_names=_ENTAILMENT),
    "wnli": GlueTask(
        name="wnli", folder="WNLI", title="WNLI",
        text=Column(1, "sentence1"), text_pair=Column(2, "sentence2"),
        label=Column(3, "label"), label_names=("0", "1"), in_glue_score=False),
}

# Other spellings users type: the folder names and the reference's names.
_ALIASES = {"sst-2": "sst2", "sst": "sst2", "sts-b": "stsb", "sts": "stsb"}


def parse_task_names(text):
    """Task names from a comma-separated string, in GLUE's order.

    Args:
        text: str. E.g. "cola,rte"; "all" (or empty) for the nine tasks.
            Folder names ("SST-2") and the reference's names ("sts") work too.

    Returns:
        list of str: keys of `TASKS`, in the order of `TASKS`, no repeats.

    Example:
    ```python
    parse_task_names("RTE, cola")  # ["cola", "rte"]
    ```
    """
    names = [part.strip().lower() for part in (text or "").split(",") if part.strip()]
    if not names or names == ["all"]:
        return list(TASKS)
    chosen = set()
    for name in names:
        key = _ALIASES.get(name, name)
        if key not in TASKS:
            raise UsageError(f"unknown GLUE task {name!r}; the tasks are "
                             f"{', '.join(TASKS)} (or 'all').")
        chosen.add(key)
    return [name for name in TASKS if name in chosen]
