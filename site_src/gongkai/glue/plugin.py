"""The gongkai plugin: MkDocs events -> the engine's pure functions.

hooks/gongkai_hooks.py makes one GongkaiPlugin each time MkDocs loads the config (so one per
build) and hands every event to it. What outlives a build is on the process's Session
(glue.preview.session()), which also says how the build runs: `gongkai build` (pages rendered on
two cores) or `gongkai serve` (a preview)."""
from __future__ import annotations

import fcntl
import gc
import hashlib
import logging
import os
import queue
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

from markdown.extensions.toc import slugify
from mkdocs import utils
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel

from gongkai import gitrepo
from gongkai.cache import BuildCache
from gongkai.diskcache import DiskCache
from gongkai.errors import ConfigError, GongkaiError
from gongkai.gate import sanitize
from gongkai.glue import engine, guard, incremental, memo, render, workbooks
from gongkai.glue.output import OutputCheck
from gongkai.glue.pagecache import PageCache
from gongkai.glue.preview import session
from gongkai.law import layout
from gongkai.model import Verdict
from gongkai.portal import Portal, evaluate
from gongkai.publish.manifest import write_manifest
from gongkai.settings import load_settings
from gongkai.site import generated, pages, search, search_shards
from gongkai.trust.review import valid_signature_digests

# The site's own navigation: a handful of generated pages, never the items (a nav listing every
# item is rendered into every page: O(N²) output).
NAV = [{title: src} for title, src in layout.NAV]

log = logging.getLogger("mkdocs.plugins.gongkai")

#: The set of the portal's cache on disk that holds the signature checks found valid.
SIGNATURES = "signatures"

#: Decorates a hook that must run after every other plugin's handler of its event.
after_other_plugins = event_priority(-100)


