"""Two-stage training (`training="two_stage"`, paper §3.2, docs/algorithm.md §6.1).

Stage "generator" (steps [0, n)): only the generator (tower + MLM head, and
the shared embeddings if any) learns, with the MLM loss; the discriminator is
not run. At step n the discriminator's encoder is initialised from the
generator's (`copy_generator_to_discriminator`; equal sizes, checked by
`ElectraConfig`), then stage "discriminator" (steps [n, train_steps)): the
generator is frozen (its own variables get no update; it still samples) and
the discriminator learns with the RTD loss alone. n is
`ElectraConfig.two_stage_generator_steps`, by default half of train_steps.
With embedding_sharing "embeddings" the shared embeddings belong to both
towers and keep learning in stage 2 (from the RTD loss), as in the paper,
whose towers share their embeddings; with "none" the generator's are frozen.
"""

GENERATOR_STAGE = "generator"
DISCRIMINATOR_STAGE = "discriminator"


def training_stage(config, step):
    """The stage of optimizer step `step` (a Python int), or None when not two-stage.

    Example:
    ```python
    training_stage(config, 0)  # "generator" for training="two_stage"
    ```
    """
    if config.training != "two_stage":
        return None
    return GENERATOR_STAGE if step < config.generator_steps else DISCRIMINATOR_STAGE


def copy_generator_to_discriminator(model):
    """Initialises the discriminator's encoder with the generator's weights.

    Copies the embedding projection and every Transformer layer (and, when
    the towers do not share them, the embedding layers). The RTD head keeps
    its initial weights: the generator has none to give.

    Args:
        model: `ElectraPretrainer` with equal-sized towers.

    Example:
    ```python
    if step == config.generator_steps:
        copy_generator_to_discriminator(model)
    ```
    """
    generator, discriminator = model.generator, model.discriminator
    pairs = list(zip(generator.transformer_layers, discriminator.transformer_layers))
    if generator.embeddings_projection is not None:
        pairs.append((generator.embeddings_projection, discriminator.embeddings_projection))
    for name in ("token_embedding", "position_embedding", "segment_embedding",
                 "embeddings_layer_norm"):
        source, target = getattr(generator, name), getattr(discriminator, name)
        if source is not target:
            pairs.append((source, target))
    for source, target in pairs:
        for from_variable, to_variable in zip(source.trainable_weights, target.trainable_weights):
            to_variable.assign(from_variable)
