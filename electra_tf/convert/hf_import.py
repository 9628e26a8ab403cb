"""Import Hugging Face ELECTRA folders (discriminator, generator or both) into ours.

`ElectraForPreTraining` is our discriminator with its replaced-token head;
`ElectraForMaskedLM` is our generator with its MLM head. Given both, they
become one `ElectraPretrainer`; given one, the other tower is freshly
initialised (listed in `ImportedModel.fresh`).

Sizes. The discriminator's config gives ours directly. The generator's
hidden size over the discriminator's is `generator_hidden_size`; its FFN
width and heads come from its own config (`generator_intermediate_size`,
`generator_num_heads` where Google's 4 x hidden / hidden // 64 would not give
them), and every shape is checked against the weights. A generator alone is
imported as a pretrainer whose discriminator has the generator's sizes
(generator_hidden_size 1.0) unless `config_json` states the discriminator's.

Shared embeddings. ELECTRA has ONE set of embeddings (docs/algorithm.md §3), Hugging Face
keeps a copy in each model. For a pair the copies must be equal (they are
when both come from one pretraining run); otherwise the import fails unless
`shared_embeddings` says which copy wins ("discriminator" or "generator").

Activations: `hidden_act` comes from the configs ("gelu" -> exact,
"gelu_new" -> tanh; see `hf_config`). Hugging Face's generator head is always
exact GELU: a tanh generator gets a note.
"""

import numpy as np

from electra_tf.convert import collect
from electra_tf.convert import config_merge
from electra_tf.convert import hf_config
from electra_tf.convert import hf_files
from electra_tf.convert import keras_weights
from electra_tf.convert import layouts
from electra_tf.convert import mismatch
from electra_tf.convert import name_maps
from electra_tf.convert.imported_model import ImportedModel
from electra_tf.convert.imported_model import build_pretrainer
from electra_tf.convert.imported_model import resolve_vocab
from electra_tf.errors import UsageError

SHARED_EMBEDDINGS_CHOICES = ("check", name_maps.DISCRIMINATOR, name_maps.GENERATOR)
# Sizes a discriminator/generator pair must share (one set of embeddings).
_SHARED_FIELDS = ("vocab_size", "embedding_size", "max_position_embeddings", "type_vocab_size")
_HEAD_KEYS = {
    name_maps.DISCRIMINATOR: name_maps.DISCRIMINATOR_HEAD[0].hf,
    name_maps.GENERATOR: name_maps.GENERATOR_HEAD[0].hf,
}
_FLAGS = {name_maps.DISCRIMINATOR: "--discriminator_dir", name_maps.GENERATOR: "--generator_dir"}


def _check_role(folder, tower):
    """Refuses a generator passed as a discriminator and vice versa."""
    other = name_maps.GENERATOR if tower == name_maps.DISCRIMINATOR else name_maps.DISCRIMINATOR
    if _HEAD_KEYS[tower] not in folder.tensors and _HEAD_KEYS[other] in folder.tensors:
        raise UsageError(
            f"{_FLAGS[tower]}={folder.path!r} holds an {name_maps.HF_CLASSES[other]} "
            f"({_HEAD_KEYS[other]}), not an {name_maps.HF_CLASSES[tower]}: pass it as "
            f"{_FLAGS[other]}."
        )


def _pair_fields(disc, gen, disc_fields, gen_fields):
    """Our fields for a discriminator + generator pair, checking they fit one config."""
    source = f"{gen.path}/{hf_files.CONFIG}"
    why = {"num_layers": "electra-tf's generator keeps the discriminator's depth",
           "hidden_act": "both towers use one activation (ElectraConfig.hidden_act)"}
    for field in _SHARED_FIELDS + ("num_layers", "hidden_act"):
        if disc_fields[field] != gen_fields[field]:
            raise UsageError(
                f"{source}: {field} {gen_fields[field]!r} vs the discriminator's "
                f"{disc_fields[field]!r}; "
                f"{why.get(field, 'the two towers share one set of embeddings')}."
            )
    fields = dict(disc_fields)
    fields.update(config_merge.generator_fields(
        gen_fields["hidden_size"], gen_fields["intermediate_size"], gen_fields["num_heads"],
        disc_fields["hidden_size"]))
    return fields


