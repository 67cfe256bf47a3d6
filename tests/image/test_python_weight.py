"""The Python-aware weight of an image, from synthetic layers fed as the one pass feeds them."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

from pitstop.image.observer import Visible
from pitstop.image.python_weight import (
    BASE_TOOLCHAIN_RULE,
    Category,
    Ownership,
    PythonWeight,
    PythonWeightObserver,
    Weight,
    is_toolchain_package,
)
from pitstop.parsers.image_model import Entry, Kind, Layer

SITE = "opt/venv/lib/python3.12/site-packages"
DIST = "usr/lib/python3/dist-packages"


def layer(index: int) -> Layer:
    return Layer(
        index, f"sha256:{index:064x}", None, "application/vnd.oci.image.layer.v1.tar", 0, False
    )


def f(path: str, size: int = 0, content: str | None = None) -> Entry:
    """A regular file; `content` is what the reader would keep for a wanted path."""
    data = content.encode() if content is not None else None
    return Entry(path, Kind.FILE, len(data) if data is not None and not size else size, None, data)


def hardlink(path: str, target: str) -> Entry:
    return Entry(path, Kind.HARDLINK, 0, target)


def symlink(path: str, target: str) -> Entry:
    return Entry(path, Kind.SYMLINK, 0, target)


def whiteout(path: str) -> Entry:
    return Entry(path, Kind.WHITEOUT)


def weigh(layers: Sequence[Sequence[Entry]]) -> PythonWeight:
    """Runs the observer as the analysis does: every entry bottom to top, content only for
    wanted paths, then the final filesystem (overlay semantics computed here, by hand)."""
    observer = PythonWeightObserver()
    visible: dict[str, Visible] = {}
    for index, entries in enumerate(layers):
        for entry in entries:
            kept = entry.content if observer.wants(entry.path) else None
            observer.see(layer(index), Entry(entry.path, entry.kind, entry.size, entry.link, kept))
            if entry.kind is Kind.WHITEOUT:
                for path in [
                    p for p in visible if p == entry.path or p.startswith(entry.path + "/")
                ]:
                    del visible[path]
            else:
                visible[entry.path] = Visible(entry.path, entry.kind, entry.size, index)
    observer.finish(visible)
    assert observer.result is not None
    return observer.result


def cache(result: PythonWeight, key: str) -> Category:
    (found,) = [c for c in result.caches if c.key == key]
    return found


def dist(result: PythonWeight, name: str) -> tuple[Ownership, int, int | None]:
    (found,) = [d for d in result.distributions if d.name == name]
    return found.ownership, found.weight.bytes, found.weight.layer


BLACK_RECORD = (
    "black/__init__.py,sha256=a,100\n"
    "black/__pycache__/__init__.cpython-312.pyc,,\n"
    "../../../bin/black,sha256=b,50\n"
    "black-24.1.0.dist-info/METADATA,sha256=c,7\n"
    "black-24.1.0.dist-info/RECORD,,\n"
)


def test_record_counts_a_distribution_files_scripts_in_bin_included() -> None:
    record = f"{SITE}/black-24.1.0.dist-info/RECORD"
    result = weigh(
        [
            [],
            [
                f(f"{SITE}/black/__init__.py", 100),
                f(f"{SITE}/black/__pycache__/__init__.cpython-312.pyc", 80),
                f("opt/venv/bin/black", 50),
                f(f"{SITE}/black-24.1.0.dist-info/METADATA", 7),
                f(record, content=BLACK_RECORD),
            ],
        ]
    )
    (black,) = result.distributions
    assert (black.name, black.version, black.site_packages) == ("black", "24.1.0", SITE)
    assert black.ownership is Ownership.RECORD
    assert black.weight == Weight(237 + len(BLACK_RECORD), 5, 1, ((1, 237 + len(BLACK_RECORD)),))
    assert result.unowned == Weight()
    assert [s.path for s in result.site_packages] == [SITE]  # bin/black is outside it


@pytest.mark.parametrize(
    ("script", "written"),
    [
        ("usr/bin/yamltool", "../../../bin/yamltool"),
        ("usr/lib/bin/yamltool", "../../bin/yamltool"),  # resolved as written, not guessed
    ],
)
def test_record_paths_up_from_dist_packages(script: str, written: str) -> None:
    record = f"yaml/__init__.py,,\n{written},,\n"
    result = weigh(
        [
            [
                f(f"{DIST}/yaml/__init__.py", 10),
                f(script, 5),
                f(f"{DIST}/PyYAML-6.0.dist-info/RECORD", content=record),
            ]
        ]
    )
    assert dist(result, "PyYAML") == (Ownership.RECORD, 15 + len(record), 0)


def test_bytecode_compiled_after_the_install_belongs_to_the_source_distribution() -> None:
    # Debian's py3compile (or compileall in a RUN) writes .pyc files no RECORD lists
    record = "pip/__init__.py,,\n"
    result = weigh(
        [
            [
                f(f"{DIST}/pip/__init__.py", 10),
                f(f"{DIST}/pip-23.0.1.dist-info/RECORD", content=record),
            ],
            [
                f(f"{DIST}/pip/__pycache__/__init__.cpython-311.pyc", 20),
                f(f"{DIST}/pip/__pycache__/orphan.cpython-311.pyc", 5),  # no owned source
            ],
        ]
    )
    assert [(d.name, d.ownership, d.weight.bytes) for d in result.distributions] == [
        ("pip", Ownership.RECORD, 30 + len(record)),
        ("pip", Ownership.FOLDER, 5),
    ]
    assert result.unowned == Weight(5, 1, 1, ((1, 5),))


def test_files_no_record_lists_are_grouped_by_top_level_name() -> None:
    result = weigh(
        [
            [
                f(f"{DIST}/six.py", 30),
                f(f"{DIST}/apt/__init__.py", 20),
                f(f"{DIST}/apt/package.py", 40),
                f(f"{DIST}/python_apt-2.6.0.egg-info", 3),  # a file: no list of files
            ]
        ]
    )
    assert dist(result, "apt") == (Ownership.FOLDER, 60, 0)
    assert dist(result, "six.py") == (Ownership.FOLDER, 30, 0)
    assert result.unowned.bytes == 93
    assert result.site_packages[0].weight.bytes == 93


def test_egg_info_installed_files_owns_its_package() -> None:
    egg = f"{SITE}/legacy-1.0-py3.12.egg-info"
    listed = "../legacy/__init__.py\nPKG-INFO\n"
    result = weigh(
        [
            [
                f(f"{SITE}/legacy/__init__.py", 11),
                f(f"{egg}/PKG-INFO", 4),
                f(f"{egg}/installed-files.txt", content=listed),
            ]
        ]
    )
    assert dist(result, "legacy") == (Ownership.INSTALLED_FILES, 15 + len(listed), 0)
    assert result.unowned == Weight()


def test_a_record_deleted_later_no_longer_owns_its_files() -> None:
    record = f"{SITE}/six-1.16.0.dist-info/RECORD"
    result = weigh(
        [
            [f(f"{SITE}/six.py", 30), f(record, content="six.py,,\n")],
            [whiteout(f"{SITE}/six-1.16.0.dist-info")],
        ]
    )
    assert [d.name for d in result.distributions] == ["six.py"]
    assert result.distributions[0].ownership is Ownership.FOLDER


def test_a_record_too_large_to_keep_is_said_so() -> None:
    result = weigh([[f(f"{SITE}/big-1.0.dist-info/RECORD", 10**9), f(f"{SITE}/big/x.py", 5)]])
    assert dist(result, "big") == (Ownership.FOLDER, 5, 0)
    assert result.notes == (
        "1 RECORD file(s) could not be read (first: "
        f"{SITE}/big-1.0.dist-info/RECORD): their packages' files are counted by folder",
    )


def test_tests_and_docs_folders_are_may_be_removable_and_testing_modules_are_not() -> None:
    result = weigh(
        [
            [
                f(f"{SITE}/numpy/__init__.py", 10),
                f(f"{SITE}/numpy/testing/__init__.py", 40),  # imported at run time by others
                f(f"{SITE}/numpy/testing/_private/utils.py", 60),
                f(f"{SITE}/numpy/core/tests/test_multiarray.py", 300),
                f(f"{SITE}/numpy/core/tests/data/x.npy", 200),
                f(f"{SITE}/numpy/tests.py", 9),  # a module, not a folder
                f(f"{SITE}/pandas/_testing/__init__.py", 25),
                f(f"{SITE}/tests/__init__.py", 1),  # a package that installed its test suite
                f(f"{SITE}/requests/docs/index.rst", 70),
            ]
        ]
    )
    assert [(x.path, x.weight.bytes) for x in result.tests.folders] == [
        (f"{SITE}/numpy/core/tests", 500),
        (f"{SITE}/tests", 1),
    ]
    assert result.tests.weight.bytes == 501
    assert "may be removable" in result.tests.note
    assert result.tests.rules == ()
    assert [(x.path, x.weight.bytes) for x in result.docs.folders] == [
        (f"{SITE}/requests/docs", 70)
    ]
    assert result.testing_modules.weight.bytes == 125
    assert "not counted as removable" in result.testing_modules.note


def test_bytecode_anywhere_in_site_packages_and_with_its_source() -> None:
    result = weigh(
        [
            [
                f(f"{SITE}/pkg/mod.py", 10),
                f(f"{SITE}/pkg/__pycache__/mod.cpython-312.pyc", 20),
                f(f"{SITE}/pkg/__pycache__/gone.cpython-312.pyc", 30),  # sourceless: the code
                f("app/main.py", 5),
                f("app/__pycache__/main.cpython-312.opt-1.pyc", 40),
                f("app/legacy.pyc", 7),
                f("app/legacy.py", 1),
            ]
        ]
    )
    assert result.bytecode.weight.bytes == 97
    assert result.bytecode.rules == ()  # no rule of pitstop review covers bytecode
    assert result.bytecode_in_site_packages.bytes == 50
    assert result.bytecode_with_sources.bytes == 67
    assert [x.path for x in result.bytecode.folders] == [
        f"{SITE}/pkg/__pycache__",
        "app/__pycache__",
        "app",
    ]


@pytest.mark.parametrize(
    ("path", "key", "root"),
    [
        ("root/.cache/pip/http-v2/a/b", "pip-cache", "root/.cache/pip"),
        ("home/app/.cache/pip/wheels/x.whl", "pip-cache", "home/app/.cache/pip"),
        ("root/.cache/uv/archive-v0/x/y.py", "uv-cache", "root/.cache/uv"),
        ("root/.cache/pypoetry/cache/repositories/x", "poetry-cache", "root/.cache/pypoetry"),
        ("root/.cache/pypoetry/artifacts/a/b.whl", "poetry-cache", "root/.cache/pypoetry"),
        (
            "var/lib/apt/lists/deb.debian.org_dists_bookworm_main_binary-amd64_Packages.lz4",
            "apt-lists",
            "var/lib/apt/lists",
        ),
        (
            "var/cache/apt/archives/gcc-12_12.2.0_amd64.deb",
            "apt-archives",
            "var/cache/apt/archives",
        ),
    ],
)
def test_caches_are_found_under_any_home(path: str, key: str, root: str) -> None:
    found = cache(weigh([[], [f(path, 1000)]]), key)
    assert (found.weight.bytes, found.weight.layer, [x.path for x in found.folders]) == (
        1000,
        1,
        [root],
    )


@pytest.mark.parametrize(
    "path",
    [
        "root/.cache/pypoetry/virtualenvs/app-abc-py3.12/lib/python3.12/site-packages/x.py",
        "root/my.cache/pip/x",  # not a `.cache` folder
        "var/cache/apt/archives/lock",  # not a package
        "root/.cache/huggingface/x.bin",  # a model cache is the application's data
    ],
)
def test_paths_that_are_not_package_caches(path: str) -> None:
    assert weigh([[f(path, 1000)]]).caches == ()


@pytest.mark.parametrize(
    ("key", "rules"),
    [
        ("pip-cache", ("PS134",)),
        ("uv-cache", ("PS135",)),
        ("poetry-cache", ("PS135",)),
        ("apt-lists", ("PS131",)),
        ("apt-archives", ()),  # no rule of pitstop review covers `apt-get clean`
    ],
)
def test_each_cache_names_the_rule_that_keeps_it_out(key: str, rules: tuple[str, ...]) -> None:
    paths = {
        "pip-cache": "root/.cache/pip/x",
        "uv-cache": "root/.cache/uv/x",
        "poetry-cache": "root/.cache/pypoetry/cache/x",
        "apt-lists": "var/lib/apt/lists/x_Packages",
        "apt-archives": "var/cache/apt/archives/x.deb",
    }
    assert cache(weigh([[f(paths[key], 1)]]), key).rules == rules


def test_the_layer_that_brought_a_cache_is_the_one_storing_most_visible_bytes() -> None:
    result = weigh(
        [
            [],
            [f("root/.cache/pip/a", 100), f("root/.cache/pip/b", 900)],
            [f("root/.cache/pip/c", 500), f("root/.cache/pip/b", 10)],  # b rewritten smaller
        ]
    )
    pip = cache(result, "pip-cache")
    assert pip.weight == Weight(610, 3, 2, ((2, 510), (1, 100)))


def test_apt_lists_deleted_later_are_not_visible_weight() -> None:
    # stored in layer 0 but hidden: the waste analysis reports those bytes, not this one
    result = weigh([[f("var/lib/apt/lists/x_Packages", 5000)], [whiteout("var/lib/apt/lists")]])
    assert result.caches == ()


def test_uv_cache_files_hard_linked_into_the_environment_are_the_environment_bytes() -> None:
    record = "pkg/m.py,,\n"
    result = weigh(
        [
            [
                f("root/.cache/uv/archive-v0/abc/pkg/m.py", 400),
                f("root/.cache/uv/archive-v0/abc/pkg/n.py", 30),
                hardlink(f"{SITE}/pkg/m.py", "root/.cache/uv/archive-v0/abc/pkg/m.py"),
                f(f"{SITE}/pkg-1.0.dist-info/RECORD", content=record),
            ]
        ]
    )
    assert cache(result, "uv-cache").weight.bytes == 30  # deleting the cache frees only n.py
    assert dist(result, "pkg") == (Ownership.RECORD, 400 + len(record), 0)


def test_environment_files_hard_linked_into_the_uv_cache_are_not_cache_bytes() -> None:
    # the tar stored the environment's path first: the cache's is the hard link
    result = weigh(
        [
            [
                f(f"{SITE}/pkg/m.py", 400),
                hardlink("root/.cache/uv/archive-v0/abc/pkg/m.py", f"{SITE}/pkg/m.py"),
                f("root/.cache/uv/archive-v0/abc/pkg/n.py", 30),
            ]
        ]
    )
    assert cache(result, "uv-cache").weight == Weight(30, 1, 0, ((0, 30),))


GCC_STATUS = """\
Package: gcc-12
Status: install ok installed
Installed-Size: 40000
Version: 12.2.0-14

