from __future__ import annotations

import os
import shutil

import pytest

from tests.kit import REVIEWERS, Portal, make_keys

IN_CI = os.environ.get("CI") == "true"


def require(binary: str) -> str:
    """Returns the path of a binary a test needs; skips locally, fails in CI, when it is missing."""
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None)
    if path is None:
        if IN_CI:
            pytest.fail(f"{binary} is required in CI (.ci/run installs it)")
        pytest.skip(f"{binary} not installed")
    return path


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    require("ssh-keygen")
    return make_keys(tmp_path_factory.mktemp("keys"), list(REVIEWERS) + ["stranger"])


@pytest.fixture
def portal(tmp_path, keys):
    return Portal(tmp_path / "portal", keys)
