"""The real profiles, made once per session (they take a few seconds each)."""

from __future__ import annotations

import pytest

from tests.profile_diff.programs import Runs, profile


@pytest.fixture(scope="session")
def real_profiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Runs]:
    from tests.profile_diff.programs import TOOLS

    folder = tmp_path_factory.mktemp("profiles")
    return {name: profile(name, folder / name) for name in TOOLS}
