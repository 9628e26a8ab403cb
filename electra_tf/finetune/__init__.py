"""Fine-tuning the discriminator: task heads, task data, metrics, export."""
