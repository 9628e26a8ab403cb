"""Replaced-token detection on your own sentences: what the discriminator learned.

`ReplacedTokenDetector` runs the discriminator of a pretraining run, either
restored from the run's `model_dir` or loaded from its export (the
`discriminator/<version>/` SavedModel of `tools/export.py`, found by
`electra_tf.export.export_layout.locate_export`), on raw sentences and gives
every wordpiece the probability that it is not the original. The two sources
are two `DetectorBackend`s behind the same interface.
`corrupt_and_detect` first lets the generator replace some wordpieces, as
pretraining does, so the discriminator's verdicts can be checked against the
truth. `format_detection`, `format_corruption` and `summary_line` render the
results for a terminal.

Example:
```python
detector = ReplacedTokenDetector.from_saved_model("exports")
for pieces in detector.detect(["The movie was great.", "The movie was car."]):
    print(format_detection(pieces, threshold=0.5))
# the(0.02) movie(0.05) was(0.03) great(0.11) .(0.01)
# the(0.02) movie(0.04) was(0.06) *car*(0.87) .(0.01)
```
"""

import abc
import difflib
import math
import os
import typing

import numpy as np
import tensorflow as tf

from electra_tf.errors import UsageError
from electra_tf.export.export_layout import DISCRIMINATOR
from electra_tf.export.export_layout import GENERATOR
from electra_tf.export.export_layout import is_export
from electra_tf.export.export_layout import locate_export
from electra_tf.text import special_tokens

# `ElectraPretrainer.step_seed` streams: 0 is training, 1 evaluation; the
# demo's draws must not repeat either.
DEMO_SEED_STREAM = 2
# Fraction of the tokens ([CLS]/[SEP] counted, as in pretraining) the export
# path hands to the generator; a model_dir uses its own config.mask_prob.
EXPORT_MASK_PROB = 0.15
# Sentences per model call: bounds memory whatever the number of sentences.
BATCH_SIZE = 64
# Single characters tried, in order, to write an [UNK] piece back as text that
# tokenizes to [UNK] again (the original characters are not known).
_UNK_PROBES = ("\u2603", "\U0001F0A1", "\u2318", "\U0001F9FF", "\u0E3F", "\u29D3")
_SPECIAL = frozenset(special_tokens.SPECIAL_TOKENS)


class CorruptedToken(typing.NamedTuple):
    """One wordpiece of a sentence after `corrupt_and_detect`.

    Args:
        original: str. The wordpiece of the input sentence.
        written: str. The wordpiece the discriminator was given: what the
            generator wrote where `chosen`, else `original`.
        chosen: bool. Handed to the generator (it may write the original back).
        replaced: bool. `written != original`: the truth the discriminator
            should find.
        probability: float. The discriminator's p(replaced); NaN when the
            piece was cut off by re-tokenization (export path only).
        seen_as: str or None. Export path only: the wordpiece(s) the
            discriminator actually saw here when re-tokenizing the rebuilt
            text split this span differently; None when it saw `written`.
    """

    original: str
    written: str
    chosen: bool
    replaced: bool
    probability: float
    seen_as: typing.Optional[str] = None


def _batches(sentences):
    return [sentences[start:start + BATCH_SIZE] for start in range(0, len(sentences), BATCH_SIZE)]


def _as_sentence_list(sentences):
    if isinstance(sentences, (str, bytes)):
        sentences = [sentences]
    return [s.decode("utf-8", errors="replace") if isinstance(s, bytes) else str(s)
            for s in sentences]


def _real_positions(padding_mask_row):
    """The positions of the sentence's own pieces: after [CLS], before the final [SEP].

    By position, not by id: text never tokenizes to a special token (a
    literal "[SEP]" is split into "[", "sep", "]"), and the export path only
    has the pieces as strings.
    """
    return range(1, int(np.sum(padding_mask_row)) - 1)


def _decode(piece):
    return piece.decode("utf-8", errors="replace") if isinstance(piece, bytes) else str(piece)


