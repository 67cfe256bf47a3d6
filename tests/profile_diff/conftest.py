"""Real profiles for the CLI tests, made once per session (a few seconds each)."""

from __future__ import annotations

import pytest

from tests.profile_diff.programs import Runs, profile


@pytest.fixture(scope="session")
def real_profiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Runs]:
    folder = tmp_path_factory.mktemp("profiles")
    return {name: profile(name, folder / name) for name in ("py-spy", "cprofile")}
