"""BERT's text clean-up, written with TensorFlow string ops so it runs in graphs.

keras-hub's `WordPieceTokenizer(lowercase=True)` lowercases with ICU case
folding (NFKC), which differs from BERT's reference `BasicTokenizer` on real
text: it maps "´" to " ́" (splitting "it´s" into [UNK]), "ß" to "ss", "ﬁ" to
"fi" and full-width letters to ASCII. It also treats control characters
(U+0085, U+0097 in IMDB text) as spaces where BERT deletes them, and does not
split on no-break spaces. Checkpoints trained with BERT-style tokenization
(Google's, Hugging Face's) expect BERT's rules, so we apply them here and call
the keras-hub tokenizer with its own normalization switched off.
"""

import tensorflow as tf
import tensorflow_text as tf_text

from electra_tf.text import characters


def normalize_text(text, lowercase=True):
    """Cleans text exactly as BERT's `BasicTokenizer` does, before WordPiece.

    Args:
        text: string `tf.Tensor` of any shape (or a Python string / list).
        lowercase: bool. If True, lowercase (Unicode, not case folding) and
            strip accents via NFD, as an uncased BERT vocabulary expects.

    Returns:
        A string tensor of the same shape.

    Example:
    ```python
    normalize_text(tf.constant(["Café\u0085Olé"]))  # -> [b"cafeole"]
    ```
    """
    text = tf.convert_to_tensor(text, dtype=tf.string)
    text = tf.strings.regex_replace(text, characters.CONTROL, "")
    text = tf.strings.regex_replace(text, characters.SPACE, " ")
    if lowercase:
        text = tf.strings.lower(text, encoding="utf-8")
        text = tf_text.normalize_utf8(text, "NFD")
        text = tf.strings.regex_replace(text, characters.ACCENT_MARKS, "")
    return text