class GongkaiPlugin(BasePlugin):
    """The gate, the generated pages and the check of the output, in one MkDocs build."""

    def __init__(self) -> None:
        super().__init__()
        self.session = session()
        self.portal: Portal | None = None
        self.output = OutputCheck(enabled=not self.session.preview)
        self.build_lock = None  # the open lock file of the site directory
        self.search: search.PagefindStream | None = None  # of the build under way, from its first page
        self.stream_pages = False  # this build hands its pages to Pagefind as they are written (not a preview)
        self.worker: render.Worker | None = None
        self.incremental = False  # `gongkai build`: the last build's site is kept, see glue.incremental
        self.files: Files | None = None  # the files of the build, as on_env saw them
        self.disk = DiskCache(None)  # the portal's cache on disk, in a `gongkai build` without --no-cache
        self.pages: PageCache | None = None  # the pages kept from the last build (glue.pagecache)
        self.workbooks = workbooks.Batch()  # the annual reports' .xlsx no cache holds

    # --- Events, in the order MkDocs runs them ------------------------------------------------------

    def on_config(self, config):
        """Validates extra.gongkai and enforces what a government portal needs, whatever mkdocs.yml says."""
        self.session.gate_config = config
        self.output = OutputCheck(enabled=not self.session.preview)
        guard.install_gate_guard(config)
        try:
            load_settings((config.extra or {}).get("gongkai"), config.site_name, "mkdocs.yml", source=config.config_file_path)
        except ConfigError as exc:
            raise PluginError(str(exc)) from exc
        if config.theme.name == "material":
            config.theme["font"] = False
        _disable_builtin_search(config)
        guard.check_allowed(config)  # what mkdocs.yml says, before the glue wraps the heading slugs
        _keep_heading_ids(config)
        _pin_build_date(Path(config.config_file_path).parent)
        for key in ("extra_css", "extra_javascript"):
            for entry in config[key]:
                url = str(getattr(entry, "path", entry))
                if url.startswith(("http:", "https:", "//")):
                    raise PluginError(f"mkdocs.yml: {key} 引用了其他网站的资源 {url}:政府网站页面不得从外部主机加载任何内容,请把文件放进 theme/ 目录")
        if config.nav is None:
            config.nav = NAV
        if "assets/gongkai/report.css" not in [str(getattr(c, "path", c)) for c in config.extra_css]:
            config.extra_css.append("assets/gongkai/report.css")
        analytics = (config.extra or {}).get("analytics")
        if analytics:
            log.warning("mkdocs.yml: extra.analytics 已被忽略:页面不得加载第三方统计脚本")
            config.extra["analytics"] = None
        return config

    def on_pre_build(self, *, config) -> None:
        """Takes the site directory's lock (two builds never write into one site at the same time)
        and checks that Pagefind is there: it indexes each page as it is written."""
        site_dir = os.path.abspath(config.site_dir)
        handle = open(build_lock_path(site_dir), "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise PluginError(f"另一个构建正在写入 {site_dir}:请等它结束后再构建") from None
        self.build_lock = handle
        preview, parallel = self.session.preview, self.session.parallel_render
        self.incremental = parallel and not preview
        if self.incremental and self.session.no_cache:
            utils.clean_directory(config.site_dir)  # --no-cache: from nothing, as MkDocs' clean build
        if self.incremental:
            # `gongkai build` runs MkDocs' build as "dirty" (see Session.parallel_render): the site
            # is not emptied; each file is written only when its bytes differ, and what this build
            # did not produce is deleted at the end (glue.incremental).
            incremental.WRITES.start(config.site_dir)
        self._stop_search()
        # The preview refreshes its index with the CLI, in the background; so does a build on one
        # core, and a build that renders its pages on two (parallel_render): the cores are busy
        # rendering, and Pagefind's CLI afterwards was measured 5-7 s faster than its service beside
        # the rendering on a 10,000-item portal, with 0.2 GB less memory.
        self.stream_pages = not preview and not (parallel and os.environ.get("GONGKAI_WORKERS") != "1") and search.can_run_beside()
        if not preview:
            try:
                search.pagefind_binary()  # missing: say so now, not after the pages
            except GongkaiError as exc:
                raise PluginError(str(exc)) from exc

    def on_files(self, files: Files, *, config) -> Files:
        """Runs the gate before any page is read: only published items and their attachments remain."""
        root = Path(config.config_file_path).parent
        try:
            # A preview keeps one BuildCache across rebuilds: an edit re-reads and re-decides only what changed.
            # A build starts from the signature checks earlier builds found valid (the cache on disk).
            self.disk = DiskCache(root if self.incremental and not self.session.no_cache else None)
            if self.disk.refused:
                log.warning(self.disk.refused)
            cache = self.session.cache if self.session.preview else BuildCache()
            known = cache.valid_signatures = cache.valid_signatures or self.disk.digests(SIGNATURES)
            cache.store = self.disk if self.disk.enabled else None  # the gate's scans of unchanged texts
            portal = evaluate(root, Path(config.docs_dir), (config.extra or {}).get("gongkai"), config.site_name, cache=cache)
            if self.disk.enabled:
                valid = valid_signature_digests(portal.cache)
                if valid != known:
                    self.disk.put_digests(SIGNATURES, valid)
        except GongkaiError as exc:
            raise PluginError(str(exc)) from exc
        self.portal = portal
        failures = [p for d in portal.by_verdict(Verdict.FAIL) for p in d.problems if p.is_error]
        for problem in portal.problems:
            if problem not in failures:
                log.warning(str(problem))
        if failures:
            raise PluginError("构建已停止,以下内容不得发布:\n" + "\n".join(str(p) for p in sorted(set(failures))))
        counts = portal.counts()
        log.info(
            "gongkai: 发布 %d 条,依申请公开目录 %d 条,待发布 %d 条,不予公开 %d 条,拒绝 %d 条",
            counts[Verdict.PUBLISH], counts[Verdict.METADATA], counts[Verdict.HOLD], counts[Verdict.EXCLUDE], counts[Verdict.REFUSE],
        )
        # What of the withheld text no published item shows is found on the other core meanwhile.
        fork = self.session.parallel_render and not self.session.preview and len(portal.decisions) >= render.min_pages() and render.can_fork()
        self.output.start(portal, self.disk, fork=fork)
        result = self._published_files(files, config, portal)
        docs_dir = Path(config.docs_dir).resolve()
        # Checked against the portal as the gate judged it, before the refusals of items whose
        # output would land on another's (self.portal): as the glue always has.
        self.output.prepare(config, portal, result, lambda f: _from_docs(f, docs_dir), self.disk)
        if self.session.preview:
            self.session.skip_unchanged_sitemap(config, result)
        else:
            # The portal and its pages live until the build ends: out of the cyclic collector's way,
            # so its full collections during rendering do not walk them again and again (and a
            # forked render worker does not copy their memory pages by touching them).
            gc.freeze()
        if self.incremental:
            incremental.WRITES.watch(result)
        return result

    def on_nav(self, nav, *, config, files):
        """Keeps the pages the last build rendered as they would be now (glue.pagecache), starts
        the render worker (see Session.parallel_render) and the process that makes the annual
        reports' missing workbooks (glue.workbooks)."""
        self.worker = None
        kept: set[str] = set()
        if self.stream_pages and len(files.documentation_pages()) > search_shards.shard_pages():
            self.stream_pages = False  # indexed in shards after the build (site.search_shards)
        if self.incremental and self.disk.enabled and self.output.enabled:
            self.pages = PageCache(self.disk, config.site_dir)
            self.output.readings = {}
            kept = self.pages.plan(config, files, nav, self.session.stash, self.output)
            if kept:
                log.info("gongkai: %d 个页面与上次构建相同,未重新渲染", len(kept))
                self.stream_pages = False  # Pagefind reads the whole site after the build (keeping its index)
        if not self.session.parallel_render or self.session.preview or not render.can_fork():
            return nav
        self.workbooks.start()
        # The worker is joined after this process's last page: before MkDocs validates anchors.
        made = self.pages.made if self.pages is not None else None
        self.worker = render.start(nav, config, files, self.output, self._as_render_worker, kept, made)
        return nav

    def on_env(self, env, *, config, files):
        """Returns the Jinja environment with the site's layout for the theme (law/layout.py) and,
        in a preview, a bytecode cache: each template is compiled once per process rather than
        once per rebuild (MkDocs makes a new environment for every build)."""
        if self.session.preview:
            env.bytecode_cache = self.session.bytecode_cache
        env.globals["gongkai_layout"] = layout.template_globals()  # the site's paths, for the theme
        self.files = files
        return env

    def on_page_content(self, html: str, *, page, config, files) -> str:
        """Sanitises every page body: raw HTML in an item cannot script the portal or frame another site."""
        page.gongkai_sanitised = True  # checked by the guard's on_post_page
        if page.toc is not None:
            page.toc.items = _kept_anchors(page.toc.items, sanitize.content_id)
        return sanitize.clean(self.session.stash.restore(page.file.src_uri, html))

    def on_post_page(self, output: str, *, page, config) -> str:
        """Tells Pagefind of the page MkDocs writes next (this runs after every other plugin's
        post_page): Pagefind reads the file once it is written. MkDocs does not write a page whose
        output is blank: nor is it indexed."""
        self.output.check_page(page.file.dest_uri, output)
        if self.pages is not None and self.output.readings is not None:
            self.pages.note(page, output, self.output.readings.pop(page.file.dest_uri, None), self.output.identity)
        if self.worker is not None and page.file.src_uri == self.worker.last:
            self._join_worker()  # before MkDocs validates anchors
        if self.incremental and not output.strip():
            incremental.WRITES.blank_page(page.file.abs_dest_path)  # MkDocs writes no blank page: nor is the last one kept
        if not self.stream_pages or not output.strip():
            return output
        if self.search is None:
            # Started with the first page, after the gate: nothing the gate starts shares its pipes.
            try:
                self.search = search.PagefindStream(Path(config.site_dir))
            except GongkaiError as exc:
                raise PluginError(str(exc)) from exc
        self.search.add_page(page.file.dest_uri, output)
        return output

    def on_post_build(self, *, config) -> None:
        """Completes the search index (Pagefind has read each page as it was written), then writes
        manifest.json — last, and only when the build has succeeded: a site without a manifest is
        one `gongkai publish` refuses."""
        preview = self.session.preview
        writes = incremental.WRITES
        try:
            self._join_worker()
            if self.incremental and self.files is not None:
                writes.remove_stale(self.files, config)  # before anything checks or indexes the site
            if not preview:
                self._refuse_findings(config)
            if config.strict and _warnings_so_far():
                return  # MkDocs aborts this strict build right after post_build: leave no index, no manifest
            site_dir = Path(config.site_dir)
            if preview:
                self.session.finish_preview(site_dir)
                return  # a preview is never published: no manifest; search catches up in the background
            stream, self.search = self.search, None
            # The files besides the pages are checked while Pagefind indexes the pages (its own
            # process): this process only waits for it otherwise. Its bundle is checked afterwards.
            failed: list[BaseException] = []
            if self.incremental and self.disk.enabled and writes.had_manifest:
                unchanged, last = incremental.known_digests(self.disk, site_dir)
                if last == self.output.identity:
                    # As the last successful build left them, and checked then against the same
                    # withheld text: what the check found of them then (nothing) holds now.
                    self.output.checked.update(rel for rel in unchanged if not rel.startswith(f"{search.BUNDLE_DIR}/"))
            # A shard's index files are checked while Pagefind indexes the next shard.
            finished: queue.SimpleQueue = queue.SimpleQueue()
            early: set[str] = set()
            checking = threading.Thread(target=_catching(failed, self._check_beside_search), args=(site_dir, finished, early), name="gongkai-output-check")
            checking.start()
            root = Path(config.config_file_path).parent
            noting = self.incremental and not self.session.no_cache
            notes = incremental.SearchNotes(root, site_dir, writes, enabled=noting and stream is None)
            shards: list[search_shards.Shard] = []
            planned: list[search_shards.Shard] = []
            most = search_shards.shard_pages()
            try:
                if stream is not None:
                    stats, shards = stream.finish(), [search_shards.WHOLE]
                else:
                    # Large sites in shards; Pagefind runs only for those with a page written anew or deleted.
                    planned = shards = notes.plan(most)
                    stats, shards = search_shards.index_shards(site_dir, shards, self.incremental, notes.is_current, indexed=finished.put)
            except GongkaiError as exc:
                raise PluginError(str(exc)) from exc
            finally:
                finished.put(None)
                checking.join()
            if failed:
                raise failed[0]
            if stream is None and shards == planned:
                self.output.checked.update(early)  # else one index replaced the shards: all checked again
            reused = stats.get("reused", 0)
            log.info("gongkai: 搜索索引 %s 个页面%s", stats.get("pages"), _search_note(len(shards), reused))
            if reused and notes.checked == self.output.identity:
                # The shards not run hold the files the last build checked against the same withheld text.
                for shard in shards:
                    if shard.number not in stats.get("bodies", {}):
                        self.output.checked.update(search_shards.bundle_files(site_dir, shard))
            if notes.checked_against(reused == len(shards)) != self.output.identity:
                # A bundle reused as it was is checked again only when the text withheld changed.
                self.output.check_other_files(site_dir, True)
                self._refuse_findings(config)
            if noting:
                notes.note(shards, most, self.output.identity, stats.get("bodies") or {})
            built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
            known = incremental.known_digests(self.disk, site_dir)[0] if self.disk.enabled else {}
            manifest = write_manifest(site_dir, commit=gitrepo.head_commit(root), built_at=built_at, strict=bool(config.strict), known=known)
            incremental.note_digests(self.disk, site_dir, manifest, self.output.identity)
            if self.pages is not None:
                self.pages.save()
        finally:
            if self.pages is not None:
                self.pages.stop()
            self._stop_search()
            self._release_lock()
            incremental.WRITES.stop()
            self.workbooks.stop()

    def _check_beside_search(self, site_dir: Path, finished: queue.SimpleQueue, early: set[str]) -> None:
        """Checks the files besides the pages while Pagefind indexes them, then the index files of
        each shard ``finished`` names as it finishes (until None), noting those in ``early``. The
        build's one thread that checks while Pagefind runs: at the lowest CPU priority (Linux can
        lower one thread's), so that it takes the time Pagefind leaves, not Pagefind's."""
        _lower_this_thread()
        self.output.check_other_files(site_dir, False)
        while (shard := finished.get()) is not None:
            early.update(self.output.check_index_files(site_dir, search_shards.bundle_files(site_dir, shard)))

    def on_build_error(self, *, error) -> None:
        """Stops what the build started: the render worker, Pagefind, the site's lock."""
        self.output.stop()
        self._stop_worker()
        self._stop_search()
        self._release_lock()
        incremental.WRITES.stop()
        if self.pages is not None:
            self.pages.stop()
        self.workbooks.stop()

    # --- Publishing: what the gate let through and what the engine generates -------------------------

    def _published_files(self, files: Files, config, portal: Portal) -> Files:
        """Returns the files of the site: the theme's, the published items' pages and attachments,
        and the generated pages and exports (each kept out of the nav)."""
        state = self.session
        sources = self.output.sources
        sources.clear()
        if state.preview:
            state.start_render(config)
        else:
            # The evaluated portal lives until the build ends: out of the cyclic collector's way
            # before the pages are made (its full collections walked it twice here, 0.6 s at
            # 10,000 items). on_files freezes what is made here too.
            gc.freeze()
        # A build's generators reuse the rows and tables an earlier build made (glue.memo); a
        # preview's cache hands out its unchanged pages already.
        portal.cache.memo = None if state.preview else memo.load(self.disk)
        docs_dir = Path(config.docs_dir).resolve()
        # Nothing under content/ is published except what the gate lets through below: not a draft
        # .docx, not a .csv, not a symlink (judged by where it lies, not by where it points).
        resolved: dict[str, bool] = {}
        kept = [f for f in files if not _from_docs(f, docs_dir, resolved)]
        refused = generated.output_problems(portal, config.use_directory_urls, [f.dest_uri for f in kept])
        if refused:
            for problem in refused.values():
                log.warning(str(problem))
            portal = self.portal = generated.refuse(portal, refused)
        result = Files(kept)
        taken = result.src_uris  # every src below is a normalised POSIX path already
        links = pages.relations(portal.decisions)
        src_of = generated.page_sources(portal)
        site = generated.Site(config.site_name, config.site_url, config.use_directory_urls, Path(config.config_file_path))
        # The catalogs, guides and exports are made on the other core while this process makes the items' pages.
        beside = None
        if not state.preview and len(portal.decisions) >= render.min_pages() and render.can_fork():
            beside = memo.Beside(lambda: list(generated.generated_files(portal, site)), portal.cache.memo)
        try:
            self._item_files(config, portal, result, links, src_of, docs_dir)
            made = beside.result() if beside is not None else generated.generated_files(portal, site)
        finally:
            if beside is not None:
                beside.stop()
        if state.preview and state.drafts:
            self._draft_files(config, portal, result, src_of)
        for made_file in made:
            src, content, blocks = made_file.src, made_file.content, made_file.blocks
            if src in taken:
                raise PluginError(f"{src}: 与系统生成的页面或文件重名,请改名")
            if blocks:
                content = state.stash_once(src, content, blocks, lambda blocks=blocks: blocks)
            else:
                state.stash.blocks.pop(src, None)
            page = File.generated(config, src, content=content)
            page.inclusion = InclusionLevel.NOT_IN_NAV
            state.unless_changed(page, content)
            result.append(page)
        if state.preview:  # attachments too: a withdrawn item's files leave the preview with its page
            for file in result:
                state.current.setdefault(file.src_uri, ("", file.abs_dest_path))
        state.gate_files = (config, guard.snapshot(result))
        if portal.cache.memo is not None:
            memo.save(self.disk, portal.cache.memo)
            portal.cache.memo = None
        return result

    def _item_files(self, config, portal: Portal, result: Files, links, src_of, docs_dir: Path) -> None:
        """Adds the page of each published item, and its attachments, to ``result``."""
        state = self.session
        sources = self.output.sources
        taken = result.src_uris
        for decision in portal.by_verdict(Verdict.PUBLISH):
            item = decision.item
            src = src_of(item)
            if src in taken:
                raise PluginError(f"{item.path}: 页面 {src} 已被另一条信息占用(同一机构同一年度只能有一份年度报告)")
            body = self._report_body(config, portal, decision, result)
            markdown = pages.item_page(decision, portal.settings, links, src, src_of, body, portal.cache)
            markdown = state.stash_once(src, markdown, (item, decision.published, portal.cache.settings_key(portal.settings)), lambda decision=decision: [pages.metadata_table(decision, portal.settings, portal.cache.memo)])
            page = File.generated(config, src, content=markdown)
            page.inclusion = InclusionLevel.NOT_IN_NAV
            sources[page.dest_uri] = item
            state.unless_changed(page, markdown)
            result.append(page)
            if item.attachment_digests:
                folder = Path(item.rel).parent
                for attachment, _ in item.attachment_digests:
                    uri = (folder / attachment).as_posix()
                    if uri not in taken:
                        copied = File.generated(config, uri, abs_src_path=str(docs_dir / uri))
                        sources[copied.dest_uri] = item
                        result.append(copied)

    def _draft_files(self, config, portal: Portal, result: Files, src_of) -> None:
        """Adds a page for each pending item (`gongkai serve --drafts` only): the reviewer sees the
        page he is asked to sign, marked as a draft. Not its attachments, nor any catalog or export."""
        state = self.session
        taken = result.src_uris
        for decision in portal.by_verdict(Verdict.HOLD):
            item = decision.item
            src = src_of(item)
            if src in taken:
                continue  # a published page of the same place wins
            markdown = pages.draft_page(decision, portal.settings, src)
            markdown = state.stash_once(src, markdown, ("draft", item, decision.reason, portal.cache.settings_key(portal.settings)), lambda decision=decision: [pages.metadata_table(decision, portal.settings, portal.cache.memo)])
            page = File.generated(config, src, content=markdown)
            page.inclusion = InclusionLevel.NOT_IN_NAV
            state.unless_changed(page, markdown)
            result.append(page)

    def _report_body(self, config, portal: Portal, decision, files: Files) -> str | None:
        """Returns the rendered sections of an annual report, and adds its .xlsx beside the page."""
        made = generated.report_output(portal, decision)
        if made is None:
            return None
        files.append(self.workbooks.file(config, made.xlsx, made.tables, made.title, self.session, self.disk))
        return made.body

    # --- Refusing what the output shows -------------------------------------------------------------

    def _refuse_findings(self, config) -> None:
        """Fails the build when the output shows what it must not, and leaves nothing of it behind."""
        if not self.output.findings:
            return
        problems = self.output.take_problems()
        self._stop_search()
        utils.clean_directory(config.site_dir)
        raise PluginError("构建已停止,网站文件中出现了不得发布的内容(已清空输出目录):\n" + "\n".join(str(p) for p in problems))

    # --- Starting and stopping what runs beside the build --------------------------------------------

    def _as_render_worker(self) -> None:
        """Runs in the forked render worker: the parent has Pagefind read its pages at the end."""
        self.stream_pages = False

    def _join_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            made = render.join(worker, self.output)
            if made and self.pages is not None:
                self.pages.merge(made)

    def _stop_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            render.stop(worker)

    def _stop_search(self) -> None:
        self.stream_pages = False
        if self.search is not None:
            self.search.abort()
            self.search = None

    def _release_lock(self) -> None:
        if self.build_lock is not None:
            self.build_lock.close()  # closing the descriptor releases the flock
            self.build_lock = None


def build_lock_path(site_dir: str) -> Path:
    """Returns the lock file of a site directory (outside it: MkDocs empties the site first)."""
    digest = hashlib.sha256(os.path.abspath(site_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"gongkai-build-{digest}.lock"


# --- Configuring MkDocs ---------------------------------------------------------------------------


def _keep_heading_ids(config) -> None:
    """Has the toc give headings only ids the sanitiser keeps (MkDocs always loads toc)."""
    options = config.mdx_configs.setdefault("toc", {})
    options["slugify"] = sanitize.keep_slugs(options.get("slugify") or slugify)


def _search_note(shards: int, reused: int) -> str:
    """What the build log says after the number of pages indexed: how the index was made."""
    if shards > 1 and reused == shards:
        return f"(分 {shards} 个分片,页面未变,沿用上次的索引)"
    if shards > 1:
        return f"(分 {shards} 个分片,{reused} 个分片的页面未变,沿用上次的索引)" if reused else f"(分 {shards} 个分片)"
    return "(页面未变,沿用上次的索引)" if reused else ""


def _disable_builtin_search(config) -> None:
    """Unregisters Material's (or MkDocs') search plugin: Pagefind indexes the published HTML instead."""
    for name in [n for n in config.plugins if n.split("/")[-1] == "search"]:
        plugin = config.plugins[name]
        # New lists, not the old ones cut down: MkDocs is iterating over the on_config list, and
        # removing an earlier entry from it would skip the one after this (the gate guard's).
        for event, methods in config.plugins.events.items():
            config.plugins.events[event] = [m for m in methods if getattr(m, "__self__", None) is not plugin]
        del config.plugins[name]


def _pin_build_date(root: Path) -> None:
    """Sets SOURCE_DATE_EPOCH to the commit's time, so that MkDocs' sitemap dates and gzip headers
    are the same in every build of that commit (reproducible builds)."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return
    epoch = gitrepo.head_time(root)
    if epoch:
        os.environ["SOURCE_DATE_EPOCH"] = epoch


# --- Reading what MkDocs holds --------------------------------------------------------------------


def _from_docs(file: File, docs_dir: Path, resolved: dict[str, bool] | None = None) -> bool:
    """Returns whether the file lies in docs_dir; ``resolved`` remembers, for one Files, which
    src_dir strings resolve to docs_dir (MkDocs gives every file of a folder the same one)."""
    if file.src_dir is not None:
        resolved = {} if resolved is None else resolved
        inside = resolved.get(file.src_dir)
        if inside is None:
            inside = resolved[file.src_dir] = Path(file.src_dir).resolve() == docs_dir
        if inside:
            return True
    source = file.abs_src_path
    if source is None:
        return False
    for candidate in (Path(source).absolute(), Path(source).resolve()):
        if candidate == docs_dir or docs_dir in candidate.parents:
            return True
    return False


def _kept_anchors(links: list, kept) -> list:
    """Returns the table of contents without the links to ids the sanitiser drops (an explicit
    `{: #__search }` would link the page's contents to an element of the theme)."""
    result = []
    for link in links:
        link.children = _kept_anchors(link.children, kept)
        if kept(link.id):
            result.append(link)
        else:
            result.extend(link.children)
    return result


def _warnings_so_far() -> int:
    """Returns how many warnings MkDocs has counted in this build (its --strict counter)."""
    for handler in engine.logger().handlers:
        if isinstance(handler, utils.CountHandler):
            return sum(count for _, count in handler.get_counts())
    return 0


def _lower_this_thread() -> None:
    """Gives the calling thread the lowest CPU priority, where the system can (Linux: a thread's
    own nice value)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


def _catching(failed: list, function):
    """Returns ``function`` wrapped to keep what it raises in ``failed`` (a thread's exception
    would be lost otherwise, and with it the check)."""

    def run(*args):
        try:
            function(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller
            failed.append(exc)

    return run
