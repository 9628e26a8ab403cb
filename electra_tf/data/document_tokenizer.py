"""Tokenizing whole documents in large batches, for the packing step."""

import tensorflow as tf

# Lines per tf-text call: large batches amortize the per-call overhead.
BATCH_LINES = 4096


class DocumentTokenizer:
    """Turns documents (lists of str lines) into lists of int32 id arrays.

    Args:
        tokenizer: `ElectraTokenizer`.

    Example:
    ```python
    ids = DocumentTokenizer(tokenizer)([["First line.", "Second."], ["Doc two."]])
    ```
    """

    def __init__(self, tokenizer):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def tokenize(lines):
            ragged = tokenizer.tokenize(lines)
            return ragged.flat_values, ragged.row_splits

        self._tokenize = tokenize

    def __call__(self, documents):
        """Returns, per document, the non-empty id arrays of its lines."""
        lines = [line for document in documents for line in document]
        pieces = []
        for start in range(0, len(lines), BATCH_LINES):
            values, splits = self._tokenize(lines[start:start + BATCH_LINES])
            values, splits = values.numpy(), splits.numpy()
            pieces.extend(values[splits[i]:splits[i + 1]] for i in range(len(splits) - 1))
        out, offset = [], 0
        for document in documents:
            out.append([p for p in pieces[offset:offset + len(document)] if len(p)])
            offset += len(document)
        return out
