"""`pitstop image`: the measured image as text, JSON or Markdown.

JSON, a contract (keys may be added, never renamed): `{"version": 1, "bytes": {"compressed",
"uncompressed", "base", "added"}, "layers": [{"digest", "created_by", "bytes",
"files_added", "files_changed", "files_deleted", "empty"}], "waste": {"bytes", "files":
[{"path", "bytes", "stored_in", "hidden_by"}]}, "budget": {"limit", "over"} | null}`.
`layers` follows the config's history, bottom first, empty steps included (`empty`: true,
`digest` null); a layer's `bytes` is its uncompressed tar. `waste.bytes` counts each stored
but invisible file version once; `waste.files` lists the largest WASTE_LISTED of them
(`files_total` says how many there are), `stored_in` and `hidden_by` naming layers by
digest. Also: `platform`, `other_platforms`, `base` (how the boundary was found), each
layer's `compressed_bytes`, `base` and `instruction` (the Dockerfile line), and `python`.

Paths and instructions come from the image (hostile input): the text report escapes control
characters, the Markdown report puts them in escaped code spans."""

from __future__ import annotations

import json
from collections.abc import Callable

from pitstop.image.records import (
    Category,
    ImageAnalysis,
    ImageReport,
    LayerFigures,
    PythonWeight,
    Weight,
)
from pitstop.reports._common import aligned, in_format, plural, printable
from pitstop.reports.markdown import code, table_cell
from pitstop.units import format_size

FORMAT_VERSION = 1
FORMATS = ("text", "json", "markdown")
WASTE_LISTED = 1000  # waste entries in the JSON (an image may hide tens of thousands)
TOP = 10  # rows of the text and Markdown tables


def render(report: ImageReport, fmt: str) -> str:
    renderers: dict[str, Callable[[ImageReport], str]] = {
        "text": render_text,
        "json": render_json,
        "markdown": render_markdown,
    }
    return in_format(renderers, fmt, report)


# JSON


def render_json(report: ImageReport) -> str:
    return json.dumps(document(report), indent=2) + "\n"


def document(report: ImageReport) -> dict[str, object]:
    a = report.analysis
    digests = _digests(a)
    budget = a.budget
    return {
        "version": FORMAT_VERSION,
        "image": a.source,
        "platform": a.platform,
        "other_platforms": list(a.other_platforms),
        "bytes": {
            "compressed": a.bytes.compressed,
            "uncompressed": a.bytes.uncompressed,
            "base": a.bytes.base,
            "added": a.bytes.added,
        },
        "base": {
            "layers": a.base.layers,
            "source": a.base.source.value,
            "assumed": a.base.assumed,
            "reason": a.base.reason,
            "digest": a.base.digest,
        },
        "layers": [_layer_entry(layer) for layer in a.layers],
        "history_note": a.history_note,
        "visible": {"files": a.visible_files, "bytes": a.visible_bytes},
        "waste": {
            "bytes": a.waste.bytes,
            "files_total": len(a.waste.files),
            "files": [
                {
                    "path": w.path,
                    "bytes": w.bytes,
                    "stored_in": digests.get(w.stored_in),
                    "hidden_by": digests.get(w.hidden_by),
                    "how": w.how.value,
                }
                for w in a.waste.files[:WASTE_LISTED]
            ],
        },
        "budget": None
        if budget is None
        else {
            "limit": budget.limit,
            "over": budget.over,
            "added": budget.added,
            "measured": budget.measured,
            "assumed": budget.assumed,
            "reason": budget.reason,
        },
        "python": _python_entry(report.python, a),
        "dockerfile": a.dockerfile,
    }


def _digests(analysis: ImageAnalysis) -> dict[int, str | None]:
    return {layer.index: layer.digest for layer in analysis.layers if layer.index is not None}


def _layer_entry(layer: LayerFigures) -> dict[str, object]:
    line = layer.instruction
    return {
        "digest": layer.digest,
        "created_by": layer.created_by,
        "bytes": layer.uncompressed_bytes,
        "compressed_bytes": layer.compressed_bytes,
        "files_added": layer.files_added,
        "files_changed": layer.files_changed,
        "files_deleted": layer.files_deleted,
        "empty": layer.empty,
        "base": layer.base,
        "instruction": None if line is None else {"path": line.path, "line": line.line},
    }


