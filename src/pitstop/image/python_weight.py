"""The Python-aware weight of an image: what its installed packages, bytecode, caches and
build toolchains cost in the final filesystem, and the layer that brought each.

An `Observer` of the single pass over the layers (`pitstop.image.observer`). From the
entries' headers, plus the content of a few small files it asks for (pip's RECORD files,
dpkg's and apk's databases), it computes a `PythonWeight` over the files visible at the end:
bytes stored but hidden by a later layer are the waste analysis's, not counted here.

Every figure is a sum of visible file sizes; a hard link counts the bytes of the file it
links to. What may be removed is said as such: a test folder or a `-dev` package is often
dead weight, but pitstop cannot see whether the application imports or loads it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from pitstop.image.observer import Visible
from pitstop.image.records import (
    Category as Category,
)
from pitstop.image.records import (
    Distribution as Distribution,
)
from pitstop.image.records import (
    Folder as Folder,
)
from pitstop.image.records import (
    Ownership as Ownership,
)
from pitstop.image.records import (
    PythonWeight as PythonWeight,
)
from pitstop.image.records import (
    ToolchainPackage as ToolchainPackage,
)
from pitstop.image.records import (
    Weight as Weight,
)
from pitstop.parsers.image_model import Entry, Kind, Layer
from pitstop.parsers.image_packages import (
    SystemPackage,
    apk_installed,
    dpkg_list_paths,
    dpkg_status,
    installed_files_paths,
    record_paths,
)

# The rules of `pitstop review` that keep each category out of an image (docs/rules.md).
PIP_CACHE_RULES = ("PS134",)
TOOL_CACHE_RULES = ("PS135",)
APT_LISTS_RULES = ("PS131",)
# PS101 (build tools in the shipped stage of a multi-stage build) and PS102 (a single-stage
# build that installs them) judge install commands of the Dockerfile. Toolchains that come
# with the base image are PS143's case (the full `python:` image) when that is the base:
# the caller, who knows which layers are the base's, names it.
TOOLCHAIN_RULES = ("PS101", "PS102")
BASE_TOOLCHAIN_RULE = "PS143"

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"  # distroless: one file per package
DPKG_INFO = "var/lib/dpkg/info/"
APK_INSTALLED = "lib/apk/db/installed"
_LISTED_NAMES = ("/RECORD", "/installed-files.txt")  # a distribution's list of its files ...
_LISTS = (".dist-info/RECORD", ".egg-info/installed-files.txt")  # ... in its own folder

# Packages that build software rather than run it: compilers, binutils and headers. Matched
# against names from the package databases only (a few hundred), never per file entry.
# `gcc-14-x86-64-linux-gnu` holds Debian 13's cc1; `gcc-12-base` (copyright files that
# libgcc-s1, a runtime library, depends on) does not match.
_TOOLCHAIN = re.compile(
    r"(?:gcc|g\+\+|cpp|gfortran|clang)(?:-\d[\d.]*)?(?:-[a-z0-9_-]+-linux-gnu\w*)?|"
    r"build-essential|build-base|binutils(?:-[\w.+-]+)?|rustc|cargo|.+-dev|.+-devel"
)
# The compiler proper, whichever package (or `make install`) put it there.
_COMPILER_FILES = ("/cc1", "/cc1plus", "/cc1obj", "/lto1", "/f951")
# Folders inside site-packages reported by name. `testing` and `_testing` are importable
# modules that other code calls at run time (numpy.testing, pandas._testing, torch.testing):
# reported apart and never as removable.
_FOLDER_KIND = {
    "tests": "tests",
    "test": "tests",
    "docs": "docs",
    "doc": "docs",
    "testing": "testing",
    "_testing": "testing",
}


def is_toolchain_package(name: str) -> bool:
    """Whether a dpkg or apk package name is a compiler, binutils or a `-dev` headers package."""
    return _TOOLCHAIN.fullmatch(name) is not None

    # the declared bytes in the layer of its distroless `status.d` file, or None


_K = TypeVar("_K")
_FILE = Kind.FILE  # module globals: read once per visible file
_HARDLINK = Kind.HARDLINK


class _Tally:
    """Bytes and files of one category, by layer, while the visible files are walked."""

    __slots__ = ("by_layer", "bytes", "files")

    def __init__(self) -> None:
        self.bytes = 0
        self.files = 0
        self.by_layer: dict[int, int] = {}

    def add(self, size: int, layer: int) -> None:
        self.bytes += size
        self.files += 1
        self.by_layer[layer] = self.by_layer.get(layer, 0) + size

    def weight(self) -> Weight:
        layers = tuple(sorted(self.by_layer.items(), key=lambda kv: (-kv[1], kv[0])))
        return Weight(self.bytes, self.files, layers[0][0] if layers else None, layers)


def _add(tallies: dict[_K, _Tally], key: _K, size: int, layer: int) -> None:
    """Adds a file to the tally under `key`, made on first use (no tally built per call)."""
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = _Tally()
    tally.add(size, layer)


def _folders(tallies: Mapping[str, _Tally]) -> tuple[Folder, ...]:
    folders = [Folder(path, t.weight()) for path, t in tallies.items()]
    return tuple(sorted(folders, key=lambda f: (-f.weight.bytes, f.path)))


def _merged(tallies: Iterable[_Tally]) -> _Tally:
    total = _Tally()
    for t in tallies:
        total.bytes += t.bytes
        total.files += t.files
        for layer, size in t.by_layer.items():
            total.by_layer[layer] = total.by_layer.get(layer, 0) + size
    return total


def site_packages_of(path: str) -> str | None:
    """The `site-packages` or `dist-packages` folder a path is inside, or None."""
    i = path.find("-packages/")
    while i >= 4:
        start = i - 4
        if path[start:i] in ("site", "dist") and (start == 0 or path[start - 1] == "/"):
            return path[: i + 9]
        i = path.find("-packages/", i + 10)
    return None


_CACHES = (
    # (key, folder under `.cache/`, folders of it that are not a cache)
    ("pip-cache", "pip/", ()),
    ("uv-cache", "uv/", ()),
    # Poetry creates its virtualenvs under its cache folder: they are the installed app.
    ("poetry-cache", "pypoetry/", ("pypoetry/virtualenvs/",)),
)


def cache_of(path: str) -> tuple[str, str] | None:
    """(category key, cache root) of a path inside a package cache, or None. Every cache it
    knows starts with `var/` or holds `.cache/`: `_Walk.visit` calls it only for such paths
    (a call per file of the image costs), so a cache elsewhere must widen that test too."""
    if path.startswith("var/lib/apt/lists/"):
        return "apt-lists", "var/lib/apt/lists"
    if path.startswith("var/cache/apt/archives/") and path.endswith(".deb"):
        return "apt-archives", "var/cache/apt/archives"
    i = path.find(".cache/")
    if i < 0 or (i > 0 and path[i - 1] != "/"):
        return None
    rest = path[i + 7 :]
    for key, folder, excluded in _CACHES:
        if rest.startswith(folder) and not rest.startswith(excluded):
            return key, path[: i + 7 + len(folder) - 1]
    return None


def _source_of(pyc: str) -> str:
    """The `.py` a `.pyc` was compiled from (`d/__pycache__/m.cpython-311.pyc` -> `d/m.py`)."""
    folder, _, name = pyc.rpartition("/")
    if folder == "__pycache__" or folder.endswith("/__pycache__"):
        parent = folder[: -len("__pycache__")]  # `d/`, or `` at the root
        return parent + name.split(".", 1)[0] + ".py"
    return pyc[:-1]


def _dist_name(folder: str) -> tuple[str, str | None]:
    """(name, version) from `name-version.dist-info` or `name-version-py3.11.egg-info`."""
    stem = posixpath.basename(folder).rsplit(".", 1)[0]
    name, _, rest = stem.partition("-")
    return name, (rest.split("-", 1)[0] or None)


def _package_of_list(path: str) -> str:
    """`gcc-12` from `var/lib/dpkg/info/gcc-12:amd64.list`."""
    return path[len(DPKG_INFO) : -len(".list")].split(":", 1)[0]


_NOTES = {
    "pip-cache": "pip's download and wheel cache: not read at run time",
    "uv-cache": "uv's cache: not read at run time (files hard-linked into an environment "
    "are counted there, not here)",
    "poetry-cache": "Poetry's download cache (its virtualenvs folder is not counted)",
    "apt-lists": "apt package indexes from apt-get update: not read at run time",
    "apt-archives": "downloaded .deb files: `apt-get clean` in the same RUN, or a cache "
    "mount on /var/cache/apt, keeps them out",
    "bytecode": "compiled bytecode: removing it makes Python recompile at every start (or "
    "fail to, on a read-only filesystem); a .pyc without its .py is the only copy of that code",
    "tests": "test folders inside installed packages: may be removable, unless something "
    "imports them (numpy.test() runs numpy's)",
    "docs": "documentation folders inside installed packages: may be removable, unless the "
    "package reads them at run time",
    "testing-modules": "importable testing helpers (numpy.testing, pandas._testing): some "
    "packages import them at run time; not counted as removable",
    "build-toolchain": "compilers, binutils and -dev headers: needed to build extensions, "
    "rarely to run them (a ctypes loader may open a -dev package's unversioned .so)",
}
_TITLES = {
    "pip-cache": "pip cache",
    "uv-cache": "uv cache",
    "poetry-cache": "Poetry cache",
    "apt-lists": "apt lists",
    "apt-archives": "apt archives",
    "bytecode": "Python bytecode",
    "tests": "tests in site-packages",
    "docs": "docs in site-packages",
    "testing-modules": "testing modules in site-packages",
    "build-toolchain": "build toolchain",
}
_RULES: dict[str, tuple[str, ...]] = {
    "pip-cache": PIP_CACHE_RULES,
    "uv-cache": TOOL_CACHE_RULES,
    "poetry-cache": TOOL_CACHE_RULES,
    "apt-lists": APT_LISTS_RULES,
    "build-toolchain": TOOLCHAIN_RULES,
}


def _category(
    key: str,
    tallies: Mapping[str, _Tally],
    unmeasured: int = 0,
    more: Iterable[_Tally] = (),
) -> Category:
    """A category over folder tallies, plus tallies that are not folders (`more`: the files
    of toolchain packages, listed in `PythonWeight.toolchain_packages`)."""
    return Category(
        key,
        _TITLES[key],
        _merged([*tallies.values(), *more]).weight(),
        _RULES.get(key, ()),
        _NOTES[key],
        _folders(tallies),
        unmeasured,
    )


@dataclass(slots=True)
class PythonWeightObserver:
    """Computes a `PythonWeight` from the one pass over an image's layers.

    `see` keeps only what `finish` cannot get from the visible map: the content of the files
    it asked for, hard links' targets and top-level symlinks (`lib -> usr/lib`, to find a
    package's files on a merged-/usr image). Memory grows with those, not with bytes."""

    result: PythonWeight | None = None
    _contents: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    _links: dict[str, tuple[int, str]] = field(default_factory=dict)
    _top_symlinks: dict[str, tuple[int, str]] = field(default_factory=dict)

    def wants(self, path: str) -> bool:
        """RECORDs, egg-info file lists, dpkg's and apk's databases, toolchains' dpkg lists."""
        if path.endswith(_LISTED_NAMES):  # one test per path for the two names
            return path.endswith(_LISTS)
        if path.startswith("var/lib/dpkg/"):
            return self._wants_dpkg(path)
        return path == APK_INSTALLED

    @staticmethod
    def _wants_dpkg(path: str) -> bool:
        if path == DPKG_STATUS:
            return True
        if path.startswith(DPKG_STATUS_D):
            return not path.endswith(".md5sums")
        return (
            path.startswith(DPKG_INFO)
            and path.endswith(".list")
            and is_toolchain_package(_package_of_list(path))
        )

    def see(self, layer: Layer, entry: Entry) -> None:
        """Keeps asked-for content, hard link targets and top-level symlinks, by layer."""
        if entry.content is not None:
            if self.wants(entry.path):
                self._contents[entry.path] = (layer.index, entry.content)
        elif entry.link is not None:
            if entry.kind is Kind.HARDLINK:
                self._links[entry.path] = (layer.index, posixpath.normpath(entry.link.lstrip("/")))
            elif entry.kind is Kind.SYMLINK and "/" not in entry.path:
                self._top_symlinks[entry.path] = (layer.index, entry.link)

    def finish(self, visible: Mapping[str, Visible]) -> None:
        """Computes `result` over the final filesystem."""
        self.result = _Computation(self, visible).run()

    def content(self, path: str, visible: Mapping[str, Visible]) -> str | None:
        """The kept content of `path` if it is the visible version, decoded, else None."""
        kept = self._contents.get(path)
        shown = visible.get(path)
        if kept is None or shown is None or shown.layer != kept[0]:
            return None
        return kept[1].decode("utf-8", errors="replace")

    def kept_paths(self) -> list[str]:
        """The paths whose content was kept, sorted."""
        return sorted(self._contents)

    def hard_link_target(self, path: str, layer: int) -> str | None:
        """The file a hard link stored in `layer` points to."""
        link = self._links.get(path)
        return link[1] if link is not None and link[0] == layer else None

    def hard_links(self) -> Iterable[tuple[str, int, str]]:
        """(path, layer, target) of every hard link seen."""
        return ((path, layer, target) for path, (layer, target) in self._links.items())

    def top_symlink(self, name: str, layer: int) -> str | None:
        """The target of a top-level symlink stored in `layer`, image-relative."""
        link = self._top_symlinks.get(name)
        if link is None or link[0] != layer:
            return None
        return posixpath.normpath(link[1].lstrip("/")) if link[1].startswith("/") else link[1]


