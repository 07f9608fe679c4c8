"""Writing only what changed: `gongkai build` keeps the site directory of its last build.

The site is not emptied first (MkDocs' clean build would): each file is compared with what lies
at its place and written only when its bytes differ, and afterwards every file this build did not
produce — the page of a withdrawn item, its attachments — is deleted. Pagefind keeps its bundle
too (glue.plugin, site.search): it skips the fragments it finds already written, and the files the
new index does not name are deleted after it.

A page is written by MkDocs' ``utils.write_file`` (pages, sitemap.xml, 404.html): for the length
of the build it is replaced with a version that leaves a file of the same bytes alone. A static
file (theme, attachment, export) is copied by ``File.copy_file``, which in MkDocs' dirty build asks
``File.is_modified``: it is answered by comparing the bytes, never the times (a file put back with
an older time is still copied). The site's manifest.json is deleted before anything is written and
written again last, on success only: a site left by a failed build is one `gongkai publish`
refuses.
"""
from __future__ import annotations

import filecmp
import hashlib
import json
import os
import stat
from pathlib import Path

import cbor2
import mkdocs.utils

from gongkai.diskcache import CACHE_DIR, DiskCache
from gongkai.errors import GongkaiError
from gongkai.publish.manifest import MANIFEST_NAME
from gongkai.site import search
from gongkai.site.search_shards import Shard, plan_shards


class SiteWrites:
    """The writes of one build into its site directory (one per process: the render worker's
    are sent back to the parent, see glue.render)."""

    def __init__(self) -> None:
        self.site_dir = ""
        self.changed: set[str] = set()  # absolute paths written with new bytes in this build
        self.deleted: set[str] = set()  # absolute paths of files deleted as stale
        self.unindexed: set[str] = set()  # absolute paths of pages written without data-pagefind-body
        self.marked = False  # a page with data-pagefind-body was written
        self.had_manifest = False  # the last build into this site succeeded (its manifest was there)
        self._original = None

    def start(self, site_dir: str) -> None:
        """Begins a build into ``site_dir``: deletes its manifest.json and replaces MkDocs' write_file."""
        self.site_dir = os.path.abspath(site_dir)
        self.changed = set()
        self.deleted = set()
        self.unindexed = set()
        self.marked = False
        manifest = os.path.join(self.site_dir, MANIFEST_NAME)
        self.had_manifest = os.path.isfile(manifest)
        if os.path.lexists(manifest):
            os.remove(manifest)  # the site is a build under way until the manifest is written again
        if self._original is None:
            self._original = mkdocs.utils.write_file
            mkdocs.utils.write_file = self._write

    def stop(self) -> None:
        """Puts MkDocs' write_file back."""
        if self._original is not None:
            mkdocs.utils.write_file = self._original
            self._original = None

    def _write(self, content: bytes, output_path: str) -> None:
        if _holds(output_path, content):
            return
        self.changed.add(os.path.abspath(output_path))
        if output_path.endswith(".html"):
            if search.bytes_have_body_attribute(content):
                self.marked = True
            else:
                self.unindexed.add(os.path.abspath(output_path))  # Pagefind leaves it out of the index
        assert self._original is not None  # installed by start
        self._original(content, output_path)

    def watch(self, files) -> None:
        """Has MkDocs' dirty build render every page and copy a static file only when its bytes
        differ from the file at its place in the site."""
        for file in files:
            if file.is_documentation_page():
                file.is_modified = _always
            else:
                file.is_modified = _Differs(file, self)

    def remove_stale(self, files, config) -> None:
        """Deletes every file of the site this build did not produce (outside the search bundle,
        handled by Pagefind's pruning) and the folders left empty."""
        site = self.site_dir
        expected = {os.path.abspath(f.abs_dest_path) for f in files if f.inclusion.is_included()}
        for name in [*config.theme.static_templates, *config.extra_templates]:
            expected.add(os.path.join(site, name))
            if name == "sitemap.xml":
                expected.add(os.path.join(site, "sitemap.xml.gz"))
        if not os.path.isdir(site):
            return
        bundle = os.path.join(site, search.BUNDLE_DIR)
        for folder, dirs, names in os.walk(site, topdown=True):
            if folder == site:
                # Hidden entries are left, as MkDocs' clean build leaves them.
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                names = [n for n in names if not n.startswith(".")]
            if folder == bundle or folder.startswith(bundle + os.sep):
                # The bundle is Pagefind's (pruned after it runs); only a page an earlier build
                # wrote there goes (the search refuses a bundle with pages in it).
                dirs[:] = [d for d in dirs if d != "playground"]
                names = [n for n in names if n.endswith(".html")]
            for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                path = os.path.join(folder, name)
                if path not in expected:
                    os.remove(path)
                    self.deleted.add(path)
        for path in sorted(self.deleted, key=len, reverse=True):
            folder = os.path.dirname(path)
            while folder != site and folder.startswith(site + os.sep) and os.path.isdir(folder) and not os.listdir(folder):
                os.rmdir(folder)
                folder = os.path.dirname(folder)

    def blank_page(self, path: str) -> None:
        """Deletes what lies at the place of a page MkDocs does not write (its output is blank)."""
        if os.path.isfile(path) or os.path.islink(path):
            os.remove(path)
            self.changed.add(os.path.abspath(path))  # sent back by the render worker, as its writes

    def pages_changed(self) -> bool:
        """Returns whether any HTML file of the site was written anew or deleted in this build."""
        return any(path.endswith(".html") for path in self.changed | self.deleted)


