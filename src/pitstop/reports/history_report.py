"""`pitstop report`: the history report (SLO table, slowest and flaky tests, image sizes and
trends) as text, Markdown, JSON or one self-contained HTML file.

Every figure comes computed in a `HistoryReport` (pitstop.history.analysis); this module
only lays figures out. A figure is never printed without its sample size, and a value the
analysis withheld (sample below the minimum) reads "not enough data (n=...)".

Test names are hostile input: the text report shows control characters escaped, the
Markdown report escapes HTML and Markdown syntax, the HTML report is a Jinja2 template with
autoescape and a Content-Security-Policy that lets only its own script run."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any, TypeVar

from pitstop.history.records import (
    FlakyTest,
    HistoryReport,
    ImageSize,
    ShardedRun,
    SloRow,
    SlowTest,
    Status,
    Trend,
    Unit,
)
from pitstop.reports._common import aligned, in_format, markdown_text, printable
from pitstop.units import format_size

T = TypeVar("T")

FORMAT_VERSION = 1
FORMATS = ("text", "markdown", "json", "html")


def render_history(report: HistoryReport, fmt: str) -> str:
    """The report in `fmt`, one of FORMATS."""
    renderers: dict[str, Callable[[HistoryReport], str]] = {
        "text": render_text,
        "markdown": render_markdown,
        "json": render_json,
        "html": render_html,
    }
    return in_format(renderers, fmt, report)


def render_slow(tests: Sequence[SlowTest], threshold: float, fmt: str) -> str:
    """`pitstop report --slow`: the tests whose p95 is above `threshold` seconds, the ones
    `pytest --pitstop-mark-slow` marks, in text, markdown or json."""
    if fmt == "json":
        rows = [{"test": t.test, "runs": t.runs, "p50": t.p50, "p95": t.p95} for t in tests]
        return json.dumps({"version": 1, "threshold": threshold, "slow": rows}, indent=2) + "\n"
    if fmt not in ("text", "markdown"):
        raise ValueError("--slow prints text, markdown or json")
    heading = f"{len(tests)} test(s) with a p95 above {duration(threshold)}"
    if fmt == "markdown":
        lines = [f"### {heading}", "", "| test | runs | p50 | p95 |", "|---|---:|---:|---:|"]
        lines += [
            f"| {markdown_text(t.test)} | {t.runs} | {optional_duration(t.p50, t.runs)} | "
            f"{optional_duration(t.p95, t.runs)} |"
            for t in tests
        ]
    else:
        lines = [heading]
        lines += [
            f"  {optional_duration(t.p95, t.runs):>10}  p95  ({t.runs} runs, p50 "
            f"{optional_duration(t.p50, t.runs)})  {printable(t.test)}"
            for t in tests
        ]
    return "\n".join(lines) + "\n"


# Figures, in words -----------------------------------------------------------------------


def duration(seconds: float) -> str:
    """`0.42 s`, `12.3 s`, `2m 05s`, `1h 02m`."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def in_unit(value: float, unit: Unit) -> str:
    if unit is Unit.SECONDS:
        return duration(value)
    if unit is Unit.RATIO:
        return f"{value:.1%}"
    return format_size(round(value))


def value_of(row: SloRow) -> str:
    if row.status is Status.NOT_RECORDED:
        return "not recorded"
    if row.value is None:
        return f"not enough data (n={row.n})"
    return in_unit(row.value, row.unit)


def interval_of(interval: tuple[float, float] | None, unit: Unit) -> str:
    if interval is None:
        return ""
    return f"{in_unit(interval[0], unit)} .. {in_unit(interval[1], unit)}"


def target_of(row: SloRow) -> str:
    if row.target is None:
        return ""
    sign = ">=" if row.unit is Unit.RATIO else "<="
    return f"{sign} {in_unit(row.target, row.unit)}"


def optional_duration(seconds: float | None, n: int) -> str:
    return f"not enough data (n={n})" if seconds is None else duration(seconds)


def share_of(share: float | None) -> str:
    return "" if share is None else f"{share:.1%}"


def when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")


def day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


def size_change(image: ImageSize) -> str:
    sign = "+" if image.change >= 0 else "-"
    return f"{sign}{format_size(abs(image.change))}"


