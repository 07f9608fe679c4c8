"""The search index of a large portal in shards: Pagefind's memory and a rebuild's indexing in
proportion to one shard, not to the whole site.

Pagefind holds every page it has read until it writes its index (about 0.26 MB per page of
Chinese text: 2.6 GB at 10,000 items), and it reads every page again for any change. A site of more
than `SHARD_PAGES` HTML files is therefore indexed in shards: the folders of the site, in name
order, are cut into a few contiguous groups of about the same number of pages (a folder larger
than a group is cut into its subfolders), and Pagefind runs once per group, one after the other.
The first shard is the bundle at ``pagefind/`` (the theme loads Pagefind's UI from there); shard
*n* is at ``pagefind/n/`` and holds only its index (metadata, word index, filters, fragments).
``pagefind/gongkai-shards.json`` (search.SHARDS_FILE) names the other shards; the theme's script has Pagefind's UI
merge them into one search (``mergeIndex``), which ranks the results of all shards together.

A rebuild runs Pagefind only for a shard one of whose pages was written anew or deleted (the
glue keeps the notes, glue.incremental). Each search downloads each shard's metadata, filters and
one word-index chunk per word: a few tens of KB more per shard than one index. A site of at most
`SHARD_PAGES` HTML files has one shard: the bundle the Pagefind CLI writes for the whole site.
"""
from __future__ import annotations

import json
import math
import os
import posixpath
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gongkai.site import search

#: The most HTML files one shard should have (Pagefind: about 1 GB of memory). GONGKAI_SEARCH_SHARD_PAGES overrides it.
SHARD_PAGES = 4000
#: The files of a shard's bundle the merged search reads: its entry, metadata and hashed folders.
_SHARD_KEEPS = re.compile(r"pagefind-entry\.json|pagefind\..+\.pf_meta|fragment|index|filter|sort")
_SHARD_DIR = re.compile(r"[0-9]+")
#: Folder and file names a Pagefind glob matches literally: letters and digits (any script), ``_ . -``.
_PLAIN = re.compile(r"[\w.\-]+")


@dataclass(frozen=True)
class Shard:
    """One shard: its number (1 is the bundle at ``pagefind/``) and what it indexes, as pieces
    ``("tree", folder)`` (every page under the folder; ``""``: the whole site) or
    ``("files", folder)`` (the pages directly in the folder; ``""``: at the top of the site)."""

    number: int
    pieces: tuple[tuple[str, str], ...]

    @property
    def subdir(self) -> str:
        """The bundle's folder, relative to the site."""
        return search.BUNDLE_DIR if self.number == 1 else f"{search.BUNDLE_DIR}/{self.number}"

    @property
    def glob(self) -> str | None:
        """The Pagefind glob of the pages it indexes; None: every page of the site."""
        if self.pieces == (("tree", ""),):
            return None
        parts = [_piece_glob(kind, folder) for kind, folder in self.pieces]
        return parts[0] if len(parts) == 1 else "{" + ",".join(parts) + "}"

    def owns(self, rel: str) -> bool:
        """Tells whether the page at ``rel`` (relative to the site, with ``/``) is one it indexes."""
        folder = posixpath.dirname(rel)
        for kind, piece in self.pieces:
            if kind == "files" and folder == piece:
                return True
            if kind == "tree" and (piece == "" or rel.startswith(piece + "/")):
                return True
        return False


#: One index of the whole site.
WHOLE = Shard(1, (("tree", ""),))


def _piece_glob(kind: str, folder: str) -> str:
    prefix = folder + "/" if folder else ""
    return f"{prefix}**/*.html" if kind == "tree" else f"{prefix}*.html"


def shard_pages() -> int:
    """The most HTML files of one shard (GONGKAI_SEARCH_SHARD_PAGES, for tests and measuring)."""
    try:
        return max(int(os.environ.get("GONGKAI_SEARCH_SHARD_PAGES", "")), 1)
    except ValueError:
        return SHARD_PAGES


