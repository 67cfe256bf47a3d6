"""What a module does on import: re-export modules, passivity, the import-time skeleton."""

from __future__ import annotations

import pytest

from pitstop.impact.imports import parse_facts


def facts(source: str):
    result = parse_facts(source.encode())
    assert result.error is None
    return result


REEXPORT = [
    ('"""doc"""\nfrom .a import x, y\nfrom .b import z\n__all__ = ["x", "y", "z"]\n', True),
    ("from .a import *\n__version__ = '1.0'\n", True),
    ("try:\n    from ._speed import f\nexcept ImportError:\n    from ._slow import f\n", True),
    ("import sys\nif sys.version_info >= (3, 11):\n    from .new import g\n", True),
    ("from .a import x\ndef __getattr__(name):\n    raise AttributeError(name)\n", True),
    ("from .a import x\nx.configure()\n", False),  # code that acts on what it imports
    ("from .a import x\ndef helper():\n    pass\n", False),  # defines its own code
    ("from .a import x\nDEFAULT = x()\n", False),
]


@pytest.mark.parametrize(("source", "expected"), REEXPORT)
def test_reexport_modules_hold_only_imports_and_constants(source: str, expected: bool):
    assert facts(source).reexport is expected


PASSIVE = [
    ("import re, logging\nlog = logging.getLogger(__name__)\nP = re.compile('x')\n", True),
    (
        "from dataclasses import dataclass\n@dataclass(frozen=True)\nclass A:\n    x: int = 1\n",
        True,
    ),
    (
        "class A:\n    @property\n    def v(self):\n        return helper()\n    @v.setter\n    def v(self, x):\n        pass\n",
        True,
    ),
    (
        "import enum\nclass Color(enum.Enum):\n    RED = 1\n    def label(self):\n        return 'red'\n",
        True,
    ),
    (
        "from typing import Generic, TypeVar\nT = TypeVar('T')\nclass Box(Generic[T]):\n    pass\n",
        True,
    ),
    ("import functools\n@functools.lru_cache(maxsize=None)\ndef f():\n    return 1\n", True),
    ("def main():\n    pass\nif __name__ == '__main__':\n    main()\n", True),  # not run on import
    ("def f():\n    return 1\nX = f()\n", False),  # runs its own function on import
    ("import atexit\ndef f():\n    pass\natexit.register(f)\n", False),  # hands it out
    ("def f():\n    pass\nKEYS = sorted([3, 1], key=f)\n", False),
    ("from .registry import register\n@register\ndef f():\n    pass\n", False),
    (
        "import click\n@click.command()\ndef cli():\n    pass\n",
        False,
    ),  # not a known-inert decorator
    ("class Base:\n    def __init_subclass__(cls):\n        pass\n", False),
    (
        "import enum\nclass C(enum.Enum):\n    A = 1\n    def __init__(self, v):\n        pass\n",
        False,
    ),
    ("import abc\nclass M(metaclass=abc.ABCMeta):\n    pass\n", True),
    ("class Meta(type):\n    pass\nclass M(metaclass=Meta):\n    pass\n", False),
    ("import other\nother.HOOKS.append(1)\n", True),  # external call with inert arguments
    ("import other\nother.hook = 1\n", False),  # writes into another module
    ("exec('x = 1')\n", False),
    ("HANDLERS = {'a': lambda: 1}\nHANDLERS['a']()\n", False),
    # calling a local class runs none of the module's code unless the class defines it
    (
        "from datetime import tzinfo\nclass Utc(tzinfo):\n    def dst(self, d):\n        pass\nUTC = Utc()\n",
        True,
    ),
    ("class A:\n    pass\nclass B(A):\n    pass\nX = B()\n", True),
    ("class A:\n    def __init__(self):\n        pass\nX = A()\n", False),
    ("class A:\n    def __init__(self):\n        pass\nclass B(A):\n    pass\nX = B()\n", False),
    ("class A:\n    __init__ = print\nX = A()\n", False),
    ("import enum\nclass C(enum.Enum):\n    A = 1\nX = C(1)\n", False),  # EnumMeta.__call__
    ("class A:\n    pass\nclass B:\n    def __new__(cls):\n        pass\nA = B\nX = A()\n", False),
    ("class A:\n    pass\nX = A()\nX.run()\n", False),  # the instance's method runs
    ("class A:\n    pass\nclass M(type):\n    pass\nX = M('X', (A,), {})\n", False),
    ("import threading\nclass T(threading.Thread):\n    pass\n", True),
    ("def f():\n    pass\nclass A:\n    d = staticmethod(f)\n", True),  # as if decorated
    ("import atexit\ndef f():\n    pass\natexit.register(staticmethod(f))\n", False),
    ("class A:\n    pass\nX = A()\nY = {X: 1}\n", False),  # hashed: A.__hash__ may run
    ("class A:\n    pass\nX = A()\nY = f'{X}'\n", False),
    ("class A:\n    pass\nX = A()\nY = X.size\n", False),  # a property may run
    ("class A:\n    pass\nX = A()\nprint(X)\n", False),
    ("class A:\n    pass\nX = A()\nDEFAULTS = (X, 1)\n", True),
    # enum creation calls only some methods; a member used at import time runs the others
    (
        "import enum, functools\n@functools.total_ordering\nclass U(enum.Enum):\n    A = 1\n"
        "    def __lt__(self, o):\n        return True\nDEFAULT = U.A\n",
        True,
    ),
    (
        "import enum\nclass U(enum.Enum):\n    A = 1\n    def __bool__(self):\n        return False\nif U.A:\n    pass\n",
        False,
    ),
    ("import enum\nclass U(enum.Enum):\n    A = 1\nX = U.A.label\n", False),
    (
        "import enum\nclass U(enum.Enum):\n    A = 1\n    def __hash__(self):\n        return 1\n",
        False,
    ),
    ("import enum\nclass K:\n    pass\nclass U(enum.Enum):\n    A = K()\n", False),
]


