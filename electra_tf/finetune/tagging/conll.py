"""Reading CoNLL-2003 style token-per-line files for tagging tasks (NER, chunking).

```
-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
```

One token per line, columns separated by whitespace, a blank line between
sentences. `-DOCSTART-` lines (document separators) are skipped. By default
the token is the first column and the tag the last; both are configurable.
Tags must be `O` or `<B|I|E|S>-<TYPE>`: BIO (IOB2), IOB1 and IOBES files all
read, and entity F1 (`seqeval_metrics`) handles each.
"""

import dataclasses
import os

from electra_tf.errors import UsageError
from electra_tf.finetune.tagging.seqeval_metrics import split_tag

DOCSTART = "-DOCSTART-"


@dataclasses.dataclass
class ConllSentence:
    """One sentence of a CoNLL file.

    Args:
        words: list of str.
        tags: list of str, one per word.
        line: int. 1-based line number of the first word (word i is on line + i).
    """

    words: list
    tags: list
    line: int


def _column_index(index, count):
    return index if index >= 0 else count + index


def read_conll(path, token_column=0, tag_column=-1):
    """Reads the sentences of a CoNLL-style file.

    Every token line must have as many columns as the file's first token line,
    and enough for `token_column` and `tag_column`.

    Args:
        path: str.
        token_column: int. Column of the word (negative counts from the end).
        tag_column: int. Column of the tag (default: the last).

    Returns:
        list of `ConllSentence`.

    Raises:
        UsageError: missing or empty file, not UTF-8, a line with the wrong
            number of columns, or a tag that is not `O`/`B-`/`I-`/`E-`/`S-`,
            each naming `path:line`.

    Example:
    ```python
    sentences = read_conll("conll2003/train.txt")  # columns: word POS chunk NER
    chunks = read_conll("conll2003/train.txt", tag_column=2)
    sentences[0].words, sentences[0].tags
    ```
    """
    if not os.path.isfile(path):
        raise UsageError(f"data file {path!r} does not exist.")
    sentences, words, tags, first_line = [], [], [], None
    columns = None  # fixed by the first token line

    def close():
        if words:
            sentences.append(ConllSentence(list(words), list(tags), first_line))
            words.clear()
            tags.clear()

    try:
        with open(path, encoding="utf-8-sig") as f:
            for number, line in enumerate(f, start=1):
                fields = line.split()
                if not fields:
                    close()
                    continue
                if fields[0] == DOCSTART:
                    close()  # a document boundary is also a sentence boundary
                    continue
                if columns is None:
                    columns = len(fields)
                    needed = max(_column_index(c, columns) for c in (token_column, tag_column))
                    lowest = min(_column_index(c, columns) for c in (token_column, tag_column))
                    if needed >= columns or lowest < 0:
                        raise UsageError(
                            f"{path}:{number}: found {columns} column(s), but the token column "
                            f"is {token_column} and the tag column {tag_column}. Lines should "
                            "read e.g. 'EU NNP B-NP B-ORG' (word first, tag last); pass the "
                            "right column indices.")
                elif len(fields) != columns:
                    raise UsageError(
                        f"{path}:{number}: expected {columns} whitespace-separated columns "
                        f"(as on the file's first token line) but found {len(fields)}: "
                        f"{line.strip()[:80]!r}. Tokens cannot contain spaces; sentences are "
                        "separated by blank lines.")
                tag = fields[tag_column]
                try:
                    split_tag(tag)
                except ValueError:
                    raise UsageError(
                        f"{path}:{number}: tag {tag!r} (column {tag_column}) is not O or "
                        "B-/I-/E-/S-<TYPE>. BIO, IOB1 and IOBES tags are supported (convert "
                        "BILOU: L- -> E-, U- -> S-); check --tag_column.") from None
                if not words:
                    first_line = number
                words.append(fields[token_column])
                tags.append(tag)
    except UnicodeDecodeError as error:
        raise UsageError(f"{path!r} is not UTF-8 text ({error}).") from None
    close()
    if not sentences:
        raise UsageError(f"data file {path!r} holds no sentences (expected one token and "
                         "its tag per line, blank lines between sentences).")
    return sentences


def tag_labels(sentences):
    """The label list of a training file: "O" first, then by type and prefix.

    Example:
    ```python
    tag_labels(read_conll("train.txt"))  # ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']
    ```
    """
    order = {prefix: i for i, prefix in enumerate("BIES")}
    tags = {tag for sentence in sentences for tag in sentence.tags}
    entity_tags = sorted(tags - {"O"}, key=lambda t: (split_tag(t)[1], order[t[0]]))
    return ["O"] + entity_tags


def tag_scheme(labels):
    """"IOBES" if any label has an E- or S- prefix, else "IOB" (BIO or IOB1)."""
    return "IOBES" if any(label[0] in "ES" for label in labels if label != "O") else "IOB"


def check_known_tags(sentences, labels, path):
    """Raises `UsageError` naming `path:line` for the first tag not in `labels`.

    A dev tag the training file never has cannot be predicted; that is almost
    always a wrong column or a mismatched pair of files.
    """
    known = set(labels)
    for sentence in sentences:
        for offset, tag in enumerate(sentence.tags):
            if tag not in known:
                raise UsageError(
                    f"{path}:{sentence.line + offset}: tag {tag!r} does not occur in the "
                    f"training file (its tags: {', '.join(labels)}). Check that both files "
                    "use the same tag set and --tag_column.")
