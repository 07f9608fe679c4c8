"""Content-Security-Policy: the inline scripts of a site, the policy that allows exactly them, and the
nginx and Apache snippets written beside ``current``."""
from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path
from typing import Iterable, Sequence

from gongkai.publish.manifest import scan_tree
from gongkai.publish.targets import Target

_SCRIPT_RE = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_SRC_ATTR = re.compile(rb"(?:^|\s)src\s*=", re.I)
_TYPE_ATTR = re.compile(rb"(?:^|\s)type\s*=\s*[\"']?([^\"'\s>]+)", re.I)
_JS_TYPES = {b"", b"module", b"text/javascript", b"application/javascript", b"application/ecmascript", b"text/ecmascript"}
_HASH_SOURCE = re.compile(r"'(sha256-[A-Za-z0-9+/]+=*)'")


def inline_script_hashes(site_dir: str | os.PathLike) -> list[str]:
    """Returns the CSP hash sources (``sha256-…``) of every inline script in the site's HTML, sorted."""
    root = Path(site_dir)
    found: set[str] = set()
    files, _ = scan_tree(root)
    for rel in files:
        if not rel.endswith((".html", ".htm")):
            continue
        data = (root / rel).read_bytes()
        if b"<script" not in data.lower():
            continue
        for match in _SCRIPT_RE.finditer(data):
            attrs, body = match.group(1), match.group(2)
            if _SRC_ATTR.search(attrs):
                continue
            kind = _TYPE_ATTR.search(attrs)
            if kind and kind.group(1).lower() not in _JS_TYPES:
                continue  # data blocks such as Material's <script type="application/json"> never execute
            # The HTML parser turns CR and CRLF into LF before the browser hashes the script text.
            body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            found.add("sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii"))
    return sorted(found)


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """Returns the Content-Security-Policy header value for a gongkai site with these inline-script hashes.

    Scripts run only from the site itself or when their exact text is hashed here; Pagefind's
    WebAssembly needs 'wasm-unsafe-eval'. Inline *styles* stay allowed: Markdown tables write
    style="text-align:…" attributes, and a style cannot run code.
    """
    hashes = " ".join(f"'{h}'" for h in sorted(set(script_hashes)))
    script_src = "script-src 'self' 'wasm-unsafe-eval'" + (f" {hashes}" if hashes else "")
    return "; ".join(
        [
            "default-src 'self'",
            script_src,
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "media-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def csp_config_texts(policy: str) -> dict[str, str]:
    """Returns {file name: text} of the CSP snippets written beside ``current`` for nginx and Apache to include."""
    note = "由 gongkai publish 生成,每次发布更新;请勿手工修改。内容改变后需重载 Web 服务器才生效。"
    escaped = policy.replace("\\", "\\\\").replace('"', '\\"')
    return {
        "csp.txt": policy + "\n",
        "csp-nginx.conf": f"# {note}\nadd_header Content-Security-Policy \"{escaped}\" always;\n",
        "csp-apache.conf": f"# {note}\nHeader always set Content-Security-Policy \"{escaped}\"\n",
    }


def update_csp(dest: Target, script_hashes: Sequence[str], old: str) -> bool:
    """Returns whether the policy on the target changed (the web server must then be reloaded).

    The policy allows the union of the new release's inline scripts and those already allowed, so
    that the kept releases keep working after a rollback.
    """
    hashes = set(script_hashes) | set(_HASH_SOURCE.findall(old))
    texts = csp_config_texts(content_security_policy(hashes))
    dest.write_texts(texts)
    return old.strip() != texts["csp.txt"].strip()
