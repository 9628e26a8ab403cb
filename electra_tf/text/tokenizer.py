"""`ElectraTokenizer`: the one tokenizer for tf.data, training and exported models."""

import keras
import keras_hub
import tensorflow as tf

from electra_tf.text import special_tokens
from electra_tf.text.normalization import normalize_text
from electra_tf.text.vocab import load_vocab


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraTokenizer(keras_hub.tokenizers.WordPieceTokenizer):
    """BERT-compatible WordPiece tokenizer built on tf-text's FastWordpieceTokenizer.

    A keras-hub `WordPieceTokenizer` (so it saves as a keras-hub asset and runs
    inside `tf.data` and SavedModels) whose input first goes through BERT's own
    normalization (`normalize_text`): control characters deleted, Unicode
    lowercasing and accent stripping when `lowercase=True`. Text is split on
    whitespace and punctuation, every CJK character becomes its own word, and
    words missing from the vocabulary become `[UNK]`. Ids agree with Hugging
    Face's `BertWordPieceTokenizer` on the same vocabulary.

    Special tokens are looked up by name, so a BERT `vocab.txt` ([CLS]=101)
    and a vocabulary built by `tools/build_vocab.py` ([CLS]=2) both work.

    Args:
        vocabulary: list of str, or a path to a `vocab.txt`.
        lowercase: bool. Lowercase and strip accents (uncased vocabularies).
        **kwargs: passed to `keras_hub.tokenizers.WordPieceTokenizer`
            (e.g. `sequence_length`, `dtype`).

    Example:
    ```python
    tokenizer = ElectraTokenizer.from_vocab_file("vocab.txt", lowercase=True)
    ids = tokenizer(tf.constant(["The café was great!"]))  # tf.RaggedTensor
    tokenizer.cls_id, tokenizer.mask_id
    ```
    """

    def __init__(self, vocabulary=None, lowercase=True, **kwargs):
        # keras-hub's own lowercasing is NFKC case folding, not BERT's rule:
        # we normalize in `tokenize` and keep its normalization off.
        kwargs.pop("strip_accents", None)
        kwargs.setdefault("split_on_cjk", True)
        kwargs.setdefault("oov_token", special_tokens.UNK)
        super().__init__(
            vocabulary=vocabulary, lowercase=False, strip_accents=False, **kwargs
        )
        self.bert_lowercase = lowercase

    @classmethod
    def from_vocab_file(cls, path, lowercase=True, **kwargs):
        """Loads and checks `path` (see `load_vocab`) and builds the tokenizer."""
        return cls(vocabulary=load_vocab(path), lowercase=lowercase, **kwargs)

    def tokenize(self, inputs):
        inputs = tf.convert_to_tensor(inputs, dtype=tf.string)
        return super().tokenize(normalize_text(inputs, self.bert_lowercase))

    def token_id(self, token):
        """The id of `token`; raises `KeyError` naming it if absent."""
        try:
            return self.token_to_id(token)
        except ValueError:
            raise KeyError(f"{token!r} is not in the vocabulary.") from None

    @property
    def pad_id(self):
        return self.token_id(special_tokens.PAD)

    @property
    def unk_id(self):
        return self.token_id(special_tokens.UNK)

    @property
    def cls_id(self):
        return self.token_id(special_tokens.CLS)

    @property
    def sep_id(self):
        return self.token_id(special_tokens.SEP)

    @property
    def mask_id(self):
        return self.token_id(special_tokens.MASK)

    def special_token_ids(self):
        """dict name -> id for `[PAD] [UNK] [CLS] [SEP] [MASK]`."""
        return {token: self.token_id(token) for token in special_tokens.SPECIAL_TOKENS}

    def get_config(self):
        config = super().get_config()
        config["lowercase"] = self.bert_lowercase
        config.pop("strip_accents", None)
        return config
