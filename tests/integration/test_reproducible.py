"""Two strict builds of one commit, in two clones in different directories and on different days,
are byte-identical except the build time in manifest.json (Pagefind's filters put in order, every
date shown taken from the commit)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from tests.kit import REPO, git

CATEGORIES = ["通知公告", "规划信息", "工作动态", "民生保障", "监督检查", "政府采购", "行政许可", "其他文件"]


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_two_clones_build_the_same_bytes(portal, tmp_path):
    for n, category in enumerate(CATEGORIES * 2):
        unit = "xzf" if n % 2 else "fgj"
        code = "11369999MB0000001A" if unit == "xzf" else "11369999MB0000002B"
        rel = f"{unit}/a{n}.md"
        portal.item(rel, f"第{n}条信息:{category},优化营商环境。", unit=unit, category=category, index_no=f"{code}/2025-{n + 1:05d}")
        portal.sign(rel)
    root = portal.root
    (root / ".gitignore").write_text("site/\n", encoding="utf-8")
    shutil.copytree(REPO / "theme", root / "theme", dirs_exist_ok=True)  # the theme marks Pagefind's filters
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=测试", "-c", "user.email=t@example.gov.cn", "commit", "-qm", "portal")
    sites = []
    for n, clone in enumerate([tmp_path / "a" / "portal", tmp_path / "somewhere" / "else" / "copy"]):
        clone.parent.mkdir(parents=True)
        subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
        day = (date.today() + timedelta(days=1 + 2 * n)).isoformat()  # built on two different days
        run = subprocess.run([sys.executable, "-m", "gongkai.cli", "build", "--strict"], cwd=clone, capture_output=True,
                             text=True, env={**os.environ, "GONGKAI_TODAY": day})
        assert run.returncode == 0, run.stderr[-3000:]
        sites.append(_tree(clone / "site"))
    one, two = sites
    assert sorted(one) == sorted(two)
    differing = [rel for rel in one if one[rel] != two[rel]]
    assert differing == ["manifest.json"], differing
    first, second = (json.loads(s["manifest.json"]) for s in sites)
    first.pop("built_at"), second.pop("built_at")  # the only field allowed to differ
    assert first == second
    assert any(rel.startswith("pagefind/filter/") for rel in one)
