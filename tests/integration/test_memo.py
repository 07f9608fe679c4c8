"""The memo of the generated pages' pure functions (cache.Memo, kept on disk by glue.memo): the
rows of the catalogs and exports, the metadata tables and the summaries an earlier build made are
reused only for the very same inputs. A cached build is the clean build byte for byte; a title
edited or an item withdrawn leaves no byte of the old title anywhere (every catalog page,
catalog.json/.csv, the feed, the search index); a unit's name or the site's URL changed shows
everywhere it is listed."""
from __future__ import annotations

from tests.integration.test_build_cache import CACHE, _clean_twin
from tests.integration.test_incremental import _build, _commit, _items, _tree
from tests.kit import UNITS, site_leaks

TITLE = "备忘金丝雀标题甲乙丙丁七七"


def _memo_files(portal):
    return sorted(p for p in (portal.root / CACHE / "memo").rglob("*") if p.is_file())


def _listed(portal) -> dict[str, str]:
    """Returns the text of every catalog page and export (where a title or unit is listed)."""
    site = portal.site
    paths = [*(site / "xxgk").rglob("*.html"), site / "catalog.json", site / "catalog.csv", site / "feed.xml"]
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8-sig") for p in paths if p.is_file()}


def test_an_unchanged_rebuild_reuses_the_memo_and_is_the_clean_build(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    memo = _memo_files(portal)
    assert len(memo) == 1, memo
    written = memo[0].stat().st_mtime_ns
    _build(portal, "site")
    assert _memo_files(portal) == memo and memo[0].stat().st_mtime_ns == written  # nothing new: not written again
    assert _tree(portal.site) == _clean_twin(portal)


def _titled_and_built_twice(portal):
    """The items, one of them titled TITLE, committed and built twice (the second from the memo)."""
    _items(portal)
    portal.item("xzf/a2.md", "第2条信息的正文,关于道路养护。", index_no="11369999MB0000001A/2025-00003", title=TITLE)
    portal.sign("xzf/a2.md")
    _commit(portal.root)
    _build(portal, "site")
    _build(portal, "site")


def test_an_edited_title_leaves_no_byte_of_the_old_one(portal):
    _titled_and_built_twice(portal)
    shown = [name for name, text in _listed(portal).items() if TITLE in text]
    assert {"catalog.json", "catalog.csv", "feed.xml", "xxgk/index.html"} <= set(shown), shown  # the test could fail
    assert len([n for n in shown if "/gkml/" in n]) >= 3, shown  # by category, year, unit
    portal.item("xzf/a2.md", "第2条信息的正文,关于道路养护。", index_no="11369999MB0000001A/2025-00003", title="改过的标题")
    portal.sign("xzf/a2.md")
    _commit(portal.root, "retitle")
    _build(portal, "site")
    assert site_leaks(portal.site, TITLE) == []
    assert "改过的标题" in (portal.site / "catalog.json").read_text(encoding="utf-8")
    assert _tree(portal.site) == _clean_twin(portal)


def test_a_withdrawn_item_leaves_no_byte_of_its_title(portal):
    _titled_and_built_twice(portal)
    assert site_leaks(portal.site, TITLE), "the title must be in the cached build (the test could not fail otherwise)"
    (portal.root / "content/xzf/a2.md").unlink()
    _commit(portal.root, "withdraw")
    _build(portal, "site")
    assert site_leaks(portal.site, TITLE) == []
    assert _tree(portal.site) == _clean_twin(portal)


def test_a_unit_name_and_the_site_url_show_wherever_they_are_listed(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    listed = _listed(portal)
    assert any(UNITS[0]["name"] in text for name, text in listed.items() if "/gkml/" in name)
    assert UNITS[0]["name"] in listed["catalog.csv"] and "https://www.example.gov.cn/xzf/a0/" in listed["catalog.json"]
    units = [{**UNITS[0], "name": "测试县人民政府改名办公室"}, UNITS[1]]
    portal.write_settings(units=units)
    _commit(portal.root, "rename")
    _build(portal, "site")
    listed = _listed(portal)
    assert not [name for name, text in listed.items() if UNITS[0]["name"] in text]
    assert "测试县人民政府改名办公室" in listed["catalog.csv"]
    assert _tree(portal.site) == _clean_twin(portal)
    config = (portal.root / "mkdocs.yml").read_text(encoding="utf-8")
    (portal.root / "mkdocs.yml").write_text(config.replace("https://www.example.gov.cn/", "https://xxgk.example.gov.cn/"), encoding="utf-8")
    _commit(portal.root, "moved")
    _build(portal, "site")
    listed = _listed(portal)
    assert "https://xxgk.example.gov.cn/xzf/a0/" in listed["catalog.json"] and "https://xxgk.example.gov.cn/xzf/a0/" in listed["catalog.csv"]
    assert not [name for name, text in listed.items() if name.startswith("catalog") and "www.example.gov.cn" in text]
    assert _tree(portal.site) == _clean_twin(portal)
