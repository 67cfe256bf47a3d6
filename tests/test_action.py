"""The GitHub Action (action.yml and its scripts under action/), run here as a runner runs
them: the same environment variables (RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
GITHUB_ACTION_PATH) and the inputs passed through `env:`, as action.yml passes them.

The scripts find pitstop in RUNNER_TEMP/pitstop-venv; the tests point that at the
environment running them, except the one test of install.sh, which builds pitstop from
this repository as the action does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))

# A repository with one blocking finding: compose builds the root, whose Dockerfile copies
# a file that does not exist (PS203).
REPOSITORY = {
    "Dockerfile": 'FROM python:3.12-slim\nCOPY app.py settings.toml /app/\nCMD ["python", "/app/app.py"]\n',
    "app.py": "print('hello')\n",
    "compose.yaml": "services:\n  app:\n    build: .\n",
    ".dockerignore": ".git\n",
}


class Runner:
    """One job's runner: its temporary folder, output and summary files, workspace."""

    def __init__(self, tmp_path: Path) -> None:
        self.temp = tmp_path / "runner-temp"
        self.temp.mkdir()
        self.workspace = tmp_path / "workspace"
        self.workspace.mkdir()
        self.output = tmp_path / "github-output"
        self.summary = tmp_path / "step-summary"
        self.output.touch()
        self.summary.touch()

    def env(self, **inputs: str) -> dict[str, str]:
        return {
            **os.environ,
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_ACTION_PATH": str(ROOT),
            **inputs,
        }

    def script(self, name: str, **inputs: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / "action" / name)],
            cwd=self.workspace,
            env=self.env(**inputs),
            capture_output=True,
            text=True,
            timeout=600,
        )

    def outputs(self) -> dict[str, str]:
        """GITHUB_OUTPUT parsed as the runner parses it (`name=value`, `name<<DELIMITER`)."""
        found: dict[str, str] = {}
        lines = iter(self.output.read_text().splitlines())
        for line in lines:
            if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
                name, delimiter = line.split("<<", 1)
                value = []
                for inner in lines:
                    if inner == delimiter:
                        break
                    value.append(inner)
                found[name] = "\n".join(value)
            else:
                name, value_ = line.split("=", 1)
                found[name] = value_
        return found


def _inputs(**given: str) -> dict[str, str]:
    """The `env:` of action.yml's run step: each input, its default unless given."""
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values = {**defaults, **given}
    return {
        "COMMAND": values["command"],
        "ARGS": values["args"],
        "INPUT_PATH": values["path"],
        "FAIL_ON": values["fail-on"],
        "FORMAT": values["format"],
        "SARIF": values["sarif"],
        "SUMMARY": values["summary"],
        "SOURCE": values["source"],
        "EXTRAS": values["extras"],
    }


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    made = Runner(tmp_path)
    pitstop = Path(sys.prefix) / "bin" / "pitstop"
    if not pitstop.exists():
        pytest.skip("pitstop is not installed in the environment running the tests")
    (made.temp / "pitstop-venv").symlink_to(sys.prefix)
    for name, text in REPOSITORY.items():
        (made.workspace / name).write_text(text)
    return made


def test_review_outputs_summary_and_sarif(runner: Runner) -> None:
    done = runner.script("run.sh", **_inputs(sarif="true"))
    assert done.returncode == 0, done.stderr  # the action's last step exits with the code
    outputs = runner.outputs()
    assert outputs["exit-code"] == "1"
    assert outputs["verdict"] == "CONDITIONALLY APPROVED"
    assert (outputs["findings"], outputs["blocking"], outputs["warnings"]) == ("1", "1", "0")
    assert "PS203" in outputs["output"]  # the text report, also printed to the log
    assert "PS203" in done.stdout
    assert Path(outputs["output-file"]).read_text() == outputs["output"] + "\n"
    assert runner.summary.read_text().startswith("## pitstop review: CONDITIONALLY APPROVED")
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["PS203"]


def test_review_fail_on_never_and_json_format(runner: Runner) -> None:
    runner.script("run.sh", **_inputs(**{"fail-on": "never", "format": "json"}))
    outputs = runner.outputs()
    assert outputs["exit-code"] == "0"
    assert json.loads(outputs["output"])["findings"][0]["rule"] == "PS203"
    assert "sarif-file" not in outputs


def test_args_are_split_but_never_evaluated(runner: Runner) -> None:
    """A crafted value in `args` (a branch or file name put there by a workflow) stays one
    literal argument: nothing runs, pitstop sees the odd selection and says so."""
    done = runner.script(
        "run.sh", **_inputs(args="--select '$(touch pwned)' --ignore `touch pwned2`")
    )
    assert not (runner.workspace / "pwned").exists()
    assert not (runner.workspace / "pwned2").exists()
    assert runner.outputs()["exit-code"] == "2", done.stdout + done.stderr


