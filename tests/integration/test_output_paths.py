"""Output paths are owned: an item's page or attachment never lands on a generated path or on
another item's output; attachments a browser would run as pages are refused."""
from __future__ import annotations

import json
import uuid

import pytest

from gongkai.law import layout as urls
from tests.kit import pdf_bytes


def _canary() -> str:
    return f"CANARY{uuid.uuid4().hex[:12]}"


def _attach(portal, rel: str, data: str) -> None:
    path = portal.root / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if rel.endswith(".pdf"):  # a PDF gongkai can read (one it cannot is refused for that alone)
        path.write_bytes(pdf_bytes(data.encode("ascii", "ignore").decode().strip() or "attachment"))
    else:
        path.write_text(data, encoding="utf-8")


def _refused_item(portal, rel: str, *words: str) -> None:
    """The build goes on without the item (a warning naming path:line), strict fails, check reports it."""
    result = portal.build()
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    line = next((x for x in result.stderr.splitlines() if f"content/{rel}:" in x), None)
    assert line is not None, result.stderr
    for word in words:
        assert word in line, line
    strict = portal.build("--strict")
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    check = portal.run("check")
    assert check.returncode == 1 and f"content/{rel}:" in check.stdout, check.stdout


def test_two_items_on_one_url_are_both_refused(portal):
    canary_a, canary_b = _canary(), _canary()
    portal.item("xzf/a/b.md", f"第一份 {canary_a}")
    portal.item("xzf/a/b/index.md", f"第二份 {canary_b}")
    portal.item("xzf/ok.md", "无关的信息照常发布。")
    for rel in ("xzf/a/b.md", "xzf/a/b/index.md", "xzf/ok.md"):
        portal.sign(rel)
    _refused_item(portal, "xzf/a/b.md", "同一个网址", "xzf/a/b/index.md")
    _refused_item(portal, "xzf/a/b/index.md", "同一个网址")
    assert portal.build().returncode == 0
    assert (portal.site / "xzf/ok/index.html").exists()
    assert portal.leaks(canary_a) == [] and portal.leaks(canary_b) == []
    titles = [e["title"] for e in json.loads((portal.site / "catalog.json").read_text(encoding="utf-8"))["entries"]]
    assert len(titles) == 1


def test_urls_that_differ_only_in_letter_case_collide(portal):
    canary = _canary()
    portal.item("xzf/Notice.md", f"大写 {canary}")
    portal.item("xzf/notice.md", f"小写 {canary}")
    portal.sign("xzf/Notice.md")
    portal.sign("xzf/notice.md")
    _refused_item(portal, "xzf/notice.md", "不区分大小写")
    assert portal.leaks(canary) == []


def test_an_item_page_named_like_a_generated_file_is_refused(portal):
    canary = _canary()
    portal.item("catalog.json.md", f"冒充目录 {canary}", title=f"冒充 {canary}")
    portal.item("feed.xml/x.md", f"冒充订阅 {canary}")
    portal.item("XXGK/x.md", f"冒充公开 {canary}")
    portal.sign("XXGK/x.md")  # the loader refuses to sign the other two: reserved paths
    _refused_item(portal, "XXGK/x.md", "系统生成")
    check = portal.run("check")
    assert "content/catalog.json.md:" in check.stdout and "content/feed.xml/x.md:" in check.stdout
    json.loads((portal.site / "catalog.json").read_text(encoding="utf-8"))  # the real catalog
    assert portal.leaks(canary) == []


@pytest.mark.parametrize("name", ["catalog.csv", "manifest.json", "assets/javascripts/x.pdf", "pagefind/pagefind.js.pdf", "Sitemap.xml.gz"])
def test_an_attachment_on_a_generated_path_is_refused(portal, name):
    canary = _canary()
    _attach(portal, name, f"冒充 {canary}\n")
    portal.item("x.md", "根目录下的信息。", attachments=[name])
    portal.sign("x.md")
    _refused_item(portal, "x.md", "系统生成")
    assert portal.leaks(canary) == []


def test_an_attachment_cannot_take_another_items_folder(portal):
    canary = _canary()
    _attach(portal, "xzf/a", f"附件 {canary}\n")
    portal.item("xzf/a.md", "信息 a。")
    portal.item("xzf/b.md", "信息 b。", attachments=["a"])
    portal.sign("xzf/a.md")
    portal.sign("xzf/b.md")
    _refused_item(portal, "xzf/b.md", "既是文件又是目录")
    assert portal.leaks(canary) == []


@pytest.mark.parametrize("name", ["files/x.html", "files/x.HTM", "files/x.svg", "files/x.xhtml", "files/x.xml", "files/x.js"])
def test_attachments_a_browser_runs_as_pages_are_refused(portal, name):
    canary = _canary()
    _attach(portal, f"xzf/{name}", f"<html><script>alert('{canary}')</script></html>\n")
    portal.item("xzf/a.md", "正文。", attachments=["files/ok.pdf", name])
    _attach(portal, "xzf/files/ok.pdf", "%PDF-1.4\n")
    portal.sign("xzf/a.md")
    result = portal.build()
    assert result.returncode == 0, result.stderr
    assert "content/xzf/a.md:" in result.stderr and "PDF" in result.stderr
    assert "content/xzf/a.md:" in portal.run("check").stdout
    assert portal.leaks(canary) == [] and not (portal.site / "xzf/a/index.html").exists()


def test_every_generated_path_comes_from_the_one_list(portal):
    portal.item("xzf/a.md", "正文。", attachments=["files/a.pdf"])
    _attach(portal, "xzf/files/a.pdf", "%PDF-1.4\n")
    portal.sign("xzf/a.md")
    result = portal.build()
    assert result.returncode == 0, result.stderr
    tops = {p.name for p in portal.site.iterdir()} - {"xzf"}
    assert tops <= set(urls.GENERATED_DIRS + urls.GENERATED_FILES), tops - set(urls.GENERATED_DIRS + urls.GENERATED_FILES)


@pytest.mark.parametrize("src", ["a/b.md", "a/index.md", "a/README.md", "index.md", "a.b.md"])
@pytest.mark.parametrize("directory_urls", [True, False])
def test_page_dest_is_where_mkdocs_writes(tmp_path, src, directory_urls):
    from mkdocs.structure.files import File

    assert urls.page_dest(src, directory_urls) == File(src, str(tmp_path), str(tmp_path / "site"), directory_urls).dest_uri


def test_output_conflicts_see_folders_files_and_generated_paths():
    claims = [
        ("content/catalog.json.md", urls.page_dest("catalog.json.md"), False),
        ("content/a.md", "xzf/a/index.html", False),
        ("content/b.md", "xzf/a", False),
        ("content/c.md", "xzf/c/index.html", False),
        ("content/d.md", "files/d.pdf", False),
        ("content/d.md", "files/d.pdf", False),  # one item listing a file twice is no conflict
        ("content/r.md", "xxgk/gknb/2025/xzf/index.html", True),
    ]
    found = urls.output_conflicts(claims, ["favicon.ico"])
    assert set(found) == {"content/catalog.json.md", "content/a.md", "content/b.md"}
    assert set(urls.output_conflicts([("content/e.md", "Favicon.ico", False)], ["favicon.ico"])) == {"content/e.md"}
