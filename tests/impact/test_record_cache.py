"""The recording's cache of what it read from each file (`impact.record_cache`)."""

from __future__ import annotations

import json

import pytest

from pitstop.impact import recorder
from pitstop.impact.record_cache import RecordCache, cache_file

SOURCE = """\
import functools

TABLE = {"a": lambda x: x + 1}


@functools.lru_cache
def top(x=1):
    def inner():
        return 2

    return inner() + x


class Box:
    def grow(self):
        return 3
"""


def read(root, *, lambdas=True):
    cache = RecordCache.of(root, lambdas=lambdas)
    text = recorder._read(root / "m.py", "m.py", cache, lambdas=lambdas)
    cache.save()
    assert text is not None
    return text


def unparsable(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(recorder.ast, "parse", refuse)


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.delenv("PITSTOP_CACHE_DIR", raising=False)
    (tmp_path / "m.py").write_text(SOURCE)
    return tmp_path


def test_an_unchanged_file_is_not_parsed_again_and_reads_the_same(root, monkeypatch):
    cold = read(root)
    assert (root / ".pitstop" / "record.json").is_file()
    assert (root / ".pitstop" / ".gitignore").is_file()  # git never sees it
    unparsable(monkeypatch)
    warm = read(root)
    assert warm.blocks.blocks == cold.blocks.blocks
    assert warm.blocks.digests == cold.blocks.digests
    assert warm.state == cold.state


def test_a_changed_file_is_parsed_again(root):
    before = read(root)
    (root / "m.py").write_text(SOURCE.replace("return 2", "return 5"))
    after = read(root)
    assert after.state.sha256 != before.state.sha256
    assert after.blocks.digests["top"] != before.blocks.digests["top"]


def test_the_cache_of_the_other_backend_is_not_read(root, monkeypatch):
    without = read(root, lambdas=False)
    with_lambdas = read(root, lambdas=True)  # a skeleton of its own: parsed again
    assert with_lambdas.state != without.state
    unparsable(monkeypatch)
    assert read(root, lambdas=True).state == with_lambdas.state


def test_only_the_files_of_the_last_session_are_kept(root):
    read(root)
    (root / "m.py").write_text(SOURCE + "\nX = 1\n")
    read(root)
    document = json.loads((root / ".pitstop" / "record.json").read_text())
    assert len(document["files"]) == 1


def entry(**changes):
    row = ["top", 6, 8, 11, "0" * 24, True, False]
    row = [changes.get(str(i), value) for i, value in enumerate(row)]
    return {"blocks": [row], "skeleton": changes.get("skeleton", "s" * 32)}


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[" * 100_000,  # nested past the recursion limit
        b'{"schema": 999, "files": {}}',
        b'{"schema": 1, "python": "other-3.0.0", "lambdas": true, "files": {}}',
        b"[]",
        "entry",  # an entry of every wrong shape below, under the file's own digest
    ],
)
def test_a_cache_of_any_other_shape_is_ignored(root, content):
    expected = read(root)
    path = root / ".pitstop" / "record.json"
    if content == "entry":
        document = json.loads(path.read_text())
        sha = expected.state.sha256
        wrong = [
            entry(**{"1": -1}),
            entry(**{"1": "6"}),
            entry(**{"1": 10**12}),
            entry(**{"0": ""}),
            entry(**{"0": "x" * 10_000}),
            entry(**{"5": 1}),
            entry(skeleton=None),
            {"blocks": [["top"]], "skeleton": "s"},
            {"blocks": {}, "skeleton": "s"},
            [],
        ]
        for bad in wrong:
            document["files"] = {sha: bad}
            path.write_text(json.dumps(document))
            got = read(root)
            assert got.blocks.blocks == expected.blocks.blocks
            assert got.state == expected.state
        return
    path.write_bytes(content)
    got = read(root)
    assert got.blocks.blocks == expected.blocks.blocks
    assert got.state == expected.state
    assert json.loads(path.read_text())["schema"] == 1  # rewritten whole


def test_a_symlinked_state_folder_gets_no_cache(root, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (root / ".pitstop").symlink_to(elsewhere, target_is_directory=True)
    assert cache_file(root) is None
    read(root)
    assert list(elsewhere.iterdir()) == []


def test_the_cache_folder_can_be_set(root, tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("PITSTOP_CACHE_DIR", str(folder))
    read(root)
    assert [p.name.startswith("record-") for p in folder.iterdir()] == [True]
    assert not (root / ".pitstop").exists()
