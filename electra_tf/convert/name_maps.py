"""Every ELECTRA weight under its three names: Google TF1, Hugging Face and ours.

This is the ONE table the importers and exporters read; no other module spells
a weight name. Each row names one weight:

- `google`: the TF1 variable of the reference checkpoint (docs/algorithm.md §8);
- `hf`: the PyTorch state-dict key in `ElectraForPreTraining` /
  `ElectraForMaskedLM`;
- `ours`: the attribute path from an `ElectraPretrainer` to the Keras variable;
- `axes`: the weight's shape in the canonical layout (the TF1 one), as size
  symbols (see `SIZE_SYMBOLS`), so a shape mismatch can name the config field;
- `layout`: how the canonical array is reshaped into ours (`layouts.py`);
- `hf_linear`: PyTorch `nn.Linear` stores [out, in], the transpose of TF.

Rows of the two towers use `{scope}` (TF1: "electra" or "generator"),
`{tower}` (ours: "discriminator" or "generator"), `{i}` (layer index) and the
tower-relative sizes "h" / "i" (the tower's hidden and FFN widths).
"""

import dataclasses
import re

# The tower names are also the export folder names; one spelling for both.
from electra_tf.export.export_layout import DISCRIMINATOR
from electra_tf.export.export_layout import GENERATOR
from electra_tf.export.export_layout import TOWERS

# How a canonical (TF1) array becomes ours; see layouts.py.
PLAIN = "plain"  # the same array
HEADS_IN = "heads_in"  # q/k/v kernel: [in, heads*head_dim] -> [in, heads, head_dim]
HEADS_BIAS = "heads_bias"  # q/k/v bias: [heads*head_dim] -> [heads, head_dim]
HEADS_OUT = "heads_out"  # attention output kernel: [heads*head_dim, out] -> [heads, head_dim, out]

SHARED = "shared"

# TF1 scope of each tower (docs/algorithm.md §8) and the Hugging Face class holding it.
GOOGLE_SCOPES = {DISCRIMINATOR: "electra", GENERATOR: "generator"}
HF_CLASSES = {DISCRIMINATOR: "ElectraForPreTraining", GENERATOR: "ElectraForMaskedLM"}

# Size symbols of `axes` -> (ElectraConfig field behind it, words for messages).
SIZE_SYMBOLS = {
    "V": ("vocab_size", "vocabulary size"),
    "E": ("embedding_size", "embedding size"),
    "P": ("max_position_embeddings", "position-table length"),
    "S": ("type_vocab_size", "number of segment types"),
    "H": ("hidden_size", "discriminator hidden size"),
    "I": ("intermediate_size", "discriminator FFN width"),
    "Hg": ("generator_hidden_size", "generator hidden size"),
    "Ig": ("generator_intermediate_size", "generator FFN width"),
    "1": (None, "one"),
}
# "h" / "i" in tower rows resolve to these per tower.
TOWER_SIZES = {DISCRIMINATOR: {"h": "H", "i": "I"}, GENERATOR: {"h": "Hg", "i": "Ig"}}


@dataclasses.dataclass(frozen=True)
class WeightName:
    """One row of the table (see the module docstring for the fields)."""

    google: str
    hf: str
    ours: str
    axes: tuple
    layout: str = PLAIN
    hf_linear: bool = False


def _w(google, hf, ours, axes, layout=PLAIN, hf_linear=False):
    return WeightName(google, hf, ours, tuple(axes), layout, hf_linear)


# --- The table ----------------------------------------------------------------
# Shared embeddings: one set in our model (owned by the discriminator backbone,
# used by both towers), one copy in EACH Hugging Face model.
EMBEDDINGS = (
    _w("electra/embeddings/word_embeddings", "electra.embeddings.word_embeddings.weight",
       "discriminator.token_embedding.embeddings", "VE"),
    _w("electra/embeddings/position_embeddings", "electra.embeddings.position_embeddings.weight",
       "discriminator.position_embedding.position_embeddings", "PE"),
    _w("electra/embeddings/token_type_embeddings",
       "electra.embeddings.token_type_embeddings.weight",
       "discriminator.segment_embedding.embeddings", "SE"),
    _w("electra/embeddings/LayerNorm/gamma", "electra.embeddings.LayerNorm.weight",
       "discriminator.embeddings_layer_norm.gamma", "E"),
    _w("electra/embeddings/LayerNorm/beta", "electra.embeddings.LayerNorm.bias",
       "discriminator.embeddings_layer_norm.beta", "E"),
)

# Each tower's own projection E -> h; exists only when the sizes differ.
PROJECTION = (
    _w("{scope}/embeddings_project/kernel", "electra.embeddings_project.weight",
       "{tower}.embeddings_projection.kernel", ("E", "h"), hf_linear=True),
    _w("{scope}/embeddings_project/bias", "electra.embeddings_project.bias",
       "{tower}.embeddings_projection.bias", ("h",)),
)

