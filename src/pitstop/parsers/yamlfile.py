"""YAML as pitstop reads it: YAML 1.2 round-trip (so `on:` stays a string key), a line
number for every key, duplicate keys refused, size, nesting and alias expansion bounded."""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Mapping
from typing import Any, Final

from pitstop.errors import PitstopError

MAX_YAML_CHARS = 10 * 1024 * 1024
"""Refuse YAML larger than this: no real workflow or compose file comes near it."""

MAX_ALIAS_EXPANSION = 1_000_000
"""Refuse YAML whose aliases, fully expanded, would stand for more nodes than this."""

MAX_YAML_DEPTH = 100
"""Refuse YAML nested deeper than this. Real workflows nest about ten levels; ruamel's
composer recurses once per level (a traceback past Python's recursion limit) and its
scanner slows down with the square of the flow-collection depth (`[[[[...` of 5,000
levels takes a minute), so the bound is checked while scanning, before either bites."""


COMPOSE_TAGS: Final = frozenset({"!reset", "!override"})
"""The merge tags Compose defines for override files (`ports: !override [...]`,
`environment: !reset {}`): read as the plain value (`!override`) or as absent (`!reset`)."""


def load_yaml(text: str, path: str, tags: frozenset[str] = frozenset()) -> Any:
    """The round-trip document in `text`, or a PitstopError naming `path` and the line.

    Duplicate keys are an error, as they are for GitHub Actions and Compose. Only plain
    data is read, and the application tags in `tags` (COMPOSE_TAGS for compose files).
    """
    if len(text) > MAX_YAML_CHARS:
        limit = MAX_YAML_CHARS // (1024 * 1024)
        raise PitstopError(f"YAML file larger than {limit} MiB; refusing to parse it", path=path)
    return _load(text, path, tags)


def _load(text: str, path: str, tags: frozenset[str]) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Scanner = _bounded_scanner()
    yaml.Composer = _bounded_composer(tags)
    yaml.Constructor = _plain_constructor()
    try:
        with warnings.catch_warnings():
            # YAML 1.2 lets an anchor be defined again (the later one counts); ruamel's
            # warning about it would print a multi-line text on stderr.
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            return yaml.load(text)
    except _Refused as refused:
        raise PitstopError(refused.message, path=path, line=refused.line) from None
    except MarkedYAMLError as error:
        raise _yaml_error(error, path) from None
    except ReaderError as error:  # a character YAML forbids: ruamel names its offset
        line = text.count("\n", 0, error.position) + 1
        what = f"unacceptable character #x{error.character:04x}: {error.reason}"
        raise PitstopError(f"invalid YAML: {what}", path=path, line=line) from None
    except YAMLError as error:  # its text may span lines: errors are one line
        raise PitstopError(f"invalid YAML: {' '.join(str(error).split())}", path=path) from None


@functools.cache
def _bounded_scanner() -> Any:
    """ruamel's round-trip scanner, refusing flow collections nested past MAX_YAML_DEPTH."""
    from ruamel.yaml.scanner import RoundTripScanner, ScannerError

    class BoundedScanner(RoundTripScanner):
        def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
            if len(self.flow_context) >= MAX_YAML_DEPTH:
                raise ScannerError(None, None, _too_deep(), self.reader.get_mark())
            super().fetch_flow_collection_start(TokenClass, to_push)

    return BoundedScanner


