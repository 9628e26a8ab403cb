"""Batches -> trained pretrainer -> checkpoints: optimizer, strategy, XLA, the loop."""
