"""`ElectraPretrainer`: generator + discriminator and one ELECTRA step
(docs/algorithm.md §2, §4).

The model owns four parts, built from one `ElectraConfig`:

- `discriminator`: a `keras_hub.models.ElectraBackbone`, the encoder users keep;
- `discriminator_head`: `ReplacedTokenDetectionHead`;
- `generator`: `ElectraGenerator`, sharing the discriminator's embeddings;
- `generator_head`: `TiedMaskedLMHead`, tied to the shared word embeddings.

The paper's baselines and strategies (`objective`, `training`,
`embedding_sharing`; docs/algorithm.md §6) change parts of this: see
`models/objectives.py` for what each trains and which tower is the encoder
(always `discriminator`, the one exported and fine-tuned).

`compute_outputs(batch, seed)` runs the whole step (choose positions, mask,
generate, sample, replace, discriminate, both losses) and returns every
intermediate tensor, so a custom training loop (`tf.distribute`, XLA) wraps it
in its own `GradientTape`. `train_step`/`test_step` are the simple
single-device versions `model.fit`/`model.evaluate` use; `update_metrics` is
shared by both and reusable by custom loops.

All randomness of the step (positions, [MASK] choice, sampling) comes from
stateless ops driven by `seed`, so `step_seed(step)` makes the run
reproducible and the draw different every step. Dropout uses Keras's own seed
generators (`keras.utils.set_random_seed` makes those reproducible).
"""

import collections.abc

import keras
import tensorflow as tf

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError
from electra_tf.models import losses
from electra_tf.models import masking
from electra_tf.models.discriminator import ReplacedTokenDetectionHead
from electra_tf.models.discriminator import build_discriminator
from electra_tf.models.discriminator import hidden_activation
from electra_tf.models.discriminator import replaced_token_detection
from electra_tf.models.adversarial import AdversarialBaseline
from electra_tf.models.adversarial import baseline_loss_terms
from electra_tf.models.adversarial import baseline_value
from electra_tf.models.adversarial import policy_gradient_loss_terms
from electra_tf.models.adversarial import rtd_rewards
from electra_tf.models.copy_mechanism import copy_mechanism_loss_terms
from electra_tf.models.embedding_sharing import build_generator_tower
from electra_tf.models.embedding_sharing import fold_gdes_embeddings
from electra_tf.models.masked_lm_head import TiedMaskedLMHead
from electra_tf.models.two_stage import DISCRIMINATOR_STAGE
from electra_tf.models.two_stage import GENERATOR_STAGE
from electra_tf.models.two_stage import training_stage
from electra_tf.models.random_state import random_state_variables
from electra_tf.private_apis import all_sublayers
from electra_tf.private_apis import attention_softmax

# keras-hub's names, as `pretraining_dataset` yields them (the TFRecords keep
# Google's input_ids/input_mask/segment_ids on disk; data/example_codec.py
# renames them once, when parsing).
INPUT_KEYS = ("token_ids", "padding_mask", "segment_ids")


