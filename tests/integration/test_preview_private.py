"""`gongkai serve` is private: it listens on 127.0.0.1 whatever mkdocs.yml says, and a withdrawn
item's attachments leave the preview with its page."""
from __future__ import annotations

import json
import subprocess
import sys
import types
import urllib.error
import urllib.request

import pytest

from gongkai import cli
from tests.integration.test_preview import Previewer, _env, _resign
from tests.kit import free_port, pdf_bytes, stop_server, wait_until


def _listening_hosts(port: int) -> set[str]:
    """Returns the local addresses (hex, as in /proc/net/tcp*) listening on the port."""
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, state = fields[1], fields[3]
            host, _, hex_port = address.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:
                hosts.add(host)
    return hosts


@pytest.fixture
def with_attachment(portal):
    (portal.root / "content" / "xzf" / "files").mkdir(parents=True)
    (portal.root / "content" / "xzf" / "files" / "a.pdf").write_bytes(pdf_bytes())
    portal.item("xzf/a.md", "带附件的信息。", title="预览附件", attachments=["files/a.pdf"])
    portal.sign("xzf/a.md")
    portal.item("xzf/b.md", "另一条。", title="预览另一条")
    portal.sign("xzf/b.md")
    return portal


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")
def test_serve_listens_on_loopback_whatever_mkdocs_yml_says_and_drops_withdrawn_attachments(with_attachment):
    p = with_attachment
    port = free_port()
    config = json.loads((p.root / "mkdocs.yml").read_text(encoding="utf-8"))
    config["dev_addr"] = f"0.0.0.0:{port}"
    (p.root / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-m", "gongkai.cli", "serve"], cwd=p.root, env=_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def get(path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def wait(check, limit: float = 90) -> None:
        wait_until(check, server, limit)

    try:
        wait(lambda: get("/xzf/a/") == 200 and get("/xzf/files/a.pdf") == 200)
        assert _listening_hosts(port) == {"0100007F"}  # 127.0.0.1 only, not 0.0.0.0
        _resign(p, "xzf/a.md", line="撤回:签名已失效", sign=False)
        wait(lambda: get("/xzf/a/") == 404)
        wait(lambda: get("/xzf/files/a.pdf") == 404, limit=10)
        assert get("/xzf/b/") == 200
    finally:
        stop_server(server)


def test_a_withdrawn_items_attachment_leaves_the_preview_site(with_attachment, tmp_path):
    preview = Previewer(with_attachment, tmp_path / "site")
    try:
        preview.rebuild()
        attachment = tmp_path / "site" / "xzf" / "files" / "a.pdf"
        assert attachment.exists()
        (with_attachment.root / "content" / "xzf" / "a.md").unlink()
        preview.rebuild()
        assert not preview.page("xzf/a.md").exists() and not attachment.exists()
        assert preview.page("xzf/b.md").exists()
    finally:
        preview.close()


def test_only_an_explicit_address_widens_the_preview(capsys):
    config = types.SimpleNamespace(dev_addr=types.SimpleNamespace(host="0.0.0.0", port=8123))
    assert cli._preview_address(types.SimpleNamespace(dev_addr=None, drafts=False), config) == "127.0.0.1:8123"
    assert capsys.readouterr().err == ""
    assert cli._preview_address(types.SimpleNamespace(dev_addr="127.0.0.1:9000", drafts=False), config) == "127.0.0.1:9000"
    assert capsys.readouterr().err == ""
    assert cli._preview_address(types.SimpleNamespace(dev_addr="0.0.0.0:9000", drafts=False), config) == "0.0.0.0:9000"
    assert "其他计算机" in capsys.readouterr().err
    # With --drafts, only this computer: loopback addresses pass, anything else is refused outright.
    for address in ("127.0.0.1:9000", "localhost:9000", "[::1]:9000"):
        assert cli._preview_address(types.SimpleNamespace(dev_addr=address, drafts=True), config) == address
    with pytest.raises(cli.UsageError, match="--drafts"):
        cli._preview_address(types.SimpleNamespace(dev_addr="0.0.0.0:9000", drafts=True), config)