def _python_entry(python: PythonWeight, analysis: ImageAnalysis) -> dict[str, object]:
    return {
        "site_packages": [
            {"path": f.path, **_weight_entry(f.weight, analysis)} for f in python.site_packages
        ],
        "distributions": [
            {
                "name": d.name,
                "version": d.version,
                "ownership": d.ownership.value,
                **_weight_entry(d.weight, analysis),
            }
            for d in python.distributions
        ],
        "unowned": _weight_entry(python.unowned, analysis),
        "bytecode": _category_entry(python.bytecode, analysis),
        "bytecode_in_site_packages": _weight_entry(python.bytecode_in_site_packages, analysis),
        "bytecode_with_sources": _weight_entry(python.bytecode_with_sources, analysis),
        "tests": _category_entry(python.tests, analysis),
        "docs": _category_entry(python.docs, analysis),
        "testing_modules": _category_entry(python.testing_modules, analysis),
        "toolchain": _category_entry(python.toolchain, analysis),
        "toolchain_packages": [
            {
                "name": p.name,
                "version": p.version,
                "manager": p.manager,
                "bytes": p.bytes,
                "measured": p.measured,
            }
            for p in python.toolchain_packages
        ],
        "caches": [_category_entry(c, analysis) for c in python.caches],
        "notes": list(python.notes),
    }


def _weight_entry(weight: Weight, analysis: ImageAnalysis) -> dict[str, object]:
    layer = _layer(analysis, weight.layer)
    line = layer.instruction if layer is not None else None
    return {
        "bytes": weight.bytes,
        "files": weight.files,
        "layer": layer.digest if layer is not None else None,
        "instruction": None if line is None else {"path": line.path, "line": line.line},
    }


def _category_entry(category: Category, analysis: ImageAnalysis) -> dict[str, object]:
    return {
        "key": category.key,
        "title": category.title,
        **_weight_entry(category.weight, analysis),
        "unmeasured_bytes": category.unmeasured_bytes,
        "rules": list(category.rules),
        "note": category.note,
        "folders": [{"path": f.path, "bytes": f.weight.bytes} for f in category.folders[:TOP]],
    }


def _layer(analysis: ImageAnalysis, index: int | None) -> LayerFigures | None:
    if index is None:
        return None
    return next((layer for layer in analysis.layers if layer.index == index), None)


# Text


def render_text(report: ImageReport) -> str:
    a = report.analysis
    lines = [*_headline(a), "", "Layers (bottom first):"]
    lines += [f"  {row}" for row in aligned([_LAYER_HEAD, *map(_layer_row, a.layers)])]
    if a.history_note:
        lines.append(f"  note: {printable(a.history_note)}")
    lines += ["", f"Waste: {_waste_line(a)}"]
    for w in a.waste.files[:TOP]:
        lines.append(
            f"  {format_size(w.bytes):>9}  {printable(w.path)}  stored in {_where(a, w.stored_in)}"
            f", {w.how.value} by {_where(a, w.hidden_by)}"
        )
    lines += ["", *_python_text(report.python, a)]
    return "\n".join(lines) + "\n"


def _headline(a: ImageAnalysis) -> list[str]:
    stored = sum(1 for layer in a.layers if not layer.empty)
    empty = len(a.layers) - stored
    steps = f" and {plural(empty, 'empty step')}" if empty else ""
    lines = [
        f"{printable(a.source)} ({a.platform}): {format_size(a.bytes.uncompressed)} "
        f"uncompressed, {format_size(a.bytes.compressed)} as stored, "
        f"{plural(stored, 'layer')}{steps}; "
        f"{plural(a.visible_files, 'file')} visible ({format_size(a.visible_bytes)})"
    ]
    if a.other_platforms:
        lines.append(f"other platforms in the index: {', '.join(a.other_platforms)}")
    lines.append(_base_line(a))
    if a.budget is not None:
        lines.append(_budget_line(a))
    return lines


def _base_line(a: ImageAnalysis) -> str:
    if a.bytes.base is None or a.bytes.added is None:
        return f"base: unknown ({printable(a.base.reason)})"
    how = "assumed" if a.base.assumed else "certain"
    return (
        f"base: {format_size(a.bytes.base)} in {plural(a.base.layers or 0, 'layer')}; "
        f"added by the Dockerfile: {format_size(a.bytes.added)} ({how}: "
        f"{printable(a.base.reason)})"
    )


