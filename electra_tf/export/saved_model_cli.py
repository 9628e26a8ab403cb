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

from electra_tf.private_apis import saved_model_cli_main

if __name__ == "__main__":
    sys.exit(saved_model_cli_main()())
