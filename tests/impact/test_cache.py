"""The facts cache: keyed by content, warm runs reparse only what changed, never trusted blindly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pitstop.impact.cache import ENVIRONMENT, SCHEMA_VERSION, FactsStore, cache_file
from pitstop.impact.imports import FileFacts, parse_facts
from pitstop.impact.scan import ScanFacts, scan_facts
from pitstop.impact.tree import DiskTree
from tests.impact.fakes import PROJECT, write


class CountingParser:
    """Counts what is really read: scans, and syntax-tree parses in `parsed`."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []
        self.parsed: list[bytes] = []

    def __call__(self, source: bytes) -> ScanFacts:
        self.seen.append(source)
        return scan_facts(source)

    def parse(self, source: bytes) -> FileFacts:
        self.parsed.append(source)
        return parse_facts(source)


def store_for(root: Path, parser: CountingParser, path: Path | None = None) -> FactsStore:
    cache = path if path is not None else cache_file(root)
    return FactsStore(DiskTree(root), cache, scanner=parser, parser=parser.parse)


def load(root: Path, parser: CountingParser, path: Path | None = None) -> dict[str, ScanFacts]:
    store = store_for(root, parser, path)
    facts = store.scan(store.python_files())
    store.save()
    return facts


def test_a_second_run_reparses_only_the_changed_files(tmp_path: Path):
    root = write(tmp_path, PROJECT)
    first, second = CountingParser(), CountingParser()
    cold = load(root, first)
    assert len(first.seen) == len(cold) == 8
    write(root, {"src/demo/util.py": "def helper():\n    return 7\n"})
    warm = load(root, second)
    assert second.seen == [b"def helper():\n    return 7\n"]
    assert warm["src/demo/core.py"] == cold["src/demo/core.py"]


def test_syntax_tree_facts_are_parsed_once_and_then_cached(tmp_path: Path):
    root = write(tmp_path, PROJECT)
    first, second = CountingParser(), CountingParser()
    store = store_for(root, first)
    store.scan(store.python_files())
    facts = store.deep("src/demo/__init__.py")
    store.save()
    assert facts.reexport and len(first.parsed) == 1
    again = store_for(root, second)
    again.scan(again.python_files())
    assert again.deep("src/demo/__init__.py") == facts
    assert (second.seen, second.parsed) == ([], [])


def test_identical_contents_are_parsed_once(tmp_path: Path):
    root = write(tmp_path, {"a/__init__.py": "", "b/__init__.py": "", "c.py": "x = 1\n"})
    parser = CountingParser()
    load(root, parser)
    assert sorted(parser.seen) == [b"", b"x = 1\n"]


def test_the_cache_lives_in_a_git_ignored_folder(tmp_path: Path):
    root = write(tmp_path, PROJECT)
    load(root, CountingParser())
    assert (root / ".pitstop" / ".gitignore").read_text().splitlines()[-1] == "*"
    document = json.loads((root / ".pitstop" / "affected.json").read_text())
    assert document["schema"] == SCHEMA_VERSION
    assert [p.name for p in (root / ".pitstop").iterdir() if p.name.endswith(".tmp")] == []


def test_the_cache_folder_can_be_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENVIRONMENT, str(tmp_path / "elsewhere"))
    root = write(tmp_path / "project", PROJECT)
    load(root, CountingParser())
    assert not (root / ".pitstop").exists()
    assert len(list((tmp_path / "elsewhere").glob("affected-*.json"))) == 1


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"schema": SCHEMA_VERSION + 1, "taken": 0, "paths": {}, "scan": {}, "deep": {}}),
        json.dumps({"schema": SCHEMA_VERSION}),
        json.dumps([1, 2]),
        "[" * 100_000 + "]" * 100_000,  # nested past Python's recursion limit
        json.dumps({"schema": SCHEMA_VERSION, "taken": 1e400, "paths": {}, "scan": {}, "deep": {}}),
        json.dumps({"schema": SCHEMA_VERSION, "taken": 0, "paths": [], "scan": {}, "deep": {}}),
        json.dumps(
            {"schema": SCHEMA_VERSION, "taken": 0, "paths": {"a.py": 5}, "scan": {}, "deep": {}}
        ),
    ],
)
def test_a_corrupt_or_outdated_cache_is_discarded(tmp_path: Path, content: str):
    root = write(tmp_path, PROJECT)
    write(root, {".pitstop/affected.json": content})
    parser = CountingParser()
    assert len(load(root, parser)) == 8
    assert len(parser.seen) == 8
    assert json.loads((root / ".pitstop/affected.json").read_text())["schema"] == SCHEMA_VERSION


