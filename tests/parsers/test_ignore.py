"""`.dockerignore` reading and matching, behaviour by behaviour, against Docker's Go sources
(moby/patternmatcher, ignorefile.ReadAll, tonistiigi/fsutil) and Go's filepath.Match."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pitstop.errors import PitstopError
from pitstop.parsers.gopath import go_clean, go_glob_regex
from pitstop.parsers.ignore import IgnoreFile, IgnorePattern, parse_ignore


def patterns_of(text: str) -> list[str]:
    return [str(p) for p in parse_ignore(text, ".dockerignore").patterns]


def excluded(patterns: list[str], path: str) -> bool:
    return parse_ignore("\n".join(patterns), ".dockerignore").excludes(path)


def walker_excludes(ignore: IgnoreFile, path: str) -> bool:
    """The verdict the per-folder engine (used by the context walk) gives `path`."""
    *folders, name = path.split("/")
    folder = ignore.root()
    for part in folders:
        _, folder = folder.enter(part)
    return folder.file_verdicts([name])[0]


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("# comment\nfoo", ["foo"], id="comment line"),
        pytest.param("  # not a comment", ["# not a comment"], id="comment only at column 1"),
        pytest.param("foo # bar", ["foo # bar"], id="no trailing comments"),
        pytest.param("  foo \t", ["foo"], id="trimmed"),
        pytest.param("\xa0foo\u3000", ["foo"], id="unicode spaces trimmed like Go"),
        pytest.param("\x1cfoo", ["\x1cfoo"], id="not trimmed: Go's IsSpace excludes 0x1c"),
        pytest.param("foo\n\n   \nbar", ["foo", "bar"], id="blank lines skipped"),
        pytest.param("!foo", ["!foo"], id="exception"),
        pytest.param("!  foo  ", ["!foo"], id="exception text trimmed"),
        pytest.param("a/./b/../c//", ["a/c"], id="cleaned like filepath.Clean"),
        pytest.param("./foo", ["foo"], id="dot slash cleaned"),
        pytest.param("/foo/bar", ["foo/bar"], id="leading slash dropped"),
        pytest.param("//foo", ["foo"], id="clean first, then one slash dropped"),
        pytest.param("/../foo", ["foo"], id="dotdot cannot climb above the root"),
        pytest.param("../foo", ["../foo"], id="relative dotdot kept"),
        pytest.param("/", ["/"], id="lone slash kept"),
        pytest.param("! /inverted/abs", ["!inverted/abs"], id="exception made relative"),
        pytest.param("./!x", ["!x"], id="New cleans again and sees the !"),
        pytest.param("\ufeff# comment\nx", ["x"], id="BOM dropped before the comment test"),
        pytest.param("a\r\nb\r\n", ["a", "b"], id="CRLF"),
        pytest.param("a\rb", ["a\rb"], id="lone CR is not a line break"),
        pytest.param("foo/", ["foo"], id="trailing slash cleaned away"),
    ],
)
def test_reading(text: str, expected: list[str]) -> None:
    assert patterns_of(text) == expected


def test_line_numbers_count_every_line() -> None:
    ignore = parse_ignore("a\n\n# c\n  \nb\n", "ctx/.dockerignore")
    assert [(p.text, p.line) for p in ignore.patterns] == [("a", 1), ("b", 5)]
    assert ignore.path == "ctx/.dockerignore"


def test_exception_flag_and_text() -> None:
    (pattern,) = parse_ignore("!docs/README.md", None).patterns
    assert (pattern.text, pattern.exclusion, str(pattern)) == (
        "docs/README.md",
        True,
        "!docs/README.md",
    )


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        # `*` never crosses "/": *.md is a top-level pattern
        (["*.md"], "README.md", True),
        (["*.md"], "docs/guide.md", False),
        (["*"], "anything", True),
        (["a*/b"], "abc/b", True),
        (["a*/b"], "a/c/b", False),
        # `?` is one character, never "/"
        (["a?c"], "abc", True),
        (["a?c"], "ac", False),
        (["a?c"], "a/c", False),
        # classes: ranges, ^ negation, escapes; ! is not negation in Go
        (["a[b-d]e"], "ace", True),
        (["a[b-d]e"], "aae", False),
        (["a[^b-d]e"], "aze", True),
        (["a[^b-d]e"], "ace", False),
        (["[!a]b"], "!b", True),
        (["[!a]b"], "xb", False),
        (["[\\]a]"], "]", True),
        (["[\\-x]"], "-", True),
        (["a[^b]c"], "a/c", True),  # a negated class matches "/" (Go and RE2 agree)
        # backslash escapes
        (["a\\*b"], "a*b", True),
        (["a\\*b"], "axb", False),
        (["a\\\\"], "a\\", True),
        (["x\\a"], "xa", False),  # \a reaches Go's regexp, where it is the bell character
        (["x\\a"], "x\a", True),
        # regex metacharacters are literal
        (["a.|)$(}+{bc"], "a.|)$(}+{bc", True),
        (["abc.def"], "abcZdef", False),
        (["dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
        # ** spans any number of folders
        (["**"], "any/depth/file", True),
        (["**/foo"], "foo", True),
        (["**/foo"], "a/b/foo", True),
        (["**/foo"], "a/b/foo/inside", True),
        (["**/foo"], "xfoo", False),
        (["**/*.pyc"], "x.pyc", True),
        (["**/*.pyc"], "a/b/x.pyc", True),
        (["**/*.txt2"], "a/b/file.txt", False),
        (["foo/**"], "foo", False),
        (["foo/**"], "foo/x", True),
        (["foo/**"], "foo/x/y", True),
        (["a/**/b"], "a/b", True),
        (["a/**/b"], "a/x/y/b", True),
        (["a/**/b"], "a/xb", False),
        (["a**/*.txt"], "a/dir/dir/file.txt", True),
        (["**/dir2/*"], "dir/dir2/file", True),
        (["**/dir2/**"], "dir/dir2/dir3/file", True),
        (["**/**/*.txt"], "file.txt", True),
        # quirks of patternmatcher's fast paths, kept because Docker has them
        (["**foo"], "xfoo", True),  # a leading ** is a plain suffix test
        (["foo**"], "foobar/x", True),  # a trailing ** is a plain prefix test
        (["a^b"], "a^b", True),  # no wildcard: compared as text
        (["a^b*"], "a^bc", False),  # with a wildcard: ^ is a regex anchor
        (["\\d"], "7", True),  # \d goes to the regex as a digit class
        (["[[:digit:]]x"], "7x", True),  # POSIX class, not the characters [ : d ...
        (["[?]"], "?", False),  # ? becomes [^/] inside the class and breaks it
        (["**/*.txt"], "a\nb/c.txt", False),  # (.*/)? cannot cross a newline
        (["**/c.txt"], "a\nb/c.txt", True),  # a suffix test can
        # the last matching line wins
        (["*.md", "!README.md"], "README.md", False),
        (["!README.md", "*.md"], "README.md", True),
        (["*.md", "!README.md", "README*"], "README.md", True),
        # a pattern matching a folder excludes what is in it; an exception brings back
        (["docs"], "docs/a/b.txt", True),
        (["docs/"], "docs/a.txt", True),
        (["docs/*"], "docs/a/b.txt", True),
        (["docs", "!docs/keep.md"], "docs/keep.md", False),
        (["docs", "!docs/keep.md"], "docs/other.md", True),
        (["docs", "!docs/api"], "docs/api/x/y.md", False),
        (["**", "!util/docker/web"], "util/docker/web/foo", False),
        (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
        # MatchesUsingParentResults, not MatchesOrParentMatches: `!a` never matched the
        # folder a (it was not excluded when walked), so it cannot bring a/f back
        (["a/f", "!a"], "a/f", True),
        # patterns are cleaned, paths too
        (["a/../b"], "b", True),
        (["/a"], "a", True),
        (["a"], "./a", True),
        (["a/b"], "a//b", True),
        (["../a"], "a", False),
        # the context root itself is never excluded
        (["*"], ".", False),
        (["**"], "", False),
    ],
)
def test_matching(patterns: list[str], path: str, expected: bool) -> None:
    ignore = parse_ignore("\n".join(patterns), ".dockerignore")
    assert ignore.excludes(path) is expected
    if path.strip("./") and "//" not in path and not path.startswith("."):
        assert walker_excludes(ignore, path) is expected


def test_deciding_pattern_is_the_last_match() -> None:
    ignore = parse_ignore("docs\n*.md\n!docs/keep.md\n", ".dockerignore")
    decider = ignore.deciding_pattern("docs/keep.md")
    assert decider is not None
    assert (str(decider), decider.line) == ("!docs/keep.md", 3)
    other = ignore.deciding_pattern("docs/other.txt")
    assert other is not None and other.line == 1  # matched through its folder
    assert ignore.deciding_pattern("src/app.py") is None


@pytest.mark.parametrize(
    ("patterns", "folder", "expected"),
    [
        (["docs"], "docs", False),  # no exception at all: prune
        (["docs", "!docs/keep.md"], "docs", True),
        (["docs", "!docs/keep.md"], "src", False),
        (["docs", "!docs/api/**"], "docs/api", True),  # trailing /** is cut off first
        (["docs", "!docs/api/*"], "docs", True),
        (["node_modules", "!**/keep.md"], "node_modules", True),  # wildcard: enter all
        (["a", "!a\\.b"], "x", True),  # a backslash counts as a wildcard too
    ],
)
def test_may_reinclude_under(patterns: list[str], folder: str, expected: bool) -> None:
    ignore = parse_ignore("\n".join(patterns), ".dockerignore")
    assert ignore.may_reinclude_under(folder) is expected


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("ok\n[abc", 2, "'[' is never closed"),
        ("a\n\n[^", 3, "'[' is never closed"),
        ("x\\", 1, "trailing '\\'"),
        ("[]a]", 1, "must be escaped"),
        ("[-a]", 1, "must be escaped"),
        ("[a-]", 1, "must be escaped"),
        ("[a-b-c]", 1, "must be escaped"),
        ("[z-a]", 1, "invalid character class range"),
        ("# fine\n!", 2, "illegal exclusion pattern"),
        ("!/", 1, "illegal exclusion pattern"),
        ("a\n\\y", 2, "invalid escape sequence"),
        ("[[:nope:]]", 1, "invalid character class"),
        ("x" * 70_000, 1, "token too long"),
    ],
)
def test_patterns_docker_rejects(text: str, line: int, fragment: str) -> None:
    with pytest.raises(PitstopError) as caught:
        parse_ignore(text, "svc/.dockerignore")
    assert caught.value.path == "svc/.dockerignore"
    assert caught.value.line == line
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"svc/.dockerignore:{line}: ")


def test_error_without_a_path_names_the_default_file() -> None:
    with pytest.raises(PitstopError, match=r"^\.dockerignore:1: "):
        parse_ignore("[", None)


# --------------------------------------------------------------------------- Go helpers


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        ("", "."),
        ("abc", "abc"),
        ("abc/def", "abc/def"),
        (".", "."),
        ("..", ".."),
        ("../..", "../.."),
        ("../../abc", "../../abc"),
        ("/abc", "/abc"),
        ("/", "/"),
        ("abc/", "abc"),
        ("/abc/", "/abc"),
        ("abc//def//ghi", "abc/def/ghi"),
        ("//abc", "/abc"),
        ("///abc", "/abc"),
        ("//abc//", "/abc"),
        ("abc/./def", "abc/def"),
        ("/./abc/def", "/abc/def"),
        ("abc/.", "abc"),
        ("abc/def/ghi/../jkl", "abc/def/jkl"),
        ("abc/def/../ghi/../jkl", "abc/jkl"),
        ("abc/def/..", "abc"),
        ("abc/def/../..", "."),
        ("/abc/def/../..", "/"),
        ("abc/def/../../..", ".."),
        ("/abc/def/../../..", "/"),
        ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
        ("abc/./../def", "def"),
        ("abc//./../def", "def"),
        ("abc/../../././../def", "../../def"),
        ("[a/../b]", "b]"),  # Clean does not know about brackets
    ],
)
def test_go_clean(path: str, cleaned: str) -> None:
    assert go_clean(path) == cleaned


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("*.py", "app.py", True),
        ("*.py", "pkg/app.py", False),
        ("pkg/*", "pkg/app.py", True),
        ("[z-a]", "m", False),  # Go accepts a reversed range; it matches nothing
        ("[^z-a]", "m", True),
    ],
)
def test_go_glob_regex(pattern: str, name: str, expected: bool) -> None:
    regex = go_glob_regex(pattern)
    assert regex is not None
    assert (regex.fullmatch(name) is not None) is expected


def test_go_glob_regex_rejects_what_go_rejects() -> None:
    assert go_glob_regex("[") is None
    assert go_glob_regex("a\\") is None


# --------------------------------------------------------------------------- properties


# Property tests run beside other work: no per-example deadline, and filtering by assume()
# is part of the design of the strategies below.
ROBUST = settings(
    deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)


def go_match(pattern: str, name: str) -> bool | None:
    """An independent port of Go's filepath.Match (Unix): True/False, None for ErrBadPattern.
    Written from src/path/filepath/match.go, sharing nothing with the code under test."""
    while pattern:
        star = pattern.startswith("*")
        chunk, pattern = _scan_chunk(pattern.lstrip("*"))
        if star and not chunk:
            return "/" not in name  # a trailing * matches the rest unless it holds a /
        rest, ok, bad = _match_chunk(chunk, name)
        if ok and (not rest or pattern):
            name = rest
            continue
        if bad:
            return None
        found, bad = _skip_with_star(chunk, name, pattern) if star else (None, False)
        if bad:
            return None
        if found is None:
            return _rest_valid(pattern)
        name = found
    return not name


def _skip_with_star(chunk: str, name: str, pattern: str) -> tuple[str | None, bool]:
    """Go's "look for match skipping i+1 bytes": (rest of `name` or None, bad pattern)."""
    i = 0
    while i < len(name) and name[i] != "/":
        rest, ok, bad = _match_chunk(chunk, name[i + 1 :])
        if ok and (pattern or not rest):
            return rest, False
        if bad:
            return None, True
        i += 1
    return None, False


