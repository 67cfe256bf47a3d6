"""Splitting RUN scripts into simple commands."""

from __future__ import annotations

import pytest

from pitstop.parsers.shell import (
    apt_get,
    as_one_command,
    ends_in_exec,
    pip_install,
    split_commands,
)


@pytest.mark.parametrize(
    ("script", "programs"),
    [
        ("apt-get update && apt-get install -y curl", ["apt-get", "apt-get"]),
        ("a; b | c || d & e", ["a", "b", "c", "d", "e"]),
        ("DEBIAN_FRONTEND=noninteractive sudo -E apt-get install x", ["apt-get"]),
        ("if true; then pip install x; fi", ["true", "pip"]),
        ("echo 'a && b' && rm -rf /x", ["echo", "rm"]),
        ("set -eux\npip install x\n# comment\nrm y", ["set", "pip", "rm"]),
        ("/usr/bin/python3 -m pip install x", ["python3"]),
        ("echo 'unbalanced", ["echo"]),
    ],
)
def test_programs(script, programs):
    assert [c.program for c in split_commands(script)] == programs


def test_assignments_are_kept_apart():
    (command,) = split_commands("PIP_NO_CACHE_DIR=1 pip install x")
    assert command.env == ("PIP_NO_CACHE_DIR=1",)
    assert command.words == ("pip", "install", "x")


@pytest.mark.parametrize(
    ("script", "packages"),
    [
        ("pip install -r req.txt", ("-r", "req.txt")),
        ("pip3 --disable-pip-version-check install x", ("x",)),
        ("python3.12 -m pip install x", ("x",)),
        ("uv pip install x", ("x",)),
        ("pip wheel x", None),
        ("pipx install poetry", None),
    ],
)
def test_pip_install(script, packages):
    (command,) = split_commands(script)
    assert pip_install(command) == packages


def test_apt_get_verb():
    (command,) = split_commands("apt-get -y --no-install-recommends install curl")
    assert apt_get(command) == ("install", ("-y", "--no-install-recommends", "curl"))


@pytest.mark.parametrize(
    ("script", "one"),
    [
        ("gunicorn app:app -b 0.0.0.0:$PORT", True),
        ("set -xe", False),
        ("cd /srv", False),
        ("PORT=1 gunicorn app", False),
        ("a && b", False),
        ("a; b", False),
        ("a | b", False),
        ("a > log", False),
        ("run $(cat x)", False),
    ],
)
def test_as_one_command(script, one):
    assert (as_one_command(script) is not None) is one


@pytest.mark.parametrize(
    ("script", "execs"),
    [
        ("exec gunicorn app", True),
        ("A=$(cat x) && B=1 && exec gunicorn app", True),
        ("migrate\nexec gunicorn app", True),
        ("exec gunicorn app || echo failed", False),
        ("exec gunicorn app | tee log", False),
        ("gunicorn app", False),
        ("exec", False),
    ],
)
def test_ends_in_exec(script, execs):
    assert ends_in_exec(script) is execs