def headline(report: HistoryReport) -> str:
    window = report.window
    return (
        f"{report.runs} workflow runs recorded from {day(window.since)} to {day(window.until)} "
        f"(default branch: {window.branch})"
    )


# Rows shared by text, Markdown and HTML ----------------------------------------------------

SLO_HEADINGS = ("Figure", "Scope", "n", "Value", "95% interval", "Target", "Status")
SLOW_HEADINGS = ("Test", "Runs", "p50", "p95", "Share of test time")
FLAKY_HEADINGS = ("Test", "Runs", "Flaky", "Rate", "95% interval", "Commits", "Last seen")
IMAGE_HEADINGS = ("Image", "n", "First", "Latest", "Change")
SHARDED_HEADINGS = ("Workflow", "Run", "Job", "Shards", "Slowest", "Mean", "Balance")


def slo_cells(row: SloRow) -> tuple[str, ...]:
    return (
        row.title,
        row.scope,
        str(row.n),
        value_of(row),
        interval_of(row.interval, row.unit),
        target_of(row),
        row.status.value,
    )


def slow_cells(test: SlowTest) -> tuple[str, ...]:
    return (
        test.test,
        str(test.runs),
        optional_duration(test.p50, test.runs),
        optional_duration(test.p95, test.runs),
        share_of(test.share),
    )


def flaky_cells(test: FlakyTest) -> tuple[str, ...]:
    return (
        test.test,
        str(test.runs),
        str(test.flaky),
        f"{test.rate:.1%}",
        f"{test.interval[0]:.1%} .. {test.interval[1]:.1%}",
        str(test.commits),
        when(test.last_seen),
    )


def sharded_cells(run: ShardedRun) -> tuple[str, ...]:
    return (
        run.workflow or "-",
        run.run_id or "-",
        run.job or "-",
        str(run.shards),
        duration(run.slowest),
        duration(run.mean),
        f"{run.balance:.2f}x",
    )


def image_cells(image: ImageSize) -> tuple[str, ...]:
    return (
        image.image,
        str(image.measurements),
        format_size(image.first),
        format_size(image.latest),
        size_change(image),
    )


def _sections(report: HistoryReport) -> list[tuple[str, Sequence[str], list[tuple[str, ...]]]]:
    return [
        ("Service levels", SLO_HEADINGS, [slo_cells(r) for r in report.slo]),
        ("Slowest tests", SLOW_HEADINGS, [slow_cells(t) for t in report.slowest]),
        ("Flaky tests", FLAKY_HEADINGS, [flaky_cells(t) for t in report.flaky]),
        ("Image sizes", IMAGE_HEADINGS, [image_cells(i) for i in report.images]),
        ("Sharded runs", SHARDED_HEADINGS, [sharded_cells(r) for r in report.sharded]),
    ]


# Text -------------------------------------------------------------------------------------


