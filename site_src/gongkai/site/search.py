"""Full-text search of the built portal: Pagefind (extended build, Chinese segmentation).

Pagefind reads the published HTML only, after the gate: what a refused or held item would have
said never reaches the index, because its page was never written. The theme marks what is
indexed (``data-pagefind-body`` on item, guide, 依申请公开 and report pages), so catalog
listings do not show up as search results.

Two ways to the same bundle: `index_site` runs the Pagefind CLI over a finished site (the
preview, and the fallback); `PagefindStream` runs Pagefind's service mode beside the build and
has it read each page as soon as it is written, so that the indexing overlaps the rendering.
"""
from __future__ import annotations

import base64
import io
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from gongkai.errors import GongkaiError
from gongkai.site.search_order import normalize_bundle, prune_bundle

#: The folder of the site the search bundle is written to; the theme loads its UI from here.
BUNDLE_DIR = "pagefind"
#: The file of the bundle that names its other shards (site.search_shards), read by the theme's script.
SHARDS_FILE = "gongkai-shards.json"
#: Every page is Chinese: one index, segmented as Chinese, whatever ``lang`` a page declares.
LANGUAGE = "zh"
_TIMEOUT_S = 900
#: Pagefind's service answers its first message in milliseconds once started.
_START_TIMEOUT_S = 60
#: How long a Pagefind process told to stop has to exit before it is killed.
_EXIT_TIMEOUT_S = 5
_SETTLE_S = 30  # how long the bundle may take to be written whole after Pagefind's reply
_STAT = re.compile(r"Indexed (\d+) (language|page|word|filter|sort)s?\b")


def pagefind_binary() -> Path:
    """Returns the path of the Pagefind *extended* binary shipped by ``pagefind[extended]``.

    ``PAGEFIND_BINARY_PATH`` overrides it (as for Pagefind's own Python API). The plain
    binary is refused: without the extended build Chinese text is not segmented into words,
    and a search for 收费 would not find 涉企收费.
    """
    override = os.environ.get("PAGEFIND_BINARY_PATH")
    if override:
        path = Path(override)
        if not path.is_file():
            raise GongkaiError(f"环境变量 PAGEFIND_BINARY_PATH 指向的文件不存在:{override}")
        return path
    try:
        from pagefind_bin_extended import get_executable  # optional: only this says which binary
    except ImportError as exc:
        raise GongkaiError(
            "未安装 Pagefind 扩展版(支持中文分词):请执行 pip install 'pagefind[extended]'"
        ) from exc
    try:
        return Path(get_executable())
    except (FileNotFoundError, OSError) as exc:
        raise GongkaiError(f"Pagefind 扩展版安装不完整,找不到可执行文件:{exc}") from exc


