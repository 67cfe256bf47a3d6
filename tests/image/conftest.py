"""Fixtures of the image tests: one real layered image, built once per session."""

from __future__ import annotations

import pytest

from tests.image.images import LAYERED_STEPS, BuiltImage, build_image


@pytest.fixture(scope="session")
def layered_image(tmp_path_factory: pytest.TempPathFactory) -> BuiltImage:
    """`LAYERED_STEPS` built with buildah and exported in the three forms skopeo writes."""
    return build_image(tmp_path_factory.mktemp("layered-image"), LAYERED_STEPS)
