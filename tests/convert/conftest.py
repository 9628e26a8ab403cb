"""Tiny real Hugging Face ELECTRA models and the forward passes the conversion tests compare.

Sizes are chosen to exercise every layout path: embedding_size (24) differs
from both hidden sizes, so both towers have a projection; the generator
(hidden 32, 1 head, FFN 64) is half the discriminator (hidden 64, 2 heads,
FFN 128), so generator_hidden_size is 0.5, and its FFN is 2 x hidden, not
Google's derived 4 x, so generator_intermediate_size must come from the
checkpoint. The activation is transformers' default `hidden_act="gelu"`
(exact). Every parameter is perturbed after initialisation, so biases and
LayerNorm weights are not the zeros and ones that would hide a wrong layout.
"""

import re

import numpy as np
import pytest
import tensorflow as tf  # noqa: F401  (TensorFlow before torch, as the package does)
import torch
from transformers import ElectraConfig as HFElectraConfig
from transformers import ElectraForMaskedLM
from transformers import ElectraForPreTraining
from transformers.activations import ACT2FN

from electra_tf.config import ElectraConfig

VOCAB_SIZE = 100
SIZES = dict(vocab_size=VOCAB_SIZE, embedding_size=24, num_hidden_layers=2,
             max_position_embeddings=128, type_vocab_size=2, hidden_act="gelu")
DISCRIMINATOR_SIZES = dict(hidden_size=64, num_attention_heads=2, intermediate_size=128)
GENERATOR_SIZES = dict(hidden_size=32, num_attention_heads=1, intermediate_size=64)
BATCH, LENGTH = 2, 16
# The same sizes as an electra-tf config.
OUR_CONFIG = ElectraConfig(vocab_size=VOCAB_SIZE, embedding_size=24, hidden_size=64, num_layers=2,
                           num_heads=2, intermediate_size=128, generator_hidden_size=0.5,
                           generator_intermediate_size=64, max_position_embeddings=128,
                           max_seq_length=64)
# Float32 agreement required between implementations of the same function.
TOLERANCE = 1e-5

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "cat", "dog", "sat", "on", "mat", "was", "great", "and", "movie", "acting",
         "superb", "it", "is", "not", "bad", "good", "very", "film", ".", ",", "!", "?", "'"]


def vocab_tokens():
    """100 WordPiece tokens: specials, letters, continuation letters, words."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    tokens = SPECIAL + letters + ["##" + c for c in letters] + WORDS
    tokens += [f"##{w}" for w in WORDS if w.isalpha() and len(w) > 1][: VOCAB_SIZE - len(tokens)]
    assert len(tokens) == VOCAB_SIZE and len(set(tokens)) == VOCAB_SIZE
    return tokens


def write_vocab(path):
    path.write_text("".join(t + "\n" for t in vocab_tokens()), encoding="utf-8")
    return str(path)


def perturb(module, seed):
    """Adds noise to every parameter (in place) so no weight keeps its trivial init.

    The dense layers that feed a GELU get more, so their inputs reach |x| ~ 2
    where the exact and tanh forms differ most (~5e-4): at init scale the two
    agree to ~1e-6 and a wrong activation would go unnoticed.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            scale = 0.25 if _FEEDS_GELU.search(name) else 0.05
            parameter.add_(torch.randn(parameter.shape, generator=generator) * scale)


_FEEDS_GELU = re.compile(r"(intermediate|predictions)\.dense\.weight$")


def build_hf_pair(hidden_act="gelu", seed=0):
    """Random HF discriminator and generator sharing (equal) embeddings."""
    torch.manual_seed(seed)
    sizes = dict(SIZES, hidden_act=hidden_act)
    disc = ElectraForPreTraining(HFElectraConfig(**sizes, **DISCRIMINATOR_SIZES)).eval()
    gen = ElectraForMaskedLM(HFElectraConfig(**sizes, **GENERATOR_SIZES)).eval()
    perturb(disc, seed + 1)
    perturb(gen, seed + 2)
    # ELECTRA has ONE set of embeddings; HF keeps a copy per model: make them equal.
    with torch.no_grad():
        gen.electra.embeddings.load_state_dict(disc.electra.embeddings.state_dict())
    return disc, gen


def save_hf(model, folder, vocab=True):
    model.save_pretrained(str(folder))
    if vocab:
        write_vocab(folder / "vocab.txt")
    return str(folder)


def inputs():
    """Fixed random ids, a padded second row and two segments: numpy int32 [B, T]."""
    rng = np.random.default_rng(7)
    ids = rng.integers(len(SPECIAL), VOCAB_SIZE, size=(BATCH, LENGTH)).astype(np.int32)
    ids[:, 0] = SPECIAL.index("[CLS]")
    mask = np.ones_like(ids)
    mask[1, 11:] = 0
    ids[1, 11:] = 0
    segments = np.zeros_like(ids)
    segments[:, 8:] = 1
    return {"token_ids": ids, "padding_mask": mask, "segment_ids": segments}


def hf_discriminator_logits(disc, batch):
    with torch.no_grad():
        return disc(input_ids=torch.tensor(batch["token_ids"], dtype=torch.long),
                    attention_mask=torch.tensor(batch["padding_mask"], dtype=torch.long),
                    token_type_ids=torch.tensor(batch["segment_ids"], dtype=torch.long)
                    ).logits.numpy()


def hf_generator_logits(gen, batch, head_activation=None):
    """MLM logits at all positions; `head_activation` swaps HF's hard-coded exact-GELU head.

    Hugging Face's ElectraGeneratorPredictions applies exact GELU whatever the
    config says, while the reference (and ours) uses `hidden_act`: for a
    "gelu_new" model, head_activation="gelu_new" compares the same function.
    """
    original = gen.generator_predictions.activation
    if head_activation:
        gen.generator_predictions.activation = ACT2FN[head_activation]
    try:
        with torch.no_grad():
            return gen(input_ids=torch.tensor(batch["token_ids"], dtype=torch.long),
                       attention_mask=torch.tensor(batch["padding_mask"], dtype=torch.long),
                       token_type_ids=torch.tensor(batch["segment_ids"], dtype=torch.long)
                       ).logits.numpy()
    finally:
        gen.generator_predictions.activation = original


def hf_sequence_output(model, batch):
    """Last hidden states of a Hugging Face tower (no head)."""
    with torch.no_grad():
        return model.electra(input_ids=torch.tensor(batch["token_ids"], dtype=torch.long),
                             attention_mask=torch.tensor(batch["padding_mask"], dtype=torch.long),
                             token_type_ids=torch.tensor(batch["segment_ids"], dtype=torch.long)
                             ).last_hidden_state.numpy()


def our_discriminator_logits(model, batch):
    hidden = model.discriminator(batch)["sequence_output"]
    return np.asarray(model.discriminator_head(hidden))


def our_generator_logits(model, batch):
    positions = np.tile(np.arange(LENGTH, dtype=np.int32), (BATCH, 1))
    return np.asarray(model.generator_head(model.generator(batch), positions))


def max_diff(a, b):
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)))


@pytest.fixture(scope="session")
def hf_pair(tmp_path_factory):
    """{"disc", "gen"}: the torch models; {"disc_dir", "gen_dir"}: their saved folders."""
    root = tmp_path_factory.mktemp("hf_pair")
    disc, gen = build_hf_pair()
    return {"disc": disc, "gen": gen,
            "disc_dir": save_hf(disc, root / "discriminator"),
            "gen_dir": save_hf(gen, root / "generator")}
