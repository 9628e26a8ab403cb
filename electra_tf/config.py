"""Configs are data: JSON files in `configs/` loaded into these dataclasses.

`ElectraConfig` holds the model sizes (docs/algorithm.md §3, §5) and the pretraining objective
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
    "generator_intermediate_size",
    "generator_num_heads",
    "max_position_embeddings",
    "type_vocab_size",
    "objective",
    "embedding_sharing",
    "training",
)
# Fields that change what is optimized: resuming across them mixes two objectives.
OBJECTIVE_FIELDS = (
    "hidden_act",
    "max_seq_length",
    "mask_prob",
    "max_predictions_per_seq",
    "mask_token_prob",
    "temperature",
    "disallow_correct",
    "gen_weight",
    "disc_weight",
    "lowercase",
    "two_stage_generator_steps",
)
# Activation names: the exact erf GELU of Google's modeling.py and Hugging
# Face's "gelu", and the tanh approximation keras-hub's ElectraBackbone uses.
HIDDEN_ACTS = ("gelu", "gelu_approximate")
# What a config file WITHOUT these fields meant when it was written: every
# earlier electra-tf version computed the tanh GELU and derived the
# generator's FFN and heads by scaling the discriminator's with the fraction.
# A run dir's config.json keeps loading as the model it trained.
LEGACY_HIDDEN_ACT = "gelu_approximate"
# The paper's baselines and training strategies (docs/algorithm.md §6) and DeBERTaV3's
# GDES; the first of each is the default ELECTRA. models/objectives.py says
# what each one trains and which tower is the encoder kept for fine-tuning.
OBJECTIVES = ("electra", "mlm", "electra_15", "replace_mlm", "all_tokens_mlm")
TRAININGS = ("joint", "two_stage", "adversarial")
EMBEDDING_SHARINGS = ("embeddings", "none", "all", "gdes")
# Google's get_generator_config: the generator's heads are hidden // 64.
HEAD_SIZE = 64


def _field(default, help):
    """A config field with its help text (`--help` of the tools shows it)."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass
