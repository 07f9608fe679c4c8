"""The portal's build cache on disk (.cache/gongkai/): each input that shapes the site changes it
in a cached, incremental build exactly as in a clean one; a garbled cache and --no-cache build the
clean build's site."""
from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import date, timedelta

from tests.integration.test_incremental import PARALLEL, _build, _commit, _items, _tree

CACHE = ".cache/gongkai"


def _clean_twin(portal, env=PARALLEL, strict=True):
    """Returns the tree of a clean build of the portal as it is now (no cache, an empty site)."""
    result = portal.build(*(["--strict"] if strict else []), "--no-cache", "-d", "clean", env=env)
    assert result.returncode == 0, result.stderr
    return _tree(portal.root / "clean")


def test_the_cache_is_written_and_a_garbled_cache_builds_the_clean_site(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    cache = portal.root / CACHE
    signatures = list(cache.glob("signatures-*.bin"))
    assert len(signatures) == 1 and signatures[0].stat().st_size == 32 * 4 * 6  # four reviews of six items
    for path in [p for p in cache.rglob("*") if p.is_file()]:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] + b"\x00garbage")  # truncated, then garbage
    (portal.site / "manifest.json").unlink()  # the bundle must be made again, not trusted
    _build(portal, "site")
    assert _tree(portal.site) == _clean_twin(portal)
    assert _tree(portal.site) != {}


def test_no_cache_neither_reads_nor_writes_it(portal):
    _items(portal, n=3)
    _commit(portal.root)
    result = portal.build("--strict", "--no-cache", env=PARALLEL)
    assert result.returncode == 0, result.stderr
    assert not (portal.root / CACHE).exists()
    (portal.site / "leftover.html").write_text("旧文件", encoding="utf-8")
    again = portal.build("--strict", "--no-cache", env=PARALLEL)
    assert again.returncode == 0 and not (portal.site / "leftover.html").exists()


