"""ELECTRA models: discriminator, generator, their heads, masking and losses.

The training loop needs `ElectraPretrainer` (`compute_outputs`, `step_seed`,
`update_metrics`); the other names are its parts, public for tests, weight
import and fine-tuning.
"""

from electra_tf.models.discriminator import ReplacedTokenDetectionHead
from electra_tf.models.discriminator import build_discriminator
from electra_tf.models.discriminator import replaced_token_detection
from electra_tf.models.generator import ElectraGenerator
from electra_tf.models.generator import build_generator
from electra_tf.models.losses import cross_replica_sum
from electra_tf.models.losses import masked_lm_loss
from electra_tf.models.losses import masked_lm_loss_terms
from electra_tf.models.losses import replaced_token_detection_loss
from electra_tf.models.losses import replaced_token_detection_loss_terms
from electra_tf.models.masked_lm_head import TiedMaskedLMHead
from electra_tf.models.masking import MaskedSelection
from electra_tf.models.masking import candidates_mask
from electra_tf.models.masking import choose_masked_positions
from electra_tf.models.masking import mask_for_generator
from electra_tf.models.masking import num_to_predict
from electra_tf.models.masking import replace_tokens
from electra_tf.models.masking import sample_from_logits
from electra_tf.models.pretrainer import ElectraPretrainer

__all__ = [
    "ElectraGenerator",
    "ElectraPretrainer",
    "MaskedSelection",
    "ReplacedTokenDetectionHead",
    "TiedMaskedLMHead",
    "build_discriminator",
    "build_generator",
    "candidates_mask",
    "choose_masked_positions",
    "cross_replica_sum",
    "mask_for_generator",
    "masked_lm_loss",
    "masked_lm_loss_terms",
    "num_to_predict",
    "replace_tokens",
    "replaced_token_detection",
    "replaced_token_detection_loss",
    "replaced_token_detection_loss_terms",
    "sample_from_logits",
]
