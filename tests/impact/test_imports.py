"""What one file imports and mentions: a table of snippets and the imports they give."""

from __future__ import annotations

import pytest

from pitstop.impact.imports import Import, Kind, parse_facts

FROM, IMPORT, AS, DYNAMIC = Kind.FROM, Kind.IMPORT, Kind.IMPORT_AS, Kind.DYNAMIC

CASES = [
    ("import a.b", [("a.b", 0, (), IMPORT)]),
    ("import a.b as m", [("a.b", 0, (), AS)]),
    ("import a, b.c", [("a", 0, (), IMPORT), ("b.c", 0, (), IMPORT)]),
    ("from pkg import name, other", [("pkg", 0, ("name", "other"), FROM)]),
    ("from . import sibling", [("", 1, ("sibling",), FROM)]),
    ("from ..up.mod import x as y", [("up.mod", 2, ("x",), FROM)]),
    ("from pkg import *", [("pkg", 0, ("*",), FROM)]),
    ("def f():\n    import inner.mod\n", [("inner.mod", 0, (), IMPORT)]),
    (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.types import T\n",
        [("typing", 0, ("TYPE_CHECKING",), FROM), ("pkg.types", 0, ("T",), FROM)],
    ),
    (
        "import importlib\nm = importlib.import_module('pkg.plugins.x')\n",
        [("importlib", 0, (), IMPORT), ("pkg.plugins.x", 0, (), DYNAMIC)],
    ),
    ("m = __import__('pkg.low')", [("pkg.low", 0, (), DYNAMIC)]),
    (
        "from importlib import import_module\nimport_module('.rel', __package__)",
        [("importlib", 0, ("import_module",), FROM), ("rel", 1, (), DYNAMIC)],
    ),
    (
        "import pytest\nyaml = pytest.importorskip('yaml')",
        [("pytest", 0, (), IMPORT), ("yaml", 0, (), DYNAMIC)],
    ),
    (
        "pytest_plugins = ['tests.fixtures.db', 'tests.fixtures.web']",
        [("tests.fixtures.db", 0, (), DYNAMIC), ("tests.fixtures.web", 0, (), DYNAMIC)],
    ),
    ("pytest_plugins = 'tests.fixtures.db'", [("tests.fixtures.db", 0, (), DYNAMIC)]),
    ("pytest_plugins: tuple[str, ...] = ('p.q',)", [("p.q", 0, (), DYNAMIC)]),
    ("name = 'pkg.mod'\nimportlib.import_module(name)", []),  # not a literal: not seen
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_imports(source: str, expected: list[tuple[str, int, tuple[str, ...], Kind]]):
    facts = parse_facts(source.encode())
    assert facts.error is None
    assert [(i.module, i.level, i.names, i.kind) for i in facts.imports] == expected


def test_an_import_keeps_its_line():
    facts = parse_facts(b"\n\nfrom a import b\n")
    assert facts.imports == (Import("a", 0, ("b",), Kind.FROM, 3),)


@pytest.mark.parametrize(
    ("literal", "kept"),
    [
        ("data/x.json", True),
        ("x.json", True),
        ("pkg.mod.func", True),
        ("fixtures", True),
        ("C:\\\\data\\\\x.json", True),
        ("two words", False),
        ("line\\nbreak", False),
        ("", False),
        ("x" * 201, False),
    ],
)
def test_string_literals_that_could_name_a_file_or_module_are_kept(literal: str, kept: bool):
    facts = parse_facts(f"VALUE = '{literal}'\n".encode())
    assert (facts.strings == (literal.replace("\\\\", "\\"),)) is kept


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (b"def broken(:\n", "SyntaxError: invalid syntax (line 1)"),
        (b"x = 1\0\n", "source code string cannot contain null bytes"),
        (b"# -*- coding: nope -*-\nx = 1\n", "unknown encoding"),
        (b"x = '\xff\xfe'\n", "SyntaxError"),
    ],
)
def test_a_file_that_does_not_parse_gives_a_reason_and_no_facts(source: bytes, message: str):
    facts = parse_facts(source)
    assert facts.error is not None and message in facts.error
    assert facts.imports == () and not facts.passive


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import pkg\npkg.a()\nx = pkg.b.c\nprint(pkg.__name__)\n", (("pkg", ("a", "b")),)),
        ("import pkg.sub as m\nm.f()\n", (("pkg.sub", ("f",)),)),
        ("import pkg.sub\npkg.sub.f()\n", (("pkg", ("sub",)),)),
        ("import pkg\nf(pkg)\n", (("pkg", None),)),
        ("import pkg\npkg.a = 1\n", (("pkg", None),)),
        ("import pkg\ndef f():\n    import pkg\n    pkg = 2\n", (("pkg", None),)),
        ("import pkg as a, other as a\na.x\n", (("other", ("x",)), ("pkg", ("x",)))),
        ("import pkg\n", (("pkg", ()),)),
        ("from pkg import a\na.b()\n", ()),
    ],
)
def test_the_attributes_read_from_each_imported_module(source: str, expected: tuple):
    assert parse_facts(source.encode()).attributes == expected