class _Computation:
    """One `finish`: the visible files walked once, after the package databases are read."""

    def __init__(self, seen: PythonWeightObserver, visible: Mapping[str, Visible]) -> None:
        self.seen = seen
        self.visible = visible
        self.notes: list[str] = []
        self.shared = self._hard_link_targets()
        self._lists: dict[str, list[str]] | None = None

    def run(self) -> PythonWeight:
        owned, distributions = self._distributions()
        toolchain_claimed, packages, unmeasured = self._toolchain()
        walk = _Walk(self, owned, toolchain_claimed)
        for path, shown in self.visible.items():
            walk.visit(path, shown)
        return walk.result(distributions, packages, unmeasured, self.notes)

    def size(self, path: str, shown: Visible) -> int:
        """Bytes a visible path holds: a hard link holds its target's (same layer's) bytes."""
        if shown.kind is Kind.FILE:
            return shown.size
        target = self.seen.hard_link_target(path, shown.layer)
        found = self.visible.get(target) if target is not None else None
        if found is not None and found.kind is Kind.FILE and found.layer == shown.layer:
            return found.size
        return 0

    def _hard_link_targets(self) -> set[str]:
        """Cache paths whose bytes a path outside that cache shares through a hard link
        (uv links its cache into the environment): deleting the cache would not free them,
        so the cache does not count them, whichever of the two the tar stored first."""
        shared: set[str] = set()
        for path, layer, target in self.seen.hard_links():
            shown = self.visible.get(path)
            if shown is None or shown.kind is not Kind.HARDLINK or shown.layer != layer:
                continue
            target_cache, link_cache = cache_of(target), cache_of(path)
            if target_cache != link_cache:
                shared.update(p for p, c in ((target, target_cache), (path, link_cache)) if c)
        return shared

    def resolve(self, path: str) -> str | None:
        """`path` as the image holds it, following a top-level symlink (`lib/x` on a
        merged-/usr image is `usr/lib/x`)."""
        if path in self.visible:
            return path
        top, sep, rest = path.partition("/")
        shown = self.visible.get(top)
        if not sep or shown is None or shown.kind is not Kind.SYMLINK:
            return None
        target = self.seen.top_symlink(top, shown.layer)
        if target is None:
            return None
        resolved = posixpath.normpath(posixpath.join(target, rest))
        return resolved if resolved in self.visible else None

    def _distributions(self) -> tuple[dict[str, int], list[_Dist]]:
        owned: dict[str, int] = {}
        dists: list[_Dist] = []
        for path in self.seen.kept_paths():
            listed = self._listed_files(path)
            if listed is None:
                continue
            folder = posixpath.dirname(path)
            name, version = _dist_name(folder)
            ownership = Ownership.RECORD if path.endswith("RECORD") else Ownership.INSTALLED_FILES
            dist = _Dist(name, version, posixpath.dirname(folder), ownership)
            for file in (*listed, path):
                owned.setdefault(file, len(dists))  # a file two RECORDs list counts once
            dists.append(dist)
        return owned, dists

    def _listed_files(self, path: str) -> list[str] | None:
        if not (path.endswith("/RECORD") or path.endswith("/installed-files.txt")):
            return None
        text = self.seen.content(path, self.visible)
        if text is None:
            return None
        folder = posixpath.dirname(path)
        if path.endswith("/RECORD"):
            return record_paths(posixpath.dirname(folder), text)
        return installed_files_paths(folder, text)

    def _toolchain(self) -> tuple[dict[str, int], list[_Package], int]:
        claimed: dict[str, int] = {}
        packages: list[_Package] = []
        unmeasured = 0
        for package, manager, files, layer in self._installed_toolchain():
            index = len(packages)
            packages.append(_Package(package, manager, files is not None, layer))
            if files is None:
                unmeasured += package.declared_bytes or 0
                continue
            for file in files:
                resolved = self.resolve(file)
                if resolved is not None:
                    claimed.setdefault(resolved, index)
        return claimed, packages, unmeasured

    def _installed_toolchain(
        self,
    ) -> Iterable[tuple[SystemPackage, str, Iterable[str] | None, int | None]]:
        """(package, manager, its files when listed, the layer of its own status file)."""
        for path in self.seen.kept_paths():
            text = self.seen.content(path, self.visible)
            if text is None:
                continue
            if path == APK_INSTALLED:
                for package in apk_installed(text):
                    if is_toolchain_package(package.name):
                        yield package, "apk", package.files, None
            elif path == DPKG_STATUS or path.startswith(DPKG_STATUS_D):
                # distroless writes one status file per package, in the layer installing it
                own = self.visible[path].layer if path != DPKG_STATUS else None
                for package in dpkg_status(text):
                    if is_toolchain_package(package.name):
                        yield package, "dpkg", self._dpkg_files(package.name), own
        if DPKG_STATUS in self.visible and self.seen.content(DPKG_STATUS, self.visible) is None:
            yield from self._toolchain_from_lists()

    def _toolchain_from_lists(
        self,
    ) -> Iterable[tuple[SystemPackage, str, Iterable[str] | None, int | None]]:
        """dpkg's status was too large to keep: the toolchain packages whose file list was
        kept are still found (dpkg removes a package's list when it removes the package)."""
        self.notes.append(
            f"{DPKG_STATUS} could not be read: toolchain packages are found from their file "
            "lists only, without versions"
        )
        for name in sorted(self._list_index()):
            files = self._dpkg_files(name)
            if files is not None:
                yield SystemPackage(name, None, None), "dpkg", files, None

    def _list_index(self) -> dict[str, list[str]]:
        """Package name -> the kept `info/*.list` paths of that name (one per architecture)."""
        if self._lists is None:
            self._lists = {}
            for path in self.seen.kept_paths():
                if path.startswith(DPKG_INFO):
                    self._lists.setdefault(_package_of_list(path), []).append(path)
        return self._lists

    def _dpkg_files(self, name: str) -> list[str] | None:
        """The files of a package's `info/NAME.list` (or `NAME:ARCH.list`), when kept."""
        for path in self._list_index().get(name, ()):
            text = self.seen.content(path, self.visible)
            if text is not None:
                return dpkg_list_paths(text)
        return None