def render_pieces(pieces, unk_text=special_tokens.UNK):
    """Wordpieces back to text the tokenizer splits into the same pieces.

    A "##" piece is glued to the one before it, every other piece starts a
    new word. Re-tokenizing gives the same pieces for every word that is
    unchanged (WordPiece is deterministic per word); a word whose pieces were
    replaced may split differently.

    Args:
        pieces: list of str.
        unk_text: str written for an "[UNK]" piece.

    Returns:
        str.

    Example:
    ```python
    render_pieces(["the", "act", "##ing", "[MASK]", "."])  # "the acting [MASK] ."
    ```
    """
    parts = []
    for piece in pieces:
        if piece.startswith("##"):
            parts.append(piece[2:])
            continue
        if parts:
            parts.append(" ")
        parts.append(unk_text if piece == special_tokens.UNK else piece)
    return "".join(parts)


class DetectorBackend(abc.ABC):
    """What `ReplacedTokenDetector` runs on: a loaded discriminator (and generator).

    Two implementations: `KerasModelBackend` (a model_dir's `ElectraPretrainer`
    restored in memory) and `SavedModelBackend` (an export's SavedModels). The
    detector only batches the sentences and calls these two methods, so a new
    source (a LiteRT file, a remote server) is one more subclass.

    Attributes:
        description: str. What is loaded, shown to the user.

    Example:
    ```python
    class EveryPieceReplaced(DetectorBackend):
        description = "a stub"

        def detect(self, texts):
            return [[(word, 1.0) for word in text.split()] for text in texts]

        def corrupt(self, batches, seed):
            raise NotImplementedError

    ReplacedTokenDetector(EveryPieceReplaced()).detect(["a b"])  # [[("a", 1.0), ("b", 1.0)]]
    ```
    """

    description = ""

    @abc.abstractmethod
    def detect(self, texts):
        """p(replaced) for every wordpiece of one batch of texts.

        Args:
            texts: list of str, at most `BATCH_SIZE`.

        Returns:
            list (one per text) of lists of `(wordpiece, probability)`,
            without [CLS]/[SEP]/padding.
        """

    @abc.abstractmethod
    def corrupt(self, batches, seed):
        """Lets the generator replace some wordpieces, then runs the discriminator.

        Takes every batch at once because each backend spreads `seed` over
        the batches its own way (a per-batch stateless seed, or one numpy
        generator drawn in sequence).

        Args:
            batches: list of lists of str, each at most `BATCH_SIZE` texts.
            seed: int.

        Returns:
            list (one per text, in order) of lists of `CorruptedToken`.
        """


class KerasModelBackend(DetectorBackend):
    """The pretrainer of a model_dir, restored from a checkpoint; tokenizes in the graph.

    Args:
        model_dir: str. A run of tools/pretrain.py.
        checkpoint: str or None. A ckpt-N prefix; None takes the latest.
        sequence_length: int or None. None: the run's max_seq_length.

    Example:
    ```python
    backend = KerasModelBackend("runs/electra_tiny", None, None)
    backend.detect(["The movie was car."])
    ```
    """

    def __init__(self, model_dir, checkpoint, sequence_length):
        from electra_tf.text.packing import TextPacker
        from electra_tf.training.model_dir import load_pretrainer

        self.model, self.tokenizer, self.config, self.checkpoint = load_pretrainer(
            model_dir, checkpoint)
        length = int(sequence_length or self.config.max_seq_length)
        if not 8 <= length <= self.config.max_position_embeddings:
            raise UsageError(f"sequence_length must be in [8, "
                             f"{self.config.max_position_embeddings}], got {length}.")
        self.packer = TextPacker(self.tokenizer, length)
        self.vocabulary = np.array(self.tokenizer.get_vocabulary(), dtype=object)
        self.description = f"checkpoint {self.checkpoint}"

    def _pack(self, texts):
        return self.packer(tf.constant(texts, tf.string))

    def detect(self, texts):
        from electra_tf.models.discriminator import replaced_token_detection

        batch = self._pack(texts)
        probs = replaced_token_detection(
            self.model.discriminator, self.model.discriminator_head, batch
        )["replaced_probability"].numpy()
        ids = batch["token_ids"].numpy()
        mask = batch["padding_mask"].numpy()
        return [[(self.vocabulary[ids[b, p]], float(probs[b, p])) for p in _real_positions(mask[b])]
                for b in range(len(texts))]

    def corrupt(self, batches, seed):
        results = []
        for index, texts in enumerate(batches):
            results.extend(self._corrupt_batch(texts, seed, index))
        return results

    def _corrupt_batch(self, texts, seed, batch_index):
        batch = self._pack(texts)
        step_seed = tf.random.experimental.stateless_fold_in(
            self.model.step_seed(seed, stream=DEMO_SEED_STREAM), batch_index)
        outputs = self.model.compute_outputs(batch, step_seed, training=False)
        original = batch["token_ids"].numpy()
        mask = batch["padding_mask"].numpy()
        written = outputs["disc_input_ids"].numpy()
        labels = outputs["disc_labels"].numpy()
        probs = outputs["disc_probs"].numpy()
        positions = outputs["masked_positions"].numpy()
        weights = outputs["masked_weights"].numpy()
        results = []
        for b in range(len(texts)):
            chosen = set(positions[b][weights[b] > 0].tolist())
            results.append([
                CorruptedToken(
                    original=self.vocabulary[original[b, p]],
                    written=self.vocabulary[written[b, p]],
                    chosen=p in chosen,
                    replaced=bool(labels[b, p]),
                    probability=float(probs[b, p]),
                )
                for p in _real_positions(mask[b])
            ])
        return results


