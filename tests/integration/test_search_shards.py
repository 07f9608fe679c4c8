"""A large site's search index in shards (site.search_shards), with real Pagefind runs: the shards
together index exactly the pages one index of the site would, a rebuild runs Pagefind only for the
shard whose page changed and ends as a clean build does, and a withdrawn item leaves no byte.

The portals here are small: GONGKAI_SEARCH_SHARD_PAGES cuts them as a 10,000-item portal is cut."""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from gongkai.site import search
from tests.browser.cdp import Chromium
from tests.browser.sample import serve
from tests.conftest import require
from tests.integration.test_browser import open_page
from tests.integration.test_incremental import _commit, _tree
from tests.kit import REPO, site_leaks

SHARDED = {"GONGKAI_PARALLEL_MIN_PAGES": "1", "GONGKAI_SEARCH_SHARD_PAGES": "8"}
#: A word of one item's body each, searched for in the browser.
WORDS = {("xzf", 5): "河道清淤", ("fgj", 3): "桥梁检测"}


def _items(portal, canary=""):
    # The portal's theme is this repository's: it marks what is indexed (data-pagefind-body on item
    # pages, not on catalog listings), as every portal's does.
    shutil.copytree(REPO / "theme", portal.root / "theme", dirs_exist_ok=True)
    for unit in ("xzf", "fgj"):
        for i in range(8):
            body = f"{unit}第{i}条信息的正文,关于道路养护{WORDS.get((unit, i), '')}。" + (canary if (unit, i) == ("fgj", 2) else "")
            code = "11369999MB0000001A" if unit == "xzf" else "11369999MB0000002B"
            portal.item(f"{unit}/a{i}.md", body, index_no=f"{code}/2025-{i + 1:05d}", unit=unit)
            portal.sign(f"{unit}/a{i}.md")


def _build(portal, site, env=SHARDED):
    result = portal.build("--strict", "-d", site, env=env)
    assert result.returncode == 0, result.stderr
    return result


def _bundles(site) -> list[str]:
    """The folders of the index's shards, the first one first."""
    others = json.loads((site / "pagefind" / search.SHARDS_FILE).read_text(encoding="utf-8"))["bundles"]
    return ["pagefind", *(f"pagefind/{name.rstrip('/')}" for name in others)]


