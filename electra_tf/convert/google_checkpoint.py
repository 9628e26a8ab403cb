"""Import a Google (reference TF1) ELECTRA checkpoint into an `ElectraPretrainer`.

The reference code (google-research/electra) saves TF1 variables named as in
docs/algorithm.md §8. Sizes are read from the shapes: vocabulary, embedding and hidden
sizes, layers, FFN width, and the generator's hidden size (hence
`generator_hidden_size` = generator hidden / discriminator hidden). The
number of attention heads is not visible in any shape: it comes from
`config_json` when given, else hidden / 64 as in every released model
(docs/algorithm.md §5). The generator's FFN width is read from its shapes; its heads are
`generator_num_heads` from `config_json` when given, else max(1, hidden_g //
64) as the reference's get_generator_config derives them. The activation is
the reference's exact erf GELU (`hidden_act` "gelu") unless `config_json`
states another.

Adam slots (`*/adam_m`, `*/adam_v`), `global_step` and the like are training
state and are ignored; a checkpoint without them (as released) is normal.
A checkpoint without `generator/...` variables (a discriminator-only release
or a fine-tuned model) imports the discriminator and leaves the generator
freshly initialised.
"""

import os

from electra_tf.convert import collect
from electra_tf.convert import config_merge
from electra_tf.convert import keras_weights
from electra_tf.convert import name_maps
from electra_tf.convert.imported_model import ImportedModel
from electra_tf.convert.imported_model import build_pretrainer
from electra_tf.convert.imported_model import resolve_vocab
from electra_tf.errors import UsageError

_WORD = name_maps.find_row(name_maps.EMBEDDINGS, "word_embeddings")
_POSITION = name_maps.find_row(name_maps.EMBEDDINGS, "position_embeddings")
_SEGMENT = name_maps.find_row(name_maps.EMBEDDINGS, "token_type_embeddings")
_QUERY = name_maps.find_row(name_maps.LAYER, "self/query/kernel")
_INTERMEDIATE = name_maps.find_row(name_maps.LAYER, "intermediate/dense/kernel")
_DISC_HEAD = name_maps.DISCRIMINATOR_HEAD[0]
_GEN_HEAD = name_maps.GENERATOR_HEAD[0]
# Per released model, heads = hidden / 64 (docs/algorithm.md §5).
HEAD_SIZE = 64


def resolve_checkpoint_path(path):
    """The checkpoint prefix for a prefix or a folder (its latest checkpoint).

    Raises:
        UsageError: nothing readable there.

    Example:
    ```python
    resolve_checkpoint_path("electra_small")  # -> "electra_small/electra_small"
    ```
    """
    import tensorflow as tf

    if path and os.path.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest:
            return latest
        indexes = sorted(tf.io.gfile.glob(os.path.join(path, "*.index")))
        if len(indexes) == 1:
            return indexes[0][: -len(".index")]
        raise UsageError(
            f"{path!r} holds {'no' if not indexes else len(indexes)} TF checkpoint(s) and no "
            "'checkpoint' file naming the latest; pass the prefix (e.g. .../model.ckpt-1000000)."
        )
    if not path or not tf.io.gfile.exists(path + ".index"):
        raise UsageError(
            f"no TF checkpoint at {path!r} (looked for {path!r}.index). Pass the checkpoint "
            "prefix (the file name before .index / .data-*) or its folder."
        )
    return path


def read_checkpoint(prefix):
    """The model variables of a TF1 checkpoint: `(reader, {name: shape}, ignored names)`."""
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as error:
        raise UsageError(f"cannot read the checkpoint {prefix!r}: {error}") from None
    shapes, ignored = {}, []
    for name, shape in reader.get_variable_to_shape_map().items():
        if name_maps.GOOGLE_IGNORED.search(name):
            ignored.append(name)
        else:
            shapes[name] = tuple(shape)
    return reader, shapes, ignored


def _count_layers(shapes, tower):
    count = 0
    while name_maps.google_name(_QUERY, tower, count) in shapes:
        count += 1
    return count