class SavedModelBackend(DetectorBackend):
    """The discriminator (and, for corruption, generator) SavedModels of an export.

    Imports only TensorFlow and the tf-text ops: no Keras model is built.

    Args:
        path: str. What `locate_export` accepts: the export folder, its
            `discriminator/` folder, or one SavedModel version folder.

    Example:
    ```python
    backend = SavedModelBackend("exports")
    backend.detect(["The movie was car."])
    ```
    """

    def __init__(self, path):
        import tensorflow_text  # noqa: F401  registers the tf-text ops the graphs use

        self.discriminator_dir, self.generator_dir = locate_export(path)
        self._discriminator_module, self._detect = _load_signature(
            self.discriminator_dir, "serving_default", "replaced_probability", DISCRIMINATOR)
        self._generator_module, self._fill_mask = None, None
        self._unk_text = None
        self.description = f"SavedModel {self.discriminator_dir}"

    def detect(self, texts):
        outputs = self._detect(text=tf.constant(texts, tf.string))
        tokens = outputs["tokens"].numpy()
        probs = outputs["replaced_probability"].numpy()
        mask = outputs["padding_mask"].numpy()
        return [[(_decode(tokens[b, p]), float(probs[b, p])) for p in _real_positions(mask[b])]
                for b in range(len(texts))]

    def _generator(self):
        if self._fill_mask is None:
            if self.generator_dir is None:
                raise UsageError(
                    f"no {GENERATOR}/<version>/ SavedModel beside {self.discriminator_dir!r}: "
                    "corrupting needs the generator (tools/export.py writes both).")
            self._generator_module, self._fill_mask = _load_signature(
                self.generator_dir, "fill_mask", "top_probabilities", GENERATOR)
        return self._fill_mask

    def _unk(self):
        """A character the discriminator's tokenizer turns into one [UNK]."""
        if self._unk_text is None:
            probes = self.detect(list(_UNK_PROBES))
            found = [text for text, pieces in zip(_UNK_PROBES, probes)
                     if [piece for piece, _ in pieces] == [special_tokens.UNK]]
            # With none, "[UNK]" is written literally; the alignment copes.
            self._unk_text = found[0] if found else special_tokens.UNK
        return self._unk_text

    def corrupt(self, batches, seed):
        # One generator drawn in sequence: the draws continue across batches.
        rng = np.random.default_rng(seed)
        results = []
        for texts in batches:
            results.extend(self._corrupt_batch(texts, rng))
        return results

    def _corrupt_batch(self, sentences, rng):
        fill_mask = self._generator()
        unk_text = self._unk()
        originals = [[piece for piece, _ in pieces] for pieces in self.detect(sentences)]
        chosen = []
        for pieces in originals:
            # As in pretraining (masking.num_to_predict): round(mask_prob *
            # tokens, [CLS]/[SEP] included), at least 1, at most every piece.
            count = min(len(pieces), max(1, int(np.round(EXPORT_MASK_PROB * (len(pieces) + 2)))))
            chosen.append(sorted(rng.choice(len(pieces), size=count, replace=False).tolist()))
        masked_texts = []
        for pieces, positions in zip(originals, chosen):
            masked = list(pieces)
            for p in positions:
                # A "##" piece's [MASK] stays glued to its word.
                masked[p] = ("##" if pieces[p].startswith("##") else "") + special_tokens.MASK
            masked_texts.append(render_pieces(masked, unk_text))
        predictions = fill_mask(text=tf.constant(masked_texts, tf.string))
        mask_positions = predictions["mask_positions"].numpy()
        top_tokens = predictions["top_tokens"].numpy()
        top_probabilities = predictions["top_probabilities"].numpy()

        written_texts, written_pieces = [], []
        for b, (pieces, positions) in enumerate(zip(originals, chosen)):
            written = list(pieces)
            # The j-th [MASK] of the text is the j-th chosen piece; one cut off
            # by truncation (mask_positions -1) keeps its original.
            for j, p in enumerate(positions):
                if j < mask_positions.shape[1] and mask_positions[b, j] >= 0:
                    written[p] = _sample(top_tokens[b, j], top_probabilities[b, j], rng, pieces[p])
            written_pieces.append(written)
            written_texts.append(render_pieces(written, unk_text))

        results = []
        for pieces, written, positions, seen in zip(
                originals, written_pieces, chosen, self.detect(written_texts)):
            probabilities, seen_as = _align(written, seen)
            chosen_set = set(positions)
            results.append([
                CorruptedToken(original=o, written=w, chosen=i in chosen_set, replaced=o != w,
                               probability=probabilities[i], seen_as=seen_as[i])
                for i, (o, w) in enumerate(zip(pieces, written))
            ])
        return results


