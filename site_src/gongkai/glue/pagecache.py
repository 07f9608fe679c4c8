"""Pages a `gongkai build` does not render again: the rendered-page cache.

A page not in the nav (an item, a catalog page, a report) is rendered — Markdown, sanitiser,
template — only when its key is not the one of the page already lying at its place in the site.
The key is the SHA-256 of everything that shapes the page's bytes (``site_key``: the engine and
every installed distribution with its version, mkdocs.yml and what it inherits or reads from the
environment, the portal's theme and hooks files; and per page: its place, its Markdown, the HTML
blocks the engine stashed out of it, where each link of it leads in this build, and the build date
when the page shows it). A page counts as kept only when the file at its place holds exactly the
bytes noted (their SHA-256): a page deleted or changed since is rendered again.

A kept page is still checked, against this build's gate: it passed every check of its bytes when it
was rendered (ID numbers, 密级 marks, disclosure markers: what its bytes alone decide), and the
text it shows (its compact reading, noted with it) is looked for the text withheld now whenever
that is not what the page was last checked against (``OutputCheck.identity``). Its anchors are
noted too, so that MkDocs validates links into and out of it as if it had been rendered.

Only a page rendered without any warning is noted (a warning must come back in the next build),
and the notes are written only when the build has succeeded. The notes of one site are one value
of the portal's cache on disk (glue.diskcache): a corrupt value is a miss, `--no-cache` never reads
nor writes it.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import posixpath
import re
import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import cbor2
import material
import mkdocs
from mkdocs.utils import get_build_datetime

from gongkai.diskcache import DiskCache, engine_id, key_of
from gongkai.glue import engine, incremental

KIND = "pages"
FORMAT = 1
#: The theme partial whose use of the build date is known: pages with a date of their own do not show it.
DATE_PARTIAL = "partials/gongkai/pageinfo.html"
_LINK = re.compile(r"""(?:\]\(\s*<?|\]:[ \t]*<?|(?:href|src)\s*=\s*["']?|<)([^\s"'<>()]+)""")
_ENV = re.compile(r"!ENV\s*\[?\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)")


class PageCache:
    """The rendered pages of one site directory: those kept from the last build, those made now."""

    def __init__(self, disk: DiskCache, site_dir: str) -> None:
        self.disk = disk
        self.site_dir = os.path.abspath(site_dir)
        self.keys: dict[str, str] = {}  # src_uri -> key of the page in this build (pages that may be kept)
        self.entries: dict[str, list] = {}  # src_uri -> [key, html sha256, identity, reading (zlib), anchors, links]
        self.warned: set[str] = set()  # src_uris a warning was logged for while rendering (never noted)
        self.fresh: set[str] = set()  # src_uris noted as rendered by this process
        self.kept = 0
        self._stored: bytes | None = None  # the notes as the cache held them at the start of the build
        self._handler: _WarnedPages | None = None

    # --- Before rendering ---------------------------------------------------------------------------

    def plan(self, config, files, nav, stash, output) -> set[str]:
        """Keys every page not in the nav, marks those already in the site as not modified (MkDocs'
        dirty build skips them), counts them as checked by ``output`` and returns their src_uris."""
        if not self.disk.enabled:
            return set()
        self._handler = _WarnedPages(config, self.warned)
        engine.logger().addHandler(self._handler)
        self._stored = self.disk.get(KIND, self.site_dir)
        old = _load(self._stored)
        site, every_page_dated = site_state(config)
        site = key_of(site, _nav_key(nav.items))  # the nav as this build made it (a missing page is a link)
        in_nav = {id(page) for page in nav.pages}
        date = get_build_datetime().strftime("%Y-%m-%d")
        # The digests manifest.json gave the files still as the last successful build left them
        # (same size and modification time, see incremental.known_digests): not read again here.
        unchanged = incremental.known_digests(self.disk, Path(self.site_dir))[0] if old else {}
        hits: set[str] = set()
        for file in files.documentation_pages():
            page = file.page
            content = getattr(file, "_content", None)
            if page is None or id(page) in in_nav or not file.generated_by or not isinstance(content, str):
                continue
            shown = date if every_page_dated or not _declares_date(content) else ""
            key = key_of(site, file.src_uri, file.dest_uri, file.url, content.replace(stash.nonce, "N"),
                         _blocks(stash, file.src_uri), _link_targets(file, content, files), shown)
            self.keys[file.src_uri] = key
            entry = old.get(file.src_uri)
            if entry is None or entry[0] != key:
                continue
            digest = unchanged.get(file.dest_uri)
            if not (digest == entry[1] if digest is not None else _holds(file.abs_dest_path, entry[1])):
                continue
            reading = None  # checked against the text withheld now: nothing to look for again
            if entry[2] != output.identity:
                reading = _text(entry[3])
                if reading is None:
                    continue  # rendered and checked again
            hits.add(file.src_uri)
            file.is_modified = _unmodified
            present, links = entry[4], entry[5]
            page.present_anchor_ids = set(present)
            by_src = files.src_uris  # the noted uris are src_uris as MkDocs keys them
            page.links_to_anchors = {by_src[uri]: dict(a) for uri, a in links.items() if uri in by_src}
            output.check_kept_page(file.dest_uri, reading)
            self.entries[file.src_uri] = [key, entry[1], output.identity, *entry[3:]]
        self.kept = len(hits)
        return hits

    # --- While rendering ----------------------------------------------------------------------------

    def note(self, page, html: str, reading: str | None, identity: str) -> None:
        """Notes a page just rendered (in this process or the render worker)."""
        key = self.keys.get(page.file.src_uri)
        if key is None or reading is None or not html.strip():
            return
        data = html.encode("utf-8", errors="xmlcharrefreplace")
        links = {to.src_uri: dict(anchors) for to, anchors in (page.links_to_anchors or {}).items()}
        reading_z = zlib.compress(reading.encode("utf-8"), 1)
        self.fresh.add(page.file.src_uri)
        self.entries[page.file.src_uri] = [key, hashlib.sha256(data).hexdigest(), identity, reading_z, sorted(page.present_anchor_ids or ()), links]

    def made(self) -> dict:
        """Returns what this process noted and which pages warned (sent back by the render worker)."""
        return {"entries": {src: self.entries[src] for src in self.fresh}, "warned": sorted(self.warned)}

    def merge(self, made: dict) -> None:
        """Adds what the render worker noted."""
        self.entries.update(made.get("entries", {}))
        self.warned.update(made.get("warned", ()))

    # --- After a successful build -------------------------------------------------------------------

    def save(self) -> None:
        """Writes the notes of this build's pages (a page that warned is left out)."""
        self.stop()
        if not self.disk.enabled or not self.keys:
            return
        pages = {src: entry for src, entry in self.entries.items() if src not in self.warned and self.keys.get(src) == entry[0]}
        data = cbor2.dumps({"format": FORMAT, "pages": pages})
        if data != self._stored:  # an unchanged site's notes are not written again
            self.disk.put(KIND, self.site_dir, data)

    def stop(self) -> None:
        """Stops noting warnings."""
        if self._handler is not None:
            engine.logger().removeHandler(self._handler)
            self._handler = None


class _WarnedPages(logging.Handler):
    """Notes the page MkDocs is reading or building when a warning is logged."""

    def __init__(self, config, warned: set[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.keep_in_worker = True  # the render worker keeps this handler (glue.render)
        self.config = config
        self.warned = warned

    def emit(self, record) -> None:
        page = getattr(self.config, "_current_page", None)
        if page is not None:
            self.warned.add(page.file.src_uri)


def _unmodified() -> bool:
    return False


def _load(data: bytes | None) -> dict[str, list]:
    """Returns src_uri -> [key, html sha256, identity, reading, anchors, links] of stored notes
    ({} when there are none or they are not what this engine writes)."""
    if data is None:
        return {}
    try:
        stored = cbor2.loads(data)
        if stored.get("format") != FORMAT:
            return {}
        result = {}
        for src, (key, digest, identity, reading, present, links) in stored["pages"].items():
            if not (isinstance(key, str) and isinstance(digest, str) and isinstance(identity, str) and isinstance(reading, bytes)):
                return {}
            result[src] = [key, digest, identity, reading, list(present), dict(links)]
        return result
    except Exception:  # noqa: BLE001 - garbled notes are no notes
        return {}


def _declares_date(content: str) -> bool:
    """Returns whether a page's front-matter gives it a date of its own (``gongkai_date``)."""
    if not content.startswith("---"):
        return False
    end = content.find("\n---", 3)
    return end > 0 and "\ngongkai_date:" in content[3:end]


def _text(reading: bytes) -> str | None:
    """Returns a page's compact reading as noted, or None if it cannot be read (the page is then
    rendered and checked again)."""
    try:
        return zlib.decompress(reading).decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        return None


def _holds(path: str, digest: str) -> bool:
    """Returns whether the regular file at ``path`` has the SHA-256 ``digest``."""
    try:
        if os.path.islink(path):
            return False
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() == digest
    except OSError:
        return False


def _nav_key(items) -> str:
    """Returns what every page shows of the nav: each entry's kind, title and URL, in order."""
    return "[" + ",".join(
        f"{type(item).__name__}:{getattr(item, 'title', '')}:{getattr(item, 'url', '')}{_nav_key(item.children) if getattr(item, 'children', None) else ''}"
        for item in items
    ) + "]"


def _blocks(stash, src: str) -> str:
    blocks = stash.blocks.get(src) or {}
    return "\0".join(f"{name.replace(stash.nonce, 'N')}\1{block}" for name, block in blocks.items())


def _link_targets(file, content: str, files) -> str:
    """Returns where each link of a page's Markdown leads in this build (the file and its URL, or
    nothing): MkDocs rewrites a link to a file of the site into its URL and warns of the others."""
    seen = set()
    result = []
    base = posixpath.dirname(file.src_uri)
    for match in _LINK.finditer(content):
        url = match.group(1)
        if url in seen:
            continue
        seen.add(url)
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            continue
        target = posixpath.normpath(posixpath.join(base, unquote(parts.path)))
        found = []
        for candidate in (target, posixpath.join(target, "index.md"), posixpath.join(target, "README.md")):
            other = _file_at(files, candidate)
            found.append(f"{other.url}|{other.is_documentation_page()}" if other is not None else "-")
        result.append(f"{url}\0{target}\0{'|'.join(found)}")
    return "\n".join(result)


def _file_at(files, path: str):
    """Returns files.get_file_from_path(path): the same look-up, without its PurePath when ``path``
    is a normal POSIX path already (PurePath would leave it as it is)."""
    if path == posixpath.normpath(path) and not path.startswith("//"):
        return files.src_uris.get(path)
    return files.get_file_from_path(path)


# --- What every page depends on -------------------------------------------------------------------


def site_state(config) -> tuple[str, bool]:
    """Returns the key of what every page of the site depends on besides its own content, and
    whether a theme template other than the known date partial uses the build date."""
    parts: list[str | bytes] = [engine_id()]
    parts.append("\n".join(sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())))
    config_file = Path(config.config_file_path)
    text = config_file.read_bytes()
    parts.append(text)
    for match in re.finditer(rb"^INHERIT:\s*(\S+)", text, re.M):
        try:
            parts.append((config_file.parent / match.group(1).decode("utf-8", "replace").strip("'\"")).read_bytes())
        except OSError:
            parts.append(b"-")
    for names in _ENV.findall(text.decode("utf-8", "replace")):
        for name in names.split(","):
            parts.append(f"{name.strip()}={os.environ.get(name.strip(), '')}")
    parts.append(f"{config.use_directory_urls}|{config.site_url}|{config.theme.name}")
    shows_date = False
    packaged = [os.path.dirname(os.path.abspath(m.__file__)) for m in (material, mkdocs)]
    for folder in config.theme.dirs:
        folder = os.path.abspath(folder)
        parts.append(folder)
        if any(folder == p or folder.startswith(p + os.sep) for p in packaged):
            continue  # a distribution's theme: its version is part of the key
        for dirpath, dirs, names in sorted(os.walk(folder)):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(dirpath, name)
                try:
                    data = Path(path).read_bytes()
                except OSError:
                    continue
                rel = os.path.relpath(path, folder).replace(os.sep, "/")
                parts += [rel, data]
                if b"build_date" in data and rel != DATE_PARTIAL and name.endswith((".html", ".xml", ".jinja")):
                    shows_date = True
    for hook in config.get("hooks") or ():
        try:
            parts.append(Path(hook).read_bytes())
        except OSError:
            parts.append(str(hook))
    parts.append(repr(config.nav))
    return key_of(*parts), shows_date
