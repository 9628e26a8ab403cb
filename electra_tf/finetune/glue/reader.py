"""Reading GLUE's TSV files exactly as downloaded.

Each task's rows are split on tabs with no quote handling: GLUE's files contain
bare quotes (`"`), which a CSV reader would treat as quoting and so merge rows.
A row ends at "\\n" only (a trailing "\\r" is dropped); a byte-order mark at the
start of a file (MRPC's header carries one in some copies) is ignored.

Every row must have the header's number of columns (CoLA, headerless: 4), the
header must name the task's columns where the task reads them, and every label
must be one of the task's labels: anything else is a `UsageError` naming
`file:line`. The one exception is QQP, whose files hold rows broken apart by
newlines inside questions: those rows are skipped, as the reference
implementations do (they drop a row that fails to index), and counted.
"""

import dataclasses
import os
import random
from typing import List
from typing import Optional

from electra_tf.errors import UsageError

DOWNLOAD_HINT = ("the GLUE folder as written by the standard download script "
                 "(download_glue_data.py)")


@dataclasses.dataclass
class GlueSplit:
    """One file of a task: texts, optional second texts, labels.

    Args:
        path: str. The file it was read from.
        texts: list of str.
        text_pairs: list of str, or None for single-sentence tasks.
        labels: list of str (class names) or of float (STS-B scores).
        skipped_lines: list of int. 1-based line numbers of malformed rows
            that were skipped (QQP only).

    Example:
    ```python
    split = read_split(TASKS["rte"], "glue_data/RTE/dev.tsv")
    split.texts[0], split.text_pairs[0], split.labels[0]
    ```
    """

    path: str
    texts: List[str]
    text_pairs: Optional[List[str]]
    labels: list
    skipped_lines: List[int] = dataclasses.field(default_factory=list)

    def __len__(self):
        return len(self.texts)

    def sample(self, count, seed=0):
        """At most `count` examples, drawn at random but the same on every run.

        A random draw rather than the first rows: several GLUE files are
        ordered (CoLA by source, for one), so their first rows are not
        representative.

        Args:
            count: int or None. None (or at least `len(self)`) keeps all.
            seed: int. Fixes the draw.

        Returns:
            `GlueSplit`, in file order.

        Example:
        ```python
        quick = split.sample(500)
        ```
        """
        if count is None or count >= len(self):
            return self
        keep = sorted(random.Random(seed).sample(range(len(self)), count))
        pick = lambda values: None if values is None else [values[i] for i in keep]
        return dataclasses.replace(self, texts=pick(self.texts),
                                   text_pairs=pick(self.text_pairs), labels=pick(self.labels))

    def scaled(self, factor):
        """The split with its (regression) labels multiplied by `factor`.

        Example:
        ```python
        unit = stsb_train.scaled(1 / 5)  # scores in [0, 1], as the reference trains
        ```
        """
        return dataclasses.replace(self, labels=[label * factor for label in self.labels])

    def with_both_orders(self):
        """The examples, then each pair again with its two texts swapped.

        The reference's `double_unordered` for tasks whose pair order means
        nothing (MRPC, STS-B): twice the training pairs, same labels.

        Returns:
            `GlueSplit` of twice the length.

        Example:
        ```python
        train = read_split(TASKS["mrpc"], "glue_data/MRPC/train.tsv").with_both_orders()
        ```
        """
        if self.text_pairs is None:
            raise ValueError(f"{self.path}: single sentences have no order to swap.")
        return dataclasses.replace(self, texts=self.texts + self.text_pairs,
                                   text_pairs=self.text_pairs + self.texts,
                                   labels=self.labels + self.labels)


@dataclasses.dataclass
class GlueData:
    """A task's training file and its dev file(s).

    Args:
        task: `GlueTask`.
        train: `GlueSplit`.
        dev: dict of dev set name ("dev", MNLI also "mismatched") -> `GlueSplit`.

    Example:
    ```python
    data = read_task(TASKS["mnli"], "glue_data")
    len(data.train), len(data.dev["dev"]), len(data.dev["mismatched"])
    ```
    """

    task: object
    train: GlueSplit
    dev: dict


def task_paths(task, glue_dir):
    """Where `task`'s files are under `glue_dir`.

    Args:
        task: `GlueTask`.
        glue_dir: str. The folder holding CoLA/, SST-2/, ...

    Returns:
        dict of file name -> path, for every file the task reads.

    Example:
    ```python
    task_paths(TASKS["mnli"], "glue_data")["dev_matched.tsv"]  # "glue_data/MNLI/dev_matched.tsv"
    ```
    """
    folder = os.path.join(glue_dir, task.folder)
    return {name: os.path.join(folder, name) for name in task.files}


