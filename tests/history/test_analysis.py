"""The report's figures from a database filled row by row, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from pitstop.config import SloTargets
from pitstop.history import stats
from pitstop.history.analysis import history_report, slow_tests
from pitstop.history.records import Status
from tests.history.fill import DAY, NOW, Fill

SINCE = NOW - 30 * DAY


def report(fill: Fill, targets: SloTargets | None = None, branch: str | None = "main"):
    return history_report(
        fill.engine, since=SINCE, until=NOW, branch=branch, targets=targets or SloTargets()
    )


def rows(result, metric: str) -> dict[str, object]:
    return {row.scope: row for row in result.slo if row.metric == metric}


def pipeline_run(fill: Fill, number: int, seconds: float, **identity) -> None:
    """A workflow run of two jobs: the first created at t, the last completed at t + seconds."""
    start = NOW - 10 * DAY + number * 1000
    for job, end in (("lint", start + 30), ("test", start + seconds)):
        run = fill.run(run_id=str(number), job=job, at=start + seconds + 5, **identity)
        fill.job(run, name=job, created=start, started=start + 10, completed=end, queue=10)


def test_pipeline_time_per_workflow_for_pull_requests_and_the_default_branch(database_url):
    fill = Fill(database_url)
    for number in range(20):
        pipeline_run(fill, number, 100 + number, workflow="ci", event="push", branch="main")
    for number in range(20, 25):
        pipeline_run(fill, number, 300, workflow="ci", event="pull_request", branch="feature")
    pipeline_run(fill, 30, 999, workflow="ci", event="push", branch="feature")  # neither
    targets = SloTargets(targets={"main-pipeline-p95": 110.0, "pr-pipeline-p95": 120.0})
    result = report(fill, targets)

    main95 = rows(result, "main-pipeline-p95")["ci"]
    assert (main95.n, main95.value) == (20, pytest.approx(stats.percentile(range(100, 120), 95)))
    assert main95.interval[0] <= main95.value <= main95.interval[1]
    assert main95.status is Status.NOT_MET  # 118.05 s against 110 s
    assert rows(result, "main-pipeline-p50")["ci"].value == pytest.approx(109.5)
    pr50, pr95 = rows(result, "pr-pipeline-p50")["ci"], rows(result, "pr-pipeline-p95")["ci"]
    assert (pr50.n, pr50.value, pr50.status) == (5, 300, Status.NO_TARGET)
    assert (pr95.value, pr95.interval, pr95.status) == (None, None, Status.NOT_ENOUGH_DATA)
    assert result.runs == 26  # workflow runs, not their jobs


def test_a_retried_attempt_is_its_own_workflow_run(database_url):
    fill = Fill(database_url)
    for attempt in (1, 2):
        run = fill.run(attempt=attempt, event="pull_request", at=NOW - DAY)
        fill.job(run, created=NOW - DAY, started=NOW - DAY, completed=NOW - DAY + 60 * attempt)
    result = report(fill)
    assert result.runs == 2
    assert rows(result, "pr-pipeline-p50")["ci"].n == 2


def test_the_window_keeps_runs_recorded_in_it(database_url):
    fill = Fill(database_url)
    for at in (SINCE - 1, SINCE, NOW - 1, NOW):
        run = fill.run(run_id=str(at), at=at)
        fill.job(run, started=at - 100, completed=at, queue=5)
    result = report(fill)
    assert result.runs == 2
    assert rows(result, "queue-p50")["all jobs"].n == 2


def test_queue_time_deploy_time_and_no_data(database_url):
    fill = Fill(database_url)
    for number in range(6):
        run = fill.run(run_id=str(number), job="Deploy production")
        fill.job(run, name="Deploy production", started=NOW - DAY, completed=NOW - DAY + 60)
        fill.job(run, name="unit tests", started=NOW - DAY, completed=NOW - DAY + 500)
        fill.job(run, name="build", queue=float(number))
    result = report(fill, SloTargets(targets={"deploy-p50": 90.0, "queue-p95": 5.0}))
    deploy = rows(result, "deploy-p50")["jobs named *deploy*"]
    assert (deploy.n, deploy.value, deploy.status) == (6, 60, Status.MET)
    assert rows(result, "queue-p50")["all jobs"].value == 2.5
    assert rows(result, "queue-p95")["all jobs"].status is Status.NOT_ENOUGH_DATA
    released = report(fill, SloTargets(deploy_job="unit"))
    assert rows(released, "deploy-p50")["jobs named *unit*"].value == 500


def test_an_empty_store_gives_rows_without_figures(database_url):
    result = report(Fill(database_url), SloTargets(targets={"pr-pipeline-p95": 60.0}))
    assert result.runs == 0
    assert all(row.value is None for row in result.slo)
    assert rows(result, "pr-pipeline-p95")["all workflows"].status is Status.NOT_ENOUGH_DATA
    assert (result.slowest, result.flaky, result.images) == ((), (), ())


def test_dependency_cache_is_said_to_be_not_recorded(database_url):
    (row,) = rows(report(Fill(database_url)), "dependency-cache-hit-rate").values()
    assert (row.value, row.status) == (None, Status.NOT_RECORDED)


def test_layer_cache_hit_rate_per_image(database_url):
    fill = Fill(database_url)
    for number in range(5):
        run = fill.run(run_id=str(number))
        fill.build(run, "app", steps=10, cached=8)
    fill.build(fill.run(run_id="x"), "worker", steps=4, cached=1)
    result = report(fill, SloTargets(targets={"layer-cache-hit-rate": 0.8}))
    app, worker = (
        rows(result, "layer-cache-hit-rate")["app"],
        rows(result, "layer-cache-hit-rate")["worker"],
    )
    assert (app.n, app.value, app.status) == (5, 0.8, Status.MET)
    assert app.interval == pytest.approx(stats.wilson_interval(40, 50))
    assert (worker.n, worker.value, worker.status) == (1, None, Status.NOT_ENOUGH_DATA)


def test_image_size_latest_first_and_change(database_url):
    fill = Fill(database_url)
    for day, size in ((20, 400), (10, 450), (2, 430)):
        fill.image(fill.run(run_id=str(day), at=NOW - day * DAY), "app", size * 10**6)
    result = report(fill, SloTargets(targets={"image-size": 420e6}))
    (image,) = result.images
    assert (image.first, image.latest, image.change) == (400e6, 430e6, 30e6)
    row = rows(result, "image-size")["app"]
    assert (row.n, row.value, row.status) == (3, 430e6, Status.NOT_MET)
    (trend,) = result.image_trends
    assert [p.value for p in trend.points] == [400e6, 450e6, 430e6]


def test_test_suite_time_is_the_sum_of_test_durations_per_run(database_url):
    fill = Fill(database_url)
    for number in range(5):
        run = fill.run(run_id=str(number))
        fill.result(run, "t::a", seconds=1.0 + number)
        fill.result(run, "t::b", seconds=2.0)
        fill.result(run, "t::c", "skipped", seconds=None)
    row = rows(report(fill), "test-suite-p50")["all runs"]
    assert (row.n, row.value) == (5, 5.0)  # sums 3, 4, 5, 6, 7


def test_slowest_tests_with_percentiles_share_and_minimum_samples(database_url):
    fill = Fill(database_url)
    for number in range(20):
        run = fill.run(run_id=str(number))
        fill.result(run, "t::slow", seconds=float(number + 1))  # 1..20 s
        fill.result(run, "t::fast", seconds=0.5)
        if number < 3:
            fill.result(run, "t::new", seconds=100.0)
    result = report(fill)
    names = [t.test for t in result.slowest]
    assert names == ["t::slow", "t::fast"]  # t::new has 3 results: below the p50 minimum
    slow = result.slowest[0]
    assert (slow.runs, slow.p50, slow.p95) == (20, 10.5, pytest.approx(19.05))
    assert slow.share == pytest.approx(210 / (210 + 10 + 300))


def test_flaky_tests_rate_interval_and_evidence(database_url):
    fill = Fill(database_url)
    for number in range(10):
        run = fill.run(run_id=str(number), commit=f"c{number}", at=NOW - DAY + number)
        fill.result(run, "t::retried", "flaky" if number < 2 else "passed")
        fill.result(run, "t::broken", "failed")  # fails everywhere: broken, not flaky
        fill.result(run, "t::fixed", "failed" if number < 5 else "passed")  # a fix: not flaky
    same_commit_fail = fill.run(run_id="a", commit="c3", at=NOW - DAY + 100)
    fill.result(same_commit_fail, "t::sometimes", "failed")
    fill.result(fill.run(run_id="b", commit="c3"), "t::sometimes", "passed")
    other_job = fill.run(run_id="c", commit="c4", job="py311")
    fill.result(other_job, "t::on-py311", "failed")
    fill.result(fill.run(run_id="d", commit="c4", job="py312"), "t::on-py311", "passed")
    result = report(fill)
    assert [t.test for t in result.flaky] == ["t::sometimes", "t::retried"]
    sometimes, retried = result.flaky
    assert (sometimes.runs, sometimes.flaky, sometimes.rate) == (2, 1, 0.5)
    assert sometimes.last_seen == NOW - DAY + 100
    assert (retried.runs, retried.flaky, retried.commits) == (10, 2, 2)
    assert retried.interval == pytest.approx(stats.wilson_interval(2, 10))
    assert retried.last_seen == NOW - DAY + 1


def test_hostile_test_names_come_back_as_they_were(database_url):
    fill = Fill(database_url)
    name = "tests/x.py::test[<img src=x onerror=alert(1)>'\"%_\\]"
    for number in range(5):
        fill.result(fill.run(run_id=str(number)), name, seconds=2.0)
    assert [t.test for t in report(fill).slowest] == [name]


def test_slow_tests_are_those_whose_p95_exceeds_the_threshold(database_url):
    fill = Fill(database_url)
    for number in range(40):
        run = fill.run(run_id=str(number))
        fill.result(run, "t::tail", seconds=9.0 if number >= 36 else 1.0)  # 10% slow
        fill.result(run, "t::spike", seconds=30.0 if number == 0 else 1.0)  # one spike
        fill.result(run, "t::steady", seconds=6.0)
        if number < 19:
            fill.result(run, "t::unknown", seconds=60.0)  # too few results to judge
    found = slow_tests(fill.engine, threshold=5.0, since=SINCE)
    assert [(t.test, t.p95) for t in found] == [("t::tail", 9.0), ("t::steady", 6.0)]
    assert slow_tests(fill.engine, threshold=5.0, since=NOW) == []
