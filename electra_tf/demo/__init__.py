"""Small demos on top of a trained run or its export (see tools/detect_replaced.py)."""

from electra_tf.demo.replaced_tokens import CorruptedToken
from electra_tf.demo.replaced_tokens import ReplacedTokenDetector
from electra_tf.demo.replaced_tokens import format_corruption
from electra_tf.demo.replaced_tokens import format_detection
from electra_tf.demo.replaced_tokens import locate_export
from electra_tf.demo.replaced_tokens import render_pieces
from electra_tf.demo.replaced_tokens import summary_line

__all__ = [
    "CorruptedToken",
    "ReplacedTokenDetector",
    "format_corruption",
    "format_detection",
    "locate_export",
    "render_pieces",
    "summary_line",
]
