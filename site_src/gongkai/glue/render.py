"""Rendering on both cores: a forked worker renders about half of the pages that are not in the
nav — Markdown, sanitising, template — while this process renders the rest.

The worker's pages are marked unmodified in this process, so MkDocs' dirty build skips them here
(`gongkai build` runs a dirty build and the plugin empties the site itself, as a clean build
would). The worker calls MkDocs' private `_populate_page` and `_build_page`: the very steps a
serial build takes for those pages."""
from __future__ import annotations

import logging
import os
import pickle
import signal
import threading
from dataclasses import dataclass

from mkdocs.commands.build import _build_page, _populate_page
from mkdocs.exceptions import PluginError

from gongkai.glue import engine, incremental

log = logging.getLogger("mkdocs.plugins.gongkai")

#: Below this many pages a second process costs more than it saves.
PARALLEL_MIN_PAGES = 200


@dataclass
class Worker:
    """A forked render worker: its process, its result pipe, the files it renders."""

    pid: int
    fd: int
    files: list
    last: str | None  # src_uri of this process's last page: the worker is joined after it
    files_all: object


def min_pages() -> int:
    """The fewest pages a second process renders (GONGKAI_PARALLEL_MIN_PAGES, for tests)."""
    return int(os.environ.get("GONGKAI_PARALLEL_MIN_PAGES", PARALLEL_MIN_PAGES))


def can_fork() -> bool:
    """Returns whether this process may fork a render worker."""
    # Not made to depend on the number of CPUs: a commit is built the same way on a 1-core and a
    # 16-core machine (on one core the two processes simply take turns). GONGKAI_WORKERS=1 renders
    # in one process: the same pages; Pagefind then reads them beside the build (its service) and
    # the search bundle's bytes may differ, not what it finds.
    return hasattr(os, "fork") and os.environ.get("GONGKAI_WORKERS") != "1" and threading.active_count() == 1


def start(nav, config, files, output, in_worker, kept=frozenset(), made=None) -> Worker | None:
    """Forks the render worker over every other page not in the nav and returns it, or None when
    the site is too small to share. ``in_worker()`` runs in the worker before it renders;
    ``output`` (glue.output.OutputCheck) is what the worker's checks of its pages go to. The pages
    ``kept`` from the last build (src_uris, glue.pagecache) are rendered by neither process;
    ``made()`` returns, in the worker, what it sends back besides (see ``join``)."""
    in_nav = {id(page) for page in nav.pages}
    candidates = sorted(
        (f for f in files.documentation_pages() if f.page is not None and id(f.page) not in in_nav and f.src_uri not in kept),
        key=lambda f: f.src_uri,
    )
    if len(candidates) < min_pages():
        return None
    mine = candidates[1::2]
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: never returns
        os.close(read_fd)
        in_worker()
        _render_worker(mine, nav, config, files, output, write_fd, made)
    os.close(write_fd)
    for file in mine:
        file.is_modified = _unmodified
    taken = set(id(f) for f in mine)
    own = [f for f in files.documentation_pages() if id(f) not in taken and f.src_uri not in kept]
    log.info("gongkai: 页面在 2 个进程中渲染(本进程 %d 页,另一进程 %d 页)", len(own), len(mine))
    return Worker(pid, read_fd, mine, own[-1].src_uri if own else None, files)


def _unmodified() -> bool:
    return False


def _render_worker(mine, nav, config, files, output, write_fd: int, made) -> None:
    """Renders ``mine`` into the site (the worker process), then reports to the parent through
    ``write_fd``: the warnings and errors it logged, and each page's anchors (so that the parent's
    anchor-link validation sees every page as a serial build would). Never returns."""
    records: list[tuple[str, int, str]] = []

    class _Keep(logging.Handler):
        def emit(self, record):
            records.append((record.name, record.levelno, record.getMessage()))

    code = 1
    report: dict = {"records": records, "anchors": {}, "error": "", "findings": output.findings, "checked": output.checked}
    try:
        root = engine.logger()
        # The parent logs what the worker found (once, and counted by --strict); INFO and DEBUG of
        # the worker are dropped.
        for handler in list(root.handlers):
            if not getattr(handler, "keep_in_worker", False):
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
        report["changed"] = sorted(incremental.WRITES.changed)
        report["unindexed"] = sorted(incremental.WRITES.unindexed)
        report["marked"] = incremental.WRITES.marked
        report["made"] = made() if made is not None else None
        code = 0
    except BaseException as exc:  # noqa: BLE001 - everything must reach the parent
        report["error"] = f"{type(exc).__name__}: {exc}"
    try:
        data = pickle.dumps(report)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(code)


def join(worker: Worker, output):
    """Waits for the render worker; re-logs what it found; raises PluginError if it failed.
    Returns what the worker's ``made()`` returned."""
    files = worker.files_all
    with os.fdopen(worker.fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(worker.pid, 0)
    report = pickle.loads(data) if data else {"records": [], "anchors": {}, "error": "渲染进程意外退出"}
    for name, level, message in report["records"]:
        logging.getLogger(name).log(level, message)
    output.findings.extend(report.get("findings", ()))
    output.checked.update(report.get("checked", ()))
    incremental.WRITES.changed.update(report.get("changed", ()))
    incremental.WRITES.unindexed.update(report.get("unindexed", ()))
    incremental.WRITES.marked = incremental.WRITES.marked or bool(report.get("marked"))
    if status != 0 or report["error"]:
        raise PluginError(f"页面渲染失败(并行渲染进程):{report['error'] or f'退出状态 {status}'}")
    for file in worker.files:
        anchors = report["anchors"].get(file.src_uri)
        if anchors is None or file.page is None:
            raise PluginError(f"页面渲染失败(并行渲染进程没有渲染 {file.src_uri})")
        present, links = anchors
        file.page.present_anchor_ids = set(present)
        file.page.links_to_anchors = {files.get_file_from_path(uri): dict(a) for uri, a in links.items() if files.get_file_from_path(uri) is not None}
    return report.get("made")


def stop(worker: Worker) -> None:
    """Kills the render worker (the build failed) and reaps it."""
    try:
        os.kill(worker.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(worker.pid, 0)
    except OSError:
        pass
    try:
        os.close(worker.fd)
    except OSError:
        pass
