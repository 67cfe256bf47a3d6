"""JUnit XML from each runner into one TestResult per test. The pytest fixtures are made by
the real tools (pytest with rerunfailures, flaky, xdist) in a subprocess; the others are
written from the runners' documented formats."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from pitstop.errors import PitstopError
from pitstop.parsers.junit import read_junit
from pitstop.runs import Attempt, Outcome, TestResult

F, P, E, S, FL = Outcome.FAILED, Outcome.PASSED, Outcome.ERROR, Outcome.SKIPPED, Outcome.FLAKY

# A test module: one test fails on its first run then passes (a counter file beside it
# remembers the runs), one always fails, one passes, one is skipped, one errors in setup.
TESTS = """
import pathlib
import pytest

COUNTER = pathlib.Path(__file__).with_name(pathlib.Path(__file__).stem + ".count")


def runs():
    n = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(n + 1))
    return n


class TestA:
    @pytest.mark.parametrize("p", ["x.y", 2])
    def test_b(self, p):
        if p == 2:
            assert runs() >= 1, "first run fails\\nsecond line"


def test_always():
    assert False, "always"


def test_ok():
    pass


@pytest.mark.skip(reason="not here")
def test_skip():
    pass


@pytest.fixture
def broken():
    raise RuntimeError("setup")


def test_err(broken):
    pass
"""

FLAKY_TESTS = """
import pathlib
from flaky import flaky

COUNTER = pathlib.Path(__file__).with_name("flaky.count")


@flaky(max_runs=3)
def test_once():
    n = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(n + 1))
    assert n >= 1


@flaky(max_runs=2)
def test_never():
    assert False, "never"
"""


def run_pytest(root: Path, *args: str) -> Path:
    report = root / "report.xml"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += [f"--junitxml={report}", "--rootdir", str(root), *args]
    environment = {**os.environ, "PYTEST_ADDOPTS": ""}
    subprocess.run(command, cwd=root, capture_output=True, check=False, env=environment)
    assert report.is_file()
    return report


def write_tests(root: Path) -> None:
    (root / "tests" / "unit").mkdir(parents=True)
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "unit" / "__init__.py").write_text("")
    (root / "tests" / "unit" / "test_x.py").write_text(TESTS)


def summary(path: Path) -> dict[str, tuple[Outcome, list[Outcome]]]:
    return {r.test: (r.outcome, [a.outcome for a in r.attempts]) for r in read_junit(path, "r")}


EXPECTED_RERUNS = {
    "tests/unit/test_x.py::TestA::test_b[x.y]": (P, [P]),
    "tests/unit/test_x.py::TestA::test_b[2]": (FL, [F, P]),
    "tests/unit/test_x.py::test_always": (F, [F, F, F]),
    "tests/unit/test_x.py::test_ok": (P, [P]),
    "tests/unit/test_x.py::test_skip": (S, [S]),
    "tests/unit/test_x.py::test_err": (E, [F, F, E]),
}


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_pytest_with_rerunfailures(tmp_path, family, workers):
    write_tests(tmp_path)
    args = ["-o", f"junit_family={family}", "-p", "no:flaky", "--reruns", "2", *workers]
    assert summary(run_pytest(tmp_path, *args)) == EXPECTED_RERUNS


def test_pytest_without_retries_and_messages(tmp_path):
    write_tests(tmp_path)
    results = {r.test: r for r in read_junit(run_pytest(tmp_path, "-p", "no:flaky"), "r")}
    flaky = results["tests/unit/test_x.py::TestA::test_b[2]"]
    assert (flaky.outcome, flaky.attempts[0].message) == (F, "AssertionError: first run fails")
    assert results["tests/unit/test_x.py::test_always"].attempts[0].message.startswith("Assert")
    assert results["tests/unit/test_x.py::test_ok"].attempts[0].seconds is not None
    error = results["tests/unit/test_x.py::test_err"].attempts[0]
    assert (error.outcome, error.message) == (E, 'failed on setup with "RuntimeError: setup"')


def test_flaky_plugin(tmp_path):
    (tmp_path / "test_f.py").write_text(FLAKY_TESTS)
    report = run_pytest(tmp_path, "-p", "no:rerunfailures", "-o", "junit_family=xunit2")
    assert summary(report) == {
        "test_f.py::test_once": (FL, [F, P]),
        "test_f.py::test_never": (F, [F, F]),
    }


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.xml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


SUREFIRE = """
<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="3.0.2" name="com.example.CartTest" time="1.2" tests="4" errors="0" skipped="1" failures="1">
  <properties><property name="java.version" value="21"/></properties>
  <testcase name="addsItem" classname="com.example.CartTest" time="0.011">
    <flakyFailure message="expected: &lt;1&gt; but was: &lt;2&gt;" type="org.opentest4j.AssertionFailedError">
      <stackTrace>org.opentest4j.AssertionFailedError: expected: &lt;1&gt; but was: &lt;2&gt;
	at com.example.CartTest.addsItem(CartTest.java:21)</stackTrace>
      <system-out>first try</system-out>
    </flakyFailure>
    <flakyError message="Connection refused" type="java.net.ConnectException">
      <stackTrace>java.net.ConnectException: Connection refused</stackTrace>
    </flakyError>
  </testcase>
  <testcase name="removesItem" classname="com.example.CartTest" time="0.020">
    <failure message="boom" type="java.lang.AssertionError">java.lang.AssertionError: boom</failure>
    <rerunFailure message="boom again" type="java.lang.AssertionError">
      <stackTrace>java.lang.AssertionError: boom again</stackTrace>
    </rerunFailure>
    <rerunError message="timeout" type="java.util.concurrent.TimeoutException">
      <stackTrace>...</stackTrace>
    </rerunError>
  </testcase>
  <testcase name="empty" classname="com.example.CartTest" time="0.001"/>
  <testcase name="later" classname="com.example.CartTest" time="0">
    <skipped message="@Disabled"/>
  </testcase>
