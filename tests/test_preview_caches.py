"""The caches that make `gongkai serve`'s rebuilds cheap give exactly what computing afresh gives."""
from __future__ import annotations

import csv
import io
import json
import os
import time
from datetime import date
from types import SimpleNamespace

import pytest

from gongkai.cache import BuildCache
from gongkai.glue import preview, watch
from gongkai.model import Decision, Item, Settings, Unit, Verdict
from gongkai.portal import evaluate
from gongkai.read import loader
from gongkai.site import catalog, pages

SETTINGS = Settings(agency="测试县人民政府", units=(Unit(id="xzf", name="测试县人民政府办公室", code="11369999MB0000001A"),))


def _decision(number: int, title: str | None = None, **meta) -> Decision:
    values = {
        "title": title or f"第{number}号通知",
        "index_no": f"11369999MB0000001A/2025-{number:05d}",
        "unit": "xzf",
        "attribute": "主动公开",
        "category": "通知公告",
        "created": "2025-03-01",
        "published": f"2025-03-{1 + number % 28:02d}",
        **meta,
    }
    item = Item(path=f"content/xzf/{number}.md", rel=f"xzf/{number}.md", meta=values, body="正文。", body_line=10, lines={})
    return Decision(item.path, Verdict.PUBLISH, item, text=f"第{number}号的正文,含\"引号\"、反斜杠\\与 <标签>。")


def _url(item: Item) -> str:
    return item.rel.removesuffix(".md") + "/"


def _reference_json(entries, site_url):
    rows = [{key: e.field(key, site_url) for key in catalog.COLUMNS} | {"summary": e.summary} for e in entries]
    return json.dumps({"columns": list(catalog.COLUMNS), "entries": rows}, ensure_ascii=False, indent=1) + "\n"


