"""The sample portal in this repository checks and builds."""
from __future__ import annotations

import subprocess
import sys

from tests.kit import REPO


def test_sample_portal_checks_and_builds(tmp_path):
    check = subprocess.run([sys.executable, "-m", "gongkai.cli", "check", "--json"], cwd=REPO, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr
    import json

    data = json.loads(check.stdout)
    states = {i["state"] for i in data["items"]}
    assert {"publish", "metadata", "exclude", "hold"} <= states
    assert len(data["items"]) >= 30
    assert any("示例密钥" in p["message"] for p in data["problems"])  # demo keys are flagged
    build = subprocess.run([sys.executable, "-m", "gongkai.cli", "build", "-d", str(tmp_path / "site")], cwd=REPO, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert (tmp_path / "site" / "index.html").exists()
    # the ID number inside a 【不公开】 span of the sample never reaches the site
    for path in (tmp_path / "site").rglob("*"):
        if path.is_file():
            assert b"360999198603140467" not in path.read_bytes(), path
    strict = subprocess.run([sys.executable, "-m", "gongkai.cli", "build", "--strict", "-d", str(tmp_path / "strict")], cwd=REPO, capture_output=True, text=True)
    assert strict.returncode == 1 and "示例密钥" in strict.stderr  # demo keys never pass a strict build
