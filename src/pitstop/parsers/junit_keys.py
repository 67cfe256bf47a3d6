"""The first pass of the JUnit reader (parsers.junit): which `<testcase>`s may occur more than
once, from a scan of the bytes for their start tags rather than a second XML parse (half the
time: the scan is one compiled regular expression, the parser calls Python per element).

The one promise: for every real `<testcase>` start tag, the scan computes the key the XML
parser's attributes give (`case_key`), so a test that really repeats is never missed. What
else looks like a start tag (text in a comment, a CDATA section or a processing instruction)
only adds keys: a test whose key shares a bit with one of them is held to the end of the
file, which costs memory for it, never correctness. Why every real tag is found whole:

- XML forbids `<` inside a tag, even in attribute values, and `_TAG` matches no `<` after
  its first character. So no match, real or not, can run into a real tag, and the scan tries
  each real `<testcase` where it starts; there it matches the tag exactly (quotes pair up:
  a `>` inside a value does not end it).
- A tag cut by the end of a chunk is the text after the last `<` of the chunk, which is kept
  and scanned again with the next chunk.
- Attribute values are normalised as XML 1.0 (section 3.3.3) says a parser must, with no DTD
  (one is refused, so every attribute is CDATA and only the five predefined entities exist):
  line ends to `\\n`, then each literal tab, carriage return or line feed to a space, then
  character and entity references replaced (what a reference gives is not normalised).

Files the scan cannot read as the parser does (an encoding other than UTF-8, ASCII or
Latin-1, or a start tag longer than _CARRY_LIMIT) get None: the caller parses them instead.
"""

from __future__ import annotations

import re
from typing import IO

_CHUNK = 1 << 18
_CARRY_LIMIT = 1 << 22  # a `<testcase` start longer than this (4 MiB): parse instead
_BITMAP_BITS = 1 << 24  # 2 MiB: few unique tests share a bit even in a million-test file
_START = b"<testcase"
_S = rb"[\t\n\r ]"  # XML white space
# A value the parser gives as it is written: no reference, no white space to normalise.
_PLAIN = rb'"([^"<&\t\n\r]*)"'
_NAME_CHAR = rb"""[^\t\n\r =/<>"']"""
_ANY_VALUE = rb"""%s*=%s*(?:"[^<"]*"|'[^<']*')""" % (_S, _S)


def _keyed(first: bytes, rest: bytes) -> bytes:
    """An attribute whose name starts with `first`: the keyed one (`first` + `rest`) with a
    plain value in a group, or another. (A dispatch on the first letter: a third faster than
    trying each name in turn.) The keyed one with another value matches neither."""
    keyed = rb"%s%s*=%s*%s" % (rest, _S, _S, _PLAIN)
    return rb"%s(?:%s|(?!%s%s*=)%s*%s)" % (first, keyed, rest, _S, _NAME_CHAR, _ANY_VALUE)


_ATTRIBUTES = (_keyed(b"c", b"lassname"), _keyed(b"n", b"ame"), _keyed(b"f", b"ile"))
_OTHER = rb"""[^cnf\t\n\r =/<>"']%s*%s""" % (_NAME_CHAR, _ANY_VALUE)
# A `<testcase` start tag, either written plainly (classname, name and file double-quoted and
# plain, in any order, among other attributes: groups 1-3 hold their values, b"" when absent),
# or else any way (group 4: its attributes, quoted values paired up, read by _tag_key). The
# first is possessive and the second unrolled (runs of plain characters, then a quoted value)
# so that a tag with no end cannot make either backtrack exponentially.
_TAG = re.compile(
    rb"<testcase(?:(?:%s+(?:%s|%s|%s|%s))*+%s*/?" % (_S, *_ATTRIBUTES, _OTHER, _S)
    + rb"""|(?=[\t\n\r />])([^<>"']*(?:(?:"[^<"]*"|'[^<']*')[^<>"']*)*))>"""
)
# One attribute; in a real tag they follow each other with only white space between them.
_ATTRIBUTE = re.compile(rb"""([^\t\n\r =/]+)[\t\n\r ]*=[\t\n\r ]*(?:"([^"]*)"|'([^']*)')""")
_SPACES = str.maketrans("\t\n\r", "   ")
_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_DECLARED = re.compile(rb"""<\?xml[^>]*?encoding[\t\n\r ]*=[\t\n\r ]*["']([A-Za-z0-9._-]+)""")
_CODECS = {"utf-8": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "latin-1"}


