"""The command line as users run it: exit codes, one-line errors, formats, start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pitstop import __version__
from pitstop.cli import FORMATS, main
from pitstop.reports import Format

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "monorepo"
SECRET = 'FROM python:3.12-slim\nUSER app\nENV API_TOKEN=abc\nCMD ["python"]\n'


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pitstop", *args], capture_output=True, text=True, check=False
    )


def test_version():
    done = run("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"pitstop {__version__}")


def test_version_does_not_load_the_engine():
    code = "import sys; from pitstop import cli; print(sorted(m for m in ('rich', 'dockerfile', 'pitstop.review') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_cli_choices_come_from_the_format_enum():
    assert set(FORMATS) == {f.value for f in Format}


def test_example_review_reports_its_findings(capsys):
    assert main(["review", str(EXAMPLE), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    found = {
        (f["rule"], f["location"]["path"], f["location"]["line"]) for f in document["findings"]
    }
    assert ("PS110", "backend/Dockerfile", 50) in found  # chown -R /app after COPY app/
    assert ("PS106", "backend/Dockerfile", 62) in found  # CMD exec uvicorn ...
    assert ("PS301", "backend/pyproject.toml", 55) in found  # the example's blocking issue
    (blocking,) = [f for f in document["findings"] if f["severity"] == "blocking"]
    related = {(r["path"], r["line"]) for r in blocking["related"]}
    assert {
        (".github/workflows/deploy-staging.yml", 103),
        (".github/workflows/deploy-production.yml", 120),
    } <= related
    assert document["verdict"] == "CONDITIONALLY APPROVED"
    assert document["files_reviewed"] == [  # by kind, as the summary line counts them
        "backend/Dockerfile",
        "backend/pyproject.toml",
        "packages/bayit-translation/pyproject.toml",
        "packages/bayit-voice-pipeline/pyproject.toml",
        "packages/olorin-core/pyproject.toml",
        "packages/olorin-shared/pyproject.toml",
        ".github/workflows/deploy-production.yml",
        ".github/workflows/deploy-staging.yml",
    ]


def test_blocking_finding_exits_1(tmp_path, capsys):
    (tmp_path / "Dockerfile").write_text(SECRET)
    assert main(["review", str(tmp_path)]) == 1
    assert main(["review", str(tmp_path), "--fail-on", "never"]) == 0
    assert main(["review", str(tmp_path), "--ignore", "PS150,PS151"]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["review", "/no/such/place"],
            "pitstop: error: /no/such/place: no such file or directory\n",
        ),
        (
            ["review", ".", "--select", "PS999"],
            "pitstop: error: --select: unknown rule code 'PS999' (valid codes: PS101,",
        ),
        (
            ["review", ".", "--config", "/no/such.toml"],
            "pitstop: error: /no/such.toml: configuration file not found\n",
        ),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unparseable_dockerfile_alone_exits_2_without_traceback(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nRUNN x\n")
    done = run("review", str(tmp_path))
    assert done.returncode == 2
    assert (
        done.stderr == "pitstop: error: Dockerfile:2: unknown instruction: RUNN (is it a typo?)\n"
    )


def test_output_file_is_written(tmp_path):
    (tmp_path / "Dockerfile").write_text(SECRET)
    target = tmp_path / "out" / "report.sarif"
    assert main(["review", str(tmp_path), "--format", "sarif", "--output", str(target)]) == 1
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert [p.name for p in target.parent.iterdir()] == ["report.sarif"]  # no temporary left


def test_rules_reference_is_up_to_date():
    docs = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
    done = run("rules", "--format", "markdown")
    assert done.stdout == docs.read_text(), (
        "regenerate: pitstop rules --format markdown > docs/rules.md"
    )


def test_context_command_json_and_list(tmp_path, capsys):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print('hi')\n")
    (tmp_path / "notes.md").write_text("x" * 100)
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY app/ /app/\n")
    (tmp_path / ".dockerignore").write_text("*.md\n")
    assert (
        main(["context", str(tmp_path), "-f", str(tmp_path / "Dockerfile"), "--format", "json"])
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == 1 and document["ignore_file"] == ".dockerignore"
    assert document["files"] == 3  # .dockerignore, Dockerfile, app/main.py; notes.md excluded
    sizes = {"app/main.py": 12, "Dockerfile": 38, ".dockerignore": 5}
    assert document["bytes"] == sum(sizes.values())
    assert document["unused_bytes"] == document["bytes"] - sizes["app/main.py"]
    assert main(["context", str(tmp_path), "--list"]) == 0
    assert capsys.readouterr().out == ".dockerignore\nDockerfile\napp/main.py\n"


def test_context_of_a_missing_folder_is_a_usage_error(capsys):
    assert main(["context", "/no/such/folder"]) == 2
    assert capsys.readouterr().err == "pitstop: error: /no/such/folder: no such directory\n"


NOT_APPROVED_WITHOUT_BLOCKING = (
    "FROM python:3.12-slim\n"
    "RUN apt-get update && apt-get install -y curl\n"
    "RUN pip install flask\n"
    "RUN pip install requests\n"
    "RUN apt-get install -y git\n"
    "COPY . /app\n"
    "CMD python app.py\n"
)


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [(None, 1), ("blocking", 1), ("warning", 1), ("never", 0)],
)
def test_exit_code_follows_the_verdict(tmp_path, fail_on, expected):
    """NOT APPROVED with warnings only exits 1: the exit code never contradicts the verdict."""
    (tmp_path / "Dockerfile").write_text(NOT_APPROVED_WITHOUT_BLOCKING)
    options = [] if fail_on is None else ["--fail-on", fail_on]
    done = run("review", str(tmp_path), "--format", "json", *options)
    document = json.loads(done.stdout)
    assert document["verdict"] == "NOT APPROVED"
    assert not [f for f in document["findings"] if f["severity"] == "blocking"]
    assert done.returncode == expected


def test_approved_exits_0_unless_fail_on_reaches_a_finding(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim@sha256:" + "a" * 64 + '\nUSER 1000\nCMD ["python"]\n'
    )
    done = run("review", str(tmp_path), "--format", "json")
    document = json.loads(done.stdout)
    assert document["verdict"] == "APPROVED"
    assert done.returncode == 0
    infos = [f for f in document["findings"] if f["severity"] == "info"]
    assert run("review", str(tmp_path), "--fail-on", "info").returncode == (1 if infos else 0)


def test_help_describes_every_option():
    """Every option of every command says what it does (argparse prints no help otherwise)."""
    from pitstop.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"pitstop {name} {action.option_strings or action.dest}"
    review_help = commands["review"].format_help()
    assert "comma list of codes or prefixes" in review_help
    assert "later" not in parser.format_help()


LOADED = """
import sys
from pitstop import cli
code = cli.main(sys.argv[1:]) if len(sys.argv) > 1 else 0
heavy = ("rich", "ruamel", "tomllib", "dockerfile", "hcl2", "pitstop.review", "pitstop.impact",
         "pitstop.parsers", "pitstop.pipeline", "pitstop.config", "pitstop.reports")