@keras.saving.register_keras_serializable(package="electra_tf")
class ElectraPretrainer(keras.Model):
    """ELECTRA generator and discriminator trained jointly (docs/algorithm.md §2-§4).

    Args:
        config: `ElectraConfig` (or its dict). `vocab_size` must be set.
        pad_id: int. [PAD] id.
        cls_id: int. [CLS] id (101 in a BERT vocabulary, not 2).
        sep_id: int. [SEP] id.
        mask_id: int. [MASK] id.
        **kwargs: passed to `keras.Model` (name, dtype, ...).

    Call args (`call` and `compute_outputs`):
        inputs / batch: dict of int32 [B, T] tensors "token_ids",
            "padding_mask", "segment_ids" (keras-hub's names; what the data
            pipeline yields).
        training: bool. Dropout on.
        seed: int32/int64 [2] stateless seed; `step_seed(step)` gives one per
            step. `call` defaults to `step_seed(0)`.

    Returns (a dict of tensors):
        total_loss, gen_loss, disc_loss: float32 scalars; total_loss =
            gen_weight * gen_loss + disc_weight * disc_loss.
        gen_loss_sum, gen_count, disc_loss_sum, disc_count: float32 scalars,
            the per-replica sums and counts behind the two means.
        masked_positions: int32 [B, P]; masked_ids: int32 [B, P] originals;
        masked_weights: float32 [B, P], 0 for padding slots.
        gen_input_ids: int32 [B, T], the input with [MASK]s.
        gen_logits: float32 [B, P, V], at the masked positions only.
        sampled_ids: int32 [B, P].
        disc_input_ids: int32 [B, T]; disc_labels: int32 [B, T], 1 = replaced.
        disc_logits: float32 [B, T]; disc_probs: float32 [B, T],
            sigmoid(disc_logits), 0 on padding.

    Example:
    ```python
    config = ElectraConfig.from_json("configs/electra_small.json").replace(
        vocab_size=tokenizer.vocabulary_size())
    model = ElectraPretrainer.from_tokenizer(config, tokenizer)
    model.compile(optimizer=keras.optimizers.AdamW(5e-4))
    model.fit(dataset)  # yields {"token_ids", "padding_mask", "segment_ids"}
    model.discriminator.save_to_preset("electra_small_preset")

    # In a custom loop:
    with tf.GradientTape() as tape:
        outputs = model.compute_outputs(batch, model.step_seed(step), training=True)
    grads = tape.gradient(outputs["total_loss"], model.trainable_variables)
    ```
    """

    def __init__(
        self,
        config,
        pad_id,
        cls_id,
        sep_id,
        mask_id,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(config, dict):
            config = ElectraConfig.from_dict(config)
        self.config = config
        self.pad_id = int(pad_id)
        self.cls_id = int(cls_id)
        self.sep_id = int(sep_id)
        self.mask_id = int(mask_id)
        self.num_predictions = config.num_predictions

        dtype = self.dtype_policy
        # Google's heads use the config's hidden_act too, not a fixed GELU.
        activation = hidden_activation(config.hidden_act)
        self.discriminator = build_discriminator(config, dtype=dtype)
        self.discriminator_head = ReplacedTokenDetectionHead(
            hidden_dim=config.hidden_size, activation=activation, dtype=dtype,
            name="discriminator_predictions"
        )
        self.discriminator_head.build((None, None, config.hidden_size))
        # embedding_sharing decides what the generator shares (models/embedding_sharing.py).
        self.generator, word_embedding = build_generator_tower(
            config, self.discriminator, dtype=dtype)
        self.generator_head = TiedMaskedLMHead(
            token_embedding=word_embedding,
            activation=activation,
            dtype=dtype,
            name="generator_predictions",
        )
        self.generator_head.build((None, None, self.generator.hidden_dim), (None, None))
        if config.objective in ("replace_mlm", "all_tokens_mlm"):
            # The encoder's own MLM head, tied to the word embeddings it reads.
            self.encoder_mlm_head = TiedMaskedLMHead(
                token_embedding=self.discriminator.token_embedding,
                activation=activation, dtype=dtype, name="encoder_predictions")
            self.encoder_mlm_head.build((None, None, config.hidden_size), (None, None))
        if config.training == "adversarial":
            self.adversarial_baseline = AdversarialBaseline(dtype=dtype,
                                                            name="adversarial_baseline")
            self.adversarial_baseline.build((None, None, self.generator.hidden_dim))
        _float32_attention_softmax(self)
        # Everything is built here, so variables exist (and are placed by an
        # enclosing strategy scope) before the first step.
        self.built = True

        self.total_loss_metric = keras.metrics.Mean(name="loss")
        self.gen_loss_metric = keras.metrics.Mean(name="gen_loss")
        self.disc_loss_metric = keras.metrics.Mean(name="disc_loss")
        self.gen_accuracy_metric = keras.metrics.SparseCategoricalAccuracy(name="gen_accuracy")
        self.sampled_correct_metric = keras.metrics.Mean(name="gen_sampled_correct")
        self.replaced_fraction_metric = keras.metrics.Mean(name="replaced_fraction")
        self.disc_accuracy_metric = keras.metrics.BinaryAccuracy(name="disc_accuracy")
        self.disc_precision_metric = keras.metrics.Precision(name="disc_precision")
        self.disc_recall_metric = keras.metrics.Recall(name="disc_recall")
        self.disc_auc_metric = keras.metrics.AUC(name="disc_auc")

    @classmethod
    def from_tokenizer(cls, config, tokenizer, **kwargs):
        """Builds the model with the special-token ids of `tokenizer`.

        Args:
            config: `ElectraConfig`.
            tokenizer: object with `pad_id`, `cls_id`, `sep_id`, `mask_id`
                attributes (e.g. `electra_tf.text.ElectraTokenizer`).
            **kwargs: passed to the constructor.

        Example:
        ```python
        model = ElectraPretrainer.from_tokenizer(config, tokenizer)
        ```
        """
        return cls(
            config,
            pad_id=tokenizer.pad_id,
            cls_id=tokenizer.cls_id,
            sep_id=tokenizer.sep_id,
            mask_id=tokenizer.mask_id,
            **kwargs,
        )

    # --- Seeds ----------------------------------------------------------------
    def step_seed(self, step, stream=0):
        """The stateless seed of training step `step`: [2] int64.

        Folds `step` into (config.seed, stream): reproducible for a given
        step, different from step to step. Use another `stream` for draws
        that must not repeat the training ones.

        Args:
            step: int scalar (Python or tensor), e.g. `optimizer.iterations`.
            stream: int. Separates independent sequences of seeds.

        Example:
        ```python
        outputs = model.compute_outputs(batch, model.step_seed(step))
        ```
        """
        base = tf.constant([self.config.seed, stream], dtype=tf.int64)
        return tf.random.experimental.stateless_fold_in(base, tf.cast(step, tf.int64))

    # --- Forward ----------------------------------------------------------------
    def loss_counts(self, batch):
        """`(gen_count, disc_count)`: the denominators of the two mean losses.

        Both follow from the batch alone (the number of chosen positions is
        fixed by the sequence lengths; only *which* positions is random), so
        a distributed loop can all-reduce them before the forward pass and
        pass the global counts as `loss_normalizers`, outside any XLA cluster.

        Args:
            batch: dict with int [B, T] "token_ids", "padding_mask", "segment_ids".

        Returns:
            `(gen_count, disc_count)`, float32 scalars: the chosen positions,
            and the tokens the encoder's loss covers (every real token; the
            chosen positions for electra_15 and replace_mlm).

        Example:
        ```python
        gen_count, disc_count = model.loss_counts(batch)
        ```
        """
        check_batch(batch)
        token_ids = tf.cast(batch["token_ids"], tf.int32)
        padding_mask = tf.cast(batch["padding_mask"], tf.int32)
        candidates = masking.candidates_mask(token_ids, padding_mask, self._excluded_ids)
        n = masking.num_to_predict(
            padding_mask, candidates, self.config.mask_prob, self.num_predictions
        )
        gen_count = tf.cast(tf.reduce_sum(n), tf.float32)
        if self.config.objective in ("electra_15", "replace_mlm"):
            # The encoder's loss is over the chosen positions only.
            return gen_count, gen_count
        return gen_count, tf.cast(tf.reduce_sum(padding_mask), tf.float32)

    @property
    def _excluded_ids(self):
        return (self.cls_id, self.sep_id, self.mask_id, self.pad_id)

    def compute_outputs(self, batch, seed, training=False, loss_normalizers=None, stage=None):
        """Runs one ELECTRA step (docs/algorithm.md §2, §4); returns its tensors (see class docs).

        Args:
            batch: dict with int [B, T] "token_ids", "padding_mask", "segment_ids".
            seed: int32/int64 [2]. Stateless seed of this step.
            training: bool. Dropout on.
            loss_normalizers: optional `(gen_count, disc_count)` float32
                scalars dividing the summed losses instead of this batch's own
                counts. Under `tf.distribute`, pass the counts summed over all
                replicas (see `loss_counts`): each replica's loss is then its
                share of the exact global mean, and summing the replicas'
                gradients gives the gradient of that mean.

        Example:
        ```python
        outputs = model.compute_outputs(batch, model.step_seed(step), training=True)
        outputs["total_loss"], outputs["disc_labels"]
        ```
        """
        check_batch(batch)
        config = self.config
        objective = config.objective
        token_ids = tf.cast(batch["token_ids"], tf.int32)
        padding_mask = tf.cast(batch["padding_mask"], tf.int32)
        segment_ids = tf.cast(batch["segment_ids"], tf.int32)
        position_seed, mask_seed, sample_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, num=3)
        )

        def inputs(ids):
            return {"token_ids": ids, "segment_ids": segment_ids, "padding_mask": padding_mask}

        # docs/algorithm.md §2.1-§2.4: choose positions, hide most of them behind [MASK] (BERT's
        # 80/10/10 for the mlm baseline).
        selection = masking.choose_masked_positions(
            token_ids,
            padding_mask,
            position_seed,
            mask_prob=config.mask_prob,
            max_predictions=self.num_predictions,
            excluded_ids=self._excluded_ids,
        )
        if objective == "mlm":
            gen_input_ids = masking.mask_for_mlm(
                token_ids, selection.positions, selection.weights, self.mask_id,
                config.vocab_size, mask_seed)
        else:
            gen_input_ids = masking.mask_for_generator(
                token_ids,
                selection.positions,
                selection.weights,
                self.mask_id,
                mask_seed,
                mask_token_prob=config.mask_token_prob,
            )

        # docs/algorithm.md §2.5: generator logits at the chosen positions only.
        gen_hidden = self.generator(inputs(gen_input_ids), training=training)
        gen_logits = tf.cast(self.generator_head(gen_hidden, selection.positions), tf.float32)
        if stage == DISCRIMINATOR_STAGE:
            gen_logits = tf.stop_gradient(gen_logits)  # two_stage: the generator is frozen

        # docs/algorithm.md §2.6-§2.7: sample (no gradient), replace, label.
        sampled_ids = masking.sample_from_logits(
            gen_logits,
            sample_seed,
            temperature=config.temperature,
            disallowed_ids=selection.ids if config.disallow_correct else None,
        )
        if objective == "mlm":
            # BERT: the one encoder is the "generator"; nothing is replaced.
            disc_input_ids = gen_input_ids
            disc_labels = tf.cast(tf.not_equal(disc_input_ids, token_ids), tf.int32) * padding_mask
        else:
            disc_input_ids, disc_labels = masking.replace_tokens(
                token_ids, padding_mask, selection.positions, selection.weights, sampled_ids
            )

        # docs/algorithm.md §4: losses in float32.
        gen_sum, gen_count = losses.masked_lm_loss_terms(
            gen_logits, selection.ids, selection.weights
        )
        gen_normalizer = gen_count
        if loss_normalizers is not None:
            gen_normalizer = loss_normalizers[0]
        encoder = {"logits": tf.zeros(tf.shape(token_ids), tf.float32),
                   "sum": tf.constant(0.0), "count": tf.constant(0.0)}
        if objective != "mlm" and stage != GENERATOR_STAGE:
            encoder = self._encoder_terms(
                inputs(disc_input_ids), disc_labels, token_ids, padding_mask, selection, training)
        disc_sum, disc_count, disc_logits = encoder["sum"], encoder["count"], encoder["logits"]
        disc_normalizer = disc_count if loss_normalizers is None else loss_normalizers[1]
        gen_loss = tf.math.divide_no_nan(gen_sum, gen_normalizer)
        disc_loss = tf.math.divide_no_nan(disc_sum, disc_normalizer)
        # The RTD loss is binary and weighted disc_weight (50); the encoder MLM
        # losses of replace_mlm/all_tokens_mlm are softmax cross-entropies like
        # the generator's, so they are added with weight 1.
        disc_weight = config.disc_weight if objective in ("electra", "electra_15") else 1.0
        gen_term = config.gen_weight * gen_loss
        extra = {}
        if config.training == "adversarial":
            # Appendix F: REINFORCE on the RTD loss replaces maximum likelihood.
            rewards = rtd_rewards(disc_logits, disc_labels, selection.positions)
            baseline_logits = self.adversarial_baseline(gen_hidden, selection.positions)
            policy_sum, _ = policy_gradient_loss_terms(
                gen_logits, sampled_ids, rewards, baseline_value(baseline_logits),
                selection.weights)
            baseline_sum, _ = baseline_loss_terms(baseline_logits, rewards, selection.weights)
            extra = {"policy_loss": tf.math.divide_no_nan(policy_sum, gen_normalizer),
                     "baseline_loss": tf.math.divide_no_nan(baseline_sum, gen_normalizer),
                     "rewards": rewards}
            gen_term = config.gen_weight * extra["policy_loss"] + extra["baseline_loss"]
        if stage == GENERATOR_STAGE:
            total_loss = gen_term
        elif stage == DISCRIMINATOR_STAGE:
            total_loss = disc_weight * disc_loss
        elif objective == "mlm":
            total_loss = gen_term
        else:
            total_loss = gen_term + disc_weight * disc_loss
        # P(replaced) (for all_tokens_mlm: 1 - D, the probability the token is
        # not copied); 0 where nothing detects replacements (mlm, replace_mlm).
        disc_probs = tf.sigmoid(disc_logits) * tf.cast(padding_mask, tf.float32)
        if objective in ("mlm", "replace_mlm"):
            disc_probs = tf.zeros_like(disc_probs)

        return {
            "total_loss": total_loss,
            "gen_loss": gen_loss,
            "disc_loss": disc_loss,
            "gen_loss_sum": gen_sum,
            "gen_count": gen_count,
            "disc_loss_sum": disc_sum,
            "disc_count": disc_count,
            "masked_positions": selection.positions,
            "masked_ids": selection.ids,
            "masked_weights": selection.weights,
            "gen_input_ids": gen_input_ids,
            "gen_logits": gen_logits,
            "sampled_ids": sampled_ids,
            "disc_input_ids": disc_input_ids,
            "disc_labels": disc_labels,
            "disc_logits": disc_logits,
            "disc_probs": disc_probs,
            **extra,
        }

    def _encoder_terms(self, disc_inputs, disc_labels, token_ids, padding_mask, selection,
                       training):
        """The encoder's loss `(sum, count)` and its per-token logits, per objective.

        electra: RTD over every real token; electra_15: RTD over the chosen
        positions; replace_mlm: MLM of the originals at the chosen positions;
        all_tokens_mlm: the copy-mechanism NLL of every real token (the RTD
        head's logit z gives the copy probability D = sigmoid(-z)).
        """
        objective = self.config.objective
        if objective in ("electra", "electra_15"):
            logits = replaced_token_detection(
                self.discriminator, self.discriminator_head, disc_inputs, training=training
            )["logits"]
            weights = padding_mask
            if objective == "electra_15":
                weights = masking.chosen_positions_mask(
                    token_ids, selection.positions, selection.weights)
            loss_sum, count = losses.replaced_token_detection_loss_terms(
                logits, disc_labels, weights)
            return {"sum": loss_sum, "count": count, "logits": logits}
        hidden = self.discriminator(disc_inputs, training=training)["sequence_output"]
        if objective == "replace_mlm":
            logits = tf.cast(self.encoder_mlm_head(hidden, selection.positions), tf.float32)
            loss_sum, count = losses.masked_lm_loss_terms(logits, selection.ids, selection.weights)
            return {"sum": loss_sum, "count": count,
                    "logits": tf.zeros(tf.shape(token_ids), tf.float32)}
        # all_tokens_mlm
        logits = tf.cast(self.discriminator_head(hidden), tf.float32)
        every = tf.broadcast_to(tf.range(tf.shape(token_ids)[1])[tf.newaxis, :],
                                tf.shape(token_ids))
        mlm_logits = self.encoder_mlm_head(hidden, every)
        loss_sum, count = copy_mechanism_loss_terms(
            -logits, disc_inputs["token_ids"], mlm_logits, token_ids, padding_mask)
        return {"sum": loss_sum, "count": count, "logits": logits}

    def call(self, inputs, training=None, seed=None):
        if seed is None:
            seed = self.step_seed(0)
        return self.compute_outputs(inputs, seed, training=bool(training))

    # --- Variables --------------------------------------------------------------
    @property
    def generator_variables(self):
        """Trainable variables only the generator uses (tower + MLM head).

        Excludes the shared embeddings, which belong to `discriminator`.

        Example:
        ```python
        frozen = set(id(v) for v in model.generator_variables)
        ```
        """
        shared = {id(v) for v in self.discriminator.trainable_variables}
        tower = self.generator.trainable_variables + self.generator_head.trainable_variables
        return [v for v in tower if id(v) not in shared]

    def variables_to_train(self, stage=None):
        """The trainable variables the loss of a step reaches, for the optimizer.

        Off the loss path (so never handed to the optimizer, whose weight
        decay would otherwise still move them): the backbone's pooler; the
        RTD head for mlm and replace_mlm. In two_stage's "generator" stage
        only the generator's variables (and shared embeddings); in its
        "discriminator" stage everything but the generator's own variables.

        Args:
            stage: None, "generator" or "discriminator" (`training_stage`).

        Returns:
            list of variables, in `trainable_variables` order.

        Example:
        ```python
        variables = model.variables_to_train(model.training_stage(step))
        grads = tape.gradient(loss, variables)
        ```
        """
        unused = {id(v) for v in self.discriminator.pooled_dense.trainable_variables}
        if self.config.objective in ("mlm", "replace_mlm"):
            unused |= {id(v) for v in self.discriminator_head.trainable_variables}
        generator_own = {id(v) for v in self.generator_variables}
        if stage == GENERATOR_STAGE:
            used = {id(v) for v in self.generator.trainable_variables
                    + self.generator_head.trainable_variables}
            return [v for v in self.trainable_variables if id(v) in used]
        if stage == DISCRIMINATOR_STAGE:
            unused |= generator_own
        return [v for v in self.trainable_variables if id(v) not in unused]

    def training_stage(self, step):
        """two_stage: "generator" before `config.generator_steps`, then "discriminator".

        None for the other training strategies. `step` is a Python int (the
        optimizer's iterations before the update).

        Example:
        ```python
        stage = model.training_stage(int(optimizer.iterations))
        ```
        """
        return training_stage(self.config, step)

    def finalize_encoder(self):
        """Puts the encoder in its export form; call after restoring, before exporting.

        `discriminator` is the encoder every objective keeps (fine-tuning,
        keras-hub, SavedModel, Hugging Face exports). With
        embedding_sharing="gdes" it embeds with stop_gradient(E_G) + E_delta
        while training; this folds E_G + E_delta into its word-embedding
        variable so it is an ordinary `ElectraBackbone`. The forward pass is
        unchanged; GDES training after this is not (`load_pretrainer` calls
        it; training never does). Idempotent; a no-op for the other modes.

        Example:
        ```python
        model.finalize_encoder()
        model.discriminator.save_to_preset("preset")
        ```
        """
        fold_gdes_embeddings(self.discriminator)

    @property
    def dropout_rng_variables(self):
        """State variables of every dropout seed generator, in a fixed order.

        Keras keeps them outside the variables `tf.train.Checkpoint` reaches
        through layers; checkpoint these too so a resumed run draws the same
        dropout masks as an uninterrupted one.
        """
        return random_state_variables(self)

    # --- Metrics ----------------------------------------------------------------
    @property
    def metrics(self):
        # Only ours: `compile()` adds a "loss" tracker this model never feeds.
        return [
            self.total_loss_metric,
            self.gen_loss_metric,
            self.disc_loss_metric,
            self.gen_accuracy_metric,
            self.sampled_correct_metric,
            self.replaced_fraction_metric,
            self.disc_accuracy_metric,
            self.disc_precision_metric,
            self.disc_recall_metric,
            self.disc_auc_metric,
        ]

    def update_metrics(self, outputs, batch):
        """Updates the metrics from one step's outputs; returns their results.

        Losses are running means of the step values. Generator metrics are
        weighted by `masked_weights` (real prediction slots only);
        discriminator metrics ("replaced" is the positive class) are weighted
        by `padding_mask` (every non-pad token).

        Args:
            outputs: dict from `compute_outputs`.
            batch: the batch it was computed from (for "padding_mask").

        Returns:
            dict name -> scalar: loss (total), gen_loss, disc_loss,
            gen_accuracy, gen_sampled_correct, replaced_fraction,
            disc_accuracy, disc_precision, disc_recall, disc_auc.

        Example:
        ```python
        logs = model.update_metrics(model.compute_outputs(batch, seed), batch)
        ```
        """
        token_weights = tf.cast(batch["padding_mask"], tf.float32)
        slot_weights = outputs["masked_weights"]
        labels = tf.cast(outputs["disc_labels"], tf.float32)
        probs = outputs["disc_probs"]
        sampled_correct = tf.cast(
            tf.equal(outputs["sampled_ids"], outputs["masked_ids"]), tf.float32
        )

        self.total_loss_metric.update_state(outputs["total_loss"])
        self.gen_loss_metric.update_state(outputs["gen_loss"])
        self.disc_loss_metric.update_state(outputs["disc_loss"])
        self.gen_accuracy_metric.update_state(
            outputs["masked_ids"], outputs["gen_logits"], sample_weight=slot_weights
        )
        self.sampled_correct_metric.update_state(sampled_correct, sample_weight=slot_weights)
        self.replaced_fraction_metric.update_state(labels, sample_weight=token_weights)
        for metric in (
            self.disc_accuracy_metric,
            self.disc_precision_metric,
            self.disc_recall_metric,
            self.disc_auc_metric,
        ):
            metric.update_state(labels, probs, sample_weight=token_weights)
        return {metric.name: metric.result() for metric in self.metrics}

    # --- Keras fit/evaluate -----------------------------------------------------
    def train_step(self, data):
        """One optimizer step for `model.fit` on the default (single-device) strategy.

        The seed comes from `optimizer.iterations`, so every step draws new
        masks and a restarted run draws the same ones.

        Example:
        ```python
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(dataset, steps_per_epoch=100)
        ```
        """
        if self.config.training == "two_stage":
            raise UsageError(
                "training='two_stage' switches variables between stages: train it with "
                "run_pretraining (tools/pretrain.py), not model.fit.")
        batch = _unpack(data)
        seed = self.step_seed(self.optimizer.iterations)
        with tf.GradientTape() as tape:
            outputs = self.compute_outputs(batch, seed, training=True)
            loss = self.optimizer.scale_loss(outputs["total_loss"])
        variables = self.variables_to_train()
        gradients = dense_gradients(tape.gradient(loss, variables))
        pairs = [(g, v) for g, v in zip(gradients, variables) if g is not None]
        self.optimizer.apply_gradients(pairs)
        return self.update_metrics(outputs, batch)

    def test_step(self, data):
        """Evaluation step for `model.evaluate`: no dropout, no update.

        The seed is derived from the batch contents (on a stream separate from
        training), so the same evaluation data always gets the same masks and
        samples: numbers are comparable across checkpoints.

        Example:
        ```python
        logs = model.evaluate(eval_dataset, return_dict=True)
        ```
        """
        batch = _unpack(data)
        token_ids = tf.cast(batch["token_ids"], tf.int64)
        positions = tf.range(1, tf.shape(token_ids)[1] + 1, dtype=tf.int64)
        fingerprint = tf.reduce_sum(token_ids * positions[tf.newaxis, :])
        seed = self.step_seed(fingerprint, stream=1)
        outputs = self.compute_outputs(batch, seed, training=False)
        return self.update_metrics(outputs, batch)

    # --- Serialization ----------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "config": self.config.to_dict(),
                "pad_id": self.pad_id,
                "cls_id": self.cls_id,
                "sep_id": self.sep_id,
                "mask_id": self.mask_id,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(**config)


