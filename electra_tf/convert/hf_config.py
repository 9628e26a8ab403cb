"""Hugging Face `ElectraConfig` / tokenizer JSON <-> our `ElectraConfig` fields.

Written and read as plain JSON: converting needs neither `transformers` nor
`torch`.

Activations. Our `hidden_act` "gelu" is the exact erf GELU, Hugging Face's
"gelu" (and Google's modeling.py); our "gelu_approximate" is the tanh form,
Hugging Face's "gelu_new" (also "gelu_pytorch_tanh", "gelu_fast"). Imports
take the source's activation and exports write the matching name, so towers
and discriminator head agree to float32 round-off either way.

Hugging Face's generator head (`ElectraGeneratorPredictions`) applies exact
GELU whatever `hidden_act` says, while Google's (and ours) uses `hidden_act`.
With "gelu" the two agree; with a tanh model the generator's MLM logits
differ slightly (~1e-4 on a random 2-layer model), with a note.
"""

from electra_tf.errors import UsageError

# Hugging Face activation name -> our hidden_act.
HF_TO_HIDDEN_ACT = {
    "gelu": "gelu",
    "gelu_new": "gelu_approximate",
    "gelu_pytorch_tanh": "gelu_approximate",
    "gelu_fast": "gelu_approximate",
}
# Our hidden_act -> the Hugging Face name exports write.
HIDDEN_ACT_TO_HF = {"gelu": "gelu", "gelu_approximate": "gelu_new"}
LAYER_NORM_EPSILON = 1e-12

# Hugging Face config field -> ElectraConfig field, for the sizes both have.
HF_TO_OURS = {
    "vocab_size": "vocab_size",
    "embedding_size": "embedding_size",
    "hidden_size": "hidden_size",
    "num_hidden_layers": "num_layers",
    "num_attention_heads": "num_heads",
    "intermediate_size": "intermediate_size",
    "max_position_embeddings": "max_position_embeddings",
    "type_vocab_size": "type_vocab_size",
    "hidden_dropout_prob": "dropout",
}

GENERATOR_HEAD_NOTE = (
    "{source}: hidden_act is tanh GELU, but Hugging Face's ElectraGeneratorPredictions always "
    "applies exact GELU; ours follows hidden_act as Google's reference does, so MLM logits "
    "differ slightly (~1e-4). Towers and discriminator are unaffected."
)


def hidden_act_from_hf(act, source):
    """Our `hidden_act` for a Hugging Face `hidden_act` name.

    Args:
        act: str. The Hugging Face name ("gelu", "gelu_new", ...).
        source: str. Where it was read, for messages.

    Raises:
        UsageError: not a GELU our encoder computes.

    Example:
    ```python
    hidden_act_from_hf("gelu_new", "disc/config.json")  # "gelu_approximate"
    ```
    """
    if act not in HF_TO_HIDDEN_ACT:
        raise UsageError(
            f"{source}: hidden_act {act!r} is not a GELU electra-tf computes "
            f"({' / '.join(HF_TO_HIDDEN_ACT)})."
        )
    return HF_TO_HIDDEN_ACT[act]


def hf_to_fields(hf, source):
    """Our size fields from one Hugging Face ELECTRA config dict, with checks.

    Args:
        hf: dict, a Hugging Face `config.json`.
        source: str. Its path, for messages.

    Returns:
        `(fields, notes)`: dict of ElectraConfig fields (sizes, hidden_act
        and dropout), list of str notes.

    Raises:
        UsageError: not an ELECTRA config, or a setting our model cannot
            represent (activation, LayerNorm epsilon, position type).

    Example:
    ```python
    fields, notes = hf_to_fields(json.load(open("disc/config.json")), "disc/config.json")
    ```
    """
    model_type = hf.get("model_type", "electra")
    if model_type != "electra":
        raise UsageError(f"{source}: model_type is {model_type!r}, not 'electra'.")
    missing = [key for key in HF_TO_OURS if key not in hf and key != "hidden_dropout_prob"]
    if missing:
        raise UsageError(f"{source}: missing field(s) {', '.join(missing)} of an ELECTRA config.")
    fields = {ours: hf[key] for key, ours in HF_TO_OURS.items() if key in hf}
    notes = []
    # transformers' ElectraConfig defaults hidden_act to "gelu".
    fields["hidden_act"] = hidden_act_from_hf(hf.get("hidden_act", "gelu"), source)
    epsilon = float(hf.get("layer_norm_eps", LAYER_NORM_EPSILON))
    if abs(epsilon - LAYER_NORM_EPSILON) > 1e-15:
        raise UsageError(
            f"{source}: layer_norm_eps is {epsilon:g}; keras-hub's ElectraBackbone uses "
            f"{LAYER_NORM_EPSILON:g} (as ELECTRA does) and cannot load another."
        )
    position_type = hf.get("position_embedding_type", "absolute")
    if position_type != "absolute":
        raise UsageError(
            f"{source}: position_embedding_type {position_type!r}; electra-tf has learned "
            "absolute positions only."
        )
    return fields, notes


