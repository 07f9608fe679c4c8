"""GONGKAI_ENGINE chooses MkDocs or ProperDocs for the `gongkai` command (glue/engine.py); a value
it cannot honour is said in Chinese, exit 1, no traceback (the builds on both engines:
tests/integration/test_engines.py)."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.kit import REPO


def gongkai(*args: str, engine: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GONGKAI_ENGINE": engine, "PYTHONPATH": str(REPO / "site_src")}
    return subprocess.run([sys.executable, "-m", "gongkai.cli", *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=120)


def test_an_unknown_engine_is_refused():
    result = gongkai("check", engine="zensical")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "GONGKAI_ENGINE=zensical 无效:只能是 mkdocs 或 properdocs" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("properdocs") is not None, reason="ProperDocs is installed here")
def test_properdocs_asked_for_but_not_installed():
    result = gongkai("build", "-d", "/nonexistent/never-written", engine="properdocs")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "没有安装 ProperDocs:请运行 pip install 'gongkai[properdocs]'" in result.stderr


def test_mkdocs_asked_for_is_mkdocs():
    code = "from gongkai.glue import engine; import mkdocs; print(engine.NAME, mkdocs.__name__, engine.ROOT)"
    env = {**os.environ, "GONGKAI_ENGINE": "mkdocs", "PYTHONPATH": str(REPO / "site_src")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.split() == ["mkdocs", "mkdocs", "mkdocs"], result.stderr