class _Differs:
    """File.is_modified of a static file in an incremental build: its bytes differ from the site's."""

    def __init__(self, file, writes: SiteWrites) -> None:
        self.file = file
        self.writes = writes

    def __call__(self) -> bool:
        file = self.file
        dest = file.abs_dest_path
        if os.path.islink(dest) or not os.path.isfile(dest):
            differs = True
        elif file.abs_src_path is not None and getattr(file, "_content", None) is None:
            differs = not filecmp.cmp(file.abs_src_path, dest, shallow=False)
        else:
            differs = not _holds(dest, file.content_bytes)
        if differs:
            self.writes.changed.add(os.path.abspath(dest))
        return differs


def _always() -> bool:
    return True


def _holds(path: str, content: bytes) -> bool:
    """Returns whether the regular file at ``path`` holds exactly ``content``."""
    try:
        if os.path.islink(path) or os.path.getsize(path) != len(content):
            return False
        with open(path, "rb") as handle:
            return handle.read() == content
    except OSError:
        return False


# --- Whether Pagefind must run ----------------------------------------------------------------------


def _stamp_path(root: Path, site_dir: Path) -> Path:
    digest = hashlib.sha256(str(Path(site_dir).absolute()).encode()).hexdigest()[:16]
    return root / CACHE_DIR / "search" / f"{digest}.json"


def _pagefind() -> list | None:
    """Which Pagefind writes the bundles (path, size, modification time), or None without one."""
    try:
        binary = search.pagefind_binary()
        info = os.stat(binary)
    except (OSError, GongkaiError):
        return None
    return [str(binary), info.st_size, info.st_mtime_ns]


def _stamp(site_dir: Path, shard: Shard) -> dict | None:
    """What the bundle of one shard of the site's search index holds, or None without one."""
    bundle = Path(site_dir) / shard.subdir
    try:
        data = (bundle / "pagefind-entry.json").read_bytes()
    except OSError:
        return None
    # Every file of the bundle by name (Pagefind names its index files by their content): one
    # lost or added since is not reused. The first shard's folder holds the others' folders.
    listing = hashlib.sha256()
    for folder, dirs, names in sorted(os.walk(bundle)):
        rel = os.path.relpath(folder, bundle)
        if rel == ".":
            dirs[:] = [d for d in dirs if not d.isdigit()]
        dirs.sort()
        for name in sorted(names):
            listing.update(f"{rel}/{name}\n".encode())
    return {"pieces": [list(piece) for piece in shard.pieces], "entry": hashlib.sha256(data).hexdigest(), "files": listing.hexdigest()}