@dataclass(slots=True)
class _Dist:
    name: str
    version: str | None
    site_packages: str
    ownership: Ownership
    tally: _Tally = field(default_factory=_Tally)


@dataclass(slots=True)
class _Package:
    package: SystemPackage
    manager: str
    measured: bool
    status_layer: int | None
    tally: _Tally = field(default_factory=_Tally)

    def record(self) -> ToolchainPackage:
        if not self.measured:
            declared = self.package.declared_bytes or 0
            layers = () if self.status_layer is None else ((self.status_layer, declared),)
            weight = Weight(declared, 0, self.status_layer, layers) if layers else None
            return ToolchainPackage(
                self.package.name, self.package.version, self.manager, declared, False, weight
            )
        weight = self.tally.weight()
        return ToolchainPackage(
            self.package.name, self.package.version, self.manager, weight.bytes, True, weight
        )


class _Walk:
    """The one walk over the visible files, adding each to the categories it belongs to."""

    def __init__(self, run: _Computation, owned: dict[str, int], toolchain: dict[str, int]) -> None:
        self.run = run
        self.owned = owned
        self.toolchain = toolchain
        self.site: dict[str, _Tally] = {}
        self.unowned: dict[tuple[str, str], _Tally] = {}
        self.dist_tallies: dict[int, _Tally] = {}
        self.package_tallies: dict[int, _Tally] = {}
        self.loose_compilers: dict[str, _Tally] = {}
        self.caches: dict[str, dict[str, _Tally]] = {}
        self.bytecode: dict[str, _Tally] = {}
        self.bytecode_site = _Tally()
        self.bytecode_sourced = _Tally()
        self.folders: dict[str, dict[str, _Tally]] = {"tests": {}, "docs": {}, "testing": {}}
        self.unread_records: list[str] = []

    def visit(self, path: str, shown: Visible) -> None:
        kind = shown.kind
        if kind is _FILE:
            size = shown.size
        elif kind is _HARDLINK:
            size = self.run.size(path, shown)
        else:
            return
        layer = shown.layer
        bytecode = path.endswith(".pyc") or "__pycache__/" in path
        owner = self.owned.get(path)
        if owner is None and bytecode and path.endswith(".pyc"):
            # compiled after the install (Debian's py3compile, compileall, or at import):
            # the distribution whose source it compiles owns it
            owner = self.owned.get(_source_of(path))
        if owner is not None:
            _add(self.dist_tallies, owner, size, layer)
        elif path.endswith(".dist-info/RECORD"):
            self.unread_records.append(path)  # over the reader's bound, or not a CSV
        package = self.toolchain.get(path)
        if package is not None:
            _add(self.package_tallies, package, size, layer)
        elif path.endswith(_COMPILER_FILES):
            _add(self.loose_compilers, path.rpartition("/")[0], size, layer)
        # cheap tests first: the two calls below find nothing for most paths of an image
        cache = cache_of(path) if path.startswith("var/") or ".cache/" in path else None
        if cache is not None and path not in self.run.shared:
            _add(self.caches.setdefault(cache[0], {}), cache[1], size, layer)
        site = site_packages_of(path) if "-packages/" in path else None
        if bytecode:
            self._bytecode(path, site is not None, size, layer)
        if site is not None:
            self._in_site_packages(path, site, owner is None, size, layer)

    def _bytecode(self, path: str, in_site: bool, size: int, layer: int) -> None:
        _add(self.bytecode, path.rpartition("/")[0], size, layer)
        if in_site:
            self.bytecode_site.add(size, layer)
        if path.endswith(".pyc") and _source_of(path) in self.run.visible:
            self.bytecode_sourced.add(size, layer)

    def _in_site_packages(self, path: str, site: str, unowned: bool, size: int, layer: int) -> None:
        _add(self.site, site, size, layer)
        relative = path[len(site) + 1 :]
        if unowned:
            _add(self.unowned, (site, relative.partition("/")[0]), size, layer)
        if "test" not in relative and "doc" not in relative:
            return  # the common case: no folder of interest, no split
        parts = relative.split("/")
        for depth, part in enumerate(parts[:-1]):
            kind = _FOLDER_KIND.get(part)
            if kind is not None:
                folder = site + "/" + "/".join(parts[: depth + 1])
                _add(self.folders[kind], folder, size, layer)
                return

    def result(
        self, dists: list[_Dist], packages: list[_Package], unmeasured: int, notes: list[str]
    ) -> PythonWeight:
        distributions = [self._distribution(i, d) for i, d in enumerate(dists)]
        unowned = [
            Distribution(top, None, site, Ownership.FOLDER, t.weight())
            for (site, top), t in self.unowned.items()
        ]
        for i, p in enumerate(packages):
            p.tally = self.package_tallies.get(i, _Tally())
        toolchain_records = [p.record() for p in packages]
        if self.unread_records:
            notes.append(
                f"{len(self.unread_records)} RECORD file(s) could not be read (first: "
                f"{sorted(self.unread_records)[0]}): their packages' files are counted by folder"
            )
        return PythonWeight(
            site_packages=_folders(self.site),
            distributions=tuple(
                sorted([*distributions, *unowned], key=lambda d: (-d.weight.bytes, d.name))
            ),
            unowned=_merged(self.unowned.values()).weight(),
            bytecode=_category("bytecode", self.bytecode),
            bytecode_in_site_packages=self.bytecode_site.weight(),
            bytecode_with_sources=self.bytecode_sourced.weight(),
            tests=_category("tests", self.folders["tests"]),
            docs=_category("docs", self.folders["docs"]),
            testing_modules=_category("testing-modules", self.folders["testing"]),
            toolchain=_category(
                "build-toolchain", self.loose_compilers, unmeasured, (p.tally for p in packages)
            ),
            toolchain_packages=tuple(sorted(toolchain_records, key=lambda p: (-p.bytes, p.name))),
            caches=tuple(
                _category(key, self.caches[key])
                for key in ("pip-cache", "uv-cache", "poetry-cache", "apt-lists", "apt-archives")
                if key in self.caches
            ),
            notes=tuple(notes),
        )

    def _distribution(self, index: int, dist: _Dist) -> Distribution:
        weight = self.dist_tallies.get(index, _Tally()).weight()
        return Distribution(dist.name, dist.version, dist.site_packages, dist.ownership, weight)
