"""`gongkai serve`'s preview: rebuilds after an edit re-render only what changed, yet never show
what the gate refuses, drop withdrawn items, and keep catalogs and exports in step with the edit."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.kit import REPO, http_get, stop_server, wait_until

# Builds the way `gongkai serve` does (a fresh config per build, dirty builds into one site, the
# glue in preview mode), one build per line read on stdin; Pagefind is left out. A second argument
# sets how long ago a file must have changed for the loader to trust its stat (0: always).
DRIVER = """
import json, sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
from gongkai.read import loader
from gongkai.glue.preview import session

session().preview = True
session().index_loop = lambda site_dir: None
site, url = sys.argv[1], "http://127.0.0.1:8000/"
if len(sys.argv) > 2:
    loader.RACY_NS = int(sys.argv[2])
for line in sys.stdin:
    config = load_config(config_file="mkdocs.yml", site_dir=site)
    config.site_url = url
    try:
        build(config, serve_url=url, dirty=True)
        print(json.dumps({"ok": True}), flush=True)
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        print(json.dumps({"ok": False, "error": repr(exc)}), flush=True)
"""


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO / "site_src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


class Previewer:
    def __init__(self, portal, site: Path, racy_ns: int | None = None):
        self.portal, self.site = portal, site
        extra = [] if racy_ns is None else [str(racy_ns)]
        self.process = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(site), *extra], cwd=portal.root, env=_env(), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )

    def rebuild(self) -> None:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("build\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert answer["ok"], answer

    def page(self, rel: str) -> Path:
        return self.site / rel.removesuffix(".md") / "index.html"

    def text(self, rel: str) -> str:
        return (self.site / rel).read_text(encoding="utf-8")

    def leaks(self, needle: str) -> list[str]:
        return [str(p.relative_to(self.site)) for p in self.site.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture
def signed(portal):
    for name in ("a", "b", "c"):
        portal.item(f"xzf/{name}.md", f"{name} 的正文。", title=f"预览测试{name}", category="通知公告")
        portal.sign(f"xzf/{name}.md")
    return portal


@pytest.fixture
def preview(signed, tmp_path):
    previewer = Previewer(signed, tmp_path / "site")
    previewer.rebuild()
    yield previewer
    previewer.close()


def _resign(portal, rel: str, *, title: str | None = None, line: str, sign: bool = True) -> None:
    """Rewrites an item with a new body line (and title), without its old signatures; re-signs it."""
    path = portal.root / "content" / rel
    text = path.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    head = "\n".join(x for x in head.split("\n") if not x.startswith(("reviews:", "  ", "- "))) if sign else head
    if title is not None:
        head = "\n".join(f"title: {json.dumps(title, ensure_ascii=False)}" if x.startswith("title:") else x for x in head.split("\n"))
    path.write_text(head + "\n---\n" + body.rstrip("\n") + f"\n\n{line}\n", encoding="utf-8")
    if sign:
        portal.sign(rel)


def _catalog(previewer) -> str:
    return previewer.text("xxgk/gkml/index.html") + "".join(
        p.read_text(encoding="utf-8") for p in previewer.site.glob("xxgk/gkml/*/index.html")
    )


def test_a_signed_edit_shows_in_its_page_the_catalog_and_the_exports(preview):
    p = preview.portal
    untouched = preview.page("xzf/b.md").stat().st_mtime_ns
    marker = f"新增一行{uuid.uuid4().hex[:8]}"
    _resign(p, "xzf/a.md", title="预览测试a(修订)", line=marker)
    preview.rebuild()
    assert marker in preview.page("xzf/a.md").read_text(encoding="utf-8")
    catalog = _catalog(preview)
    assert "预览测试a(修订)" in catalog and "预览测试a<" not in catalog
    entries = {e["index_no"]: e["title"] for e in json.loads(preview.text("catalog.json"))["entries"]}
    assert "预览测试a(修订)" in entries.values() and "预览测试a" not in entries.values()
    assert "预览测试a(修订)" in preview.text("catalog.csv") and "预览测试a(修订)" in preview.text("feed.xml")
    # Only what changed was rendered again.
    assert preview.page("xzf/b.md").stat().st_mtime_ns == untouched


def test_an_edit_that_breaks_a_signature_takes_the_page_down(preview):
    p = preview.portal
    canary = f"CANARY{uuid.uuid4().hex[:10]}"
    _resign(p, "xzf/b.md", line=canary, sign=False)  # the old signatures no longer match
    preview.rebuild()
    assert not preview.page("xzf/b.md").exists()
    assert preview.leaks(canary) == []
    assert "预览测试b" not in _catalog(preview) and "预览测试b" not in preview.text("catalog.json")
    # Signed again, it comes back.
    _resign(p, "xzf/b.md", line="再次签名")
    preview.rebuild()
    assert canary in preview.page("xzf/b.md").read_text(encoding="utf-8")


def test_a_withdrawn_item_disappears_from_the_preview(preview):
    p = preview.portal
    assert preview.page("xzf/c.md").exists()
    (p.root / "content" / "xzf" / "c.md").unlink()
    preview.rebuild()
    assert not preview.page("xzf/c.md").exists()
    assert "预览测试c" not in _catalog(preview) and "预览测试c" not in preview.text("catalog.json")
    assert "预览测试c" not in preview.text("catalog.csv") and "xzf/c/" not in preview.text("sitemap.xml")


@pytest.mark.parametrize("racy_ns", [None, 0])
def test_an_edit_keeping_size_and_mtime_is_seen(signed, tmp_path, racy_ns):
    """The loader skips reading a file whose stat is unchanged: a rewrite of the same size with
    its mtime set back still changes its ctime. With racy_ns=0 every stat is trusted at once."""
    preview = Previewer(signed, tmp_path / "site", racy_ns)
    try:
        preview.rebuild()
        path = signed.root / "content" / "xzf" / "a.md"
        _resign(signed, "xzf/a.md", line="同长度修改1")
        preview.rebuild()
        assert "同长度修改1" in preview.page("xzf/a.md").read_text(encoding="utf-8")
        stat = path.stat()
        path.write_text(path.read_text(encoding="utf-8").replace("同长度修改1", "同长度修改2"), encoding="utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
        preview.rebuild()
        assert not preview.page("xzf/a.md").exists()  # its signatures no longer match the new bytes
    finally:
        preview.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the served preview is timed on Linux only")
def test_gongkai_serve_shows_a_signed_edit_and_drops_a_broken_one(signed):
    from tests.kit import free_port

    p = signed
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gongkai.cli", "serve", "-a", f"127.0.0.1:{port}"], cwd=p.root, env=_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )

    def get(path: str) -> tuple[int, str]:
        return http_get(port, path)

    def wait(check, limit: float = 60) -> None:
        wait_until(check, server, limit)

    try:
        wait(lambda: get("/xzf/a/")[0] == 200)
        marker = f"服务预览{uuid.uuid4().hex[:8]}"
        _resign(p, "xzf/a.md", line=marker)
        wait(lambda: marker in get("/xzf/a/")[1])
        _resign(p, "xzf/a.md", line="未签名的修改", sign=False)
        wait(lambda: get("/xzf/a/")[0] == 404)
    finally:
        stop_server(server)  # Ctrl-C, as a user stops it: MkDocs then removes its temporary site folder
