"""Reading pretraining text: globs of `.txt`/`.gz` files, one sentence or
paragraph a line, a blank line between documents.

What a user's files can hold, and what we do with it:
- CRLF line ends and a UTF-8 byte-order mark: handled silently.
- Invalid UTF-8 bytes inside an otherwise-text file: dropped, and counted in
  `CorpusStats.invalid_bytes` (reported by the tools and in metadata.json).
  We skip rather than refuse because real crawled text nearly always holds a
  few such bytes, and one bad byte should not stop a day-long data job.
- A file that is not text at all (NUL bytes or mostly invalid UTF-8 at its
  start, e.g. a `.png`): refused with `UsageError` naming the file.
- A very long line (say 10 MB with no newline): read in bounded pieces cut at
  whitespace, each piece a line of the same document, so memory stays flat.
"""

import dataclasses
import glob
import gzip
import os

from electra_tf.errors import UsageError

# Longest piece of a line we hold at once; longer lines are cut at whitespace.
MAX_LINE_BYTES = 1 << 16
_SNIFF_BYTES = 8192


@dataclasses.dataclass
class CorpusStats:
    """Counts gathered while reading (summed across files)."""

    files: int = 0
    documents: int = 0
    lines: int = 0
    bytes: int = 0
    invalid_bytes: int = 0
    split_lines: int = 0

    def add(self, other):
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def expand_globs(patterns):
    """Sorted, de-duplicated files matching comma-separated globs or a list of them.

    Raises:
        UsageError: a pattern matches nothing, or matches only directories.
    """
    if isinstance(patterns, str):
        patterns = [patterns]
    files = []
    for pattern in patterns:
        for part in str(pattern).split(","):
            part = part.strip()
            if not part:
                continue
            matches = sorted(p for p in glob.glob(os.path.expanduser(part)) if os.path.isfile(p))
            if not matches:
                raise UsageError(
                    f"input pattern {part!r} matches no file. Check the path, or quote "
                    "the glob so the shell does not expand it."
                )
            files.extend(matches)
    if not files:
        raise UsageError("no input files were given.")
    return list(dict.fromkeys(files))


def _open_binary(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def check_is_text(path):
    """Refuses a file whose first bytes are not UTF-8 text.

    Raises:
        UsageError: naming the file, for NUL bytes or a high share of invalid
            UTF-8 in the first 8 KiB (or an unreadable gzip stream).
    """
    try:
        with _open_binary(path) as f:
            head = f.read(_SNIFF_BYTES)
    except (OSError, EOFError) as error:
        raise UsageError(f"cannot read {path!r}: {error}") from None
    if b"\x00" in head:
        raise UsageError(
            f"{path!r} is not a text file (it holds NUL bytes; binary data such as an "
            "image?). Pass UTF-8 text files: one sentence per line, blank lines between documents."
        )
    decoded = head.decode("utf-8", errors="replace")
    bad = decoded.count("\ufffd") - head.count("\ufffd".encode("utf-8"))
    # The sniffed block may end inside a multi-byte character: allow a few.
    if head and bad > max(3, len(head) // 10):
        raise UsageError(
            f"{path!r} does not look like UTF-8 text ({bad} invalid bytes in its first "
            f"{len(head)}). Convert it to UTF-8 first, e.g. `iconv -f latin1 -t utf-8`."
        )


def _decode(raw, stats):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        stats.invalid_bytes += text.count("\ufffd") - raw.count("\ufffd".encode("utf-8"))
        return text.replace("\ufffd", "")


def _utf8_boundary(data):
    """len(data), or less so that no multi-byte UTF-8 character is cut in two."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            break
        if byte >= 0xC0:  # the lead byte of the last character
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) - back if needed > back else len(data)
    return len(data)


def _iter_raw_lines(f, stats, max_line_bytes):
    """Yields byte lines without their line end; over-long lines come in pieces."""
    carry = b""
    while True:
        chunk = f.readline(max_line_bytes)
        if not chunk:
            if carry:
                yield carry.rstrip(b"\r")
            return
        if chunk.endswith(b"\n"):
            yield (carry + chunk).rstrip(b"\r\n")
            carry = b""
            continue
        data = carry + chunk
        if len(chunk) < max_line_bytes:  # last line of the file, no newline
            carry = data
            continue
        # A line longer than we hold at once: cut at the last whitespace so no
        # word (or UTF-8 character) is broken; a piece without any whitespace is
        # cut before a UTF-8 continuation byte.
        cut = max(data.rfind(b" "), data.rfind(b"\t"))
        if cut <= 0:
            cut = _utf8_boundary(data)
        stats.split_lines += 1
        yield data[:cut]
        carry = data[cut:].lstrip(b" \t")


def read_documents(files, stats=None, max_line_bytes=MAX_LINE_BYTES):
    """Yields documents (lists of non-empty str lines) from text files.

    Documents end at blank lines and at the end of each file.

    Args:
        files: list of paths (`.gz` files are decompressed).
        stats: optional `CorpusStats` to fill in.
        max_line_bytes: int. Lines longer than this are cut into pieces.

    Yields:
        list of str, one document's lines, stripped.

    Example:
    ```python
    for document in read_documents(expand_globs("corpus/*.txt")):
        print(len(document), "lines")
    ```
    """
    stats = stats if stats is not None else CorpusStats()
    for path in files:
        check_is_text(path)
        stats.files += 1
        document = []
        first = True
        try:
            with _open_binary(path) as f:
                for raw in _iter_raw_lines(f, stats, max_line_bytes):
                    stats.bytes += len(raw) + 1
                    line = _decode(raw, stats)
                    if first:
                        line = line.lstrip("\ufeff")
                        first = False
                    line = line.strip()
                    if line:
                        document.append(line)
                        stats.lines += 1
                    elif document:
                        stats.documents += 1
                        yield document
                        document = []
        except (OSError, EOFError) as error:
            raise UsageError(f"cannot read {path!r}: {error}") from None
        if document:
            stats.documents += 1
            yield document


def corpus_bytes(files):
    """Total size on disk of `files` (compressed size for `.gz`)."""
    return sum(os.path.getsize(path) for path in files)
