"""JUnit XML as real runners write it, read streaming into one TestResult per test.

One reader for pytest (`--junitxml`, xunit1 and xunit2, with pytest-xdist, pytest-rerunfailures
and flaky), Maven Surefire, gotestsum, jest-junit and Bazel. What differs between them:

- Retries. Surefire writes a test's other runs as children of its `<testcase>`:
  `flakyFailure`/`flakyError` (runs that failed before the one that passed) and
  `rerunFailure`/`rerunError` (runs that failed after the first `<failure>`/`<error>`).
  gotestsum (`--rerun-fails`), pytest-rerunfailures and flaky write each run as another
  `<testcase>` of the same test, later in the file (pytest-xdist interleaves them with
  other tests). The pytest plugins leave a retried run's element empty, so it looks like a
  pass: a pytest `<testcase>` followed by another of the same test is read as a failed
  attempt with no message (the plugins retry only what failed, or errored: the two cannot
  be told apart, so it is counted as a failure).
- Ids. A pytest test gets its node id, `tests/test_x.py::TestA::test_b[param]`: from the
  `file` attribute (xunit1) when there is one, else from `classname` as pytest builds it
  (the module path with `/` as `.`, then the classes). Without `file` the split between
  module and classes is assumed to be the last part named like a pytest test module
  (`test_*` or `*_test`), so a folder whose name holds a dot cannot be told apart. Other
  runners' tests are `classname.name` (just `name` when the two are equal, as jest-junit
  writes by default, or when there is no classname, as Bazel writes).

Memory stays flat in file size: the file is read twice. The first pass notes which tests
occur more than once (a bitmap of the hashes of their classname and name), from a
scan of the bytes for `<testcase>` start tags (parsers.junit_keys; a file in another
encoding than UTF-8, ASCII or Latin-1 is parsed for it instead); the second parses the file,
yields every other test and holds only the repeated ones, which come last, in order of first
appearance. So bad XML is found by the second pass, possibly after some tests were yielded
(`pitstop record` stores a file in one transaction). A message is the first line of the
failure, at most 500 characters; nothing else is kept (expat itself holds one element's
attributes whole).

Speed: most of the time is expat's and the work per test. That work is done in a loop over
the tests that ended in each chunk rather than in the parser's callbacks; attempts without a
message are shared, and what depends only on a test's classname is derived once per class.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.parsers.expat import ErrorString, ExpatError, XMLParserType
from xml.parsers.expat import errors as expat_errors

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from pitstop.errors import PitstopError
from pitstop.parsers.junit_keys import case_key, scan_repeated_keys
from pitstop.parsers.streams import open_regular
from pitstop.runs import Attempt, Outcome, TestResult

MESSAGE_CHARS = 500
_CHUNK = 1 << 16
_SHARED_ATTEMPTS = 4096  # attempts without a message, by time and outcome
_BITMAP_BITS = 1 << 24  # 2 MiB: few unique tests share a bit even in a million-test file
_RESULT_TAGS = {"failure": Outcome.FAILED, "error": Outcome.ERROR, "skipped": Outcome.SKIPPED}
_EARLIER_RUNS = {"flakyFailure": Outcome.FAILED, "flakyError": Outcome.ERROR}
_LATER_RUNS = {"rerunFailure": Outcome.FAILED, "rerunError": Outcome.ERROR}
_READ_TAGS = {*_RESULT_TAGS, *_EARLIER_RUNS, *_LATER_RUNS}
# pytest's default python_files patterns, for the module part of an xunit2 classname.
_PYTEST_MODULE = re.compile(r"^(test_.*|.*_test)$")
_NON_BLANK = re.compile(r"\S")
# The suite names pytest writes by default (junit_suite_name; `<testsuites name=...>`).
_PYTEST_SUITES = {"pytest", "pytest tests"}


def read_junit(path: Path, shown: str) -> Iterator[TestResult]:
    """The tests of the JUnit XML file at `path`, retries merged (see the module docstring);
    PitstopError naming `shown` and the line on bad input, possibly after some tests. Tests
    that occur once come in file order; tests that occur more than once come after them."""
    with open_regular(path, shown) as stream:
        repeated = scan_repeated_keys(stream)
        if repeated is None:  # an encoding the scan does not read: parse
            stream.seek(0)
            repeated = _repeated_keys(stream, shown)
        stream.seek(0)
        events = _Handler(shown, repeated)
        for _ in _parse(stream, shown, events):
            yield from events.finish()
    for test, (attempts, outcome) in events.held.items():
        yield _result(test, attempts, outcome)


def _repeated_keys(stream: IO[bytes], shown: str) -> set[int]:
    """The first pass by parsing, for a file the byte scan does not read: keys (case_key) of
    the `<testcase>`s that may occur more than once (a unique one whose key shares a bit with
    another is held too, which costs memory, never correctness)."""
    events = _Keys(shown)
    for _ in _parse(stream, shown, events):
        pass
    return events.repeated


def _mark_retried(earlier: list[Attempt]) -> None:
    """The pytest test has another `<testcase>`: its last attempt so far, if it looks like a
    pass, was a failed run that pytest-rerunfailures or flaky wrote empty. (Only pytest's:
    gotestsum writes a passed run as a pass, and reruns passed subtests with
    `--rerun-fails-run-root-test`.)"""
    if earlier and earlier[-1].outcome is Outcome.PASSED:
        earlier[-1] = Attempt(Outcome.FAILED, earlier[-1].seconds)


def _result(test: str, attempts: list[Attempt], reported: Outcome) -> TestResult:
    """The test with the outcome its (last) `<testcase>` reports, FLAKY when that is a pass
    after a failed attempt."""
    if len(attempts) == 1:  # most tests: the outcome is the one attempt's
        return _test_result(test, reported, (attempts[0],))
    failed = any(a.outcome in (Outcome.FAILED, Outcome.ERROR) for a in attempts)
    outcome = Outcome.FLAKY if reported is Outcome.PASSED and failed else reported
    return _test_result(test, outcome, tuple(attempts))


def _test_result(test: str, outcome: Outcome, attempts: tuple[Attempt, ...]) -> TestResult:
    """TestResult(test, outcome, attempts), made in half the time: a frozen dataclass's
    __init__ sets each field through object.__setattr__, which was a sixth of the reader's
    time on a large file. The same record (TestResult has no __post_init__ nor slots; a test
    compares the two)."""
    result = _new_object(TestResult)
    fields = result.__dict__
    fields["test"], fields["outcome"], fields["attempts"] = test, outcome, attempts
    return result


_new_object = object.__new__


class _Events:
    """What both passes share: the root element's check, the parser's line, and a switch
    for text events (off but inside a message without a `message` attribute: the text
    between elements is most of the calls and none of the information)."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.line: Callable[[], int] = lambda: 1
        self.listen: Callable[[bool], None] = lambda on: None
        self.seen_root = False

    def root(self, name: str) -> None:
        self.seen_root = True
        if name not in ("testsuites", "testsuite"):
            message = f"not JUnit XML: the root element is <{name}>, not <testsuites>"
            raise PitstopError(message, path=self.shown, line=self.line())

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        pass

    def text(self, content: str) -> None:
        pass


