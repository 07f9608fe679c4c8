"""The only module that knows MkDocs: MkDocs events -> the engine's pure functions."""
from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel

import hashlib
import os
import posixpath
import tempfile
import threading
from datetime import date, datetime, time, timedelta, timezone

from gongkai.site import catalog
from gongkai.site import guide
from gongkai.gate import output as output_check
from gongkai.site import pages
from gongkai import report
from gongkai.report import xlsx as report_xlsx
from gongkai.gate import visible
from gongkai import gitrepo
from gongkai.cache import BuildCache  # H5
from gongkai.errors import ConfigError, GongkaiError, Problem
from gongkai.model import Verdict
from gongkai.portal import Portal, evaluate
from gongkai.settings import load_settings
from gongkai.law.layout import page_url

# The site's own navigation: a handful of generated pages, never the items (a nav listing every
# item is rendered into every page: O(N²) output).
NAV = [
    {"首页": "index.md"},
    {"信息公开": "xxgk/index.md"},
    {"公开指南": "xxgk/gkzn/index.md"},
    {"公开目录": "xxgk/gkml/index.md"},
    {"依申请公开": "xxgk/ysqgk/index.md"},
    {"年度报告": "xxgk/gknb/index.md"},
]

log = logging.getLogger("mkdocs.plugins.gongkai")

_portal: Portal | None = None

#: Set by `gongkai serve`: a rebuild re-renders only the pages whose Markdown changed (MkDocs'
#: dirty build), skips manifest.json and refreshes the search index in the background.
preview = False
_built: dict[str, tuple[str, str]] = {}  # src_uri -> (content digest, abs_dest_path), last preview build
_current: dict[str, tuple[str, str]] = {}
_stash = pages.HtmlStash()
_xlsx_made: dict[str, bytes] = {}  # sha256 of (tables, title) -> .xlsx bytes
# src -> (its Markdown, what else its stashed Markdown depends on, the stashed Markdown, its blocks):
# the page generators hand out the very same string for an unchanged page (pages.item_page,
# catalog.listing_pages), so an unchanged page is not stashed (nor hashed, see _digests) again.
_stashed: dict[str, tuple] = {}
_digests: dict[str, tuple] = {}  # src -> (content, render key, digest, stashed blocks), preview only
# H5: what every preview rebuild reuses of the last (reads, decisions, signatures, pages, catalogs).
_preview_cache = BuildCache()


def on_config(config):
    """Validates extra.gongkai and enforces what a government portal needs, whatever mkdocs.yml says."""
    global _gate_config
    _gate_config = config
    install_gate_guard(config)
    try:
        load_settings((config.extra or {}).get("gongkai"), config.site_name, "mkdocs.yml")
    except ConfigError as exc:
        raise PluginError(str(exc)) from exc
    if config.theme.name == "material":
        config.theme["font"] = False
    _disable_builtin_search(config)
    _check_allowed(config)  # what mkdocs.yml says, before the glue wraps the heading slugs
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


def _keep_heading_ids(config) -> None:
    """Has the toc give headings only ids the sanitiser keeps (MkDocs always loads toc)."""
    from markdown.extensions.toc import slugify

    from gongkai.gate import sanitize

    options = config.mdx_configs.setdefault("toc", {})
    options["slugify"] = sanitize.keep_slugs(options.get("slugify") or slugify)


def _disable_builtin_search(config) -> None:
    """Unregisters Material's (or MkDocs') search plugin: Pagefind indexes the published HTML instead."""
    for name in [n for n in config.plugins if n.split("/")[-1] == "search"]:
        plugin = config.plugins[name]
        for methods in config.plugins.events.values():
            methods[:] = [m for m in methods if getattr(m, "__self__", None) is not plugin]
        del config.plugins[name]


def on_files(files: Files, config) -> Files:
    """Runs the gate before any page is read: only published items and their attachments remain."""
    global _portal
    root = Path(config.config_file_path).parent
    try:
        portal = evaluate(root, Path(config.docs_dir), (config.extra or {}).get("gongkai"), config.site_name, cache=_preview_cache if preview else None)  # H5
    except GongkaiError as exc:
        raise PluginError(str(exc)) from exc
    _portal = portal
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
    result = _published_files(files, config, portal)
    _prepare_output_check(config, portal, result)
    if preview:
        _skip_unchanged_sitemap(config, result)
    else:
        # The portal and its pages live until the build ends: out of the cyclic collector's way, so
        # its full collections during rendering do not walk them again and again (and a forked
        # render worker does not copy their memory pages by touching them).
        import gc

        gc.freeze()
    return result


_sitemap_key: tuple = ()
_sitemap_pending: tuple = ()