</testsuite>
"""


def test_surefire_flaky_and_rerun_children(tmp_path):
    results = {r.test: r for r in read_junit(write(tmp_path, SUREFIRE), "r")}
    flaky = results["com.example.CartTest.addsItem"]
    assert flaky.outcome is FL
    assert [(a.outcome, a.message) for a in flaky.attempts] == [
        (F, "expected: <1> but was: <2>"),
        (E, "Connection refused"),
        (P, ""),
    ]
    failed = results["com.example.CartTest.removesItem"]
    assert failed.outcome is F
    assert [(a.outcome, a.message) for a in failed.attempts] == [
        (F, "boom"),
        (F, "boom again"),
        (E, "timeout"),
    ]
    assert results["com.example.CartTest.empty"].outcome is P
    assert results["com.example.CartTest.later"].outcome is S
    assert list(results) == [  # tests that occur once come in file order
        "com.example.CartTest.addsItem",
        "com.example.CartTest.removesItem",
        "com.example.CartTest.empty",
        "com.example.CartTest.later",
    ]


GOTESTSUM = """
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="5" failures="3" errors="0" time="2.100000">
	<testsuite tests="5" failures="3" time="1.900000" name="example.com/shop/cart" timestamp="2025-06-01T10:00:00Z">
		<properties>
			<property name="go.version" value="go1.22.3 linux/amd64"></property>
		</properties>
		<testcase classname="example.com/shop/cart" name="TestAdd" time="0.010000"></testcase>
		<testcase classname="example.com/shop/cart" name="TestFlaky" time="0.200000">
			<failure message="Failed" type="">=== RUN   TestFlaky&#xA;    cart_test.go:19: timeout&#xA;--- FAIL: TestFlaky (0.20s)&#xA;</failure>
		</testcase>
		<testcase classname="example.com/shop/cart" name="TestBroken/empty" time="0.000000">
			<failure message="Failed" type="">=== RUN   TestBroken/empty&#xA;</failure>
		</testcase>
		<testcase classname="example.com/shop/cart" name="TestFlaky" time="0.150000"></testcase>
		<testcase classname="example.com/shop/cart" name="TestBroken/empty" time="0.000000">
			<failure message="Failed" type="">=== RUN   TestBroken/empty&#xA;</failure>
		</testcase>
		<testcase classname="example.com/shop/cart" name="TestRoot/ok" time="0.010000"></testcase>
		<testcase classname="example.com/shop/cart" name="TestRoot/ok" time="0.010000"></testcase>
		<testcase classname="example.com/shop/cart" name="TestSkip" time="0.000000">
			<skipped message="=== RUN   TestSkip&#xA;    cart_test.go:30: needs db&#xA;"></skipped>
		</testcase>
	</testsuite>
