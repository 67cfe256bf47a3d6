"""The first pass of the JUnit reader: the byte scan must give every real `<testcase>` the key
the XML parser's attributes give, however the attributes are written, so that no repeated
test is missed (a missed one would come out twice, unmerged)."""

from __future__ import annotations

import io
from pathlib import Path
from xml.parsers import expat

import pytest

from pitstop.parsers import junit_keys
from pitstop.parsers.junit import read_junit
from pitstop.parsers.junit_keys import case_key, scan_repeated_keys
from pitstop.runs import Outcome

F, P, FL = Outcome.FAILED, Outcome.PASSED, Outcome.FLAKY

# Two writings of the attributes of one test: the parser gives both the same values.
SAME_TEST = [
    ('classname="c" name="t" file="f.py"', "file='f.py' name='t' classname='c'"),
    ('classname="c" name="t"', 'classname="c" name="t" file=""'),
    ('\n  classname = "c"\n  name\t=\t"t"', 'classname="c" name="t"'),
    ('classname="c" name="a&lt;b&gt;"', "classname='c' name='a&#60;b>'"),
    ('classname="c" name="a&#x3c;b&amp;"', 'classname="c" name="a&lt;b&#38;"'),
    ('classname="c" name="x&quot;y&apos;"', 'classname="c" name=\'x"y&#39;\''),
    ('classname="c" name="a b c d"', 'classname="c" name="a\tb\nc\r\nd"'),
    ('classname="c" name="a b"', 'classname="c" name="a&#32;b"'),
    ('classname="c" name="a&#10;b"', 'classname="c" name="a&#xA;b"'),
    ('classname="c" name="é ü"', 'classname="c" name="&#233;&#x20;&#252;"'),
    ('classname="c" name="a>b" time=">"', 'time="1" name="a&gt;b" classname="c"'),
    ('name="t" class="x" classname="c" names="n"', 'classname="c" name="t"'),
]


def document(first: str, second: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<testsuite name="s">\n'
        f'<testcase {first}><failure message="m"/></testcase>\n'
        '<testcase classname="c" name="other"/>\n'
        f"<testcase {second}/>\n</testsuite>\n"
    )


def parser_keys(text: bytes) -> list[int]:
    """The keys of the `<testcase>`s as the XML parser gives their attributes."""
    keys = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "testcase":
            keys.append(case_key(attrs.get("classname", ""), attrs["name"]))

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.Parse(text, True)
    return keys


@pytest.mark.parametrize(("first", "second"), SAME_TEST)
def test_the_scan_gives_the_parsers_key(first, second):
    text = document(first, second).encode()
    first_key, _, second_key = parser_keys(text)
    assert first_key == second_key
    assert first_key in scan_repeated_keys(io.BytesIO(text))


def summary(path: Path) -> list[tuple[str, Outcome, list[Outcome]]]:
    return [(r.test, r.outcome, [a.outcome for a in r.attempts]) for r in read_junit(path, "r")]


@pytest.mark.parametrize(("first", "second"), SAME_TEST)
def test_a_test_written_two_ways_is_merged(tmp_path, first, second):
    path = tmp_path / "r.xml"
    path.write_bytes(document(first, second).encode())
    (other, merged) = summary(path)
    assert other == ("c.other", P, [P])
    assert merged[1:] == (FL, [F, P])


@pytest.mark.parametrize("chunk", [1, 2, 7, 64])
def test_tags_cut_by_the_end_of_a_chunk_are_read_whole(monkeypatch, chunk):
    monkeypatch.setattr(junit_keys, "_CHUNK", chunk)
    for first, second in SAME_TEST:
        text = document(first, second).encode()
        assert parser_keys(text)[0] in scan_repeated_keys(io.BytesIO(text))


FALSE_TAGS = """<?xml version="1.0"?>
<testsuite name="s">
<!-- <testcase name='unclosed -->
<testcase classname="c" name="t"><failure/></testcase>
<?pi <testcase name="pi" x='?>
<testcase classname="c" name="u"/>
<testcase classname="c" name="v"><system-out><![CDATA[<testcase name="v" a='>]]></system-out>
</testcase>
<testcase classname='c' name='t'/>
</testsuite>
"""


def test_text_that_looks_like_a_tag_hides_no_repeated_test(tmp_path):
    # An unclosed quote in a comment, a processing instruction or CDATA must not make the scan
    # read on past the real tags after it.
    path = tmp_path / "r.xml"
    path.write_text(FALSE_TAGS)
    assert summary(path) == [("c.u", P, [P]), ("c.v", P, [P]), ("c.t", FL, [F, P])]


@pytest.mark.parametrize(
    ("encoding", "scanned"),
    [("utf-8", True), ("ISO-8859-1", True), ("utf-16", False), ("windows-1252", False)],
)
def test_other_encodings_are_parsed_instead(tmp_path, encoding, scanned):
    text = document('classname="c" name="é"', 'classname="c" name="&#233;"')
    text = text.replace('encoding="utf-8"', f'encoding="{encoding}"')
    path = tmp_path / "r.xml"
    path.write_bytes(text.encode(encoding))
    with path.open("rb") as stream:
        assert (scan_repeated_keys(stream) is not None) is scanned
    assert summary(path) == [("c.other", P, [P]), ("c.é", FL, [F, P])]


def test_a_start_tag_too_long_to_hold_is_parsed_instead(tmp_path, monkeypatch):
    monkeypatch.setattr(junit_keys, "_CHUNK", 8)
    monkeypatch.setattr(junit_keys, "_CARRY_LIMIT", 16)
    path = tmp_path / "r.xml"
    path.write_bytes(
        document('classname="c" name="t" x="' + "y" * 100 + '"', 'name="t" classname="c"').encode()
    )
    with path.open("rb") as stream:
        assert scan_repeated_keys(stream) is None
    assert summary(path) == [("c.other", P, [P]), ("c.t", FL, [F, P])]


def test_a_tag_without_an_end_is_scanned_in_linear_time():
    # Backtracking over the ways to split 60 attributes would not end.
    text = b"<testsuite><testcase " + b'a="1" ' * 60 + b"b='2"
    assert scan_repeated_keys(io.BytesIO(text)) == set()