def index_site(site_dir: Path, background: bool = False, keep: bool = False, *, glob: str | None = None, subdir: str = BUNDLE_DIR) -> dict:
    """Returns the statistics of the search index Pagefind wrote into ``site_dir/pagefind/``.

    Keys: ``pages``, ``words``, ``languages``, ``filters`` (as Pagefind counted them),
    ``files`` and ``bytes`` (the whole bundle), ``index_chunk_max_bytes`` (the largest word-index
    chunk: a one-word query downloads one chunk) and ``fragments``.
    Raises GongkaiError (in Chinese) when the site is missing or Pagefind fails.
    ``background``: run Pagefind at the lowest CPU priority (`nice`), e.g. beside a preview.
    ``keep``: leave the bundle of the last build for Pagefind to reuse (it skips writing the
    fragments it finds: its fast path), then delete every file of it the new index does not name.
    ``glob`` (relative to the site) indexes only the pages it matches, into the bundle at
    ``subdir`` (one shard of the index, see site.search_shards).
    """
    site_dir = Path(site_dir)
    bundle = _empty_bundle(site_dir, keep, subdir)
    command = [
        str(pagefind_binary()),
        "--site", str(site_dir),
        "--output-subdir", subdir,
        "--force-language", LANGUAGE,
    ]
    if glob is not None:
        command += ["--glob", glob]
    nice = shutil.which("nice") if background else None
    if nice:
        command = [nice, "-n", "19", *command]
    # In the background (beside a preview), Pagefind must not outlive `gongkai serve`: killed or
    # stopped, the server takes its index run with it (Linux: util-linux's setpriv).
    setpriv = shutil.which("setpriv") if background and sys.platform.startswith("linux") else None
    if setpriv:
        command = [setpriv, "--pdeathsig", "TERM", "--", *command]
    try:
        run = subprocess.run(
            command, capture_output=True, text=True, encoding="utf-8", errors="replace",
            timeout=_TIMEOUT_S, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise GongkaiError(f"建立搜索索引超时(超过 {_TIMEOUT_S} 秒):{site_dir}") from exc
    except OSError as exc:
        raise GongkaiError(f"无法运行 Pagefind:{exc}") from exc
    if run.returncode != 0:
        detail = "\n".join((run.stderr or run.stdout or "").strip().splitlines()[-8:])
        raise GongkaiError(f"建立搜索索引失败(Pagefind 退出码 {run.returncode}):\n{detail}")
    _check_bundle(bundle)
    normalize_bundle(bundle)
    if subdir == BUNDLE_DIR:
        name_shards(bundle, [])
    if keep:
        try:
            prune_bundle(bundle)
        except (OSError, ValueError):  # a bundle it cannot read: made again from nothing
            return index_site(site_dir, background, glob=glob, subdir=subdir)
    # "bodies": some page marks what is indexed (then Pagefind leaves out every page without).
    return {**_stats(run.stdout, bundle), "bodies": _FOUND_BODY in run.stdout}


def bundle_stats(site_dir: Path, sizes: bool = True) -> dict:
    """Returns the statistics `index_site` returns, of the bundle already in ``site_dir`` (without
    ``sizes``: only what pagefind-entry.json says, the files are not walked)."""
    bundle = Path(site_dir) / BUNDLE_DIR
    _check_bundle(bundle)
    stats = _stats("", bundle) if sizes else {}
    languages = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"]
    stats["languages"] = len(languages)
    stats["pages"] = sum(entry.get("page_count", 0) for entry in languages.values())
    return stats


def name_shards(bundle: Path, others: list[str]) -> None:
    """Writes the file of the bundle that names its other shards (folders relative to it, ``2/``),
    which the theme's script reads before it starts the search: none for one index."""
    path, data = bundle / SHARDS_FILE, json.dumps({"bundles": others}).encode()
    try:
        if path.read_bytes() == data and not path.is_symlink():
            return  # as it was: an unchanged rebuild writes nothing
    except OSError:
        pass
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def search_url(rel_path: str) -> str:
    """Returns the URL Pagefind's CLI gives the page written at ``rel_path`` (relative to the
    site, with ``/``): ``a/b/index.html`` -> ``/a/b/``, ``index.html`` -> ``/``,
    ``a/b.html`` -> ``/a/b.html`` (``use_directory_urls: false``)."""
    if rel_path == "index.html":
        return "/"
    if rel_path.endswith("/index.html"):
        return "/" + rel_path[: -len("index.html")]
    return "/" + rel_path


def can_run_beside() -> bool:
    """Tells whether this process may use two cores: only then does Pagefind beside the build
    (which costs more CPU time in all than the CLI afterwards) shorten the build."""
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) >= 2


def has_body_attribute(html: str) -> bool:
    """Tells whether the page may have a ``data-pagefind-body`` element (attribute names are
    ASCII-case-insensitive); False means it certainly has none."""
    return _BODY_ATTRIBUTE in html or _BODY_ANY_CASE.search(html) is not None


def bytes_have_body_attribute(data: bytes) -> bool:
    """`has_body_attribute` of a page's bytes (UTF-8)."""
    return _BODY_BYTES in data or _BODY_BYTES_ANY_CASE.search(data) is not None