@pytest.mark.parametrize(("source", "expected"), PASSIVE)
def test_passive_modules_neither_run_nor_hand_out_their_functions(source: str, expected: bool):
    assert facts(source).passive is expected


def test_imported_base_classes_are_left_to_the_graph():
    # a metaclass or __init_subclass__ of the base may run: the graph checks where it is from
    result = facts("from django.db import models\nclass M(models.Model):\n    pass\n")
    assert (result.passive, result.bases) == (True, ("django.db.models.Model",))
    result = facts("from .base import Base\nclass A(Base):\n    pass\nX = A()\n")
    assert (result.passive, result.bases) == (False, (".base.Base",))  # A() may run Base code
    assert facts("class A(make_base()):\n    pass\n").passive is False


def test_imported_names_used_at_import_time_are_listed_for_the_graph():
    result = facts("from .util import make\nfrom pkg import CONST\nX = make()\nY = CONST + 1\n")
    assert result.active == (".util.make", "pkg.CONST")
    assert facts("from .util import make\nalias = make\n").active == ()


CONSTANTS = [
    (
        "A = 'x'\nB: str = A + '-y'\nC = (1, -2.5, b'z', None)\nD = A * 2 % 3\n",
        ("A", "B", "C", "D"),
    ),
    ("A = 'x'\nA = 'y'\n", ()),  # bound twice
    ("A = 'x'\ndef f():\n    global A\n    A = 'y'\n", ()),
    ("A = 'x'\nfor A in 'ab':\n    pass\n", ()),
    ("A = 'x'\nif X:\n    from m import A\n", ()),
    ("A = [1]\nB = {'a': 1}\nC = f()\nD = other.X + 1\n", ()),  # mutable or computed
    ("A = 'x'\ndef g():\n    A = 'local'\nclass K:\n    A = 'attr'\n", ("A",)),
]


@pytest.mark.parametrize(("source", "expected"), CONSTANTS)
def test_constants_are_names_bound_once_to_a_literal(source: str, expected: tuple[str, ...]):
    assert facts(source).constants == expected


SAME_SKELETON = [
    ("def f():\n    return 1\n", "def f():\n    x = 2\n    return x\n"),
    (
        "class A:\n    def m(self):\n        return 1\n",
        "class A:\n    def m(self):\n        return 2\n",
    ),
    (
        "X = 1\nif __name__ == '__main__':\n    print(1)\n",
        "X = 1\nif __name__ == '__main__':\n    print(2)\n",
    ),
    ("X = 1\n", "\n\n# comment\nX = 1\n"),
]
OTHER_SKELETON = [
    ("X = 1\n", "X = 2\n"),
    ("def f(x=1):\n    pass\n", "def f(x=2):\n    pass\n"),
    ("@a\ndef f():\n    pass\n", "@b\ndef f():\n    pass\n"),
    ("class A:\n    X = 1\n", "class A:\n    X = 2\n"),
    ("if C:\n    a = 1\nb = 2\n", "if C:\n    a = 1\n    b = 2\n"),
    ("f = lambda: 1\n", "f = lambda: 2\n"),
    ('"""doc"""\n', '"""other doc"""\n'),
]


@pytest.mark.parametrize(("before", "after"), SAME_SKELETON)
def test_changes_inside_function_bodies_keep_the_skeleton(before: str, after: str):
    assert facts(before).skeleton == facts(after).skeleton


@pytest.mark.parametrize(("before", "after"), OTHER_SKELETON)
def test_changes_to_code_that_runs_on_import_change_the_skeleton(before: str, after: str):
    assert facts(before).skeleton != facts(after).skeleton


def test_bindings_record_what_each_module_level_import_binds():
    result = facts("import a.b\nimport c.d as e\nfrom .x import y as z\nfrom m import *\n")
    assert [(b.name, b.module, b.level, b.attr, b.chain) for b in result.bindings] == [
        ("a", "a.b", 0, None, True),
        ("e", "c.d", 0, None, False),
        ("z", "x", 1, "y", False),
        ("*", "m", 0, "*", False),
    ]
