"""The portal's build cache on disk (``.cache/gongkai/`` beside mkdocs.yml, left out of Git and
kept between runs by the CI templates): what one `gongkai build` computed that the next can reuse.

Everything in it is content-addressed: a value is found by the SHA-256 of everything it depends
on, and the engine's own identity (its version and the digest of its files, ``engine_id``) is part
of every key, so another engine never reads this one's entries (and removes them when it first
stores a value of the same kind: each engine's values are in a folder of their own). A value is stored with the
SHA-256 of its bytes and read back only when they still match: a truncated or garbled file is a
miss, never a wrong value. The sets of digests (signature checks found valid) hold nothing but
digests: a garbled entry is a digest no check ever computes. Nothing here raises: a cache that
cannot be read or written is a cache that misses.

The cache is trusted as the working copy is: whoever can write into it could make a signature
count as checked. The CI templates key it by branch (a merge request's pipeline never writes the
cache the main branch builds with). What arrives through Git is never trusted: a cache folder
with a file Git tracks (a commit that forced one in), or a folder that is a symbolic link, is not
used at all (``refused`` says why, and the build warns, so a strict build stops).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path

import gongkai
from gongkai import gitrepo

#: The cache's folder, relative to the portal's root (the folder of mkdocs.yml).
CACHE_DIR = ".cache/gongkai"
_DIGEST = 32  # bytes of a SHA-256
#: Past this many entries a set of digests starts again from this build's (a portal's checks).
MAX_DIGESTS = 4_000_000


@lru_cache(maxsize=1)
def engine_id() -> str:
    """Returns the identity of this engine: its version and the digest of every file of its
    package (code, law tables, theme), so that any change to the engine is a new identity."""
    h = hashlib.sha256(f"gongkai {gongkai.__version__}\n".encode())
    top = Path(gongkai.__file__).parent
    for folder, dirs, names in sorted(os.walk(top)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(folder) / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            h.update(f"{path.relative_to(top).as_posix()}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


def key_of(*parts: str | bytes) -> str:
    """Returns the hex SHA-256 of the parts (each length-prefixed: no two lists of parts share one)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part  # a file name may hold any bytes
        h.update(f"{len(data)}:".encode())
        h.update(data)
    return h.hexdigest()


class DiskCache:
    """The cache of one portal; ``root`` None makes one that never hits and stores nothing
    (`gongkai build --no-cache`)."""

    def __init__(self, root: Path | None) -> None:
        self.folder = Path(root) / CACHE_DIR if root is not None else None
        self._kept: set[str] = set()  # the kinds whose other engines' values this object removed
        self.refused = ""  # why the portal's cache folder is not used (Chinese), or ""
        if root is not None:
            self.refused = _untrusted(Path(root))
            if self.refused:
                self.folder = None

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    # --- Values ---------------------------------------------------------------------------------

    def get(self, kind: str, key: str) -> bytes | None:
        """Returns the value stored under ``key`` (of the engine's kind ``kind``), or None."""
        path = self._value_path(kind, key)
        if path is None:
            return None
        try:
            with open(path, "rb") as handle:
                stored = handle.read()
        except (OSError, ValueError):
            return None
        check, data = stored[:_DIGEST], stored[_DIGEST:]
        if len(check) != _DIGEST or hashlib.sha256(data).digest() != check:
            return None
        return data

    def put(self, kind: str, key: str, data: bytes) -> None:
        """Stores ``data`` under ``key``."""
        path = self._value_path(kind, key)
        if path is not None:
            self._drop_other_engines(kind)
            _write(Path(path), hashlib.sha256(data).digest() + data)

    def _drop_other_engines(self, kind: str) -> None:
        """Removes the values of ``kind`` that other engines stored (no key of this one reaches
        them), once per kind: an upgraded engine does not leave the old one's behind for ever."""
        if kind in self._kept or self.folder is None:
            return
        self._kept.add(kind)
        try:
            entries = list((self.folder / kind).iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.name != engine_id()[:16] and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)

    def _value_path(self, kind: str, key: str) -> str | None:
        if self.folder is None:
            return None
        name = key_of(engine_id(), kind, key)
        return os.path.join(self.folder, kind, engine_id()[:16], name[:2], name)  # a string: Path's joins cost more than the read

    # --- Sets of digests ------------------------------------------------------------------------

    def digests(self, kind: str) -> set[bytes]:
        """Returns the set of digests stored as ``kind`` by this engine (empty when none)."""
        if self.folder is None:
            return set()
        try:
            data = self._set_path(kind).read_bytes()
        except OSError:
            return set()
        return {data[i : i + _DIGEST] for i in range(0, len(data) - _DIGEST + 1, _DIGEST)}

    def put_digests(self, kind: str, digests: set[bytes]) -> None:
        """Stores the set ``kind`` (replacing it), and drops the sets of other engines."""
        if self.folder is None or len(digests) > MAX_DIGESTS:
            return
        path = self._set_path(kind)
        _write(path, b"".join(sorted(digests)))
        try:
            for other in path.parent.glob(f"{kind}-*.bin"):
                if other != path:
                    other.unlink()
        except OSError:
            pass

    def _set_path(self, kind: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{kind}-{engine_id()[:16]}.bin"


def _untrusted(root: Path) -> str:
    """Returns why the cache folder of the portal at ``root`` must not be used, or ""."""
    top = root / CACHE_DIR.split("/")[0]
    for folder in (top, root / CACHE_DIR):
        if folder.is_symlink():
            return f"{folder.relative_to(root).as_posix()} 是符号链接,构建缓存未使用;请删除它(缓存会自动重建)"
    tracked = gitrepo.run(root, "ls-files", "--", CACHE_DIR.split("/")[0]).split("\n", 1)[0].strip()
    if tracked:
        return (f"{tracked}: 构建缓存中的文件被提交进了 Git,缓存未使用(缓存只能由本机构建生成);"
                f"请 git rm -r --cached {CACHE_DIR.split('/')[0]} 并提交")
    return ""


def _write(path: Path, data: bytes) -> None:
    """Writes ``path`` whole or not at all (a concurrent reader sees the old file or the new)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass
