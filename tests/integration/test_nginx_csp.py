"""`current` served by nginx with deploy/nginx.conf, checked over HTTP and in a real headless Chromium.

A small MkDocs Material site (with Pagefind, as the portal has) is built in tmp_path, published
with gongkai.publish to a local target, and served by the Debian nginx on loopback. The headers
are read with urllib; Chromium, driven over the DevTools protocol on a pipe (no websocket library),
loads pages and reports every Content-Security-Policy violation three ways: the console log, the
Audits issues, and `securitypolicyviolation` events recorded by a script DevTools injects before
the page's own scripts (tests/browser/cdp.py).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gongkai.publish.csp import content_security_policy, csp_config_texts, inline_script_hashes
from gongkai.publish.manifest import write_manifest
from gongkai.publish.releases import publish, rollback
from gongkai.publish.verify import verify

REPO = Path(__file__).resolve().parents[2]
from tests.browser.cdp import RECORD_CSP_VIOLATIONS, Chromium  # noqa: E402
from tests.kit import free_port, require  # noqa: E402

pytestmark = pytest.mark.browser


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


# ----------------------------------------------------------------------------- the site

MKDOCS_YML = """\
site_name: 示例县人民政府信息公开
docs_dir: docs
site_dir: site
theme:
  name: material
  font: false
  language: zh
plugins: []
markdown_extensions: [tables, attr_list, admonition]
extra_css: [pagefind/pagefind-ui.css]
extra_javascript: [pagefind/pagefind-ui.js, js/search.js]
"""

PAGES = {
    "index.md": "# 示例县人民政府信息公开\n\n<div id=\"search\"></div>\n\n"
    "| 栏目 | 条数 |\n|:--|--:|\n| 通知公告 | 3 |\n\n[政府信息公开目录](xxgk/gkml/index.md)\n",
    "xxgk/gkml/index.md": "# 政府信息公开目录\n\n[关于春季防火的通知公告](tzgg/2025/notice.md)\n",
    "xxgk/gkml/tzgg/2025/notice.md": "# 关于春季防火的通知公告\n\n!!! note \"提示\"\n    进山严禁携带火种。\n",
    "js/search.js": 'new PagefindUI({ element: "#search", showImages: false });\n',
}


def build_site(root: Path, pages: dict[str, str] = PAGES) -> Path:
    """Returns the directory of a built Material site with a Pagefind index and its manifest."""
    for rel, text in pages.items():
        path = root / "docs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=root, capture_output=True, text=True, env=env)
    assert build.returncode == 0, build.stderr
    index = subprocess.run([sys.executable, "-m", "pagefind", "--site", "site", "--quiet"], cwd=root, capture_output=True, text=True)
    assert index.returncode == 0, index.stderr
    site = root / "site"
    (site / "catalog.csv").write_text("\ufeffindex_no,title\n11369999MB0000001A/2025-00001,关于春季防火的通知公告\n", encoding="utf-8")
    write_manifest(site, commit="c0ffee1234", built_at="2025-03-01T08:00:00+08:00", strict=True)
    return site


# ----------------------------------------------------------------------------- nginx

MAIN_CONF = """\
daemon off;
worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/error.log warn;
{user}
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {base}/tmp/body;
    proxy_temp_path {base}/tmp/proxy;
    fastcgi_temp_path {base}/tmp/fastcgi;
    uwsgi_temp_path {base}/tmp/uwsgi;
    scgi_temp_path {base}/tmp/scgi;
    include {base}/gongkai.conf;
    # The same site under a CSP that lists no script hashes: proves the browser check sees violations.
    server {{
        listen 127.0.0.1:{strict_port};
        root {target}/current;
        add_header Content-Security-Policy "default-src 'self'; script-src 'self'" always;
    }}
}}
"""


@dataclass
class Served:
    url: str
    strict_url: str
    target: Path
    site: Path


def site_config(target: Path, port: int) -> str:
    """Returns deploy/nginx.conf with the target's path and a loopback port put in."""
    conf = (REPO / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    conf = conf.replace("/srv/gongkai", str(target))
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};", 1)
    return conf.replace("    listen [::]:80;\n", "", 1)


