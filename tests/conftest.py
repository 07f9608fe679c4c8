from __future__ import annotations

import pytest

from tests.kit import IN_CI, REVIEWERS, Portal, make_keys, require  # noqa: F401 (re-exported)


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    require("ssh-keygen")
    return make_keys(tmp_path_factory.mktemp("keys"), list(REVIEWERS) + ["stranger"])


@pytest.fixture
def portal(tmp_path, keys):
    return Portal(tmp_path / "portal", keys)
