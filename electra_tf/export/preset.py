"""The discriminator as a keras-hub preset: loadable with keras-hub alone."""

import keras_hub


def save_keras_hub_preset(pretrainer, tokenizer, preset_dir):
    """Writes `ElectraBackbone` weights/config and a keras-hub `ElectraTokenizer`.

    `keras_hub.models.ElectraBackbone.from_preset(preset_dir)` and
    `keras_hub.tokenizers.ElectraTokenizer.from_preset(preset_dir)` load them
    without importing electra_tf. keras-hub's tokenizer lowercases by Unicode
    case folding where ours (and BERT) lowercase; the two agree on ordinary
    text but can differ on rare characters (e.g. "ß", ligatures, full-width
    letters). The SavedModels embed the exact training tokenizer.

    Args:
        pretrainer: `ElectraPretrainer`.
        tokenizer: `ElectraTokenizer`.
        preset_dir: str.
    """
    pretrainer.discriminator.save_to_preset(preset_dir)
    hub_tokenizer = keras_hub.tokenizers.ElectraTokenizer(
        vocabulary=tokenizer.get_vocabulary(),
        lowercase=tokenizer.bert_lowercase,
        strip_accents=tokenizer.bert_lowercase,
    )
    hub_tokenizer.save_to_preset(preset_dir)
    return preset_dir