def _check_tower_sizes(config, tower, fields, source):
    """The merged config must give this tower the sizes its Hugging Face config states."""
    hidden, heads, intermediate = hf_config.tower_sizes(config, tower)
    ours = {"hidden_size": hidden, "num_heads": heads, "intermediate_size": intermediate,
            "num_layers": config.num_layers}
    ours.update({field: getattr(config, field) for field in _SHARED_FIELDS})
    hf_names = {v: k for k, v in hf_config.HF_TO_OURS.items()}
    for field, value in ours.items():
        if fields[field] == value:
            continue
        name = f"{source}: {hf_names[field]}"
        if tower == name_maps.GENERATOR and field in ("hidden_size", "num_heads",
                                                      "intermediate_size"):
            symbol = {"hidden_size": "Hg", "intermediate_size": "Ig"}.get(field)
            hint = (mismatch.field_hint(symbol, fields[field], value, config) if symbol else
                    f"is generator_num_heads {fields[field]} or {value}?")
            raise UsageError(f"{name} {fields[field]} vs {value} from the config; {hint}")
        raise UsageError(
            f"{name} is {fields[field]} but the config gives {field} {value}: is {field} "
            f"{fields[field]} or {value}?"
        )


def _shared_array(weight, folders, policy):
    """One shared-embedding tensor from the folders, checking the copies agree."""
    copies = {tower: f.tensors.get(weight.hf) for tower, f in folders.items()}
    present = {tower: a for tower, a in copies.items() if a is not None}
    if not present:
        return None
    if policy in present:
        return present[policy]
    if len(present) == 2:
        disc, gen = present[name_maps.DISCRIMINATOR], present[name_maps.GENERATOR]
        if disc.shape == gen.shape and not np.array_equal(disc, gen):
            raise UsageError(
                f"{weight.hf} differs between the discriminator and the generator (max |diff| "
                f"{float(np.max(np.abs(disc - gen))):.3g}); ELECTRA shares one set of "
                "embeddings. Pass --shared_embeddings=discriminator (or generator) to take "
                "that model's copy."
            )
    return next(iter(present.values()))


def _check_tied_lm(gen):
    """Hugging Face's generator_lm_head.weight must be the word embeddings (ours are tied)."""
    lm = gen.tensors.get(name_maps.HF_TIED_LM_WEIGHT)
    word = gen.tensors.get(name_maps.EMBEDDINGS[0].hf)
    if lm is None or word is None:
        return
    if lm.shape != word.shape or not np.array_equal(lm, word):
        tied = gen.config.get("tie_word_embeddings", True)
        raise UsageError(
            f"{gen.path}: {name_maps.HF_TIED_LM_WEIGHT} is not the word-embedding matrix "
            f"(tie_word_embeddings={tied}); electra-tf's MLM head is tied to the embeddings "
            "(docs/algorithm.md §3) and cannot hold a separate output matrix."
        )


