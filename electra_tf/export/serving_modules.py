"""The `tf.Module`s saved as SavedModels: what TF Serving calls.

Every signature takes batched strings (or ids) and returns batched tensors, so
TF Serving's REST `{"instances": [...]}` and gRPC `PredictRequest` both work,
and server-side batching can merge requests.
"""

import tensorflow as tf

from electra_tf.export.request_checks import check_model_inputs
from electra_tf.models.discriminator import replaced_token_detection
from electra_tf.text.packing import TextPacker

TEXT = tf.TensorSpec([None], tf.string, name="text")
TEXT_PAIR = tf.TensorSpec([None], tf.string, name="text_pair")
IDS = tf.TensorSpec([None, None], tf.int32, name="token_ids")
SEGMENTS = tf.TensorSpec([None, None], tf.int32, name="segment_ids")
PADDING = tf.TensorSpec([None, None], tf.int32, name="padding_mask")


class DiscriminatorServing(tf.Module):
    """Replaced-token detection and encoder outputs from raw text.

    Signatures (see `signatures()`): `serving_default` / `serving_pair`
    (text [+ text_pair] -> tokens, token_ids, padding_mask,
    replaced_probability), `encode` / `encode_pair` (-> sequence_output,
    pooled_output) and `encode_ids` (already-tokenized ids -> the same).

    Args:
        pretrainer: `ElectraPretrainer` with trained weights.
        tokenizer: `ElectraTokenizer` it was trained with.
        sequence_length: int. Inputs are truncated/padded to this length.
        max_input_bytes: int or None. Bytes of each text read (`TextPacker`).

    Example:
    ```python
    module = DiscriminatorServing(pretrainer, tokenizer, 128)
    save_serving_model(module, "exports/discriminator/1", "electra_discriminator", [])
    ```
    """

    def __init__(self, pretrainer, tokenizer, sequence_length, max_input_bytes=None):
        super().__init__(name="electra_discriminator")
        self.backbone = pretrainer.discriminator
        self.head = pretrainer.discriminator_head
        self.packer = TextPacker(tokenizer, sequence_length, max_input_bytes)
        self.vocabulary = tf.constant(tokenizer.get_vocabulary())

    def _encode(self, token_ids, segment_ids, padding_mask):
        outputs = self.backbone(
            {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask},
            training=False,
        )
        return {
            "sequence_output": tf.cast(outputs["sequence_output"], tf.float32),
            "pooled_output": tf.cast(outputs["pooled_output"], tf.float32),
        }

    def _detect(self, token_ids, segment_ids, padding_mask):
        detection = replaced_token_detection(
            self.backbone, self.head,
            {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask})
        return {
            "tokens": tf.where(padding_mask > 0, tf.gather(self.vocabulary, token_ids), ""),
            "token_ids": token_ids,
            "padding_mask": padding_mask,
            "replaced_probability": detection["replaced_probability"],
        }

    @tf.function(input_signature=[TEXT])
    def detect(self, text):
        return self._detect(**self.packer(text))

    @tf.function(input_signature=[TEXT, TEXT_PAIR])
    def detect_pair(self, text, text_pair):
        return self._detect(**self.packer(text, text_pair))

    @tf.function(input_signature=[TEXT])
    def encode(self, text):
        return self._encode(**self.packer(text))

    @tf.function(input_signature=[TEXT, TEXT_PAIR])
    def encode_pair(self, text, text_pair):
        return self._encode(**self.packer(text, text_pair))

    @tf.function(input_signature=[IDS, SEGMENTS, PADDING])
    def encode_ids(self, token_ids, segment_ids, padding_mask):
        return self._encode(*check_model_inputs(
            token_ids, segment_ids, padding_mask, vocab_size=self.backbone.vocab_size,
            num_segments=self.backbone.num_segments,
            max_length=self.backbone.max_sequence_length))

    def signatures(self):
        return {
            "serving_default": self.detect,
            "serving_pair": self.detect_pair,
            "encode": self.encode,
            "encode_pair": self.encode_pair,
            "encode_ids": self.encode_ids,
        }


class GeneratorServing(tf.Module):
    """`fill_mask`: text with "[MASK]" -> the top-k tokens for every mask.

    Outputs (M = most masks in any text of the batch; rows with fewer masks
    are padded with position -1, token "", probability 0):
    `mask_positions` [B, M], `top_tokens` [B, M, k], `top_ids` [B, M, k],
    `top_probabilities` [B, M, k], plus `tokens` [B, L] of the packed input.

    Args:
        pretrainer: `ElectraPretrainer`.
        tokenizer: `ElectraTokenizer`.
        sequence_length: int.
        top_k: int. Candidates returned per mask.
        max_input_bytes: int or None. Bytes of each text read (`TextPacker`).

    Example:
    ```python
    module = GeneratorServing(pretrainer, tokenizer, 128, top_k=5)
    module.fill_mask(tf.constant(["The movie was [MASK]."]))["top_tokens"]
    ```
    """

    def __init__(self, pretrainer, tokenizer, sequence_length, top_k=5, max_input_bytes=None):
        super().__init__(name="electra_generator")
        self.generator = pretrainer.generator
        self.head = pretrainer.generator_head
        self.packer = TextPacker(tokenizer, sequence_length, max_input_bytes)
        self.vocabulary = tf.constant(tokenizer.get_vocabulary())
        self.mask_id = tokenizer.mask_id
        self.top_k = int(top_k)

    @tf.function(input_signature=[TEXT])
    def fill_mask(self, text):
        inputs = self.packer.tokenize_with_masks(text)
        token_ids = inputs["token_ids"]
        hidden = self.generator(inputs, training=False)
        length = tf.shape(token_ids)[1]
        is_mask = tf.equal(token_ids, self.mask_id)
        positions = tf.ragged.boolean_mask(
            tf.broadcast_to(tf.range(length), tf.shape(token_ids)), is_mask)
        valid = positions.to_tensor(default_value=-1) >= 0
        gather_at = positions.to_tensor(default_value=0)
        # One flat row for the whole batch: the head's take_along_axis fails on
        # an empty batch, and a flat gather has no batch dimension to be empty.
        batch, masks = tf.shape(gather_at)[0], tf.shape(gather_at)[1]
        flat_hidden = tf.reshape(hidden, [1, -1, hidden.shape[-1]])
        flat_positions = tf.reshape(gather_at + tf.range(batch)[:, tf.newaxis] * length, [1, -1])
        logits = tf.cast(self.head(flat_hidden, flat_positions), tf.float32)
        logits = tf.reshape(logits, [batch, masks, logits.shape[-1]])
        probabilities, ids = tf.math.top_k(tf.nn.softmax(logits, axis=-1), k=self.top_k)
        valid_k = valid[:, :, tf.newaxis]
        return {
            "mask_positions": tf.where(valid, gather_at, -1),
            "top_ids": tf.where(valid_k, ids, -1),
            "top_tokens": tf.where(valid_k, tf.gather(self.vocabulary, ids), ""),
            "top_probabilities": tf.where(valid_k, probabilities, 0.0),
            "tokens": tf.where(inputs["padding_mask"] > 0,
                               tf.gather(self.vocabulary, token_ids), ""),
        }

    def signatures(self):
        return {"serving_default": self.fill_mask, "fill_mask": self.fill_mask}
