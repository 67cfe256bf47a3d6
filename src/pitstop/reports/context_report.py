"""`pitstop context`: the build context as Docker would send it, as text or JSON."""

from __future__ import annotations

import json

from pitstop.review.context import ContextTree, largest_folders, missed_by_ignore

FORMAT_VERSION = 1


def document(
    root: str, ignore_file: str | None, tree: ContextTree, unused: int | None
) -> dict[str, object]:
    return {
        "version": FORMAT_VERSION,
        "root": root,
        "ignore_file": ignore_file,
        "files": len(tree.files),
        "bytes": tree.bytes,
        "largest": [{"path": p, "bytes": b, "files": n} for p, b, n in largest_folders(tree)],
        "missed": [
            {
                "category": m.category,
                "files": len(m.paths),
                "bytes": m.bytes,
                "pattern": m.suggested_pattern,
            }
            for m in missed_by_ignore(tree)
        ],
        "unused_bytes": unused,
        "errors": [{"path": p.path, "line": p.line, "message": p.message} for p in tree.problems],
    }


def render_json(root: str, ignore_file: str | None, tree: ContextTree, unused: int | None) -> str:
    return json.dumps(document(root, ignore_file, tree, unused), indent=2) + "\n"


def render_text(root: str, ignore_file: str | None, tree: ContextTree, unused: int | None) -> str:
    data = document(root, ignore_file, tree, unused)
    lines = [
        f"context {root or '.'}: {data['files']} files, {_size(tree.bytes)} "
        f"(ignore file: {ignore_file or 'none'})",
    ]
    if unused is not None:
        lines.append(f"bytes no COPY or ADD can use: {_size(unused)}")
    lines.append("largest folders:")
    lines += [f"  {_size(b):>10}  {n:>7} files  {p}" for p, b, n in largest_folders(tree)]
    missed = missed_by_ignore(tree)
    if missed:
        lines.append("the ignore file misses:")
        lines += [
            f"  {_size(m.bytes):>10}  {m.category}: add `{m.suggested_pattern}`" for m in missed
        ]
    return "\n".join(lines) + "\n"


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    return f"{count} B"
