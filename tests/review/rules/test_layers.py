"""PS110-PS111: what a later layer rewrites or deletes still ships in the earlier one."""

from __future__ import annotations

import pytest

from tests.review.rules.lint import findings, hits

RUNTIME_STAGE = """
    FROM python:3.11-slim AS runtime
    WORKDIR /app
    COPY --from=builder /build/requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY app/ ./app/
    RUN useradd -m -u 1000 appuser && chown -R appuser /app
    USER appuser
    """

CASES = [
    ("PS110", RUNTIME_STAGE, [6]),
    (
        "PS110",
        """
        FROM python:3.12-slim
        COPY --chown=app:app . /srv
        RUN chown -R app /var/log/app
        """,
        [],
    ),
    (
        "PS110",
        """
        FROM python:3.12-slim
        COPY . /srv/app
        RUN chmod -R g+w /srv
        """,
        [3],
    ),
    (
        "PS110",
        """
        FROM python:3.12-slim
        COPY . /srv/app
        RUN chown app /srv/app
        """,
        [],
    ),
    (
        "PS111",
        """
        FROM python:3.12-slim
        COPY --from=builder /wheels /wheels
        RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
        """,
        [3],
    ),
    (
        "PS111",
        """
        FROM python:3.12-slim
        WORKDIR /tmp
        COPY dist/ ./dist/
        RUN pip install --no-cache-dir dist/*.whl
        RUN rm -rf dist/*
        """,
        [5],
    ),
    (
        "PS111",
        """
        FROM python:3.12-slim
        RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels pip install /wheels/*.whl
        """,
        [],
    ),
    (
        "PS111",
        """
        FROM python:3.12-slim
        COPY app /app
        RUN rm -rf /tmp/cache
        """,
        [],
    ),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


def test_chown_points_at_every_copy_it_rewrites(tmp_path):
    (finding,) = findings(RUNTIME_STAGE, "PS110", tmp_path)
    assert [r.location.line for r in finding.related] == [3, 5]
    assert "COPY --chown" in finding.message


# (snippet, files in the build context, expected (line, column) of each finding)
DELETED = [
    # the rm on a later line of a multi-line RUN is where the finding points
    (
        """
        FROM python:3.12-slim
        COPY --from=builder /wheels /wheels
        RUN pip install --no-cache-dir /wheels/*.whl \\
            && tar -xf x.tar \\
            && rm -rf /wheels
        """,
        (),
        [(5, 8)],
    ),
    # a file copied into a folder (`dst/` keeps the source's name) and deleted later
    (
        """
        FROM python:3.12-slim
        COPY --from=build /tmp/release.tar.gz /root/
        WORKDIR /root
        RUN tar -xf release.tar.gz && rm -f release.tar.gz
        """,
        (),
        [(4, 31)],
    ),
    # a file of a copied folder: it is in the context folder, so it was copied
    (
        """
        FROM python:3.12-slim
        COPY bundle/ /opt/bundle/
        RUN rm /opt/bundle/big.bin
        """,
        ("bundle/big.bin",),
        [(3, 5)],
    ),
    # not in the copied folder: the RUN may have made it, nothing is claimed
    (
        """
        FROM python:3.12-slim
        COPY bundle/ /opt/bundle/
        RUN make -C /opt/bundle && rm /opt/bundle/build.o
        """,
        ("bundle/big.bin",),
        [],
    ),
    # the ignore file keeps it out of the context
    (
        """
        FROM python:3.12-slim
        COPY bundle/ /opt/bundle/
        RUN rm /opt/bundle/big.bin
        """,
        ("bundle/big.bin", "bundle/big.bin\n"),
        [],
    ),
]


@pytest.mark.parametrize(("snippet", "files", "places"), DELETED)
def test_deleted_later(snippet, files, places, tmp_path):
    ignore = files[1] if len(files) > 1 else None  # the ignore file's text
    found = findings(snippet, "PS111", tmp_path, files[:1], ignore=ignore)
    assert [(f.location.line, f.location.column) for f in found] == places


CHOWN = [
    # chown --from only touches files that owner still owns
    (
        """
        FROM python:3.12-slim
        COPY --chown=1000:1000 src/ /srv/app/
        RUN chown --from root:root --recursive app:app /srv/app
        """,
        (),
        [],
    ),
    (
        """
        FROM python:3.12-slim
        COPY src/ /srv/app/
        RUN chown --from=root:root -R app:app /srv/app
        """,
        (),
        [3],
    ),
    # already copied with that owner
    (
        """
        FROM python:3.12-slim
        COPY --chown=app:app src/ /srv/app/
        RUN chown -R app:app /srv/app
        """,
        (),
        [],
    ),
    # a root filesystem copied to / holds nothing under the chowned folder
    (
        """
        FROM python:3.12-slim
        COPY rootfs /
        RUN chown -R app /usr/src/app
        """,
        ("rootfs/etc/motd",),
        [],
    ),
    (
        """
        FROM python:3.12-slim
        COPY rootfs /
        RUN chown -R app /usr/src/app
        """,
        ("rootfs/usr/src/app/main.py",),
        [3],
    ),
    # the one file a COPY brought in was moved away before the chown: nothing of it is left
    (
        """
        FROM python:3.12-slim
        WORKDIR /srv/app/conf
        COPY ["etc/policy.xml", "./"]
        RUN mv policy.xml /etc/policy.xml
        RUN mkdir -p /srv/app/data && chown -R app /srv/app
        """,
        ("etc/policy.xml",),
        [],
    ),
    (
        """
        FROM python:3.12-slim
        COPY etc/policy.xml etc/other.xml /srv/app/
        RUN rm /srv/app/policy.xml
        RUN chown -R app /srv/app
        """,
        ("etc/policy.xml", "etc/other.xml"),
        [4],
    ),
    (
        """
        FROM python:3.12-slim
        COPY src/ /srv/app/
        RUN rm -rf /srv/app/*
        RUN chown -R app /srv/app
        """,
        ("src/main.py",),
        [],
    ),
    # the chown on a later line of the RUN
    (
        """
        FROM python:3.12-slim
        COPY . /srv
        RUN useradd app \\
            && chown -R app /srv
        """,
        (),
        [4],
    ),
]


@pytest.mark.parametrize(("snippet", "files", "lines"), CHOWN)
def test_recursive_chown(snippet, files, lines, tmp_path):
    assert hits(snippet, "PS110", tmp_path, files) == [("PS110", line) for line in lines]


def test_chown_names_the_owner_not_as_a_path(tmp_path):
    snippet = "FROM python:3.12-slim\nCOPY src/ /srv/app/\nRUN chown --from root:root -R app:app /srv/app\n"
    (finding,) = findings(snippet, "PS110", tmp_path)
    assert finding.related[0].location.line == 2


def test_file_of_a_context_copied_whole(tmp_path):
    snippet = "FROM python:3.12-slim\nCOPY . /srv/app\nRUN rm -rf /srv/app/docs\n"
    assert hits(snippet, "PS111", tmp_path, ("docs/index.md",)) == [("PS111", 3)]
    assert hits(snippet, "PS111", tmp_path, ("docs/index.md",), "docs\n") == []