@contextlib.contextmanager
def nginx_serving(base: Path, target: Path, site: Path):
    """Yields a Served: nginx with deploy/nginx.conf on a free loopback port, serving target/current."""
    nginx = require("nginx", "/usr/sbin/nginx")
    (base / "tmp").mkdir(exist_ok=True)
    for attempt in range(3):
        port, strict_port = free_port(), free_port()
        (base / "gongkai.conf").write_text(site_config(target, port), encoding="utf-8")
        user = "user root;" if os.geteuid() == 0 else ""  # tmp_path is private to us; workers must read it
        main = base / "nginx.conf"
        main.write_text(MAIN_CONF.format(base=base, user=user, strict_port=strict_port, target=target), encoding="utf-8")
        argv = [nginx, "-p", str(base), "-c", str(main), "-e", str(base / "error.log")]
        check = subprocess.run([*argv, "-t", "-q"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(port, proc)
            wait_for_port(strict_port, proc)
            break
        except RuntimeError:
            proc.kill()
            proc.wait()
            if attempt == 2:
                raise
    try:
        yield Served(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{strict_port}", target, site)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require("nginx", "/usr/sbin/nginx")
    require("rsync", "/usr/bin/rsync")
    base = tmp_path_factory.mktemp("nginx")
    site = build_site(base / "portal")
    target = base / "www"
    publish(str(target), site)
    with nginx_serving(base, target, site) as served:
        yield served


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with _opener.open(url, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def one(site: Path, pattern: str) -> str:
    return "/" + next(site.glob(pattern)).relative_to(site).as_posix()


def test_nginx_serves_current_with_charset_cache_and_security_headers(served):
    status, headers, body = fetch(served.url + "/")
    assert status == 200 and "示例县人民政府信息公开" in body.decode("utf-8")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["server"] == "nginx"  # server_tokens off: no version
    csp = headers["content-security-policy"]
    assert csp == (served.target / "csp.txt").read_text(encoding="utf-8").strip()
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    for h in inline_script_hashes(served.site):
        assert f"'{h}'" in script_src
    assert "object-src 'none'" in csp and "frame-ancestors 'self'" in csp

    expectations = {
        one(served.site, "assets/stylesheets/main.*.min.css"): ("text/css; charset=utf-8", "public, max-age=31536000, immutable"),
        one(served.site, "assets/javascripts/bundle.*.min.js"): ("application/javascript; charset=utf-8", "public, max-age=31536000, immutable"),
        "/assets/images/favicon.png": ("image/png", "public, max-age=86400"),
        "/pagefind/pagefind.js": ("application/javascript; charset=utf-8", "no-cache"),
        "/pagefind/pagefind-entry.json": ("application/json; charset=utf-8", "no-cache"),
        one(served.site, "pagefind/index/*.pf_index"): ("application/octet-stream", "public, max-age=31536000, immutable"),
        one(served.site, "pagefind/fragment/*.pf_fragment"): ("application/octet-stream", "public, max-age=31536000, immutable"),
        one(served.site, "pagefind/pagefind.*.pf_meta"): ("application/octet-stream", "public, max-age=31536000, immutable"),
        "/catalog.csv": ("text/csv; charset=utf-8", "no-cache"),
        "/manifest.json": ("application/json; charset=utf-8", "no-cache"),
        "/xxgk/gkml/tzgg/2025/notice/": ("text/html; charset=utf-8", "no-cache"),
    }
    for path, (content_type, cache) in expectations.items():
        status, headers, _ = fetch(served.url + path)
        assert status == 200, path
        assert headers["content-type"] == content_type, path
        assert headers["cache-control"] == cache, path
        # Every response keeps the security headers: no location drops them with its own add_header.
        assert headers["content-security-policy"] == csp, path
        assert headers["x-content-type-options"] == "nosniff", path

    status, headers, body = fetch(served.url + "/no/such/page/")
    assert status == 404 and headers["content-security-policy"] == csp and "404" in body.decode("utf-8")
    assert fetch(served.url + "/.git/config")[0] == 404
    # A symlink planted inside the live release is not followed.
    (served.target / "current" / "planted.txt").symlink_to("/etc/hostname")
    try:
        assert fetch(served.url + "/planted.txt")[0] in (403, 404)
    finally:
        (served.target / "current" / "planted.txt").unlink()


def test_nginx_follows_the_atomic_switch_and_rollback_without_reload(served, tmp_path):
    v2 = tmp_path / "v2"
    shutil.copytree(served.site, v2)
    page = v2 / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("通知公告 | 3", "通知公告 | 3").replace("示例县人民政府信息公开</h1>", "第二版</h1>"), encoding="utf-8")
    write_manifest(v2, commit="beef123", built_at="2025-03-02T08:00:00+08:00", strict=True)
    first = os.readlink(served.target / "current")
    try:
        release = publish(str(served.target), v2)
        assert "第二版" in fetch(served.url + "/")[2].decode("utf-8")
        rollback(str(served.target))
        assert os.readlink(served.target / "current") == first
        body = fetch(served.url + "/")[2].decode("utf-8")
        assert "第二版" not in body and "示例县人民政府信息公开" in body
        assert verify(str(served.target)) == []
        assert release.name != first
    finally:
        if os.readlink(served.target / "current") != first:
            rollback(str(served.target), to=Path(first).name)


# ----------------------------------------------------------------------------- Chromium over the DevTools pipe

SETTLE = 0.5  # seconds after the load event: late scripts and the violation reports they cause


def csp_browser(binary: str, profile: Path) -> Chromium:
    """Chromium that sees CSP violations three ways: Log entries, Audits issues, and the page's events."""
    return Chromium(binary, profile, domains=("Audits",), scripts=(RECORD_CSP_VIOLATIONS,))


def test_chromium_loads_pages_under_the_csp_without_a_violation(served, tmp_path):
    chromium = require("chromium", "/usr/bin/chromium")
    browser = csp_browser(chromium, tmp_path / "profile")
    try:
        for path in ("/", "/xxgk/gkml/tzgg/2025/notice/", "/no/such/page/"):
            browser.load(served.url + path, settle=SETTLE)
            assert browser.csp_violations() == [], path
            # Material's inline scripts ran (they define __md_scope and __md_get) and so did its bundle.
            assert browser.evaluate("typeof __md_scope === 'object' && typeof __md_get === 'function'") is True, path
            assert browser.evaluate("document.querySelector('[data-md-component=header]') !== null") is True, path

        # The portal's search: Pagefind UI on the home page, and a query through Pagefind's WebAssembly.
        browser.load(served.url + "/", settle=SETTLE)
        assert browser.evaluate("document.querySelector('#search .pagefind-ui') !== null") is True
        hits = browser.evaluate(
            "(async () => { const pf = await import('/pagefind/pagefind.js');"
            " const found = await pf.search('防火'); return found.results.length; })()"
        )
        assert hits >= 1
        browser.pump(0.3)
        assert browser.csp_violations() == []

        # Control: the same page under a policy without the hashes is caught by every channel.
        browser.load(served.strict_url + "/", settle=SETTLE)
        caught = browser.csp_violations()
        assert any(v.startswith("event: script-src") for v in caught), caught
        assert any(v.startswith(("console:", "issue:")) for v in caught), caught
        assert browser.evaluate("typeof __md_scope") == "undefined"
    finally:
        browser.close()


def test_the_sample_portal_satisfies_its_csp_in_chromium(tmp_path):
    """The portal's own theme (theme/ over Material) under the policy gongkai publish would write for it."""
    chromium = require("chromium", "/usr/bin/chromium")
    site = tmp_path / "sample-site"
    # The sample portal is signed with demo keys, so it only builds non-strictly: serve it without publishing.
    build = subprocess.run([sys.executable, "-m", "gongkai.cli", "build", "-d", str(site)], cwd=REPO,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert build.returncode == 0, build.stderr[-3000:]
    target = tmp_path / "www"
    target.mkdir()
    (target / "current").symlink_to(site)
    for name, text in csp_config_texts(content_security_policy(inline_script_hashes(site))).items():
        (target / name).write_text(text, encoding="utf-8")
    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    entries = catalog["entries"] if isinstance(catalog, dict) else catalog
    item_path = "/" + urlsplit(next(e["url"] for e in entries if e.get("url"))).path.lstrip("/")
    with nginx_serving(tmp_path, target, site) as served:
        browser = csp_browser(chromium, tmp_path / "profile")
        try:
            for path in ("/", "/xxgk/", "/xxgk/gkml/", item_path):
                assert fetch(served.url + path)[0] == 200, path
                browser.load(served.url + path, settle=SETTLE)
                assert browser.csp_violations() == [], path
                assert browser.evaluate("typeof __md_scope === 'object'") is True, path
            hits = browser.evaluate(
                "(async () => { const pf = await import('/pagefind/pagefind.js');"
                " const found = await pf.search('通知'); return found.results.length; })()"
            )
            assert hits >= 1
            browser.pump(0.3)
            assert browser.csp_violations() == []
        finally:
            browser.close()


def test_a_page_opened_before_a_switch_keeps_a_working_search(tmp_path):
    """Pagefind names its files by content: a page loaded before a publish asks for the old names.
    nginx serves them from `previous` (the release live until the switch), so the search goes on."""
    chromium = require("chromium", "/usr/bin/chromium")
    site = build_site(tmp_path / "v1")
    target = tmp_path / "www"
    publish(str(target), site)
    notice = "xxgk/gkml/tzgg/2025/notice.md"
    site2 = build_site(tmp_path / "v2", {**PAGES, notice: PAGES[notice] + "\n第二版:清明节期间加强巡山防火。\n"})
    with nginx_serving(tmp_path, target, site) as served:
        browser = csp_browser(chromium, tmp_path / "profile")
        try:
            browser.load(served.url + "/", settle=SETTLE)
            # The reader searches once: Pagefind loads the entry, the metadata and the word index.
            assert browser.evaluate(
                "(async () => { window.pf = await import('/pagefind/pagefind.js');"
                " window.found = await window.pf.search('防火'); return window.found.results.length; })()"
            ) >= 1
            old = {p.relative_to(site).as_posix() for p in (site / "pagefind").rglob("*.pf_*")}
            publish(str(target), site2)  # the switch, while the page stays open
            new = {p.relative_to(site2).as_posix() for p in (site2 / "pagefind").rglob("*.pf_*")}
            gone = sorted(old - new)
            assert any(rel.endswith(".pf_fragment") for rel in gone), gone  # the test means something
            for rel in gone:
                assert not (target / "current" / rel).exists() and fetch(served.url + "/" + rel)[0] == 200, rel
            # The results found before the switch open their excerpts (fragments named in the old index).
            urls = browser.evaluate(
                "(async () => { const data = await Promise.all(window.found.results.map(r => r.data()));"
                " return data.map(d => d.url + ' ' + d.excerpt.length); })()"
            )
            assert urls and any("notice" in u for u in urls), urls
            assert browser.csp_violations() == []
            # A page loaded after the switch searches the new index.
            browser.load(served.url + "/", settle=SETTLE)
            assert browser.evaluate(
                "(async () => { const pf = await import('/pagefind/pagefind.js');"
                " const found = await pf.search('巡山'); return found.results.length; })()"
            ) >= 1
        finally:
            browser.close()
