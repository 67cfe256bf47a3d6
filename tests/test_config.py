"""Configuration: search order, schema checked up front, every problem reported."""

from __future__ import annotations

import pytest

from pitstop.config import Config, check_codes, glob_match, load_config
from pitstop.errors import ConfigError, PitstopError
from pitstop.model import Severity

KNOWN = ("PS101", "PS103", "PS150")


def test_defaults_when_there_is_no_file(tmp_path):
    assert load_config(tmp_path) == Config()


def test_pyproject_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.pitstop]\nselect = ["PS1"]\nignore = ["ps103"]\n'
        'fail-on = "warning"\n[tool.pitstop.severity]\nPS150 = "warning"\n'
        '[tool.pitstop.per-path-ignores]\n"legacy/**" = ["PS101"]\n'
    )
    config = load_config(tmp_path)
    assert config.enabled("PS101") and not config.enabled("PS103") and not config.enabled("XX1")
    assert config.fail_on is Severity.WARNING
    assert config.severity_of("PS150", Severity.BLOCKING) is Severity.WARNING
    assert config.ignored_at("PS101", "legacy/svc/Dockerfile")
    assert not config.ignored_at("PS101", "new/Dockerfile")


def test_dotfile_wins_over_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.pitstop]\nfail-on = "info"\n')
    (tmp_path / ".pitstop.toml").write_text('fail-on = "never"\n')
    assert load_config(tmp_path).fail_on is None


def test_every_problem_is_reported_with_its_line(tmp_path):
    (tmp_path / ".pitstop.toml").write_text(
        'selct = ["PS101"]\nfail-on = "sometimes"\nignore = "PS101"\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    lines = raised.value.lines
    assert len(lines) == 3
    assert lines[0].startswith(
        f"{tmp_path / '.pitstop.toml'}:1: unknown key 'selct' (valid keys: select,"
    )
    assert any(":2: fail-on: unknown level 'sometimes'" in line for line in lines)
    assert any(":3: ignore must be a list of strings" in line for line in lines)


def test_unknown_codes_list_the_valid_ones(tmp_path):
    (tmp_path / ".pitstop.toml").write_text('select = ["PS101"]\n\nignore = ["PS999"]\n')
    with pytest.raises(ConfigError) as raised:
        check_codes(load_config(tmp_path), KNOWN)
    (line,) = raised.value.lines
    assert line.endswith(":3: unknown rule code 'PS999' (valid codes: PS101, PS103, PS150)")


def test_invalid_toml_names_the_line(tmp_path):
    (tmp_path / ".pitstop.toml").write_text('select = ["PS101"]\nignore = [\n')
    with pytest.raises(PitstopError) as raised:
        load_config(tmp_path)
    assert raised.value.line is not None and "invalid TOML" in raised.value.message


def test_named_file_must_exist(tmp_path):
    with pytest.raises(PitstopError, match="configuration file not found"):
        load_config(tmp_path, tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("Dockerfile", "svc/a/Dockerfile", True),
        ("legacy/**", "legacy/a/b/Dockerfile", True),
        ("legacy/*", "legacy/a/Dockerfile", True),
        ("legacy/*/Dockerfile", "legacy/a/b/Dockerfile", False),
        ("*.Dockerfile", "x/api.Dockerfile", True),
        ("svc/", "svc/Dockerfile", True),
        ("svc", "svcx/Dockerfile", False),
    ],
)
def test_glob(pattern, path, matches):
    assert glob_match(pattern, path) is matches
