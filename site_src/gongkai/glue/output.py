"""The gate judged on the output: every page as it is written, then every other file of the site,
against the text the gate withheld (gate.output does the judging; this is its wiring)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import cbor2

from gongkai.cache import BuildCache
from gongkai.diskcache import DiskCache
from gongkai.gate import output as output_check
from gongkai.gate import visible
from gongkai.gate.decide import attachment_text_of
from gongkai.glue import forked
from gongkai.law import layout
from gongkai.model import Verdict
from gongkai.portal import Portal

#: The files of Pagefind's bundle named by a hash of their content.
_INDEX_SUFFIXES = (".pf_fragment", ".pf_index", ".pf_meta", ".pf_filter")


class OutputCheck:
    """What one build's output is checked against, and what the check found."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled  # a preview is never published: its output is not checked
        self.sources: dict[str, object] = {}  # dest_uri -> the item whose page or attachment it is
        self.withheld: output_check.Withheld | None = None
        self.theme_files: set[str] = set()  # dest_uris of theme assets (Material's and the portal's theme/)
        self.findings: list = []  # output_check.Finding of this build (the render worker's sent back)
        self.checked: set[str] = set()  # dest_uris checked as they were written
        self.cache: BuildCache | None = None  # the portal's: attachment texts read by the gate already
        self.readings: dict[str, str] | None = None  # dest -> compact text of each page checked, when kept (glue.pagecache)
        self.identity = ""  # what the withheld-text findings depend on in this build (output_check.withheld_identity)
        self._distinct: _Distinct | None = None  # the pieces of withheld text being found (start)

    def start(self, portal: Portal, disk: DiskCache | None = None, fork: bool = False) -> None:
        """Starts finding the pieces of withheld text no published item shows (every published
        text is read: ~0.4 s per 1,000 items): from the cache on disk, else (``fork``) in a forked
        process while this one makes the site's files, else when ``prepare`` asks."""
        self.stop()
        if not self.enabled:
            return
        self._distinct = _Distinct(portal, disk or DiskCache(None), fork)

    def stop(self) -> None:
        """Stops the process ``start`` forked, if it runs (the build failed)."""
        if self._distinct is not None:
            self._distinct.stop()
            self._distinct = None

    def prepare(self, config, portal: Portal, files, from_docs, disk: DiskCache | None = None) -> None:
        """Collects what the output is checked against: the withheld text (minus what a published
        item, a setting or a page of fixed wording also says) and the files that are theme assets
        (``from_docs(file)``: whether a file lies in the docs folder)."""
        self.findings.clear()
        self.checked.clear()
        if not self.enabled:
            self.withheld = None
            return
        if self._distinct is None or self._distinct.portal is not portal:
            self.start(portal, disk)
        distinct, self._distinct = self._distinct, None
        # What the configuration says (reviewed like the trust roots) is in every page's chrome.
        boilerplate = [str(config.get(key) or "") for key in ("site_name", "site_url", "site_description", "site_author", "copyright", "repo_url", "repo_name")]
        boilerplate += visible.json_strings(dict(config.extra or {}))
        boilerplate += [f.content_string for f in files if f.generated_by and layout.is_guide(f.src_uri) and f.is_documentation_page()]
        self.cache = portal.cache
        assert distinct is not None
        self.withheld = output_check.Withheld((), boilerplate, lambda: _published_attachments(portal), distinct=distinct.result())
        self.identity = output_check.withheld_identity(self.withheld, _attachment_digests(portal))
        self.theme_files.clear()
        self.theme_files.update(f.dest_uri for f in files if not f.generated_by and not from_docs(f))

    def check_page(self, dest: str, output: str) -> None:
        """Checks a page as MkDocs writes it."""
        if not self.enabled or dest in self.checked:
            return
        self.checked.add(dest)
        if self.readings is None:
            self.findings.extend(output_check.check_page(dest, output, self.withheld, self.sources.get(dest)))
            return
        found, self.readings[dest] = output_check.check_page_reading(dest, output, self.withheld, self.sources.get(dest))
        self.findings.extend(found)

    def check_kept_page(self, dest: str, reading: str | None) -> None:
        """Counts a page the build keeps from the last one (glue.pagecache) as checked: its bytes
        passed every check then; ``reading`` (its compact text) is looked for the text withheld now,
        when that is not what it was checked against (None: it is)."""
        if not self.enabled:
            return
        self.checked.add(dest)
        if reading is not None:
            self.findings.extend(output_check.withheld_findings(dest, reading, self.withheld, self.sources.get(dest)))

    def check_other_files(self, site_dir: Path, search_index: bool) -> None:
        """Checks every built file not checked as it was written: exports, feed, sitemap, 404 page,
        attachments; or (``search_index``) Pagefind's bundle. Theme assets are the theme's, not the
        portal's content."""
        for path in _site_files(site_dir / "pagefind" if search_index else site_dir, skip="" if search_index else "pagefind"):
            dest = path.relative_to(site_dir).as_posix()
            if dest in self.checked or dest in self.theme_files or dest == "manifest.json" or not path.is_file() or path.is_symlink():
                continue
            if dest.startswith("pagefind/") and not dest.endswith((".pf_fragment", ".pf_index", ".pf_meta", ".pf_filter", ".json")):
                continue  # Pagefind's own scripts and WebAssembly
            self._check_file(dest, path)

    def check_index_files(self, site_dir: Path, dests: list[str]) -> set[str]:
        """Checks the word index, metadata, filter and fragment files of a search bundle that
        Pagefind has finished (``dests``: relative to the site; its entry and other files are
        left for ``check_other_files``) and returns those checked: while Pagefind indexes the next
        shard. Nothing writes a finished shard's files again in the build (they are named by a
        hash of what they hold), unless the shards give way to one index: the caller counts them
        as checked only when the index it ends with has the shards they were checked in."""
        done: set[str] = set()
        for dest in dests:
            path = site_dir / dest
            if not dest.endswith(_INDEX_SUFFIXES) or dest in self.checked or path.is_symlink() or not path.is_file():
                continue
            self._check_file(dest, path)
            done.add(dest)
        return done

    def _check_file(self, dest: str, path: Path) -> None:
        data = path.read_bytes()
        if dest.endswith((".html", ".htm")):
            found = output_check.check_page(dest, data.decode("utf-8", errors="replace"), self.withheld, self.sources.get(dest))
        else:
            found = output_check.check_file(dest, data, self.withheld, self.sources.get(dest), path, self.cache)
        self.findings.extend(found)

    def take_problems(self) -> list:
        """Returns the problems of what the check found, sorted, and forgets the findings."""
        problems = sorted({f.problem() for f in self.findings})
        self.findings.clear()
        return problems


