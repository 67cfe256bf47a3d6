"""PS150-PS151: credentials in ARG and ENV."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

CASES = [
    ("PS150", "FROM debian:12\nENV API_KEY=sk-live-123\n", [2]),
    ("PS150", "FROM debian:12\nENV DB_PASSWORD hunter2\n", [2]),
    ("PS150", "ARG NPM_TOKEN=abc\nFROM debian:12\n", [1]),
    ("PS150", "FROM debian:12\nARG GITHUB_TOKEN\n", []),
    ("PS150", "FROM debian:12\nENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D\n", []),
    ("PS150", "FROM debian:12\nENV SSH_PUBLIC_KEY=ssh-ed25519\n", []),
    ("PS150", "FROM debian:12\nENV SECRET_KEY=${SECRET_KEY}\n", []),
    ("PS150", "FROM debian:12\nENV CACHE_DIR=/tmp/cache\n", []),
    # a value that switches a feature off, or names a file, is not a credential
    ("PS150", "FROM debian:12\nENV GOOGLE_API_KEY=no \\\n    CLIENT_SECRET=none\n", []),
    ("PS150", "FROM debian:12\nENV DB_PASSWORD=/run/secrets/db\n", []),
    ("PS150", "FROM debian:12\nENV DB_PASSWORD=nope\n", [2]),
    ("PS151", "FROM debian:12\nARG GITHUB_TOKEN\n", [2]),
    ("PS151", "FROM debian:12\nARG SECRET_KEY\nENV SECRET_KEY=${SECRET_KEY}\n", [2, 3]),
    ("PS151", "FROM debian:12\nARG VERSION\n", []),
    (
        "PS151",
        'FROM debian:12\nARG actions_runtime_token=""\n'
        "RUN --mount=type=secret,id=actions_runtime_token,env=ACTIONS_RUNTIME_TOKEN make\n",
        [],
    ),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


def test_secret_is_blocking_and_never_printed(tmp_path):
    (finding,) = findings("FROM debian:12\nENV API_KEY=sk-live-123\n", "PS150", tmp_path)
    assert finding.severity.value == "blocking"
    assert "sk-live-123" not in finding.message