class ElectraConfig:
    """Model sizes and pretraining settings (defaults: ELECTRA-Small, docs/algorithm.md §5).

    Args:
        One per field below, each with its meaning in the field's help text
        (`field_help()`; every field is also a `tools/pretrain.py` flag of the
        same name, whose `--help` shows it). Types: as annotated; `Optional`
        fields take None for "derive it" (see each field's help).
    """

    vocab_size: int = _field(
        30522, "Rows of the word-embedding matrix; 0 means \"take it from the vocabulary file\".")
    embedding_size: int = _field(128, "Width of the shared embeddings (E).")
    hidden_size: int = _field(256, "Discriminator hidden size (H).")
    num_layers: int = _field(12, "Transformer layers in each tower.")
    num_heads: int = _field(4, "Discriminator attention heads (H / 64).")
    intermediate_size: int = _field(1024, "Discriminator FFN width (4 H).")
    generator_hidden_size: float = _field(
        0.25, "Generator width as a fraction of the discriminator's.")
    generator_intermediate_size: Optional[int] = _field(
        None, "Generator FFN width; None derives 4 x the generator's hidden size, as Google's "
              "get_generator_config does. Imports set it from the checkpoint.")
    generator_num_heads: Optional[int] = _field(
        None, "Generator attention heads; None derives max(1, generator hidden // 64), as Google "
              "does.")
    hidden_act: str = _field(
        "gelu", "GELU of both towers and both heads: \"gelu\" (exact erf form, as Google's "
                "modeling.py and Hugging Face's \"gelu\") or \"gelu_approximate\" (tanh form). A "
                "config file without this field predates it and means \"gelu_approximate\" (see "
                "`from_dict`).")
    max_position_embeddings: int = _field(512, "Rows of the learned position table.")
    type_vocab_size: int = _field(2, "Number of segment types.")
    dropout: float = _field(0.1, "Dropout rate in both towers.")
    max_seq_length: int = _field(128, "Tokens per example, [CLS]/[SEP] included.")
    mask_prob: float = _field(0.15, "Fraction of real tokens chosen for prediction.")
    max_predictions_per_seq: Optional[int] = _field(
        None, "None derives it as int((mask_prob + 0.005) * max_seq_length), as the reference "
              "does.")
    mask_token_prob: float = _field(
        0.85, "Chosen positions shown to the generator as [MASK]; the rest keep their token "
              "(docs/algorithm.md §2.4: 0.85).")
    temperature: float = _field(1.0, "Sampling temperature of the generator.")
    disallow_correct: bool = _field(False, "Forbid sampling the original token.")
    gen_weight: float = _field(1.0, "Weight of the generator's MLM loss.")
    disc_weight: float = _field(50.0, "Weight of the discriminator's RTD loss.")
    lowercase: bool = _field(True, "Uncased tokenization (must match the vocabulary).")
    learning_rate: float = _field(5e-4, "Peak learning rate.")
    warmup_steps: int = _field(10000, "Linear warmup steps.")
    train_steps: int = _field(1000000, "Total steps; the rate decays linearly to 0 there.")
    batch_size: int = _field(128, "Global batch size (all replicas).")
    weight_decay: float = _field(0.01, "AdamW decay, not applied to LayerNorm and biases.")
    adam_beta_1: float = _field(0.9, "Adam's first-moment decay.")
    adam_beta_2: float = _field(0.999, "Adam's second-moment decay.")
    adam_epsilon: float = _field(1e-6, "Adam's epsilon (the reference uses 1e-6).")
    clip_norm: float = _field(1.0, "Global-norm gradient clipping.")
    seed: int = _field(12345, "Seeds initialization, masking and sampling.")
    objective: str = _field(
        "electra", "What is learned (docs/algorithm.md §6.2): \"electra\" (replaced token "
                   "detection on every token), \"mlm\" (BERT: one encoder, 15% chosen, 80% [MASK] "
                   "/ 10% random / 10% kept, no generator), \"electra_15\" (RTD loss on the chosen "
                   "positions only), \"replace_mlm\" (chosen positions hold generator samples; the "
                   "encoder predicts the originals there) or \"all_tokens_mlm\" (as replace_mlm, "
                   "predicting every token through a copy mechanism).")
    training: str = _field(
        "joint", "How the generator learns: \"joint\" (MLM, with the discriminator), \"two_stage\" "
                 "(MLM alone for two_stage_generator_steps, then the discriminator starts from the "
                 "generator and learns RTD alone, generator frozen; equal sizes) or "
                 "\"adversarial\" (policy gradient maximising the RTD loss, with a learned "
                 "baseline; paper Appendix F).")
    two_stage_generator_steps: Optional[int] = _field(
        None, "training=two_stage: steps of the generator-only stage; None is half of train_steps.")
    embedding_sharing: str = _field(
        "embeddings", "What the towers share: \"embeddings\" (word, position, segment embeddings "
                      "and their LayerNorm), \"none\", \"all\" (one encoder for both; equal sizes) "
                      "or \"gdes\" (DeBERTaV3: the discriminator embeds with stop_gradient(E_G) + "
                      "E_delta).")

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
        if self.hidden_act not in HIDDEN_ACTS:
            raise UsageError(
                f"hidden_act must be one of {', '.join(HIDDEN_ACTS)}, got {self.hidden_act!r}."
            )
        for name in ("generator_intermediate_size", "generator_num_heads"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UsageError(f"{name} must be a positive integer or null, got {value}.")
        if self.generator_hidden % self.generator_heads:
            raise UsageError(
                f"generator hidden size {self.generator_hidden} is not divisible by its "
                f"{self.generator_heads} heads; adjust generator_hidden_size or "
                "generator_num_heads."
            )
        self._validate_strategy()

    def _validate_strategy(self):
        for name, allowed in (("objective", OBJECTIVES), ("training", TRAININGS),
                              ("embedding_sharing", EMBEDDING_SHARINGS)):
            if getattr(self, name) not in allowed:
                raise UsageError(f"{name} must be one of {', '.join(allowed)}, "
                                 f"got {getattr(self, name)!r}.")
        if self.objective == "mlm" and self.embedding_sharing != "embeddings":
            raise UsageError(
                f"objective='mlm' trains one encoder and no generator: embedding_sharing="
                f"{self.embedding_sharing!r} does not apply (leave it 'embeddings').")
        if self.training != "joint" and self.objective not in ("electra", "electra_15"):
            raise UsageError(
                f"training={self.training!r} trains a generator for a replaced-token-detection "
                f"discriminator: use objective 'electra' or 'electra_15', not "
                f"{self.objective!r}.")
        if self.training == "two_stage" and self.embedding_sharing not in ("embeddings", "none"):
            raise UsageError(
                "training='two_stage' copies the generator into the discriminator after its "
                "stage: use embedding_sharing 'embeddings' or 'none', not "
                f"{self.embedding_sharing!r}.")
        if self.training == "two_stage" or self.embedding_sharing == "all":
            unequal = self.unequal_tower_sizes()
            if unequal:
                why = ("training='two_stage'" if self.training == "two_stage"
                       else "embedding_sharing='all'")
                raise UsageError(
                    f"{why} needs a generator the discriminator's size; set "
                    + ", ".join(f"{name}={want} (now {now})" for name, want, now in unequal)
                    + ".")
        steps = self.two_stage_generator_steps
        if steps is not None and not 0 < steps < self.train_steps:
            raise UsageError(
                f"two_stage_generator_steps must be in (0, train_steps={self.train_steps}), "
                f"got {steps}.")

    def unequal_tower_sizes(self):
        """Generator size fields that differ from the discriminator's.

        Returns:
            list of `(field, value it needs, value it gives now)`; empty when
            the generator has the discriminator's hidden size, FFN and heads.

        Example:
        ```python
        ElectraConfig(generator_hidden_size=0.5).unequal_tower_sizes()
        # [("generator_hidden_size", 1.0, 0.5), ...]
        ```
        """
        pairs = (("generator_hidden_size", 1.0, self.generator_hidden_size,
                  self.generator_hidden == self.hidden_size),
                 ("generator_intermediate_size", self.intermediate_size,
                  self.generator_intermediate, self.generator_intermediate == self.intermediate_size),
                 ("generator_num_heads", self.num_heads, self.generator_heads,
                  self.generator_heads == self.num_heads))
        return [(name, want, now) for name, want, now, equal in pairs if not equal]

    @property
    def generator_steps(self):
        """training=two_stage: steps of stage 1 (the generator alone); else 0."""
        if self.training != "two_stage":
            return 0
        return int(self.two_stage_generator_steps or self.train_steps // 2)

    # --- Derived sizes -------------------------------------------------------
    @property
    def num_predictions(self):
        """max_predictions_per_seq, derived as the reference does when unset."""
        if self.max_predictions_per_seq:
            return self.max_predictions_per_seq
        return int((self.mask_prob + 0.005) * self.max_seq_length)

    @property
    def generator_hidden(self):
        """Generator hidden size: round(hidden_size x generator_hidden_size)."""
        return max(1, int(round(self.hidden_size * self.generator_hidden_size)))

    @property
    def generator_heads(self):
        """generator_num_heads, else max(1, generator_hidden // 64) (Google's rule)."""
        if self.generator_num_heads:
            return int(self.generator_num_heads)
        return max(1, self.generator_hidden // HEAD_SIZE)

    @property
    def generator_intermediate(self):
        """generator_intermediate_size, else 4 x generator_hidden (Google's rule)."""
        if self.generator_intermediate_size:
            return int(self.generator_intermediate_size)
        return 4 * self.generator_hidden

    @classmethod
    def field_help(cls):
        """{field: help text}, from each field's metadata (the flags' help)."""
        return {f.name: f.metadata["help"] for f in dataclasses.fields(cls)}

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
        """A config from a dict of fields (a config file, a saved Keras config).

        A dict without `hidden_act` was written before that field existed:
        it is read as the model those versions built (`legacy_fields`), so
        an existing run dir keeps its tanh GELU and its generator sizes.

        Args:
            values: dict {field: value}; missing fields take their defaults.
            source: str. Where the dict came from, for messages.

        Raises:
            UsageError: unknown fields or invalid values.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(
                f"{source}: unknown field(s) {', '.join(unknown)}. "
                f"Known fields: {', '.join(sorted(known))}."
            )
        if "hidden_act" not in values:
            values = {**values, **cls.legacy_fields(values)}
        return cls(**values)

    @classmethod
    def legacy_fields(cls, values):
        """The fields a config dict without `hidden_act` implicitly had.

        Earlier versions computed the tanh GELU and scaled the generator's
        FFN and heads with `generator_hidden_size`; those values are stated
        explicitly here (fields the dict sets itself are kept).

        Args:
            values: dict of config fields (without `hidden_act`).

        Returns:
            dict with hidden_act, generator_intermediate_size and
            generator_num_heads.
        """
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        get = lambda name: values.get(name, defaults[name])  # noqa: E731
        fraction = get("generator_hidden_size")
        return {
            "hidden_act": LEGACY_HIDDEN_ACT,
            "generator_intermediate_size": get("generator_intermediate_size") or max(
                1, int(round(get("intermediate_size") * fraction))),
            "generator_num_heads": get("generator_num_heads") or max(
                1, int(round(get("num_heads") * fraction))),
        }

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
        """Names and values of `fields` that differ: `{name: (self, other)}`.

        The generator's FFN and heads compare as the sizes they give, so a
        stated 1024 equals a derived one.
        """
        def value(config, name):
            return getattr(config, _EFFECTIVE.get(name, name))

        return {
            name: (value(self, name), value(other, name))
            for name in fields
            if value(self, name) != value(other, name)
        }


# Optional size fields and the properties that resolve them.
_EFFECTIVE = {
    "generator_intermediate_size": "generator_intermediate",
    "generator_num_heads": "generator_heads",
    "two_stage_generator_steps": "generator_steps",
}
