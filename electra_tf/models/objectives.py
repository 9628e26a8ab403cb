"""What each pretraining option trains, and which tower is the encoder kept.

`ElectraConfig.objective`, `.training` and `.embedding_sharing` (docs/algorithm.md §6)
select among the paper's baselines and training strategies. In every case
the encoder that fine-tuning (`finetune.encoder_init.load_encoder`), the
keras-hub preset, the SavedModels and the Hugging Face export use is
`ElectraPretrainer.discriminator`: an `ElectraBackbone` of the
discriminator's sizes, the tower that read the corrupted input.

`OBJECTIVE_TABLE`, `TRAINING_TABLE` and `SHARING_TABLE` say it per option,
in one line each (docs/objectives.md has the full account); the asserts
below keep them in step with the values `ElectraConfig` accepts.
"""

from electra_tf.config import EMBEDDING_SHARINGS
from electra_tf.config import OBJECTIVES
from electra_tf.config import TRAININGS

# objective -> (generator input and loss, encoder input and loss, encoder kept)
OBJECTIVE_TABLE = {
    "electra": (
        "chosen 15%: [MASK] (85%) or kept; MLM at chosen positions",
        "generator samples at the chosen positions; RTD on every real token",
        "discriminator"),
    "mlm": (
        "none (the MLM head reads the encoder)",
        "chosen 15%: 80% [MASK] / 10% random / 10% kept; MLM at chosen positions",
        "the MLM encoder (`discriminator`)"),
    "electra_15": (
        "as electra",
        "as electra; RTD on the chosen positions only",
        "discriminator"),
    "replace_mlm": (
        "as electra",
        "generator samples at the chosen positions (no [MASK]); MLM of the originals there",
        "the encoder that read the replaced input (`discriminator`)"),
    "all_tokens_mlm": (
        "as electra",
        "as replace_mlm; every real token predicted as D*onehot(input) + (1-D)*softmax",
        "the encoder that read the replaced input (`discriminator`)"),
}

TRAINING_TABLE = {
    "joint": "generator by MLM and discriminator together: gen_weight*MLM + disc_weight*RTD",
    "two_stage": ("generator alone by MLM for two_stage_generator_steps (default train_steps/2), "
                  "then the discriminator initialised from it, generator frozen, RTD alone"),
    "adversarial": ("generator by REINFORCE maximising the RTD loss on its samples, learned "
                    "baseline (Appendix F); discriminator by RTD"),
}

SHARING_TABLE = {
    "embeddings": "word/position/segment embeddings and their LayerNorm shared",
    "none": "each tower has its own embeddings",
    "all": "one encoder for both towers (equal sizes)",
    "gdes": ("discriminator word embeddings = stop_gradient(E_G) + E_delta (DeBERTaV3); "
             "exported as E_G + E_delta"),
}

assert set(OBJECTIVE_TABLE) == set(OBJECTIVES)
assert set(TRAINING_TABLE) == set(TRAININGS)
assert set(SHARING_TABLE) == set(EMBEDDING_SHARINGS)
