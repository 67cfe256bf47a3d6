"""`pitstop context`: the build context as Docker would send it, as text or JSON.

Rendering only: the walk gathered the largest folders and what the ignore file misses
(`pitstop.review.context_usage`); nothing here reads the files again.
"""

from __future__ import annotations

import json

from pitstop.review.context_records import ContextResult
from pitstop.units import format_size

FORMAT_VERSION = 1


def document(result: ContextResult) -> dict[str, object]:
    tree = result.tree
    return {
        "version": FORMAT_VERSION,
        "root": result.root,
        "ignore_file": result.ignore_file,
        "files": len(tree.files),
        "bytes": tree.bytes,
        "largest": [{"path": f.path, "bytes": f.bytes, "files": f.files} for f in result.largest],
        "missed": [
            {
                "category": m.category,
                "files": len(m.paths),
                "bytes": m.bytes,
                "pattern": m.suggested_pattern,
            }
            for m in result.missed
        ],
        "unused_bytes": result.unused_bytes,
        "errors": [{"path": p.path, "line": p.line, "message": p.message} for p in tree.problems],
    }


def render_json(result: ContextResult) -> str:
    return json.dumps(document(result), indent=2) + "\n"


def render_text(result: ContextResult) -> str:
    tree = result.tree
    lines = [
        f"context {result.root or '.'}: {_count(len(tree.files), 'file')}, "
        f"{format_size(tree.bytes)} (ignore file: {result.ignore_file or 'none'})",
    ]
    if result.unused_bytes is not None:
        lines.append(f"bytes no COPY or ADD can use: {format_size(result.unused_bytes)}")
    lines.append("largest folders:")
    lines += [f"  {format_size(f.bytes):>10}  {_files(f.files)}  {f.path}" for f in result.largest]
    if result.missed:
        lines.append("the ignore file misses:")
        lines += [
            f"  {format_size(m.bytes):>10}  {m.category}: add `{m.suggested_pattern}`"
            for m in result.missed
        ]
    return "\n".join(lines) + "\n"


def _files(count: int) -> str:
    """`      1 file `, `     12 files`: a column of counts and nouns."""
    return f"{count:>7} {'file ' if count == 1 else 'files'}"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
