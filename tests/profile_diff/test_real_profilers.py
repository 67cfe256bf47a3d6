"""The required end-to-end test: a real program whose `render` does twice the work in HEAD,
profiled twice each way by each real profiler. The slowed function ranks first in both
BASE/HEAD pairs; an A/A pair (BASE against BASE, HEAD against HEAD) reports no regression."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flaky import flaky

from pitstop import api
from pitstop.cli import main
from tests.profile_diff.programs import SLOWED, TOOLS, profile

# pyinstrument weights each sample by the time since the last one and samples at the first
# call or return after its interval: its shares vary more between runs than independent
# samples would (A/A pairs of this program reached |z| = 3.1, where py-spy stayed under
# 2.4), so its A/A check uses the threshold the README advises for it.
A_A_Z = {"pyinstrument": 6.0}


def identity(change) -> tuple[str, str, int | None]:
    return change.function, Path(change.file).name, change.line


# Why a rerun: the profilers here measure wall-clock time, and on a loaded machine (a CI
# runner shared with other jobs, or this suite beside others) the scheduler's preemptions
# land whole time slices on whatever function was running: run-to-run noise beyond the
# sampling noise z measures (the README says so). A failure is retried with new profiles,
# never with the same ones; a real fault fails all three runs.
@flaky(max_runs=3)
@pytest.mark.parametrize("tool", TOOLS)
def test_the_slowed_function_ranks_first_and_a_a_pairs_report_nothing(tmp_path, tool: str):
    runs = profile(tool, tmp_path)
    for base, head in zip(runs.base, runs.head, strict=True):
        diff = api.profile_diff(base, head)
        assert diff.regressions, f"{tool}: {base.name} -> {head.name}: no regression"
        first = diff.regressions[0]
        assert identity(first) == SLOWED
        assert first.head_self > first.base_self
    z = A_A_Z.get(tool, 3.0)
    for first_run, second_run in (runs.base, runs.head):
        diff = api.profile_diff(first_run, second_run, z)
        assert diff.regressions == (), f"{tool}: {first_run.name} vs {second_run.name}"


def test_the_markdown_comment_names_the_slowed_function(real_profiles, capsys):
    runs = real_profiles[
        "py-spy"
    ]  # the ranking holds under load (see above); nothing else is asserted
    assert main(["profile", "diff", str(runs.base[0]), str(runs.head[0]), "-f", "markdown"]) == 0
    comment = capsys.readouterr().out
    assert comment.startswith("### Top 3 functions that got slower\n")
    first_row = next(line for line in comment.splitlines() if line.startswith("| 1 |"))
    assert "`render`" in first_row and "prog.py:16" in first_row


def test_fail_on_regression_exits_1_and_json_lists_it(real_profiles, capsys):
    runs = real_profiles["cprofile"]
    args = ["profile", "diff", str(runs.base[0]), str(runs.head[0]), "-f", "json"]
    assert main([*args, "--fail-on", "regression"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["regressions"][0]["function"] == "render"
    same = ["profile", "diff", str(runs.base[0]), str(runs.base[0]), "--fail-on", "regression"]
    assert main(same) == 0