def infer_fields(shapes, prefix):
    """ElectraConfig fields visible in the shapes, and which towers exist.

    Args:
        shapes: {TF1 name: shape} of the model variables.
        prefix: str. The checkpoint, for messages.

    Returns:
        `(fields, has_generator, layers)`: dict of inferred fields, bool,
        number of discriminator layers.

    Example:
    ```python
    fields, has_generator, layers = infer_fields(shapes, prefix)
    fields["generator_hidden_size"]  # e.g. 0.25
    ```
    """
    word = name_maps.google_name(_WORD)
    query = name_maps.google_name(_QUERY)
    if word not in shapes or query not in shapes:
        raise UsageError(
            f"{prefix}: not an ELECTRA checkpoint in the reference layout: no {word!r} or "
            f"{query!r} (found e.g. {', '.join(sorted(shapes)[:3]) or 'nothing'})."
        )
    vocab_size, embedding_size = shapes[word]
    hidden = shapes[query][1]
    layers = _count_layers(shapes, name_maps.DISCRIMINATOR)
    fields = {
        "vocab_size": vocab_size,
        "embedding_size": embedding_size,
        "max_position_embeddings": shapes[name_maps.google_name(_POSITION)][0],
        "type_vocab_size": shapes[name_maps.google_name(_SEGMENT)][0],
        "hidden_size": hidden,
        "num_layers": layers,
        "num_heads": max(1, hidden // HEAD_SIZE),
        "intermediate_size": shapes[name_maps.google_name(_INTERMEDIATE)][1],
        # Google's modeling.py computes the exact erf GELU.
        "hidden_act": "gelu",
    }
    gen_query = name_maps.google_name(_QUERY, name_maps.GENERATOR)
    has_generator = gen_query in shapes
    if has_generator:
        gen_layers = _count_layers(shapes, name_maps.GENERATOR)
        if gen_layers != layers:
            raise UsageError(
                f"{prefix}: the generator has {gen_layers} layers and the discriminator "
                f"{layers}; electra-tf's generator keeps the discriminator's depth "
                "(the reference's generator_layers=1.0)."
            )
        gen_hidden = shapes[gen_query][1]
        # A missing kernel is reported by name when the weights are collected.
        gen_intermediate = shapes.get(name_maps.google_name(_INTERMEDIATE, name_maps.GENERATOR),
                                      (None, 4 * gen_hidden))[1]
        fields.update(config_merge.generator_fields(gen_hidden, gen_intermediate, None, hidden))
    return fields, has_generator, layers


def import_google_checkpoint(checkpoint, config_json=None, vocab=None):
    """Loads a reference TF1 ELECTRA checkpoint into a new `ElectraPretrainer`.

    Args:
        checkpoint: str. Checkpoint prefix (e.g. ".../model.ckpt-1000000") or
            its folder.
        config_json: str or None. Our config JSON or a BERT-style one: gives
            num_heads (default hidden / 64) and training settings; sizes it
            states are checked against the checkpoint.
        vocab: str or None. vocab.txt; default: vocab.txt beside the
            checkpoint, if any.

    Returns:
        `ImportedModel`.

    Raises:
        UsageError: unreadable checkpoint, a shape mismatch (naming the
            variable, both shapes and the config field), missing weights.

    Example:
    ```python
    imported = import_google_checkpoint("electra_small", vocab="electra_small/vocab.txt")
    write_model_dir(imported, "runs/electra_small")
    ```
    """
    prefix = resolve_checkpoint_path(checkpoint)
    reader, shapes, ignored = read_checkpoint(prefix)
    inferred, has_generator, layers = infer_fields(shapes, prefix)
    stated = config_merge.read_config_json(config_json) if config_json else {}
    config = config_merge.merge_config(inferred, stated)
    config_merge.check_stated_layers(
        config, layers, lambda i: name_maps.google_name(_QUERY, name_maps.DISCRIMINATOR, i))

    parts = ["embeddings", "discriminator"]
    if name_maps.google_name(_DISC_HEAD) in shapes:
        parts.append("discriminator_head")
    if has_generator:
        parts.append("generator")
        if name_maps.google_name(_GEN_HEAD) in shapes:
            parts.append("generator_head")
    notes = []
    if "num_heads" not in stated:
        # No shape shows the head count, and a wrong one silently changes every output.
        notes.append(f"num_heads {config.num_heads} assumed (hidden size / {HEAD_SIZE}, as in "
                     "every released ELECTRA); pass --config_json with num_heads if this "
                     "checkpoint used another.")
    fresh = [p for p in collect.PARTS if p not in parts] + list(name_maps.UNMAPPED_LAYERS)
    if not has_generator:
        notes.append(
            f"{prefix} has no generator: the generator (generator_hidden_size "
            f"{config.generator_hidden_size:g}) is freshly initialised."
        )

    def fetch(weight):
        name = weight.google
        return name, (reader.get_tensor(name) if name in shapes else None)

    arrays = collect.collect_canonical(
        config, parts, fetch, lambda array, weight: array, lambda weight: weight.shape, prefix
    )
    used = set(arrays)
    unused = sorted(set(shapes) - used)
    if unused:
        notes.append(f"ignored {len(unused)} variable(s) with no counterpart in electra-tf: "
                     f"{', '.join(unused[:5])}{' ...' if len(unused) > 5 else ''}")
    vocab = resolve_vocab(vocab, [os.path.join(os.path.dirname(prefix), "vocab.txt")],
                          config.vocab_size)
    model, vocab_notes = build_pretrainer(config, vocab)
    keras_weights.assign_canonical(model, config, arrays)
    return ImportedModel(
        model=model,
        config=config,
        vocab=vocab,
        source={"format": "google", "checkpoint": os.path.abspath(prefix),
                "ignored_training_state": len(ignored)},
        imported=parts,
        fresh=fresh,
        notes=notes + vocab_notes,
    )
