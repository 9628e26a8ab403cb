"""Text -> token ids: vocabularies and the one tokenizer used everywhere."""

from electra_tf.text.special_tokens import SPECIAL_TOKENS
from electra_tf.text.tokenizer import ElectraTokenizer
from electra_tf.text.vocab import build_vocab
from electra_tf.text.vocab import load_vocab
from electra_tf.text.vocab import vocab_sha256
from electra_tf.text.vocab import write_vocab
