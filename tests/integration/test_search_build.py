"""The search index a build writes beside its pages: the one the Pagefind CLI writes for the site."""
from __future__ import annotations

import gzip
import json
import re
import shutil
from types import SimpleNamespace

import pytest

from gongkai.glue.plugin import GongkaiPlugin
from gongkai.site import search


def _items(portal, n=4):
    for i in range(n):
        portal.item(f"xzf/a{i}.md", f"第{i}条信息的正文,涉企收费专项检查,优化营商环境。", index_no=f"11369999MB0000001A/2025-{i + 1:05d}")
        portal.sign(f"xzf/a{i}.md")


def _fragments(site) -> dict[str, dict]:
    found = {}
    for path in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        fragment = json.loads(data[data.index(b"{"):].decode("utf-8"))
        found[fragment["url"]] = fragment
    return found


def _page_count(site) -> int:
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())


@pytest.mark.parametrize("directory_urls", [True, False], ids=["directory-urls", "file-urls"])
def test_the_index_built_beside_the_pages_is_the_one_the_cli_builds_from_the_site(portal, tmp_path, directory_urls):
    _items(portal)
    config = json.loads((portal.root / "mkdocs.yml").read_text(encoding="utf-8"))
    config["use_directory_urls"] = directory_urls
    (portal.root / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    # One rendering process: the pages are handed to Pagefind's service beside the build (a build
    # that renders on two cores runs the CLI afterwards).
    result = portal.build("--strict", env={"GONGKAI_WORKERS": "1"})
    assert result.returncode == 0, result.stderr
    logged = int(re.search(r"搜索索引 (\d+) 个页面", result.stderr).group(1))
    cli = tmp_path / "cli-site"
    shutil.copytree(portal.site, cli)
    stats = search.index_site(cli)
    assert logged == stats["pages"] == _page_count(portal.site) > 0
    assert _fragments(portal.site) == _fragments(cli)
    item = "/xzf/a0.html" if directory_urls is False else "/xzf/a0/"
    assert item in _fragments(portal.site), sorted(_fragments(portal.site))


def test_a_strict_build_with_warnings_leaves_no_index_and_no_manifest(portal):
    _items(portal, 2)
    (portal.root / "content" / "xzf" / "link.md").symlink_to(portal.root / "content" / "xzf" / "a0.md")
    result = portal.build("--strict")
    assert result.returncode == 1
    assert "符号链接" in result.stderr
    assert not (portal.site / "pagefind").exists()
    assert not (portal.site / "manifest.json").exists()
    assert portal.build().returncode == 0  # the same site without --strict is indexed
    assert (portal.site / "pagefind" / "pagefind-entry.json").is_file()


def test_a_page_mkdocs_does_not_write_is_not_handed_to_pagefind():
    handed = []
    plugin = GongkaiPlugin()
    plugin.stream_pages = True
    plugin.search = SimpleNamespace(add_page=lambda rel, html: handed.append((rel, html)))
    page = SimpleNamespace(file=SimpleNamespace(dest_uri="xzf/a/index.html"))
    assert plugin.on_post_page(" \n", page=page, config=None) == " \n"  # blank: MkDocs skips it
    assert plugin.on_post_page("<html></html>", page=page, config=None) == "<html></html>"
    assert handed == [("xzf/a/index.html", "<html></html>")]


def test_a_preview_starts_no_pagefind_beside_the_build(monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("a preview indexes with the CLI, in the background")

    monkeypatch.setattr(search, "PagefindStream", refuse)
    plugin = GongkaiPlugin()
    plugin.stream_pages = False
    page = SimpleNamespace(file=SimpleNamespace(dest_uri="xzf/a/index.html"))
    assert plugin.on_post_page("<html></html>", page=page, config=None) == "<html></html>"
    assert plugin.search is None
