"""Reading labelled examples from CSV, TSV (GLUE's own files) and JSONL."""

import csv
import json
import os
import sys

from electra_tf.errors import UsageError

FORMATS = ("csv", "tsv", "jsonl")


def detect_format(path, format=None):
    if format:
        if format not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {format!r}.")
        return format
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension in ("json", "jsonl", "ndjson"):
        return "jsonl"
    if extension in FORMATS:
        return extension
    raise UsageError(f"cannot tell the format of {path!r} from its extension; pass --format.")


def read_rows(path, format=None):
    """Rows of a labelled file as dicts (column name -> str value).

    CSV and TSV need a header row (GLUE's files have one); TSV is read without
    quote handling, as GLUE's TSVs contain bare quotes.
    """
    if not os.path.isfile(path):
        raise UsageError(f"data file {path!r} does not exist.")
    format = detect_format(path, format)
    csv.field_size_limit(sys.maxsize)
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        if format == "jsonl":
            for number, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as error:
                        raise UsageError(f"{path}:{number} is not valid JSON: {error}") from None
        else:
            reader = csv.DictReader(f, delimiter="\t" if format == "tsv" else ",",
                                    quoting=csv.QUOTE_NONE if format == "tsv" else csv.QUOTE_MINIMAL)
            rows = list(reader)
    if not rows:
        raise UsageError(f"data file {path!r} holds no examples.")
    return rows


def column(rows, name, path):
    """The values of column `name` (a header name or a 0-based index)."""
    keys = list(rows[0].keys())
    if name not in keys:
        if str(name).isdigit() and int(name) < len(keys):
            name = keys[int(name)]
        else:
            raise UsageError(
                f"{path!r} has no column {name!r}; its columns are: {', '.join(map(str, keys))}. "
                "Set --text_column/--text_pair_column/--label_column.")
    values = [row.get(name) for row in rows]
    missing = [i for i, v in enumerate(values) if v is None]
    if missing:
        raise UsageError(f"{path!r}: row {missing[0] + 2} has no value in column {name!r}.")
    return [str(v) if not isinstance(v, str) else v for v in values]
