"""How a large site's search index is cut into shards (site.search_shards): every page in exactly
one shard, contiguous groups of folders, and a plan a page more or less barely moves."""
from __future__ import annotations

from pathlib import Path

from gongkai.site.search_shards import Shard, plan_shards

#: folder -> number of HTML pages directly in it
SITE = {
    "": 3, "xxgk": 2, "xxgk/gkml": 40, "czj/2024": 120, "czj/2025": 130, "fgj": 1, "fgj/2025": 90,
    "xzf": 1, "xzf/2023": 160, "xzf/2024": 170, "xzf/2025": 180, "zjj/2025": 60, "assets": 0,
}


def _site(root: Path, folders=SITE) -> list[str]:
    pages = []
    for folder, count in folders.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            rel = f"{folder}/p{i}.html" if folder else f"p{i}.html"
            (root / rel).write_text("<html></html>", encoding="utf-8")
            pages.append(rel)
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "style.css").write_text("", encoding="utf-8")
    (root / "pagefind" / "2").mkdir(parents=True)
    (root / "pagefind" / "playground.html").write_text("", encoding="utf-8")  # the bundle is not indexed
    return pages


def test_every_page_is_in_exactly_one_shard_of_about_the_same_size(tmp_path):
    pages = _site(tmp_path)
    shards = plan_shards(tmp_path, 300)
    assert [shard.number for shard in shards] == [1, 2, 3, 4]  # 957 pages, at most 300 each
    for rel in pages:
        assert sum(shard.owns(rel) for shard in shards) == 1, rel
    sizes = [sum(shard.owns(rel) for rel in pages) for shard in shards]
    assert sum(sizes) == len(pages) and max(sizes) <= 2 * len(pages) / len(shards), sizes
    assert shards[0].subdir == "pagefind" and shards[1].subdir == "pagefind/2"
    # A folder larger than a group is cut into its subfolders; the pages directly in it are a piece.
    assert ("files", "xzf") in [piece for shard in shards for piece in shard.pieces]
    assert ("files", "") in shards[0].pieces  # the pages at the top of the site
    assert shards[0].glob.startswith("{*.html,") and "xzf/*.html" in "".join(s.glob for s in shards)


def test_a_small_site_is_one_index_of_the_whole_site(tmp_path):
    _site(tmp_path)
    shards = plan_shards(tmp_path, 5000)
    assert shards == [Shard(1, (("tree", ""),))]
    assert shards[0].glob is None and shards[0].owns("a/b/index.html") and shards[0].owns("index.html")


def test_one_page_more_moves_one_piece_at_most(tmp_path):
    _site(tmp_path)
    before = plan_shards(tmp_path, 300)
    (tmp_path / "czj/2025/new.html").write_text("", encoding="utf-8")
    after = plan_shards(tmp_path, 300)
    moved = {piece for a, b in zip(before, after) for piece in set(a.pieces) ^ set(b.pieces)}
    assert len(before) == len(after) and len(moved) <= 2, moved


def test_a_folder_name_a_glob_would_misread_gives_one_index(tmp_path):
    _site(tmp_path, {"xzf": 400, "a{b}": 400})
    assert plan_shards(tmp_path, 300) == [Shard(1, (("tree", ""),))]


def test_globs_name_folders_and_the_pages_directly_in_one():
    shard = Shard(2, (("tree", "xzf/2024"), ("files", "xzf"), ("files", "")))
    assert shard.glob == "{xzf/2024/**/*.html,xzf/*.html,*.html}"
    assert Shard(3, (("tree", "czj"),)).glob == "czj/**/*.html"
    assert shard.owns("xzf/2024/a/index.html") and shard.owns("xzf/index.html") and shard.owns("404.html")
    assert not shard.owns("xzf/2025/a/index.html") and not shard.owns("xzf2024/index.html")


def test_pages_without_a_marked_body_are_left_out_only_when_some_page_has_one(tmp_path):
    from gongkai.site.search_shards import unmarked_pages

    for i in range(4):
        (tmp_path / f"a{i}.html").write_text("<main data-pagefind-body>正文</main>" if i else "<main>目录</main>", encoding="utf-8")
    assert unmarked_pages(tmp_path, 3) == {"a0.html"}
    assert unmarked_pages(tmp_path, 10) == set()  # one index: Pagefind decides
    (tmp_path / "a1.html").write_text("<main>目录</main>", encoding="utf-8")
    (tmp_path / "a2.html").write_text("<main>目录</main>", encoding="utf-8")
    (tmp_path / "a3.html").write_text("<main>目录</main>", encoding="utf-8")
    assert unmarked_pages(tmp_path, 3) == set()  # no page marks one: every page is indexed whole
