"""Every config field carries its own help text (the flags of tools/pretrain.py show it)."""

import dataclasses
import typing

from electra_tf.config import ElectraConfig


def test_every_field_has_help_and_a_flag_type():
    helps = ElectraConfig.field_help()
    hints = typing.get_type_hints(ElectraConfig)
    for field in dataclasses.fields(ElectraConfig):
        assert len(helps[field.name]) > 10, field.name
        base = next((t for t in typing.get_args(hints[field.name]) if t is not type(None)),
                    hints[field.name])
        assert base in (int, float, str, bool), (field.name, base)