def render_text(report: HistoryReport) -> str:
    lines = [f"pitstop report: {headline(report)}"]
    for title, headings, rows in _sections(report):
        lines += ["", f"{title}:"]
        if not rows:
            lines.append("  none in this window")
            continue
        lines += aligned([tuple(headings), *[tuple(map(printable, r)) for r in rows]])
    lines += ["", "How these figures are computed:", *(f"  - {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"


# Markdown ---------------------------------------------------------------------------------


def render_markdown(report: HistoryReport) -> str:
    lines = ["## pitstop report", "", markdown_text(headline(report))]
    for title, headings, rows in _sections(report):
        lines += ["", f"### {title}", ""]
        if not rows:
            lines.append("None in this window.")
            continue
        lines.append("| " + " | ".join(headings) + " |")
        lines.append("|" + "|".join("---" for _ in headings) + "|")
        lines += ["| " + " | ".join(markdown_text(c) for c in row) + " |" for row in rows]
    lines += ["", "<details><summary>How these figures are computed</summary>", ""]
    lines += [f"- {markdown_text(note)}" for note in report.notes]
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


# JSON -------------------------------------------------------------------------------------


def document(report: HistoryReport) -> dict[str, Any]:
    """The JSON document; `version`, `runs`, `slo` and `tests` with `slowest` and `flaky`
    (their listed keys) are a contract: keys may be added, never renamed."""
    window = report.window
    return {
        "version": FORMAT_VERSION,
        "runs": report.runs,
        "window": {"since": window.since, "until": window.until, "branch": window.branch},
        "slo": [_slo_json(row) for row in report.slo],
        "tests": {
            "slowest": [_slow_json(t) for t in report.slowest],
            "flaky": [_flaky_json(t) for t in report.flaky],
        },
        "images": [
            {
                "image": i.image,
                "n": i.measurements,
                "first": i.first,
                "latest": i.latest,
                "change": i.change,
            }
            for i in report.images
        ],
        "trends": [_trend_json(t) for t in (*report.pipeline_trends, *report.image_trends)],
        "sharded": [
            {
                "workflow": r.workflow,
                "run_id": r.run_id,
                "job": r.job,
                "shards": r.shards,
                "slowest_seconds": r.slowest,
                "mean_seconds": r.mean,
                "balance": r.balance,
            }
            for r in report.sharded
        ],
        "notes": list(report.notes),
    }


def _slo_json(row: SloRow) -> dict[str, Any]:
    return {
        "metric": row.metric,
        "title": row.title,
        "scope": row.scope,
        "unit": row.unit.value,
        "n": row.n,
        "minimum": row.minimum,
        "value": row.value,
        "interval": list(row.interval) if row.interval else None,
        "target": row.target,
        "status": row.status.value,
        "note": row.note,
    }


def _slow_json(test: SlowTest) -> dict[str, Any]:
    return {
        "test": test.test,
        "runs": test.runs,
        "p50": test.p50,
        "p95": test.p95,
        "seconds": test.seconds,
        "share": test.share,
    }


def _flaky_json(test: FlakyTest) -> dict[str, Any]:
    return {
        "test": test.test,
        "runs": test.runs,
        "flaky": test.flaky,
        "rate": test.rate,
        "interval": list(test.interval),
        "commits": test.commits,
        "last_seen": test.last_seen,
    }


def _trend_json(trend: Trend) -> dict[str, Any]:
    return {
        "name": trend.name,
        "unit": trend.unit.value,
        "points": [{"at": p.at, "value": p.value, "n": p.n} for p in trend.points],
    }


def render_json(report: HistoryReport) -> str:
    return json.dumps(document(report), indent=2) + "\n"


# HTML -------------------------------------------------------------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 200
_MARGIN = (56, 12, 12, 28)  # left, right, top, bottom
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")

# Sorts a table by the clicked column: numbers by data-sort, text otherwise. Data never
# enters the script: it reads the cells' attributes.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var headers = table.querySelectorAll("th");
  headers.forEach(function (th, index) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.dataset.type === "number";
      var key = function (row) {
        var text = row.cells[index].dataset.sort;
        if (!numeric) { return text; }
        var number = parseFloat(text);
        return isNaN(number) ? -Infinity : number;
      };
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = numeric ? (x < y ? -1 : x > y ? 1 : 0) : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


@dataclass(frozen=True)
class Cell:
    text: str
    sort: str  # what the table sorts the column by


@dataclass(frozen=True)
class Table:
    headings: tuple[tuple[str, str], ...]  # (heading, "number" or "text")
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: str  # the polyline's "x,y x,y ..."
    dots: tuple[tuple[float, float, str], ...]  # x, y and the point's title


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    series: tuple[Series, ...]
    axis: tuple[tuple[float, str], ...]  # y position and label of the value axis
    first: str
    last: str


def render_html(report: HistoryReport) -> str:
    # Jinja2 loads here, not with the module: the other formats do not pay its import.
    import jinja2
    from markupsafe import Markup

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(_template_text())
    return template.render(
        title="pitstop report",
        headline=headline(report),
        slo=_slo_table(report.slo),
        slowest=_table(SLOW_HEADINGS, "tnnnn", report.slowest, slow_cells, _slow_keys),
        flaky=_table(FLAKY_HEADINGS, "tnnnnnn", report.flaky, flaky_cells, _flaky_keys),
        images=_table(IMAGE_HEADINGS, "tnnnn", report.images, image_cells, _image_keys),
        sharded=_table(SHARDED_HEADINGS, "ttnnnnn", report.sharded, sharded_cells, _sharded_keys),
        charts=_charts(report),
        notes=report.notes,
        data=document(report),
        script=Markup(SORT_SCRIPT),
        policy=_content_policy(),
    )


def _template_text() -> str:
    return (resources.files("pitstop.reports") / "templates" / "history.html.j2").read_text(
        encoding="utf-8"
    )


def _content_policy() -> str:
    """Only the sort script runs (by its hash): no inline handler, no other script, no
    network, whatever a test name holds."""
    digest = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()
    return (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def _slo_table(rows: Sequence[SloRow]) -> Table:
    def keys(row: SloRow) -> tuple[str, ...]:
        value = "" if row.value is None else repr(row.value)
        low = "" if row.interval is None else repr(row.interval[0])
        target = "" if row.target is None else repr(row.target)
        return (row.title, row.scope, str(row.n), value, low, target, row.status.value)

    return _table(SLO_HEADINGS, "ttnnnnt", rows, slo_cells, keys)


def _slow_keys(test: SlowTest) -> tuple[str, ...]:
    return (test.test, str(test.runs), _key(test.p50), _key(test.p95), _key(test.share))


def _flaky_keys(test: FlakyTest) -> tuple[str, ...]:
    return (
        test.test,
        str(test.runs),
        str(test.flaky),
        repr(test.rate),
        repr(test.interval[0]),
        str(test.commits),
        repr(test.last_seen),
    )


def _image_keys(image: ImageSize) -> tuple[str, ...]:
    first, latest = str(image.first), str(image.latest)
    return (image.image, str(image.measurements), first, latest, str(image.change))


def _sharded_keys(run: ShardedRun) -> tuple[str, ...]:
    return (
        run.workflow,
        run.run_id,
        run.job,
        str(run.shards),
        repr(run.slowest),
        repr(run.mean),
        repr(run.balance),
    )


def _key(value: float | None) -> str:
    return "" if value is None else repr(value)


def _table(
    headings: Sequence[str],
    types: str,
    items: Sequence[T],
    cells: Callable[[T], tuple[str, ...]],
    keys: Callable[[T], tuple[str, ...]],
) -> Table:
    kinds = tuple("number" if t == "n" else "text" for t in types)
    return Table(
        headings=tuple(zip(headings, kinds, strict=True)),
        rows=tuple(
            tuple(Cell(text, sort) for text, sort in zip(cells(i), keys(i), strict=True))
            for i in items
        ),
    )


def _charts(report: HistoryReport) -> list[Chart]:
    charts = []
    pipelines = [t for t in report.pipeline_trends if t.points]
    if pipelines:
        charts.append(_chart("Pipeline time, p50 per week", pipelines, Unit.SECONDS))
    images = [t for t in report.image_trends if t.points]
    if images:
        charts.append(_chart("Image size (latest each week)", images, Unit.BYTES))
    return charts


def _chart(title: str, trends: Sequence[Trend], unit: Unit) -> Chart:
    points = [p for t in trends for p in t.points]
    first, last = min(p.at for p in points), max(p.at for p in points)
    top = max(p.value for p in points) * 1.1 or 1.0
    left, right, upper, lower = _MARGIN
    width, height = CHART_WIDTH - left - right, CHART_HEIGHT - upper - lower

    def x(at: float) -> float:
        return round(
            left + (width * (at - first) / (last - first) if last > first else width / 2), 1
        )

    def y(value: float) -> float:
        return round(upper + height * (1 - value / top), 1)

    series = tuple(
        Series(
            name=trend.name,
            colour=_COLOURS[index % len(_COLOURS)],
            points=" ".join(f"{x(p.at)},{y(p.value)}" for p in trend.points),
            dots=tuple(
                (
                    x(p.at),
                    y(p.value),
                    f"{trend.name}, week of {day(p.at)}: {in_unit(p.value, unit)} (n={p.n})",
                )
                for p in trend.points
            ),
        )
        for index, trend in enumerate(trends)
    )
    axis = tuple((y(top * f), in_unit(top * f, unit)) for f in (0.0, 0.5, 1.0))
    return Chart(title, CHART_WIDTH, CHART_HEIGHT, series, axis, day(first), day(last))