def _published_attachments(portal: Portal):
    """Yields (item path, text) of every attachment the site publishes."""
    for decision in portal.by_verdict(Verdict.PUBLISH):
        folder = (portal.docs_dir / decision.item.rel).parent
        for name, digest in decision.item.attachment_digests:
            yield decision.item.path, attachment_text_of(folder / name, digest, portal.cache).text or ""


class _Distinct:
    """The `output_check.distinct_pieces` of a portal: from the cache on disk (keyed by every text
    they are made of), or found in a forked process (``fork``), or here when asked."""

    def __init__(self, portal: Portal, disk: DiskCache, fork: bool):
        self.portal, self.disk = portal, disk
        self.key = output_check.distinct_key(portal.decisions) if disk.enabled else ""
        self.child: forked.Child | None = None
        self.found = self._cached()
        if self.found is None and fork and hasattr(os, "fork") and threading.active_count() == 1:
            self.child = forked.start(self._find)

    def _cached(self) -> output_check.Distinct | None:
        data = self.disk.get("withheld-distinct", self.key) if self.key else None
        if data is None:
            return None
        try:
            owners = cbor2.loads(data)
        except Exception:  # noqa: BLE001 - a garbled value is a miss
            return None
        if isinstance(owners, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in owners.items()):
            return output_check.Distinct(owners)
        return None

    def _find(self) -> output_check.Distinct:
        return output_check.distinct_pieces(self.portal.decisions, found=lambda candidates: _found(self.disk, candidates))

    def result(self) -> output_check.Distinct:
        """Returns the pieces (waiting for the forked process; found here if it failed), kept in
        the cache on disk when they were found anew."""
        if self.found is not None:
            return self.found
        found = None
        if self.child is not None:
            child, self.child = self.child, None
            found = child.result()[1]
        self.found = found or self._find()
        if self.key:
            self.disk.put("withheld-distinct", self.key, cbor2.dumps(self.found.owners))
            if self.found.candidates_key:
                # One value, replaced by every build that looks again: the next build reuses it.
                self.disk.put("withheld-found", "last", cbor2.dumps([self.found.candidates_key, self.found.found_in]))
        return self.found

    def stop(self) -> None:
        """Kills and reaps the forked process, if any."""
        if self.child is not None:
            self.child.stop()
            self.child = None


def _found(disk: DiskCache, candidates: str) -> dict[str, list[str]] | None:
    """What the last build that looked found of the same candidate pieces in each item's
    published texts (one edit changes one item's: the others are not searched again)."""
    data = disk.get("withheld-found", "last") if disk.enabled else None
    if data is None:
        return None
    try:
        key, found = cbor2.loads(data)
    except Exception:  # noqa: BLE001 - a garbled value is a miss
        return None
    if key == candidates and isinstance(found, dict) and all(isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v) for k, v in found.items()):
        return found
    return None


def _attachment_digests(portal: Portal):
    """Yields (item path, name, digest) of every attachment the site publishes."""
    for decision in portal.by_verdict(Verdict.PUBLISH):
        for name, digest in decision.item.attachment_digests:
            yield decision.item.path, name, digest


def _site_files(top: Path, skip: str) -> list[Path]:
    """Returns the files under ``top``, in order, without its folder ``skip`` (Pagefind may be
    writing there)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        if dirpath == str(top):
            dirnames[:] = [d for d in dirnames if d != skip]
        dirnames.sort()
        found += [Path(dirpath, name) for name in sorted(filenames)]
    return found