def _float32_attention_softmax(model):
    """Computes every attention softmax of `model` in float32 under a mixed policy.

    keras-hub's encoders take the softmax in the compute dtype (bfloat16 under
    mixed_bfloat16: 8 mantissa bits for probabilities) whenever attention
    dropout is on. In float32 it cost nothing measurable in a pretraining step
    on the 2-core CPU (docs/performance.md); the probabilities are cast back
    to the compute dtype by the dropout that follows. Keras's MultiHeadAttention
    has no public switch for this, so it reaches into it through
    `private_apis.attention_softmax` (a `keras.layers.Softmax` whose policy is
    public).
    """
    if model.compute_dtype == "float32":
        return
    for layer in all_sublayers(model):
        if isinstance(layer, keras.layers.MultiHeadAttention):
            attention_softmax(layer).dtype_policy = keras.DTypePolicy("float32")


def dense_gradients(gradients):
    """Gradients with every `tf.IndexedSlices` made dense (duplicate rows summed).

    An embedding lookup's gradient is a `tf.IndexedSlices` with one row per
    token, so a row repeats as often as its id occurs (the segment embedding's
    2 rows, once per token). Norms of the raw slices (`tf.linalg.global_norm`,
    Keras's `global_clipnorm`) then count the squares of the parts instead of
    the square of their sum: clipping and the logged norm come out low.
    Densifying sums the duplicates. It costs nothing downstream: Keras's Adam
    updates every row of its moments densely anyway, and all-reducing a dense
    [rows, width] gradient is cheaper than gathering [B*T, width] slices.

    Args:
        gradients: list of tensors, `tf.IndexedSlices` or None.

    Returns:
        list of dense tensors (None kept).

    Example:
    ```python
    gradients = dense_gradients(tape.gradient(loss, variables))
    ```
    """
    return [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in gradients]