_L = "{scope}/encoder/layer_{i}/"
_HL = "electra.encoder.layer.{i}."
_OL = "{tower}.transformer_layers[{i}]."
_ATT = _OL + "_self_attention_layer."
LAYER = (
    _w(_L + "attention/self/query/kernel", _HL + "attention.self.query.weight",
       _ATT + "_query_dense.kernel", "hh", HEADS_IN, True),
    _w(_L + "attention/self/query/bias", _HL + "attention.self.query.bias",
       _ATT + "_query_dense.bias", "h", HEADS_BIAS),
    _w(_L + "attention/self/key/kernel", _HL + "attention.self.key.weight",
       _ATT + "_key_dense.kernel", "hh", HEADS_IN, True),
    _w(_L + "attention/self/key/bias", _HL + "attention.self.key.bias",
       _ATT + "_key_dense.bias", "h", HEADS_BIAS),
    _w(_L + "attention/self/value/kernel", _HL + "attention.self.value.weight",
       _ATT + "_value_dense.kernel", "hh", HEADS_IN, True),
    _w(_L + "attention/self/value/bias", _HL + "attention.self.value.bias",
       _ATT + "_value_dense.bias", "h", HEADS_BIAS),
    _w(_L + "attention/output/dense/kernel", _HL + "attention.output.dense.weight",
       _ATT + "_output_dense.kernel", "hh", HEADS_OUT, True),
    _w(_L + "attention/output/dense/bias", _HL + "attention.output.dense.bias",
       _ATT + "_output_dense.bias", "h"),
    _w(_L + "attention/output/LayerNorm/gamma", _HL + "attention.output.LayerNorm.weight",
       _OL + "_self_attention_layer_norm.gamma", "h"),
    _w(_L + "attention/output/LayerNorm/beta", _HL + "attention.output.LayerNorm.bias",
       _OL + "_self_attention_layer_norm.beta", "h"),
    _w(_L + "intermediate/dense/kernel", _HL + "intermediate.dense.weight",
       _OL + "_feedforward_intermediate_dense.kernel", "hi", hf_linear=True),
    _w(_L + "intermediate/dense/bias", _HL + "intermediate.dense.bias",
       _OL + "_feedforward_intermediate_dense.bias", "i"),
    _w(_L + "output/dense/kernel", _HL + "output.dense.weight",
       _OL + "_feedforward_output_dense.kernel", "ih", hf_linear=True),
    _w(_L + "output/dense/bias", _HL + "output.dense.bias",
       _OL + "_feedforward_output_dense.bias", "h"),
    _w(_L + "output/LayerNorm/gamma", _HL + "output.LayerNorm.weight",
       _OL + "_feedforward_layer_norm.gamma", "h"),
    _w(_L + "output/LayerNorm/beta", _HL + "output.LayerNorm.bias",
       _OL + "_feedforward_layer_norm.beta", "h"),
)

# Discriminator head (ReplacedTokenDetectionHead): dense -> GELU -> dense_1.
DISCRIMINATOR_HEAD = (
    _w("discriminator_predictions/dense/kernel", "discriminator_predictions.dense.weight",
       "discriminator_head.dense.kernel", "HH", hf_linear=True),
    _w("discriminator_predictions/dense/bias", "discriminator_predictions.dense.bias",
       "discriminator_head.dense.bias", "H"),
    _w("discriminator_predictions/dense_1/kernel",
       "discriminator_predictions.dense_prediction.weight",
       "discriminator_head.dense_1.kernel", ("H", "1"), hf_linear=True),
    _w("discriminator_predictions/dense_1/bias", "discriminator_predictions.dense_prediction.bias",
       "discriminator_head.dense_1.bias", "1"),
)

# Generator head (TiedMaskedLMHead): dense -> GELU -> LayerNorm -> x @ word_embeddings^T + bias.
# The output matrix IS the word embedding (tied), so only its bias is a row here;
# Hugging Face's `generator_lm_head.weight` is tied to the word embeddings too.
GENERATOR_HEAD = (
    _w("generator_predictions/dense/kernel", "generator_predictions.dense.weight",
       "generator_head.dense.kernel", ("Hg", "E"), hf_linear=True),
    _w("generator_predictions/dense/bias", "generator_predictions.dense.bias",
       "generator_head.dense.bias", "E"),
    _w("generator_predictions/LayerNorm/gamma", "generator_predictions.LayerNorm.weight",
       "generator_head.layer_norm.gamma", "E"),
    _w("generator_predictions/LayerNorm/beta", "generator_predictions.LayerNorm.bias",
       "generator_head.layer_norm.beta", "E"),
    _w("generator_predictions/output_bias", "generator_lm_head.bias",
       "generator_head.output_bias", "V"),
)