def _rest_valid(pattern: str) -> bool | None:
    while pattern:
        pattern = pattern.lstrip("*")
        chunk, pattern = _scan_chunk(pattern)
        if _match_chunk(chunk, "")[2]:
            return None
    return False


def _scan_chunk(pattern: str) -> tuple[str, str]:
    in_range, i = False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            i += 1
        elif c == "[":
            in_range = True
        elif c == "]":
            in_range = False
        elif c == "*" and not in_range:
            break
        i += 1
    return pattern[:i], pattern[i:]


def _match_chunk(chunk: str, s: str) -> tuple[str, bool, bool]:
    """(rest, matched, bad pattern); keeps checking syntax after a mismatch, as Go does."""
    failed = False
    while chunk:
        failed = failed or not s
        c = chunk[0]
        if c == "[":
            r = "" if failed else s[0]
            s = s if failed else s[1:]
            chunk = chunk[1:]
            negated = chunk[:1] == "^"
            chunk = chunk[int(negated) :]
            hit, ranges = False, 0
            while True:
                if chunk[:1] == "]" and ranges:
                    chunk = chunk[1:]
                    break
                lo, chunk, bad = _get_esc(chunk)
                if bad:
                    return "", False, True
                hi = lo
                if chunk[0] == "-":
                    hi, chunk, bad = _get_esc(chunk[1:])
                    if bad:
                        return "", False, True
                hit = hit or lo <= r <= hi
                ranges += 1
            failed = failed or hit == negated
        elif c == "?":
            failed = failed or s[0] == "/"
            s, chunk = s[1:] if s else s, chunk[1:]
        else:
            if c == "\\":
                chunk = chunk[1:]
                if not chunk:
                    return "", False, True
            failed = failed or chunk[0] != s[0]
            s, chunk = s[1:] if s else s, chunk[1:]
    return ("", False, False) if failed else (s, True, False)


