"""Small demos on top of a trained run or its export (see tools/detect_replaced.py).

Finding an export's SavedModels is `electra_tf.export.export_layout.locate_export`.
"""

from electra_tf.demo.replaced_tokens import CorruptedToken
from electra_tf.demo.replaced_tokens import DetectorBackend
from electra_tf.demo.replaced_tokens import KerasModelBackend
from electra_tf.demo.replaced_tokens import ReplacedTokenDetector
from electra_tf.demo.replaced_tokens import SavedModelBackend
from electra_tf.demo.replaced_tokens import format_corruption
from electra_tf.demo.replaced_tokens import format_detection
from electra_tf.demo.replaced_tokens import render_pieces
from electra_tf.demo.replaced_tokens import summary_line

__all__ = [
    "CorruptedToken",
    "DetectorBackend",
    "KerasModelBackend",
    "ReplacedTokenDetector",
    "SavedModelBackend",
    "format_corruption",
    "format_detection",
    "render_pieces",
    "summary_line",
]
