"""The fine-tuning Task protocol: what differs between task families.

`job.run_finetuning` owns everything the families share (seed, encoder,
lengths, optimizer, callbacks, resume, best epoch, results, export); a `Task`
supplies the rest. One implementation per family, each in its own folder:
`classification.task.ClassificationTask`, `tagging.task.TaggingTask`,
`qa.task.QuestionAnsweringTask`. Like Google's `finetune/task.py` and Model
Garden's tasks, but for Keras `fit`.
"""

import abc


class Task(abc.ABC):
    """One fine-tuning task: its data, model, loss, metrics and serving module.

    `run_finetuning` calls, in order: `read` (files only, so a bad file fails
    before the encoder loads), `prepare` (tokenize with the encoder's
    tokenizer), `build_model`, `loss`, `train_examples` / `batches` every
    epoch, `evaluate` after every epoch and on the best weights, `finish`,
    then `serving_module` and `warmup_inputs` for the export. The training
    examples are by default `self.train`, a prepared dataset object with
    `__len__` and `unbatched()`.

    Class attributes:
        name: str. Recorded in results.json ("classification", ...).
        key_metric: str. The `evaluate` metric that picks the best epoch
            (higher is better).
        export_name: str. The model name in the export's warmup requests.

    Example:
    ```python
    task = ClassificationTask.from_files("train.tsv", "dev.tsv", text_column="sentence")
    results = run_finetuning(task, FinetuneOptions(init="runs/electra_tiny",
                                                   output_dir="runs/sst2"))
    ```
    """

    name = None
    key_metric = None
    export_name = None

    def read(self, log):
        """Reads and checks the labelled files. Default: nothing to do."""

    @abc.abstractmethod
    def prepare(self, tokenizer, sequence_length, log):
        """Tokenizes what needs the tokenizer (called once, after `read`)."""

    @abc.abstractmethod
    def describe(self):
        """One line for the log: examples, labels, task-specific settings."""

    @abc.abstractmethod
    def labels(self):
        """The dict written to `labels.json` (what the model's outputs mean)."""

    @abc.abstractmethod
    def build_model(self, backbone, dropout):
        """The `keras.Model` to fine-tune (not yet built)."""

    @abc.abstractmethod
    def loss(self):
        """The `keras.losses.Loss` to compile with."""

    def num_train_examples(self):
        """Training examples per epoch (after tokenization: windows for QA).
        Default: `len(self.train)`."""
        return len(self.train)

    def train_examples(self):
        """The training examples as an unbatched, unshuffled `tf.data.Dataset`.
        Default: `self.train.unbatched()`."""
        return self.train.unbatched()

    def batches(self, examples, batch_size):
        """`examples` (from `train_examples`, maybe shuffled) -> what `fit` reads:
        batches of `(inputs dict, labels)` or `(inputs, labels, sample_weights)`.
        Default: plain batching (examples already tokenized)."""
        return examples.batch(batch_size).prefetch(2)

    @abc.abstractmethod
    def evaluate(self, model, batch_size):
        """Dev evaluation of `model`.

        Returns:
            `(metrics, details)`: dict of name -> float (logged each epoch;
            must hold `key_metric`), and a dict of non-scalar results (e.g.
            per-type scores) kept in results.json.
        """

    def finish(self, model, batch_size, output_dir, log):
        """After the best weights are restored: task-specific outputs (prediction
        files, extra dev sets). Returns a dict merged into results.json."""
        return {}

    def results(self):
        """Task-specific fields of results.json (counts, settings)."""
        return {}

    @abc.abstractmethod
    def serving_module(self, model, tokenizer, sequence_length):
        """The `tf.Module` exported as a SavedModel (`signatures()`,
        `warmup_requests(examples)`)."""

    @abc.abstractmethod
    def warmup_inputs(self):
        """A few training or dev examples for `warmup_requests`."""