def _budget_line(a: ImageAnalysis) -> str:
    b = a.budget
    assert b is not None
    what = "the bytes added above the base" if b.added else "the whole image"
    if b.over is None or b.measured is None:
        return f"budget: {format_size(b.limit)} on {what}: not judged ({printable(b.reason or '')})"
    verdict = "OVER" if b.over else "within"
    assumed = f" (assumed: {printable(b.reason or '')})" if b.assumed else ""
    return (
        f"budget: {format_size(b.limit)} on {what}: {format_size(b.measured)}, {verdict}{assumed}"
    )


_LAYER_HEAD = ("#", "bytes", "added", "changed", "deleted", "", "created by")


def _layer_row(layer: LayerFigures) -> tuple[str, ...]:
    number = "-" if layer.index is None else str(layer.index)
    line = layer.instruction
    origin = "base" if layer.base else (f"line {line.line}" if line is not None else "")
    if layer.empty:
        sizes: tuple[str, ...] = ("empty", "", "", "")
    else:
        sizes = (
            format_size(layer.uncompressed_bytes),
            str(layer.files_added),
            str(layer.files_changed),
            str(layer.files_deleted),
        )
    return (number, *sizes, origin, _short(layer.created_by or "(not in the history)"))


def _short(text: str, width: int = 72) -> str:
    text = printable(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def _waste_line(a: ImageAnalysis) -> str:
    count = len(a.waste.files)
    if not count:
        return "none: every stored file version is visible in the final filesystem"
    return (
        f"{format_size(a.waste.bytes)} in {plural(count, 'file version')} stored but not "
        "visible (overwritten, deleted or hidden by a later layer), each counted once"
    )


def _where(a: ImageAnalysis, index: int) -> str:
    layer = _layer(a, index)
    line = layer.instruction if layer is not None else None
    return f"layer {index}" + (f" (line {line.line})" if line is not None else "")


def _python_text(python: PythonWeight, a: ImageAnalysis) -> list[str]:
    total = sum(f.weight.bytes for f in python.site_packages)
    lines = [
        f"Python: {format_size(total)} in site-packages "
        f"({plural(len(python.distributions), 'distribution')})"
    ]
    for d in python.distributions[:TOP]:
        version = f" {d.version}" if d.version else ""
        lines.append(f"  {format_size(d.weight.bytes):>9}  {printable(d.name)}{version}")
    categories = [python.bytecode, python.tests, python.docs, python.testing_modules]
    categories += [python.toolchain, *python.caches]
    for category in categories:
        if category.weight.bytes or category.unmeasured_bytes:
            lines.append(_category_text(category, a))
    lines += [f"  note: {printable(note)}" for note in python.notes]
    return lines


def _category_text(category: Category, a: ImageAnalysis) -> str:
    where = f", {_where(a, category.weight.layer)}" if category.weight.layer is not None else ""
    rules = f"; prevented by {', '.join(category.rules)}" if category.rules else ""
    size = format_size(category.weight.bytes + category.unmeasured_bytes)
    return f"  {category.title}: {size}{where}{rules}. {printable(category.note)}"


# Markdown


def render_markdown(report: ImageReport) -> str:
    a = report.analysis
    out = [f"### Image {code(a.source)}", "", *(_escaped(line) for line in _headline(a)), ""]
    out += ["| layer | bytes | added | changed | deleted | Dockerfile | created by |"]
    out += ["|---|---|---|---|---|---|---|"]
    for layer in a.layers:
        number, size, added, changed, deleted, origin, _ = _layer_row(layer)
        created = code(_short(layer.created_by or "")) if layer.created_by else ""
        out.append(
            f"| {number} | {size} | {added} | {changed} | {deleted} | {origin} | "
            f"{table_cell(created)} |"
        )
    out += ["", f"**Waste**: {_waste_line(a)}", ""]
    if a.waste.files:
        out += ["| bytes | path | stored in | hidden by |", "|---|---|---|---|"]
        for w in a.waste.files[:TOP]:
            cells = (format_size(w.bytes), code(w.path), _where(a, w.stored_in))
            out.append(f"| {' | '.join(map(table_cell, cells))} | {_where(a, w.hidden_by)} |")
        out.append("")
    out += [_escaped(line) for line in _python_text(report.python, a)]
    return "\n".join(out) + "\n"


def _escaped(line: str) -> str:
    """A text line in Markdown: leading spaces as a list item, the rest kept as text."""
    stripped = line.strip()
    prefix = "- " if line.startswith("  ") else ""
    return prefix + table_cell(stripped) + ("" if prefix else "  ")