def _skip_unchanged_sitemap(config, files: Files) -> None:
    """Leaves MkDocs' sitemap.xml(.gz) of the last preview build when it would be the same: it
    lists every page's URL and the build date (~0.2 s for 10,000 pages)."""
    global _sitemap_pending
    from mkdocs.utils import get_build_date

    urls = tuple(f.url for f in files.documentation_pages())
    key = (_render_key, config.site_url, config.use_directory_urls, get_build_date(), urls)
    _sitemap_pending = key
    site_dir = config.site_dir
    if key == _sitemap_key and all(os.path.isfile(os.path.join(site_dir, name)) for name in ("sitemap.xml", "sitemap.xml.gz")):
        config.theme.static_templates.discard("sitemap.xml")


def on_env(env, config, files):
    """In a preview, Jinja compiles each template once per process rather than once per rebuild
    (MkDocs makes a new environment for every build)."""
    if preview:
        env.bytecode_cache = _bytecode_cache
    return env


def _make_bytecode_cache():
    import jinja2

    class MemoryBytecodeCache(jinja2.BytecodeCache):
        """Compiled templates in memory. Jinja checks each against a checksum of the template's
        source; the key adds what every page depends on (mkdocs.yml, the theme folder)."""

        def __init__(self) -> None:
            self.codes: dict[str, bytes] = {}

        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return hashlib.sha256(f"{_render_key}|{super().get_cache_key(name, filename)}".encode()).hexdigest()

        def load_bytecode(self, bucket) -> None:
            code = self.codes.get(bucket.key)
            if code is not None:
                bucket.bytecode_from_string(code)

        def dump_bytecode(self, bucket) -> None:
            self.codes[bucket.key] = bucket.bytecode_to_string()

    return MemoryBytecodeCache()


_bytecode_cache = _make_bytecode_cache()


def _published_files(files: Files, config, portal: Portal) -> Files:
    global _render_key, _portal
    _sources.clear()
    if preview:
        _render_key = _render_context(config)
    docs_dir = Path(config.docs_dir).resolve()
    # Nothing under content/ is published except what the gate lets through below: not a draft
    # .docx, not a .csv, not a symlink (judged by where it lies, not by where it points).
    resolved: dict[str, bool] = {}
    kept = [f for f in files if not _from_docs(f, docs_dir, resolved)]
    refused = output_problems(portal, config.use_directory_urls, [f.dest_uri for f in kept])
    if refused:
        for problem in refused.values():
            log.warning(str(problem))
        portal = _portal = _refuse(portal, refused)
    result = Files(kept)
    taken = result.src_uris  # every src below is a normalised POSIX path already
    links = pages.relations(portal.decisions)
    src_of = _page_sources(portal)
    for decision in portal.by_verdict(Verdict.PUBLISH):
        item = decision.item
        src = src_of(item)
        if src in taken:
            raise PluginError(f"{item.path}: 页面 {src} 已被另一条信息占用(同一机构同一年度只能有一份年度报告)")
        body = _report_body(config, portal, decision, result)
        markdown = pages.item_page(decision, portal.settings, links, src, src_of, body, portal.cache)  # H5
        markdown = _stash_once(src, markdown, (item, portal.cache.settings_key(portal.settings)), lambda: [pages.metadata_table(item, portal.settings)])  # H5
        page = File.generated(config, src, content=markdown)
        page.inclusion = InclusionLevel.NOT_IN_NAV
        _sources[page.dest_uri] = item
        _unless_changed(page, markdown)
        result.append(page)
        if item.attachment_digests:
            folder = Path(item.rel).parent
            for attachment, _ in item.attachment_digests:
                uri = (folder / attachment).as_posix()
                if uri not in taken:
                    copied = File.generated(config, uri, abs_src_path=str(docs_dir / uri))
                    _sources[copied.dest_uri] = item
                    result.append(copied)
    for src, content, blocks in _generated(config, portal):
        if src in taken:
            raise PluginError(f"{src}: 与系统生成的页面或文件重名,请改名")
        if blocks:
            content = _stash_once(src, content, blocks, lambda: blocks)
        else:
            _stash.blocks.pop(src, None)
        generated = File.generated(config, src, content=content)
        generated.inclusion = InclusionLevel.NOT_IN_NAV
        _unless_changed(generated, content)
        result.append(generated)
    if preview:  # attachments too: a withdrawn item's files leave the preview with its page
        for file in result:
            _current.setdefault(file.src_uri, ("", file.abs_dest_path))
    global _gate_files
    _gate_files = (config, _snapshot(result))
    return result


