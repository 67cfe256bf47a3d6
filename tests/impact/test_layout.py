"""Module names: src and flat layouts, namespace packages, tests imported by rootdir insertion."""

from __future__ import annotations

from pitstop.impact.layout import Layout

FILES = [
    "src/pkg/__init__.py",
    "src/pkg/sub/__init__.py",
    "src/pkg/sub/mod.py",
    "src/ns/part/__init__.py",
    "src/ns/part/x.py",
    "flat/__init__.py",
    "flat/core.py",
    "tests/helpers.py",
    "tests/unit/__init__.py",
    "tests/unit/test_u.py",
    "extra/lib_a/__init__.py",
    "my-script.py",
]


def test_every_name_a_file_can_be_imported_as_canonical_first():
    layout = Layout.of(FILES, extra_roots=["extra"])
    assert layout.names("src/pkg/sub/mod.py")[0] == "pkg.sub.mod"
    assert layout.names("src/pkg/__init__.py")[0] == "pkg"
    assert layout.names("src/ns/part/x.py")[:2] == ("ns.part.x", "part.x")  # namespace package
    assert layout.names("flat/core.py") == ("flat.core",)
    assert "helpers" in layout.names("tests/helpers.py")  # rootdir insertion
    assert set(layout.names("tests/unit/test_u.py")) >= {"tests.unit.test_u", "unit.test_u"}
    assert layout.names("extra/lib_a/__init__.py")[0] == "lib_a"  # a configured source root
    assert layout.names("my-script.py") == ()  # not importable


def test_parent_inits_are_the_packages_that_run_first():
    layout = Layout.of(FILES)
    assert list(layout.parent_inits("src/pkg/sub/mod.py")) == [
        "src/pkg/sub/__init__.py",
        "src/pkg/__init__.py",
    ]
    assert list(layout.parent_inits("src/pkg/sub/__init__.py")) == ["src/pkg/__init__.py"]
    assert list(layout.parent_inits("src/ns/part/x.py")) == ["src/ns/part/__init__.py"]
    assert list(layout.parent_inits("tests/helpers.py")) == []