def check_task_files(task, glue_dir):
    """Raises a `UsageError` naming the folder and file when one is missing.

    Args:
        task: `GlueTask`.
        glue_dir: str. The folder holding CoLA/, SST-2/, ...

    Example:
    ```python
    for name in ("cola", "rte"):
        check_task_files(TASKS[name], "glue_data")
    ```
    """
    folder = os.path.join(glue_dir, task.folder)
    if not os.path.isdir(folder):
        raise UsageError(
            f"GLUE task {task.title}: folder {folder!r} does not exist (expected "
            f"{', '.join(task.files)} in it, {DOWNLOAD_HINT}). Use --tasks to run only the "
            "tasks you have.")
    for name, path in task_paths(task, glue_dir).items():
        if not os.path.isfile(path):
            raise UsageError(f"GLUE task {task.title}: {path!r} does not exist (the "
                             f"{task.folder} folder should hold {', '.join(task.files)}).")


def read_task(task, glue_dir):
    """Reads a task's train and dev files from a GLUE download folder.

    Args:
        task: `GlueTask`.
        glue_dir: str. The folder holding CoLA/, SST-2/, ...

    Returns:
        `GlueData`.

    Example:
    ```python
    data = read_task(TASKS["mnli"], "glue_data")
    len(data.dev["mismatched"])  # 9832
    ```
    """
    check_task_files(task, glue_dir)
    paths = task_paths(task, glue_dir)
    train = read_split(task, paths[task.train_file])
    dev = {name: read_split(task, paths[file_name]) for name, file_name in task.dev_files}
    return GlueData(task=task, train=train, dev=dev)


def read_split(task, path):
    """Reads one of `task`'s train/dev TSV files in its GLUE layout.

    Args:
        task: `GlueTask`.
        path: str.

    Returns:
        `GlueSplit`.

    Example:
    ```python
    dev = read_split(TASKS["cola"], "glue_data/CoLA/dev.tsv")
    dev.texts[0], dev.labels[0]
    ```
    """
    texts, pairs, labels, skipped = [], [] if task.text_pair else None, [], []
    width = task.num_columns
    for number, row in _rows(path):
        if width is None:
            _check_header(task, path, row)
            width = len(row)
            continue
        if len(row) != width:
            if task.skip_malformed_rows:
                skipped.append(number)
                continue
            raise UsageError(
                f"{path}:{number}: {len(row)} tab-separated columns where the GLUE "
                f"{task.title} layout has {width}.")
        texts.append(row[task.text.index])
        if pairs is not None:
            pairs.append(row[task.text_pair.index])
        labels.append(_label(task, path, number, row[task.label.index]))
    if not texts:
        raise UsageError(f"{path} holds no {task.title} examples.")
    return GlueSplit(path=path, texts=texts, text_pairs=pairs, labels=labels,
                     skipped_lines=skipped)


def _rows(path):
    """(1-based line number, columns) of each non-empty line."""
    number = 0
    try:
        with open(path, encoding="utf-8-sig", newline="\n") as f:
            for number, line in enumerate(f, start=1):
                line = line.rstrip("\n").rstrip("\r")
                if line:
                    yield number, line.split("\t")
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}:{number + 1}: not UTF-8 text ({error.reason}).") from None


def _check_header(task, path, header):
    for column in (task.text, task.text_pair, task.label):
        if column is None:
            continue
        found = header[column.index] if -len(header) <= column.index < len(header) else None
        if found != column.header:
            where = "the last column" if column.index == -1 else f"column {column.index + 1}"
            raise UsageError(
                f"{path}:1: not the GLUE {task.title} layout: {where} of the header should be "
                f"{column.header!r}, found {found!r} (header: {' | '.join(header)}).")


def _label(task, path, number, raw):
    value = raw.strip()
    if task.regression:
        try:
            score = float(value)
        except ValueError:
            raise UsageError(f"{path}:{number}: the {task.title} score {raw!r} is not a "
                             "number.") from None
        low, high = task.score_range
        if not low <= score <= high:
            raise UsageError(f"{path}:{number}: the {task.title} score {score} is outside "
                             f"[{low}, {high}].")
        return score
    if value not in task.label_names:
        raise UsageError(f"{path}:{number}: label {raw!r} is not a {task.title} label "
                         f"({', '.join(task.label_names)}).")
    return value
