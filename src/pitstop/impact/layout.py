"""Which dotted names each file can be imported as.

A file answers to every name under which some way of running the tests could import it, and
an import of any of them counts (a name too many only adds a dependency, one too few could
miss a test):

- relative to each source root: the repository root, `src/`, `lib/`, the folders that the
  packaging or pytest configuration name (`where`, `package-dir`, `pythonpath`) and those
  of `[tool.pitstop.affected] source-roots`. This gives src and flat layouts, several
  top-level packages, and namespace packages (folders without `__init__.py` below a root);
- by its `__init__.py` chain: the file's folder and the folders above that hold an
  `__init__.py`, as pytest's default `rootdir`-insertion imports tests and their helpers
  (`tests/helpers.py` without `tests/__init__.py` is `helpers`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

DEFAULT_SOURCE_ROOTS = ("", "src", "lib")


@dataclass(frozen=True)
class Layout:
    source_roots: tuple[str, ...]
    packages: frozenset[str]  # folders that hold an __init__.py
    # per-folder memo: the same few hundred folders hold thousands of files
    _chains: dict[str, tuple[str, ...] | None] = field(default_factory=dict, compare=False)
    _rooted: dict[str, list[tuple[str, ...]]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, files: Iterable[str], extra_roots: Iterable[str] = ()) -> Layout:
        """The layout of a repository whose Python files are `files`."""
        packages = frozenset(posixpath.dirname(f) for f in files if is_package(f))
        roots = dict.fromkeys([*DEFAULT_SOURCE_ROOTS, *extra_roots])
        return cls(tuple(roots), packages)

    def names(self, path: str) -> tuple[str, ...]:
        """Every dotted name `path` can be imported as; the canonical one first (the name
        from the deepest source root, unless the `__init__` chain says more)."""
        folder, file = posixpath.split(path)
        own = () if file == "__init__.py" else (file[:-3],)
        if own and not own[0].isidentifier():
            return ()
        prefix = self._chain(folder)
        chain = ".".join((*prefix, *own)) if prefix is not None else ""
        rooted = [".".join((*parts, *own)) for parts in self._roots(folder)]
        candidates = [n for n in rooted if len(n) >= len(chain)]
        first = min(candidates, key=len) if candidates else chain
        return tuple(dict.fromkeys(n for n in [first, chain, *rooted] if n))

    def parent_inits(self, path: str) -> Iterator[str]:
        """The `__init__.py` files that run before `path` when it is imported as a module."""
        folder = posixpath.dirname(path)
        if is_package(path):
            if not folder:
                return
            folder = posixpath.dirname(folder)
        while folder in self.packages:
            yield posixpath.join(folder, "__init__.py")
            if not folder:
                return
            folder = posixpath.dirname(folder)

    def _chain(self, folder: str) -> tuple[str, ...] | None:
        """The package names of `folder` by its `__init__.py` chain (None: not importable)."""
        if folder not in self._chains:
            if folder in self.packages and folder:
                parent, name = posixpath.split(folder)
                above = self._chain(parent)
                ok = above is not None and name.isidentifier()
                self._chains[folder] = (*above, name) if ok and above is not None else None
            else:
                self._chains[folder] = ()
        return self._chains[folder]

    def _roots(self, folder: str) -> list[tuple[str, ...]]:
        """The package names of `folder` relative to each source root that holds it."""
        if folder not in self._rooted:
            found = []
            for root in self.source_roots:
                if root and folder != root and not folder.startswith(root + "/"):
                    continue
                relative = folder[len(root) + 1 :] if root else folder
                parts = tuple(relative.split("/")) if relative else ()
                if all(p.isidentifier() for p in parts):
                    found.append(parts)
            self._rooted[folder] = found
        return self._rooted[folder]


def is_package(path: str) -> bool:
    return path == "__init__.py" or path.endswith("/__init__.py")