def _get_esc(chunk: str) -> tuple[str, str, bool]:
    if not chunk or chunk[0] in "-]":
        return "", chunk, True
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            return "", chunk, True
    r, chunk = chunk[0], chunk[1:]
    return r, chunk, not chunk


def test_reference_go_match_agrees_with_go_tests() -> None:
    """The reference itself, on cases from Go's match_test.go."""
    cases = [
        ("abc", "abc", True),
        ("*", "abc", True),
        ("*c", "abc", True),
        ("a*", "ab/c", False),
        ("a*/b", "abc/b", True),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", True),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
        ("a*b?c*x", "abxbbxdbxebxczzx", True),
        ("a*b?c*x", "abxbbxdbxebxczzy", False),
        ("ab[^e-g]", "abc", True),
        ("a\\*b", "ab", False),
        ("[\\-x]", "-", True),
        ("*x", "xxx", True),
    ]
    for pattern, name, expected in cases:
        assert go_match(pattern, name) is expected, (pattern, name)
    for bad in ("[]a]", "[-]", "[x-]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "*[", "x*["):
        assert go_match(bad, "a") is None, bad


# Escaped letters are left out on purpose: Docker hands `\a` to Go's regexp, where it is a
# bell character, not "a" (see test_matching).
_ATOMS = st.sampled_from(["a", "b", ".", "*", "?", "[ab]", "[^a]", "[a-b]", "\\*", "\\."])
_NAMES = st.text(alphabet="ab./*", min_size=1, max_size=6)


@st.composite
def simple_patterns(draw: st.DrawFn) -> str:
    """Go patterns without `**` (where Docker and filepath.Match part ways), already clean."""
    pattern = "".join(draw(st.lists(_ATOMS, min_size=1, max_size=5)))
    separated = draw(st.booleans())
    if separated:
        pattern += "/" + "".join(draw(st.lists(_ATOMS, min_size=1, max_size=3)))
    assume("**" not in pattern and go_clean(pattern) == pattern and pattern[0] != "!")
    return pattern


@settings(ROBUST, max_examples=400)
@given(simple_patterns(), _NAMES)
def test_single_pattern_matches_like_go_filepath_match(pattern: str, name: str) -> None:
    expected = go_match(pattern, name)
    assert expected is not None
    # A negated class matches "/" in both, but filepath.Match does not backtrack across
    # chunks: Match("*[^a]*", "./") is false where a regexp (Docker's ignore matching, and
    # go_glob_regex) finds "." + "/" + "". Only names with "/" under a negated class differ.
    if "[^" in pattern and "/" in name:
        return
    assert IgnorePattern(pattern, False, 1).matches(name) is expected
    regex = go_glob_regex(pattern)
    assert regex is not None and (regex.fullmatch(name) is not None) is expected


_DOCKER_ATOMS = st.sampled_from(["a", "b", "*", "?", "**", "/", "[ab]", "\\a", "**/", "/**"])
_SEGMENT = st.sampled_from(["a", "b", "ab", "ba", "aa"])
_PATHS = st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join)


@st.composite
def docker_patterns(draw: st.DrawFn) -> str:
    pattern = go_clean("".join(draw(st.lists(_DOCKER_ATOMS, min_size=1, max_size=5))))
    assume(pattern not in (".", "/") and not pattern.startswith("/") and ".." not in pattern)
    return ("!" if draw(st.booleans()) else "") + pattern


_PATTERN_LISTS = st.lists(docker_patterns(), max_size=5)


@settings(ROBUST, max_examples=300)
@given(_PATTERN_LISTS, docker_patterns(), _PATHS)
def test_exception_for_a_matching_pattern_never_excludes(
    patterns: list[str], pattern: str, path: str
) -> None:
    text = pattern.lstrip("!")
    assume(IgnorePattern(text, False, 1).matches(path))
    assert not excluded([*patterns, "!" + text], path)


@settings(ROBUST, max_examples=300)
@given(_PATTERN_LISTS, docker_patterns(), _PATHS)
def test_appending_a_pattern_that_matches_nothing_changes_nothing(
    patterns: list[str], extra: str, path: str
) -> None:
    parts = path.split("/")
    probe = IgnorePattern(extra.lstrip("!"), False, 1)
    assume(not any(probe.matches("/".join(parts[:k])) for k in range(1, len(parts) + 1)))
    assert excluded([*patterns, extra], path) == excluded(patterns, path)


@settings(ROBUST, max_examples=300)
@given(_PATTERN_LISTS, _PATHS)
def test_redundant_path_spellings_do_not_matter(patterns: list[str], path: str) -> None:
    ignore = parse_ignore("\n".join(patterns), None)
    verdict = ignore.excludes(path)
    assert ignore.excludes("./" + path) == verdict
    assert ignore.excludes(path.replace("/", "//")) == verdict
    assert ignore.excludes(path + "/") == verdict


@settings(ROBUST, max_examples=500)
@given(_PATTERN_LISTS, _PATHS)
def test_folder_engine_agrees_with_path_matching(patterns: list[str], path: str) -> None:
    """The per-folder engine the walk uses gives the verdict patternmatcher's loop gives."""
    ignore = parse_ignore("\n".join(patterns), None)
    assert walker_excludes(ignore, path) == ignore.excludes(path)
    *folders, _ = path.split("/")
    folder = ignore.root()
    for depth, part in enumerate(folders, start=1):
        verdict, folder = folder.enter(part)
        assert verdict == ignore.excludes("/".join(folders[:depth]))


def test_a_negated_class_matches_the_separator() -> None:
    # Go's filepath.Match has no separator check for classes, and patternmatcher copies
    # `[^a]` into a regexp: both let it match "/".
    assert go_match("x[^a]y", "x/y") is True
    assert IgnorePattern("x[^a]y", False, 1).matches("x/y")
    assert IgnorePattern("*[^a]*", False, 1).matches("./")  # Docker: a regexp backtracks
    assert go_match("*[^a]*", "./") is False  # filepath.Match does not


def test_many_stars_match_in_linear_time():
    """Python's `re` backtracks where BuildKit's RE2 does not: `*a*a...*c*b` against a long
    name of `a`s ran for minutes. Checked in a subprocess with a generous bound (a hang, not
    a benchmark), and against the answer the pattern must give."""
    import subprocess
    import sys

    code = (
        "from pitstop.parsers.ignore import parse_ignore\n"
        "ignore = parse_ignore('*a*a*a*a*a*a*a*a*a*a*a*a*c*b\\n', '.dockerignore')\n"
        "print(ignore.excludes('a' * 5000), ignore.excludes('a' * 30 + 'cb'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"]


# --------------------------------------------------------------------------- many patterns


def _padding(count: int) -> list[str]:
    """Patterns no path of `_PATHS` can match, one of each way the engine files a pattern:
    by whole path, by a literal start, by a literal end, and with no literal either side."""
    forms = ["zz{}", "zz{}/*", "**/*q{}", "**/*q{}*"]
    return [forms[i % len(forms)].format(i) for i in range(count)]


@settings(ROBUST, max_examples=300)
@given(_PATTERN_LISTS, _PATHS)
def test_many_patterns_give_the_verdicts_of_few(patterns: list[str], path: str) -> None:
    """Past a few hundred patterns the engine indexes them; patterns that match nothing in
    front of a list change no verdict, so the indexed engine must agree with the small one."""
    few = parse_ignore("\n".join(patterns), None)
    many = parse_ignore("\n".join([*_padding(400), *patterns]), None)
    assert many.excludes(path) == few.excludes(path)
    assert walker_excludes(many, path) == few.excludes(path)
    *folders, _ = path.split("/")
    folder = many.root()
    for depth, part in enumerate(folders, start=1):
        verdict, folder = folder.enter(part)
        assert verdict == few.excludes("/".join(folders[:depth]))
        assert many.may_reinclude_under("/".join(folders[:depth])) == few.may_reinclude_under(
            "/".join(folders[:depth])
        )


_MANY_PATTERNS_SCRIPT = """
import random
from pitstop.parsers.ignore import parse_ignore

rng = random.Random(1)
lines = [
    rng.choice(["", "", "", "", "!"])
    + rng.choice(["**/", "", "src/"])
    + "".join(rng.choice("abcdefghij*?") for _ in range(12))
    for _ in range(20000)
]
ignore = parse_ignore("\\n".join(lines) + "\\n", ".dockerignore")

def instance(line):
    # A path the pattern matches: wildcards filled in, "**/" as one folder.
    text = line.lstrip("!").replace("**/", "d1/").replace("*", "x").replace("?", "a")
    return text + rng.choice(["", "/f.py"])  # the pattern matches the path or its parent

matching = [instance(rng.choice(lines)) for _ in range(1500)]
plain = [f"d{i}/f{j}.py" for i in range(150) for j in range(10)]

def walked(path):
    *folders, name = path.split("/")
    folder = ignore.root()
    for part in folders:
        _, folder = folder.enter(part)
    return folder.file_verdicts([name])[0]

def naive(path):
    # patternmatcher's MatchesUsingParentResults, one pattern after another.
    parts, held, matched = path.split("/"), [False] * len(ignore.patterns), False
    for depth in range(1, len(parts) + 1):
        prefix, matched = "/".join(parts[:depth]), False
        for index, pattern in enumerate(ignore.patterns):
            match = held[index]
            if not match and pattern.exclusion == matched:
                match = pattern.matches(prefix)
            held[index] = match
            if match:
                matched = not pattern.exclusion
    return matched

fast = {path: walked(path) for path in matching + plain}
assert all(ignore.excludes(path) == verdict for path, verdict in fast.items())
sample = rng.sample(matching, 40) + rng.sample(plain, 10)
assert all(naive(path) == fast[path] for path in sample), "differs from the naive loop"
print(sum(fast[path] for path in matching), sum(fast[path] for path in plain))
"""


def test_twenty_thousand_patterns_finish_with_the_verdicts_of_the_naive_loop() -> None:
    """A generated ignore file of 20,000 patterns over 3,000 paths took minutes when each
    path went through every pattern. Checked in a subprocess with a generous bound (a hang,
    not a benchmark), against patternmatcher's loop written out pattern by pattern."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _MANY_PATTERNS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    excluded_matching, excluded_plain = map(int, done.stdout.split())
    assert excluded_plain == 0  # no pattern can match these
    assert 0 < excluded_matching < 1500  # exceptions bring some back
