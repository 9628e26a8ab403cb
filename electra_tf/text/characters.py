"""BERT's character classes as regular expressions (RE2, for TensorFlow string ops).

One definition for everything that must agree with the tokenizer: text
normalization deletes CONTROL and maps SPACE to " "; WordPiece splits at
SPACE, PUNCTUATION and (optionally) CJK; the taggers' and question
answerers' word splits (`word_split`) split at exactly the same places, so a
word never straddles two tokenizer pieces.
"""

# keras-hub's own patterns: the tokenizer splits with these, so must we.
from electra_tf.private_apis import CJK_REGEX as CJK
from electra_tf.private_apis import PUNCTUATION_REGEX as PUNCTUATION

# BERT `_is_whitespace`: ASCII whitespace and Unicode category Zs (which holds " ").
SPACE = r"[\t\n\r\p{Zs}]"
# BERT `_is_control`: every "C*" category (control, format, private use,
# surrogate) except tab/newline/carriage return (those are whitespace), plus
# U+FFFD. Not delimiters: normalization deletes them inside a word.
CONTROL = r"[^\P{C}\t\n\r]|\x{FFFD}"
# Nonspacing marks left over after NFD: the accents BERT strips.
ACCENT_MARKS = r"\p{Mn}"

__all__ = ["ACCENT_MARKS", "CJK", "CONTROL", "PUNCTUATION", "SPACE"]