def test_a_reviewer_whose_key_is_replaced_no_longer_publishes_with_a_warm_cache(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    assert (portal.site / "xzf/a0/index.html").is_file()
    stranger = portal.keys["stranger"].with_name("stranger.pub").read_text().strip()
    portal.write_reviewers(zhong={"keys": [stranger]})  # reviewers.yml: zhong's registered key changes
    _commit(portal.root, "rotate")
    result = portal.build("-d", "site", env=PARALLEL)
    assert result.returncode == 0, result.stderr
    assert not (portal.site / "xzf/a0/index.html").exists()  # no signature of zhong verifies any more
    assert _tree(portal.site) == _clean_twin(portal, strict=False)


def test_a_theme_file_and_a_setting_change_every_page_they_show_on(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    page = portal.site / "xzf/a0/index.html"
    (portal.root / "theme/main.html").write_text(
        '{% extends "base.html" %}\n{% block announce %}主题公告甲乙丙{% endblock %}\n', encoding="utf-8")
    _commit(portal.root, "theme")
    _build(portal, "site")
    assert "主题公告甲乙丙" in page.read_text(encoding="utf-8")
    assert _tree(portal.site) == _clean_twin(portal)
    config = json.loads((portal.root / "mkdocs.yml").read_text(encoding="utf-8"))
    config["site_name"] = "另一个县政府信息公开"
    (portal.root / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    _commit(portal.root, "settings")
    _build(portal, "site")
    assert "另一个县政府信息公开" in page.read_text(encoding="utf-8")
    assert _tree(portal.site) == _clean_twin(portal)


def test_a_date_crossing_a_scheduled_publication_publishes_it_with_a_warm_cache(portal):
    _items(portal, n=3)
    later = date.today() + timedelta(days=10)
    portal.item("xzf/later.md", "定时发布的正文,关于冬季供暖。", index_no="11369999MB0000001A/2025-00050", published=later.isoformat(), created=date.today().isoformat())
    portal.sign("xzf/later.md")
    _commit(portal.root)
    before = {"GONGKAI_TODAY": (later - timedelta(days=1)).isoformat(), **PARALLEL}
    after = {"GONGKAI_TODAY": later.isoformat(), **PARALLEL}
    _build(portal, "site", env=before)
    assert not (portal.site / "xzf/later/index.html").exists()
    _build(portal, "site", env=after)
    assert "冬季供暖" in (portal.site / "xzf/later/index.html").read_text(encoding="utf-8")
    assert _tree(portal.site) == _clean_twin(portal, env=after)
    _build(portal, "site", env=before)  # and back: the scheduled item leaves again
    assert not (portal.site / "xzf/later/index.html").exists()
    assert _tree(portal.site) == _clean_twin(portal, env=before)


def test_the_cached_signature_checks_are_those_of_this_portal(portal):
    _items(portal, n=2)
    _commit(portal.root)
    _build(portal, "site")
    digests = next((portal.root / CACHE).glob("signatures-*.bin")).read_bytes()
    first = hashlib.sha256(digests).hexdigest()
    _build(portal, "site")  # unchanged: the same checks, the file is left as it is
    assert hashlib.sha256(next((portal.root / CACHE).glob("signatures-*.bin")).read_bytes()).hexdigest() == first
    subprocess.run(["git", "rm", "-q", "content/xzf/a1.md"], cwd=portal.root, check=True)
    _commit(portal.root, "withdraw")
    _build(portal, "site")
    assert len(next((portal.root / CACHE).glob("signatures-*.bin")).read_bytes()) == 32 * 4


def test_a_cache_that_arrives_through_git_or_a_link_is_not_used(portal, tmp_path):
    """Whoever could commit cache files could make a forged signature count as checked: a cache
    folder Git tracks, or one that is a symbolic link, is refused and the build says so."""
    _items(portal, n=2)
    _commit(portal.root)
    _build(portal, "site")
    subprocess.run(["git", "-C", str(portal.root), "add", "-f", ".cache"], check=True)
    _commit(portal.root, "a cache forced into Git")
    result = portal.build("--strict", "-d", "site", env=PARALLEL)
    assert result.returncode != 0 and "构建缓存中的文件被提交进了 Git" in result.stderr
    subprocess.run(["git", "-C", str(portal.root), "rm", "-r", "-q", "--cached", ".cache"], check=True)
    (portal.root / ".gitignore").write_text("/.cache/\n/site/\n", encoding="utf-8")
    _commit(portal.root, "removed")
    elsewhere = tmp_path / "elsewhere"
    (portal.root / ".cache").rename(elsewhere)
    (portal.root / ".cache").symlink_to(elsewhere)
    result = portal.build("--strict", "-d", "site", env=PARALLEL)
    assert result.returncode != 0 and "是符号链接" in result.stderr
    (portal.root / ".cache").unlink()
    assert portal.build("--strict", "-d", "site", env=PARALLEL).returncode == 0


def test_a_mark_or_an_id_number_planted_between_two_cached_builds_stops_the_build(portal):
    from gongkai.gate.scan import id_check_digit
    from tests.kit import site_leaks

    number = "11010519491231002" + id_check_digit("11010519491231002")
    canary = "缓存金丝雀八八八"
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    assert [p for p in (portal.root / CACHE / "scans").rglob("*") if p.is_file()], "the scans must be cached for the test to mean anything"

    def edit(rel, body):  # the body only: the front-matter, signatures included, stays as it is
        path = portal.root / "content" / rel
        head, _, _ = path.read_text(encoding="utf-8").rpartition("\n---\n")
        path.write_text(f"{head}\n---\n{body}\n", encoding="utf-8")

    edit("xzf/a2.md", f"{canary},联系人身份证号 {number}。")
    portal.sign("xzf/a2.md")
    _commit(portal.root, "id number")
    result = portal.build("--strict", "-d", "site", env=PARALLEL)
    assert result.returncode != 0 and "居民身份证号" in result.stderr
    assert site_leaks(portal.site, canary) == []
    edit("xzf/a2.md", f"{canary}。")
    portal.sign("xzf/a2.md")
    _commit(portal.root, "fixed")
    _build(portal, "site")
    assert site_leaks(portal.site, canary)  # the edited text is what is published
    edit("xzf/a3.md", "正文。机密★")
    _commit(portal.root, "mark")
    result = portal.build("--strict", "-d", "site", env=PARALLEL)
    assert result.returncode != 0 and "机密★" in result.stderr
