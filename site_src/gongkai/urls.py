"""Site URLs of source paths, the way MkDocs computes them, and relative links between pages."""
from __future__ import annotations

import posixpath


def page_url(src_uri: str, directory_urls: bool = True) -> str:
    """Returns the site-relative URL of a Markdown page (``xzf/2025/a.md`` -> ``xzf/2025/a/``)."""
    stem, _ = posixpath.splitext(src_uri)
    folder, name = posixpath.split(stem)
    if name in ("index", "README"):
        return f"{folder}/" if folder else ""
    if directory_urls:
        return f"{stem}/"
    return f"{stem}.html"


def href(from_url: str, to_url: str) -> str:
    """Returns the relative link from the page at ``from_url`` to ``to_url`` (both site-relative)."""
    base = from_url if from_url.endswith("/") or not from_url else posixpath.dirname(from_url)
    base = base.rstrip("/") or "."
    target = to_url.rstrip("/") or "."
    relative = _relpath(target, base)
    if to_url.endswith("/") or not to_url:
        relative = relative.rstrip("/") + "/" if relative != "." else "./"
    return relative


def _relpath(target: str, base: str) -> str:
    """Returns ``posixpath.relpath(target, base)`` for site-relative paths, without its two
    ``abspath`` calls (a catalog of 10,000 items makes 40,000 links)."""
    if target.startswith("/") or base.startswith("/") or not _plain(target) or not _plain(base):
        return posixpath.relpath(target, base)
    to = [] if target == "." else target.split("/")
    start = [] if base == "." else base.split("/")
    common = 0
    for a, b in zip(to, start):
        if a != b:
            break
        common += 1
    parts = [".."] * (len(start) - common) + to[common:]
    return "/".join(parts) if parts else "."


def _plain(path: str) -> bool:
    # No empty, "." or ".." segment (except a lone "."): what posixpath.normpath would leave alone.
    if path == ".":
        return True
    return all(segment not in ("", ".", "..") for segment in path.split("/"))

