"""Every pretraining option (docs/algorithm.md §6) trains, logs, checkpoints, resumes and
exports an encoder fine-tuning accepts; FLOPs per step follow each option."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from electra_tf.config import ElectraConfig
from electra_tf.errors import UsageError
from electra_tf.finetune.encoder_init import load_encoder
from electra_tf.training.flops import train_flops_per_sequence
from electra_tf.training.pretraining import TrainingOptions
from electra_tf.training.pretraining import run_pretraining
from tests.training.conftest import tiny_config

EQUAL_SIZES = dict(generator_hidden_size=1.0, generator_intermediate_size=128,
                   generator_num_heads=2)
OPTIONS = {
    "mlm": dict(objective="mlm"),
    "electra_15": dict(objective="electra_15"),
    "replace_mlm": dict(objective="replace_mlm"),
    "all_tokens_mlm": dict(objective="all_tokens_mlm"),
    "two_stage": dict(training="two_stage", **EQUAL_SIZES),
    "adversarial": dict(training="adversarial"),
    "none": dict(embedding_sharing="none"),
    "all": dict(embedding_sharing="all", **EQUAL_SIZES),
    "gdes": dict(embedding_sharing="gdes"),
}


def _options(model_dir, data, **overrides):
    values = dict(model_dir=str(model_dir), train_data=data["train"], vocab=data["vocab"],
                  log_every=1, save_every=100, sample_every=0, show_progress=False)
    values.update(overrides)
    return TrainingOptions(**values)


def _logged_steps(logdir, tag):
    accumulator = event_accumulator.EventAccumulator(
        logdir, size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    return {e.step: float(tf.make_ndarray(e.tensor_proto)) for e in accumulator.Tensors(tag)}


@pytest.mark.parametrize("name", sorted(OPTIONS))
@pytest.mark.slow
def test_option_trains_resumes_and_exports_an_encoder(name, tmp_path, pretraining_data):
    # Tiny and short: 1 layer, 4 sequences, 2 steps then a resumed 3rd
    # (two_stage switches stage at step 2, so the resumed run does the copy).
    config = tiny_config(train_steps=3, warmup_steps=1, num_layers=1, batch_size=4,
                         **OPTIONS[name])
    first = run_pretraining(config, _options(tmp_path, pretraining_data, steps_this_run=2))
    assert first["step"] == 2 and first["checkpoint"].endswith("ckpt-2")
    resumed = run_pretraining(config, _options(tmp_path, pretraining_data))
    assert resumed["start_step"] == 2 and resumed["step"] == 3
    assert np.isfinite(resumed["train"]["loss"]) and resumed["train"]["mfu"] > 0
    losses = _logged_steps(str(tmp_path / "logs" / "train"), "loss")
    assert sorted(losses) == [1, 2, 3]
    # A different option on the same model_dir is refused, naming the field.
    field = next(iter(OPTIONS[name]))
    with pytest.raises(UsageError, match=f"{field}: saved"):
        run_pretraining(tiny_config(train_steps=4, num_layers=1, batch_size=4),
                        _options(tmp_path, pretraining_data))
    backbone, tokenizer, length = load_encoder(str(tmp_path))
    assert length == 64 and backbone.hidden_dim == 64
    ids = np.array([[tokenizer.cls_id, 7, 8, tokenizer.sep_id]], np.int32)
    out = backbone({"token_ids": ids, "segment_ids": np.zeros_like(ids),
                    "padding_mask": np.ones_like(ids)})["sequence_output"]
    assert out.shape == (1, 4, 64) and np.all(np.isfinite(out.numpy()))
    if name == "gdes":
        # The encoder fine-tuning gets embeds with E_G + E_delta, one matrix.
        from electra_tf.models import ElectraPretrainer

        trained = ElectraPretrainer.from_tokenizer(
            ElectraConfig.from_json(str(tmp_path / "config.json")), tokenizer)
        tf.train.Checkpoint(model=trained).restore(resumed["checkpoint"]).expect_partial()
        e_g = trained.generator.token_embedding.embeddings.numpy()
        e_delta = trained.discriminator.token_embedding._embeddings.numpy()
        assert np.abs(e_delta).max() > 0  # E_delta was trained
        np.testing.assert_allclose(backbone.token_embedding.embeddings.numpy(), e_g + e_delta,
                                   rtol=1e-6)


# A config small enough to count by hand: L=1, H=4, F=8, E=2, T=8, V=10,
# P = int(0.155 * 8) = 1; generator H_g=2, F_g=8.
HAND = dict(vocab_size=10, embedding_size=2, hidden_size=4, num_layers=1, num_heads=1,
            intermediate_size=8, generator_hidden_size=0.5, max_seq_length=8,
            max_position_embeddings=8, train_steps=10)
# Per token, forward: 2 * (L(4H^2 + 2HF) + EH + 2LTH), the EH projection only
# where E != H (so none in the generator, whose H_g = E = 2).
DISC_TOWER = 8 * 2 * (4 * 16 + 2 * 4 * 8 + 2 * 4 + 2 * 8 * 4)      # 3200 for 8 tokens
GEN_TOWER = 8 * 2 * (4 * 4 + 2 * 2 * 8 + 0 + 2 * 8 * 2)            # 1280
RTD_HEAD = 8 * 2 * (16 + 4)                                        # 320
GEN_HEAD = 2 * (2 * 2 + 2 * 10)                                    # 48, at 1 position
ENC_HEAD = 2 * (4 * 2 + 2 * 10)                                    # 56 per position


@pytest.mark.parametrize("option, stage, expected", [
    (dict(), None, 3 * (GEN_TOWER + GEN_HEAD + DISC_TOWER + RTD_HEAD)),
    (dict(objective="electra_15"), None, 3 * (GEN_TOWER + GEN_HEAD + DISC_TOWER + RTD_HEAD)),
    (dict(objective="mlm"), None, 3 * (DISC_TOWER + ENC_HEAD)),
    (dict(objective="replace_mlm"), None, 3 * (GEN_TOWER + GEN_HEAD + DISC_TOWER + ENC_HEAD)),
    (dict(objective="all_tokens_mlm"), None,
     3 * (GEN_TOWER + GEN_HEAD + DISC_TOWER + 8 * ENC_HEAD + RTD_HEAD)),
    (dict(training="adversarial"), None,
     3 * (GEN_TOWER + GEN_HEAD + 2 * 2 + DISC_TOWER + RTD_HEAD)),
    (dict(embedding_sharing="all", generator_hidden_size=1.0, generator_intermediate_size=8,
          generator_num_heads=1), None, 3 * (DISC_TOWER + ENC_HEAD + DISC_TOWER + RTD_HEAD)),
    (dict(embedding_sharing="none"), None, 3 * (GEN_TOWER + GEN_HEAD + DISC_TOWER + RTD_HEAD)),
    (dict(training="two_stage", generator_hidden_size=1.0, generator_intermediate_size=8,
          generator_num_heads=1), "generator", 3 * (DISC_TOWER + ENC_HEAD)),
    (dict(training="two_stage", generator_hidden_size=1.0, generator_intermediate_size=8,
          generator_num_heads=1), "discriminator",
     (DISC_TOWER + ENC_HEAD) + 3 * (DISC_TOWER + RTD_HEAD)),
    (dict(training="two_stage", generator_hidden_size=1.0, generator_intermediate_size=8,
          generator_num_heads=1), None,
     (3 * (DISC_TOWER + ENC_HEAD) + (DISC_TOWER + ENC_HEAD) + 3 * (DISC_TOWER + RTD_HEAD)) / 2),
])
def test_flops_per_option_match_a_hand_count(option, stage, expected):
    config = ElectraConfig(**{**HAND, **option})
    assert config.num_predictions == 1
    assert train_flops_per_sequence(config, stage=stage) == pytest.approx(expected)


def test_two_stage_generator_steps_default_to_half_the_run():
    config = tiny_config(training="two_stage", train_steps=10, **EQUAL_SIZES)
    assert config.generator_steps == 5
    assert config.replace(two_stage_generator_steps=3).generator_steps == 3
    # Resuming with a train_steps that moves the stage boundary is refused.
    assert "two_stage_generator_steps" in config.diff(config.replace(train_steps=20))


def test_pretrain_tool_has_a_flag_per_option():
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run([sys.executable, os.path.join(repo, "tools", "pretrain.py"),
                             "--helpfull"], capture_output=True, text=True, timeout=120)
    for flag in ("--objective", "--training", "--embedding_sharing",
                 "--two_stage_generator_steps", "--generator_hidden_size"):
        assert flag in result.stdout, flag
