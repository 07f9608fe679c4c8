"""`gongkai serve --drafts`: a reviewer sees a pending item's page, redacted as it would be
published and marked 审核预览·未发布, on this computer only; no build, package or publish ever
carries a draft."""
from __future__ import annotations

import subprocess
import sys
import tarfile
import uuid

import pytest

from tests.integration.test_preview import _env
from tests.kit import free_port, http_get, stop_server, wait_until

BASIS = "《政府信息公开条例》第十五条"


@pytest.fixture
def pending(portal):
    """A published item, a pending one carrying a canary, a pending 部分公开 one with a withheld
    span, and a signed one scheduled for later."""
    canary = f"草稿金丝雀{uuid.uuid4().hex[:10]}"
    withheld = f"不公开的姓名{uuid.uuid4().hex[:10]}"
    portal.item("xzf/pub.md", "已发布的正文。", title="已发布的信息")
    portal.sign("xzf/pub.md")
    portal.item("xzf/pending.md", f"待审的正文 {canary}。", title="草稿预览测试")
    portal.item("xzf/partial.md", f"公开的部分。【不公开】{withheld}【/不公开】其余部分。", title="部分公开草稿", attribute="部分公开", basis=BASIS)
    portal.item("xzf/later.md", "定时发布的正文。", title="定时发布草稿", published="2099-01-04")
    portal.sign("xzf/later.md")
    portal.canary, portal.withheld = canary, withheld
    return portal


def _serve(p, *extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gongkai.cli", "serve", "-a", f"127.0.0.1:{port}", *extra], cwd=p.root, env=_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    return server, port




@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the served preview is timed on Linux only")
def test_serve_drafts_shows_pending_pages_marked_and_redacted_and_nothing_else_does(pending, tmp_path):
    p = pending
    server, port = _serve(p, "--drafts")
    try:
        wait_until(lambda: http_get(port, "/xzf/pending/")[0] == 200, server, 90)
        status, page = http_get(port, "/xzf/pending/")
        assert "审核预览·未发布" in page and "gongkai-draft-banner" in page
        assert "草稿预览测试" in page and p.canary in page and "待审" in page
        status, partial = http_get(port, "/xzf/partial/")
        assert status == 200 and "审核预览·未发布" in partial and "部分公开草稿" in partial
        assert '<mark class="gongkai-draft-redacted">' in partial and "此处内容依法不予公开" in partial
        assert "公开的部分" in partial and "其余部分" in partial
        assert p.withheld not in partial  # what the public would see, not what is withheld
        status, later = http_get(port, "/xzf/later/")
        assert status == 200 and "审核预览·未发布" in later and "定时发布" in later and "2099-01-04" in later
        status, published = http_get(port, "/xzf/pub/")
        assert status == 200 and "审核预览·未发布" not in published
        # Drafts stay out of the catalogs and the home page.
        for path in ("/", "/xzf/"):
            assert p.canary not in http_get(port, path)[1] and "草稿预览测试" not in http_get(port, path)[1]
    finally:
        stop_server(server)

    server, port = _serve(p)
    try:
        wait_until(lambda: http_get(port, "/xzf/pub/")[0] == 200, server, 90)
        assert http_get(port, "/xzf/pending/")[0] == 404
        assert http_get(port, "/xzf/partial/")[0] == 404 and http_get(port, "/xzf/later/")[0] == 404
    finally:
        stop_server(server)

    # After a drafts session, a strict build and a package carry no draft.
    built = p.build("--strict")
    assert built.returncode == 0, built.stderr
    assert (p.site / "xzf" / "pub" / "index.html").is_file()
    assert not (p.site / "xzf" / "pending").exists()
    assert p.leaks(p.canary) == [] and p.leaks(p.withheld) == [] and p.leaks("审核预览·未发布") == []
    archive = tmp_path / "site.tar.gz"
    packaged = p.run("package", "-o", str(archive))
    assert packaged.returncode == 0, packaged.stderr
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert any(name.endswith("xzf/pub/index.html") for name in names)
        for member in tar.getmembers():
            if member.isfile():
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                for needle in (p.canary, p.withheld, "审核预览·未发布"):
                    assert needle.encode("utf-8") not in data, (member.name, needle)


def test_serve_drafts_refuses_an_address_other_computers_reach(pending):
    for address in ("0.0.0.0:8000", "192.168.1.5:8000", "example.org:8000", "127.0.0.1.nip.io:8000"):
        result = pending.run("serve", "--drafts", "-a", address)
        assert result.returncode == 2, (address, result.stderr)
        assert "--drafts" in result.stderr and "127.0.0.1" in result.stderr


def test_only_serve_sets_the_drafts_flag_and_a_build_clears_it(pending):
    script = (
        "from gongkai.glue import commands\n"
        "from gongkai.glue.preview import session, Session\n"
        "assert Session().drafts is False and session().drafts is False\n"
        "session().drafts = True  # as if a drafts preview had run in this process\n"
        "commands.build(commands.load_config(__import__('pathlib').Path('mkdocs.yml')))\n"
        "print('drafts after build:', session().drafts)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=pending.root, env=_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "drafts after build: False" in result.stdout
    assert (pending.site / "xzf" / "pub" / "index.html").is_file()
    assert not (pending.site / "xzf" / "pending").exists() and pending.leaks(pending.canary) == []


def test_preview_writes_the_drafts_for_a_pull_request_and_they_never_publish(pending, tmp_path):
    """`gongkai preview -d DIR` (the CI templates' PR artifact): the pending page, marked and
    redacted, linked as NAME.html so it opens from disk; never the site, never published."""
    p = pending
    refused = p.run("preview", "-d", "site")
    assert refused.returncode == 2 and "不能写入网站目录" in refused.stderr
    refused = p.run("preview", "-d", ".")  # a folder holding the site
    assert refused.returncode == 2
    out = tmp_path / "pr-preview"
    made = p.run("preview", "-d", str(out))
    assert made.returncode == 0, made.stderr
    page = (out / "xzf" / "pending.html").read_text(encoding="utf-8")
    assert "审核预览·未发布" in page and p.canary in page
    partial = (out / "xzf" / "partial.html").read_text(encoding="utf-8")
    assert p.withheld not in partial and "gongkai-draft-redacted" in partial
    assert not any(p.withheld.encode() in f.read_bytes() for f in out.rglob("*") if f.is_file())
    for verb in (["publish", str(tmp_path / "live")], ["package", "-o", str(tmp_path / "site.tar.gz")]):
        run = p.run(*verb, "--site", str(out))
        assert run.returncode != 0, verb
    assert not (tmp_path / "live").exists() and not (tmp_path / "site.tar.gz").exists()
    build = p.build("--strict")
    assert build.returncode == 0, build.stderr
    assert not p.leaks(p.canary)