def _reference_csv(entries, site_url):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(catalog.CSV_HEADERS)
    for e in entries:
        values = [e.unit_name if key == "unit" else e.field(key, site_url) for key in catalog.COLUMNS]
        writer.writerow(["'" + v if v[:1] in ("=", "+", "-", "@") else v for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_exports_are_what_json_and_csv_write_and_follow_an_edit():
    cache = BuildCache()
    decisions = [_decision(n) for n in range(1, 8)] + [_decision(8, title='=HYPERLINK("x"),逗号\n换行'), _decision(9, title="")]
    entries = catalog.build_entries(decisions, SETTINGS, _url, cache)
    for site_url in ("", "https://www.example.gov.cn/"):
        assert catalog.catalog_json(entries, site_url, cache) == _reference_json(entries, site_url)
        assert catalog.catalog_csv(entries, site_url, cache) == _reference_csv(entries, site_url)
    assert catalog.catalog_json([], "", cache) == _reference_json([], "")
    assert catalog.catalog_csv([], "", cache) == _reference_csv([], "")
    assert catalog.catalog_json(entries, "", cache) == _reference_json(entries, "")  # rows kept for the edit below
    # One item edited: the same Entry objects for the others, the new title in both exports.
    decisions[2] = _decision(3, title="第3号通知(修订)")
    again = catalog.build_entries(decisions, SETTINGS, _url, cache)
    kept = {e.item.path: e for e in entries}
    assert all((e is kept[e.item.path]) == (e.item.path != "content/xzf/3.md") for e in again)
    assert catalog.catalog_json(again, "", cache) == _reference_json(again, "")
    assert "第3号通知(修订)" in catalog.catalog_csv(again, "", cache).decode("utf-8")


def test_listing_pages_are_made_again_only_where_an_entry_changed():
    decisions = [_decision(n) for n in range(1, 121)]
    day = date(2026, 6, 30)
    cache = BuildCache()

    def pages(decisions):
        entries = catalog.build_entries(decisions, SETTINGS, _url, cache)
        return catalog.listing_pages("xxgk/gkml/tzgg", "通知公告", "", entries, lambda src: src.removesuffix("index.md"), day, cache=cache)

    first = pages(decisions)
    assert len(first) == 3
    assert [a is b for a, b in zip(first, pages(decisions))] == [True, True, True]
    # The newest item (first page) is retitled: only the first page is made again, and shows it.
    newest = max(decisions, key=lambda d: (d.item.meta["published"], d.item.index_no))
    decisions[decisions.index(newest)] = _decision(int(newest.item.meta["index_no"][-5:]), title="改过的标题")
    second = pages(decisions)
    assert [a is b for a, b in zip(first, second)] == [False, True, True]
    assert "改过的标题" in second[0].markdown + "".join(second[0].html_blocks)
    # Another day, another page count: every page again.
    assert not any(a is b for a, b in zip(second, catalog.listing_pages(
        "xxgk/gkml/tzgg", "通知公告", "", catalog.build_entries(decisions, SETTINGS, _url, cache), lambda src: src.removesuffix("index.md"), date(2026, 7, 1), cache=cache)))


def test_an_evaluation_reuses_what_its_cache_holds_and_nothing_else(portal):
    for name in ("a", "b"):
        portal.item(f"xzf/{name}.md", f"{name} 的正文。")
        portal.sign(f"xzf/{name}.md")
    extra = json.loads((portal.root / "mkdocs.yml").read_text(encoding="utf-8"))["extra"]["gongkai"]

    def evaluated(cache=None):
        return evaluate(portal.root, portal.root / "content", extra, "测试县", workers=1, cache=cache)

    first = evaluated()
    again, fresh = evaluated(first.cache), evaluated()
    assert again.cache is first.cache and fresh.cache is not first.cache
    assert [d.verdict for d in first.decisions] == [d.verdict for d in fresh.decisions] == [Verdict.PUBLISH] * 2
    assert all(a is b for a, b in zip(first.decisions, again.decisions))  # a rebuild: nothing read or decided again
    assert not any(a is b for a, b in zip(first.decisions, fresh.decisions))  # no cache shared behind the portal's back
    page = pages.item_page(first.decisions[0], first.settings, cache=first.cache)
    assert pages.item_page(again.decisions[0], again.settings, cache=again.cache) is page
    assert pages.item_page(fresh.decisions[0], fresh.settings, cache=fresh.cache) == page


def _load(path, cache):
    return loader.load_item(path, path.parent, path.parent, None, cache=cache)


def test_an_item_is_read_again_after_any_write(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "RACY_NS", 0)  # trust every stat at once: only the stat protects
    path, cache = tmp_path / "a.md", BuildCache()
    path.write_text("---\ntitle: 甲\n---\n正文一\n", encoding="utf-8")
    assert _load(path, cache).item.body == "正文一\n"
    assert cache.read[str(path)][3] is not None  # trusted: not read next time
    stat = path.stat()
    time.sleep(0.05)  # past the file system clock's tick (RACY_NS covers writes within one)
    path.write_text("---\ntitle: 甲\n---\n正文二\n", encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: the ctime still moves
    assert path.stat().st_size == stat.st_size
    assert _load(path, cache).item.body == "正文二\n"
    time.sleep(0.05)
    replacement = tmp_path / "b.tmp"
    replacement.write_text("---\ntitle: 甲\n---\n正文三\n", encoding="utf-8")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, path)  # a rename over it (git, editors): another inode
    assert _load(path, cache).item.body == "正文三\n"


def test_a_recently_changed_item_is_not_trusted_by_its_stat(tmp_path):
    path, cache = tmp_path / "a.md", BuildCache()
    path.write_text("---\ntitle: 甲\n---\n正文\n", encoding="utf-8")
    _load(path, cache)
    assert cache.read[str(path)][3] is None  # changed less than RACY_NS ago: read every time


MOUNTINFO = """\
22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
30 22 0:26 / /tmp rw,nosuid shared:2 - tmpfs tmpfs rw
40 22 0:50 / /mnt/c rw,noatime - 9p drvfs rw
41 22 0:51 / /srv/my\\040share rw - nfs4 server:/export rw
"""


@pytest.mark.parametrize(
    "path, kind",
    [("/", "ext4"), ("/home/u/portal/content", "ext4"), ("/tmp/portal", "tmpfs"), ("/mnt/c/Users/u/portal", "9p"), ("/mnt/cx", "ext4"), ("/srv/my share/p", "nfs4")],
)
def test_the_file_system_of_a_path_is_that_of_its_deepest_mount(path, kind, monkeypatch):
    monkeypatch.setattr(os.path, "realpath", lambda p: p)
    assert watch.filesystem_type(path, MOUNTINFO) == kind


class _Observer:
    def __init__(self, fail: bool = False):
        self.fail, self.scheduled, self.started = fail, [], False

    def schedule(self, handler, path, recursive=False):
        self.scheduled.append((handler, path, recursive))
        return ("watch", path)

    def unschedule(self, watch):
        self.scheduled = [s for s in self.scheduled if ("watch", s[1]) != watch]

    def start(self):
        if self.fail:
            raise OSError(28, "inotify watch limit reached")
        self.started = True


class _Event:
    def __init__(self, event_type, src_path="/p/content/a.md", dest_path=""):
        self.event_type, self.src_path, self.dest_path, self.is_directory = event_type, src_path, dest_path, False


def test_the_watcher_uses_inotify_for_local_folders_and_polls_the_rest():
    polling, native, safety = _Observer(), _Observer(), _Observer()
    watcher = watch.Watcher(polling, native_factory=lambda: native, suitable=lambda path: path.endswith("content"), safety_factory=lambda: safety)
    seen = []

    class Handler:
        def dispatch(self, event):
            seen.append((event.event_type, event.src_path))

    watcher.schedule(Handler(), "/p/content", recursive=True)
    watcher.schedule(Handler(), "/p/mkdocs.yml", recursive=True)
    assert [s[1] for s in native.scheduled] == ["/p/content"] and [s[1] for s in polling.scheduled] == ["/p/mkdocs.yml"]
    assert [s[1] for s in safety.scheduled] == ["/p/content"]  # polled slowly too
    watcher.start()
    assert native.started and polling.started and safety.started
    reported, polled = native.scheduled[0][0], safety.scheduled[0][0]
    for kind in ("opened", "closed_no_write", "modified", "closed"):
        reported.dispatch(_Event(kind))
    reported.dispatch(_Event("moved", "/p/content/.b.md.tmp", "/p/content/b.md"))
    assert seen == [("modified", "/p/content/a.md"), ("closed", "/p/content/a.md"), ("moved", "/p/content/.b.md.tmp")]  # reading is no change
    seen.clear()
    polled.dispatch(_Event("modified"))  # inotify reported it already
    polled.dispatch(_Event("created", "/p/content/b.md"))
    polled.dispatch(_Event("modified", "/p/content/sub/c.md"))  # inotify missed it
    assert seen == [("modified", "/p/content/sub/c.md")]


def test_the_watcher_polls_what_inotify_cannot_take():
    polling, native, safety = _Observer(), _Observer(fail=True), _Observer()
    watcher = watch.Watcher(polling, native_factory=lambda: native, suitable=lambda path: True, safety_factory=lambda: safety)
    watcher.schedule(object(), "/p/content", recursive=True)
    watcher.start()
    assert [s[1] for s in polling.scheduled] == ["/p/content"] and polling.started and not safety.started
    watcher.schedule(object(), "/p/theme", recursive=True)  # later folders are polled too
    assert [s[1] for s in polling.scheduled] == ["/p/content", "/p/theme"]


def test_a_preview_rebuild_leaves_a_page_whose_content_is_what_it_built(tmp_path):
    state = preview.Session()
    state.preview = True
    state.heap_frozen = True  # not this test process's heap
    state.index_loop = lambda site_dir: None
    dest = tmp_path / "a" / "index.html"

    def built(markdown: str, cell: str = "甲"):
        file = SimpleNamespace(src_uri="a.md", abs_dest_path=str(dest), is_modified=lambda: True)
        block = f"<table><tr><td>{cell}</td></tr></table>"
        state.unless_changed(file, state.stash_once("a.md", markdown, (cell,), lambda: [block] if block in markdown else []))
        return file.is_modified()

    markdown = "# 甲\n\n<table><tr><td>甲</td></tr></table>\n"
    assert built(markdown)  # never built
    dest.parent.mkdir()
    dest.write_text("<html></html>", encoding="utf-8")
    state.finish_preview(tmp_path)
    assert not built(markdown)  # the very same Markdown and blocks: MkDocs leaves the page
    state.finish_preview(tmp_path)
    assert built(markdown.replace("甲</td>", "丙</td>"), cell="丙")  # a stashed block changed
    state.finish_preview(tmp_path)
    assert built("# 乙\n")
    state.render_key = "another theme"
    assert built("# 乙\n")
    state.finish_preview(tmp_path)
    dest.unlink()
    assert built("# 乙\n")  # built the same, but gone from the site
