"""`saved_model_cli` with the tf-text ops registered, for the exports' tokenizer graphs.

TensorFlow's own `saved_model_cli run` cannot load these SavedModels: their
graphs tokenize with tf-text ops, which exist only once `tensorflow_text` is
imported. This is the same command with that import done first; it takes the
same arguments.

Example:
```bash
python -m electra_tf.export.saved_model_cli run --dir exports/discriminator/40 \\
    --tag_set serve --signature_def serving_default \\
    --input_exprs 'text=["The movie was great."]'
```
"""

import sys

import tensorflow_text  # noqa: F401 (registers the tf-text ops the graphs use)
# The console script `saved_model_cli` calls exactly this function; TensorFlow
# has no public Python entry point for it.
from tensorflow.python.tools.saved_model_cli import main

if __name__ == "__main__":
    sys.exit(main())
