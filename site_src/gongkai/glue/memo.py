"""The memo of the generated pages' pure functions (cache.Memo) in the portal's cache on disk.

A `gongkai build` reads it before the generated pages are made and writes it afterwards when it
changed: the catalog's summaries and the rows of catalog.csv are then made only for what is new
(what is made faster than read back, a listing's row, a catalog.json row, an item's metadata
table, is memoised for the build only: see Memo.of's ``keep``). A result is found by the function and
its complete arguments (cache.Memo), the engine's identity is part of the key on disk
(diskcache.engine_id), and the value is read back only when its SHA-256 still matches: a stale,
foreign or garbled result is never used. Only the results this build asked for are written, so
a withdrawn item's rows leave the cache with it. `--no-cache` neither reads nor writes it.
"""
from __future__ import annotations

import marshal
import sys
from typing import Any, Callable

from gongkai.cache import Memo
from gongkai.diskcache import DiskCache
from gongkai.glue import forked

KIND = "memo"
FORMAT = 1


def _key() -> str:
    # marshal's format is that of this Python: another version reads a value of its own.
    return f"{FORMAT}|{sys.version}"


def load(disk: DiskCache) -> Memo:
    """Returns the memo the last build kept (an empty one when there is none, or no cache)."""
    data = disk.get(KIND, _key()) if disk.enabled else None
    if data is None:
        return Memo()
    try:
        known = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return Memo()
    if not isinstance(known, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in known.items()):
        return Memo()
    return Memo(known)


def save(disk: DiskCache, memo: Memo) -> None:
    """Keeps the results this build used, when they are not what the cache holds already."""
    if disk.enabled and memo.changed:
        disk.put(KIND, _key(), marshal.dumps(memo.used))


class Beside:
    """What ``function`` returns, computed in a forked process (glue.forked) while this one goes
    on; the results it kept in ``memo`` join this process's memo, as if made here. Should the
    child fail, ``result`` calls ``function`` here: the same value, or the same error."""

    def __init__(self, function: Callable[[], Any], memo: Memo | None) -> None:
        self.function, self.memo = function, memo
        self.child = forked.start(lambda: (function(), _kept(memo)))

    def result(self) -> Any:
        ok, value = self.child.result()
        if not ok:
            return self.function()
        made, kept = value
        if self.memo is not None and kept is not None:
            used, count = kept
            for name, results in used.items():
                self.memo.used.setdefault(name, {}).update(results)
            self.memo.made += count
        return made

    def stop(self) -> None:
        self.child.stop()


def _kept(memo: Memo | None) -> tuple[dict, int] | None:
    return (memo.used, memo.made) if memo is not None else None
