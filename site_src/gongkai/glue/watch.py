"""What `gongkai serve` watches with: kernel events where they are reliable, polling elsewhere.

MkDocs' live-reload server polls every watched tree every 0.5 s. On a 10,000-item portal one
poll stats ~11,000 files in Python and compares two snapshots (~0.2 s), so the poller held the
interpreter for a third of every rebuild and noticed a save 0.25–0.75 s late. ``Watcher`` takes
the place of MkDocs' observer: a folder on a local Linux disk file system is watched with inotify
(the kernel reports every change made through it, at once); single files (mkdocs.yml,
reviewers.yml: editors and git replace them by renaming, which an inotify watch on the file
itself would lose), folders on network, FUSE or virtual-machine shares (a change made on the
other side raises no event here: WSL's /mnt/c, Docker Desktop mounts, NFS) and any folder inotify
cannot take (watch limit reached) stay with MkDocs' polling observer. A folder inotify watches is
polled too, every few seconds, in case inotify missed part of it (see Watcher).
"""
from __future__ import annotations

import logging
import os
import sys
import time

log = logging.getLogger("mkdocs.plugins.gongkai")

#: File systems whose every change goes through this kernel (so inotify reports it).
LOCAL_FILESYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs", "zfs", "overlay", "jfs", "reiserfs", "bcachefs", "nilfs2"})
#: inotify reports reads too (see _Reported).
_READ_EVENTS = frozenset({"opened", "closed_no_write"})


def filesystem_type(path: str, mountinfo: str | None = None) -> str | None:
    """Returns the type of the file system ``path`` lies on (Linux), or None when unknown."""
    if mountinfo is None:
        try:
            with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as handle:
                mountinfo = handle.read()
        except OSError:
            return None
    real = os.path.realpath(path)
    best, found = "", None
    for line in mountinfo.splitlines():
        left, separator, right = line.partition(" - ")
        fields = left.split()
        if not separator or len(fields) < 5 or not right.split():
            continue
        point = _unescape(fields[4])
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, found = point, right.split()[0]
    return found


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes (\\040)."""
    for code in ("040", "011", "012", "134"):
        field = field.replace("\\" + code, chr(int(code, 8)))
    return field


def native_suitable(path: str) -> bool:
    """Returns whether a change under the folder ``path`` always raises an inotify event."""
    return sys.platform.startswith("linux") and os.path.isdir(path) and filesystem_type(path) in LOCAL_FILESYSTEMS


class Watcher:
    """Stands in for the live-reload server's observer (schedule, unschedule, start, stop, join).

    A folder watched with inotify is also polled, slowly (every SAFETY_POLL_S): inotify can miss a
    subfolder without an error (watchdog skips one it cannot watch when the per-user limit is
    reached), and a change it did not report still reaches MkDocs, late. A change it did report
    is not reported twice."""

    def __init__(self, polling, native_factory=None, suitable=native_suitable, safety_factory=None):
        self.polling = polling
        self._suitable = suitable
        self._native_factory = native_factory or _inotify_observer
        self._safety_factory = safety_factory or _safety_observer
        self.native = None
        self.safety = None
        self._native_failed = False
        self._native_watches: list[tuple[object, object, str, bool, object]] = []  # (watch, handler, path, recursive, safety watch)
        self._moved: dict[object, object] = {}  # native watch -> polling watch, after a fallback
        self._started: list = []
        self._reported: dict[str, float] = {}  # path -> when inotify last reported a change to it

    def schedule(self, handler, path, recursive: bool = False, **kwargs):
        path = str(path)
        if not kwargs and not self._native_failed and self._suitable(path):
            if self.native is None:
                self.native = self._native_factory()
            if self.native is not None:
                try:  # once started, scheduling starts inotify on the folder at once
                    watch = self.native.schedule(_Reported(handler, self._reported), path, recursive=recursive)
                except OSError:
                    return self.polling.schedule(handler, path, recursive=recursive)
                if self.safety is None:
                    self.safety = self._safety_factory()
                backup = self.safety.schedule(_Unreported(handler, self._reported), path, recursive=recursive)
                self._native_watches.append((watch, handler, path, recursive, backup))
                return watch
        return self.polling.schedule(handler, path, recursive=recursive, **kwargs)

    def unschedule(self, watch) -> None:
        for entry in self._native_watches:
            if entry[0] is watch:
                self._native_watches.remove(entry)
                if watch in self._moved:
                    self.polling.unschedule(self._moved.pop(watch))
                else:
                    self.native.unschedule(watch)
                    self.safety.unschedule(entry[4])
                return
        self.polling.unschedule(watch)

    def start(self) -> None:
        if self._native_watches and self.native is not None:
            try:
                self.native.start()
                self._started.append(self.native)
            except OSError as exc:  # e.g. the inotify watch limit is reached: poll those folders as MkDocs does
                log.info("gongkai: 无法用 inotify 监视 %s(%s),改为轮询", "、".join(e[2] for e in self._native_watches), exc)
                for watch, handler, path, recursive, _ in self._native_watches:
                    self._moved[watch] = self.polling.schedule(handler, path, recursive=recursive)
                self._native_failed = True
            else:
                self.safety.start()
                self._started.append(self.safety)
        self.polling.start()
        self._started.append(self.polling)

    def stop(self) -> None:
        for observer in self._started:
            observer.stop()

    def join(self, timeout: float | None = None) -> None:
        for observer in self._started:
            observer.join(timeout)


#: Seconds between two polls of a folder that inotify watches too.
SAFETY_POLL_S = 4.0


def _inotify_observer():
    try:
        from watchdog.observers.inotify import InotifyObserver  # Linux only: imported where it is tried
    except Exception:  # noqa: BLE001 - no inotify in this libc or watchdog: poll
        return None
    return InotifyObserver()


def _safety_observer():
    # Only `gongkai serve` watches: a build never loads watchdog's observers.
    from watchdog.observers.polling import PollingObserver

    return PollingObserver(timeout=SAFETY_POLL_S)


def _paths(event) -> list[str]:
    return [os.path.normpath(os.fsdecode(p)) for p in (event.src_path, getattr(event, "dest_path", "")) if p]


class _Reported:
    """Passes on every inotify event but a file being read (opened, closed unwritten): a rebuild
    reads the content, which must not start another rebuild. Notes what changed, and when."""

    def __init__(self, handler, reported: dict[str, float]):
        self.handler, self.reported = handler, reported

    def dispatch(self, event) -> None:
        if event.event_type in _READ_EVENTS:
            return
        now = time.monotonic()
        if len(self.reported) > 100_000:
            for path in [p for p, t in self.reported.items() if now - t > 3 * SAFETY_POLL_S]:
                del self.reported[path]
        for path in _paths(event):
            self.reported[path] = now
        self.handler.dispatch(event)


class _Unreported:
    """Passes on a polled change only when inotify did not report that file since the last poll."""

    def __init__(self, handler, reported: dict[str, float]):
        self.handler, self.reported = handler, reported

    def dispatch(self, event) -> None:
        now = time.monotonic()
        if any(now - self.reported.get(path, -1e9) < 2 * SAFETY_POLL_S + 1 for path in _paths(event)):
            return
        self.handler.dispatch(event)