print(sorted({m for m in sys.modules for h in heavy if m == h or m.startswith(h + ".")}))
"""


def loaded_modules(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=True
    )
    return eval(done.stdout.strip().splitlines()[-1])  # a list literal printed above


def test_importing_cli_and_api_loads_nothing_heavy():
    """Start-up is most of a one-file review: the engine, parsers, YAML, TOML and rich load
    only when a command needs them (api imports per function)."""
    code = LOADED.replace("from pitstop import cli", "from pitstop import api, cli")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_plain_review_of_one_dockerfile_loads_no_yaml_rich_or_impact(tmp_path):
    (tmp_path / "Dockerfile").write_text(SECRET)
    loaded = loaded_modules("review", str(tmp_path / "Dockerfile"), "--color", "never")
    assert "pitstop.review.engine" in loaded  # the check itself works
    assert not [m for m in loaded if m.startswith(("rich", "ruamel", "pitstop.impact"))]


def test_affected_loads_no_review_engine(tmp_path):
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    loaded = loaded_modules("affected", "--root", str(tmp_path), "--changed", "test_a.py")
    assert "pitstop.impact.selection_run" in loaded
    assert not [m for m in loaded if m.startswith(("rich", "pitstop.review", "dockerfile"))]


def test_a_bug_is_one_line_and_exit_3_naming_the_last_file_read(tmp_path, capsys, monkeypatch):
    """A crash must not look like "findings" (exit 1) to a CI gate, nor print a traceback."""
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    from pitstop.review import load

    def broken(text, path):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(load, "parse_dockerfile", broken)
    assert main(["review", str(tmp_path)]) == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("pitstop: internal error: ZeroDivisionError: division by zero")
    assert "(the last file read was Dockerfile)" in line
    assert "This is a bug in pitstop" in line
