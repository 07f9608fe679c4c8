"""Pagefind beside the build (service mode) against the Pagefind CLI over the finished site."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import pytest

from gongkai.errors import GongkaiError
from gongkai.site import search

CANARY = "CANARYpagefind7f3a"


def _page(title: str, body: str, indexed: bool = True) -> str:
    article = f'<article data-pagefind-body><h1>{title}</h1><p>{body}</p></article>' if indexed else f"<div><h1>{title}</h1><p>{body}</p></div>"
    return f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head><body><header>网站标识码 站内搜索</header>{article}</body></html>\n'


#: rel path -> HTML: item pages, a listing without data-pagefind-body, a page outside the
#: directory URLs (use_directory_urls: false), one with a Chinese name and the home page.
PAGES = {
    "index.html": _page("首页", "示范县人民政府信息公开首页", indexed=False),
    "xzf/2025/shoufei/index.html": _page("涉企收费专项检查的通知", "开展涉企收费专项检查,优化营商环境。"),
    "fgj/2025/baozhuang.html": _page("水电气报装办理指南", "报装流程简化,办理时限压缩。"),
    "xxgk/gkzn/index.html": _page("政府信息公开指南", "依申请公开的受理机构和办理时限。"),
    "xxgk/gkml/tzgg/index.html": _page("通知公告", "列表页不是搜索结果。", indexed=False),
    "jyj/2025/招生通知/index.html": _page("招生通知", "义务教育阶段招生入学。"),
}
#: Written by the build without passing through gongkai (as MkDocs writes 404.html).
STATIC = {"404.html": _page("页面不存在", "找不到页面", indexed=False)}
INDEXED = {"/xzf/2025/shoufei/", "/fgj/2025/baozhuang.html", "/xxgk/gkzn/", "/jyj/2025/招生通知/"}


def _site(root: Path, pages: dict[str, str]) -> Path:
    for rel, html in pages.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(html.encode("utf-8", "xmlcharrefreplace"))
    return root


def _no_fallback(site_dir):
    raise AssertionError("the stream fell back to the CLI")


def _streamed(site: Path, pages: dict[str, str], order=None) -> tuple[dict, search.PagefindStream]:
    """Has Pagefind read the pages of the site; fails if the stream fell back to the CLI."""
    stream = search.PagefindStream(site)
    for rel in order or pages:
        stream.add_page(rel, pages[rel])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "index_site", _no_fallback)
        return stream.finish(), stream


def _both(tmp_path: Path, pages: dict[str, str], written: dict[str, str] | None = None) -> tuple[dict, dict, Path, Path]:
    """Returns (streamed stats, CLI stats, streamed site, CLI site) for one site."""
    files = written if written is not None else {**pages, **STATIC}
    streamed, cli = _site(tmp_path / "streamed", files), _site(tmp_path / "cli", files)
    expected = search.index_site(cli)
    stats, _ = _streamed(streamed, pages)
    return stats, expected, streamed, cli


def _fragments(site: Path) -> dict[str, dict]:
    found = {}
    for path in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        fragment = json.loads(data[data.index(b"{"):].decode("utf-8"))
        fragment["content"] = fragment["content"].replace("\u200b", "")
        found[fragment["url"]] = fragment
    return found


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _leaks(site: Path, needle: str) -> list[str]:
    found = []
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data += gzip.decompress(data)
            if needle.encode() in data.replace("\u200b".encode(), b""):
                found.append(path.relative_to(site).as_posix())
    return found


@pytest.mark.parametrize("rel, url", [
    ("index.html", "/"),
    ("xzf/2023/c16-004962/index.html", "/xzf/2023/c16-004962/"),
    ("xzf/2023/c16-004962.html", "/xzf/2023/c16-004962.html"),
    ("404.html", "/404.html"),
    ("a/myindex.html", "/a/myindex.html"),
])
def test_a_page_gets_the_url_the_cli_gives_its_file(rel, url):
    assert search.search_url(rel) == url


def test_the_streamed_index_is_the_index_the_cli_writes_for_the_same_site(tmp_path):
    stats, expected, streamed, cli = _both(tmp_path, PAGES)
    # The pages are numbered in the order they came (the CLI: as it found the files), which
    # changes a few bytes of the word index, not what it holds.
    sized = ("bytes", "index_chunk_max_bytes")
    assert {k: v for k, v in stats.items() if k not in sized} == {k: v for k, v in expected.items() if k not in sized}
    assert all(abs(stats[k] - expected[k]) <= max(64, 0.01 * expected[k]) for k in sized)
    assert stats["pages"] == stats["fragments"] == 4 and stats["words"] > 0
    assert _fragments(streamed) == _fragments(cli)
    assert set(_fragments(streamed)) == INDEXED


def test_pagefind_is_stopped_and_its_temporary_files_removed(tmp_path):
    site = _site(tmp_path / "site", PAGES)
    _, stream = _streamed(site, PAGES)
    assert stream._process.returncode == 0  # stopped at the end of its input, and reaped
    assert not Path(stream._tmp).exists()


def test_pages_the_build_wrote_on_its_own_are_read_as_the_cli_reads_them(tmp_path):
    # Without any data-pagefind-body Pagefind indexes every page, 404.html included.
    pages = {rel: html.replace(" data-pagefind-body", "") for rel, html in PAGES.items()}
    stats, expected, streamed, cli = _both(tmp_path, pages, {**pages, **STATIC})
    assert (stats["pages"], stats["words"]) == (expected["pages"], expected["words"]) == (7, expected["words"])
    assert "/404.html" in _fragments(streamed)
    assert _fragments(streamed) == _fragments(cli)


def test_a_static_page_with_a_body_is_indexed_as_the_cli_indexes_it(tmp_path):
    static = {"offline.html": _page("离线页面", "网络不可用时显示")}
    stats, expected, streamed, cli = _both(tmp_path, PAGES, {**PAGES, **STATIC, **static})
    assert stats["pages"] == expected["pages"] == 5
    assert _fragments(streamed) == _fragments(cli)


def test_pages_without_a_body_are_not_read_but_the_index_is_the_same(tmp_path, monkeypatch):
    read = []
    read_page = search.PagefindStream._read_page
    monkeypatch.setattr(search.PagefindStream, "_read_page", lambda self, rel: (read.append(rel), read_page(self, rel))[1])
    pages = {**PAGES, "fgj/upper/index.html": _page("大写属性", "属性名不分大小写").replace("data-pagefind-body", "DATA-PageFind-Body")}
    stats, expected, streamed, cli = _both(tmp_path, pages, {**pages, **STATIC})
    assert read == ["xzf/2025/shoufei/index.html", "fgj/2025/baozhuang.html", "xxgk/gkzn/index.html",
                    "jyj/2025/招生通知/index.html", "fgj/upper/index.html", "404.html"]
    assert (stats["pages"], stats["words"]) == (expected["pages"], expected["words"]) == (5, expected["words"])
    assert _fragments(streamed) == _fragments(cli)


def test_the_word_data_pagefind_body_in_the_text_of_a_page_is_no_body(tmp_path):
    # No page has the attribute, one only names it: the pages held back had to be read.
    pages = {rel: html.replace(" data-pagefind-body", "") for rel, html in PAGES.items()}
    pages["xxgk/gkzn/index.html"] = _page("主题说明", "正文外层的 article 上的 data-pagefind-body 决定哪些页面能被搜索到", indexed=False)
    streamed, cli = _site(tmp_path / "streamed", {**pages, **STATIC}), _site(tmp_path / "cli", {**pages, **STATIC})
    expected = search.index_site(cli)
    stream = search.PagefindStream(streamed)
    for rel, html in pages.items():
        stream.add_page(rel, html)
    stats = stream.finish()  # falls back to the CLI
    assert (stats["pages"], stats["words"]) == (expected["pages"], expected["words"]) == (7, expected["words"])
    assert _fragments(streamed) == _fragments(cli)


def test_one_sequence_of_pages_always_gives_the_same_bundle(tmp_path):
    one = _site(tmp_path / "one", {**PAGES, **STATIC})
    two = _site(tmp_path / "two", {**PAGES, **STATIC})
    _streamed(one, PAGES, list(PAGES))
    _streamed(two, PAGES, list(PAGES))
    assert _tree(one / "pagefind") == _tree(two / "pagefind")
    three = _site(tmp_path / "three", {**PAGES, **STATIC})
    _streamed(three, PAGES, list(reversed(PAGES)))
    assert _fragments(three) == _fragments(one)  # another order: the same pages, numbered otherwise


def test_a_page_changed_after_it_was_handed_over_is_indexed_as_written(tmp_path):
    # Another plugin rewrote the page after gongkai's hook: Pagefind reads the file.
    rel = "xzf/2025/shoufei/index.html"
    site = _site(tmp_path / "site", {**PAGES, **STATIC})
    stream = search.PagefindStream(site)
    for name, html in PAGES.items():
        stream.add_page(name, html.replace("优化营商环境", CANARY) if name == rel else html)
    stats = stream.finish()
    assert stats["pages"] == 4
    assert "优化营商环境" in _fragments(site)["/xzf/2025/shoufei/"]["content"]
    assert _leaks(site, CANARY) == []


def test_a_page_handed_over_but_never_written_is_not_indexed(tmp_path, monkeypatch):
    site = _site(tmp_path / "site", {**PAGES, **STATIC})
    stream = search.PagefindStream(site)
    for name, html in PAGES.items():
        stream.add_page(name, html)
        if name == "xzf/2025/shoufei/index.html":
            stream.add_page("xzf/2025/withdrawn/index.html", _page("撤回的信息", CANARY))
    monkeypatch.setattr(search, "index_site", _no_fallback)
    stats = stream.finish()
    assert stats["pages"] == 4
    assert "/xzf/2025/withdrawn/" not in _fragments(site)
    assert _leaks(site, CANARY) == []


def test_a_page_added_twice_is_indexed_as_last_written(tmp_path):
    rel = "xzf/2025/shoufei/index.html"
    site = _site(tmp_path / "site", {**PAGES, **STATIC})
    stream = search.PagefindStream(site)
    for name, html in PAGES.items():
        stream.add_page(name, html)
    stream.add_page(rel, PAGES[rel])
    assert stream.finish()["pages"] == 4  # by the CLI: one file, one page
    assert len(_fragments(site)) == 4


def test_a_file_name_a_glob_would_misread_is_read_with_its_text(tmp_path):
    pages = {"xzf/a b[1]{x,y}*/index.html": _page("特殊路径", "括号和星号"), "xzf/plain/index.html": _page("普通路径", "普通")}
    stats, expected, streamed, cli = _both(tmp_path, pages, pages)
    assert stats["pages"] == expected["pages"] == 2
    assert _fragments(streamed) == _fragments(cli)
    assert "/xzf/a b[1]{x,y}*/" in _fragments(streamed)


def test_control_characters_quotes_and_backslashes_are_indexed_as_the_cli_indexes_them(tmp_path):
    pages = {"xzf/a/index.html": _page("标题\"引号\"", "正文\\反斜杠\t制表\r\n换行\x01\x1f结束\ud800孤立代理")}
    stats, expected, streamed, cli = _both(tmp_path, pages, pages)
    assert (stats["pages"], stats["words"]) == (expected["pages"], expected["words"]) == (1, expected["words"])
    assert _fragments(streamed) == _fragments(cli)


def test_a_page_in_the_bundle_folder_is_refused(tmp_path):
    pages = {**PAGES, "pagefind/x/index.html": _page("占位", "内容")}
    site = _site(tmp_path / "site", pages)
    stream = search.PagefindStream(site)
    with pytest.raises(GongkaiError, match="保留目录"):
        stream.finish()
    assert stream._process.returncode is not None


def test_abort_kills_pagefind_and_writes_nothing(tmp_path):
    site = _site(tmp_path / "site", PAGES)
    stream = search.PagefindStream(site)
    for rel, html in PAGES.items():
        stream.add_page(rel, html)
    stream.abort()
    stream.abort()  # twice: nothing more happens
    assert stream._process.returncode is not None
    assert not (site / "pagefind").exists()
    assert not Path(stream._tmp).exists()


def test_no_pagefind_process_outlives_a_stream(tmp_path):
    site = _site(tmp_path / "site", PAGES)
    streams = [search.PagefindStream(site), search.PagefindStream(site), search.PagefindStream(tmp_path / "nosite")]
    for stream in streams:
        for rel, html in PAGES.items():
            stream.add_page(rel, html)
    streams[0].finish()
    streams[1].abort()
    with pytest.raises(GongkaiError, match="不存在"):
        streams[2].finish()
    for stream in streams:
        assert stream._process.returncode is not None
        assert _state(stream._process.pid) != "Z"
    assert (site / "pagefind" / "pagefind-entry.json").is_file()


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0].decode()
    except OSError:
        return ""


# ---------------------------------------------------------------- a Pagefind that misbehaves

FAKE = r'''
import base64, json, sys, time
mode = "{mode}"
def reply(message_id, payload):
    sys.stdout.buffer.write(base64.b64encode(json.dumps({{"message_id": message_id, "payload": payload}}).encode()) + b",")
    sys.stdout.flush()
if mode == "exit":
    sys.stderr.write("Pagefind 崩溃了\n")
    sys.exit(3)
message = b""
while True:
    byte = sys.stdin.buffer.read(1)
    if not byte:
        sys.exit(0)
    if byte != b",":
        message += byte
        continue
    request = json.loads(base64.b64decode(message))
    message = b""
    kind = request["payload"]["type"]
    if mode == "silent":
        continue
    if kind == "NewIndex":
        reply(request["message_id"], {{"type": "NewIndex", "index_id": 0}})
    elif kind in ("AddDir", "AddFile"):
        if mode == "page-error":
            reply(request["message_id"], {{"type": "Error", "message": "无法解析页面", "original_message": None}})
        elif mode == "not-found":
            reply(request["message_id"], {{"type": "IndexedDir", "page_count": 0}})
        else:
            reply(request["message_id"], {{"type": "IndexedDir", "page_count": 1}})
    elif kind == "WriteFiles":
        if mode == "hang":
            time.sleep(3600)
        out = request["payload"]["output_path"]
        import os
        os.makedirs(out, exist_ok=True)
        for name in ("pagefind-entry.json", "pagefind-ui.js"):
            open(os.path.join(out, name), "w").write("{{}}")
        reply(request["message_id"], {{"type": "WriteFiles", "output_path": out}})
'''


@pytest.fixture
def fake_pagefind(tmp_path, monkeypatch):
    def make(mode: str) -> Path:
        path = tmp_path / f"pagefind-{mode}"
        path.write_text(f"#!{sys.executable}\n" + FAKE.format(mode=mode), encoding="utf-8")
        path.chmod(0o755)
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(path))
        return path

    return make


def _fed(site: Path) -> search.PagefindStream:
    stream = search.PagefindStream(site, timeout=1)
    for rel, html in PAGES.items():
        stream.add_page(rel, html)
    return stream


def test_a_pagefind_that_never_answers_times_out_in_chinese(fake_pagefind, tmp_path):
    fake_pagefind("silent")
    started = time.monotonic()
    with pytest.raises(GongkaiError, match="超时.*1 秒"):
        search.PagefindStream(tmp_path, start_timeout=1)
    assert time.monotonic() - started < 15


def test_a_pagefind_that_exits_is_reported_with_its_exit_code_and_output(fake_pagefind, tmp_path):
    fake_pagefind("exit")
    with pytest.raises(GongkaiError, match=r"意外退出(?s:.*)退出码 3(?s:.*)Pagefind 崩溃了"):
        search.PagefindStream(tmp_path)


def test_a_bundle_that_takes_too_long_stops_the_build_and_pagefind(fake_pagefind, tmp_path):
    fake_pagefind("hang")
    stream = _fed(_site(tmp_path / "site", PAGES))
    with pytest.raises(GongkaiError, match="建立搜索索引超时"):
        stream.finish()
    assert stream._process.returncode is not None  # killed and reaped: no zombie


def test_a_page_pagefind_cannot_index_fails_the_index_and_names_the_page(fake_pagefind, tmp_path):
    fake_pagefind("page-error")
    stream = _fed(_site(tmp_path / "site", PAGES))
    with pytest.raises(GongkaiError, match=r"页面 xzf/2025/shoufei/index\.html:无法解析页面"):
        stream.finish()
    assert stream._process.returncode is not None


def test_a_written_page_pagefind_does_not_find_sends_the_site_to_the_cli(fake_pagefind, tmp_path, monkeypatch):
    fake_pagefind("not-found")
    stream = _fed(_site(tmp_path / "site", PAGES))
    monkeypatch.setattr(search, "index_site", lambda site_dir: {"by": "cli", "site": site_dir})
    assert stream.finish() == {"by": "cli", "site": (tmp_path / "site").absolute()}
    assert stream._process.returncode is not None


def test_a_missing_binary_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "nope"))
    with pytest.raises(GongkaiError, match="PAGEFIND_BINARY_PATH"):
        search.PagefindStream(tmp_path)


def test_pagefind_runs_beside_the_build_only_with_a_core_to_spare(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert search.can_run_beside() is False
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert search.can_run_beside() is True
