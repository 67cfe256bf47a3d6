"""Splitting RUN scripts into simple commands."""

from __future__ import annotations

import pytest

from pitstop.parsers.shell import (
    Dialect,
    apt_get,
    as_one_command,
    ends_in_exec,
    pip_install,
    shell_dialect,
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
    ("script", "commands"),
    [
        (  # a continuation joins the lines; the command keeps the line it starts on
            "echo start\ndocker build \\\n  -t app \\\n  .  # trailing comment\necho done",
            [
                (0, ("echo", "start")),
                (1, ("docker", "build", "-t", "app", ".")),
                (4, ("echo", "done")),
            ],
        ),
        (  # a backslash that ends a comment is part of the comment: it continues nothing
            "# build the image \\\ndocker build .",
            [(1, ("docker", "build", "."))],
        ),
        (  # so the line after a commented-out continuation is a command of its own
            "docker build . # -t old \\\n  --pull",
            [(0, ("docker", "build", ".")), (1, ("--pull",))],
        ),
        (  # `#` inside a word is not a comment
            "docker build --build-arg REF=${GITHUB_REF#refs/tags/} a#b",
            [(0, ("docker", "build", "--build-arg", "REF=${GITHUB_REF#refs/tags/}", "a#b"))],
        ),
        (  # inside single quotes a backslash-newline stays as written
            "echo 'a \\\nb' && ls",
            [(0, ("echo", "a \\\nb")), (1, ("ls",))],
        ),
        (  # a redirection and its target are not words of the command
            "docker build . 2>&1 | tee log > /dev/null",
            [(0, ("docker", "build", ".")), (0, ("tee", "log"))],
        ),
        (  # a here-document's body is data, not commands
            "cat > Dockerfile <<EOF\nRUN docker build x\nEOF\ndocker build y",
            [(0, ("cat",)), (3, ("docker", "build", "y"))],
        ),
        (  # `<<-` strips leading tabs from the delimiter line; a quoted delimiter
            "cat <<-'END'\n\tdocker build x\n\tEND\nls",
            [(0, ("cat",)), (3, ("ls",))],
        ),
        (  # a here-document with no delimiter line is read as written
            "cat <<EOF\napt-get update",
            [(0, ("cat",)), (1, ("apt-get", "update"))],
        ),
        (  # GitHub expressions are one word, whatever quotes or operators they hold
            "[ \"${{ github.event_name == 'push' && 'a' || 'b' }}\" = a ]; docker push x",
            [
                (0, ("[", "${{ github.event_name == 'push' && 'a' || 'b' }}", "=", "a", "]")),
                (0, ("docker", "push", "x")),
            ],
        ),
        ("echo $(date; ls) `a;b` ok", [(0, ("echo", "$(date; ls)", "`a;b`", "ok"))]),
        ("{ a; b; } && ! c\r\nd", [(0, ("a",)), (0, ("b",)), (0, ("c",)), (1, ("d",))]),
    ],
)
def test_posix_commands_and_their_lines(script, commands):
    assert [(c.line, c.words) for c in split_commands(script)] == commands


@pytest.mark.parametrize(
    ("shell", "dialect"),
    [
        (None, Dialect.POSIX),
        ("bash", Dialect.POSIX),
        ("sh", Dialect.POSIX),
        ("bash -e {0}", Dialect.POSIX),
        ("/usr/bin/bash --noprofile --norc -eo pipefail {0}", Dialect.POSIX),
        ("pwsh", Dialect.POWERSHELL),
        ("powershell", Dialect.POWERSHELL),
        ("pwsh -command \". '{0}'\"", Dialect.POWERSHELL),
        ("cmd", Dialect.CMD),
        ("python", Dialect.OTHER),
        ("perl {0}", Dialect.OTHER),
        ("${{ matrix.shell }}", Dialect.OTHER),
    ],
)
def test_shell_dialect(shell, dialect):
    assert shell_dialect(shell) is dialect


@pytest.mark.parametrize(
    ("script", "dialect", "commands"),
    [
        (  # the backtick continues a PowerShell line; a backslash is an ordinary character
            "docker build `\n  -t x:${{ github.sha }} `\n  -f docker\\Dockerfile `\n  .\necho done",
            Dialect.POWERSHELL,
            [
                (
                    0,
                    (
                        "docker",
                        "build",
                        "-t",
                        "x:${{ github.sha }}",
                        "-f",
                        "docker\\Dockerfile",
                        ".",
                    ),
                ),
                (4, ("echo", "done")),
            ],
        ),
        (
            "# docker build a\n<# docker build b\n#> $x = 'a;b'; pip install y # c",
            Dialect.POWERSHELL,
            [(2, ("$x", "=", "a;b")), (2, ("pip", "install", "y"))],
        ),
        (
            'docker build ^\n  -t x . && echo "a & b"\nrem docker build z\n:: docker build q',
            Dialect.CMD,
            [(0, ("docker", "build", "-t", "x", ".")), (0, ("echo", "a & b"))],
        ),
        ("docker build .", Dialect.OTHER, []),
    ],
)
def test_other_shells(script, dialect, commands):
    assert [(c.line, c.words) for c in split_commands(script, dialect)] == commands


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


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        ("RUN apt-get install -y curl", True),
        ("RUN echo $(date) ok", True),
        ("RUN echo a#b", True),  # `#` inside a word starts no comment
        ("RUN apt-get install -y curl # tools", False),
        ('RUN apt-get install -y curl "', False),
        ("RUN apt-get install -y curl `", False),
        ("RUN echo $(date", False),
    ],
)
def test_appends_cleanly(line, clean):
    from pitstop.parsers.shell import appends_cleanly

    assert appends_cleanly(line) is clean
