"""The project's own documentation: docs/ (with README.md as its home page and CHANGELOG.md) builds
as a plain Material site, strictly (a broken link or anchor fails it), and nothing in it points
outside the repository — no link to a file this repository lacks, no "SPEC §" an adopter cannot read."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.kit import REPO

CONFIG = REPO / "docs-site" / "mkdocs.yml"
USER_DOCS = [REPO / "README.md", REPO / "CHANGELOG.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def build(root: Path, site_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "-f", str(root / "docs-site" / "mkdocs.yml"), "--strict", "-d", str(site_dir)],
                          cwd=root, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def test_the_docs_build_strictly_as_a_site(tmp_path):
    result = build(REPO, tmp_path / "site")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "WARNING" not in result.stderr, result.stderr[-4000:]
    site = tmp_path / "site"
    pages = {p.parent.relative_to(site).as_posix() for p in site.rglob("index.html")}
    assert {".", "changelog", *(p.stem for p in (REPO / "docs").glob("*.md"))} <= pages, pages
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "gongkai init" in home and 'href="workflow/"' in home and 'href="changelog/"' in home  # README, its links to docs/ rewritten


def test_a_broken_link_fails_the_docs_build(tmp_path):
    root = tmp_path / "repo"
    for name in ("docs", "docs-site"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("README.md", "CHANGELOG.md"):
        shutil.copy(REPO / name, root / name)
    page = root / "docs" / "engine.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n见 [不存在的页面](nowhere.md)。\n", encoding="utf-8")
    result = build(root, tmp_path / "site")
    assert result.returncode == 1 and "nowhere.md" in result.stderr, result.stderr[-4000:]


def test_every_nav_entry_and_every_doc_is_in_the_site():
    nav = CONFIG.read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    listed = set(re.findall(r":\s*(\S+\.md)\s*$", nav, re.MULTILINE))
    assert {p.name for p in (REPO / "docs").glob("*.md")} | {"index.md", "changelog.md"} == listed


def test_the_user_docs_point_nowhere_outside_the_repository():
    found = []
    for path in USER_DOCS:
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if "../shared" in line or re.search(r"SPEC\s*§|SPEC\.md", line):
                found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
            for target in LINK.findall(line):
                if re.match(r"[a-z]+:", target) or target.startswith("#"):
                    continue
                resolved = (path.parent / target.split("#")[0]).resolve()
                if not resolved.is_relative_to(REPO) or not resolved.exists():
                    found.append(f"{path.relative_to(REPO)}:{n}: {target}")
    assert not found, "\n".join(found)


def test_no_message_names_a_spec_the_user_does_not_have():
    """What gongkai says (string literals of the package, the theme, the CI templates) never sends a
    reader to "SPEC §…" or ../shared: the docstrings and comments may, for the developers."""
    found = []
    for path in sorted((REPO / "site_src" / "gongkai").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for n, line in enumerate(source.splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("#", '"""')) or '"""' in stripped:
                continue
            code = stripped.split("  #", 1)[0]
            if re.search(r"[\"'][^\"']*(SPEC\s*§|\.\./shared)", code):
                found.append(f"{path.relative_to(REPO)}:{n}")
    for folder in ("theme", "ci"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.suffix in (".html", ".yml", ".yaml", ".sh", ".py", ".example", ".md", ".js"):
                if re.search(r"SPEC\s*§|\.\./shared", path.read_text(encoding="utf-8", errors="replace")):
                    found.append(str(path.relative_to(REPO)))
    assert not found, found
