"""The package databases read inside an image: RECORD, egg-info lists, dpkg, apk."""

from __future__ import annotations

import pytest

from pitstop.parsers.image_packages import (
    SystemPackage,
    apk_installed,
    dpkg_list_paths,
    dpkg_status,
    installed_files_paths,
    record_paths,
)

SITE = "opt/venv/lib/python3.12/site-packages"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("six.py,sha256=abc,34549", [f"{SITE}/six.py"]),
        ("six-1.16.0.dist-info/RECORD,,", [f"{SITE}/six-1.16.0.dist-info/RECORD"]),
        ("../../../bin/black,sha256=x,220", ["opt/venv/bin/black"]),
        ("/usr/local/bin/tool,,", ["usr/local/bin/tool"]),  # absolute: pip outside the prefix
        ('"pkg/a,b.py",sha256=x,3', [f"{SITE}/pkg/a,b.py"]),  # CSV quoting
        ("../../../../../../../etc/passwd,,", []),  # leaves the image root: ignored
        ("", []),
        # rows a plain join would leave unnormalised (the common rows skip normpath)
        ("pkg//mod.py,,", [f"{SITE}/pkg/mod.py"]),
        ("pkg/./mod.py,,", [f"{SITE}/pkg/mod.py"]),
        ("pkg/sub/../mod.py,,", [f"{SITE}/pkg/mod.py"]),
        ("./top.py,,", [f"{SITE}/top.py"]),
        ("pkg/data/,,", [f"{SITE}/pkg/data"]),
        ("pkg/.hidden,,", [f"{SITE}/pkg/.hidden"]),
    ],
)
def test_record_paths_are_image_relative(row: str, expected: list[str]) -> None:
    assert record_paths(SITE, row + "\n") == expected


def test_installed_files_are_relative_to_the_egg_info_folder() -> None:
    folder = "usr/lib/python3/dist-packages/foo-1.0.egg-info"
    text = "../foo/__init__.py\nPKG-INFO\n\n../../../../bin/foo\n"
    assert installed_files_paths(folder, text) == [
        "usr/lib/python3/dist-packages/foo/__init__.py",
        f"{folder}/PKG-INFO",
        "usr/bin/foo",
    ]


def test_dpkg_list_keeps_paths_without_the_root() -> None:
    assert dpkg_list_paths("/.\n/usr\n/usr/bin/gcc-12\n") == ["usr", "usr/bin/gcc-12"]


DPKG_STATUS = """\
Package: gcc-12
Status: install ok installed
Installed-Size: 36000
Version: 12.2.0-14
Description: GNU C compiler
 Package: not-a-field
 Installed-Size: 1

Package: old-tool
Status: deinstall ok config-files
Installed-Size: 10
Version: 1.0

Package: libpq-dev
Status: install ok installed
Installed-Size: 1024
Version: 15.5-0+deb12u1

Package: nosize
Status: install ok installed
"""


def test_dpkg_status_lists_installed_packages_with_their_declared_size() -> None:
    assert dpkg_status(DPKG_STATUS) == [
        SystemPackage("gcc-12", "12.2.0-14", 36000 * 1024),
        SystemPackage("libpq-dev", "15.5-0+deb12u1", 1024 * 1024),
        SystemPackage("nosize", None, None),
    ]


def test_distroless_status_file_without_a_status_field_counts_as_installed() -> None:
    # distroless's status.d/<package> files carry no Status line
    text = "Package: libssl3\nVersion: 3.0.11\nInstalled-Size: 6000\n"
    assert dpkg_status(text) == [SystemPackage("libssl3", "3.0.11", 6000 * 1024)]


def test_apk_installed_lists_each_package_files() -> None:
    text = (
        "C:Q1abc=\nP:gcc\nV:13.2.1-r0\nI:50000000\nF:usr/bin\nR:gcc\nR:cc\n"
        "F:usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1\nR:cc1\n\n"
        "P:musl\nV:1.2.4-r2\nI:600000\nF:lib\nR:ld-musl-x86_64.so.1\n"
    )
    gcc, musl = apk_installed(text)
    assert gcc == SystemPackage(
        "gcc",
        "13.2.1-r0",
        50000000,
        ("usr/bin/gcc", "usr/bin/cc", "usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1/cc1"),
    )
    assert musl.files == ("lib/ld-musl-x86_64.so.1",)
