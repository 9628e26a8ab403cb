"""Checkpoints -> SavedModels for TF Serving (raw text in), keras-hub presets."""