def test_a_cached_entry_that_does_not_decode_is_reparsed(tmp_path: Path):
    root = write(tmp_path, PROJECT)
    load(root, CountingParser())
    path = root / ".pitstop/affected.json"
    document = json.loads(path.read_text())
    document["scan"] = {digest: ["garbage"] for digest in document["scan"]}
    path.write_text(json.dumps(document))
    parser = CountingParser()
    facts = load(root, parser)
    assert parser.seen == []  # entries decode when first read
    assert all(facts[file].imports is not None for file in facts)
    assert len(parser.seen) == 8 and facts["src/demo/core.py"].imports


WRONG_SCANS = [
    [[], [], "yes"],  # a flag that is not a bool
    [[["demo", 0, [], "import", 1]], [5], False],  # a literal that is not a string
    [[["demo", -1, [], "import", 1]], [], False],  # a negative level
    [[["demo", 0, [], "nonsense", 1]], [], False],  # an unknown import kind
    [[["demo", 0, [], ["import"], 1]], [], False],  # an unhashable kind
    [[[1e400, 0, [], "import", 1]], [], False],  # a module that is a number
    [{"imports": []}, [], False],
    [[], []],
]


@pytest.mark.parametrize("entry", WRONG_SCANS)
def test_a_cached_scan_of_the_wrong_shape_is_scanned_again(tmp_path: Path, entry: object):
    """Valid JSON of the wrong shape is never believed: a silent empty import list would
    select nothing for a change that affects everything."""
    root = write(tmp_path, PROJECT)
    cold = load(root, CountingParser())
    path = root / ".pitstop/affected.json"
    document = json.loads(path.read_text())
    document["scan"] = {digest: entry for digest in document["scan"]}
    path.write_text(json.dumps(document))
    parser = CountingParser()
    warm = load(root, parser)
    assert {file: warm[file] for file in warm} == {file: cold[file] for file in cold}
    assert len(parser.seen) == 8


def test_cached_syntax_facts_of_the_wrong_shape_are_parsed_again(tmp_path: Path):
    root = write(tmp_path, PROJECT)
    first = CountingParser()
    store = store_for(root, first)
    store.scan(store.python_files())
    expected = store.deep("src/demo/core.py")
    store.save()
    path = root / ".pitstop/affected.json"
    document = json.loads(path.read_text())
    for digest, entry in document["deep"].items():
        entry[1] = "not a bool"
        document["deep"][digest] = entry
    path.write_text(json.dumps(document))
    second = CountingParser()
    store = store_for(root, second)
    store.scan(store.python_files())
    assert store.deep("src/demo/core.py") == expected
    assert len(second.parsed) == 1


def test_a_symlinked_cache_folder_is_never_followed(tmp_path: Path):
    root = write(tmp_path / "repo", PROJECT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / ".pitstop").symlink_to(elsewhere)
    assert cache_file(root) is None
    load(root, CountingParser(), cache_file(root))
    assert list(elsewhere.iterdir()) == []


def test_no_cache_parses_everything_and_writes_nothing(tmp_path: Path):
    root = write(tmp_path, PROJECT)
    parser = CountingParser()
    for _ in range(2):
        store = FactsStore(DiskTree(root), None, scanner=parser)
        store.scan(store.python_files())
        store.save()
    assert len(parser.seen) == 16 and not (root / ".pitstop").exists()


def test_a_cache_that_cannot_be_written_is_not_an_error(tmp_path: Path):
    root = write(tmp_path, PROJECT)
    write(root, {"blocked": "a file where the cache folder should be"})
    assert len(load(root, CountingParser(), root / "blocked" / "affected.json")) == 8


def test_a_cold_run_in_worker_processes_gives_the_same_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from pitstop.impact import cache

    root = write(tmp_path, PROJECT)
    serial = FactsStore(DiskTree(root), None, workers=1)
    expected = dict(serial.scan(serial.python_files()))
    monkeypatch.setattr(cache, "PARALLEL_FROM", 1)
    parallel = FactsStore(DiskTree(root), None, workers=2)
    assert dict(parallel.scan(parallel.python_files())) == expected
