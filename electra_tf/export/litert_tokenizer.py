"""A tokenizer graph that LiteRT runs without the Flex delegate: text in, packed ids out.

The SavedModels tokenize with `ElectraTokenizer` (regex normalization + keras-hub
WordPiece), whose ops (`RegexReplace`, `StringLower`, `NormalizeUTF8`) have no
LiteRT kernels. tf-text's `FastBertTokenizer` does the same job with three ops
that do (`FastBertNormalize`, `FastWordpieceTokenizeWithOffsets`,
`RaggedTensorToTensor`, registered by `tensorflow_text.tflite_registrar`), and
the packing below uses only LiteRT builtins.

Its normalization is tf-text's, not BERT's `BasicTokenizer`, and cannot be
changed from Python: the three differences are listed in
`NORMALIZATION_DIFFERENCES` and asserted by tests/export/test_litert.py. On
ordinary text (ASCII, accented Latin, CJK, emoji) the ids are identical.
"""

import unicodedata

import tensorflow as tf
import tensorflow_text as tf_text

from electra_tf.errors import UsageError
from electra_tf.text import special_tokens

# The custom ops a LiteRT interpreter must register to run the tokenizer
# (`tensorflow_text.tflite_registrar.SELECT_TFTEXT_OPS` in Python; the same
# kernels are in tf-text's C++ `tflite_registrar` for Android/iOS builds).
CUSTOM_OPS = ("FastBertNormalize", "FastWordpieceTokenizeWithOffsets", "RaggedTensorToTensor")

# (text, ElectraTokenizer wordpieces, LiteRT tokenizer wordpieces, why), with
# bert-base-uncased's vocabulary; tests assert every row.
NORMALIZATION_DIFFERENCES = (
    ("a\x01b", ["ab"], ["a", "b"],
     "control characters (Unicode category C*, e.g. U+0001, U+0085 in IMDB text): "
     "ElectraTokenizer deletes them as BERT does, LiteRT turns them into a space"),
    ("a\ufffdb", ["ab"], ["[UNK]"],
     "U+FFFD: ElectraTokenizer deletes it as BERT does, LiteRT keeps it inside the word"),
    ("x\u2028y", ["[UNK]"], ["x", "y"],
     "line/paragraph separators (U+2028, U+2029): BERT's whitespace is only category Zs, "
     "LiteRT splits on them"),
    ("wow！", ["wow", "！"], ["wow", "!"],
     "compatibility characters (full-width forms, ligatures, …, ¼, ①, Ⅻ, ´): LiteRT "
     "decomposes them (NFKD), ElectraTokenizer only applies NFD as BERT does"),
    ("it´s", ["it", "##´s"], ["it", "s"],
     "\"´\" (U+00B4) is a compatibility character: NFKD makes it a space plus an accent, "
     "which LiteRT strips"),
    ("straße", ["st", "##raße"], ["st", "##ras", "##se"],
     "case folding: LiteRT folds ß to ss and final ς to σ; ElectraTokenizer lowercases "
     "(ß and ς stay)"),
)


def normalization_may_differ(text):
    """True when `text` holds a character on which the LiteRT tokenizer's
    normalization can differ from `ElectraTokenizer`'s (see
    `NORMALIZATION_DIFFERENCES`); on other text the ids are the same.

    Args:
        text: str.

    Example:
    ```python
    normalization_may_differ("The café was great!")  # False
    normalization_may_differ("Ｆｕｌｌ width")        # True
    ```
    """
    for char in text:
        if char in "\t\n\r":
            continue
        category = unicodedata.category(char)
        if category.startswith("C") or category in ("Zl", "Zp") or char == "\ufffd":
            return True
        if unicodedata.normalize("NFKD", char) != unicodedata.normalize("NFD", char):
            return True
        if char.casefold() != char.lower():
            return True
    return False


class LiteRTTokenizer(tf.Module):
    """Text -> `token_ids`, `segment_ids`, `padding_mask` int32 [batch, L], as
    `[CLS] text [SEP]` padded (truncated to L), built only from ops LiteRT runs.

    The output matches the SavedModels' `TextPacker` for one segment; the
    normalization differs only as `NORMALIZATION_DIFFERENCES` lists.

    Args:
        tokenizer: `ElectraTokenizer`. Its vocabulary, casing and special tokens.
        sequence_length: int. Output length L (>= 3).

    Example:
    ```python
    module = LiteRTTokenizer(tokenizer, 128)
    module.tokenize(tf.constant(["The movie was great."]))["token_ids"]
    ```
    """

    def __init__(self, tokenizer, sequence_length, name="electra_litert_tokenizer"):
        super().__init__(name=name)
        self.sequence_length = int(sequence_length)
        if self.sequence_length < 3:
            raise UsageError(f"sequence_length must be >= 3 ([CLS] x [SEP]), got {sequence_length}.")
        self.lowercase = bool(tokenizer.bert_lowercase)
        self.cls_id, self.sep_id, self.pad_id = tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id
        self.fast = tf_text.FastBertTokenizer(
            vocab=list(tokenizer.get_vocabulary()), token_out_type=tf.int32,
            unknown_token=special_tokens.UNK, suffix_indicator="##",
            lower_case_nfd_strip_accents=self.lowercase)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def tokenize(self, text):
        length = self.sequence_length
        pieces = self.fast.tokenize(text)
        # Ragged slicing has no LiteRT kernel; a fixed-shape to_tensor truncates.
        body = pieces.to_tensor(default_value=self.pad_id, shape=[None, length - 2])
        kept = tf.minimum(tf.cast(pieces.row_lengths(), tf.int32), length - 2)[:, tf.newaxis]
        batch = tf.shape(body)[0]
        ids = tf.concat([tf.fill([batch, 1], self.cls_id), body,
                         tf.fill([batch, 1], self.pad_id)], axis=1)
        position = tf.range(length)[tf.newaxis, :]
        ids = tf.where(position == kept + 1, self.sep_id, ids)
        padding_mask = tf.cast(position < kept + 2, tf.int32)
        ids = tf.where(padding_mask > 0, ids, self.pad_id)
        return {"token_ids": ids, "segment_ids": tf.zeros_like(ids),
                "padding_mask": padding_mask}

    def signatures(self):
        return {"serving_default": self.tokenize.get_concrete_function()}
