"""The YAML loader's errors: one line, with the file and line."""

from __future__ import annotations

import warnings

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


def test_an_anchor_defined_again_counts_from_there_without_a_warning():
    # ruamel warns with a multi-line text that `pitstop review` printed on stderr.
    text = "a: &x 1\nb: &x 2\nc: *x\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        document = load_yaml(text, "ci.yml")
    assert document["c"] == 2
