"""PS140-PS142: base images and ADD."""

from __future__ import annotations

import pytest

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
]


@pytest.mark.parametrize(("code", "snippet", "lines"), CASES)
def test_rule(code, snippet, lines, tmp_path):
    assert hits(snippet, code, tmp_path) == [(code, line) for line in lines]


def test_add_fix_replaces_the_keyword_only(tmp_path):
    (finding,) = findings("FROM debian:12\nADD --chown=a app.py /app/\n", "PS142", tmp_path)
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    assert (edit.start_line, edit.start_column, edit.end_column, edit.text) == (2, 1, 4, "COPY")