def _read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def import_hf(discriminator_dir=None, generator_dir=None, config_json=None, vocab=None,
              shared_embeddings="check"):
    """Loads Hugging Face ELECTRA folders into a new `ElectraPretrainer`.

    Args:
        discriminator_dir: str or None. An `ElectraForPreTraining` folder.
        generator_dir: str or None. An `ElectraForMaskedLM` folder.
        config_json: str or None. Our config JSON (training settings; sizes
            it states are checked) or a BERT / Hugging Face one.
        vocab: str or None. Default: the folders' vocab.txt.
        shared_embeddings: "check" (the pair's embeddings must be equal),
            "discriminator" or "generator" (that copy wins).

    Returns:
        `ImportedModel`; its notes include the activation caveats.

    Raises:
        UsageError: missing files, torch needed for a .bin, sizes one config
            cannot hold, shape mismatches, differing shared embeddings.

    Example:
    ```python
    imported = import_hf("electra-small-discriminator", "electra-small-generator")
    logits = imported.model.discriminator_head(
        imported.model.discriminator(inputs)["sequence_output"])
    ```
    """
    if shared_embeddings not in SHARED_EMBEDDINGS_CHOICES:
        raise UsageError(f"shared_embeddings must be one of {SHARED_EMBEDDINGS_CHOICES}, got "
                         f"{shared_embeddings!r}.")
    if not discriminator_dir and not generator_dir:
        raise UsageError("pass --discriminator_dir, --generator_dir or both.")
    folders, fields, notes = {}, {}, []
    for tower, path in ((name_maps.DISCRIMINATOR, discriminator_dir),
                        (name_maps.GENERATOR, generator_dir)):
        if path:
            folder = hf_files.read_folder(path, _FLAGS[tower])
            _check_role(folder, tower)
            folders[tower] = folder
            fields[tower], tower_notes = hf_config.hf_to_fields(
                folder.config, f"{path}/{hf_files.CONFIG}")
            notes += tower_notes
    disc = folders.get(name_maps.DISCRIMINATOR)
    gen = folders.get(name_maps.GENERATOR)
    if disc and gen:
        inferred = _pair_fields(disc, gen, fields[name_maps.DISCRIMINATOR],
                                fields[name_maps.GENERATOR])
    elif disc:
        inferred = dict(fields[name_maps.DISCRIMINATOR])
    else:
        alone = fields[name_maps.GENERATOR]
        inferred = dict(alone, **config_merge.generator_fields(
            alone["hidden_size"], alone["intermediate_size"], alone["num_heads"],
            alone["hidden_size"]))
    lowercase = [hf_config.read_lowercase(f.tokenizer_config) for f in folders.values()]
    lowercase = [value for value in lowercase if value is not None]
    if lowercase:
        inferred["lowercase"] = lowercase[0]
    stated = config_merge.read_config_json(config_json) if config_json else {}
    config = config_merge.merge_config(inferred, stated)
    for tower, folder in folders.items():
        _check_tower_sizes(config, tower, fields[tower], f"{folder.path}/{hf_files.CONFIG}")

    parts = ["embeddings"]
    for tower, folder in folders.items():
        parts.append(tower)
        if _HEAD_KEYS[tower] in folder.tensors:
            parts.append(tower + "_head")
    if gen:
        if config.hidden_act != "gelu":
            notes.append(hf_config.GENERATOR_HEAD_NOTE.format(source=gen.path))
        _check_tied_lm(gen)

    def fetch(weight):
        if weight.hf_model == name_maps.SHARED:
            return weight.hf, _shared_array(weight, folders, shared_embeddings)
        return weight.hf, folders[weight.hf_model].tensors.get(weight.hf)

    source = " + ".join(f.weights_file for f in folders.values())
    arrays = collect.collect_canonical(config, parts, fetch, layouts.hf_to_canonical,
                                       layouts.hf_shape, source)
    used = {w.hf for w in name_maps.resolve(config) if w.google in arrays}
    for folder in folders.values():
        unused = sorted(key for key in folder.tensors
                        if key not in used and key != name_maps.HF_TIED_LM_WEIGHT
                        and not name_maps.HF_IGNORED_KEYS.search(key))
        if unused:
            notes.append(f"{folder.weights_file}: ignored {len(unused)} tensor(s) with no "
                         f"counterpart in electra-tf: {', '.join(unused[:5])}"
                         f"{' ...' if len(unused) > 5 else ''}")
    vocab_files = [f.vocab for f in folders.values() if f.vocab]
    if len(vocab_files) == 2 and _read_bytes(vocab_files[0]) != _read_bytes(vocab_files[1]):
        notes.append(f"{vocab_files[0]} and {vocab_files[1]} differ; using "
                     f"{vocab or vocab_files[0]}.")
    vocab = resolve_vocab(vocab, vocab_files, config.vocab_size)
    model, vocab_notes = build_pretrainer(config, vocab)
    keras_weights.assign_canonical(model, config, arrays)
    fresh = [p for p in collect.PARTS if p not in parts] + list(name_maps.UNMAPPED_LAYERS)
    if not gen:
        notes.append(f"no generator given: the generator (generator_hidden_size "
                     f"{config.generator_hidden_size:g}) is freshly initialised.")
    if not disc:
        notes.append("no discriminator given: the discriminator tower and head are freshly "
                     "initialised (the shared embeddings come from the generator).")
    return ImportedModel(
        model=model,
        config=config,
        vocab=vocab,
        source={"format": "huggingface",
                **{tower: folder.weights_file for tower, folder in folders.items()}},
        imported=parts,
        fresh=fresh,
        notes=notes + vocab_notes,
    )