def output_problems(portal: Portal, directory_urls: bool, generated=()) -> dict[str, Problem]:
    """Returns item path -> the problem of each published item whose page or attachment would land
    on a generated path (``generated``: the theme's files besides urls.GENERATED_*) or meet another
    item's output, or which attaches a file a browser would run as a page of the portal."""
    from gongkai.law import layout as urls

    src_of = _page_sources(portal)
    claims, lines, found = [], {}, {}
    for decision in portal.by_verdict(Verdict.PUBLISH):
        item = decision.item
        is_report = item.path in portal.reports
        claims.append((item.path, urls.page_dest(src_of(item), directory_urls), is_report))
        if is_report:
            claims.append((item.path, report.report_xlsx_path(report.report_year(item), item.unit), True))
        folder = posixpath.dirname(item.rel)
        for index, (attachment, _) in enumerate(item.attachment_digests):
            dest = posixpath.join(folder, attachment)
            line = item.lines.get(f"attachments[{index}]", item.lines.get("attachments", 1))
            lines[(item.path, dest)] = line
            claims.append((item.path, dest, False))
            active = urls.active_attachment(attachment)
            if active and item.path not in found:
                found[item.path] = Problem(item.path, line, active)
    for owner, (dest, why) in urls.output_conflicts(claims, generated).items():
        found.setdefault(owner, Problem(owner, lines.get((owner, dest), 1), f"{why}:本信息不予发布,请改用其他文件名或目录"))
    return found


def _refuse(portal: Portal, problems: dict[str, Problem]) -> Portal:
    """Returns the portal with the items of ``problems`` refused (nothing of them is published)."""
    import dataclasses

    from gongkai.portal import annual_reports

    decisions = [
        dataclasses.replace(d, verdict=Verdict.REFUSE, text=None, problems=(*d.problems, problems[d.path]), reason=problems[d.path].message)
        if d.path in problems else d
        for d in portal.decisions
    ]
    return dataclasses.replace(portal, decisions=decisions, reports=annual_reports(decisions))


def _stash_once(src: str, markdown: str, depends, blocks) -> str:
    """Returns _stash.stash(src, markdown, blocks()), reusing the last result for src when
    ``markdown`` is the very same string and ``depends`` (what ``blocks`` are made of) is equal."""
    known = _stashed.get(src)
    if known is not None and known[0] is markdown and known[1] == depends and _stash.blocks.get(src) is known[3]:
        return known[2]
    stashed = _stash.stash(src, markdown, blocks())
    _stashed[src] = (markdown, depends, stashed, _stash.blocks[src])
    return stashed


_render_key = ""


