"""The sample portal in this repository checks and builds."""
from __future__ import annotations

import gzip
import subprocess
import sys

from openpyxl import load_workbook

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
    # the ID number inside a 【不公开】 span of the sample never reaches the site; nor do the
    # 撰稿人 (author: for the ledger, not for readers)
    for path in (tmp_path / "site").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":  # search fragments, sitemap.xml.gz
                data += gzip.decompress(data)
            assert b"360999198603140467" not in data, path
            assert "何建平".encode() not in data and "徐静怡".encode() not in data, path
    strict = subprocess.run([sys.executable, "-m", "gongkai.cli", "build", "--strict", "-d", str(tmp_path / "strict")], cwd=REPO, capture_output=True, text=True)
    assert strict.returncode == 1 and "示例密钥" in strict.stderr  # demo keys never pass a strict build


def test_sample_ledger_names_each_items_author(tmp_path):
    out = tmp_path / "台账.xlsx"
    result = subprocess.run([sys.executable, "-m", "gongkai.cli", "ledger", "--month", "2025-03", "-o", str(out)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    ws = load_workbook(out)["示例县人民政府办公室"]
    rows = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=8).value for r in range(5, ws.max_row + 1) if isinstance(ws.cell(row=r, column=1).value, int)}
    assert rows["示例县人民政府办公室关于印发《示例县城乡居民临时救助实施办法》的通知"] == "何建平"
    assert all(rows.values()), rows  # every sample item names its 撰稿人