def plan_shards(site_dir: Path, most: int | None = None, left_out: frozenset[str] | set[str] = frozenset()) -> list[Shard]:
    """Returns the shards of the site's search index: one (the whole site) when it has at most
    ``most`` HTML files (default `shard_pages`) to index, or when a folder's name is not plain
    enough for a Pagefind glob; otherwise contiguous groups of folders, in name order.

    ``left_out``: pages (relative, with ``/``) known to be left out of the index (without
    ``data-pagefind-body`` in a site where some page has it): not counted, and a folder with
    only such pages is in no shard (Pagefind need not read them)."""
    most = most or shard_pages()
    direct, children = _html_counts(Path(site_dir), left_out)
    whole = [WHOLE]
    totals: dict[str, int] = {}

    def total(folder: str) -> int:
        if folder not in totals:
            totals[folder] = direct.get(folder, 0) + sum(total(child) for child in children.get(folder, ()))
        return totals[folder]

    count = total("")
    if count <= most or any(not _PLAIN.fullmatch(part) for folder in direct for part in folder.split("/") if folder):
        return whole
    groups = math.ceil(count / most)
    target = count / groups
    pieces: list[tuple[tuple[str, str], int]] = []

    def cut(folder: str) -> None:
        if folder and (total(folder) <= target or not children.get(folder)):
            pieces.append((("tree", folder), total(folder)))
            return
        if direct.get(folder):
            pieces.append((("files", folder), direct[folder]))
        for child in sorted(children.get(folder, ())):
            if total(child):
                cut(child)

    cut("")
    assigned: list[list[tuple[str, str]]] = [[] for _ in range(groups)]
    before = 0
    for piece, size in pieces:
        # The group the middle of the piece falls in: contiguous groups, which a page more or
        # less moves by one piece at most.
        assigned[min(groups - 1, int((before + size / 2) // target))].append(piece)
        before += size
    shards = [group for group in assigned if group]
    return [Shard(number, tuple(group)) for number, group in enumerate(shards, 1)]


def _html_counts(site_dir: Path, left_out: frozenset[str] | set[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Returns the number of HTML files directly in each folder of the site (``""``: its top),
    not counting those ``left_out``, and each folder's subfolders, without the search bundle."""
    direct: dict[str, int] = {}
    children: dict[str, list[str]] = {}
    root = str(site_dir)
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        if not rel and search.BUNDLE_DIR in dirs:
            dirs.remove(search.BUNDLE_DIR)
        children[rel] = [posixpath.join(rel, name) for name in dirs]
        prefix = rel + "/" if rel else ""
        found = sum(1 for name in names if name.endswith(".html") and prefix + name not in left_out)
        if found:
            direct[rel] = found
    return direct, children


def unmarked_pages(site_dir: Path, most: int | None = None) -> set[str]:
    """Returns the pages of a site of more than ``most`` HTML files that have no
    ``data-pagefind-body`` when some page has one (each file read: for a site whose build did not
    note them, e.g. the preview); otherwise none."""
    site_dir = Path(site_dir)
    pages = sorted(search.html_files(site_dir))
    if len(pages) <= (most or shard_pages()):
        return set()
    unmarked = set()
    for rel in pages:
        try:
            if not search.bytes_have_body_attribute((site_dir / rel).read_bytes()):
                unmarked.add(rel)
        except OSError:
            continue  # counted as indexed
    return unmarked if len(unmarked) < len(pages) else set()


def index_shards(
    site_dir: Path, shards: list[Shard], keep: bool, current: Callable[[Shard], bool], background: bool = False, indexed: Callable[[Shard], None] | None = None
) -> tuple[dict, list[Shard]]:
    """Has Pagefind index each shard whose bundle is not ``current`` (asked after the shards before
    it have run: the first shard's run may have removed the others), removes the bundles of shards
    the plan no longer has, writes `SHARDS_FILE`; returns the statistics of the whole index (as
    `search.index_site` counts them; ``reused``: how many shards were current; ``bodies``: of
    each shard run, whether some page of it has ``data-pagefind-body``) and its shards. Raises
    GongkaiError (in Chinese). ``background``: at the lowest CPU priority (search.index_site).
    ``indexed(shard)``: called as each shard's run has finished, before the next one starts (its
    bundle's files may be read meanwhile; if the shards give way to one index, the returned shards
    are not those)."""
    site_dir = Path(site_dir)
    bodies: dict[int, bool] = {}  # shard run -> some page of it marks what is indexed
    for shard in shards:
        if not (keep and current(shard)):
            bodies[shard.number] = _index(site_dir, shard, keep, background)
            if indexed is not None:
                indexed(shard)
    if len(shards) > 1 and not all(bodies.values()):
        # Pagefind leaves out every page without data-pagefind-body only in an index where some
        # page has one: a shard without any would index its pages whole, which one index of the
        # site would not do when another shard has one. Whether the shards not run mark any is
        # not known: they run too; mixed, the site is one index.
        for shard in shards:
            if shard.number not in bodies:
                bodies[shard.number] = _index(site_dir, shard, keep, background)
        if len(set(bodies.values())) > 1:
            stats = search.index_site(site_dir, background)  # its SHARDS_FILE names none
            return {**stats, "bodies": {1: bool(stats.get("bodies"))}}, [WHOLE]
    bundle = site_dir / search.BUNDLE_DIR
    numbers = {str(shard.number) for shard in shards}
    for path in bundle.iterdir():
        if _SHARD_DIR.fullmatch(path.name) and path.name not in numbers and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
    others = [f"{shard.number}/" for shard in shards if shard.number > 1]
    search.name_shards(bundle, others)
    return {**bundle_stats(site_dir, shards), "reused": len(shards) - len(bodies), "bodies": bodies}, shards


def _index(site_dir: Path, shard: Shard, keep: bool, background: bool) -> bool:
    """Has Pagefind index one shard; returns whether some page of it has ``data-pagefind-body``."""
    stats = search.index_site(site_dir, background, keep, glob=shard.glob, subdir=shard.subdir)
    if shard.number > 1:
        _trim(site_dir / shard.subdir)
    return bool(stats.get("bodies"))


def _trim(bundle: Path) -> None:
    """Deletes what a shard's bundle need not have: the merged search runs Pagefind's scripts and
    WebAssembly from the first bundle."""
    for path in bundle.iterdir():
        if _SHARD_KEEPS.fullmatch(path.name):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def bundle_files(site_dir: Path, shard: Shard) -> list[str]:
    """Returns the files of one shard's bundle, relative to the site (with ``/``)."""
    bundle = Path(site_dir) / shard.subdir
    found = []
    for folder, dirs, names in os.walk(bundle):
        if folder == str(bundle):
            dirs[:] = [d for d in dirs if not _SHARD_DIR.fullmatch(d)]
        rel = Path(folder).relative_to(site_dir).as_posix()
        found += [f"{rel}/{name}" for name in names]
    return found


def bundle_stats(site_dir: Path, shards: list[Shard]) -> dict:
    """Returns how many languages and pages the whole index has (as `search.index_site` counts
    them), from each shard's entry file, and how many shards it has."""
    languages = pages = 0
    for shard in shards:
        entry = json.loads((Path(site_dir) / shard.subdir / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"]
        languages = max(languages, len(entry))
        pages += sum(language.get("page_count", 0) for language in entry.values())
    return {"languages": languages, "pages": pages, "shards": len(shards)}
