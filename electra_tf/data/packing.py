"""Packing token ids into ELECTRA pretraining examples (docs/algorithm.md §1).

A port of `ExampleBuilder` in the reference `build_pretraining_dataset.py`:
sentences of one document accumulate until they reach the target length; the
example is `[CLS] A [SEP] B [SEP]`, A taking about half the target; 10% of
examples hold a single segment; after each example the next target length is
a random length in [5, max_seq_length] 5% of the time. Examples never cross a
document boundary. There is no next-sentence prediction.

One departure: a sentence longer than `max_seq_length - 3` tokens is cut into
pieces of that length, each packed as an example of its own (the remainder
continues as a normal sentence). The reference keeps it whole and truncates
the example, throwing the rest of the sentence away; a corpus of very long
lines (or one 10 MB line) would otherwise lose nearly all its text.
"""

import dataclasses
import random

import numpy as np


@dataclasses.dataclass(frozen=True)
class PackedExample:
    """One fixed-length example; all three arrays have `max_seq_length` int32s.

    The fields carry keras-hub's names, like every in-memory batch;
    `example_codec` writes them under Google's on-disk names.
    """

    token_ids: np.ndarray
    padding_mask: np.ndarray
    segment_ids: np.ndarray


class ExampleBuilder:
    """Packs the sentences of documents into fixed-length examples.

    Args:
        max_seq_length: int. Length of every example, special tokens included.
        cls_id, sep_id, pad_id: ints. Special token ids (from the tokenizer:
            they differ between vocabularies).
        rng: `random.Random`. The only source of randomness, so a seed fixes
            the output.

    Example:
    ```python
    builder = ExampleBuilder(128, cls_id=2, sep_id=3, pad_id=0, rng=random.Random(0))
    examples = builder.add_document([[7, 8, 9], [10, 11]])
    ```
    """

    def __init__(self, max_seq_length, cls_id, sep_id, pad_id, rng):
        if max_seq_length < 8:
            raise ValueError(f"max_seq_length must be at least 8, got {max_seq_length}")
        self.max_seq_length = max_seq_length
        self.cls_id = cls_id
        self.sep_id = sep_id
        self.pad_id = pad_id
        self.rng = rng
        self._target_length = max_seq_length
        self._sentences = []
        self._length = 0

    def add_document(self, sentences):
        """Packs one document (a list of token-id lists); returns its examples."""
        examples = []
        piece = self.max_seq_length - 3
        for sentence in sentences:
            sentence = list(sentence)
            if len(sentence) > piece:
                # Whole pieces become examples of their own, so none is trimmed.
                if self._length:
                    examples.append(self._create_example())
                while len(sentence) > piece:
                    self._sentences, self._length = [sentence[:piece]], piece
                    examples.append(self._create_example())
                    sentence = sentence[piece:]
            self._sentences.append(sentence)
            self._length += len(sentence)
            if self._length >= self._target_length:
                examples.append(self._create_example())
        # The end of a document ends the example: none crosses a boundary.
        if self._length:
            examples.append(self._create_example())
        self._sentences, self._length = [], 0
        return examples

    def _create_example(self):
        rng = self.rng
        if rng.random() < 0.1:
            first_target = 100000  # one segment only, as in classification inputs
        else:
            first_target = (self._target_length - 3) // 2  # room for [CLS] A [SEP] B [SEP]
        first, second = [], []
        for sentence in self._sentences:
            # A sentence joins A if A is empty, if it fits A's target, or (half
            # the time) if it is the first to overflow A and B is still empty.
            if (
                not first
                or len(first) + len(sentence) < first_target
                or (not second and len(first) < first_target and rng.random() < 0.5)
            ):
                first += sentence
            else:
                second += sentence
        first = first[: self.max_seq_length - 2]
        second = second[: max(0, self.max_seq_length - len(first) - 3)]

        self._sentences, self._length = [], 0
        if rng.random() < 0.05:
            self._target_length = rng.randint(5, self.max_seq_length)
        else:
            self._target_length = self.max_seq_length
        return self._make_example(first, second)

    def _make_example(self, first, second):
        token_ids = [self.cls_id] + first + [self.sep_id]
        segment_ids = [0] * len(token_ids)
        if second:
            token_ids += second + [self.sep_id]
            segment_ids += [1] * (len(second) + 1)
        length = len(token_ids)
        padding = self.max_seq_length - length
        return PackedExample(
            token_ids=np.array(token_ids + [self.pad_id] * padding, np.int32),
            padding_mask=np.array([1] * length + [0] * padding, np.int32),
            segment_ids=np.array(segment_ids + [0] * padding, np.int32),
        )
