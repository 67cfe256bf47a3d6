"""Configuration: search order, schema checked up front, every problem reported."""

from __future__ import annotations

import pytest

from pitstop.config import Config, SloTargets, check_codes, glob_match, load_config
from pitstop.errors import ConfigError, PitstopError
from pitstop.model import Severity
from pitstop.units import parse_duration, parse_size

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


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("pyproject.toml", "tool = 5\n", "pyproject.toml:1: tool must be a table"),
        (
            "pyproject.toml",
            '[tool]\npitstop = "abc"\n',
            "pyproject.toml:2: tool.pitstop must be a table",
        ),
        (
            ".pitstop.toml",
            "context-budget-mb = inf\n",
            ".pitstop.toml:1: context-budget-mb must be a positive",
        ),
        (
            ".pitstop.toml",
            "context-budget-mb = nan\n",
            ".pitstop.toml:1: context-budget-mb must be a positive",
        ),
        (".pitstop.toml", "fail-on = 5\n", ".pitstop.toml:1: fail-on: unknown level 5"),
        (
            ".pitstop.toml",
            "[severity]\nPS101 = 5\n",
            ".pitstop.toml:2: severity.PS101 must be a string",
        ),
        (".pitstop.toml", 'affected = "x"\n', ".pitstop.toml:1: affected must be a table"),
        (
            ".pitstop.toml",
            "[affected]\nrun-all = [1]\n",
            ".pitstop.toml:2: affected.run-all must be a list of strings",
        ),
    ],
)
@pytest.mark.parametrize("command", ["review", "affected"])
def test_a_value_of_the_wrong_type_is_a_one_line_error_with_file_line_and_key(
    tmp_path, capsys, name, text, expected, command
):
    from pitstop.cli import main

    (tmp_path / name).write_text(text)
    args = (
        ["review", str(tmp_path)]
        if command == "review"
        else ["affected", "--root", str(tmp_path), "--changed", "x.py"]
    )
    assert main(args) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith(expected) or expected in line


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    (tmp_path / ".pitstop.toml").write_text(
        'context-budget-mb = nan\nfail-on = 5\n[affected]\nsource-roots = "src"\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert [line for line, _ in raised.value.problems] == [1, 2, 4]


def test_a_pyproject_whose_other_tables_are_malformed_does_not_crash_affected(tmp_path, capsys):
    from pitstop.cli import main

    (tmp_path / ".pitstop.toml").write_text("")
    (tmp_path / "pyproject.toml").write_text('project = 5\n[tool]\nsetuptools = "x"\npytest = 3\n')
    assert main(["affected", "--root", str(tmp_path), "--changed", "x.py", "--format", "json"]) == 0


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/top", "top", True),
        ("/top", "x/top", False),
        ("requirements*.txt", "sub/requirements-dev.txt", True),
        ("a/**/b", "a/b", True),
        ("build/", "x/build/out.txt", True),
    ],
)
def test_globs_follow_gitignore_syntax(pattern, path, matches):
    assert glob_match(pattern, path) is matches


def test_slo_targets_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pitstop.slo]\n"
        'pr-pipeline-p95 = "2m"\nmain-pipeline-p95 = "1h30m"\nqueue-p95 = "30s"\n'
        'layer-cache-hit-rate = "80%"\nimage-size = "500MB"\nslow-test = "2.5s"\n'
        'deploy-job = "release"\n'
    )
    slo = load_config(tmp_path).slo
    assert slo.targets == {
        "pr-pipeline-p95": 120.0,
        "main-pipeline-p95": 5400.0,
        "queue-p95": 30.0,
        "layer-cache-hit-rate": 0.8,
        "image-size": 500e6,
    }
    assert (slo.slow_test, slo.deploy_job) == (2.5, "release")
    assert slo.target("deploy-p95") is None


def test_slo_defaults_and_the_dotfile_table(tmp_path):
    assert load_config(tmp_path).slo == SloTargets(slow_test=5.0, deploy_job="deploy")
    (tmp_path / ".pitstop.toml").write_text('[slo]\ntest-suite-p95 = "5m"\n')
    assert load_config(tmp_path).slo.targets == {"test-suite-p95": 300.0}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "[slo]\npr-pipeline-p95 = 120\n",
            2,
            'slo.pr-pipeline-p95 must be a duration such as "90s"',
        ),
        ('[slo]\nqueue-p95 = "fast"\n', 2, "slo.queue-p95 must be a duration"),
        ('[slo]\nqueue-p95 = "0s"\n', 2, "slo.queue-p95 must be a duration"),
        (
            "[slo]\nlayer-cache-hit-rate = 0.8\n",
            2,
            'slo.layer-cache-hit-rate must be a percentage such as "80%"',
        ),
        (
            '[slo]\nlayer-cache-hit-rate = "120%"\n',
            2,
            "slo.layer-cache-hit-rate must be a percentage",
        ),
        ('[slo]\nimage-size = "big"\n', 2, 'slo.image-size must be a size such as "500MB"'),
        ('[slo]\ndeploy-job = ""\n', 2, "slo.deploy-job must be a non-empty string"),
        (
            '[slo]\npr-pipline-p95 = "2m"\n',
            2,
            "slo: unknown key 'pr-pipline-p95' (valid keys: pr-pipeline-p50,",
        ),
        ('slo = "2m"\n', 1, "slo must be a table"),
    ],
)
def test_a_wrong_slo_value_names_file_line_and_key(tmp_path, text, line, message):
    (tmp_path / ".pitstop.toml").write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    (problem,) = raised.value.lines
    assert problem.startswith(f"{tmp_path / '.pitstop.toml'}:{line}: {message}")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("2m", 120),
        ("1h30m", 5400),
        ("30d", 2_592_000),
        ("250ms", 0.25),
        ("1.5h", 5400),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m", "2x", "1m1h", "-5s"])
def test_not_durations(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("500MB", 500_000_000),
        ("1.5 GB", 1_500_000_000),
        ("200MiB", 200 * 2**20),
        ("1024", 1024),
        ("3kb", 3000),
    ],
)
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "5 parsecs", "-1MB"])
def test_not_sizes(text):
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_a_utf8_byte_order_mark_is_read_past(tmp_path):
    """Editors on Windows write one; TOML does not have it, and it changes nothing."""
    (tmp_path / "pyproject.toml").write_bytes(b'\xef\xbb\xbf[tool.pitstop]\nignore = ["PS101"]\n')
    assert load_config(tmp_path).ignore == ("PS101",)


def test_a_configuration_file_leading_out_of_the_repository_is_not_read(tmp_path):
    (tmp_path / "shared").mkdir()
    outside = tmp_path / "shared" / "pyproject.toml"
    outside.write_text('[tool.pitstop]\nselect = ["PS1"]\n')
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").symlink_to(outside)
    with pytest.raises(PitstopError, match="outside the repository"):
        load_config(root)
    # given on the command line, the same file is the user's choice and is read
    assert load_config(root, outside).select == ("PS1",)
