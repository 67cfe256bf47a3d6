"""The scan finds every import `ast` finds (a superset), fast, in any text."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from pitstop.impact.imports import Kind, parse_facts
from pitstop.impact.scan import scan_facts

FROM, IMPORT, AS, DYNAMIC = Kind.FROM, Kind.IMPORT, Kind.IMPORT_AS, Kind.DYNAMIC

CASES = [
    ("import a.b", [("a.b", 0, (), IMPORT)]),
    ("import a.b as m, c", [("a.b", 0, (), AS), ("c", 0, (), IMPORT)]),
    ("from . import sibling", [("", 1, ("sibling",), FROM)]),
    ("from ..up.mod import x as y, z", [("up.mod", 2, ("x", "z"), FROM)]),
    ("from pkg import (\n    a,  # one (note)\n    b as c,\n)\n", [("pkg", 0, ("a", "b"), FROM)]),
    ("from pkg import \\\n    (a,\n     b)\n", [("pkg", 0, ("a", "b"), FROM)]),
    ("from pkg \\\n    import a\n", [("pkg", 0, ("a",), FROM)]),
    ("import a, \\\n    b\n", [("a", 0, (), IMPORT), ("b", 0, (), IMPORT)]),
    ("x = 1; import y", [("y", 0, (), IMPORT)]),
    ("if TYPE_CHECKING: from t import T", [("t", 0, ("T",), FROM)]),
    ("def f():\n    import inner", [("inner", 0, (), IMPORT)]),
    ("from pkg import *", [("pkg", 0, ("*",), FROM)]),
    ("m = importlib.import_module('.rel', __package__)", [("rel", 1, (), DYNAMIC)]),
    ("import_thing = 1\nmy_import = 2\nimportlib = 3\n", []),
    ("'''We import json here.'''", [("json", 0, (), IMPORT)]),  # a superset: harmless
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_scanned_imports(source: str, expected: list[tuple[str, int, tuple[str, ...], Kind]]):
    scanned = scan_facts(source.encode()).imports
    assert [(i.module, i.level, i.names, i.kind) for i in scanned] == expected


def test_imports_keep_their_lines():
    scanned = scan_facts(b"import os\n\n\nfrom a import b\nimport c\n").imports
    assert [(i.module, i.line) for i in scanned] == [("a", 4), ("os", 1), ("c", 5)]


def test_a_file_that_does_not_parse_is_scanned_all_the_same():
    scanned = scan_facts(b"from pkg import a\n\ndef broken(:\n\xff\xfe\n")
    assert [(i.module, i.names) for i in scanned.imports] == [("pkg", ("a",))]


def test_literals_and_the_reexport_precheck():
    facts = scan_facts(b"from .a import x\nPATH = 'data/x.json'\nNAME = \"pkg.mod\"\n")
    assert facts.strings == ("data/x.json", "pkg.mod")
    assert facts.reexport_candidate
    assert scan_facts(b"from .a import x\ndef __getattr__(name):\n    pass\n").reexport_candidate
    assert not scan_facts(b"from .a import x\nclass A:\n    pass\n").reexport_candidate
    assert not scan_facts(b"from .a import x\n@decorate\ndef f():\n    pass\n").reexport_candidate


STDLIB = Path(sysconfig.get_paths()["stdlib"])
CORPUS = sorted(STDLIB.glob("*.py")) + sorted(
    path
    for package in ("email", "importlib", "json", "logging", "concurrent", "xml")
    for path in (STDLIB / package).rglob("*.py")
)


def test_the_scan_finds_every_import_ast_finds_in_the_standard_library():
    missed = []
    for path in CORPUS:
        source = path.read_bytes()
        exact = parse_facts(source)
        if exact.error is not None:
            continue
        scanned = scan_facts(source)
        found = {(i.module, i.level, n) for i in scanned.imports for n in (*i.names, "")}
        for item in exact.imports:
            if item.kind is DYNAMIC and item.level == 0:
                if item.module not in scanned.strings:  # literals stand for dynamic imports
                    missed.append((path.name, item))
            elif any((item.module, item.level, n) not in found for n in (*item.names, "")):
                missed.append((path.name, item))
    assert len(CORPUS) > 200
    assert missed == []
