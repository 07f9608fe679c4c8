"""`gongkai build` renders pages on two cores: the site must be what one core makes, byte for byte."""
from __future__ import annotations

import hashlib
import json
import subprocess
import time

PARALLEL = {"GONGKAI_PARALLEL_MIN_PAGES": "1"}  # split even a small portal
SERIAL = {"GONGKAI_WORKERS": "1"}
NOTICE = "个进程中渲染"


def _tree(root, skip=("manifest.json", "pagefind/")):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith(skip)
    }


def _indexed_pages(site):
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())


def _portal_with_links(portal, n=14):
    for i in range(n):
        body = f"## 第一部分\n\n第{i}条信息的正文。\n\n## 第二部分\n\n见[第0条](a0.md#第一部分)。\n"
        portal.item(f"xzf/a{i}.md", body, index_no=f"11369999MB0000001A/2025-{i + 1:05d}")
        portal.sign(f"xzf/a{i}.md")


def _commit(root):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=root, check=True)


def test_two_processes_build_the_site_one_process_builds(portal):
    _portal_with_links(portal)
    _commit(portal.root)
    serial = portal.build("--strict", "-d", "serial", env=SERIAL)
    assert serial.returncode == 0, serial.stderr
    assert NOTICE not in serial.stderr
    parallel = portal.build("--strict", "-d", "parallel", env=PARALLEL)
    assert parallel.returncode == 0, parallel.stderr
    assert NOTICE in parallel.stderr
    one, two = _tree(portal.root / "serial"), _tree(portal.root / "parallel")
    assert one.keys() == two.keys()
    assert [k for k in one if one[k] != two[k]] == []
    # Pagefind numbers pages in the order it reads them: the bundle's bytes differ, not its pages.
    assert _indexed_pages(portal.root / "parallel") == _indexed_pages(portal.root / "serial") >= 14


def test_two_parallel_builds_of_one_commit_are_byte_identical(portal):
    _portal_with_links(portal)
    _commit(portal.root)
    first = portal.build("--strict", "-d", "one", env=PARALLEL)
    assert first.returncode == 0, first.stderr
    time.sleep(1.1)
    second = portal.build("--strict", "-d", "two", env=PARALLEL)
    assert second.returncode == 0, second.stderr
    one, two = _tree(portal.root / "one", skip=()), _tree(portal.root / "two", skip=())
    assert sorted(k for k in one if one[k] != two.get(k)) == ["manifest.json"]


def test_a_warning_on_a_page_of_either_process_fails_a_strict_build_once(portal):
    for i in range(8):
        portal.item(f"xzf/b{i}.md", f"正文,链接到[不存在的文件](missing-{i}.md)。", index_no=f"11369999MB0000001A/2025-{i + 1:05d}")
        portal.sign(f"xzf/b{i}.md")
    result = portal.build("--strict", env=PARALLEL)
    assert NOTICE in result.stderr
    assert result.returncode == 1
    for i in range(8):
        assert result.stderr.count(f"content/xzf/b{i}.md: 警告: 链接 missing-{i}.md ") == 1, result.stderr
    assert not (portal.site / "manifest.json").exists()
    # Without --strict the same warnings are printed and the site is built.
    relaxed = portal.build(env=PARALLEL)
    assert relaxed.returncode == 0, relaxed.stderr
    assert all(relaxed.stderr.count(f"content/xzf/b{i}.md: 警告: 链接 missing-{i}.md ") == 1 for i in range(8))
    assert (portal.site / "xzf" / "b7" / "index.html").is_file() and (portal.site / "xzf" / "b0" / "index.html").is_file()


def test_the_withheld_text_found_on_the_other_core_stops_a_page_that_shows_it(portal):
    """The pieces of withheld text are found in a forked process while the site's files are made:
    a page whose theme shows a pending item's sentence still fails the build, with the cache on
    disk or without, with the second process or without."""
    sentence = "仅在信息页面显示的主题文字甲乙丙丁戊己庚辛壬癸子丑寅卯"
    (portal.root / "theme/main.html").write_text(
        '{% extends "base.html" %}\n{% block announce %}' + f"<div>{sentence}</div>" + "{% endblock %}\n", encoding="utf-8")
    _portal_with_links(portal)
    portal.item("xzf/pending.md", f"尚未审核的信息:{sentence}。", index_no="11369999MB0000001A/2025-00060")
    portal.sign("xzf/pending.md", stages=("初审",))
    for env, args in ((PARALLEL, ()), (PARALLEL, ()), (PARALLEL, ("--no-cache",)), (SERIAL, ("--no-cache",))):
        result = portal.build("--strict", *args, env=env)
        assert result.returncode != 0, (env, args, result.stderr)
        assert "不应公开的内容" in result.stderr and "xzf/pending.md" in result.stderr, result.stderr
        assert not (portal.site / "manifest.json").exists()