def _load_signature(path, name, expected_output, kind):
    """Loads a SavedModel and one of its signatures, checking it is the expected model."""
    try:
        module = tf.saved_model.load(path)
    except (OSError, ValueError, tf.errors.OpError) as error:
        raise UsageError(f"cannot load the SavedModel {path!r}: {error}") from None
    signature = module.signatures.get(name)
    if signature is None or expected_output not in signature.structured_outputs:
        raise UsageError(f"{path!r} is not an electra-tf {kind} export (no {name!r} signature "
                         f"with {expected_output!r}); export with tools/export.py.")
    # The signature alone does not keep the loaded variables alive.
    return module, signature


def _sample(tokens, probabilities, rng, original):
    """One of the generator's top-k, drawn by its renormalized probability.

    Special tokens are left out: they cannot be written back as text. With
    no other candidate the original piece stays.
    """
    tokens = [_decode(token) for token in tokens]
    keep = [i for i, token in enumerate(tokens)
            if token and token not in _SPECIAL and probabilities[i] > 0]
    if not keep:
        return original
    weights = np.asarray([probabilities[i] for i in keep], dtype=np.float64)
    return tokens[keep[rng.choice(len(keep), p=weights / weights.sum())]]


def _align(written, seen):
    """The discriminator's probability for each written piece, after re-tokenization.

    Args:
        written: list of str, the pieces the rebuilt text was made from.
        seen: list of (piece, probability), what the discriminator saw.

    Returns:
        `(probabilities, seen_as)`: per written piece, the probability of the
        seen piece matched to it, or for a span that was split differently
        the highest probability over the seen pieces of that span (NaN if the
        span was truncated away) and those pieces joined by spaces.
    """
    seen_pieces = [piece for piece, _ in seen]
    probabilities = [math.nan] * len(written)
    seen_as = [None] * len(written)
    matcher = difflib.SequenceMatcher(None, written, seen_pieces, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                probabilities[i1 + offset] = seen[j1 + offset][1]
            continue
        span = seen[j1:j2]
        for i in range(i1, i2):
            probabilities[i] = max((p for _, p in span), default=math.nan)
            seen_as[i] = " ".join(piece for piece, _ in span) or "(cut off)"
    return probabilities, seen_as


class ReplacedTokenDetector:
    """Runs an ELECTRA discriminator on raw sentences: p(replaced) per wordpiece.

    Build it with `from_model_dir` (a pretraining run's checkpoint) or
    `from_saved_model` (its export); both give the same probabilities for
    the same weights and sequence length. Sentences longer than the
    sequence length are truncated, as in the exported model.

    `detect` returns only the sentence's own wordpieces: [CLS], [SEP] and
    padding are left out, so an empty sentence gives an empty list.

    Args:
        backend: `DetectorBackend`. What the classmethods build; pass one
            directly for another source.

    Example:
    ```python
    detector = ReplacedTokenDetector.from_model_dir("runs/electra_tiny")
    pieces = detector.detect(["The movie was great."])[0]  # [("the", 0.02), ...]
    print(format_detection(pieces, threshold=0.5))
    corruptions = detector.corrupt_and_detect(["The movie was great."], seed=1)
    print(format_corruption(corruptions[0]))
    print(summary_line(corruptions))
    ```
    """

    def __init__(self, backend):
        if not isinstance(backend, DetectorBackend):
            raise TypeError(f"backend must be a DetectorBackend, got {type(backend).__name__}.")
        self._backend = backend

    @classmethod
    def from_model_dir(cls, model_dir, checkpoint=None, sequence_length=None):
        """Restores the run's pretrainer (generator too, for `corrupt_and_detect`).

        Args:
            model_dir: str. A run of tools/pretrain.py (config.json, vocab.txt, ckpt-N).
            checkpoint: str or None. A ckpt-N prefix; None takes the latest.
            sequence_length: int or None. Tokens per sentence, [CLS]/[SEP]
                included (None: the run's max_seq_length, as tools/export.py).

        Raises:
            UsageError: missing folder, not a model_dir, no checkpoint.

        Example:
        ```python
        detector = ReplacedTokenDetector.from_model_dir(
            "runs/electra_tiny", checkpoint="runs/electra_tiny/ckpt-600")
        ```
        """
        if not os.path.isdir(model_dir):
            raise UsageError(f"{model_dir!r} does not exist (or is not a folder).")
        if is_export(model_dir):
            raise UsageError(f"{model_dir!r} is an export (it holds {DISCRIMINATOR}/<version>/), "
                             "not a pretraining model_dir: load it as a SavedModel "
                             "(--export_dir) instead.")
        return cls(KerasModelBackend(model_dir, checkpoint, sequence_length))

    @classmethod
    def from_saved_model(cls, path):
        """Loads an export of tools/export.py (importing only TensorFlow and tf-text ops).

        Args:
            path: str. The export folder (the highest `discriminator/<version>/`
                is used, and the generator of that version for
                `corrupt_and_detect`), its `discriminator/` folder, or one
                SavedModel version folder.

        Raises:
            UsageError: missing path, no discriminator SavedModel in it.

        Example:
        ```python
        detector = ReplacedTokenDetector.from_saved_model("exports")
        ```
        """
        return cls(SavedModelBackend(path))

    @property
    def description(self):
        """str: what is loaded, e.g. "checkpoint runs/tiny/ckpt-600"."""
        return self._backend.description

    def detect(self, sentences):
        """p(replaced) for every wordpiece of every sentence.

        Args:
            sentences: list of str (a single str is one sentence).

        Returns:
            list (one per sentence) of lists of `(wordpiece, probability)`,
            without [CLS]/[SEP]/padding.

        Example:
        ```python
        detector.detect(["The movie was car."])
        # [[("the", 0.02), ("movie", 0.04), ("was", 0.06), ("car", 0.87), (".", 0.01)]]
        ```
        """
        results = []
        for batch in _batches(_as_sentence_list(sentences)):
            results.extend(self._backend.detect(batch))
        return results

    def corrupt_and_detect(self, sentences, seed=0):
        """Lets the generator replace ~15% of the wordpieces, then runs the discriminator.

        From a model_dir this is exactly one pretraining step's draw
        (`ElectraPretrainer.compute_outputs`, no dropout): positions chosen
        among the non-special tokens, 85% of them shown to the generator as
        [MASK] (the others as themselves), one token sampled from its output
        at each, the discriminator run on the result.

        From an export it is an approximation built on the two signatures:
        round(0.15 x tokens) pieces (never [CLS]/[SEP]) are drawn with a
        seeded numpy RNG and ALL written as "[MASK]" in a text rebuilt from
        the pieces ("##" pieces glued to their word); `fill_mask` gives the
        top-k candidates of each, one is drawn by its renormalized
        probability (special tokens left out); the text is rebuilt with the
        samples and sent to the discriminator. Re-tokenizing a word whose
        pieces changed may split it differently; such pieces report what the
        discriminator saw (`CorruptedToken.seen_as`) and the highest
        probability over it.

        The same sentences, seed and weights give the same result.

        Args:
            sentences: list of str (a single str is one sentence).
            seed: int.

        Returns:
            list (one per sentence) of lists of `CorruptedToken`.

        Example:
        ```python
        tokens = detector.corrupt_and_detect(["The movie was great."], seed=3)[0]
        [t.written for t in tokens if t.replaced]  # e.g. ["film"]
        ```
        """
        return self._backend.corrupt(_batches(_as_sentence_list(sentences)), int(seed))


def _flagged(probability, threshold):
    # NaN (a piece cut off on re-tokenization) is never flagged.
    return probability >= threshold


def format_detection(pieces, threshold=0.5):
    """One sentence's `detect` result as one line: `piece(0.12)`, `*piece*(0.93)` when flagged.

    Args:
        pieces: list of `(wordpiece, probability)` (one element of `detect`'s result).
        threshold: float. Pieces with probability >= threshold are marked.

    Returns:
        str; "(no tokens)" for an empty sentence.

    Example:
    ```python
    format_detection([("the", 0.02), ("car", 0.87)], 0.5)  # "the(0.02) *car*(0.87)"
    ```
    """
    if not pieces:
        return "(no tokens)"
    return " ".join(f"*{piece}*({p:.2f})" if _flagged(p, threshold) else f"{piece}({p:.2f})"
                    for piece, p in pieces)


def _verdict(token, threshold):
    flagged = _flagged(token.probability, threshold)
    if token.replaced:
        return "replaced, caught" if flagged else "replaced, missed"
    return "false alarm" if flagged else ""


def format_corruption(tokens, threshold=0.5):
    """One sentence's `corrupt_and_detect` result as a table, one row per wordpiece.

    Columns: position, original piece, what the generator wrote there (blank
    where the piece was not handed to it), the discriminator's p(replaced),
    and the verdict at `threshold` ("replaced, caught", "replaced, missed",
    "false alarm"). Ends with this sentence's `summary_line`.

    Args:
        tokens: list of `CorruptedToken`.
        threshold: float.

    Returns:
        str (several lines).

    Example:
    ```python
    print(format_corruption(detector.corrupt_and_detect(["A fine film."])[0]))
    ```
    """
    header = ("pos", "original", "generator wrote", "p(replaced)", "verdict")
    rows = []
    for position, token in enumerate(tokens, start=1):
        written = token.written if token.chosen else ""
        if token.seen_as is not None:
            written = f"{written} (seen as: {token.seen_as})".strip()
        rows.append((str(position), token.original, written, f"{token.probability:.2f}",
                     _verdict(token, threshold)))
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join([cell.rjust(widths[0]) if i == 0 else cell.ljust(widths[i])
                        for i, cell in enumerate(row)]).rstrip() for row in [header] + rows]
    lines.append(summary_line([tokens], threshold))
    return "\n".join(lines)


def summary_line(corruptions, threshold=0.5):
    """Counts over `corrupt_and_detect` results: replaced, caught, false alarms.

    Args:
        corruptions: list (per sentence) of lists of `CorruptedToken`.
        threshold: float.

    Returns:
        str, e.g. "replaced 3 of 24 tokens; caught 2 of them at p >= 0.50;
        1 false alarm among the 21 unchanged".

    Example:
    ```python
    print(summary_line(detector.corrupt_and_detect(sentences), threshold=0.5))
    ```
    """
    tokens = [token for sentence in corruptions for token in sentence]
    replaced = [t for t in tokens if t.replaced]
    kept = [t for t in tokens if not t.replaced]
    caught = sum(_flagged(t.probability, threshold) for t in replaced)
    alarms = sum(_flagged(t.probability, threshold) for t in kept)
    return (f"replaced {len(replaced)} of {len(tokens)} tokens; caught {caught} of them at "
            f"p >= {threshold:.2f}; {alarms} false alarm{'' if alarms == 1 else 's'} among the "
            f"{len(kept)} unchanged")
