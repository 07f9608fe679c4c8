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
    relative = posixpath.relpath(target, base)
    if to_url.endswith("/") or not to_url:
        relative = relative.rstrip("/") + "/" if relative != "." else "./"
    return relative