def test_args_with_unbalanced_quotes_are_a_usage_error(runner: Runner) -> None:
    done = runner.script("run.sh", **_inputs(args="--select 'PS2"))
    assert runner.outputs()["exit-code"] == "2"
    assert "::error title=pitstop action::args: unbalanced quotes" in done.stdout


def test_review_options_set_by_inputs_are_refused_in_args(runner: Runner) -> None:
    done = runner.script("run.sh", **_inputs(args="--format sarif"))
    assert runner.outputs()["exit-code"] == "2"
    assert "'--format' is set by the action's inputs" in done.stdout


def test_another_command_with_markdown_goes_to_the_summary(runner: Runner) -> None:
    runner.script("run.sh", **_inputs(command="rules", format="markdown"))
    outputs = runner.outputs()
    assert outputs["exit-code"] == "0"
    assert "## PS203 copy-source-missing" in outputs["output"]
    assert runner.summary.read_text() == Path(outputs["output-file"]).read_text()
    assert "verdict" not in outputs


def test_path_runs_the_command_in_that_folder(runner: Runner) -> None:
    service = runner.workspace / "service"
    service.mkdir()
    (service / "Dockerfile").write_text("FROM python:3.12-slim\n")
    runner.script("run.sh", **_inputs(path="service", format="json", summary="false"))
    outputs = runner.outputs()
    report = json.loads(outputs["output"])
    assert [f["rule"] for f in report["findings"] if f["severity"] == "blocking"] == []
    assert runner.summary.read_text() == ""


@pytest.mark.parametrize(
    ("inputs", "problem"),
    [
        ({"command": "rm"}, "command: 'rm' is not a pitstop command"),
        ({"source": "git"}, "source: 'git' is neither 'action' nor 'index'"),
        ({"sarif": "yes"}, "sarif: 'yes' is neither 'true' nor 'false'"),
        ({"sarif": "true", "command": "shard"}, "sarif: only 'pitstop review' writes SARIF"),
        ({"sarif": "true", "path": "backend"}, "sarif: needs path '.'"),
        ({"extras": "postgresql] @ https://x"}, "extras: 'postgresql] @ https://x' is not"),
    ],
)
def test_inputs_checked_before_install(
    runner: Runner, inputs: dict[str, str], problem: str
) -> None:
    done = runner.script("check_inputs.sh", **_inputs(**inputs))
    assert done.returncode == 2
    assert done.stdout.startswith(f"::error title=pitstop action::{problem}"), done.stdout


def test_default_inputs_pass_the_check(runner: Runner) -> None:
    assert runner.script("check_inputs.sh", **_inputs()).returncode == 0
    assert runner.script("check_inputs.sh", **_inputs(extras="postgresql")).returncode == 0


def test_default_version_is_the_package_version() -> None:
    """With the default source the action builds its own checkout, which must be the
    version the input names: a release bumps both or the install step fails."""
    assert ACTION["inputs"]["version"]["default"] == version("pitstop")


def _run_scripts(action: dict[str, Any]) -> list[str]:
    return [step["run"] for step in action["runs"]["steps"] if "run" in step]


def test_no_expression_inside_a_script() -> None:
    """Inputs reach the scripts through `env:` only: an expression inside `run:` is pasted
    into the script before bash reads it, so an input could run as code."""
    scripts = _run_scripts(ACTION)
    assert scripts and not [s for s in scripts if "${{" in s]


def test_actions_pinned_by_commit() -> None:
    uses = [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in uses), uses


def test_install_builds_this_checkout_once_per_job(tmp_path: Path) -> None:
    """install.sh as the runner runs it: a virtualenv under RUNNER_TEMP with pitstop built
    from the action's checkout (pip's index for its dependencies); the second use in the
    same job reuses it."""
    runner = Runner(tmp_path)
    env = {
        "PYTHON": sys.executable,
        "SOURCE": "action",
        "EXTRAS": "",
        "VERSION": version("pitstop"),
    }
    first = runner.script("install.sh", **env)
    assert first.returncode == 0, first.stdout + first.stderr
    pitstop = runner.temp / "pitstop-venv" / "bin" / "pitstop"
    done = subprocess.run([pitstop, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"pitstop {version('pitstop')}"
    again = runner.script("install.sh", **env)
    assert again.returncode == 0 and "already installed" in again.stdout
