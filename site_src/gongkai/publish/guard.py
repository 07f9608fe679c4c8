"""The watcher on the web server (``gongkai watch``): repairs the live release within a second of a change.

inotify (through watchdog) reports every write, rename or deletion under the live release and
the switch of ``current``; after a short quiet spell the live release is compared with the
manifest it was uploaded with and repaired from the pristine store (pristine.repair). Every
check that found something, and every change of the live release, becomes a line of the
值班读网 log, written for a person on duty to read. A full check also runs every few minutes in
case an event was lost (inotify's queue can overflow).
"""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from watchdog.events import FileSystemEventHandler

from gongkai.publish.manifest import PublishError, UsageError
from gongkai.publish.pristine import RepairResult, repair
from gongkai.publish.targets import CURRENT, RELEASES, LocalTarget, Target, open_target

_READ_EVENTS = frozenset({"opened", "closed_no_write"})


def quarantine_stamp() -> str:
    """Returns a name for the quarantine folder of one repair (the time, only to be read by a person)."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ") + f"-{os.getpid()}"


def repair_lines(result: RepairResult) -> list[str]:
    """Returns what a repair found and did, as lines of the 值班读网 log (none when the release was intact)."""
    if not result.repairs and not result.remaining:
        return []
    lines = [f"发现 {result.target} 的当前版本 {result.release} 有 {len(result.repairs)} 处被改动:"]
    lines += [f"  {r}" for r in result.repairs]
    if result.remaining:
        lines.append(f"  仍有 {len(result.remaining)} 处未能修复,请立即人工处理:")
        lines += [f"    {m}" for m in result.remaining]
    else:
        lines.append("  已全部恢复为发布时的内容。若不是本单位操作所致,请保留 quarantine/ 中的证据并按网站安全应急预案报告。")
    return lines


class _Changed(FileSystemEventHandler):
    """A watchdog handler that notes what changed, but not a file being read (our checks read files).

    Under the live release (``root``) it collects the paths changed, relative to the release; at the
    target's top (``only``: the name ``current``) it asks for a full check."""

    def __init__(self, flag: threading.Event, paths: set[str], lock: threading.Lock, *, root: str = "", only: str = ""):
        super().__init__()
        self.flag, self.paths, self.lock, self.root, self.only = flag, paths, lock, root, only

    def dispatch(self, event) -> None:
        if event.event_type in _READ_EVENTS or (event.is_directory and event.event_type == "modified"):
            return  # a folder is "modified" when a file in it changes, and that file is reported itself
        names = [os.fsdecode(p) for p in (event.src_path, getattr(event, "dest_path", "") or "") if p]
        if self.only:
            if not any(os.path.basename(n) == self.only for n in names):
                return
            changed = {""}
        else:
            changed = {os.path.relpath(n, self.root).replace(os.sep, "/") for n in names}
            changed = {"" if c == "." else c for c in changed if not c.startswith("../")}
        with self.lock:
            self.paths.update(changed)
        self.flag.set()


def watch(
    target: str,
    log: Callable[[str], None],
    *,
    stop: threading.Event | None = None,
    settle: float = 0.05,
    full_check: float = 300.0,
    publishers: Sequence[bytes] = (),
) -> None:
    """Watches the live release of a local ``target`` and repairs it on every change until ``stop`` is set."""
    # watchdog's inotify observer: loaded only by this verb (Linux only).
    from watchdog.observers.inotify import InotifyObserver

    dest = open_target(target)
    if not isinstance(dest, LocalTarget):
        raise UsageError(f"{target}: gongkai watch 只能在 Web 服务器本机上运行", "在服务器上执行 gongkai watch /srv/gongkai")
    if not dest.root.is_dir():
        raise PublishError(f"{target}: 目录不存在", "检查目标路径是否写对")
    stop = stop or threading.Event()
    changed = threading.Event()
    paths: set[str] = set()
    lock = threading.Lock()
    observer = InotifyObserver()
    observer.schedule(_Changed(changed, paths, lock, only=CURRENT), str(dest.root), recursive=False)
    observer.start()
    watched: tuple[str, Any] | None = None
    only: set[str] | None = None  # None: check everything
    log(f"开始值守 {dest.display}:网站文件一有改动即核对并从原始副本恢复")
    try:
        while not stop.is_set():
            live = _live_dir(dest)
            if live is not None and (watched is None or watched[0] != live):
                if watched is not None:
                    observer.unschedule(watched[1])
                release = str(dest.root / RELEASES / live)
                watched = (live, observer.schedule(_Changed(changed, paths, lock, root=release), release, recursive=True))
                log(f"当前版本:{live}")
                only = None
            changed.clear()
            _check(dest, log, publishers, only)
            deadline = time.monotonic() + full_check
            while not stop.is_set() and not changed.wait(0.5) and time.monotonic() < deadline:
                pass
            # Let a burst of writes (a whole directory replaced) settle before checking.
            while not stop.is_set() and changed.is_set():
                changed.clear()
                time.sleep(settle)
            with lock:
                only = set(paths) if paths else None  # nothing reported: the periodic full check
                paths.clear()
    finally:
        observer.stop()
        observer.join(10)
        log(f"停止值守 {dest.display}")


def _live_dir(dest: LocalTarget) -> str | None:
    try:
        link = os.readlink(dest.root / CURRENT)
    except OSError:
        return None
    parent, name = os.path.split(os.path.normpath(link))
    return name if os.path.basename(parent) == RELEASES and (dest.root / RELEASES / name).is_dir() else None


def _check(dest: Target, log: Callable[[str], None], publishers: Sequence[bytes], only: set[str] | None) -> None:
    try:
        result = repair(dest, quarantine_stamp(), publishers, only)
    except PublishError as exc:
        log(f"无法核对或修复 {dest.display}:{exc}")
        return
    for line in repair_lines(result):
        log(line)
