"""PS105/PS106: which shell-form commands forward signals, and advice that can be followed."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

CASES = [
    # A chain that ends in `exec` hands PID 1 to the program: signals reach it.
    (
        "PS105",
        """
        FROM python:3.12-slim
        CMD NAME=$(cat /etc/name) \\
            && ln -sf /a "/b/${NAME}" \\
            && exec server run "${NAME}"
        """,
        [],
    ),
    ("PS105", "FROM python:3.12-slim\nCMD set -xe; python manage.py migrate; gunicorn app\n", [2]),
    ("PS105", "FROM python:3.12-slim\nCMD exec gunicorn app | tee /log\n", [2]),
    # PS106 suggests the exec form only when one command could be written that way.
    ("PS106", "FROM python:3.12-slim\nCMD migrate && exec gunicorn app\n", []),
    ("PS106", "FROM python:3.12-slim\nENTRYPOINT migrate && exec gunicorn app\n", [2]),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


@pytest.mark.parametrize(
    "script",
    [
        "set -xe; python manage.py migrate --noinput; gunicorn app.wsgi",
        'PY=$(echo "$V" | tr -d .) && run "$PY"',
        "cd /srv && gunicorn app",
        "PORT=8000 gunicorn app",
        "gunicorn app > /log",
    ],
)
def test_no_exec_form_is_proposed_for_a_script(script, tmp_path):
    (finding,) = findings(f"FROM python:3.12-slim\nCMD {script}\n", "PS105", tmp_path)
    assert 'CMD ["' not in finding.message
    assert "exec" in finding.message
    assert finding.fix is None


def test_script_advice_names_the_command_to_exec(tmp_path):
    snippet = "FROM python:3.12-slim\nCMD set -xe; python manage.py migrate; gunicorn app\n"
    (finding,) = findings(snippet, "PS105", tmp_path)
    assert "`exec gunicorn ...`" in finding.message


def test_single_command_keeps_the_exec_form_advice(tmp_path):
    (finding,) = findings("FROM python:3.12-slim\nCMD gunicorn app\n", "PS105", tmp_path)
    assert 'CMD ["gunicorn", ...]' in finding.message
    assert finding.fix is not None


def test_entrypoint_script_is_told_to_move_into_a_file(tmp_path):
    snippet = "FROM python:3.12-slim\nENTRYPOINT migrate && exec gunicorn app\n"
    (finding,) = findings(snippet, "PS106", tmp_path)
    assert 'ENTRYPOINT ["/entrypoint.sh"]' in finding.message