class PagefindStream:
    """Pagefind's service mode (``pagefind_extended --service``) beside the build of a site.

    The build tells it of each page as the page is about to be written (`add_page`, which never
    waits); once the page is on disk (when the next page comes, or at `finish`) a writer thread
    asks Pagefind to read that one file, exactly as the CLI reads every file of the site: the same
    bytes, the URL the CLI gives it. Pagefind parses it (on the other core) while the build renders
    the next pages; a reader thread collects the answers. `finish` adds the HTML files the build
    wrote on its own (404.html, ...), writes the bundle into ``site_dir/pagefind`` and returns what
    `index_site` returns: the index is the one the CLI would write for the finished site.

    A page without ``data-pagefind-body`` is not read (a tenth of the pages, the largest: catalog
    listings and home pages): once any page has one, Pagefind leaves out every page without. If
    no page has one, `finish` has them read after all.

    Pagefind numbers the pages in the order it reads them, which is the order they were added: one
    sequence of pages gives the same index. Pagefind is always stopped: by `finish`, by `abort`,
    at the latest when this process exits (Pagefind exits at the end of its input). Its log and
    error output go to a temporary directory, removed when it stops.
    """

    def __init__(self, site_dir: Path, *, timeout: float = _TIMEOUT_S, start_timeout: float = _START_TIMEOUT_S):
        binary = pagefind_binary()
        self._site = Path(site_dir).absolute()
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._cond = threading.Condition()
        self._awaited: set[int] = set()  # ids whose answer a caller waits for
        self._replies: dict[int, dict] = {}
        self._errors: list[tuple[int | None, str]] = []
        self._failure = ""  # set once Pagefind cannot be talked to any more
        self._ended = False  # Pagefind's output has ended
        self._stopped = False
        self._pages: dict[int, str] = {}  # message id -> page it reads
        self._seen: set[str] = set()  # every page added
        self._next: str | None = None  # the page added last: on disk once the next one comes
        self._held: list[str] = []  # pages without data-pagefind-body, not read
        self._bodies = False  # some page added may have a data-pagefind-body element
        self._twice = False  # a page was added twice
        self._not_found: list[int] = []  # messages of pages Pagefind found no file for
        self._tmp = tempfile.mkdtemp(prefix="gongkai-pagefind-")
        self._logfile = os.path.join(self._tmp, "pagefind.log")
        try:
            with open(os.path.join(self._tmp, "stderr.txt"), "wb") as stderr:
                # cwd: anything Pagefind writes by default lands in the temporary directory.
                self._process = subprocess.Popen(
                    [str(binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=stderr, cwd=self._tmp,
                )
        except OSError as exc:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise GongkaiError(f"无法运行 Pagefind:{exc}") from exc
        self._writer = threading.Thread(target=self._write, name="gongkai-pagefind-writer", daemon=True)
        self._reader = threading.Thread(target=self._read, name="gongkai-pagefind-reader", daemon=True)
        self._writer.start()
        self._reader.start()
        try:
            config = {"force_language": LANGUAGE, "logfile": self._logfile}
            reply = self._wait(self._request({"type": "NewIndex", "config": config}),
                               time.monotonic() + start_timeout, start_timeout)
            if reply.get("type") != "NewIndex" or not isinstance(reply.get("index_id"), int):
                raise GongkaiError(f"无法启动 Pagefind 的服务模式:{reply.get('message') or reply}")
            self._index = reply["index_id"]
        except BaseException:
            self.abort()
            raise

    # ------------------------------------------------------------------ the build's side

    def add_page(self, rel_path: str, html: str) -> None:
        """Tells that the page ``rel_path`` (relative to the site, with ``/``) is about to be
        written with the text ``html``. Returns at once; the page before it is written by now."""
        if self._stopped or self._failure:
            return  # finish() reports the failure
        if rel_path in self._seen:
            self._twice = True
        self._seen.add(rel_path)
        self._read_next()
        if has_body_attribute(html):
            self._next = rel_path
            self._bodies = True
        else:
            self._held.append(rel_path)

    def finish(self) -> dict:
        """Writes the search bundle into ``site_dir/pagefind`` and returns its statistics (those
        of `index_site`). Stops Pagefind in every case; raises GongkaiError (in Chinese)."""
        try:
            site_dir = self._site
            bundle = _empty_bundle(site_dir)
            deadline = time.monotonic() + self._timeout
            self._read_next()
            if self._twice:
                return self._fall_back()  # one file, two pages: the CLI reads the one written
            on_disk = html_files(site_dir)
            # The files the build wrote without passing them to gongkai (404.html, ...): the CLI
            # reads every HTML file of the site, and so does this index.
            for rel in sorted(on_disk - self._seen):
                self._read_page(rel)
            held = []
            for rel in self._held:
                if rel not in on_disk:
                    continue  # not written
                if not self._bodies or has_body_attribute((site_dir / rel).read_text(encoding="utf-8", errors="replace")):
                    self._read_page(rel)  # no page marks its body, or it was written otherwise
                else:
                    held.append(rel)
            reply = self._wait(self._request({"type": "WriteFiles", "index_id": self._index,
                                              "output_path": str(bundle.resolve())}), deadline, self._timeout)
            self._check_written(reply, bundle)
            if not _settled(bundle, time.monotonic() + _SETTLE_S):
                # A file of the bundle still empty after Pagefind's reply and a wait: a reader's
                # search would break on it; the CLI writes the whole bundle before it exits.
                return self._fall_back()
            try:
                log = Path(self._logfile).read_text(encoding="utf-8", errors="replace")
            except OSError:
                log = ""
            if held and _FOUND_BODY not in log:
                # "data-pagefind-body" was in the text of a page, not an attribute of any: the
                # pages held back had to be read too.
                return self._fall_back()
            with self._cond:
                missed = [self._pages[i] for i in self._not_found if self._pages.get(i) in on_disk]
            if missed:
                return self._fall_back()  # a written page Pagefind did not find: the CLI will
            self._stop()
            normalize_bundle(bundle)
            name_shards(bundle, [])
            stats = {**_stats(log, bundle), "bodies": _FOUND_BODY in log}
            if not stats["pages"]:
                languages = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"]
                stats["languages"] = len(languages)
                stats["pages"] = sum(entry.get("page_count", 0) for entry in languages.values())
            return stats
        finally:
            self.abort()

    def abort(self) -> None:
        """Kills Pagefind and writes nothing; does nothing if it has already stopped."""
        self._stop(kill=True)

    def _read_next(self) -> None:
        if self._next is not None:
            self._read_page(self._next)
            self._next = None

    def _read_page(self, rel: str) -> None:
        """Has Pagefind read the page at ``rel`` from the site (it is on disk)."""
        message_id = next(self._ids)
        self._pages[message_id] = rel
        if _PLAIN_PATH.fullmatch(rel):
            # A glob that matches this one file: the CLI's URL, read as the CLI reads it.
            payload = {"type": "AddDir", "index_id": self._index, "path": str(self._site), "glob": rel}
        else:
            # A name a glob could misread: the file is read here and handed over as text.
            html = (self._site / rel).read_text(encoding="utf-8", errors="replace")
            payload = {"type": "AddFile", "index_id": self._index, "url": search_url(rel),
                       "file_path": None, "file_contents": html}
        self._outbox.put((message_id, payload))

    def _check_written(self, reply: dict, bundle: Path) -> None:
        with self._cond:
            errors = list(self._errors)
        if errors:
            message_id, message = errors[0]
            page = self._pages.get(message_id) if message_id is not None else None
            where = f"页面 {page}" if page else "Pagefind"
            raise GongkaiError(f"建立搜索索引失败:{where}:{message}(共 {len(errors)} 个错误)")
        if reply.get("type") != "WriteFiles":
            raise GongkaiError(f"建立搜索索引失败:Pagefind 没有写出索引:{reply}")
        _check_bundle(bundle)

    def _fall_back(self) -> dict:
        """Indexes the site with the CLI: what Pagefind was given is not what it has to index, or
        what it wrote is not whole."""
        self.abort()
        return index_site(self._site)

    # ------------------------------------------------------------------ the threads

    def _request(self, payload: dict) -> int:
        message_id = next(self._ids)
        with self._cond:
            self._awaited.add(message_id)
        self._outbox.put((message_id, payload))
        return message_id

    def _wait(self, message_id: int, deadline: float, timeout: float) -> dict:
        with self._cond:
            while message_id not in self._replies:
                self._check_alive(deadline, timeout)
                self._cond.wait(min(1.0, max(0.0, deadline - time.monotonic())))
            return self._replies.pop(message_id)

    def _check_alive(self, deadline: float, timeout: float) -> None:
        if self._failure:
            raise GongkaiError(f"建立搜索索引失败:{self._failure}{self._stderr_tail()}")
        if self._ended:
            try:
                code = self._process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                code = "未知"  # type: ignore[assignment]
            raise GongkaiError(f"建立搜索索引失败:Pagefind 意外退出(退出码 {code}){self._stderr_tail()}")
        if time.monotonic() >= deadline:
            raise GongkaiError(f"建立搜索索引超时:Pagefind 超过 {timeout:g} 秒没有完成{self._stderr_tail()}")

    def _stderr_tail(self) -> str:
        try:
            text = Path(self._tmp, "stderr.txt").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""
        return ("\n" + "\n".join(text.splitlines()[-8:])) if text else ""

    def _fail(self, message: str) -> None:
        with self._cond:
            self._failure = self._failure or message
            self._cond.notify_all()

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None  # started with stdin=PIPE
        while True:
            item = self._outbox.get()
            if item is None:
                return
            if self._failure or self._stopped:
                continue  # drained: nothing more is sent
            message_id, payload = item
            try:
                message = json.dumps({"message_id": message_id, "payload": payload}, ensure_ascii=False)
                stdin.write(base64.b64encode(message.encode("utf-8", "xmlcharrefreplace")) + b",")
                stdin.flush()
            except (OSError, ValueError) as exc:
                self._fail(f"无法把页面交给 Pagefind:{exc}")

    def _read(self) -> None:
        stdout = self._process.stdout
        assert isinstance(stdout, io.BufferedReader)  # started with stdout=PIPE, unbuffered reads
        parts: list[bytes] = []
        try:
            while True:
                chunk = stdout.read1(1 << 16)
                if not chunk:
                    break
                start = 0
                while (comma := chunk.find(b",", start)) >= 0:
                    parts.append(chunk[start:comma])
                    self._receive(b"".join(parts))
                    parts = []
                    start = comma + 1
                parts.append(chunk[start:])
        except (OSError, ValueError):
            pass  # stdout closed by _stop
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _receive(self, message: bytes) -> None:
        try:
            response = json.loads(base64.b64decode(message, validate=True))
            payload = response["payload"]
            message_id = response.get("message_id")
            kind = payload["type"]
        except (ValueError, KeyError, TypeError) as exc:
            self._fail(f"Pagefind 的回应无法解析:{exc}")
            return
        with self._cond:
            if kind == "Error":
                self._errors.append((message_id, str(payload.get("message"))))
            elif kind == "IndexedDir" and payload.get("page_count") != 1:
                if payload.get("page_count") == 0:
                    self._not_found.append(message_id)
                else:
                    self._errors.append((message_id, f"一个文件名匹配了 {payload.get('page_count')} 个文件"))
            if message_id in self._awaited:
                self._awaited.discard(message_id)
                self._replies[message_id] = payload
                self._cond.notify_all()

    def _stop(self, kill: bool = False) -> None:
        """Ends the threads and the process, and removes the temporary directory."""
        if self._stopped:
            return
        self._stopped = True
        process = self._process
        assert process.stdin is not None and process.stdout is not None  # both are pipes
        if kill:
            process.kill()
        self._outbox.put(None)
        self._writer.join(_EXIT_TIMEOUT_S)
        try:
            process.stdin.close()  # end of input: Pagefind exits at once
        except OSError:
            pass
        try:
            process.wait(timeout=_EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            # Another process forked from this one holds the pipe open: nothing is left to do.
            process.kill()
            process.wait()
        self._reader.join(_EXIT_TIMEOUT_S)
        process.stdout.close()
        shutil.rmtree(self._tmp, ignore_errors=True)


_BODY_ATTRIBUTE = "data-pagefind-body"
_BODY_ANY_CASE = re.compile(_BODY_ATTRIBUTE, re.IGNORECASE | re.ASCII)
_BODY_BYTES = _BODY_ATTRIBUTE.encode()
_BODY_BYTES_ANY_CASE = re.compile(_BODY_BYTES, re.IGNORECASE)
#: What Pagefind logs when some page has a data-pagefind-body element.
_FOUND_BODY = "Found a data-pagefind-body element"
#: Paths a glob matches literally: letters and digits (any script), ``_ . - /``.
_PLAIN_PATH = re.compile(r"[\w.\-]+(?:/[\w.\-]+)*")


def html_files(site_dir: Path) -> set[str]:
    """Returns the HTML files of the site outside the search bundle (paths with ``/``)."""
    found: set[str] = set()
    root = str(site_dir)
    for folder, dirs, names in os.walk(root):
        if folder == root and BUNDLE_DIR in dirs:
            dirs.remove(BUNDLE_DIR)
        prefix = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        found.update(prefix + name for name in names if name.endswith(".html"))
    return found


def _empty_bundle(site_dir: Path, keep: bool = False, subdir: str = BUNDLE_DIR) -> Path:
    """Returns ``site_dir/pagefind`` (or ``subdir``), removed if a bundle is there (unless
    ``keep``: then pruned after Pagefind has written the new one): the site's pages are checked."""
    if not site_dir.is_dir():
        raise GongkaiError(f"无法建立搜索索引:网站目录 {site_dir} 不存在")
    bundle = site_dir / subdir
    if bundle.exists():
        strays = [p for p in bundle.rglob("*.html") if "playground" not in p.relative_to(bundle).parts]
        if strays:
            raise GongkaiError(
                f"无法建立搜索索引:{BUNDLE_DIR}/ 是搜索索引的保留目录,网站中已有页面 "
                f"{strays[0].relative_to(site_dir).as_posix()};请勿在 content/ 中使用名为 {BUNDLE_DIR} 的目录"
            )
        # A bundle left by an earlier build holds fragments of pages that may since have been
        # withdrawn: it is rebuilt from nothing, or (keep) pruned to what the new index names.
        if not keep or not bundle.is_dir() or bundle.is_symlink():
            if bundle.is_dir() and not bundle.is_symlink():
                shutil.rmtree(bundle)
            else:
                bundle.unlink()
    return bundle


def _settled(bundle: Path, deadline: float) -> bool:
    """Returns whether every file of the bundle has content, waiting until ``deadline`` for it.

    Seen under load: Pagefind's service replies to WriteFiles while a file is still being written
    (created, still empty); ending the service then leaves it empty. It is given time to finish."""
    while any(path.is_file() and path.stat().st_size == 0 for path in bundle.rglob("*")):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _check_bundle(bundle: Path) -> None:
    if not (bundle / "pagefind-entry.json").is_file() or not (bundle / "pagefind-ui.js").is_file():
        raise GongkaiError(f"建立搜索索引失败:Pagefind 没有在 {bundle} 中写出索引文件")


def _stats(output: str, bundle: Path) -> dict:
    counts = {"languages": 0, "pages": 0, "words": 0, "filters": 0}
    for number, noun in _STAT.findall(output):
        key = noun + "s"
        if key in counts:
            counts[key] = int(number)
    files = [p for p in bundle.rglob("*") if p.is_file()]
    chunks = [p.stat().st_size for p in (bundle / "index").glob("*.pf_index")]
    return {
        **counts,
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "index_chunk_max_bytes": max(chunks, default=0),
        "fragments": sum(1 for _ in (bundle / "fragment").glob("*.pf_fragment")),
    }
