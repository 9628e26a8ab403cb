"""Configs are data: JSON files in `configs/` loaded into these dataclasses.

`ElectraConfig` holds the model sizes (spec §3-§4) and the pretraining objective
and optimizer settings, flat, so every field can be overridden by one flag of
the same name. Nothing here is executed: a config is plain JSON.
"""

import dataclasses
import json
import os
from typing import Optional

from electra_tf.errors import UsageError

# Fields that change variable shapes: a checkpoint cannot be restored across them.
SHAPE_FIELDS = (
    "vocab_size",
    "embedding_size",
    "hidden_size",
    "num_layers",
    "num_heads",
    "intermediate_size",
    "generator_hidden_size",
    "max_position_embeddings",
    "type_vocab_size",
)
# Fields that change what is optimized: resuming across them mixes two objectives.
OBJECTIVE_FIELDS = (
    "max_seq_length",
    "mask_prob",
    "max_predictions_per_seq",
    "mask_token_prob",
    "temperature",
    "disallow_correct",
    "gen_weight",
    "disc_weight",
    "lowercase",
)


@dataclasses.dataclass
class ElectraConfig:
    """Model sizes and pretraining settings (defaults: ELECTRA-Small, spec §4).

    Args:
        vocab_size: int. Rows of the word-embedding matrix; 0 means "take it
            from the vocabulary file".
        embedding_size: int. Width of the shared embeddings (E).
        hidden_size: int. Discriminator hidden size (H).
        num_layers: int. Transformer layers in each tower.
        num_heads: int. Discriminator attention heads (H / 64).
        intermediate_size: int. Discriminator FFN width (4 H).
        generator_hidden_size: float. Generator width as a fraction of the
            discriminator's; heads and FFN scale with it.
        max_position_embeddings: int. Rows of the learned position table.
        type_vocab_size: int. Number of segment types.
        dropout: float. Dropout rate in both towers.
        max_seq_length: int. Tokens per example, [CLS]/[SEP] included.
        mask_prob: float. Fraction of real tokens chosen for prediction.
        max_predictions_per_seq: int or None. None derives it as
            int((mask_prob + 0.005) * max_seq_length), as the reference does.
        mask_token_prob: float. Chosen positions shown to the generator as
            [MASK]; the rest keep their token (spec §2.4: 0.85).
        temperature: float. Sampling temperature of the generator.
        disallow_correct: bool. Forbid sampling the original token.
        gen_weight: float. Weight of the generator's MLM loss.
        disc_weight: float. Weight of the discriminator's RTD loss.
        lowercase: bool. Uncased tokenization (must match the vocabulary).
        learning_rate: float. Peak learning rate.
        warmup_steps: int. Linear warmup steps.
        train_steps: int. Total steps; the rate decays linearly to 0 there.
        batch_size: int. Global batch size (all replicas).
        weight_decay: float. AdamW decay, not applied to LayerNorm and biases.
        adam_beta_1: float. Adam's first-moment decay.
        adam_beta_2: float. Adam's second-moment decay.
        adam_epsilon: float. Adam's epsilon (the reference uses 1e-6).
        clip_norm: float. Global-norm gradient clipping.
        seed: int. Seeds initialization, masking and sampling.
    """

    vocab_size: int = 30522
    embedding_size: int = 128
    hidden_size: int = 256
    num_layers: int = 12
    num_heads: int = 4
    intermediate_size: int = 1024
    generator_hidden_size: float = 0.25
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    dropout: float = 0.1
    max_seq_length: int = 128
    mask_prob: float = 0.15
    max_predictions_per_seq: Optional[int] = None
    mask_token_prob: float = 0.85
    temperature: float = 1.0
    disallow_correct: bool = False
    gen_weight: float = 1.0
    disc_weight: float = 50.0
    lowercase: bool = True
    learning_rate: float = 5e-4
    warmup_steps: int = 10000
    train_steps: int = 1000000
    batch_size: int = 128
    weight_decay: float = 0.01
    adam_beta_1: float = 0.9
    adam_beta_2: float = 0.999
    adam_epsilon: float = 1e-6
    clip_norm: float = 1.0
    seed: int = 12345

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raises `UsageError` on values no model could be built from."""
        if self.max_seq_length < 8:
            raise UsageError(f"max_seq_length must be at least 8, got {self.max_seq_length}.")
        if self.max_seq_length > self.max_position_embeddings:
            raise UsageError(
                f"max_seq_length {self.max_seq_length} exceeds "
                f"max_position_embeddings {self.max_position_embeddings}."
            )
        if self.hidden_size % self.num_heads:
            raise UsageError(
                f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}."
            )
        if not 0.0 < self.mask_prob < 1.0:
            raise UsageError(f"mask_prob must be in (0, 1), got {self.mask_prob}.")
        if not 0.0 < self.generator_hidden_size <= 1.0:
            raise UsageError(
                f"generator_hidden_size is a fraction in (0, 1], got {self.generator_hidden_size}."
            )

    # --- Derived sizes -------------------------------------------------------
    @property
    def num_predictions(self):
        """max_predictions_per_seq, derived as the reference does when unset."""
        if self.max_predictions_per_seq:
            return self.max_predictions_per_seq
        return int((self.mask_prob + 0.005) * self.max_seq_length)

    @property
    def generator_hidden(self):
        return max(1, int(round(self.hidden_size * self.generator_hidden_size)))

    @property
    def generator_heads(self):
        return max(1, int(round(self.num_heads * self.generator_hidden_size)))

    @property
    def generator_intermediate(self):
        return max(1, int(round(self.intermediate_size * self.generator_hidden_size)))

    @classmethod
    def field_help(cls):
        """{field: help text} from the Args section of this docstring (for flags)."""
        helps, current = {}, None
        names = {f.name for f in dataclasses.fields(cls)}
        for line in cls.__doc__.split("Args:")[1].splitlines():
            stripped = line.strip()
            head = stripped.split(":", 1)[0]
            if ":" in stripped and head in names:
                current = head
                helps[current] = stripped.split(":", 1)[1].strip()
            elif current and stripped:
                helps[current] += " " + stripped
        return helps

    # --- JSON ----------------------------------------------------------------
    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)

    @classmethod
    def from_dict(cls, values, source="config"):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(
                f"{source}: unknown field(s) {', '.join(unknown)}. "
                f"Known fields: {', '.join(sorted(known))}."
            )
        return cls(**values)

    @classmethod
    def from_json(cls, path):
        if not os.path.isfile(path):
            raise UsageError(f"config file {path!r} does not exist (see configs/ for examples).")
        try:
            with open(path, encoding="utf-8") as f:
                values = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise UsageError(f"config file {path!r} is not valid JSON: {error}") from None
        if not isinstance(values, dict):
            raise UsageError(f"config file {path!r} must hold a JSON object.")
        return cls.from_dict(values, source=path)

    def replace(self, **overrides):
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **overrides)

    def diff(self, other, fields=SHAPE_FIELDS + OBJECTIVE_FIELDS):
        """Names and values of `fields` that differ: `{name: (self, other)}`."""
        return {
            name: (getattr(self, name), getattr(other, name))
            for name in fields
            if getattr(self, name) != getattr(other, name)
        }