# Hugging Face keys that are no weights of ours: the tied LM matrix (checked
# against the word embeddings) and old non-persistent buffers.
HF_TIED_LM_WEIGHT = "generator_lm_head.weight"
HF_IGNORED_KEYS = re.compile(r"(^|\.)(position_ids|token_type_ids)$")

# Reference-checkpoint variables that are training state, not model weights
# (docs/algorithm.md §8, §9.8): Adam slots (adam_m/adam_v of the reference, Adam/Adam_1 of
# tf.train.AdamOptimizer), the step counter, Adam's beta powers.
GOOGLE_IGNORED = re.compile(
    r"(/adam_[mv]$|/Adam(_1)?$|^global_step$|(^|/)beta[12]_power(_\d+)?$)"
)

# Our layers with no counterpart in either format, so never imported: the
# keras-hub backbone's pooler (ELECTRA's heads read every token's hidden state;
# the reference and Hugging Face models have no pooler).
UNMAPPED_LAYERS = ("pooled_dense",)


@dataclasses.dataclass(frozen=True)
class ResolvedWeight:
    """A table row made concrete for one model: names filled in, sizes known.

    Attributes:
        part: "embeddings", "discriminator", "generator",
            "discriminator_head" or "generator_head".
        hf_model: which Hugging Face model holds it: "discriminator",
            "generator", or SHARED (the embeddings: a copy in each).
        google, hf, ours: the three names.
        axes: canonical shape as size symbols (tower sizes resolved).
        shape: canonical shape as ints.
        layout, hf_linear: as in `WeightName`.
        heads: attention heads of its tower (for the HEADS_* layouts).
    """

    part: str
    hf_model: str
    google: str
    hf: str
    ours: str
    axes: tuple
    shape: tuple
    layout: str
    hf_linear: bool
    heads: int


def size_values(config):
    """{size symbol: int} of an `ElectraConfig`."""
    return {
        "V": config.vocab_size,
        "E": config.embedding_size,
        "P": config.max_position_embeddings,
        "S": config.type_vocab_size,
        "H": config.hidden_size,
        "I": config.intermediate_size,
        "Hg": config.generator_hidden,
        "Ig": config.generator_intermediate,
        "1": 1,
    }


def resolve(config, towers=TOWERS):
    """The weights of an `ElectraPretrainer` built from `config`, as `ResolvedWeight`s.

    Args:
        config: `ElectraConfig`.
        towers: which towers (with their heads) to list; the shared
            embeddings are always listed, once.

    Returns:
        list of `ResolvedWeight`, in a fixed order (embeddings, then per
        tower: projection, layers, head).

    Example:
    ```python
    for weight in resolve(config):
        print(weight.google, weight.hf, weight.ours, weight.shape)
    ```
    """
    sizes = size_values(config)
    heads = {DISCRIMINATOR: config.num_heads, GENERATOR: config.generator_heads}
    hidden = {DISCRIMINATOR: config.hidden_size, GENERATOR: config.generator_hidden}
    resolved = []

    def add(row, part, owner, **names):
        axes = tuple(TOWER_SIZES[owner].get(a, a) for a in row.axes)
        resolved.append(ResolvedWeight(
            part=part,
            hf_model=SHARED if part == "embeddings" else owner,
            google=row.google.format(**names),
            hf=row.hf.format(**names),
            ours=row.ours.format(**names),
            axes=axes,
            shape=tuple(sizes[a] for a in axes),
            layout=row.layout,
            hf_linear=row.hf_linear,
            heads=heads[owner],
        ))

    for row in EMBEDDINGS:
        add(row, "embeddings", DISCRIMINATOR)
    for tower in towers:
        names = {"scope": GOOGLE_SCOPES[tower], "tower": tower}
        if config.embedding_size != hidden[tower]:
            for row in PROJECTION:
                add(row, tower, tower, **names)
        for i in range(config.num_layers):
            for row in LAYER:
                add(row, tower, tower, i=i, **names)
        for row in DISCRIMINATOR_HEAD if tower == DISCRIMINATOR else GENERATOR_HEAD:
            add(row, tower + "_head", tower)
    return resolved


def find_row(rows, google_suffix):
    """The row of `rows` whose TF1 name ends with `google_suffix`.

    For the few names importers read directly (to infer sizes), so they too
    come from this table.

    Example:
    ```python
    find_row(LAYER, "intermediate/dense/kernel")
    ```
    """
    return next(row for row in rows if row.google.endswith(google_suffix))


def google_name(row, tower=DISCRIMINATOR, index=0):
    """The TF1 name of a row for a tower and layer, e.g. "generator/encoder/layer_0/...".

    Example:
    ```python
    google_name(find_row(LAYER, "query/kernel"), "generator", 3)
    ```
    """
    return row.google.format(scope=GOOGLE_SCOPES[tower], tower=tower, i=index)
