"""Real container images for the tests of `pitstop image`, built here with buildah and
exported with skopeo (no daemon, no registry): each step is a commit with its own
`created_by`, files are added with `buildah copy` and deleted by removing them from the
mounted working container, so the commit writes a real whiteout.

Missing buildah or skopeo skips the test, except under CI=true, where .ci/run installs them
and the test fails. Each build has its own storage root under the test's temporary folder.

    steps = [Step("COPY app /app", {"app/a.txt": b"hello"}), Step("RUN rm /app/a.txt", remove=["app/a.txt"])]
    built = build_image(tmp_path, steps)
    read_image(built.docker_archive)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TOOLS = ("buildah", "skopeo")


@dataclass(frozen=True)
class Symlink:
    """A symlink to add, pointing at `target` as written."""

    target: str


@dataclass(frozen=True)
class Step:
    """One layer: files added (path relative to the root -> content or Symlink), then paths
    removed from the layers below; `created_by` is the history entry buildah records."""

    created_by: str
    add: dict[str, bytes | Symlink] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BuiltImage:
    """One image in every form pitstop reads."""

    docker_archive: Path  # skopeo docker-archive: (legacy docker save layout)
    oci_dir: Path  # skopeo oci:DIR (gzip layers)
    oci_archive: Path  # skopeo oci-archive:FILE
    storage: str  # the containers-storage reference, for further exports


def require_tools() -> None:
    """Skip (fail under CI=true) when buildah or skopeo is missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install -y buildah skopeo)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; .ci/run should have installed them")
        pytest.skip(message)


class Builder:
    """buildah and skopeo on a storage root of their own (vfs: no overlay mount needed)."""

    def __init__(self, folder: Path) -> None:
        require_tools()
        self.folder = folder
        self.root = folder / "storage"
        self.runroot = folder / "run"
        self.storage_options = [
            "--storage-driver",
            "vfs",
            "--root",
            str(self.root),
            "--runroot",
            str(self.runroot),
        ]
        self.steps = 0

    def buildah(self, *args: str) -> str:
        return _run(["buildah", *self.storage_options, *args])

    def reference(self, name: str) -> str:
        return f"containers-storage:[vfs@{self.root}+{self.runroot}]localhost/{name}"

    def build(self, name: str, steps: list[Step], *, arch: str | None = None) -> str:
        """Commits one image per step, each from the previous one; returns its reference."""
        base = "scratch"
        for number, step in enumerate(steps):
            container = self.buildah("from", "--pull=never", "--quiet", base).strip()
            if arch is not None:
                self.buildah("config", "--arch", arch, container)
            self.buildah("config", "--created-by", step.created_by, container)
            self._add(container, step.add)
            self._remove(container, step.remove)
            tag = f"localhost/{name}:{number}"
            self.buildah("commit", "--quiet", "--rm", container, tag)
            base = tag
        final = f"localhost/{name}:latest"
        self.buildah("tag", base, final)
        return final

    def _add(self, container: str, files: dict[str, bytes | Symlink]) -> None:
        if not files:
            return
        self.steps += 1
        context = self.folder / f"context-{self.steps}"
        for relative, content in files.items():
            target = context / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Symlink):
                target.symlink_to(content.target)
            else:
                target.write_bytes(content)
        # `buildah copy DIR /` copies the folder's content, as `COPY . /` does
        self.buildah("copy", "--quiet", container, str(context), "/")

    def _remove(self, container: str, paths: list[str]) -> None:
        """Deletes from the mounted root: the commit's diff records each as a whiteout."""
        if not paths:
            return
        mounted = Path(self.buildah("mount", container).strip())
        try:
            for relative in paths:
                target = mounted / relative
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                else:
                    target.unlink()
        finally:
            self.buildah("umount", container)

    def export(self, name: str, destination: str, *extra: str) -> None:
        """`skopeo copy` of the built image to `destination` (`oci:DIR`, `docker-archive:F`)."""
        _run(["skopeo", "copy", "--quiet", *extra, self.reference(name), destination])


def build_image(folder: Path, steps: list[Step], name: str = "pitstop-test") -> BuiltImage:
    """Builds `steps` and exports the image as a docker-archive, an OCI layout directory and
    an OCI archive, under `folder`."""
    builder = Builder(folder)
    builder.build(name, steps)
    built = BuiltImage(
        docker_archive=folder / "docker-archive.tar",
        oci_dir=folder / "oci",
        oci_archive=folder / "oci-archive.tar",
        storage=builder.reference(name),
    )
    builder.export(name, f"docker-archive:{built.docker_archive}")
    builder.export(name, f"oci:{built.oci_dir}")
    builder.export(name, f"oci-archive:{built.oci_archive}")
    return built


def _run(command: list[str]) -> str:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {completed.stderr.strip()}")
    return completed.stdout


# An image with every change a layer can make, small enough to build in a few seconds: the
# tests of the reader and of the analysis share it.
LAYERED_STEPS = [
    Step(
        "COPY app /app",
        {
            "app/a.txt": b"hello\n",
            "app/b.txt": b"bye\n",
            "app/data.bin": bytes(range(256)) * 20,
            "app/pkg/__init__.py": b"",
        },
    ),
    Step("RUN rm /app/b.txt", remove=["app/b.txt"]),
    Step("COPY a.txt /app/a.txt", {"app/a.txt": b"hello, changed\n", "app/link": Symlink("a.txt")}),
    Step("RUN rm -r /app/pkg", remove=["app/pkg"]),
]