</testsuites>
"""


def test_gotestsum_reruns_are_merged_and_come_last(tmp_path):
    results = list(read_junit(write(tmp_path, GOTESTSUM), "r"))
    assert [(r.test, r.outcome, [a.outcome for a in r.attempts]) for r in results] == [
        ("example.com/shop/cart.TestAdd", P, [P]),
        ("example.com/shop/cart.TestSkip", S, [S]),
        ("example.com/shop/cart.TestFlaky", FL, [F, P]),
        ("example.com/shop/cart.TestBroken/empty", F, [F, F]),
        # rerun with its root test (--rerun-fails-run-root-test): passed twice, not flaky
        ("example.com/shop/cart.TestRoot/ok", P, [P, P]),
    ]
    assert results[2].attempts[0].message == "Failed"
    assert results[2].seconds == pytest.approx(0.35)


JEST = """
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="1" errors="0" time="1.52">
  <testsuite name="cart" errors="0" failures="1" skipped="1" timestamp="2025-06-01T10:00:00" time="1.2" tests="3">
    <testcase classname="cart adds an item" name="cart adds an item" time="0.004">
    </testcase>
    <testcase classname="cart removes an item" name="cart removes an item" time="0.007">
      <failure>Error: expect(received).toBe(expected) // Object.is equality

Expected: 1
Received: 2
    at Object.&lt;anonymous&gt; (/app/src/cart.test.js:12:17)</failure>
    </testcase>
    <testcase classname="cart &lt;img src=x&gt;" name="cart &lt;img src=x&gt;" time="0">
      <skipped/>
    </testcase>
  </testsuite>
