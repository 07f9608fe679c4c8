"""`gongkai build` into the site of its last build: only what changed is written, what the build no
longer produces is deleted (the pages and search fragments of a withdrawn item), Pagefind keeps
its bundle, and it does not run when no page changed. The result is the clean build's, byte for byte."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

from tests.kit import site_leaks

PARALLEL = {"GONGKAI_PARALLEL_MIN_PAGES": "1"}  # a forked worker renders half of the pages
REUSED = "沿用上次的索引"


def _tree(root, skip=("manifest.json",)):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith(skip)
    }


def _commit(root, message="x"):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        if not (root / ".gitignore").exists():  # as every portal's: the build cache never goes into Git
            (root / ".gitignore").write_text("/.cache/\n", encoding="utf-8")
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", message, "--allow-empty"], cwd=root, check=True)


def _items(portal, n=6, canary=""):
    for i in range(n):
        body = f"第{i}条信息的正文,关于道路养护。" + (canary if i == 2 else "")
        portal.item(f"xzf/a{i}.md", body, index_no=f"11369999MB0000001A/2025-{i + 1:05d}")
        portal.sign(f"xzf/a{i}.md")


def _build(portal, site, env=PARALLEL):
    result = portal.build("--strict", "-d", site, env=env)
    assert result.returncode == 0, result.stderr
    return result


def test_a_withdrawn_item_leaves_no_byte_and_the_site_is_the_clean_builds(portal):
    canary = "撤回金丝雀七七七"
    _items(portal, canary=canary)
    _commit(portal.root)
    _build(portal, "site")
    assert site_leaks(portal.site, canary), "the canary must be in the first build (the test could not fail otherwise)"
    page = portal.site / "xzf/a2/index.html"
    assert page.is_file()
    (portal.root / "content/xzf/a2.md").unlink()
    _commit(portal.root, "withdraw")
    second = _build(portal, "site")
    assert REUSED not in second.stderr
    assert site_leaks(portal.site, canary) == []  # pages, catalogs, exports, sitemap, Pagefind fragments (gzip)
    assert not page.exists() and not page.parent.exists()
    _build(portal, "clean")
    assert _tree(portal.site) == _tree(portal.root / "clean")


def test_an_unchanged_rebuild_writes_nothing_and_skips_pagefind(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    before = {p: p.stat().st_mtime_ns for p in portal.site.rglob("*") if p.is_file()}
    tree = _tree(portal.site)
    again = _build(portal, "site")
    assert REUSED in again.stderr
    assert _tree(portal.site) == tree
    after = {p: p.stat().st_mtime_ns for p in portal.site.rglob("*") if p.is_file()}
    rewritten = sorted(p.relative_to(portal.site).as_posix() for p in after if after[p] != before.get(p))
    # manifest.json is written last by every successful build; sitemap.xml.gz is MkDocs' own write.
    assert rewritten == ["manifest.json", "sitemap.xml.gz"]


def test_one_edit_reindexes_and_matches_a_clean_build(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    portal.item("xzf/a1.md", "改过的正文,关于桥梁检测。", index_no="11369999MB0000001A/2025-00002")
    portal.sign("xzf/a1.md")
    _commit(portal.root, "edit")
    second = _build(portal, "site")
    assert REUSED not in second.stderr
    assert "桥梁检测" in (portal.site / "xzf/a1/index.html").read_text(encoding="utf-8")
    _build(portal, "clean")
    assert _tree(portal.site) == _tree(portal.root / "clean")


def test_a_stray_file_a_changed_attachment_and_a_lost_bundle_file_are_put_right(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    clean = _tree(portal.site)
    (portal.site / "xzf/stray.html").write_text("<html>不属于本次构建</html>", encoding="utf-8")
    (portal.site / "xzf/a3/index.html").write_text("被改动的页面", encoding="utf-8")
    theme_css = next(p for p in portal.site.rglob("*.css") if "pagefind" not in p.as_posix())
    css_mtime = theme_css.stat().st_mtime_ns
    theme_css.write_bytes(b"/* changed */")
    os.utime(theme_css, ns=(css_mtime, css_mtime))  # older than the source: MkDocs' time check would skip it
    fragment = next((portal.site / "pagefind/fragment").iterdir())
    fragment.unlink()
    third = _build(portal, "site")
    assert REUSED not in third.stderr
    assert _tree(portal.site) == clean


def test_a_failed_build_leaves_no_manifest_and_the_next_one_indexes_again(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    portal.item("xzf/bad.md", "链接到[不存在的文件](missing.md)。", index_no="11369999MB0000001A/2025-00099")
    portal.sign("xzf/bad.md")
    failed = portal.build("--strict", env=PARALLEL)
    assert failed.returncode == 1
    assert not (portal.site / "manifest.json").exists()
    (portal.root / "content/xzf/bad.md").unlink()
    again = _build(portal, "site")
    assert REUSED not in again.stderr  # the failed build may have written pages: Pagefind runs
    assert (portal.site / "manifest.json").is_file()
    _build(portal, "clean")
    assert _tree(portal.site) == _tree(portal.root / "clean")


def test_one_process_builds_incrementally_too(portal):
    serial = {"GONGKAI_WORKERS": "1"}
    canary = "撤回金丝雀八八八"
    _items(portal, canary=canary)
    _commit(portal.root)
    _build(portal, "site", env=serial)
    (portal.root / "content/xzf/a2.md").unlink()
    _commit(portal.root, "withdraw")
    _build(portal, "site", env=serial)
    assert site_leaks(portal.site, canary) == []
    shutil.rmtree(portal.root / "clean", ignore_errors=True)


def test_a_lost_bundle_file_alone_makes_pagefind_run_again(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    clean = _tree(portal.site)
    next((portal.site / "pagefind/fragment").iterdir()).unlink()  # no page changed
    again = _build(portal, "site")
    assert REUSED not in again.stderr
    assert _tree(portal.site) == clean