def _fragments(site, bundle) -> dict[str, str]:
    """URL -> text of every page a bundle indexes."""
    found = {}
    for path in (site / bundle / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        fragment = json.loads(data[data.index(b"{"):].decode("utf-8"))
        found[fragment["url"]] = fragment["content"]
    return found


def test_the_shards_together_index_what_one_index_of_the_site_does(portal, tmp_path):
    _items(portal)
    result = _build(portal, "site")
    shards = _bundles(portal.site)
    assert len(shards) >= 3, result.stderr
    assert f"分 {len(shards)} 个分片" in result.stderr
    merged: dict[str, str] = {}
    for bundle in shards:
        pages = _fragments(portal.site, bundle)
        assert pages, f"{bundle} indexes no page"
        assert not set(pages) & set(merged), "a page in two shards"
        merged.update(pages)
        if bundle != "pagefind":  # the merged search runs Pagefind's scripts from the first bundle
            assert not list((portal.site / bundle).glob("*.js")) and not list((portal.site / bundle).glob("wasm.*"))
    single = tmp_path / "single"
    shutil.copytree(portal.site, single)
    shutil.rmtree(single / "pagefind")
    stats = search.index_site(single)
    assert merged == _fragments(single, "pagefind")
    assert int(re.search(r"搜索索引 (\d+) 个页面", result.stderr).group(1)) == stats["pages"] == len(merged)
    assert "/fgj/a3/" in merged and "/xzf/a3/" in merged


def test_one_edit_runs_pagefind_for_its_shard_only_and_ends_as_a_clean_build(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    shards = _bundles(portal.site)
    again = _build(portal, "site")
    assert f"分 {len(shards)} 个分片,页面未变,沿用上次的索引" in again.stderr
    portal.item("fgj/a1.md", "改过的正文,关于路灯维修。", index_no="11369999MB0000002B/2025-00002", unit="fgj")
    portal.sign("fgj/a1.md")
    _commit(portal.root, "edit")
    edited = _build(portal, "site")
    reused = re.search(r"分 (\d+) 个分片,(\d+) 个分片的页面未变", edited.stderr)
    assert reused and int(reused.group(1)) == len(shards) and 0 < int(reused.group(2)) < len(shards), edited.stderr
    _build(portal, "clean")
    assert _tree(portal.site) == _tree(portal.root / "clean")


def test_a_withdrawn_item_leaves_no_byte_of_any_shard(portal):
    canary = "分片撤回金丝雀九九九"
    _items(portal, canary=canary)
    _commit(portal.root)
    _build(portal, "site")
    assert [f for f in site_leaks(portal.site, canary) if f.startswith("pagefind/")], "the canary must be indexed first"
    (portal.root / "content/fgj/a2.md").unlink()
    _commit(portal.root, "withdraw")
    _build(portal, "site")
    assert site_leaks(portal.site, canary) == []
    _build(portal, "clean")
    assert _tree(portal.site) == _tree(portal.root / "clean")


def test_fewer_shards_leave_no_bundle_of_the_ones_gone(portal):
    _items(portal)
    _commit(portal.root)
    _build(portal, "site")
    assert len(_bundles(portal.site)) >= 3
    _build(portal, "site", env={**SHARDED, "GONGKAI_SEARCH_SHARD_PAGES": "100000"})
    assert _bundles(portal.site) == ["pagefind"]
    assert not [p for p in (portal.site / "pagefind").iterdir() if p.name.isdigit()]
    _build(portal, "clean", env={**SHARDED, "GONGKAI_SEARCH_SHARD_PAGES": "100000"})
    assert _tree(portal.site) == _tree(portal.root / "clean")


@pytest.mark.browser
def test_the_search_in_the_browser_finds_pages_of_every_shard(portal, tmp_path):
    binary = require("chromium")
    _items(portal)
    _build(portal, "site")
    shards = _bundles(portal.site)
    where = {word: [b for b in shards if f"/{unit}/a{i}/" in _fragments(portal.site, b)] for (unit, i), word in WORDS.items()}
    assert len({tuple(found) for found in where.values()}) == len(WORDS), f"the words must be in different shards: {where}"
    chromium = Chromium(binary, tmp_path / "profile")
    try:
        with serve(portal.site) as base:
            open_page(chromium, base)
            chromium.evaluate("document.querySelector('[data-gongkai-search-open]').click(), true")
            chromium.wait_for("!!document.querySelector('.pagefind-ui__search-input')", timeout=20)
            links = "[...document.querySelectorAll('.pagefind-ui__result-link')].map(a => a.getAttribute('href'))"
            for (unit, i), word in WORDS.items():
                chromium.evaluate("(i => { i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); i.focus(); })"
                                  "(document.querySelector('.pagefind-ui__search-input')), true")
                chromium.wait_for("!document.querySelector('.pagefind-ui__result-link')")
                chromium.type(word)
                try:
                    chromium.wait_for(f"{links}.includes('/{unit}/a{i}/')", timeout=20)
                except TimeoutError:
                    pytest.fail(f"searching {word} did not find /{unit}/a{i}/ (in {where[word]}): {chromium.evaluate(links)}")
            fetched = {r["url"].split("/pagefind/", 1)[1].split("?")[0] for r in chromium.responses() if "/pagefind/" in r["url"]}
            assert {f"{b.removeprefix('pagefind/')}/pagefind-entry.json" for b in shards[1:]} <= fetched, sorted(fetched)
            assert not chromium.errors(), chromium.errors()
    finally:
        chromium.close()


def test_the_preview_indexes_a_large_site_in_the_same_shards(portal, tmp_path, monkeypatch):
    from gongkai.glue.preview import Session  # the preview's own session, not this process's

    _items(portal)
    _build(portal, "site")
    built = {bundle: _fragments(portal.site, bundle) for bundle in _bundles(portal.site)}
    preview = tmp_path / "preview"
    shutil.copytree(portal.site, preview)
    shutil.rmtree(preview / "pagefind")
    monkeypatch.setenv("GONGKAI_SEARCH_SHARD_PAGES", SHARDED["GONGKAI_SEARCH_SHARD_PAGES"])
    session = Session()
    session.index_again.set()
    session.index_loop(preview)  # what `gongkai serve` runs in the background after a rebuild
    assert {bundle: _fragments(preview, bundle) for bundle in _bundles(preview)} == built


def test_a_shard_checked_while_the_next_one_is_indexed_still_stops_what_it_shows(portal):
    """Each shard's index files are checked as soon as Pagefind has finished it (while it indexes
    the next one) and then not again: what a finished shard shows that it must not still fails the
    build, and names the file. A Pagefind that put an unmasked ID number in a fragment of the
    second shard is simulated by writing one there right after that shard's run."""
    _items(portal)
    leak = "11010519491231002X"
    script = (
        "import gzip, sys\n"
        "from pathlib import Path\n"
        "from gongkai.site import search_shards\n"
        "real = search_shards._index\n"
        "def index(site_dir, shard, keep, background):\n"
        "    bodies = real(site_dir, shard, keep, background)\n"
        "    if shard.number == 2:\n"
        "        data = b'pagefind_dcd{\"url\": \"/x/\", \"content\": \"\\u7533\\u8bf7\\u4eba " + leak + "\"}'\n"
        "        (Path(site_dir) / shard.subdir / 'fragment' / 'zh_0leak.pf_fragment').write_bytes(gzip.compress(data))\n"
        "    return bodies\n"
        "search_shards._index = index\n"
        "from gongkai.cli import main\n"
        "sys.exit(main(['build', '--strict']))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=portal.root, env={**os.environ, **SHARDED}, capture_output=True, text=True)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "pagefind/2/fragment/zh_0leak.pf_fragment" in result.stderr and "居民身份证号" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (portal.site / "manifest.json").exists()
    # Without the planted file the same build passes: the check found the plant, not the shards.
    _build(portal, "site")
