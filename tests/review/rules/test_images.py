"""PS140-PS142: base images and ADD."""

from __future__ import annotations

import pytest

from pitstop.review.rules.images import slim_variant
from tests.review.rules.lint import findings, hits

CASES = [
    ("PS140", "FROM python\n", [1]),
    ("PS140", "FROM python:latest\n", [1]),
    ("PS140", "FROM python:3.12-slim\n", []),
    ("PS140", "FROM python@sha256:" + "a" * 64 + "\n", []),
    ("PS140", "FROM registry.example.com:5000/team/app\n", [1]),
    ("PS140", "FROM registry.example.com:5000/team/app:1.2\n", []),
    ("PS140", "ARG BASE=python:3.12-slim\nFROM ${BASE}\n", []),
    ("PS140", "ARG BASE=python\nFROM ${BASE}\n", [2]),
    ("PS140", "FROM scratch\n", []),
    ("PS140", "FROM python:3.12-slim AS base\nFROM base\n", []),
    ("PS141", "FROM debian:12\nADD https://example.com/tool.tgz /opt/\n", [2]),
    (
        "PS141",
        "FROM debian:12\nADD --checksum=sha256:" + "b" * 64 + " https://example.com/t.tgz /opt/\n",
        [],
    ),
    ("PS142", "FROM debian:12\nADD app.py /app/\n", [2]),
    ("PS142", "FROM debian:12\nADD rootfs.tar.gz /\n", []),
    ("PS142", "FROM debian:12\nADD https://example.com/x /x\n", []),
    # PS143: the full python image for the stage that ships
    ("PS143", 'FROM python:3.14\nCMD ["fastapi", "run"]\n', [1]),
    ("PS143", "FROM python:3.12-bookworm AS build\nFROM python:3.12-bookworm\n", [2]),
    ("PS143", "FROM python:3.12 AS build\nFROM python:3.12-slim\nCOPY --from=build /v /v\n", []),
    ("PS143", "FROM python:3.12-slim\n", []),
    ("PS143", "FROM python:3.12-alpine\n", []),
    ("PS143", "FROM python:3.13-windowsservercore-ltsc2022\n", []),
    ("PS143", "FROM python:latest\n", []),
    ("PS143", "FROM python:3.12 AS base\nFROM base\nUSER app\n", [1]),
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


@pytest.mark.parametrize(
    ("image", "slim"),
    [
        ("python:3.14", "python:3.14-slim"),
        ("python:3.12-bookworm", "python:3.12-slim-bookworm"),
        ("docker.io/library/python:3.11.9-trixie", "docker.io/library/python:3.11.9-slim-trixie"),
        ("python:3.12-slim", None),
        ("mypython:3.12", None),
    ],
)
def test_slim_variant_keeps_the_debian_release(image, slim):
    assert slim_variant(image) == slim


def test_full_python_base_names_the_tradeoff_and_no_size(tmp_path):
    snippet = "FROM python:3.12-bookworm\nRUN apt-get install -y gcc && pip install .\n"
    (finding,) = findings(snippet, "PS143", tmp_path)
    assert finding.severity.value == "info"
    assert "`python:3.12-slim-bookworm`" in finding.message and "installs gcc" in finding.message
    assert not any(ch.isdigit() for ch in finding.message.replace("3.12", ""))


def test_add_fix_replaces_the_keyword_only(tmp_path):
    (finding,) = findings("FROM debian:12\nADD --chown=a app.py /app/\n", "PS142", tmp_path)
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    assert (edit.start_line, edit.start_column, edit.end_column, edit.text) == (2, 1, 4, "COPY")


def test_add_of_an_archive_is_decided_by_content_not_name(tmp_path):
    """ADD unpacks a local tar (or gzip, bzip2, xz, zstd) stream whatever its name: turning
    it into COPY would ship the archive instead of its contents."""
    import gzip
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("etc/app.conf")
        archive.addfile(info, io.BytesIO(b""))
    (tmp_path / "rootfs.bin").write_bytes(buffer.getvalue())
    (tmp_path / "bundle").write_bytes(gzip.compress(b"x"))
    (tmp_path / "app.py").write_text("print('hi')\n")
    assert findings("FROM debian:12\nADD rootfs.bin /\n", "PS142", tmp_path) == []
    assert findings("FROM debian:12\nADD bundle /opt/\n", "PS142", tmp_path) == []
    assert findings("FROM debian:12\nADD build/*.bin /opt/\n", "PS142", tmp_path) == []
    assert len(findings("FROM debian:12\nADD app.py /app/\n", "PS142", tmp_path)) == 1
