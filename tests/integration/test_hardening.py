"""Reproducible builds, one build per site directory at a time, interrupted builds, inclusion."""
from __future__ import annotations

import fcntl
import hashlib
import signal
import subprocess
import sys
import time

import pytest

from gongkai.errors import GongkaiError
from gongkai.glue.plugin import build_lock_path
from gongkai.publish.manifest import check_site, read_manifest, verify_tree


def _tree(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _small_portal(portal, n=6):
    for i in range(n):
        portal.item(f"xzf/a{i}.md", f"第{i}条信息的正文,包含一些中文内容。", index_no=f"11369999MB0000001A/2025-{i + 1:05d}")
        portal.sign(f"xzf/a{i}.md")


def test_two_builds_of_one_commit_are_byte_identical_but_for_the_build_time(portal):
    _small_portal(portal)
    subprocess.run(["git", "init", "-q"], cwd=portal.root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A"], cwd=portal.root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"], cwd=portal.root, check=True)
    first = portal.build("--strict", "-d", "one")
    assert first.returncode == 0, first.stderr
    time.sleep(1.2)
    second = portal.build("--strict", "-d", "two")
    assert second.returncode == 0, second.stderr
    one, two = _tree(portal.root / "one"), _tree(portal.root / "two")
    assert one.keys() == two.keys()
    differing = sorted(k for k in one if one[k] != two[k])
    assert differing == ["manifest.json"]
    m1 = read_manifest(portal.root / "one")
    m2 = read_manifest(portal.root / "two")
    assert m1.files == m2.files and m1.commit == m2.commit and m1.commit


def test_a_second_build_into_the_same_site_is_refused_while_one_runs(portal):
    _small_portal(portal, 1)
    lock = open(build_lock_path(str(portal.root / "site")), "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        result = portal.build()
    finally:
        lock.close()
    assert result.returncode == 1
    assert "另一个构建正在写入" in result.stderr
    assert portal.build().returncode == 0  # released: builds again


@pytest.mark.parametrize("delay", [0.4, 0.9, 1.4, 1.9, 2.6])
def test_a_killed_build_never_leaves_a_site_publish_accepts(portal, delay):
    _small_portal(portal, 12)
    ok = portal.build("--strict")
    assert ok.returncode == 0, ok.stderr
    check_site(portal.site)  # a finished strict build is accepted
    process = subprocess.Popen([sys.executable, "-m", "gongkai.cli", "build", "--strict"], cwd=portal.root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    finished = process.poll() is not None
    process.send_signal(signal.SIGKILL)
    process.wait()
    if finished:
        check_site(portal.site)
        return
    try:
        check_site(portal.site)
    except GongkaiError:
        return  # refused: the interrupted build left no acceptable site
    # accepted only if the build had in fact completed before the kill
    assert (portal.site / "manifest.json").exists()
    assert verify_tree(portal.site, read_manifest(portal.site)) == []


def test_file_inclusion_extensions_are_refused(portal):
    import json

    config = json.loads((portal.root / "mkdocs.yml").read_text())
    config["markdown_extensions"] = ["pymdownx.snippets"]
    (portal.root / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False))
    result = portal.build()
    assert result.returncode == 1
    assert "pymdownx.snippets" in result.stderr and "绕过发布闸门" in result.stderr


def test_script_and_event_handlers_never_reach_a_page(portal):
    portal.item("xzf/x.md", '正文 <img src="a.png" onerror="alert(1)"> <script>alert(2)</script> <a href="javascript:alert(3)">x</a>')
    portal.sign("xzf/x.md")
    assert portal.build().returncode == 0
    page = (portal.site / "xzf/x/index.html").read_text(encoding="utf-8")
    article = page[page.index("<article"):page.index("</article>")]
    assert "onerror" not in article and "alert(2)" not in article and "javascript:" not in article
