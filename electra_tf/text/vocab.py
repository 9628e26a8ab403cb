"""WordPiece vocabularies: learn one from text, or load and check a `vocab.txt`."""

import collections
import hashlib
import os

import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.text.normalization import normalize_text
from electra_tf.text.special_tokens import SPECIAL_TOKENS


def load_vocab(path):
    """Reads a BERT-format vocabulary (one token a line; id = line number).

    Args:
        path: str. The `vocab.txt` file.

    Returns:
        list of str tokens.

    Raises:
        UsageError: the file is missing, not UTF-8, has duplicate tokens or
            lacks one of `[PAD] [UNK] [CLS] [SEP] [MASK]`.
    """
    if not path or not os.path.isfile(path):
        raise UsageError(
            f"vocabulary file {path!r} does not exist. Build one with "
            "`python tools/build_vocab.py --corpus=... --vocab=vocab.txt` or pass "
            "an existing BERT vocab.txt."
        )
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(
            f"vocabulary file {path!r} is not UTF-8 text ({error}). A vocab.txt "
            "holds one WordPiece token per line, UTF-8 encoded."
        ) from None
    text = text.lstrip("\ufeff")
    # Only line ends are stripped: a token is everything else on its line.
    tokens = [line.rstrip("\r") for line in text.split("\n")]
    if tokens and tokens[-1] == "":
        tokens.pop()
    if not tokens:
        raise UsageError(f"vocabulary file {path!r} is empty.")
    missing = [t for t in SPECIAL_TOKENS if t not in tokens]
    if missing:
        raise UsageError(
            f"vocabulary file {path!r} lacks the special token(s) "
            f"{' '.join(missing)}. ELECTRA needs all of {' '.join(SPECIAL_TOKENS)}: "
            "add them as lines of the file, or rebuild it with tools/build_vocab.py."
        )
    seen = set()
    for line_number, token in enumerate(tokens, start=1):
        if token in seen:
            raise UsageError(
                f"vocabulary file {path!r} repeats the token {token!r} "
                f"(line {line_number}); every token must appear once."
            )
        seen.add(token)
    return tokens


def write_vocab(tokens, path):
    """Writes tokens one per line (UTF-8, '\\n' line ends)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(token + "\n" for token in tokens))


def vocab_sha256(path):
    """The sha256 of a vocabulary file's bytes: how data files name their vocab."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def count_words(lines, lowercase=True, batch_lines=4096):
    """Counts pre-tokenized words (after BERT normalization) in `lines`.

    Words are split exactly as `ElectraTokenizer` splits them (whitespace,
    punctuation, CJK characters), so the learned pieces are the pieces the
    tokenizer will look for.
    """
    # The tokenizer's splitting rules (`word_split`); keras-hub's public
    # trainer has no way to bound the learner's threshold search (2 minutes on
    # 30 MB), so we count ourselves.
    from electra_tf.text.word_split import split_words_with_offsets

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def split_words(batch):
        words, _, _ = split_words_with_offsets(normalize_text(batch, lowercase))
        return words.flat_values

    counts = collections.Counter()
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == batch_lines:
            counts.update(split_words(batch).numpy().tolist())
            batch = []
    if batch:
        counts.update(split_words(batch).numpy().tolist())
    return {word.decode("utf-8"): count for word, count in counts.items()}


def build_vocab(lines, vocab_size, lowercase=True):
    """Learns a WordPiece vocabulary with tf-text's WordPiece learner.

    Args:
        lines: iterable of str, the training text (e.g. from
            `electra_tf.data.corpus.read_documents`).
        vocab_size: int. Target vocabulary size, special tokens included (the
            learner stops within a few percent of it).
        lowercase: bool. Lowercase and strip accents first (uncased vocab).

    Returns:
        list of str tokens, `[PAD] [UNK] [CLS] [SEP] [MASK]` at ids 0..4.

    Example:
    ```python
    tokens = build_vocab(["The quick brown fox."] * 100, vocab_size=64)
    ```
    """
    from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib

    if vocab_size < len(SPECIAL_TOKENS) + 1:
        raise UsageError(f"vocab_size must exceed {len(SPECIAL_TOKENS)}, got {vocab_size}.")
    counts = count_words(lines, lowercase)
    if not counts:
        raise UsageError("the corpus holds no text to learn a vocabulary from.")
    # The learner binary-searches a count threshold; words rarer than the
    # (vocab_size / 10)-th most frequent one bound it from above, which halves
    # the search without changing its result.
    ranked = sorted(counts.values(), reverse=True)
    upper = max(3, ranked[min(len(ranked) - 1, vocab_size // 10)])
    tokens = wordpiece_tokenizer_learner_lib.learn(
        list(counts.items()),
        vocab_size=vocab_size,
        reserved_tokens=list(SPECIAL_TOKENS),
        upper_thresh=upper,
        lower_thresh=1,
        include_joiner_token=True,
        joiner="##",
    )
    return tokens[:vocab_size]
