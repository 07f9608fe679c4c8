"""The rendered-page cache (glue.pagecache): a page whose key is unchanged is not rendered again,
yet the site is the clean build's byte for byte, a kept page is checked against the text withheld
now, a page that warned is rendered (and warns) again, and a new library version, a moved link
target or a build date a page shows renders what they shape."""
from __future__ import annotations

import os
import re

from tests.integration.test_build_cache import _clean_twin
from tests.integration.test_incremental import PARALLEL, _build, _commit, _items, _tree
from tests.kit import site_leaks

_KEPT = re.compile(r"(\d+) 个页面与上次构建相同")


def _kept(result) -> int:
    found = _KEPT.search(result.stderr)
    return int(found.group(1)) if found else 0


def test_an_unchanged_rebuild_renders_no_item_page_and_one_edit_renders_one(portal):
    _items(portal)
    _commit(portal.root)
    first = _build(portal, "site")
    assert _kept(first) == 0
    again = _build(portal, "site")
    assert _kept(again) >= 6  # the six item pages at least (and every catalog page that did not change)
    portal.item("xzf/a3.md", "第3条信息的正文,改过了,关于桥梁检测。", index_no="11369999MB0000001A/2025-00004")
    portal.sign("xzf/a3.md")
    _commit(portal.root, "edit")
    edited = _build(portal, "site")
    assert 0 < _kept(edited) < _kept(again)
    assert "桥梁检测" in (portal.site / "xzf/a3/index.html").read_text(encoding="utf-8")
    assert _tree(portal.site) == _clean_twin(portal)


def test_a_kept_page_is_checked_against_text_withheld_after_it_was_rendered(portal):
    """The theme shows a sentence on item pages only; a pending item then says the same sentence.
    The item pages are kept from the last build (their key did not change) and the sentence is not
    in the search index, so only the check of their noted text against the text withheld now can
    stop the build — as a clean build stops."""
    sentence = "仅在信息页面显示的主题文字甲乙丙丁戊己庚辛壬癸子丑寅卯"
    (portal.root / "theme/main.html").write_text(
        '{% extends "base.html" %}\n{% block announce %}{% if page and page.url.startswith("xzf/a") %}'
        + f"<div data-pagefind-ignore>{sentence}</div>" + "{% endif %}{% endblock %}\n", encoding="utf-8")
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    assert sentence in (portal.site / "xzf/a0/index.html").read_text(encoding="utf-8")
    portal.item("xzf/pending.md", f"尚未审核的信息:{sentence}。", index_no="11369999MB0000001A/2025-00060")
    portal.sign("xzf/pending.md", stages=("初审",))
    _commit(portal.root, "pending")
    cached = portal.build("-d", "site", env=PARALLEL)
    assert _kept(cached) >= 6, cached.stderr  # the item pages were not rendered again
    assert cached.returncode != 0 and "不应公开的内容" in cached.stderr and "xzf/pending.md" in cached.stderr
    assert site_leaks(portal.site, sentence) == []  # the refused build leaves no byte of it behind
    clean = portal.build("--no-cache", "-d", "clean", env=PARALLEL)
    assert clean.returncode != 0 and "不应公开的内容" in clean.stderr


def test_a_page_that_warned_is_rendered_and_warns_again(portal):
    _items(portal, n=3)
    portal.item("xzf/a1.md", "正文见[附表](missing-table.md)。", index_no="11369999MB0000001A/2025-00002")
    portal.sign("xzf/a1.md")
    _commit(portal.root)
    warning = "missing-table.md"
    for _ in range(2):
        result = portal.build("-d", "site", env=PARALLEL)
        assert result.returncode == 0, result.stderr
        assert warning in result.stderr  # MkDocs' warning of the link, every build
    strict = portal.build("--strict", "-d", "site", env=PARALLEL)
    assert strict.returncode != 0 and warning in strict.stderr


def test_a_link_whose_target_is_withdrawn_renders_the_linking_page_again(portal):
    _items(portal, n=3)
    portal.item("xzf/a0.md", "另见[第二条](a2.md)。", index_no="11369999MB0000001A/2025-00001")
    portal.sign("xzf/a0.md")
    _commit(portal.root)
    _build(portal, "site")
    _build(portal, "site")
    assert 'href="../a2/"' in (portal.site / "xzf/a0/index.html").read_text(encoding="utf-8")
    (portal.root / "content/xzf/a2.md").unlink()
    _commit(portal.root, "withdraw")
    cached = portal.build("-d", "site", env=PARALLEL)
    clean = portal.build("--no-cache", "-d", "clean", env=PARALLEL)
    assert cached.returncode == clean.returncode == 0
    assert "a2.md" in cached.stderr and "a2.md" in clean.stderr  # the link warns in both
    assert _tree(portal.site) == _tree(portal.root / "clean")


def test_another_library_version_renders_every_page_again(portal, tmp_path):
    """A page is the work of the installed libraries too (Markdown, its extensions, the theme): a
    new version of any distribution renders every page again."""
    _items(portal, n=3)
    _commit(portal.root)
    extra = tmp_path / "dists"
    meta = extra / "gongkai_test_dist-1.0.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: gongkai-test-dist\nVersion: 1.0\n", encoding="utf-8")
    path = os.pathsep.join(p for p in (str(extra), os.environ.get("PYTHONPATH", "")) if p)
    env = {**PARALLEL, "PYTHONPATH": path}
    _build(portal, "site", env=env)
    assert _kept(_build(portal, "site", env=env)) > 0
    meta.rename(extra / "gongkai_test_dist-2.0.dist-info")
    (extra / "gongkai_test_dist-2.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: gongkai-test-dist\nVersion: 2.0\n", encoding="utf-8")
    assert _kept(_build(portal, "site", env=env)) == 0
    assert _kept(_build(portal, "site", env=env)) > 0


def test_a_theme_showing_the_build_date_renders_every_page_on_another_date(portal):
    """The engine's pages carry their own date; a theme that prints the build date (the commit's,
    SOURCE_DATE_EPOCH) on every page has every page rendered again when that date moves."""
    (portal.root / "theme/main.html").write_text(
        '{% extends "base.html" %}\n{% block announce %}本站构建于{{ build_date_utc.strftime("%Y-%m-%d") }}{% endblock %}\n', encoding="utf-8")
    _items(portal, n=2)
    _commit(portal.root)
    env = {**PARALLEL, "SOURCE_DATE_EPOCH": "1861920000"}  # 2029-01-01
    _build(portal, "site", env=env)
    assert _kept(_build(portal, "site", env=env)) > 0
    env = {**PARALLEL, "SOURCE_DATE_EPOCH": "1893456000"}  # 2030-01-01
    assert _kept(_build(portal, "site", env=env)) == 0
    assert "本站构建于2030-01-01" in (portal.site / "xzf/a0/index.html").read_text(encoding="utf-8")
    assert _tree(portal.site) == _clean_twin(portal, env=env)