</testsuites>
"""


def test_jest_junit_names_and_message_from_the_text(tmp_path):
    results = {r.test: r for r in read_junit(write(tmp_path, JEST), "r")}
    assert list(results) == ["cart adds an item", "cart removes an item", "cart <img src=x>"]
    failed = results["cart removes an item"].attempts[0]
    assert (failed.outcome, failed.message) == (
        F,
        "Error: expect(received).toBe(expected) // Object.is equality",
    )


BAZEL = """
<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
<testsuite name="//shop/cart:cart_test" tests="1" failures="0" errors="1">
<testcase name="//shop/cart:cart_test" status="run" duration="3" time="3"><error message="exited with error code 1"></error></testcase>
<system-out>Generated test.log (if the file is not UTF-8, then this may be unreadable):<![CDATA[exec ${PAGER:-/usr/bin/less} "$0" || exit 1]]></system-out>
</testsuite>
<testsuite name="com.example.CartTest" tests="2">
<testcase name="total" classname="com.example.CartTest" time="0.5" status="run" result="completed"/>
<testcase name="DISABLED_tax" classname="com.example.CartTest" time="0" status="notrun" result="suppressed"/>
</testsuite>
</testsuites>
"""


def test_bazel_targets_and_tests_that_did_not_run(tmp_path):
    assert summary(write(tmp_path, BAZEL)) == {
        "//shop/cart:cart_test": (E, [E]),
        "com.example.CartTest.total": (P, [P]),
        "com.example.CartTest.DISABLED_tax": (S, [S]),
    }


@pytest.mark.parametrize(
    ("classname", "name", "file", "suite", "expected"),
    [
        (
            "tests.test_x.TestA",
            "test_b[p.q]",
            "tests/test_x.py",
            "x",
            "tests/test_x.py::TestA::test_b[p.q]",
        ),
        ("tests.test_x.TestA", "test_b[p.q]", "", "pytest", "tests/test_x.py::TestA::test_b[p.q]"),
        (
            "tests.test_x.TestA.TestIn",
            "test_c",
            "",
            "pytest",
            "tests/test_x.py::TestA::TestIn::test_c",
        ),
        ("pkg.db_test", "test_c", "", "renamed", "pkg/db_test.py::test_c"),  # a pytest module name
        (
            "src.pkg.checks",
            "test_d",
            "",
            "pytest",
            "src.pkg.checks.test_d",
        ),  # no test module: as is
        ("com.example.CartTest", "addsItem", "", "surefire", "com.example.CartTest.addsItem"),
        ("com.test_utils.CartTest", "adds", "", "surefire", "com.test_utils.CartTest.adds"),
        ("", "lonely", "", "x", "lonely"),
        (
            "m.test_y",
            "test_e",
            "src/m/test_y.py",
            "x",
            "src/m/test_y.py::test_e",
        ),  # rootdir elsewhere
    ],
)
def test_node_ids(tmp_path, classname, name, file, suite, expected):
    attributes = f'classname="{classname}" name="{name}"' + (f' file="{file}"' if file else "")
    text = (
        f'<testsuites><testsuite name="{suite}"><testcase {attributes}/></testsuite></testsuites>'
    )
    assert [r.test for r in read_junit(write(tmp_path, text), "r")] == [expected]


def test_a_long_message_keeps_its_first_line_cut_to_500_characters(tmp_path):
    text = f'<testsuite><testcase name="t"><failure message="{"x" * 900}">body</failure></testcase></testsuite>'
    (result,) = read_junit(write(tmp_path, text), "r")
    assert result.attempts[0].message == "x" * 500
    text = f'<testsuite><testcase name="t"><failure>\n\n  {"y" * 70000}\nmore</failure></testcase></testsuite>'
    (result,) = read_junit(write(tmp_path, text), "r")
    assert result.attempts[0].message == "y" * 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<testsuite>\n<testcase name="a">\n</testsuite>', r"^r:3: invalid XML: mismatched tag$"),
        ("", r"^r: empty or truncated: not JUnit XML$"),
        ("<html>\n</html>", r"^r:1: not JUnit XML: the root element is <html>"),
        (
            '<testsuite>\n\n<testcase classname="c"/></testsuite>',
            r"^r:3: <testcase> without a name$",
        ),
        ("<testsuite>\xff</testsuite>".encode("latin-1").decode("latin-1"), r"^r:1: invalid XML"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE t [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;">\n]>\n<testsuite/>',
            r"^r:2: XML with a DTD or entities is refused",
        ),
        (  # an external DTD is refused before anything is fetched
            '<?xml version="1.0"?>\n<!DOCTYPE testsuites SYSTEM "http://127.0.0.1:9/x.dtd">\n<testsuites/>',
            r"^r:2: XML with a DTD or entities is refused",
        ),
        (
            '<?xml version="1.0"?>\n<testsuite>&ext;</testsuite>',
            r"^r:2: invalid XML: undefined entity",
        ),
    ],
)
def test_bad_input_names_the_file_and_line(tmp_path, text, expected):
    path = tmp_path / "r.xml"
    path.write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    with pytest.raises(PitstopError, match=expected):
        list(read_junit(path, "r"))


def test_an_entity_expansion_bomb_is_refused_before_expanding(tmp_path):
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">\n' for i in range(1, 10))
    text = f'<?xml version="1.0"?>\n<!DOCTYPE s [\n<!ENTITY e0 "lol">\n{entities}]>\n<testsuite name="&e9;"/>'
    with pytest.raises(PitstopError, match="DTD or entities is refused"):
        list(read_junit(write(tmp_path, text), "r"))


def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "r.xml")
    with pytest.raises(PitstopError, match=r"^r: not a regular file; not read$"):
        list(read_junit(tmp_path / "r.xml", "r"))


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(PitstopError, match=r"^r: cannot read: No such file"):
        list(read_junit(tmp_path / "nope.xml", "r"))


def generate(path: Path, cases: int) -> None:
    """A report of `cases` pytest tests, one in ten failing with a pytest-sized traceback,
    one in a hundred failing once then passing (rerun at the end, as gotestsum does)."""
    trace = "    def test_behaviour(self, case):\n&gt;       assert compute(case) == expected\n"
    trace += (
        "E       AssertionError: assert {'a': 1, 'b': [1, 2, 3]} == {'a': 1, 'b': [1, 2]}\n" * 20
    )
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">')
        out.write(f'<testsuite name="pytest" tests="{cases}">\n')
        for i in range(cases):
            head = f'<testcase classname="tests.area{i % 40}.test_module{i % 700}.TestGroup" '
            head += f'name="test_behaviour_{i}[case-{i % 7}]" time="0.{i % 1000:03d}"'
            if i % 10 == 0 or i % 100 == 1:
                out.write(
                    f'{head}><failure message="assert {i} == {i + 1}">{trace}</failure></testcase>\n'
                )
            else:
                out.write(f"{head} />\n")
        for i in range(1, cases, 100):
            out.write(f'<testcase classname="tests.area{i % 40}.test_module{i % 700}.TestGroup" ')
            out.write(f'name="test_behaviour_{i}[case-{i % 7}]" time="0.5" />\n')
        out.write("</testsuite></testsuites>\n")


def test_memory_stays_flat_in_file_size(tmp_path):
    path = tmp_path / "big.xml"
    generate(path, 180_000)
    size = path.stat().st_size
    assert size > 50 * 2**20
    tracemalloc.start()
    try:
        outcomes: dict[Outcome, int] = {}
        for result in read_junit(path, "big.xml"):
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcomes == {P: 180_000 - 18_000 - 1800, F: 18_000, FL: 1800}
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB file"


def test_a_message_read_from_text_in_several_parts_is_its_first_line(tmp_path):
    # The parser hands over a long text in parts: the first line must not be cut short by
    # the blanks before it and then joined to a later part.
    body = "\n\n  " + "y" * 600 + "\nsecond\n" + "z" * 20000
    text = f"<testsuite><testcase name='t'><failure>{body}</failure></testcase></testsuite>"
    (result,) = read_junit(write(tmp_path, text), "r")
    assert result.attempts[0].message == "y" * 500


def test_results_are_the_frozen_records_of_pitstop_runs(tmp_path):
    text = '<testsuite><testcase classname="c" name="t" time="1.5"/></testsuite>'
    (result,) = read_junit(write(tmp_path, text), "r")
    expected = TestResult("c.t", P, (Attempt(P, 1.5),))
    assert (result, hash(result), vars(result)) == (expected, hash(expected), vars(expected))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.test = "x"  # type: ignore[misc]


@pytest.mark.parametrize("status", ['status="notrun"', 'result="skipped"', ""])
def test_attempts_of_the_same_time_are_shared_but_not_their_outcome(tmp_path, status):
    text = f'<testsuite><testcase name="a" time="2"/><testcase name="b" time="2" {status}/></testsuite>'
    a, b = read_junit(write(tmp_path, text), "r")
    assert (a.outcome, b.outcome) == (P, S if status else P)
    assert b.attempts == ((Attempt(S if status else P, 2.0),))


def test_a_test_written_with_and_without_its_file_attribute_is_one_result(tmp_path):
    """Found by the fuzz suite's long budget: the two testcases name one pytest node."""
    path = tmp_path / "junit.xml"
    path.write_text(
        '<testsuite name="pytest">'
        '<testcase classname="tests.test_x.TestA" name="test_a" file="tests/test_x.py">'
        "<failure/></testcase>"
        '<testcase classname="tests.test_x.TestA" name="test_a"/></testsuite>',
        encoding="utf-8",
    )
    (result,) = read_junit(path, "junit.xml")
    assert result.test == "tests/test_x.py::TestA::test_a"
    assert result.outcome is Outcome.FLAKY and len(result.attempts) == 2


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_a_whole_module_skipped_or_broken_at_collection_is_named_by_its_file(tmp_path, family):
    """pytest writes such a report with no classname and the module's dotted path as its
    name: it is the module's file, as `pitstop shard` and the history count by file."""
    write_tests(tmp_path)
    unit = tmp_path / "tests" / "unit"
    (unit / "test_skipped.py").write_text(
        "import pytest\n\npytest.skip('not here', allow_module_level=True)\n"
    )
    (unit / "test_broken.py").write_text("import nothing_of_that_name\n")
    (tmp_path / "test_top.py").write_text("raise RuntimeError('broken at import')\n")
    arguments = ["-o", f"junit_family={family}", "-p", "no:flaky"]
    report = run_pytest(tmp_path, *arguments, "--continue-on-collection-errors")
    results = {r.test: r.outcome for r in read_junit(report, "r")}
    assert results["tests/unit/test_skipped.py"] == S
    assert results["tests/unit/test_broken.py"] == E
    assert results["test_top.py"] == E
    assert "tests/unit/test_x.py::test_ok" in results  # the others as before
