"""The package databases found inside an image: pip's RECORD files, dpkg's and apk's status.

Pure text-in, records-out: the image analysis (`pitstop.image.python_weight`) asks the layer
reader for the content of these few small files and parses them here. Formats:
- RECORD (https://packaging.python.org/en/latest/specifications/recording-installed-packages/):
  CSV rows `path,hash,size`, the path relative to the site-packages folder (`../../bin/x`
  for scripts) or absolute.
- `installed-files.txt` of an `.egg-info` folder: one path a line, relative to that folder.
- dpkg `status` (and distroless `status.d/*`): RFC 822 paragraphs; `Installed-Size` in KiB.
- dpkg `info/PKG.list`: one absolute path a line, folders included.
- apk `lib/apk/db/installed`: `P:` name, `V:` version, `I:` installed bytes, `F:` a folder
  and `R:` a file in it, paragraphs separated by a blank line.
"""

from __future__ import annotations

import csv
import posixpath
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SystemPackage:
    """An installed OS package as its manager's database states it."""

    name: str
    version: str | None
    declared_bytes: int | None  # dpkg's Installed-Size (KiB, an estimate) or apk's I: bytes
    files: tuple[str, ...] = ()  # image-relative paths, when the database lists them (apk)


def _image_path(base: str, written: str) -> str | None:
    """`written` resolved against the folder `base` (image-relative), or None when it leaves
    the image root or is empty."""
    written = written.strip()
    if not written:
        return None
    if (
        base
        and written[0] not in "./"
        and written[-1] != "/"
        and "/." not in written
        and "//" not in written
    ):
        return f"{base}/{written}"  # already normal (as `base` is): what normpath returns
    joined = written.lstrip("/") if written.startswith("/") else posixpath.join(base, written)
    path = posixpath.normpath(joined)
    if path == "." or path == ".." or path.startswith("../"):
        return None
    return path


def record_paths(site_packages: str, text: str) -> list[str]:
    """The image-relative paths a RECORD lists (`site_packages` is the folder it is relative to)."""
    paths: list[str] = []
    for row in csv.reader(text.splitlines()):
        if row:
            path = _image_path(site_packages, row[0])
            if path is not None:
                paths.append(path)
    return paths


def installed_files_paths(egg_info: str, text: str) -> list[str]:
    """The image-relative paths an `.egg-info/installed-files.txt` lists."""
    paths = (_image_path(egg_info, line) for line in text.splitlines())
    return [p for p in paths if p is not None]


def dpkg_list_paths(text: str) -> list[str]:
    """The image-relative paths of a dpkg `info/PKG.list` (folders included: the caller
    counts only what the image holds as files)."""
    paths = (_image_path("", line) for line in text.splitlines())
    return [p for p in paths if p is not None]


def _paragraphs(text: str) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            groups[-1].append(line)
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]


def _fields(lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in lines:
        if line[:1] in (" ", "\t"):
            continue  # a continuation line (Description, Conffiles): never a field we read
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def dpkg_status(text: str) -> list[SystemPackage]:
    """The installed packages of a dpkg status file: a package removed but whose configuration
    files remain (`deinstall ok config-files`) has no files and is left out."""
    packages: list[SystemPackage] = []
    for paragraph in _paragraphs(text):
        fields = _fields(paragraph)
        name = fields.get("package")
        status = fields.get("status", "install ok installed").split()
        if not name or status[-1:] != ["installed"]:
            continue
        kib = _int(fields.get("installed-size"))
        size = kib * 1024 if kib is not None else None
        packages.append(SystemPackage(name, fields.get("version"), size))
    return packages


def apk_installed(text: str) -> list[SystemPackage]:
    """The packages of Alpine's `lib/apk/db/installed`, with the files each one installed."""
    packages: list[SystemPackage] = []
    for paragraph in _paragraphs(text):
        name = version = size = None
        folder = ""
        files: list[str] = []
        for line in paragraph:
            key, value = line[:2], line[2:]
            if key == "P:":
                name = value
            elif key == "V:":
                version = value
            elif key == "I:":
                size = _int(value)
            elif key == "F:":
                folder = value
            elif key == "R:":
                path = _image_path(folder, value)
                if path is not None:
                    files.append(path)
        if name:
            packages.append(SystemPackage(name, version, size, tuple(files)))
    return packages