class SearchNotes:
    """What the last successful build noted of the site's search index: for each shard
    (site.search_shards), the bundle Pagefind wrote; the pages it did not index (without
    ``data-pagefind-body``: catalog listings, home pages, which change with every item); and what
    the whole index was checked against (the identity of the withheld text, glue.output)."""

    def __init__(self, root: Path, site_dir: Path, writes: SiteWrites, enabled: bool = True) -> None:
        self.path = _stamp_path(root, site_dir)
        self.site_dir = Path(site_dir)
        self.shards: dict = {}
        self.checked = ""
        self.most = None  # the most pages of a shard when the shards were noted
        self.changed = True  # an HTML file of the site was written anew or deleted
        self.unindexed: set[str] = set()  # pages known to be left out of the noted index
        self._writes = writes
        self._site = writes.site_dir or os.path.abspath(site_dir)
        # Every HTML file written anew or deleted in this build, relative to the site.
        self.pages = {os.path.relpath(path, self._site).replace(os.sep, "/") for path in writes.changed | writes.deleted if path.endswith(".html")}
        if not enabled or not writes.had_manifest:
            return
        try:
            noted = json.loads(self.path.read_text(encoding="utf-8"))
            if noted.get("pagefind") != _pagefind() or not isinstance(noted.get("shards"), dict):
                return
            self.shards, self.checked, self.most = noted["shards"], str(noted.get("checked", "")), noted.get("most")
            self.unindexed = {str(rel) for rel in noted.get("unindexed", [])}
        except (OSError, ValueError, AttributeError):
            return
        self.changed = bool(self.pages)

    def plan(self, most: int) -> list[Shard]:
        """Returns the shards of the site: as noted when no HTML file was written anew or deleted
        (the site has the pages it had), otherwise as site.search_shards plans them now."""
        if not self.changed and self.most == most:
            try:
                shards = [Shard(int(number), tuple((str(kind), str(folder)) for kind, folder in stamp["pieces"])) for number, stamp in self.shards.items()]
                if sorted(shard.number for shard in shards) == list(range(1, len(shards) + 1)):
                    return sorted(shards, key=lambda shard: shard.number)
            except (KeyError, TypeError, ValueError):
                pass
        return plan_shards(self.site_dir, most, self.left_out_pages())

    def is_current(self, shard: Shard) -> bool:
        """Tells whether the shard's bundle is the one Pagefind would write now: noted by the
        last successful build, as it was, and none of its pages written anew or deleted since."""
        noted = self.shards.get(str(shard.number))
        if noted is None or {k: v for k, v in noted.items() if k != "bodies"} != _stamp(self.site_dir, shard):
            return False
        # A page left out of the index then and now (or deleted) changes nothing of it: when
        # some page of the shard marks what is indexed (then Pagefind leaves out every page without).
        bodies = noted.get("bodies") is True
        return not any(shard.owns(rel) and not (bodies and rel in self.unindexed and self.left_out(rel)) for rel in self.pages)

    def left_out_pages(self) -> set[str]:
        """The pages of the site known to be left out of its index: those written in this build
        without data-pagefind-body, and (notes kept since the last successful build) those noted
        so and not written since; none when no page is known to have data-pagefind-body (then
        Pagefind indexes every page whole)."""
        known = (self.unindexed - self.pages) | {rel for rel in self.pages if self.left_out(rel)}
        marked = self._writes.marked or any(stamp.get("bodies") is True for stamp in self.shards.values() if isinstance(stamp, dict))
        return known if marked else set()

    def left_out(self, rel: str) -> bool:
        """Tells whether Pagefind leaves the page at ``rel``, written anew or deleted in this
        build, out of the index now: it was written without ``data-pagefind-body``, or deleted."""
        path = os.path.join(self._site, rel)
        return path in self._writes.unindexed or path in self._writes.deleted

    def checked_against(self, reused: bool) -> str | None:
        """What the index was last checked against when it is as it was (``reused``: every shard); otherwise None."""
        return self.checked if reused else None

    def note(self, shards: list[Shard], most: int, checked: str, bodies: dict[int, bool]) -> None:
        """Notes the bundles Pagefind has written and the build has checked, against what, and
        whether some page of each shard has data-pagefind-body (``bodies``, of the shards run
        now; the others' as noted): best effort, without the note Pagefind runs."""
        stamps = {str(shard.number): _stamp(self.site_dir, shard) for shard in shards}
        try:
            for number, stamp in stamps.items():
                if stamp is not None:
                    stamp["bodies"] = bodies[int(number)] if int(number) in bodies else (self.shards.get(number) or {}).get("bodies") is True
            if None in stamps.values() or _pagefind() is None:
                self.path.unlink(missing_ok=True)
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            # The pages left out as noted, as far as known: those not written since, and those
            # written or deleted now that are left out (known after a first build has written them).
            unindexed = sorted((self.unindexed - self.pages) | {rel for rel in self.pages if self.left_out(rel)})
            note = {"pagefind": _pagefind(), "most": most, "shards": stamps, "checked": checked, "unindexed": unindexed}
            tmp.write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass


# --- Digests the manifest can reuse --------------------------------------------------------------------


def known_digests(disk: DiskCache, site_dir: Path) -> tuple[dict[str, str], str]:
    """Returns the SHA-256 of each file of the site that is as the last successful build left it
    (same size, same modification time to the nanosecond, a regular file): manifest.json need not
    read it again, and what the build's output check found of it then holds now if the text
    withheld is the same; and what that check was against (``note_digests``)."""
    data = disk.get("manifest", str(Path(site_dir).absolute()))
    if data is None:
        return {}, ""
    try:
        noted = cbor2.loads(data)
        items = list(noted["files"].items())
        checked = str(noted["checked"])
    except Exception:  # noqa: BLE001 - garbled notes are no notes
        return {}, ""
    result = {}
    for rel, entry in items:
        try:
            size, mtime, digest = entry
            info = os.lstat(os.path.join(site_dir, rel))
        except (OSError, TypeError, ValueError):
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size == size and info.st_mtime_ns == mtime and isinstance(digest, str):
            result[rel] = digest
    return result, checked


def note_digests(disk: DiskCache, site_dir: Path, manifest: Path, checked: str) -> None:
    """Notes the digests manifest.json gives with each file's size and modification time, and
    what the build's output check checked them against (``checked``)."""
    if not disk.enabled:
        return
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return
    noted = {}
    for rel, digest in files.items():
        try:
            info = os.lstat(os.path.join(site_dir, rel))
        except OSError:
            continue
        noted[rel] = [info.st_size, info.st_mtime_ns, digest]
    disk.put("manifest", str(Path(site_dir).absolute()), cbor2.dumps({"checked": checked, "files": noted}))


WRITES = SiteWrites()
