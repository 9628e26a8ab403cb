"""Checkpoint interop: Google TF1 and Hugging Face ELECTRA checkpoints <-> ours.

- `import_google_checkpoint`: a reference TF1 checkpoint (docs/algorithm.md §8) ->
  `ElectraPretrainer`.
- `import_hf`: Hugging Face `ElectraForPreTraining` / `ElectraForMaskedLM`
  folders (one or both) -> `ElectraPretrainer`.
- `write_model_dir`: an import -> a model_dir tools/pretrain.py, tools/export.py
  and `load_pretrainer` read (model only: an optimizer starts fresh at step 0).
- `export_hf`: a model_dir -> Hugging Face folders `transformers` loads.

All weight names live in one table, `name_maps`; array layouts in `layouts`.
Run time needs numpy and `safetensors` only; torch only to read a
`pytorch_model.bin`. The command line is tools/convert_checkpoint.py.
"""

from electra_tf.convert.google_checkpoint import import_google_checkpoint
from electra_tf.convert.hf_export import export_hf
from electra_tf.convert.hf_export import export_model_to_hf
from electra_tf.convert.hf_files import pytorch_bin_message
from electra_tf.convert.hf_import import import_hf
from electra_tf.convert.imported_model import ImportedModel
from electra_tf.convert.imported_model import is_model_only_checkpoint
from electra_tf.convert.imported_model import write_model_dir

__all__ = [
    "ImportedModel",
    "export_hf",
    "export_model_to_hf",
    "import_google_checkpoint",
    "import_hf",
    "is_model_only_checkpoint",
    "pytorch_bin_message",
    "write_model_dir",
]