def tower_sizes(config, tower):
    """(hidden, heads, intermediate) of one tower of an `ElectraConfig`."""
    if tower == "generator":
        return config.generator_hidden, config.generator_heads, config.generator_intermediate
    return config.hidden_size, config.num_heads, config.intermediate_size


def fields_to_hf(config, tower, architecture, pad_id):
    """The Hugging Face `config.json` dict of one tower.

    The Hugging Face generator is a model of its own, so its
    hidden_size / num_attention_heads / intermediate_size are the generator's
    (our config derives them from `generator_hidden_size`), while vocabulary,
    embedding and position sizes are the shared ones.

    Args:
        config: `ElectraConfig`.
        tower: "discriminator" or "generator".
        architecture: "ElectraForPreTraining" or "ElectraForMaskedLM".
        pad_id: int. The [PAD] id (Hugging Face's `pad_token_id`).

    Example:
    ```python
    json.dump(fields_to_hf(config, "generator", "ElectraForMaskedLM", 0), f)
    ```
    """
    hidden, heads, intermediate = tower_sizes(config, tower)
    return {
        "architectures": [architecture],
        "model_type": "electra",
        "vocab_size": config.vocab_size,
        "embedding_size": config.embedding_size,
        "hidden_size": hidden,
        "num_hidden_layers": config.num_layers,
        "num_attention_heads": heads,
        "intermediate_size": intermediate,
        "hidden_act": HIDDEN_ACT_TO_HF[config.hidden_act],
        "hidden_dropout_prob": config.dropout,
        "attention_probs_dropout_prob": config.dropout,
        "max_position_embeddings": config.max_position_embeddings,
        "type_vocab_size": config.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": LAYER_NORM_EPSILON,
        "pad_token_id": int(pad_id),
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "summary_type": "first",
        "summary_use_proj": True,
        "summary_activation": "gelu",
        "summary_last_dropout": 0.1,
        # The generator's LM matrix is the word embedding (docs/algorithm.md §3).
        "tie_word_embeddings": True,
        "dtype": "float32",
    }


def tokenizer_files(config):
    """`{file name: dict}` of the Hugging Face tokenizer JSON files for our vocabulary.

    BERT WordPiece with BERT's normalization: `do_lower_case` follows
    `config.lowercase`, and `strip_accents` None means "strip when
    lowercasing", which is what our tokenizer does.

    Example:
    ```python
    for name, values in tokenizer_files(config).items():
        write_json(os.path.join(out, name), values)
    ```
    """
    special = {
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
    }
    return {
        "tokenizer_config.json": {
            "tokenizer_class": "ElectraTokenizer",
            "do_lower_case": bool(config.lowercase),
            "do_basic_tokenize": True,
            "tokenize_chinese_chars": True,
            "strip_accents": None,
            "model_max_length": config.max_position_embeddings,
            "clean_up_tokenization_spaces": True,
            **special,
        },
        "special_tokens_map.json": special,
    }


def read_lowercase(tokenizer_config):
    """`do_lower_case` of a Hugging Face tokenizer_config dict, or None if absent."""
    value = tokenizer_config.get("do_lower_case")
    return None if value is None else bool(value)
