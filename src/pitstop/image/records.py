"""The records `pitstop image` computes, in one module of their own so that the reports read
them without importing the analysis (or the archive reader below it).

Where each is computed: `Hidden` and `WastedFile` by the layered filesystem
(`pitstop.image.filesystem`), `BaseSource` and `BaseBoundary` by `pitstop.image.base`,
`BudgetVerdict` by `pitstop.image.budget`, `DockerfileLine` by `pitstop.image.dockerfile_map`,
the figures of the image by `pitstop.image.analysis`, the Python weight by
`pitstop.image.python_weight`; `ImageReport` is what `pitstop image` renders."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Hidden(Enum):
    """How a stored version came to be invisible."""

    OVERWRITTEN = "overwritten"  # the same path written again, later in the tar or a layer above
    DELETED = "deleted"  # a whiteout of the path or of a directory above it
    OPAQUE = "opaque"  # an opaque marker on a directory above it
    REPLACED = "replaced"  # a directory replaced by a file, or a file by a directory


@dataclass(frozen=True, slots=True)
class WastedFile:
    """One stored file version the final filesystem does not show."""

    path: str
    bytes: int
    stored_in: int  # index of the layer whose tar stores these bytes
    hidden_by: int  # index of the layer that hid them (the same layer for a double write)
    how: Hidden


class BaseSource(Enum):
    LAYERS = "layers"  # the base's own layers were given: certain
    DOCKERFILE = "dockerfile"  # the history's top steps match the Dockerfile: assumed
    BUILDKIT = "buildkit"  # the history's top steps were written by BuildKit: assumed
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class BaseBoundary:
    """How many bottom layers are the base's, how that was found, and whether it is assumed."""

    layers: int | None  # None when unknown
    rows: int  # how many history rows (layers and empty steps) are the base's: 0 if unknown
    source: BaseSource
    assumed: bool
    reason: str
    digest: str | None = None  # the base's manifest digest, when given or annotated


@dataclass(frozen=True, slots=True)
class BudgetVerdict:
    limit: int
    added: bool
    measured: int | None  # None when the added bytes are unknown (the base is unknown)
    over: bool | None  # None when unmeasured: never called over on a guess
    reason: str | None = None  # why unmeasured, or the assumption the measure rests on
    assumed: bool = False  # the added bytes rest on a base boundary found by assumption


@dataclass(frozen=True, slots=True)
class DockerfileLine:
    """Where in the Dockerfile a step's instruction is written."""

    path: str
    line: int
    end_line: int
    keyword: str


@dataclass(frozen=True, slots=True)
class LayerFigures:
    """One row of the image: a layer with what it did, or a history step that made none."""

    index: int | None  # the layer's index, bottom 0; None for an empty step
    digest: str | None
    diff_id: str | None
    created_by: str | None  # None when the history does not say (see `history_note`)
    comment: str | None
    empty: bool  # a step that made no layer (ENV, CMD, ...)
    compressed_bytes: int
    compressed: bool  # whether the blob is stored compressed (a docker save tar is not)
    uncompressed_bytes: int
    file_bytes: int  # content bytes of the regular files the layer stores
    files_added: int
    files_changed: int
    files_deleted: int
    base: bool  # below the base boundary (how it was found: `ImageAnalysis.base`)
    instruction: DockerfileLine | None  # the Dockerfile line that wrote it, when matched


@dataclass(frozen=True, slots=True)
class ImageBytes:
    compressed: int
    uncompressed: int
    base: int | None  # None when the base's layers are unknown
    added: int | None


@dataclass(frozen=True, slots=True)
class Waste:
    """Bytes stored in a layer and not visible in the final filesystem, each version once."""

    bytes: int
    files: tuple[WastedFile, ...]  # largest first


@dataclass(frozen=True, slots=True)
class ImageAnalysis:
    source: str
    platform: str
    other_platforms: tuple[str, ...]
    layers: tuple[LayerFigures, ...]  # history order, bottom first, empty steps included
    history_note: str | None  # why steps are not paired with layers, when they are not
    bytes: ImageBytes
    base: BaseBoundary
    waste: Waste
    visible_files: int  # non-directory paths in the final filesystem
    visible_bytes: int  # their content bytes (a hard link's once, see filesystem)
    budget: BudgetVerdict | None
    dockerfile: str | None  # the Dockerfile mapped, if one was given


class Ownership(Enum):
    """How a distribution's files were found."""

    RECORD = "RECORD"  # the `.dist-info/RECORD` pip (or uv, Poetry) wrote
    INSTALLED_FILES = "installed-files.txt"  # an `.egg-info` install's file list
    FOLDER = "folder"  # no RECORD lists these files: grouped by their top-level name


@dataclass(frozen=True, slots=True)
class Weight:
    """Visible bytes and files, with the layers that stored them."""

    bytes: int = 0
    files: int = 0
    layer: int | None = None  # the layer that stored most of these bytes (lowest on a tie)
    layers: tuple[tuple[int, int], ...] = ()  # (layer index, bytes), most bytes first


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder (or a cache root) and the visible weight under it."""

    path: str
    weight: Weight


@dataclass(frozen=True, slots=True)
class Distribution:
    """One installed Python distribution, or a top-level name no RECORD owns."""

    name: str  # as the `.dist-info` folder spells it (`typing_extensions`), or the folder
    version: str | None
    site_packages: str  # the folder the RECORD's paths are relative to
    ownership: Ownership
    weight: Weight  # its files wherever they are, scripts in `bin/` included


@dataclass(frozen=True, slots=True)
class Category:
    """One kind of weight, ready to render: what it is, how much, where, and what prevents it."""

    key: str  # stable id: pip-cache, uv-cache, poetry-cache, apt-lists, apt-archives,
    # bytecode, tests, docs, testing-modules, build-toolchain
    title: str
    weight: Weight
    rules: tuple[str, ...]  # pitstop review rules that would have kept it out; () for none
    note: str  # what the figure means, and how sure the claim is
    folders: tuple[Folder, ...] = ()  # where it is, most bytes first
    unmeasured_bytes: int = 0  # declared by a package database whose file list is absent


@dataclass(frozen=True, slots=True)
class ToolchainPackage:
    """A build toolchain package installed in the final image."""

    name: str
    version: str | None
    manager: str  # "dpkg" or "apk"
    bytes: int  # measured from its visible files when `measured`, else as declared
    measured: bool
    weight: Weight | None  # its visible files and their layers, when measured; unmeasured,


@dataclass(frozen=True, slots=True)
class PythonWeight:
    """What Python packaging and its build left in the final filesystem."""

    site_packages: tuple[Folder, ...]  # every site-packages / dist-packages folder
    distributions: tuple[Distribution, ...]  # most bytes first
    unowned: Weight  # files in site-packages that no RECORD lists (the FOLDER distributions)
    bytecode: Category  # `.pyc` and `__pycache__` anywhere in the image
    bytecode_in_site_packages: Weight
    bytecode_with_sources: Weight  # `.pyc` whose `.py` is visible too
    tests: Category
    docs: Category
    testing_modules: Category
    toolchain: Category  # its folders: compiler files (cc1...) no package database lists
    toolchain_packages: tuple[ToolchainPackage, ...]  # most bytes first
    caches: tuple[Category, ...]  # pip, uv, Poetry, apt lists, apt archives: present ones
    notes: tuple[str, ...] = ()  # assumptions a reader should know (a RECORD unreadable...)


@dataclass(frozen=True, slots=True)
class ImageReport:
    """What `pitstop image` reports: the analysis and the Python weight of one image."""

    analysis: ImageAnalysis
    python: PythonWeight
