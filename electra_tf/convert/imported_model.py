"""An imported model, and writing it as a model_dir the other tools read.

The model_dir an import writes has the layout of `training/model_dir.py`:

```
model_dir/
  config.json      ElectraConfig (sizes from the checkpoint)
  vocab.txt        the checkpoint's vocabulary, when one was given or found
  checkpoint, ckpt-0.*   tf.train.Checkpoint(model=ElectraPretrainer)
  conversion.json  where the weights came from, which parts were left fresh, notes
```

so `load_pretrainer` and tools/export.py work on it as on a trained run.

The checkpoint holds the MODEL ONLY: reference checkpoints' Adam slots are
deliberately not carried over (docs/algorithm.md §9.8: they are often missing, and ours is
AdamW with bias correction, a different state), so continued pretraining
from an import starts a fresh optimizer at step 0, with its learning-rate
warmup. A training loop tells such a checkpoint from a run's with
`is_model_only_checkpoint` and restores it as `tf.train.Checkpoint(model=...)`.
The training settings in config.json (max_seq_length, learning_rate, ...)
come from the importer's `config_json`, else the defaults: state the ones the
continued run will use at import time, since a resumed run must keep them.
"""

import dataclasses
import glob
import json
import os
import shutil

from electra_tf.errors import UsageError
from electra_tf.text import special_tokens
from electra_tf.training.model_dir import CONFIG_FILE
from electra_tf.training.model_dir import VOCAB_FILE
from electra_tf.training.model_dir import is_model_only_checkpoint  # noqa: F401 (re-export)

CONVERSION_FILE = "conversion.json"
CHECKPOINT_NAME = "ckpt"
# Special-token ids when no vocabulary is at hand: the BERT uncased vocab.txt
# every released ELECTRA uses, else the layout tools/build_vocab.py writes.
BERT_VOCAB_SIZE = 30522
BERT_SPECIAL_IDS = {"pad_id": 0, "cls_id": 101, "sep_id": 102, "mask_id": 103}
OWN_SPECIAL_IDS = {
    "pad_id": special_tokens.SPECIAL_TOKENS.index(special_tokens.PAD),
    "cls_id": special_tokens.SPECIAL_TOKENS.index(special_tokens.CLS),
    "sep_id": special_tokens.SPECIAL_TOKENS.index(special_tokens.SEP),
    "mask_id": special_tokens.SPECIAL_TOKENS.index(special_tokens.MASK),
}


@dataclasses.dataclass
class ImportedModel:
    """What an importer returns.

    Attributes:
        model: `ElectraPretrainer` holding the imported weights.
        config: its `ElectraConfig`.
        vocab: str or None. The vocabulary file it was built with.
        source: dict describing the input (format, paths).
        imported: list of parts loaded from the source ("embeddings",
            "discriminator", "discriminator_head", "generator",
            "generator_head").
        fresh: list of parts the source lacks, left at their random
            initialisation (always including the backbone's unused pooler).
        notes: list of str the user should read (activation differences,
            ignored variables, ...).
    """

    model: object
    config: object
    vocab: object
    source: dict
    imported: list
    fresh: list
    notes: list


def resolve_vocab(explicit, candidates, vocab_size):
    """The vocabulary to use: `explicit`, else the first existing candidate; checked.

    Args:
        explicit: str or None. A path the user gave (must exist).
        candidates: paths to look at (e.g. vocab.txt beside the checkpoint).
        vocab_size: int. Rows of the checkpoint's word embeddings.

    Returns:
        str path, or None when no vocabulary was given or found.

    Raises:
        UsageError: explicit path missing, bad file, or a token count other
            than `vocab_size`.
    """
    from electra_tf.text.vocab import load_vocab

    path = explicit
    if path is None:
        path = next((p for p in candidates if p and os.path.isfile(p)), None)
    if path is None:
        return None
    tokens = load_vocab(path)
    if len(tokens) != vocab_size:
        raise UsageError(
            f"{path}: the vocabulary has {len(tokens)} tokens but the checkpoint's word "
            f"embeddings have {vocab_size} rows (vocab_size). Pass the vocabulary the "
            "checkpoint was trained with (--vocab)."
        )
    return path


def build_pretrainer(config, vocab):
    """A fresh `ElectraPretrainer` for `config`, special-token ids from `vocab`.

    Args:
        config: `ElectraConfig`.
        vocab: str or None. Without one, the ids are BERT's when vocab_size is
            30522 and tools/build_vocab.py's (0..4) otherwise.

    Returns:
        `(model, notes)`.
    """
    from electra_tf.models.pretrainer import ElectraPretrainer

    if vocab:
        from electra_tf.text.tokenizer import ElectraTokenizer

        tokenizer = ElectraTokenizer.from_vocab_file(vocab, lowercase=config.lowercase)
        return ElectraPretrainer.from_tokenizer(config, tokenizer), []
    ids = BERT_SPECIAL_IDS if config.vocab_size == BERT_VOCAB_SIZE else OWN_SPECIAL_IDS
    note = (f"no vocabulary given or found: special-token ids assumed {ids}; copy the "
            f"checkpoint's vocab.txt into the model_dir before pretraining or exporting.")
    return ElectraPretrainer(config, **ids), [note]


def _existing_run_files(model_dir):
    names = [CONFIG_FILE, VOCAB_FILE, CONVERSION_FILE, "checkpoint"]
    found = [os.path.join(model_dir, n) for n in names
             if os.path.exists(os.path.join(model_dir, n))]
    return found + glob.glob(os.path.join(model_dir, CHECKPOINT_NAME + "-*"))


def write_model_dir(imported, model_dir, overwrite=False):
    """Writes an `ImportedModel` as a model_dir (see the module docstring).

    Args:
        imported: `ImportedModel`.
        model_dir: str. Created if needed.
        overwrite: bool. Replace the config, vocab, checkpoints and
            conversion.json of an existing model_dir (nothing else in it).

    Returns:
        str: the checkpoint prefix written (".../ckpt-0").

    Raises:
        UsageError: `model_dir` already holds a run and `overwrite` is False.

    Example:
    ```python
    imported = import_google_checkpoint("electra_small/model.ckpt-1000000")
    write_model_dir(imported, "runs/electra_small_imported")
    ```
    """
    import tensorflow as tf

    existing = _existing_run_files(model_dir)
    if existing and not overwrite:
        raise UsageError(
            f"{model_dir!r} already holds a run ({os.path.basename(existing[0])}); pass "
            "--overwrite to replace it, or choose another --model_dir."
        )
    for path in existing:
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    os.makedirs(model_dir, exist_ok=True)
    imported.config.to_json(os.path.join(model_dir, CONFIG_FILE))
    if imported.vocab:
        shutil.copyfile(imported.vocab, os.path.join(model_dir, VOCAB_FILE))
    checkpoint = tf.train.Checkpoint(model=imported.model)
    manager = tf.train.CheckpointManager(
        checkpoint, model_dir, max_to_keep=1, checkpoint_name=CHECKPOINT_NAME
    )
    path = manager.save(checkpoint_number=0)
    record = {
        "source": imported.source,
        "imported": imported.imported,
        "fresh": imported.fresh,
        "notes": imported.notes,
        "checkpoint": os.path.basename(path),
        "optimizer": "not imported: continued pretraining starts a fresh optimizer at step 0",
    }
    with open(os.path.join(model_dir, CONVERSION_FILE), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    return path