Package: gcc-12-base
Status: install ok installed
Installed-Size: 100
Version: 12.2.0-14

Package: cpp-12
Status: install ok installed
Installed-Size: 30000
Version: 12.2.0-14

Package: libpq-dev
Status: install ok installed
Installed-Size: 1500
Version: 15.5-0+deb12u1

Package: libpq5
Status: install ok installed
Installed-Size: 900
Version: 15.5-0+deb12u1
"""


def test_dpkg_toolchain_packages_measured_from_their_file_lists() -> None:
    gcc_list = (
        "/.\n/usr\n/usr/bin/x86_64-linux-gnu-gcc-12\n/usr/lib/gcc/x86_64-linux-gnu/12/collect2\n"
    )
    libpq_list = "/usr/include/postgresql/libpq-fe.h\n/lib/x86_64-linux-gnu/libpq.a\n"
    result = weigh(
        [
            [
                symlink("lib", "usr/lib"),  # merged /usr: the list says /lib, the tar usr/lib
                f("usr/lib/x86_64-linux-gnu/libpq.so.5", 300),
            ],
            [
                f("usr/bin/x86_64-linux-gnu-gcc-12", 1000),
                f("usr/lib/gcc/x86_64-linux-gnu/12/collect2", 200),
                f("usr/lib/gcc/x86_64-linux-gnu/12/cc1", 30000),  # cpp-12's: no list kept
                f("usr/include/postgresql/libpq-fe.h", 70),
                f("usr/lib/x86_64-linux-gnu/libpq.a", 500),
                f("var/lib/dpkg/info/gcc-12:amd64.list", content=gcc_list),
                f("var/lib/dpkg/info/libpq-dev:amd64.list", content=libpq_list),
                f("var/lib/dpkg/info/libpq5:amd64.list", content="/x\n"),  # not asked for
                f("var/lib/dpkg/status", content=GCC_STATUS),
            ],
        ]
    )
    packages = {
        p.name: (p.bytes, p.measured, p.weight.layer if p.weight else None)
        for p in result.toolchain_packages
    }
    assert packages == {
        "gcc-12": (1200, True, 1),
        "libpq-dev": (570, True, 1),
        "cpp-12": (30000 * 1024, False, None),  # declared: which layer installed it is unknown
    }
    toolchain = result.toolchain
    # cc1 is cpp-12's, but without its list it is counted as a loose compiler file, once
    assert toolchain.weight.bytes == 1200 + 570 + 30000
    assert [x.path for x in toolchain.folders] == ["usr/lib/gcc/x86_64-linux-gnu/12"]
    assert toolchain.unmeasured_bytes == 30000 * 1024
    assert toolchain.rules == ("PS101", "PS102")
    assert toolchain.weight.layer == 1
    assert BASE_TOOLCHAIN_RULE == "PS143"


def test_toolchain_found_from_file_lists_when_dpkg_status_is_too_large_to_keep() -> None:
    result = weigh(
        [
            [
                f("usr/bin/gcc-12", 1000),
                f("var/lib/dpkg/info/gcc-12:amd64.list", content="/usr/bin/gcc-12\n"),
                f("var/lib/dpkg/status", 50_000_000),  # no content: over the reader's bound
            ]
        ]
    )
    assert [(p.name, p.version, p.bytes) for p in result.toolchain_packages] == [
        ("gcc-12", None, 1000)
    ]
    assert "var/lib/dpkg/status could not be read" in result.notes[0]


def test_distroless_status_d_declares_sizes_in_the_layer_that_installed_them() -> None:
    status = "Package: libpq-dev\nVersion: 15\nInstalled-Size: 2\n"
    result = weigh([[], [], [f("var/lib/dpkg/status.d/libpq-dev", content=status)]])
    (package,) = result.toolchain_packages
    assert (package.name, package.bytes, package.measured) == ("libpq-dev", 2048, False)
    assert package.weight is not None and package.weight.layer == 2


def test_apk_toolchain_measured_from_the_installed_database() -> None:
    db = (
        "P:gcc\nV:13.2.1-r0\nI:90000000\nF:usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1\n"
        "R:cc1\n\nP:musl-dev\nV:1.2.4\nI:100\nF:usr/include\nR:stdio.h\n\n"
        "P:musl\nV:1.2.4\nI:600\nF:lib\nR:ld-musl-x86_64.so.1\n"
    )
    result = weigh(
        [
            [f("lib/ld-musl-x86_64.so.1", 600)],
            [
                f("usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1/cc1", 5000),
                f("usr/include/stdio.h", 40),
                f("lib/apk/db/installed", content=db),
            ],
        ]
    )
    assert [(p.name, p.manager, p.bytes) for p in result.toolchain_packages] == [
        ("gcc", "apk", 5000),
        ("musl-dev", "apk", 40),
    ]
    assert result.toolchain.folders == ()  # cc1 is gcc's, not loose
    assert result.toolchain.weight.bytes == 5040


def test_a_compiler_built_from_source_is_found_by_its_files() -> None:
    result = weigh([[f("usr/local/libexec/gcc/x86_64-pc-linux-gnu/13/cc1plus", 9000)]])
    assert result.toolchain.weight.bytes == 9000
    assert result.toolchain_packages == ()


@pytest.mark.parametrize(
    ("name", "toolchain"),
    [
        ("gcc", True),
        ("gcc-12", True),
        ("g++-12", True),
        ("cpp-14-x86-64-linux-gnu", True),
        ("gcc-14-x86-64-linux-gnu", True),
        ("build-essential", True),
        ("binutils-common", True),
        ("libpq-dev", True),
        ("linux-libc-dev", True),
        ("gcc-12-base", False),  # copyright files a runtime library depends on
        ("libgcc-s1", False),
        ("libpq5", False),
        ("udev", False),
        ("make", False),
        ("python3", False),
    ],
)
def test_toolchain_package_names(name: str, toolchain: bool) -> None:
    assert is_toolchain_package(name) is toolchain


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        (f"{SITE}/six-1.16.0.dist-info/RECORD", True),
        (f"{SITE}/six-1.16.0.dist-info/METADATA", False),
        (f"{SITE}/pkg/RECORD", False),
        (f"{SITE}/x-1.0.egg-info/installed-files.txt", True),
        ("var/lib/dpkg/status", True),
        ("var/lib/dpkg/status-old", False),
        ("var/lib/dpkg/status.d/libssl3", True),
        ("var/lib/dpkg/status.d/libssl3.md5sums", False),
        ("var/lib/dpkg/info/gcc-12:amd64.list", True),
        ("var/lib/dpkg/info/gcc-12.md5sums", False),
        ("var/lib/dpkg/info/libc6:amd64.list", False),
        ("lib/apk/db/installed", True),
        ("usr/bin/python3", False),
    ],
)
def test_wants_only_the_package_databases(path: str, wanted: bool) -> None:
    assert PythonWeightObserver().wants(path) is wanted


def test_see_on_200k_entries_is_fast() -> None:
    entries = [Entry(f"{SITE}/pkg{i % 500}/sub/mod{i}.py", Kind.FILE, 1000) for i in range(200_000)]
    observer = PythonWeightObserver()
    bottom = layer(0)
    start = time.perf_counter()
    for entry in entries:
        observer.wants(entry.path)
        observer.see(bottom, entry)
    # measured at about 0.1 s on a shared 2-core machine; the bound leaves room for load
    assert time.perf_counter() - start < 2.0
