"""What outlives one build in this process: how the builds are run, and the caches that make a
`gongkai serve` rebuild re-render only what changed.

MkDocs executes the hooks file again at every config load (each rebuild of `gongkai serve`), and
with it makes a new GongkaiPlugin: a plugin's state lasts one build. What must last longer lives
on the process's one Session, ``session()``."""
from __future__ import annotations

import gc
import hashlib
import importlib.metadata
import logging
import os
import tempfile
import threading
from pathlib import Path

import jinja2
from mkdocs.structure.files import File
from mkdocs.utils import get_build_date

from gongkai.cache import BuildCache
from gongkai.diskcache import DiskCache, key_of
from gongkai.errors import GongkaiError
from gongkai.report import xlsx as report_xlsx
from gongkai.site import pages, search_shards

log = logging.getLogger("mkdocs.plugins.gongkai")


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates in memory. Jinja checks each against a checksum of the template's
    source; the key adds what every page depends on (mkdocs.yml, the theme folder)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.codes: dict[str, bytes] = {}

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return hashlib.sha256(f"{self.session.render_key}|{super().get_cache_key(name, filename)}".encode()).hexdigest()

    def load_bytecode(self, bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


class Session:
    """The builds of this process: their mode and what one build leaves to the next."""

    def __init__(self) -> None:
        #: Set by `gongkai serve` (glue.commands.serve): a rebuild re-renders only the pages whose
        #: Markdown changed (MkDocs' dirty build), skips manifest.json and the check of the output,
        #: and refreshes the search index in the background.
        self.preview = False
        #: Set by `gongkai build` (glue.commands.build, which then runs MkDocs' build with
        #: dirty=True and has the plugin clean the site itself, in on_pre_build): after the nav is
        #: made, a forked worker renders about half of the pages that are not in the nav (see
        #: glue.render) while this process renders the rest.
        self.parallel_render = False
        #: Set by `gongkai serve --drafts` only (glue.commands.serve, which refuses it without
        #: preview): pending items get a page marked 审核预览·未发布. A build, package or publish
        #: never sets it, and the plugin adds drafts only when preview is set too.
        self.drafts = False
        #: Set by `gongkai build --no-cache` (glue.commands.build): the build neither reads nor
        #: writes the portal's cache on disk (diskcache), and starts from an empty site directory.
        self.no_cache = False
        # What the guard checks (glue.guard): the config the plugin's on_config saw last, and
        # (config, what the gate let through), set at the end of the plugin's on_files.
        self.gate_config = None
        self.gate_files: tuple | None = None
        # Every build stashes the HTML blocks of its generated pages here (pages.HtmlStash).
        self.stash = pages.HtmlStash()
        # src -> (its Markdown, what else its stashed Markdown depends on, the stashed Markdown, its
        # blocks): the page generators hand out the very same string for an unchanged page
        # (pages.item_page, catalog.listing_pages), so an unchanged page is not stashed (nor
        # hashed, see digests) again.
        self.stashed: dict[str, tuple] = {}
        # What the preview rebuilds compare with the last one (preview only):
        self.render_key = ""  # what every page's HTML depends on besides its Markdown
        self.built: dict[str, tuple[str, str]] = {}  # src_uri -> (content digest, abs_dest_path), last build
        self.current: dict[str, tuple[str, str]] = {}  # the same, of the build under way
        self.digests: dict[str, tuple] = {}  # src -> (content, render key, digest, stashed blocks)
        self.xlsx_made: dict[str, bytes] = {}  # sha256 of (tables, title) -> .xlsx bytes
        self.cache = BuildCache()  # the portal's reads, decisions, signatures, pages and catalogs of the last preview build
        self.bytecode_cache = MemoryBytecodeCache(self)
        self.sitemap_key: tuple = ()
        self.sitemap_pending: tuple = ()
        self.heap_frozen = False
        self.indexing: threading.Thread | None = None
        self.index_again = threading.Event()

    # --- Stashing and comparing the generated pages ----------------------------------------------

    def stash_once(self, src: str, markdown: str, depends, blocks) -> str:
        """Returns stash.stash(src, markdown, blocks()), reusing the last result for src when
        ``markdown`` is the very same string and ``depends`` (what ``blocks`` are made of) is equal."""
        known = self.stashed.get(src)
        if known is not None and known[0] is markdown and known[1] == depends and self.stash.blocks.get(src) is known[3]:
            return known[2]
        stashed = self.stash.stash(src, markdown, blocks())
        self.stashed[src] = (markdown, depends, stashed, self.stash.blocks[src])
        return stashed

    def start_render(self, config) -> None:
        """Notes what every page's HTML depends on besides its Markdown in this preview build: the
        settings and the theme."""
        h = hashlib.sha256(Path(config.config_file_path).read_bytes())
        custom = config.theme.custom_dir
        if custom and os.path.isdir(custom):
            for dirpath, _, names in sorted(os.walk(custom)):
                for name in sorted(names):
                    stat = os.stat(os.path.join(dirpath, name))
                    h.update(f"{dirpath}/{name}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
        self.render_key = h.hexdigest()

    def unless_changed(self, file: File, content) -> None:
        """In a preview rebuild, marks a generated file whose content is what was built last time as
        not modified, so that MkDocs' dirty build leaves its page as it is. The content of a page is
        its Markdown and the HTML blocks stashed out of it (a catalog's table, an item's metadata)."""
        if not self.preview:
            return
        blocks = self.stash.blocks.get(file.src_uri)
        known = self.digests.get(file.src_uri)
        if known is not None and known[0] is content and known[1] == self.render_key and known[3] is blocks:
            digest = known[2]
        else:
            h = hashlib.sha256(self.render_key.encode())
            h.update(content if isinstance(content, bytes) else content.encode("utf-8"))
            for name, block in (blocks or {}).items():
                h.update(f"\0{name}\0{block}".encode("utf-8"))
            digest = h.hexdigest()
            self.digests[file.src_uri] = (content, self.render_key, digest, blocks)
        self.current[file.src_uri] = (digest, file.abs_dest_path)
        if self.built.get(file.src_uri, ("",))[0] == digest and os.path.isfile(file.abs_dest_path):
            file.is_modified = lambda: False

    def xlsx_bytes(self, tables, title: str, disk: DiskCache | None = None) -> bytes:
        """Returns the .xlsx of an annual report. The workbook is a pure function of the tables and
        the title: made once per process, so preview rebuilds do not make every report's again,
        and kept in the portal's cache on disk (``disk``) for the next build, under the tables, the
        title, the engine and the writer's (XlsxWriter's) version."""
        key = xlsx_key(tables, title)
        data = self.xlsx_known(key, disk)
        if data is None:
            data = make_xlsx(tables, title)
            self.xlsx_keep(key, data, disk)
        return data

    def xlsx_known(self, key: str, disk: DiskCache | None = None) -> bytes | None:
        """Returns the workbook of ``key`` (``xlsx_key``) made earlier in this process or kept on disk."""
        if key not in self.xlsx_made:
            data = (disk or DiskCache(None)).get("xlsx", key_of(key, _xlsx_writer_version()))
            if data is None:
                return None
            self.xlsx_made[key] = data
        return self.xlsx_made[key]

    def xlsx_keep(self, key: str, data: bytes, disk: DiskCache | None = None) -> None:
        """Keeps a workbook made for ``key``: in this process and on disk."""
        (disk or DiskCache(None)).put("xlsx", key_of(key, _xlsx_writer_version()), data)
        self.xlsx_made[key] = data

    def skip_unchanged_sitemap(self, config, files) -> None:
        """Leaves MkDocs' sitemap.xml(.gz) of the last preview build when it would be the same: it
        lists every page's URL and the build date (~0.2 s for 10,000 pages)."""
        urls = tuple(f.url for f in files.documentation_pages())
        key = (self.render_key, config.site_url, config.use_directory_urls, get_build_date(), urls)
        self.sitemap_pending = key
        site_dir = config.site_dir
        if key == self.sitemap_key and all(os.path.isfile(os.path.join(site_dir, name)) for name in ("sitemap.xml", "sitemap.xml.gz")):
            config.theme.static_templates.discard("sitemap.xml")

    # --- After a preview build -------------------------------------------------------------------

    def finish_preview(self, site_dir: Path) -> None:
        """Removes the pages of items withdrawn since the last preview build, and refreshes the
        search index on a background thread (one at a time; the last request wins)."""
        for src in self.built.keys() - self.current.keys():
            dest = self.built[src][1]
            if os.path.isfile(dest):
                os.remove(dest)
        self.built, self.current = self.current, {}
        self.sitemap_key = self.sitemap_pending
        self.freeze_heap()
        self.index_again.set()
        if self.indexing is None or not self.indexing.is_alive():
            self.indexing = threading.Thread(target=self.index_loop, args=(site_dir,), daemon=True, name="gongkai-pagefind")
            self.indexing.start()

    def freeze_heap(self) -> None:
        """After the first preview build, moves everything alive (the gate's and the generators'
        caches of the whole portal: millions of objects) out of the cyclic garbage collector's
        reach. Its full collections walked all of them, a second and more of every rebuild; objects
        made later are collected as usual (the first build's own garbage cycles stay: one build's
        worth, once)."""
        if self.heap_frozen:
            return
        gc.collect()
        gc.freeze()
        self.heap_frozen = True

    def index_loop(self, site_dir: Path) -> None:
        """Indexes the preview site again for as long as rebuilds ask for it."""
        while self.index_again.is_set():
            self.index_again.clear()
            try:
                # Below the rebuilds in priority: an edit shows while the index of the last one is made.
                # A large site in shards, as `gongkai build` makes it (Pagefind's memory: site.search_shards).
                shards = search_shards.plan_shards(site_dir, left_out=search_shards.unmarked_pages(site_dir))
                stats, _ = search_shards.index_shards(site_dir, shards, False, lambda shard: False, background=True)
                log.info("gongkai: 搜索索引 %s 个页面(预览)", stats.get("pages"))
            except GongkaiError as exc:
                log.warning(str(exc))


def xlsx_key(tables, title: str) -> str:
    """Returns what identifies an annual report's workbook: its tables and its title."""
    return hashlib.sha256(repr((tables, title)).encode("utf-8")).hexdigest()


def make_xlsx(tables, title: str) -> bytes:
    """Returns the .xlsx of an annual report's tables (report.xlsx)."""
    with tempfile.TemporaryDirectory(prefix="gongkai-xlsx-") as tmp:
        target = f"{tmp}/report.xlsx"
        report_xlsx.write_report_xlsx(tables, target, title)
        with open(target, "rb") as handle:
            return handle.read()


def _xlsx_writer_version() -> str:
    try:
        return importlib.metadata.version("XlsxWriter")
    except importlib.metadata.PackageNotFoundError:
        return ""


_SESSION = Session()


def session() -> Session:
    """Returns the one Session of this process (this module is imported once; the hooks file is not)."""
    return _SESSION