def check_batch(batch):
    """Raises a clear error for a batch that lacks the `INPUT_KEYS`.

    Runs in Python while tracing, so it costs nothing per step. The likely
    culprit is a dict built by hand with the TFRecord feature names, which
    would otherwise fail as a bare `KeyError: 'token_ids'`.

    Args:
        batch: dict of tensors.

    Raises:
        ValueError: not a dict, or a key of `INPUT_KEYS` is missing.

    Example:
    ```python
    check_batch({"token_ids": ids, "padding_mask": mask, "segment_ids": segments})
    ```
    """
    if not isinstance(batch, collections.abc.Mapping):
        raise ValueError(
            f"ElectraPretrainer batches are dicts with keys {', '.join(INPUT_KEYS)}; "
            f"got {type(batch).__name__}."
        )
    missing = [key for key in INPUT_KEYS if key not in batch]
    if not missing:
        return
    message = (
        f"ElectraPretrainer batches need the keys {', '.join(INPUT_KEYS)} (keras-hub's names); "
        f"missing {', '.join(missing)}; got {', '.join(sorted(map(str, batch))) or 'none'}."
    )
    if "input_ids" in batch or "input_mask" in batch:
        message += (
            " input_ids/input_mask are the TFRecord feature names: rename them to "
            "token_ids/padding_mask, or read the files with "
            "electra_tf.data.pretraining_dataset, which does."
        )
    raise ValueError(message)


def _unpack(data):
    """The feature dict of a batch: `fit` may pass `(x,)` or `(x, y, w)` tuples."""
    batch, _, _ = keras.utils.unpack_x_y_sample_weight(data)
    check_batch(batch)
    return batch