class _Keys(_Events):
    """The first pass: which `<testcase>`s occur more than once, in a bitmap of their keys."""

    def __init__(self, shown: str) -> None:
        super().__init__(shown)
        self.bitmap = bytearray(_BITMAP_BITS // 8)
        self.repeated: set[int] = set()

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.seen_root:
            self.root(name)
        if name == "testcase":
            key = case_key(attrs.get("classname", ""), attrs.get("name", ""))
            bit = key % _BITMAP_BITS
            if self.bitmap[bit >> 3] & (1 << (bit & 7)):
                self.repeated.add(key)
            self.bitmap[bit >> 3] |= 1 << (bit & 7)


def _parse(stream: IO[bytes], shown: str, events: _Events) -> Iterator[None]:
    """Feed `stream` to a protected expat parser calling `events`; pauses after each chunk."""
    expat = _protected_expat()
    events.line = lambda: int(expat.CurrentLineNumber)
    expat.StartElementHandler = events.start
    expat.EndElementHandler = events.end

    def listen(on: bool) -> None:
        expat.CharacterDataHandler = events.text if on else None

    events.listen = listen
    while chunk := stream.read(_CHUNK):
        _feed(expat, chunk, shown)
        yield
    _feed(expat, b"", shown, final=True)
    yield


def _protected_expat() -> XMLParserType:
    """An expat parser with defusedxml's guards (a DTD, an entity declaration or an external
    reference raises), driven directly: the SAX layer above it doubled the reading time.
    Text comes in one piece rather than line by line (a traceback is one call, not fifty)."""
    reader = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    reader.reset()  # creates the expat parser and installs the guards
    expat: XMLParserType = reader._parser
    expat.buffer_text = True
    for handler in ("ProcessingInstructionHandler", "CommentHandler", "StartNamespaceDeclHandler"):
        setattr(expat, handler, None)  # SAX's, for events this reader does not need
    return expat


def _feed(expat: XMLParserType, chunk: bytes, shown: str, final: bool = False) -> None:
    try:
        expat.Parse(chunk, final)
    except ExpatError as error:
        message = ErrorString(error.code)
        if final and message == expat_errors.XML_ERROR_NO_ELEMENTS:
            raise PitstopError("empty or truncated: not JUnit XML", path=shown) from None
        raise PitstopError(f"invalid XML: {message}", path=shown, line=error.lineno) from None
    except DefusedXmlException as error:
        message = f"XML with a DTD or entities is refused, as they can expand or fetch: {error}"
        raise PitstopError(message, path=shown, line=expat.CurrentLineNumber) from None


@dataclass(slots=True)
class _Results:
    """What the result elements inside the open `<testcase>` said, once it has one."""

    outcome: Outcome | None = None  # the first failure, error or skipped: what it reports
    message: str = ""
    earlier: list[Attempt] = field(default_factory=list)
    later: list[Attempt] = field(default_factory=list)


@dataclass(slots=True)
class _Child:
    """A result element inside a `<testcase>` (failure, error, skipped, Surefire's runs)."""

    tag: str
    outcome: Outcome
    seconds: float | None
    message: str | None  # None while the message is still read from the element's text
    text: str = ""


# What the tests of a classname share: (file, pytest suite) for which it holds, the UTF-8 bytes
# of the classname (for case_key) and of the file, the id's prefix and whether it is pytest's.
_Group = tuple[str, bool, bytes, bytes, str, bool]
_GROUPS = 4096


class _Handler(_Events):
    """The second pass: events to TestResults, keeping only the open elements' small state
    and the tests of `repeated` keys, which are merged and held to the end. Most
    `<testcase>`s have no child: `finish` turns one into a TestResult with a few lookups
    (attempts without a message are shared, what a classname gives is derived once)."""

    def __init__(self, shown: str, repeated: set[int]) -> None:
        super().__init__(shown)
        self.repeated = repeated
        self.held: dict[str, tuple[list[Attempt], Outcome]] = {}
        self.suites: list[str] = []
        self.pytest_suite = False
        # The `<testcase>`s ended since `finish`, in order: the attributes of one without a
        # result element, (attributes, results) of one with, and the pytest-suite flag
        # when it changes.
        self.ended: list[dict[str, str] | tuple[dict[str, str], _Results] | bool] = []
        self.ended_suite = False  # the flag at the start of `ended`
        self.case: dict[str, str] | None = None  # the open `<testcase>`'s attributes
        self.results: _Results | None = None
        self.child: _Child | None = None
        self.depth = 0  # elements open inside the current child, so nested ones are ignored
        self.passed: dict[str | None, Attempt] = {}  # attempts without a message, by time
        self.skipped: dict[str | None, Attempt] = {}
        self.groups: dict[str, _Group] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.seen_root:
            self.root(name)
        if self.child is not None:
            self.depth += 1
        elif self.case is not None:
            self._start_child(name, attrs)
        elif name == "testcase":
            if not attrs.get("name"):
                raise PitstopError("<testcase> without a name", path=self.shown, line=self.line())
            self.case = attrs
        elif name in ("testsuites", "testsuite"):
            self.suites.append(attrs.get("name", ""))
            self._suite_changed()

    def end(self, name: str) -> None:
        if self.child is not None:
            if self.depth:
                self.depth -= 1
            else:
                self._end_child(self.child)
                self.child = None
                self.listen(False)
        elif self.case is not None:  # its children ended before: this is the testcase's end
            results = self.results
            self.ended.append(self.case if results is None else (self.case, results))
            self.case = self.results = None
        elif name in ("testsuites", "testsuite") and self.suites:
            self.suites.pop()
            self._suite_changed()

    def _suite_changed(self) -> None:
        pytest_suite = not _PYTEST_SUITES.isdisjoint(self.suites)
        if pytest_suite != self.pytest_suite:
            self.pytest_suite = pytest_suite
            self.ended.append(pytest_suite)

    def text(self, content: str) -> None:
        child = self.child
        if child is None or child.message is not None or self.depth:
            return
        # Only the start of the text is kept, from its first non-blank character: the
        # message is its first non-blank line. (Cut before the blanks are skipped, the text
        # could have been cut short of the message and then joined to a later part.)
        start = 0
        if not child.text:
            first = _NON_BLANK.search(content)
            if first is None:
                return
            start = first.start()
        joined = child.text + content[start : start + MESSAGE_CHARS + 1]
        child.text = joined
        if "\n" in joined or len(joined) > MESSAGE_CHARS:
            child.message = _first_line(joined)
            self.listen(False)

    def _start_child(self, name: str, attrs: dict[str, str]) -> None:
        outcome = _RESULT_TAGS.get(name) or _EARLIER_RUNS.get(name) or _LATER_RUNS.get(name)
        if outcome is None:  # system-out, properties...: not read
            self.child = _Child(name, Outcome.PASSED, None, "")
            return
        message = attrs.get("message")
        shown = _first_line(message) if message and message.strip() else None
        self.child = _Child(name, outcome, _seconds(attrs.get("time")), shown)
        self.listen(shown is None)

    def _end_child(self, child: _Child) -> None:
        if child.tag not in _READ_TAGS:
            return
        results = self.results
        if results is None:
            results = self.results = _Results()
        message = child.message if child.message is not None else _first_line(child.text)
        if child.tag in _RESULT_TAGS:
            if results.outcome is None:
                results.outcome = child.outcome
                results.message = "" if child.outcome is Outcome.SKIPPED else message
        elif child.tag in _EARLIER_RUNS:
            results.earlier.append(Attempt(child.outcome, child.seconds, message))
        else:
            results.later.append(Attempt(child.outcome, child.seconds, message))

    def finish(self) -> list[TestResult]:
        """The tests ended since the last call, but those held. Done here in one loop rather
        than as each ends: the per-test work is most of the reader's time, and a loop over
        local names does it in two thirds of the time the parser's callbacks take."""
        done: list[TestResult] = []
        suite, repeated, groups, passed = self.ended_suite, self.repeated, self.groups, self.passed
        for ended in self.ended:
            if isinstance(ended, dict):
                attrs, results = ended, None
            elif isinstance(ended, tuple):
                attrs, results = ended
            else:
                suite = ended
                continue
            classname, name, file = attrs.get("classname", ""), attrs["name"], attrs.get("file", "")
            # The id: just the name without classname and file, or when the two are equal
            # (jest-junit); else the prefix (_id_prefix) and the name.
            module = _module_path(name) if suite and not classname else None
            if module is not None and file in ("", module):
                # a whole module skipped or broken at collection: its file (_module_path)
                test, pytest, key = module, True, case_key(classname, name)
            elif (not classname and not file) or classname == name:
                test, pytest, key = name, False, case_key(classname, name)
            else:
                group = groups.get(classname)
                if group is None or group[0] != file or group[1] != suite:
                    group = self._group(classname, file, suite)
                _, _, classname_bytes, _, prefix, pytest = group
                test = prefix + name
                key = hash((classname_bytes, name.encode()))  # case_key, faster
            if results is not None:
                self._end_case(test, pytest, key, attrs, results, done)
                continue
            time = attrs.get("time")
            plain = passed.get(time)
            if plain is None or "status" in attrs or "result" in attrs:
                plain = self._plain_attempt(attrs)
            if key in repeated:
                self._hold(test, pytest, [plain], plain.outcome)
            else:
                done.append(_test_result(test, plain.outcome, (plain,)))
        self.ended.clear()
        self.ended_suite = suite
        return done

    def _end_case(
        self,
        test: str,
        pytest: bool,
        key: int,
        attrs: dict[str, str],
        results: _Results,
        done: list[TestResult],
    ) -> None:
        """A `<testcase>` with result elements: to `done` or held."""
        if results.outcome is None:
            attempt = self._plain_attempt(attrs)
        else:
            attempt = Attempt(results.outcome, _seconds(attrs.get("time")), results.message)
        attempts = [*results.earlier, attempt, *results.later]
        if key in self.repeated:
            self._hold(test, pytest, attempts, attempt.outcome)
        else:
            done.append(_result(test, attempts, attempt.outcome))

    def _plain_attempt(self, attrs: dict[str, str]) -> Attempt:
        """The attempt of a `<testcase>` without a result element: shared by those of the
        same time and outcome (an Attempt is immutable), from a bounded cache."""
        time, status, result = attrs.get("time"), attrs.get("status"), attrs.get("result")
        # Bazel and GoogleTest mark tests that did not run with attributes, not a child.
        skipped = status == "notrun" or result in ("skipped", "suppressed")
        shared = self.skipped if skipped else self.passed
        attempt = shared.get(time)
        if attempt is None:
            if len(shared) >= _SHARED_ATTEMPTS:
                shared.clear()
            outcome = Outcome.SKIPPED if skipped else Outcome.PASSED
            attempt = shared[time] = Attempt(outcome, _seconds(time))
        return attempt

    def _group(self, classname: str, file: str, suite: bool) -> _Group:
        if len(self.groups) >= _GROUPS:
            self.groups.clear()
        prefix, pytest = _id_prefix(classname, file, suite)
        group = (file, suite, classname.encode(), file.encode(), prefix, pytest)
        self.groups[classname] = group
        return group

    def _hold(self, test: str, pytest: bool, attempts: list[Attempt], outcome: Outcome) -> None:
        """Merge a `<testcase>` of a test that may occur again into what is held of it."""
        earlier = self.held.get(test, ([], outcome))[0]
        if pytest:
            _mark_retried(earlier)
        self.held[test] = ([*earlier, *attempts], outcome)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:MESSAGE_CHARS]
    return ""


