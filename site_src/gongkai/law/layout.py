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



# --- Who owns which output path --------------------------------------------------------------------
#: Top-level names of the built site that gongkai, MkDocs, the theme and Pagefind write: no item's
#: page or attachment may land on one, or inside one (the loader's reserved paths read these too).
GENERATED_DIRS = ("xxgk", "assets", "pagefind", "search", "gongkai")
GENERATED_FILES = ("index.html", "404.html", "sitemap.xml", "sitemap.xml.gz", "catalog.json", "catalog.csv", "feed.xml", "manifest.json")
#: Attachments a browser would open as a document of the portal's own origin, outside the theme and
#: the sanitiser, able to run script (HTML, SVG, XML with a stylesheet, scripts).
ACTIVE_SUFFIXES = (".html", ".htm", ".xhtml", ".xht", ".shtml", ".mht", ".mhtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".js", ".mjs")


def page_dest(src_uri: str, directory_urls: bool = True) -> str:
    """Returns the site path MkDocs writes a Markdown page to (``a/b.md`` -> ``a/b/index.html``)."""
    url = page_url(src_uri, directory_urls)
    return f"{url}index.html" if not url or url.endswith("/") else url


def active_attachment(name: str) -> str | None:
    """Returns why an attachment must not be served as it is, or None."""
    suffix = posixpath.splitext(name.rstrip(". "))[1].lower()
    if suffix in ACTIVE_SUFFIXES:
        return f"附件 {name} 是网页或脚本类文件({suffix}):浏览器会把它当作本网站的页面打开,不经过主题和内容清理,可能运行脚本。请转换为 PDF 后再作为附件发布"
    return None


def output_conflicts(claims: list[tuple[str, str, bool]], generated=()) -> dict[str, tuple[str, str]]:
    """Returns owner -> (the path, why) for every claim (owner, site path, may lie in a generated
    folder) that meets a generated path or another claim: the same path, letter case aside (a site
    may be unpacked onto a case-insensitive disk), or a path that is a folder of the other."""
    owned_dirs = {d.casefold() for d in GENERATED_DIRS}
    owned = {f.casefold() for f in (*GENERATED_FILES, *generated)}
    paths: dict[str, list[tuple[str, str]]] = {}
    folders: dict[str, tuple[str, str]] = {}
    for owner, dest, _ in claims:
        key = dest.casefold()
        paths.setdefault(key, []).append((owner, dest))
        parts = key.split("/")
        for end in range(1, len(parts)):
            folders.setdefault("/".join(parts[:end]), (owner, dest))
    found: dict[str, tuple[str, str]] = {}
    for owner, dest, in_generated in claims:
        key = dest.casefold()
        parts = key.split("/")
        prefixes = ["/".join(parts[:end]) for end in range(1, len(parts))]
        if key in owned or any(p in owned for p in prefixes) or (parts[0] in owned_dirs and not in_generated) or key in owned_dirs:
            why = f"{dest} 是系统生成的页面或文件的位置({'、'.join(GENERATED_DIRS + GENERATED_FILES)})"
        elif any(other != owner for other, _ in paths[key]):
            other = next(f"{o} 的 {d}" for o, d in paths[key] if o != owner)
            why = f"{dest} 与 {other} 是同一个网址(不区分大小写)"
        elif key in folders:
            why = f"{dest} 与 {folders[key][0]} 的 {folders[key][1]} 冲突:同一路径不能既是文件又是目录"
        else:
            clash = next((p for p in prefixes if p in paths), None)
            if clash is None:
                continue
            why = f"{dest} 与 {paths[clash][0][0]} 的 {paths[clash][0][1]} 冲突:同一路径不能既是文件又是目录"
        found.setdefault(owner, (dest, why))
    return found
