"""bench_image.py's check of `pitstop image --format json` against the generator's figures
(a report that states them passes; each wrong figure is named), and its exit when the
command is missing. The timing itself needs the command and is not run here."""

from __future__ import annotations

import copy
import importlib
import stat

import pytest

from benchmarks.image_archive import write_image


@pytest.fixture(scope="module")
def bench(pytestconfig):
    with pytest.MonkeyPatch.context() as patch:  # the script imports its sibling by name
        patch.syspath_prepend(str(pytestconfig.rootpath / "benchmarks"))
        yield importlib.import_module("bench_image")


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    return write_image(tmp_path_factory.mktemp("image") / "image.tar", 2_000_000, 8, 1000)


def right_report(figures):
    """What a correct `pitstop image --format json` says (the contract's shape), with an
    empty layer (WORKDIR) in the list and waste entries naming layers by digest."""
    digests = [layer["digest"] for layer in figures["layers"]]
    layers = [
        {
            key: layer[key]
            for key in (
                "digest",
                "created_by",
                "bytes",
                "files_added",
                "files_changed",
                "files_deleted",
            )
        }
        | {"empty": False}
        for layer in figures["layers"]
    ]
    layers.insert(1, {"digest": None, "created_by": "WORKDIR /app", "bytes": 0, "empty": True})
    waste = [
        {**w, "stored_in": digests[w["stored_in"]], "hidden_by": digests[w["hidden_by"]]}
        for w in figures["waste"]["files"][:5]
    ]
    total = figures["bytes"]["uncompressed"]
    return {
        "version": 1,
        "bytes": {
            **figures["bytes"],
            "base": figures["layers"][0]["bytes"],
            "added": total - figures["layers"][0]["bytes"],
        },
        "layers": layers,
        "waste": {"bytes": figures["waste"]["bytes"], "files": waste},
        "budget": None,
    }


def test_a_report_with_the_expected_figures_passes(bench, figures):
    assert bench.compare(right_report(figures), figures) == []


def test_each_wrong_figure_is_named(bench, figures):
    report = copy.deepcopy(right_report(figures))
    report["waste"]["bytes"] += report["waste"]["files"][0]["bytes"]  # a version counted twice
    report["layers"][3]["files_changed"] += 1
    report["waste"]["files"][1]["hidden_by"] = report["waste"]["files"][1]["stored_in"]
    report["budget"] = {"limit": 1, "over": True}
    wrong = bench.compare(report, figures)
    assert [line.split(":")[0] for line in wrong] == [
        "layers[2].files_changed",
        "waste.bytes",
        "waste.files",
        "budget",
    ]


def test_a_pitstop_without_the_image_command_exits_2_and_says_so(bench, tmp_path, capsys):
    old = tmp_path / "pitstop"
    old.write_text(
        "#!/bin/sh\necho \"pitstop: error: argument COMMAND: invalid choice: 'image'\" >&2\nexit 2\n"
    )
    old.chmod(old.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(SystemExit) as raised:
        bench.require_image_command(str(old))
    assert raised.value.code == 2
    assert "invalid choice: 'image'" in capsys.readouterr().err


def test_evict_drops_a_file_from_the_page_cache_without_changing_it(bench, tmp_path):
    path = tmp_path / "archive.tar"
    path.write_bytes(b"x" * 65536)
    bench.evict(path)  # no privilege needed; the next read comes from the disk
    assert path.read_bytes() == b"x" * 65536