def _seconds(value: str | None) -> float | None:
    """A `time` attribute as seconds; None when absent or not a duration (some runners
    write `1,234.5` or nothing)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = float(value.replace(",", ""))
        except ValueError:
            return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _id_prefix(classname: str, file: str, pytest_suite: bool) -> tuple[str, bool]:
    """What comes before a test's name in its id: `path.py::Class::` for pytest,
    `classname.` for other runners; and whether it is pytest's."""
    parts = classname.split(".") if classname else []
    if file.endswith(".py"):
        return _pytest_prefix(file, _classes_after_file(parts, file)), True
    if pytest_suite or _looks_like_pytest(parts):
        module = _module_end(parts)
        if module is not None:
            path = "/".join(parts[: module + 1]) + ".py"
            return _pytest_prefix(path, parts[module + 1 :]), True
    return (f"{classname}." if classname else ""), False


def _pytest_prefix(path: str, classes: list[str]) -> str:
    return "::".join([path, *classes, ""])


def _classes_after_file(parts: list[str], file: str) -> list[str]:
    module = file[: -len(".py")].replace("\\", "/").split("/")
    if parts[: len(module)] == module:
        return parts[len(module) :]
    end = _module_end(parts)
    return parts[end + 1 :] if end is not None else []


def _module_path(name: str) -> str | None:
    """The file of a pytest report on a whole module, which pytest's junitxml writes with no
    classname and the module's dotted path as its name (a module skipped or failing at
    collection: `pkg.tests.test_x`); None for any other name."""
    parts = name.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    return "/".join(parts) + ".py" if _module_end(parts) == len(parts) - 1 else None


def _module_end(parts: list[str]) -> int | None:
    """Index of the last part named like a pytest test module, None when there is none."""
    for index in range(len(parts) - 1, -1, -1):
        if _PYTEST_MODULE.match(parts[index]):
            return index
    return None


def _looks_like_pytest(parts: list[str]) -> bool:
    """A classname of Python identifiers with a pytest test module among them, followed
    only by classes pytest collects (`Test*`): a Java package `test_utils` holding a class
    `CartTest` is not one."""
    module = _module_end(parts)
    if module is None or not all(p.isidentifier() for p in parts):
        return False
    return all(p.startswith("Test") for p in parts[module + 1 :])
