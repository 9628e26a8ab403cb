"""Names and default ids of the special tokens.

A vocabulary we learn puts them at ids 0..4 in this order. A BERT `vocab.txt`
keeps them elsewhere ([PAD]=0, [UNK]=100, [CLS]=101, ...), so code never uses
these positions as ids: it looks ids up by name through `ElectraTokenizer`.
"""

PAD = "[PAD]"
UNK = "[UNK]"
CLS = "[CLS]"
SEP = "[SEP]"
MASK = "[MASK]"

SPECIAL_TOKENS = (PAD, UNK, CLS, SEP, MASK)
