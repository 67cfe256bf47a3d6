"""The YAML loader's errors: one line, with the file and line."""

from __future__ import annotations

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.yamlfile import load_yaml


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [
        ("a: \x0b b\n", 1, "000b"),
        ("a: 1\nb: \x01\n", 2, "0001"),
        ("a: 1\n\nb: '\x7f'\n", 3, "007f"),
    ],
)
def test_a_character_yaml_forbids_is_a_one_line_error_at_its_line(text, line, code):
    # ruamel's reader error spans two lines and names an offset, not a line.
    with pytest.raises(PitstopError) as raised:
        load_yaml(text, "compose.yaml")
    assert str(raised.value) == (
        f"compose.yaml:{line}: invalid YAML: unacceptable character #x{code}: "
        "special characters are not allowed"
    )
