"""`pitstop image`: a built image read once, measured, and weighed for Python.

The archive is read by `pitstop.parsers.image_archive` (streaming, nothing extracted); one
pass over its layers (`pitstop.image.analysis`) gives the layer figures, base versus added,
the waste and the budget verdict, and feeds the Python weight observer
(`pitstop.image.python_weight`). The base is given as another archive (its layers, certain)
or a digest; the Dockerfile, when given, is parsed by pitstop's one Dockerfile parser.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pitstop.errors import PitstopError
from pitstop.image.analysis import analyse
from pitstop.image.base import BaseLayers
from pitstop.image.budget import Budget
from pitstop.image.python_weight import PythonWeightObserver
from pitstop.image.records import (
    ImageReport as ImageReport,
)

if TYPE_CHECKING:
    from pitstop.parsers.dockerfile import Dockerfile


def inspect_image(
    archive: Path,
    *,
    platform: str | None = None,
    dockerfile: Path | None = None,
    target: str | None = None,
    base: str | None = None,
    budget: Budget | None = None,
    verify_digests: bool = True,
) -> ImageReport:
    """Measure the image in `archive` (a docker save archive, an OCI layout or its tar).

    `base` is the base image's archive or layout (its layers are then known for certain) or
    its manifest digest (`sha256:...` or `sha512:...`, which does not say how many layers
    it has)."""
    from pitstop.parsers.image_archive import read_image

    image = read_image(archive, platform=platform, verify_digests=verify_digests)
    weight = PythonWeightObserver()
    analysis = analyse(
        image,
        base=_base(base, platform, verify_digests),
        dockerfile=_dockerfile(dockerfile),
        target=target,
        budget=budget,
        observers=(weight,),
    )
    if weight.result is None:  # finish() always sets it: a broken observer is a bug
        raise AssertionError("the Python weight observer did not finish")
    return ImageReport(analysis, weight.result)


def _base(given: str | None, platform: str | None, verify: bool) -> BaseLayers | str | None:
    """The base's layers from its archive, or its digest as given."""
    from pitstop.parsers.image_archive import is_digest, read_image

    if given is None:
        return None
    if is_digest(given):
        return given
    path = Path(given)
    if not path.exists():
        raise PitstopError(
            "--base is neither an image archive or layout nor a digest (sha256:<64 hex> or "
            "sha512:<128 hex>)",
            path=given,
        )

    layers = read_image(path, platform=platform, verify_digests=verify).layers
    return BaseLayers(tuple(layer.diff_id or layer.digest for layer in layers))


def _dockerfile(path: Path | None) -> Dockerfile | None:
    if path is None:
        return None
    from pitstop.files import read_text_file
    from pitstop.parsers.dockerfile import parse_dockerfile

    return parse_dockerfile(read_text_file(path, str(path)), str(path))