class _Refused(Exception):
    """A document pitstop will not load, with the line that decided it."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message, self.line = message, line


@functools.cache
def _bounded_composer(tags: frozenset[str]) -> Any:
    """ruamel's composer, refusing nodes nested past MAX_YAML_DEPTH (block or flow) and
    aliases that expand past MAX_ALIAS_EXPANSION nodes, while it composes: one pass.

    ruamel shares aliased nodes instead of copying them, so loading is cheap; but any
    consumer that walks or serialises the result pays for the full expansion (nine levels
    of nine aliases stand for 9**9 nodes). Each alias adds the expanded size of the node it
    names (memoised per node) to a running total. An alias to a collection still being
    composed is recursive, which no workflow or compose file needs and a naive walker never
    leaves.
    """
    from ruamel.yaml.composer import Composer, ComposerError
    from ruamel.yaml.events import AliasEvent

    class BoundedComposer(Composer):
        def __init__(self, loader: Any = None):
            super().__init__(loader)
            self.nesting = 0
            self.expanded = 0
            self.sizes: dict[int, int] = {}

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.parser.check_event(AliasEvent):
                self._count_alias(self.parser.peek_event())
                return super().compose_node(parent, index)
            self.nesting += 1
            try:
                if self.nesting > MAX_YAML_DEPTH:
                    mark = self.parser.peek_event().start_mark
                    raise ComposerError(None, None, _too_deep(), mark)
                node = super().compose_node(parent, index)
            finally:
                self.nesting -= 1
            _check_plain(node, tags)
            return node

        def _count_alias(self, event: Any) -> None:
            target = self.anchors.get(event.anchor)
            if target is None:
                return  # ruamel reports the undefined alias
            line = event.start_mark.line + 1
            if target.end_mark is None:  # a collection still open: the alias is inside it
                raise _Refused(f"recursive YAML alias *{event.anchor}", line)
            self.expanded += _expanded_size(target, self.sizes)
            if self.expanded > MAX_ALIAS_EXPANSION:
                raise _Refused(
                    f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION} nodes "
                    "(a 'billion laughs' document); refusing to parse it",
                    line,
                )

    return BoundedComposer


_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "merge", "timestamp")
)
"""What a workflow, compose or bake file holds: GitHub and Compose read plain data. Anything
else (`!!set`, `!!omap`, `!!binary`, an application tag) is bad input, not a crash."""


def _check_plain(node: Any, tags: frozenset[str]) -> None:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    line = node.start_mark.line + 1
    if str(node.tag) not in _PLAIN_TAGS and str(node.tag) not in tags:
        raise _Refused(
            f"invalid YAML: {_short(node.tag)} is not plain data (GitHub and Compose read none)",
            line,
        )
    if isinstance(node, MappingNode):
        for key, _value in node.value:
            if isinstance(key, MappingNode | SequenceNode):
                raise _Refused(
                    "invalid YAML: a mapping or list used as a key", key.start_mark.line + 1
                )


_DEFAULT_TAGS: Final = {
    "scalar": "tag:yaml.org,2002:str",
    "sequence": "tag:yaml.org,2002:seq",
    "mapping": "tag:yaml.org,2002:map",
}


def _short(tag: object) -> str:
    return str(tag).replace("tag:yaml.org,2002:", "!!")


@functools.cache
def _plain_constructor() -> Any:
    """ruamel's round-trip constructor, turning a value its tag cannot hold (`!!int x`)
    into a refusal at the value's line instead of a ValueError."""
    from ruamel.yaml.constructor import RoundTripConstructor

    class PlainConstructor(RoundTripConstructor):
        def construct_object(self, node: Any, deep: bool = False) -> Any:
            if str(node.tag) == "!reset":
                return None
            if str(node.tag) == "!override":
                node.tag = _DEFAULT_TAGS[node.id]
            try:
                return super().construct_object(node, deep)
            except (ValueError, TypeError, OverflowError) as error:
                line = node.start_mark.line + 1
                raise _Refused(f"invalid YAML: {_short(node.tag)} {error}", line) from None

    return PlainConstructor


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """How many nodes `node` stands for with every alias in it expanded. Nodes already
    counted are looked up, so the walk never goes deeper than the document's nesting."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    value = node.value
    if isinstance(value, list):
        children = [
            part for item in value for part in (item if isinstance(item, tuple) else (item,))
        ]
        size = 1 + sum(_expanded_size(child, sizes) for child in children)
    else:
        size = 1
    sizes[id(node)] = size
    return size


def _too_deep() -> str:
    return f"nested deeper than {MAX_YAML_DEPTH} levels; refusing to parse it"


def _yaml_error(error: Any, path: str) -> PitstopError:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    what = " ".join(str(part) for part in (error.context, error.problem) if part)
    duplicate = _DUPLICATE.search(what)
    if duplicate:  # ruamel quotes both values in full: a whole job, on one line
        what = f"duplicate key {duplicate.group(1)}"
    what = " ".join(what.split())  # one line, however the parser wrapped it
    if len(what) > 200:
        what = what[:197] + "..."
    return PitstopError(f"invalid YAML: {what or type(error).__name__}", path=path, line=line)


_DUPLICATE = re.compile(r'found duplicate key ("(?:[^"\\]|\\.)*")')


def key_line(node: object, key: object) -> int | None:
    """The 1-based line of `key` in a round-trip mapping; None for a key merged by `<<`."""
    try:
        return int(node.lc.key(key)[0]) + 1  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return None


def node_line(node: object) -> int | None:
    try:
        return int(node.lc.line) + 1  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return None


def line_of(node: object, key: object) -> int:
    """The line of `key`, else of the mapping that holds it (for merged keys), else 1."""
    return key_line(node, key) or node_line(node) or 1


def scalar_text(value: object) -> str | None:
    """A scalar as the text a tool would receive: YAML 1.2 booleans in lower case."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        return None
    return str(value)


def mapping(value: object) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}
