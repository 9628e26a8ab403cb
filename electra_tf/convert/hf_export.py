"""Export a model_dir as Hugging Face folders `transformers` loads.

    discriminator/   ElectraForPreTraining: config.json, model.safetensors,
                     vocab.txt, tokenizer_config.json, special_tokens_map.json
    generator/       ElectraForMaskedLM: the same files

Each folder is a complete model: the shared embeddings are written into both
(Hugging Face keeps a copy per model). The generator's `generator_lm_head`
keeps only its bias; its weight is tied to the word embeddings
(`tie_word_embeddings: true`), as `save_pretrained` itself writes it.
Tensors are written with `safetensors.numpy`; neither torch nor
transformers is needed to export.

The configs' `hidden_act` is our activation's Hugging Face name ("gelu" for
exact GELU, "gelu_new" for the tanh form), so both towers and the
discriminator head reproduce ours to float32 round-off. Hugging Face's
generator head always uses exact GELU (see `hf_config`): with "gelu" it
matches ours too; a "gelu_approximate" model's MLM logits differ slightly
(~1e-4). The backbone's pooler (`pooled_dense`) has no Hugging Face
counterpart and is not exported.
"""

import json
import os
import shutil

import numpy as np

from electra_tf.convert import hf_config
from electra_tf.convert import hf_files
from electra_tf.convert import keras_weights
from electra_tf.convert import layouts
from electra_tf.convert import name_maps
from electra_tf.errors import UsageError

# safetensors files Hugging Face loads must say which framework wrote the layout.
SAFETENSORS_METADATA = {"format": "pt"}


def hf_state_dict(arrays, config, tower):
    """The Hugging Face state dict of one tower from canonical arrays.

    Args:
        arrays: {google name: canonical np.ndarray} (`keras_weights.read_canonical`).
        config: `ElectraConfig`.
        tower: "discriminator" or "generator".

    Returns:
        dict {state-dict key: contiguous float32 np.ndarray}.

    Example:
    ```python
    state = hf_state_dict(read_canonical(model, config), config, "generator")
    state["generator_lm_head.bias"].shape  # (vocab_size,)
    ```
    """
    state = {}
    for weight in name_maps.resolve(config):
        if weight.hf_model in (name_maps.SHARED, tower):
            value = layouts.canonical_to_hf(arrays[weight.google], weight)
            state[weight.hf] = np.ascontiguousarray(value, dtype=np.float32)
    return state


def _write_json(path, values):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(values, f, indent=2)
        f.write("\n")


def write_hf_folder(folder, state, config, tower, vocab, pad_id, overwrite=False):
    """Writes one Hugging Face model folder (config, safetensors, tokenizer files).

    Args:
        folder: str. Created if needed.
        state: dict from `hf_state_dict`.
        config: `ElectraConfig`.
        tower: "discriminator" or "generator".
        vocab: str or None. vocab.txt to copy in.
        pad_id: int. [PAD] id for `pad_token_id`.
        overwrite: bool. Replace an existing model.safetensors.

    Returns:
        str: the folder.
    """
    save_file = hf_files.safetensors_numpy().save_file
    weights = os.path.join(folder, hf_files.SAFETENSORS)
    if os.path.exists(weights) and not overwrite:
        raise UsageError(f"{weights} exists; pass --overwrite to replace it.")
    os.makedirs(folder, exist_ok=True)
    _write_json(os.path.join(folder, hf_files.CONFIG),
                hf_config.fields_to_hf(config, tower, name_maps.HF_CLASSES[tower], pad_id))
    save_file(state, weights + ".tmp", metadata=SAFETENSORS_METADATA)
    os.replace(weights + ".tmp", weights)
    if vocab:
        shutil.copyfile(vocab, os.path.join(folder, hf_files.VOCAB))
        for name, values in hf_config.tokenizer_files(config).items():
            _write_json(os.path.join(folder, name), values)
    return folder


def export_model_to_hf(model, config, vocab, discriminator_dir=None, generator_dir=None,
                       overwrite=False):
    """Writes an `ElectraPretrainer` as Hugging Face folders.

    Args:
        model: `ElectraPretrainer`.
        config: its `ElectraConfig`.
        vocab: str or None. Its vocab.txt.
        discriminator_dir: str or None. Where the ElectraForPreTraining goes.
        generator_dir: str or None. Where the ElectraForMaskedLM goes.
        overwrite: bool.

    Returns:
        dict {"discriminator": folder, "generator": folder} of those written.

    Example:
    ```python
    export_model_to_hf(model, config, "vocab.txt", "hf/discriminator", "hf/generator")
    ```
    """
    arrays = keras_weights.read_canonical(model, config)
    written = {}
    for tower, folder in ((name_maps.DISCRIMINATOR, discriminator_dir),
                          (name_maps.GENERATOR, generator_dir)):
        if folder:
            state = hf_state_dict(arrays, config, tower)
            written[tower] = write_hf_folder(folder, state, config, tower, vocab,
                                             model.pad_id, overwrite)
    return written


def export_hf(model_dir, output_dir=None, discriminator_dir=None, generator_dir=None,
              checkpoint=None, overwrite=False):
    """Exports a model_dir (a run, or an import) as Hugging Face folders.

    Args:
        model_dir: str. config.json, vocab.txt and ckpt-N (tools/pretrain.py's
            --model_dir, or an import's).
        output_dir: str or None. Default parent: `<output_dir>/discriminator`
            and `<output_dir>/generator`.
        discriminator_dir, generator_dir: str or None. Explicit folders
            (override `output_dir` for that tower).
        checkpoint: str or None. A ckpt-N prefix; default the latest.
        overwrite: bool. Replace existing model.safetensors files.

    Returns:
        dict {"discriminator": folder, "generator": folder, "checkpoint": path}.

    Raises:
        UsageError: not a model_dir, no destination, files exist.

    Example:
    ```python
    export_hf("runs/electra_tiny", "hf_export")
    # transformers.ElectraForPreTraining.from_pretrained("hf_export/discriminator")
    ```
    """
    from electra_tf.training.model_dir import VOCAB_FILE
    from electra_tf.training.model_dir import load_pretrainer

    if output_dir:
        discriminator_dir = discriminator_dir or os.path.join(output_dir, name_maps.DISCRIMINATOR)
        generator_dir = generator_dir or os.path.join(output_dir, name_maps.GENERATOR)
    if not discriminator_dir and not generator_dir:
        raise UsageError("pass --output_dir, or --discriminator_dir and/or --generator_dir, "
                         "as the destination of the Hugging Face folders.")
    if not model_dir or not os.path.isdir(model_dir):
        raise UsageError(f"--model_dir={model_dir!r} is not a folder.")
    for folder in (discriminator_dir, generator_dir):
        weights = folder and os.path.join(folder, hf_files.SAFETENSORS)
        if weights and os.path.exists(weights) and not overwrite:
            raise UsageError(f"{weights} exists; pass --overwrite to replace it.")
    model, _, config, path = load_pretrainer(model_dir, checkpoint)
    written = export_model_to_hf(model, config, os.path.join(model_dir, VOCAB_FILE),
                                 discriminator_dir, generator_dir, overwrite)
    return {**written, "checkpoint": path}
