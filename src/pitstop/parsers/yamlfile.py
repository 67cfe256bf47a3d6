"""YAML as pitstop reads it: YAML 1.2 round-trip (so `on:` stays a string key), a line
number for every key, duplicate keys refused, size and alias expansion bounded."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pitstop.errors import PitstopError

MAX_YAML_CHARS = 10 * 1024 * 1024
"""Refuse YAML larger than this: no real workflow or compose file comes near it."""

MAX_ALIAS_EXPANSION = 1_000_000
"""Refuse YAML whose aliases, fully expanded, would stand for more nodes than this."""


def load_yaml(text: str, path: str) -> Any:
    """The round-trip document in `text`, or a PitstopError naming `path` and the line.

    Duplicate keys are an error, as they are for GitHub Actions and Compose.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if len(text) > MAX_YAML_CHARS:
        limit = MAX_YAML_CHARS // (1024 * 1024)
        raise PitstopError(f"YAML file larger than {limit} MiB; refusing to parse it", path=path)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        if "*" in text:  # an alias needs `*name`; without one there is nothing to expand
            _check_alias_expansion(yaml.parse(text), path)
        return yaml.load(text)
    except MarkedYAMLError as error:
        raise _yaml_error(error, path) from None
    except YAMLError as error:
        raise PitstopError(f"invalid YAML: {error}", path=path) from None


def _yaml_error(error: Any, path: str) -> PitstopError:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    what = " ".join(str(part) for part in (error.context, error.problem) if part)
    return PitstopError(f"invalid YAML: {what or type(error).__name__}", path=path, line=line)


def _check_alias_expansion(events: Iterator[Any], path: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_ALIAS_EXPANSION nodes.

    ruamel shares aliased nodes instead of copying them, so loading is cheap; but any
    consumer that walks or serialises the result pays for the full expansion (nine
    levels of nine aliases stand for 9**9 nodes). Counting on the event stream costs
    one pass: each anchored node's expanded size is recorded when it closes, and an
    alias adds that size to its parent. An alias to a node still open is recursive,
    which no workflow or compose file needs and a naive walker never leaves.
    """
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        ScalarEvent,
    )

    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = [(None, 0)]
    expanded = 0
    for event in events:
        if isinstance(event, CollectionStartEvent):
            open_nodes.append((event.anchor, 1))
            continue
        if isinstance(event, AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_nodes):
                raise PitstopError(
                    f"recursive YAML alias *{event.anchor}",
                    path=path,
                    line=event.start_mark.line + 1,
                )
            size = sizes.get(event.anchor, 1)
            expanded += size
            if expanded > MAX_ALIAS_EXPANSION:
                raise PitstopError(
                    f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION} nodes "
                    "(a 'billion laughs' document); refusing to parse it",
                    path=path,
                    line=event.start_mark.line + 1,
                )
        elif isinstance(event, ScalarEvent):
            size = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, CollectionEndEvent):
            anchor, size = open_nodes.pop()
            if anchor:
                sizes[anchor] = size
        else:
            continue
        anchor, total = open_nodes[-1]
        open_nodes[-1] = (anchor, total + size)


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
