"""The annual reports' .xlsx in a build: made beside the rendering, not before it.

The workbooks no cache holds are made by a forked process started with the render worker
(``Batch.start``, from on_nav), while both processes render pages; each is a ``WorkbookFile``
whose bytes this process takes only when MkDocs copies it into the site, after the gate's last
look at the files (on_env). Without a fork (a preview, GONGKAI_WORKERS=1, a few workbooks) a
workbook is made in this process: at once in a preview (kept for its rebuilds), else when copied.
A workbook is a pure function of its tables and title: whichever process makes it, its bytes are
the same."""
from __future__ import annotations

import logging

from mkdocs.structure.files import File

from gongkai.diskcache import DiskCache
from gongkai.glue import forked
from gongkai.glue.preview import Session, make_xlsx, xlsx_key

log = logging.getLogger("mkdocs.plugins.gongkai")

#: Below this many missing workbooks (~6 ms each) a fork costs more than it saves.
FORK_MIN_WORKBOOKS = 4


class WorkbookFile(File):
    """A generated .xlsx whose bytes are the batch's: taken when it is copied or read."""

    batch: Batch
    key: str

    def _fill(self) -> None:
        if self._content is None:
            self._content = self.batch.take(self.key)

    def copy_file(self, dirty: bool = False) -> None:
        self._fill()
        super().copy_file(dirty)

    def is_modified(self) -> bool:
        return True  # as any generated file (an incremental build compares the bytes instead)

    @property  # type: ignore[override]
    def content_bytes(self) -> bytes:
        self._fill()
        return super().content_bytes

    @content_bytes.setter
    def content_bytes(self, value: bytes) -> None:
        self._content = value
        self.abs_src_path = None


class Batch:
    """The workbooks of one build: those missing from the caches, made in a forked process or here."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.pending: dict[str, tuple] = {}  # key -> (tables, title)
        self.made: dict[str, bytes] = {}
        self.kept: set[str] = set()  # the keys of the workbooks kept in the caches
        self.child: forked.Child | None = None
        self.session: Session | None = None
        self.disk: DiskCache | None = None

    def file(self, config, uri: str, tables, title: str, session: Session, disk: DiskCache) -> File:
        """Returns the site's file ``uri`` holding the workbook of ``tables`` and ``title``."""
        key = xlsx_key(tables, title)
        data = session.xlsx_known(key, disk)
        if data is None and session.preview:
            data = session.xlsx_bytes(tables, title, disk)  # at once: kept for the preview's rebuilds
        if data is not None:
            return File.generated(config, uri, content=data)
        self.session, self.disk = session, disk
        self.pending[key] = (tables, title)
        file = WorkbookFile.generated(config, uri, content=b"")
        file._content = None  # taken from the batch when it is copied
        file.batch, file.key = self, key
        return file

    def start(self) -> None:
        """Forks the process that makes the missing workbooks, when there are enough of them. Call
        it where a fork is safe (no other thread: see render.can_fork)."""
        if self.child is not None or len(self.pending) < FORK_MIN_WORKBOOKS:
            return
        jobs = sorted(self.pending.items())
        self.child = forked.start(lambda: {key: make_xlsx(tables, title) for key, (tables, title) in jobs})

    @property
    def pid(self) -> int:
        """The forked process's id while it runs or is not collected, else 0."""
        return self.child.pid if self.child is not None else 0

    def take(self, key: str) -> bytes:
        """Returns the workbook of ``key``: from the forked process (waiting for it), else made
        here; kept for the next build (each one: the first taken brings them all)."""
        if key not in self.made:
            self._collect()
            if key not in self.made:
                tables, title = self.pending[key]
                self.made[key] = make_xlsx(tables, title)
        if key not in self.kept:
            assert self.session is not None  # set with the first pending workbook
            self.session.xlsx_keep(key, self.made[key], self.disk)
            self.kept.add(key)
        return self.made[key]

    def _collect(self) -> None:
        """Reads what the forked process made (nothing if it failed: the workbooks are then made here)."""
        if self.child is None:
            return
        child, self.child = self.child, None
        done, made = child.result()
        if done:
            self.made.update(made)
        else:
            log.debug("gongkai: 生成年度报告表格的进程异常结束,改在本进程生成")

    def stop(self) -> None:
        """Ends this build's batch: stops its process if it still runs, forgets its workbooks."""
        if self.child is not None:
            self.child.stop()
        self._reset()