def _render_context(config) -> str:
    """Returns what every page's HTML depends on besides its Markdown: the settings and the theme."""
    h = hashlib.sha256(Path(config.config_file_path).read_bytes())
    custom = config.theme.custom_dir
    if custom and os.path.isdir(custom):
        for dirpath, _, names in sorted(os.walk(custom)):
            for name in sorted(names):
                stat = os.stat(os.path.join(dirpath, name))
                h.update(f"{dirpath}/{name}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
    return h.hexdigest()


def _unless_changed(file: File, content) -> None:
    """In a preview rebuild, marks a generated file whose content is what was built last time as
    not modified, so that MkDocs' dirty build leaves its page as it is. The content of a page is
    its Markdown and the HTML blocks stashed out of it (a catalog's table, an item's metadata)."""
    if not preview:
        return
    blocks = _stash.blocks.get(file.src_uri)
    known = _digests.get(file.src_uri)
    if known is not None and known[0] is content and known[1] == _render_key and known[3] is blocks:
        digest = known[2]
    else:
        h = hashlib.sha256(_render_key.encode())
        h.update(content if isinstance(content, bytes) else content.encode("utf-8"))
        for name, block in (blocks or {}).items():
            h.update(f"\0{name}\0{block}".encode("utf-8"))
        digest = h.hexdigest()
        _digests[file.src_uri] = (content, _render_key, digest, blocks)
    _current[file.src_uri] = (digest, file.abs_dest_path)
    if _built.get(file.src_uri, ("",))[0] == digest and os.path.isfile(file.abs_dest_path):
        file.is_modified = lambda: False


_build_lock = None
_search = None  # search.PagefindStream of the build under way, from its first page
_stream_pages = False  # this build hands its pages to Pagefind as they are written (not a preview)


def on_pre_build(config) -> None:
    """Takes the site directory's lock (two builds never write into one site at the same time)
    and checks that Pagefind is there: it indexes each page as it is written."""
    import fcntl
    import os

    from gongkai.site import search

    global _build_lock, _stream_pages
    site_dir = os.path.abspath(config.site_dir)
    handle = open(build_lock_path(site_dir), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise PluginError(f"另一个构建正在写入 {site_dir}:请等它结束后再构建") from None
    _build_lock = handle
    if parallel_render:
        # `gongkai build` runs MkDocs' build as "dirty" (see parallel_render): the site is emptied
        # here instead, exactly as MkDocs does for a clean build.
        from mkdocs import utils

        utils.clean_directory(config.site_dir)
    _stop_search()
    # The preview refreshes its index with the CLI, in the background; so does a build on one core,
    # and a build that renders its pages on two (parallel_render): the cores are busy rendering,
    # and Pagefind's CLI afterwards was measured 5-7 s faster than its service beside the
    # rendering on a 10,000-item portal, with 0.2 GB less memory.
    _stream_pages = not preview and not (parallel_render and os.environ.get("GONGKAI_WORKERS") != "1") and search.can_run_beside()
    if not preview:
        try:
            search.pagefind_binary()  # missing: say so now, not after the pages
        except GongkaiError as exc:
            raise PluginError(str(exc)) from exc


def build_lock_path(site_dir: str) -> Path:
    """Returns the lock file of a site directory (outside it: MkDocs empties the site first)."""
    import hashlib
    import os

    digest = hashlib.sha256(os.path.abspath(site_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"gongkai-build-{digest}.lock"


def _release_lock() -> None:
    global _build_lock
    if _build_lock is not None:
        _build_lock.close()  # closing the descriptor releases the flock
        _build_lock = None


def on_build_error(error) -> None:
    _stop_worker()
    _stop_search()
    _release_lock()


def _stop_search() -> None:
    global _search, _stream_pages
    _stream_pages = False
    if _search is not None:
        _search.abort()
        _search = None


#: Decorates a hook that must run after every other plugin's handler of its event.
after_other_plugins = event_priority(-100)


def on_post_page(output: str, page, config) -> str:
    """Tells Pagefind of the page MkDocs writes next (this runs after every other plugin's
    post_page): Pagefind reads the file once it is written. MkDocs does not write a page whose
    output is blank: nor is it indexed."""
    from gongkai.site import search

    global _search
    _check_page(page.file.dest_uri, output)
    _after_page(page)
    if not _stream_pages or not output.strip():
        return output
    if _search is None:
        # Started with the first page, after the gate: nothing the gate starts shares its pipes.
        try:
            _search = search.PagefindStream(Path(config.site_dir))
        except GongkaiError as exc:
            raise PluginError(str(exc)) from exc
    _search.add_page(page.file.dest_uri, output)
    return output


def _after_page(page) -> None:
    """Joins the render worker after this process's last page: before MkDocs validates anchors."""
    if _worker is not None and page.file.src_uri == _worker["last"]:
        _join_worker(None, _worker["files_all"])


def on_page_content(html: str, page, config, files) -> str:
    """Sanitises every page body: raw HTML in an item cannot script the portal or frame another site."""
    from gongkai.gate import sanitize

    page.gongkai_sanitised = True  # checked by _GateGuard.on_post_page
    if page.toc is not None:
        page.toc.items = _kept_anchors(page.toc.items, sanitize.content_id)
    return sanitize.clean(_stash.restore(page.file.src_uri, html))


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


# --- The gate judged on the output ------------------------------------------------------------
_sources: dict[str, object] = {}  # dest_uri -> the item whose page or attachment it is
_withheld: output_check.Withheld | None = None
_theme_files: set[str] = set()  # dest_uris of theme assets (Material's and the portal's theme/)
_findings: list = []  # output_check.Finding of this build (the render worker's sent back)
_checked: set[str] = set()  # dest_uris checked as they were written


def _prepare_output_check(config, portal: Portal, files: Files) -> None:
    """Collects what the output is checked against: the withheld text (minus what a published
    item, a setting or a page of fixed wording also says) and the files that are theme assets."""
    global _withheld
    _findings.clear()
    _checked.clear()
    if preview:
        _withheld = None
        return
    # What the configuration says (reviewed like the trust roots) is in every page's chrome.
    boilerplate = [str(config.get(key) or "") for key in ("site_name", "site_url", "site_description", "site_author", "copyright", "repo_url", "repo_name")]
    boilerplate += visible.json_strings(dict(config.extra or {}))
    boilerplate += [f.content_string for f in files if f.generated_by and "/gkzn/" in f"/{f.src_uri}" and f.is_documentation_page()]
    _withheld = output_check.Withheld(portal.decisions, boilerplate, lambda: _published_attachments(portal))
    docs_dir = Path(config.docs_dir).resolve()
    _theme_files.clear()
    _theme_files.update(f.dest_uri for f in files if not f.generated_by and not _from_docs(f, docs_dir))


def _published_attachments(portal: Portal):
    """Yields (item path, text) of every attachment the site publishes."""
    from gongkai.gate.decide import attachment_text_of

    for decision in portal.by_verdict(Verdict.PUBLISH):
        folder = (portal.docs_dir / decision.item.rel).parent
        for name, digest in decision.item.attachment_digests:
            yield decision.item.path, attachment_text_of(folder / name, digest, portal.cache).text or ""  # H5


def _check_page(dest: str, output: str) -> None:
    if preview or dest in _checked:
        return
    _checked.add(dest)
    _findings.extend(output_check.check_page(dest, output, _withheld, _sources.get(dest)))


def _catching(failed: list, function):
    """Returns ``function`` wrapped to keep what it raises in ``failed`` (a thread's exception
    would be lost otherwise, and with it the check)."""

    def run(*args):
        try:
            function(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller
            failed.append(exc)

    return run


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


def _check_other_files(site_dir: Path, search_index: bool) -> None:
    """Checks every built file not checked as it was written: exports, feed, sitemap, 404 page,
    attachments; or (``search_index``) Pagefind's bundle. Theme assets are the theme's, not the
    portal's content."""
    for path in _site_files(site_dir / "pagefind" if search_index else site_dir, skip="" if search_index else "pagefind"):
        dest = path.relative_to(site_dir).as_posix()
        if dest in _checked or dest in _theme_files or dest == "manifest.json" or not path.is_file() or path.is_symlink():
            continue
        if dest.startswith("pagefind/") and not dest.endswith((".pf_fragment", ".pf_index", ".pf_meta", ".pf_filter", ".json")):
            continue  # Pagefind's own scripts and WebAssembly
        data = path.read_bytes()
        if dest.endswith((".html", ".htm")):
            found = output_check.check_page(dest, data.decode("utf-8", errors="replace"), _withheld, _sources.get(dest))
        else:
            found = output_check.check_file(dest, data, _withheld, _sources.get(dest), path, _portal.cache)  # H5
        _findings.extend(found)


def _refuse_findings(config) -> None:
    """Fails the build when the output shows what it must not, and leaves nothing of it behind."""
    if not _findings:
        return
    from mkdocs import utils

    problems = sorted({f.problem() for f in _findings})
    _findings.clear()
    _stop_search()
    utils.clean_directory(config.site_dir)
    raise PluginError("构建已停止,网站文件中出现了不得发布的内容(已清空输出目录):\n" + "\n".join(str(p) for p in problems))


# --- What mkdocs.yml cannot switch off ------------------------------------------------------------
GATE_GUARD = "gongkai/gate-guard"
_NO_GATE = (
    "mkdocs.yml: 没有加载 gongkai 的发布闸门:hooks 必须是(且只能是)gongkai 的钩子文件,即\n"
    "hooks:\n  - hooks/gongkai_hooks.py\n"
    "否则未经审核的内容会被直接发布。请恢复这一行(文件内容见 gongkai 仓库的 hooks/gongkai_hooks.py)"
)
_gate_config = None  # the config the glue's on_config saw last
_gate_files: tuple | None = None  # (config, what the gate let through), set at the end of on_files


def install_gate_guard(config) -> None:
    """Adds the plugin that checks, after every other handler, that this build runs the gate.
    `gongkai build` and `serve` add it before the build starts, so that it refuses a build whose
    mkdocs.yml does not load gongkai's hooks at all."""
    if GATE_GUARD not in config.plugins:
        config.plugins[GATE_GUARD] = _GateGuard()


def _check_allowed(config) -> None:
    problems = config_problems(config)
    if problems:
        raise PluginError("\n".join(str(p) for p in problems))


def config_problems(config) -> list[Problem]:
    """Returns the extensions, extension options and plugins off the allow-lists, and any hooks
    file but the one that reaches the glue (a second one would run its code after the gate)."""
    import types

    from gongkai.gate import allowlist

    source = Path(config.config_file_path or "mkdocs.yml").name
    line_of = allowlist.line_finder(config.config_file_path)
    plugins = {n: p for n, p in config.plugins.items() if n != GATE_GUARD and not isinstance(p, types.ModuleType)}
    hooks = [n for n, p in config.plugins.items() if isinstance(p, types.ModuleType)]
    problems = allowlist.extension_problems(config.markdown_extensions, dict(config.mdx_configs or {}), source, line_of)
    problems += allowlist.plugin_problems(plugins, source, line_of)
    for extra in hooks[1:]:
        problems.append(Problem(source, line_of(extra), f"hooks 中只能有 gongkai 的钩子文件 hooks/gongkai_hooks.py,不能再有 {extra}:钩子是在发布闸门之后运行的代码,请删除"))
    return problems


def _snapshot(files) -> frozenset:
    return frozenset((id(f), f.src_uri, f.dest_uri, f.abs_src_path, id(getattr(f, "_content", None))) for f in files)


class _GateGuard(BasePlugin):
    """Runs after every other handler of its events: refuses a build in which the gate did not
    run, or in which something changed the files after the gate."""

    @event_priority(-1000)
    def on_config(self, config):
        if _gate_config is not config:
            raise PluginError(_NO_GATE)
        _check_allowed(config)  # again: a later on_config may have added to it
        return config

    @event_priority(-1000)
    def on_files(self, files, config):
        self._check_files(files, config)
        return files

    @event_priority(-1000)
    def on_env(self, env, config, files):
        self._check_files(files, config)
        return env

    @event_priority(-1000)
    def on_post_page(self, output, page, config):
        if not getattr(page, "gongkai_sanitised", False):
            raise PluginError(f"{_NO_GATE}\n(页面 {page.file.src_uri} 没有经过 gongkai 的清理)")
        return output

    @staticmethod
    def _check_files(files, config) -> None:
        if _gate_files is None or _gate_files[0] is not config:
            raise PluginError(_NO_GATE)
        if _snapshot(files) != _gate_files[1]:
            raise PluginError("mkdocs.yml: 发布闸门之后,有插件或钩子改动了要发布的文件:只有闸门放行的信息和附件才能发布,请删除该插件或钩子")


def on_post_build(config) -> None:
    """Completes the search index (Pagefind has read each page as it was written), then writes
    manifest.json — last, and only when the build has succeeded: a site without a manifest is
    one `gongkai publish` refuses."""
    from gongkai import publish
    from gongkai.site import search

    global _search
    try:
        _join_worker(config, None)
        if not preview:
            _refuse_findings(config)
        if config.strict and _warnings_so_far():
            return  # MkDocs aborts this strict build right after post_build: leave no index, no manifest
        site_dir = Path(config.site_dir)
        if preview:
            _finish_preview(site_dir)
            return  # a preview is never published: no manifest; search catches up in the background
        stream, _search = _search, None
        # The files besides the pages are checked while Pagefind indexes the pages (its own
        # process): this process only waits for it otherwise. Its bundle is checked afterwards.
        failed: list[BaseException] = []
        checking = threading.Thread(target=_catching(failed, _check_other_files), args=(site_dir, False), name="gongkai-output-check")
        checking.start()
        try:
            stats = stream.finish() if stream is not None else search.index_site(site_dir)
        except GongkaiError as exc:
            raise PluginError(str(exc)) from exc
        finally:
            checking.join()
        if failed:
            raise failed[0]
        log.info("gongkai: 搜索索引 %s 个页面", stats.get("pages"))
        _check_other_files(site_dir, True)
        _refuse_findings(config)
        root = Path(config.config_file_path).parent
        built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        publish.write_manifest(site_dir, commit=gitrepo.head_commit(root), built_at=built_at, strict=bool(config.strict))
    finally:
        _stop_search()
        _release_lock()


# --- Rendering on both cores -------------------------------------------------------------------
#: Set by `gongkai build` (which then runs MkDocs' build with dirty=True and cleans the site itself,
#: in on_pre_build): after the nav is made, a forked worker renders about half of the pages that are
#: not in the nav — Markdown, sanitising, template — while this process renders the rest. The
#: worker's pages are marked unmodified here, so MkDocs' dirty build skips them in this process.
parallel_render = False
#: Below this many pages a second process costs more than it saves.
PARALLEL_MIN_PAGES = 200
_worker: dict | None = None  # pid, result pipe, the files it renders


def _can_fork() -> bool:
    # Not made to depend on the number of CPUs: a commit is built the same way on a 1-core and a
    # 16-core machine (on one core the two processes simply take turns). GONGKAI_WORKERS=1 renders
    # in one process: the same pages; Pagefind then reads them beside the build (its service) and
    # the search bundle's bytes may differ, not what it finds.
    return hasattr(os, "fork") and os.environ.get("GONGKAI_WORKERS") != "1" and threading.active_count() == 1


def on_nav(nav, config, files):
    """Starts the render worker (see `parallel_render`)."""
    global _worker
    _worker = None
    if not parallel_render or preview or not _can_fork():
        return nav
    in_nav = {id(page) for page in nav.pages}
    candidates = sorted(
        (f for f in files.documentation_pages() if f.page is not None and id(f.page) not in in_nav),
        key=lambda f: f.src_uri,
    )
    if len(candidates) < int(os.environ.get("GONGKAI_PARALLEL_MIN_PAGES", PARALLEL_MIN_PAGES)):
        return nav
    mine = candidates[1::2]
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: never returns
        os.close(read_fd)
        _render_worker(mine, nav, config, files, write_fd)
    os.close(write_fd)
    for file in mine:
        file.is_modified = _unmodified
    taken = set(id(f) for f in mine)
    own = [f for f in files.documentation_pages() if id(f) not in taken]
    # The worker is joined after this process's last page: before MkDocs validates anchors.
    log.info("gongkai: 页面在 2 个进程中渲染(本进程 %d 页,另一进程 %d 页)", len(files.documentation_pages()) - len(mine), len(mine))
    _worker = {"pid": pid, "fd": read_fd, "files": mine, "last": own[-1].src_uri if own else None, "files_all": files}
    return nav


def _unmodified() -> bool:
    return False


def _render_worker(mine, nav, config, files, write_fd: int) -> None:
    """Renders ``mine`` into the site (the worker process), then reports to the parent through
    ``write_fd``: the warnings and errors it logged, and each page's anchors (so that the parent's
    anchor-link validation sees every page as a serial build would). Never returns."""
    import pickle

    from mkdocs.commands.build import _build_page, _populate_page

    records: list[tuple[str, int, str]] = []

    class _Keep(logging.Handler):
        def emit(self, record):
            records.append((record.name, record.levelno, record.getMessage()))

    global _stream_pages
    _stream_pages = False  # the parent has Pagefind read this process's pages at the end
    code = 1
    report: dict = {"records": records, "anchors": {}, "error": "", "findings": _findings, "checked": _checked}
    try:
        root = logging.getLogger("mkdocs")
        # The parent logs what the worker found (once, and counted by --strict); INFO and DEBUG of
        # the worker are dropped.
        for handler in list(root.handlers):
            root.removeHandler(handler)
        keep = _Keep(level=logging.WARNING)
        root.addHandler(keep)
        pages = [file.page for file in mine]
        for page in pages:
            _populate_page(page, config, files)
        env = config.plugins.on_env(config.theme.get_env(), config=config, files=files)
        doc_files = files.documentation_pages()
        for page in pages:
            _build_page(page, config, doc_files, nav, env)
        for page in pages:
            links = {to.src_uri: dict(anchors) for to, anchors in (page.links_to_anchors or {}).items()}
            report["anchors"][page.file.src_uri] = (sorted(page.present_anchor_ids or ()), links)
        code = 0
    except BaseException as exc:  # noqa: BLE001 - everything must reach the parent
        report["error"] = f"{type(exc).__name__}: {exc}"
    try:
        data = pickle.dumps(report)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(code)


def _join_worker(config, files) -> None:
    """Waits for the render worker; re-logs what it found; raises PluginError if it failed."""
    import pickle

    global _worker
    worker, _worker = _worker, None
    if worker is None:
        return
    files = files if files is not None else worker["files_all"]
    with os.fdopen(worker["fd"], "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(worker["pid"], 0)
    report = pickle.loads(data) if data else {"records": [], "anchors": {}, "error": "渲染进程意外退出"}
    for name, level, message in report["records"]:
        logging.getLogger(name).log(level, message)
    _findings.extend(report.get("findings", ()))
    _checked.update(report.get("checked", ()))
    if status != 0 or report["error"]:
        raise PluginError(f"页面渲染失败(并行渲染进程):{report['error'] or f'退出状态 {status}'}")
    for file in worker["files"]:
        anchors = report["anchors"].get(file.src_uri)
        if anchors is None or file.page is None:
            raise PluginError(f"页面渲染失败(并行渲染进程没有渲染 {file.src_uri})")
        present, links = anchors
        file.page.present_anchor_ids = set(present)
        file.page.links_to_anchors = {files.get_file_from_path(uri): dict(a) for uri, a in links.items() if files.get_file_from_path(uri) is not None}


def _stop_worker() -> None:
    global _worker
    worker, _worker = _worker, None
    if worker is None:
        return
    import signal

    try:
        os.kill(worker["pid"], signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(worker["pid"], 0)
    except OSError:
        pass
    try:
        os.close(worker["fd"])
    except OSError:
        pass


_indexing: threading.Thread | None = None
_index_again = threading.Event()


def _finish_preview(site_dir: Path) -> None:
    """Removes the pages of items withdrawn since the last preview build, and refreshes the
    search index on a background thread (one at a time; the last request wins)."""
    global _built, _current, _indexing, _sitemap_key
    for src in _built.keys() - _current.keys():
        dest = _built[src][1]
        if os.path.isfile(dest):
            os.remove(dest)
    _built, _current = _current, {}
    _sitemap_key = _sitemap_pending
    _freeze_heap()
    _index_again.set()
    if _indexing is None or not _indexing.is_alive():
        _indexing = threading.Thread(target=_index_loop, args=(site_dir,), daemon=True, name="gongkai-pagefind")
        _indexing.start()


_heap_frozen = False


def _freeze_heap() -> None:
    """After the first preview build, moves everything alive (the gate's and the generators' caches
    of the whole portal: millions of objects) out of the cyclic garbage collector's reach. Its full
    collections walked all of them, a second and more of every rebuild; objects made later are
    collected as usual (the first build's own garbage cycles stay: one build's worth, once)."""
    global _heap_frozen
    if _heap_frozen:
        return
    import gc

    gc.collect()
    gc.freeze()
    _heap_frozen = True


def _index_loop(site_dir: Path) -> None:
    from gongkai.site import search

    while _index_again.is_set():
        _index_again.clear()
        try:
            # Below the rebuilds in priority: an edit shows while the index of the last one is made.
            stats = search.index_site(site_dir, background=True)
            log.info("gongkai: 搜索索引 %s 个页面(预览)", stats.get("pages"))
        except GongkaiError as exc:
            log.warning(str(exc))


def _warnings_so_far() -> int:
    from mkdocs.utils import CountHandler

    for handler in logging.getLogger("mkdocs").handlers:
        if isinstance(handler, CountHandler):
            return sum(count for _, count in handler.get_counts())
    return 0


def _page_sources(portal: Portal):
    """Returns item -> source path of its page: an annual report lives at xxgk/gknb/{year}/{unit}/."""

    def src_of(item) -> str:
        if item.path in portal.reports:
            return report.report_page_path(report.report_year(item), item.unit) + "index.md"
        return item.rel

    return src_of


def _report_body(config, portal: Portal, decision, files: Files) -> str | None:
    """Returns the rendered sections of an annual report, and adds its .xlsx beside the page."""
    item = decision.item
    tables = portal.reports.get(item.path)
    if tables is None:
        return None
    xlsx = report.report_xlsx_path(report.report_year(item), item.unit)
    # The workbook is a pure function of the tables and the title (openpyxl takes ~0.2 s a report):
    # made once per process, so preview rebuilds do not make every report's again.
    key = hashlib.sha256(repr((tables, item.title)).encode("utf-8")).hexdigest()
    if key not in _xlsx_made:
        with tempfile.TemporaryDirectory(prefix="gongkai-xlsx-") as tmp:
            target = f"{tmp}/report.xlsx"
            report_xlsx.write_report_xlsx(tables, target, item.title)
            with open(target, "rb") as handle:
                _xlsx_made[key] = handle.read()
    files.append(File.generated(config, xlsx, content=_xlsx_made[key]))
    sections = report.split_report_body(decision.text, item.body_line)
    return report.render_report_html(item, tables, sections, xlsx_href=posixpath.basename(xlsx))


def _generated(config, portal: Portal):
    """Yields (src path, content) of every page and export the engine generates."""
    settings, day = portal.settings, portal.today
    directory_urls = config.use_directory_urls

    def url_of(src: str) -> str:
        return page_url(src, directory_urls)

    src_of = _page_sources(portal)
    entries = catalog.build_entries(portal.decisions, settings, lambda item: url_of(src_of(item)), portal.cache)  # H5
    generated = [pages.site_home(config.site_name, entries, settings, url_of, day), pages.xxgk_home(entries, settings, url_of, day)]
    generated += catalog.catalog_pages(entries, settings, url_of, day, portal.cache)  # H5
    generated.append(guide.guide_page(settings, url_of, day))
    for unit in settings.units:
        generated.append(guide.guide_page(settings, url_of, day, unit))
        generated.append(pages.unit_home(unit, entries, settings, url_of, day))
    generated += guide.on_demand_pages(entries, settings, url_of, day, portal.cache)  # H5
    for page in generated:
        yield page.src, page.markdown, page.html_blocks
    yield "xxgk/gknb/index.md", _reports_index(portal, day), ()
    yield "xxgk/gkml/dtzt/index.md", _category_history(config, day), ()
    yield "assets/gongkai/report.css", (Path(__file__).resolve().parents[1] / "templates" / "report.css").read_text(encoding="utf-8"), ()
    site_url = config.site_url or ""
    yield "catalog.json", catalog.catalog_json(entries, site_url, portal.cache), ()  # H5
    yield "catalog.csv", catalog.catalog_csv(entries, site_url, portal.cache), ()  # H5
    yield "feed.xml", catalog.feed_xml(entries, config.site_name, site_url, _feed_updated(entries, day)), ()


def _category_history(config, day) -> str:
    """Returns the 目录动态调整 record page, from the Git history of the settings and taxonomy."""
    from gongkai.site import health

    root = Path(config.config_file_path).parent
    entries = health.category_history(root, Path(config.config_file_path).name)
    return catalog.front_matter("政务公开目录动态调整记录", "catalog", day) + health.render_category_history(entries)


def _reports_index(portal: Portal, day) -> str:
    items = [d.item for d in portal.decisions if d.item is not None and d.item.path in portal.reports]
    index = report.reports_index(items, portal.settings)
    intro = "<p>根据《中华人民共和国政府信息公开条例》第四十九条、第五十条,各行政机关于每年1月31日前公布本机关上一年度政府信息公开工作年度报告。</p>\n\n"
    return catalog.front_matter("政府信息公开工作年度报告", "report-index", day) + "# 政府信息公开工作年度报告\n\n" + intro + report.render_reports_index_html(index, portal.settings)


def _feed_updated(entries, day) -> datetime:
    """Returns the feed's date: that of its newest entry, so that two builds of one commit agree."""
    dates = [e.field("published") for e in entries if not e.on_demand and e.field("published")]
    newest = date.fromisoformat(max(dates)) if dates else day
    return datetime.combine(newest, time(0), timezone(timedelta(hours=8)))


def _pin_build_date(root: Path) -> None:
    """Sets SOURCE_DATE_EPOCH to the commit's time, so that MkDocs' sitemap dates and gzip headers
    are the same in every build of that commit (reproducible builds)."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return
    epoch = gitrepo.head_time(root)
    if epoch:
        os.environ["SOURCE_DATE_EPOCH"] = epoch


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