def case_key(classname: str, name: str) -> int:
    """What a `<testcase>` whose test may occur again is known by: the hash of the UTF-8
    bytes of its classname and name ("" when absent), which the scan reads without decoding
    them. Not its `file`: one test may be written with and without it, so tests that share a
    classname and name but not a file are held as possible repeats (then told apart by id)."""
    return hash((classname.encode(), name.encode()))


def scan_repeated_keys(stream: IO[bytes]) -> set[int] | None:
    """Keys (case_key) of the `<testcase>`s of `stream` that may occur more than once (a key
    sharing a bit with another is included: memory, never correctness); None when the file
    must be parsed instead (see the module docstring)."""
    bitmap = bytearray(_BITMAP_BITS // 8)
    repeated: set[int] = set()
    carry = b""
    codec: str | None = ""
    while chunk := stream.read(_CHUNK):
        buffer = carry + chunk if carry else chunk
        if codec == "":
            codec = _codec(buffer)
        if codec is None:
            return None
        stop = _unfinished(buffer)
        for classname, name, _file, attributes in _TAG.findall(buffer, 0, stop):
            if attributes:
                key = _tag_key(attributes, codec)
            elif codec == "utf-8":  # case_key, the values being the UTF-8 bytes it hashes
                key = hash((classname, name))
            else:
                key = case_key(classname.decode(codec), name.decode(codec))
            bit = key % _BITMAP_BITS
            if bitmap[bit >> 3] & (1 << (bit & 7)):
                repeated.add(key)
            bitmap[bit >> 3] |= 1 << (bit & 7)
        carry = buffer[stop:]
        if len(carry) > _CARRY_LIMIT:
            return None
    return repeated


def _unfinished(buffer: bytes) -> int:
    """Where the scan of `buffer` stops: at its last `<` when that may start a `<testcase`
    tag that the next chunk completes (what follows it is scanned with the next chunk),
    else at its end."""
    start = buffer.rfind(b"<")
    if start < 0 or not _START.startswith(buffer[start : start + len(_START)]):
        return len(buffer)
    return len(buffer) if _TAG.match(buffer, start) else start


def _codec(head: bytes) -> str | None:
    """The Python codec that decodes the file as the parser does; None for another encoding
    (UTF-16 and the rest: their `<` is not the byte `<`, or a byte is not one character)."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
        bom = True
    else:
        bom = False
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4]:
        return None
    declared = _DECLARED.match(head) if head.startswith(b"<?xml") else None
    if declared is None:
        return "utf-8"
    codec = _CODECS.get(declared[1].decode("ascii").lower())
    return None if bom and codec != "utf-8" else codec


def _tag_key(attributes: bytes, codec: str) -> int:
    """The key of a start tag's attributes, as the parser would give them."""
    values = {b"classname": b"", b"name": b"", b"file": b""}
    for attribute, double, single in _ATTRIBUTE.findall(attributes):
        if attribute in values:
            values[attribute] = double or single
    classname, name = (_value(values[n], codec) for n in (b"classname", b"name"))
    return case_key(classname, name)


def _value(raw: bytes, codec: str) -> str:
    text = raw.decode(codec, "replace")  # a byte the codec refuses: the parser refuses it too
    text = text.replace("\r\n", " ").translate(_SPACES)
    return _REFERENCE.sub(_reference, text) if "&" in text else text


def _reference(match: re.Match[str]) -> str:
    hexadecimal, decimal, entity = match.groups()
    if entity:
        return _ENTITIES[entity]
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if 0 < code < 0xD800 or 0xDFFF < code < 0x110000:
        return chr(code)
    return match[0]  # not a character: the parser refuses the file
