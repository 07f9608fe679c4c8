"""Publishing a built site: manifest, atomic releases, tamper check, rollback, packages.

What a publish leaves on the target (a local directory, or ``user@host:/path`` reached with the
system's ``ssh`` and ``rsync``)::

    TARGET/
      current -> releases/20250308T090000Z-5d6e7f8    the web server's document root
      releases/20250301T020304Z-1a2b3c4/             one directory per publish, never edited
      releases/20250308T090000Z-5d6e7f8/
      csp.txt  csp-nginx.conf  csp-apache.conf        Content-Security-Policy for those releases
      .gongkai.lock                                   held with flock(2) while publishing

The live site only ever changes by ``rename(2)`` of a fresh symlink over ``current``: a publish
that dies at any earlier point leaves ``current`` exactly as it was, and what it left behind
(``releases/*.partial``, ``.gongkai-current.*``) is removed by the next publish.

Nothing here imports MkDocs.
"""
from __future__ import annotations

import base64
import fcntl
import gzip
import hashlib
import io
import json
import os
import posixpath
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from gongkai.errors import GongkaiError

MANIFEST_NAME = "manifest.json"
GENERATOR = "gongkai"
MANIFEST_VERSION = 1
CURRENT = "current"
RELEASES = "releases"
PARTIAL = ".partial"
LOCK_NAME = ".gongkai.lock"
TMP_LINK_PREFIX = ".gongkai-current."
CSP_FILES = ("csp.txt", "csp-nginx.conf", "csp-apache.conf")
DEFAULT_KEEP = 5

CHANGED = "changed"
MISSING = "missing"
EXTRA = "extra"

# A release directory: UTC time of the publish, the short commit, and a sequence number when
# several publishes happen within one second (so that name order is publish order).
# \Z, not $: $ also matches before a final newline (a name or digest read from elsewhere).
RELEASE_RE = re.compile(r"^(?P<ts>\d{8}T\d{6}Z)-(?P<commit>[0-9A-Za-z]{1,40})(?:-(?P<seq>\d+))?\Z")
_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
_MANIFEST_TMP = re.compile(r"^\.manifest\.json\.\d+\.tmp\Z")
# Characters a remote path may hold: rsync before 3.2.4 and the remote login shell split on
# anything else, and a government server's document root never needs it.
_REMOTE_PATH_RE = re.compile(r"^[\w./~+@%,=-]+\Z")
_REMOTE_RE = re.compile(r"^(?P<host>[^/:\s]+):(?P<path>.*)$")
_HASH_WORKERS = 4


# --------------------------------------------------------------------------- errors and results


class PublishError(GongkaiError):
    """A publish, verify, rollback or package that cannot go on; ``str()`` says what and how to fix it."""

    def __init__(self, message: str, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(f"{message}\n  处理办法:{hint}" if hint else message)


class UsageError(PublishError):
    """The command was called wrongly (exit code 2)."""


class LockBusy(PublishError):
    """Another publish or rollback holds the target's lock."""


@dataclass(frozen=True, order=True)
class Mismatch:
    """One file whose bytes differ from what the manifest promises."""

    path: str
    kind: str  # CHANGED | MISSING | EXTRA
    expected: str | None = None  # sha256 hex from the manifest
    actual: str | None = None  # sha256 hex found, or "symlink" / "special" for a non-regular file

    def __str__(self) -> str:
        actual = _describe_actual(self.actual)
        if self.kind == CHANGED:
            return f"{self.path}: 内容与清单不符(清单 sha256 {self.expected},实际 {actual})"
        if self.kind == MISSING:
            return f"{self.path}: 文件缺失(清单 sha256 {self.expected})"
        return f"{self.path}: 清单中没有这个文件(实际 {actual})"

    def as_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "expected": self.expected, "actual": self.actual}


def _describe_actual(actual: str | None) -> str:
    if actual == "symlink":
        return "是符号链接"
    if actual == "special":
        return "不是普通文件"
    if actual == "unsafe":
        return "路径不安全(绝对路径或含 ..)"
    return f"sha256 {actual}"


@dataclass(frozen=True)
class Manifest:
    """A parsed ``manifest.json``."""

    built_at: str
    commit: str
    strict: bool
    files: Mapping[str, str]
    source: str = MANIFEST_NAME
    digest: str = ""  # sha256 of the manifest file's own bytes
    generator: str = GENERATOR
    version: int = MANIFEST_VERSION


@dataclass(frozen=True)
class Release:
    """A release that is now live on a target (after publish or rollback)."""

    target: str
    name: str
    commit: str
    built_at: str
    files: int
    previous: str | None = None
    removed: tuple[str, ...] = ()
    csp_changed: bool = False


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` looked at and what it found."""

    target: str
    release: str | None  # None: TARGET is a plain site directory (e.g. unpacked from a package)
    manifest: Manifest
    checked: int
    mismatches: list[Mismatch] = field(default_factory=list)


# --------------------------------------------------------------------------- manifest


def write_manifest(site_dir: str | os.PathLike, *, commit: str, built_at: str, strict: bool) -> Path:
    """Returns the path of the ``manifest.json`` written into ``site_dir``: SHA-256 of every other regular file."""
    root = Path(site_dir)
    if not root.is_dir():
        raise PublishError(f"{root}: 站点目录不存在", "先运行 gongkai build --strict 构建站点")
    files, _others = _scan(root)
    # Also skip what an interrupted earlier write_manifest may have left behind.
    files = [f for f in files if f != MANIFEST_NAME and not _MANIFEST_TMP.match(f)]
    for rel in files:
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise PublishError(f"{root}/{shown}: 文件名不是 UTF-8 编码", "请把文件改为 UTF-8 编码的名称后重新构建") from None
    digests = _hash_files(root, files)
    document = {
        "generator": GENERATOR,
        "version": MANIFEST_VERSION,
        "built_at": built_at,
        "commit": commit,
        "strict": bool(strict),
        "files": {rel: digests[rel] for rel in sorted(files)},
    }
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    path = root / MANIFEST_NAME
    for leftover in root.glob(f".{MANIFEST_NAME}.*.tmp"):
        leftover.unlink()
    tmp = root / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_manifest(path_or_dir: str | os.PathLike) -> Manifest:
    """Returns the manifest in a file, or in ``<dir>/manifest.json``; a broken one raises PublishError."""
    path = Path(path_or_dir)
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PublishError(
            f"{path}: 缺少 manifest.json,这不是 gongkai 构建出的站点",
            "请用 gongkai build --strict 重新构建,构建成功后会生成 manifest.json",
        ) from None
    except OSError as e:
        raise PublishError(f"{path}: 无法读取({e.strerror})") from None
    return parse_manifest(data, str(path))


def parse_manifest(data: bytes, source: str = MANIFEST_NAME) -> Manifest:
    """Returns the manifest in ``data`` (the bytes of a manifest.json), checked field by field."""
    broken = "请重新构建站点;若清单是从服务器取回的,说明它已被改动,应视为篡改处理"
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PublishError(f"{source}: 不是有效的 UTF-8 JSON({e})", broken) from None
    if not isinstance(doc, dict) or doc.get("generator") != GENERATOR:
        raise PublishError(f"{source}: 不是 gongkai 生成的清单(generator 应为 \"gongkai\")", broken)
    if doc.get("version") != MANIFEST_VERSION:
        raise PublishError(f"{source}: 清单版本 {doc.get('version')!r} 不受支持", "请升级 gongkai,或用当前版本重新构建")
    files = doc.get("files")
    if not isinstance(files, dict):
        raise PublishError(f"{source}: 缺少 files", broken)
    for rel, digest in files.items():
        if not _safe_relpath(rel) or rel == MANIFEST_NAME:
            raise PublishError(f"{source}: 清单中的路径 {rel!r} 不合法", broken)
        if not isinstance(digest, str) or not _HEX64.match(digest):
            raise PublishError(f"{source}: {rel} 的 sha256 {digest!r} 不合法", broken)
    for key, kind in (("built_at", str), ("commit", str), ("strict", bool)):
        if not isinstance(doc.get(key), kind):
            raise PublishError(f"{source}: 字段 {key} 缺失或类型不对", broken)
    return Manifest(
        built_at=doc["built_at"],
        commit=doc["commit"],
        strict=doc["strict"],
        files=dict(files),
        source=source,
        digest=hashlib.sha256(data).hexdigest(),
    )


def verify_tree(root: str | os.PathLike, manifest: Manifest | Mapping) -> list[Mismatch]:
    """Returns every changed, missing or extra file under ``root`` compared with ``manifest``."""
    manifest = _coerce_manifest(manifest)
    files, others = _scan(Path(root))
    files = [f for f in files if f != MANIFEST_NAME]
    return compare(manifest.files, _hash_files(Path(root), files), others)


def compare(expected: Mapping[str, str], actual: Mapping[str, str], others: Mapping[str, str] = {}) -> list[Mismatch]:
    """Returns the mismatches between the manifest's files and the regular files (and non-regular entries) found."""
    found: list[Mismatch] = []
    for rel, digest in expected.items():
        if rel in actual:
            if actual[rel] != digest:
                found.append(Mismatch(rel, CHANGED, digest, actual[rel]))
        elif rel in others:
            found.append(Mismatch(rel, CHANGED, digest, others[rel]))
        else:
            found.append(Mismatch(rel, MISSING, digest, None))
    for rel, digest in actual.items():
        if rel not in expected:
            found.append(Mismatch(rel, EXTRA, None, digest))
    for rel, kind in others.items():
        if rel not in expected:
            found.append(Mismatch(rel, EXTRA, None, kind))
    return sorted(found)


def _coerce_manifest(manifest: Manifest | Mapping) -> Manifest:
    if isinstance(manifest, Manifest):
        return manifest
    return parse_manifest(json.dumps(dict(manifest), ensure_ascii=False).encode("utf-8"))


def _safe_relpath(rel: object) -> bool:
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\0" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def _scan(root: Path) -> tuple[list[str], dict[str, str]]:
    """Returns the regular files under root (posix relative paths) and every other non-directory entry."""
    files: list[str] = []
    others: dict[str, str] = {}
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        with os.scandir(root / rel_dir if rel_dir else root) as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_symlink():
                    others[_printable(rel)] = "symlink"
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(rel)
                elif entry.is_file(follow_symlinks=False):
                    files.append(rel)
                else:
                    others[_printable(rel)] = "special"
    return files, others


def _printable(rel: str) -> str:
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_files(root: Path, rels: Sequence[str]) -> dict[str, str]:
    """Returns {rel: sha256} for the files; hashing runs on a few threads (hashlib and reads release the GIL)."""
    if len(rels) < 64:
        return {_printable(rel): _sha256_file(root / rel) for rel in rels}
    with ThreadPoolExecutor(max_workers=_HASH_WORKERS) as pool:
        digests = pool.map(lambda rel: _sha256_file(root / rel), rels, chunksize=64)
        return {_printable(rel): d for rel, d in zip(rels, digests)}


# --------------------------------------------------------------------------- the site to publish


def check_site(site_dir: str | os.PathLike) -> Manifest:
    """Returns the site's manifest once the site is a strict gongkai build whose files all match it."""
    root = Path(site_dir)
    if not root.is_dir():
        raise PublishError(f"{root}: 站点目录不存在", "先运行 gongkai build --strict,或用 --site 指向已构建的站点目录")
    manifest = read_manifest(root)
    if not manifest.strict:
        raise PublishError(
            f"{manifest.source}: 这个站点不是严格模式构建的(\"strict\": false),不能发布",
            "请用 gongkai build --strict 重新构建:严格模式下任何警告或未通过的审核签名都会使构建失败",
        )
    mismatches = verify_tree(root, manifest)
    if mismatches:
        raise PublishError(
            f"{root}: 站点目录在构建后被改动过,与 manifest.json 不符:\n" + _list_mismatches(mismatches),
            "不要手工修改构建结果;请重新运行 gongkai build --strict 后再发布",
        )
    return manifest


def _list_mismatches(mismatches: Sequence[Mismatch], limit: int = 20) -> str:
    lines = [f"    {m}" for m in mismatches[:limit]]
    if len(mismatches) > limit:
        lines.append(f"    ……另有 {len(mismatches) - limit} 处")
    return "\n".join(lines)


# --------------------------------------------------------------------------- targets


@dataclass
class _State:
    kind: str  # "none" | "link" | "other"
    link: str | None  # what current points to
    releases: list[str]  # complete release directories under releases/
    partials: list[str]  # leftovers of interrupted publishes
    csp: str = ""  # the policy in csp.txt beside current

    @property
    def current(self) -> str | None:
        """Returns the release name current points to, if it points into releases/."""
        if self.kind != "link" or not self.link:
            return None
        link = posixpath.normpath(self.link)
        parent, name = posixpath.split(link)
        if parent == RELEASES or posixpath.basename(parent) == RELEASES:
            return name
        return None


def _child_setup() -> None:
    """Runs in each child before exec: it dies with us, so no rsync or ssh outlives an interrupted publish."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _run(argv: Sequence[str], *, input: bytes | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            list(argv), input=input, capture_output=True, timeout=timeout, preexec_fn=_child_setup, check=False
        )
    except FileNotFoundError:
        raise PublishError(f"找不到程序 {argv[0]}", f"请安装 {argv[0]}(Debian/Ubuntu: apt install {_PACKAGE_OF.get(argv[0], argv[0])})") from None


_PACKAGE_OF = {"rsync": "rsync", "ssh": "openssh-client"}


def _rsync_error(proc: subprocess.CompletedProcess, where: str) -> PublishError:
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    hints = {
        12: "rsync 通信中断;确认服务器上安装了 rsync,且网络稳定",
        23: "部分文件无法传输;检查目标目录的权限和磁盘空间",
        255: "无法通过 SSH 连接服务器;检查主机名、用户名、端口(-p)、密钥(-i)和 known_hosts",
    }
    hint = hints.get(proc.returncode, "检查目标目录的权限、磁盘空间和网络后重试;live 站点(current)未受影响")
    return PublishError(f"上传到 {where} 失败(rsync 退出码 {proc.returncode}):{stderr[-800:]}", hint)


class _Target:
    """One place releases live in. Subclasses: a local directory, or a directory on an SSH host."""

    display: str

    def upload_argv(self, site_dir: Path, dest_rel: str, link_dest: str | None, extra: Sequence[str]) -> list[str]:
        argv = ["rsync", "-rp", "--checksum", "--chmod=D755,F644", "--quiet"]
        if link_dest:
            # Relative to the destination directory: unchanged files become hard links to the live release.
            argv.append(f"--link-dest=../{link_dest}")
        argv.extend(extra)
        argv.extend(self.rsync_transport())
        argv.extend(["--", f"{site_dir}/", self.rsync_dest(dest_rel) + "/"])
        return argv

    def upload(self, site_dir: Path, dest_rel: str, link_dest: str | None, extra: Sequence[str]) -> None:
        proc = _run(self.upload_argv(site_dir, dest_rel, link_dest, extra))
        if proc.returncode != 0:
            raise _rsync_error(proc, self.display)

    @contextmanager
    def session(self) -> Iterator[None]:
        """Keeps one connection open for the commands of one operation (a no-op for a local directory)."""
        yield

    # Implemented by subclasses.
    def rsync_transport(self) -> list[str]: ...
    def rsync_dest(self, rel: str) -> str: ...
    def lock(self, purpose: str, *, create: bool = True) -> Iterator[None]: ...
    def state(self, *, cleanup: bool = False) -> _State: ...
    def hash_tree(self, rel: str) -> tuple[dict[str, str], dict[str, str]]: ...
    def snapshot(self, rel: str, *, hashes: bool = True) -> tuple[bytes | None, dict[str, str], dict[str, str]]: ...
    def read_bytes(self, rel: str) -> bytes | None: ...
    def write_texts(self, texts: Mapping[str, str]) -> None: ...
    def finish(self, name: str) -> None: ...
    def switch(self, name: str, on_stage: Callable[[str], None]) -> None: ...
    def remove_releases(self, names: Sequence[str]) -> None: ...


def _lock_info(purpose: str) -> str:
    when = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    return f"{socket.gethostname()} 上的进程 {os.getpid()} 于 {when} 开始{purpose}"


def _busy(display: str, info: str) -> LockBusy:
    info = info.strip() or "未知进程"
    return LockBusy(
        f"{display} 正在被另一个发布或回滚使用({info})",
        "等它结束后再试。锁由操作系统随进程一起释放,进程结束(哪怕是被强行中断)后即可重试,不需要手工删除任何文件",
    )


class _LocalTarget(_Target):
    def __init__(self, path: str):
        self.root = Path(path)
        self.display = str(path)

    def rsync_transport(self) -> list[str]:
        return []

    def rsync_dest(self, rel: str) -> str:
        return str(self.root / rel)

    @contextmanager
    def lock(self, purpose: str, *, create: bool = True) -> Iterator[None]:
        if create:
            (self.root / RELEASES).mkdir(parents=True, exist_ok=True)
        elif not self.root.is_dir():
            raise PublishError(f"{self.display}: 目录不存在", "检查目标路径是否写对")
        fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _busy(self.display, os.pread(fd, 4096, 0).decode("utf-8", "replace")) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, (_lock_info(purpose) + "\n").encode("utf-8"), 0)
            yield
        finally:
            os.close(fd)

    def state(self, *, cleanup: bool = False) -> _State:
        if not self.root.is_dir():
            raise PublishError(f"{self.display}: 目录不存在或无权访问", "检查目标路径是否写对")
        current = self.root / CURRENT
        if current.is_symlink():
            kind, link = "link", os.readlink(current)
        elif current.exists():
            kind, link = "other", None
        else:
            kind, link = "none", None
        releases, partials = [], []
        rel_dir = self.root / RELEASES
        if rel_dir.is_dir():
            for entry in os.scandir(rel_dir):
                if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                    continue
                (partials if entry.name.endswith(PARTIAL) else releases).append(entry.name)
        if cleanup and self.root.is_dir():
            for entry in os.scandir(self.root):
                if entry.name.startswith(TMP_LINK_PREFIX) and entry.is_symlink():
                    os.unlink(entry.path)
        csp = self.read_bytes(CSP_FILES[0]) or b""
        return _State(kind, link, sorted(releases, key=_release_key), sorted(partials), csp.decode("utf-8", "replace"))

    def hash_tree(self, rel: str) -> tuple[dict[str, str], dict[str, str]]:
        root = self.root / rel if rel else self.root
        files, others = _scan(root)
        return _hash_files(root, files), others

    def snapshot(self, rel: str, *, hashes: bool = True) -> tuple[bytes | None, dict[str, str], dict[str, str]]:
        raw = self.read_bytes(posixpath.join(rel, MANIFEST_NAME) if rel else MANIFEST_NAME)
        if not hashes:
            return raw, {}, {}
        return (raw, *self.hash_tree(rel))

    def read_bytes(self, rel: str) -> bytes | None:
        try:
            return (self.root / rel).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def write_texts(self, texts: Mapping[str, str]) -> None:
        for name, text in texts.items():
            tmp = self.root / f".{name}.{os.getpid()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.root / name)

    def finish(self, name: str) -> None:
        os.rename(self.root / RELEASES / (name + PARTIAL), self.root / RELEASES / name)
        _fsync_dir(self.root / RELEASES)

    def switch(self, name: str, on_stage: Callable[[str], None]) -> None:
        if not (self.root / RELEASES / name).is_dir():
            raise PublishError(f"{self.display}: 版本 {name} 不存在")
        tmp = self.root / f"{TMP_LINK_PREFIX}{os.getpid()}"
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(f"{RELEASES}/{name}", tmp)
        on_stage("linked")
        os.replace(tmp, self.root / CURRENT)
        _fsync_dir(self.root)

    def remove_releases(self, names: Sequence[str]) -> None:
        live = self.state().current
        for name in names:
            if name == live or "/" in name or name in ("", ".", ".."):
                continue
            shutil.rmtree(self.root / RELEASES / name, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _SshTarget(_Target):
    def __init__(self, host: str, path: str, ssh_options: Sequence[str]):
        self.host = host
        self.path = path
        self.display = f"{host}:{path}"
        # What the user gives comes first: for -o options ssh keeps the first value it sees.
        self.base_ssh = [
            "ssh",
            *ssh_options,
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=20",
            "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=4",
        ]
        self.ssh = self.base_ssh
        self._multiplex = not any("control" in o.lower() for o in ssh_options)
        if path in ("~", "~/"):
            self.rel = "."
        elif path.startswith("~/"):
            # ssh and the rsync server both start in the login directory: a relative path means the same to both.
            self.rel = path[2:]
        else:
            self.rel = path
        self.q = shlex.quote(self.rel)

    def rsync_transport(self) -> list[str]:
        return ["-e", shlex.join(self.ssh)]

    @contextmanager
    def session(self) -> Iterator[None]:
        # One SSH connection (ControlMaster) carries every command, the lock and rsync of one operation:
        # one handshake instead of a dozen. It dies with us; commands then fail or reconnect on their own.
        if not self._multiplex or self.ssh is not self.base_ssh:
            yield
            return
        folder = tempfile.mkdtemp(prefix="gongkai-ssh-")
        socket_path = os.path.join(folder, "m")
        control = ["-o", f"ControlPath={socket_path}"]
        try:
            master = subprocess.Popen(
                [*self.base_ssh, *control, "-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-N", "--", self.host],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                preexec_fn=_child_setup,
            )
        except FileNotFoundError:
            shutil.rmtree(folder, ignore_errors=True)
            raise PublishError("找不到程序 ssh", "请安装 openssh-client") from None
        try:
            deadline = time.monotonic() + 90
            while not os.path.exists(socket_path):
                if master.poll() is not None:
                    raise self._error(master.returncode, master.stderr.read() or b"", "连接")
                if time.monotonic() > deadline:
                    raise PublishError(f"连接 {self.host} 超时", "检查网络和 SSH 端口")
                time.sleep(0.02)
            self.ssh = [*self.base_ssh, *control, "-o", "ControlMaster=no"]
            yield
        finally:
            self.ssh = self.base_ssh
            if master.poll() is None:
                master.terminate()
            try:
                master.wait(timeout=10)
            except subprocess.TimeoutExpired:
                master.kill()
                master.wait()
            master.stderr.close()
            shutil.rmtree(folder, ignore_errors=True)

    def rsync_dest(self, rel: str) -> str:
        return f"{self.host}:{posixpath.join(self.rel, rel)}"

    def _sh_argv(self, script: str) -> list[str]:
        return [*self.ssh, "--", self.host, "sh -c " + shlex.quote(script)]

    def sh(self, script: str, *, input: bytes | None = None, what: str = "") -> bytes:
        proc = _run(self._sh_argv(script), input=input)
        if proc.returncode != 0:
            raise self._error(proc.returncode, proc.stderr, what)
        return proc.stdout

    def _error(self, code: int, stderr: bytes, what: str) -> PublishError:
        text = stderr.decode("utf-8", "replace").strip()[-600:]
        if code == 255:
            return PublishError(
                f"无法通过 SSH 连接 {self.host}:{text}",
                "检查主机名、用户名、端口和密钥:可用 GONGKAI_SSH 环境变量或 --ssh-option 传给 ssh,"
                "例如 --ssh-option '-p 2222' --ssh-option '-i ~/.ssh/gongkai';首次连接前先手工 ssh 一次确认主机指纹",
            )
        if code == 90:
            return PublishError(f"{self.display}: 目录不存在或无权访问", "检查目标路径是否写对,以及登录用户对它的权限")
        if code == 91:
            return PublishError(
                f"{self.host} 上缺少必需的命令({text})",
                "服务器需要 GNU coreutils(sha256sum、mv -T)、findutils、util-linux(flock)和 rsync",
            )
        return PublishError(f"{self.display}: {what or '远程命令'}失败(退出码 {code}):{text}", "检查服务器磁盘空间和目录权限后重试")

    @contextmanager
    def lock(self, purpose: str, *, create: bool = True) -> Iterator[None]:
        # flock(1) held by a remote shell whose stdin is our pipe: when this process ends, however it
        # ends, ssh sees EOF, the remote `cat` returns and the kernel releases the lock. No stale locks.
        prepare = f"mkdir -p -- {self.q}/{RELEASES} || exit 90" if create else f"[ -d {self.q} ] || exit 90"
        script = (
            f"{prepare}\n"
            f"cd -- {self.q} || exit 90\n"
            "command -v flock >/dev/null 2>&1 || { echo 'flock: not found' >&2; exit 91; }\n"
            f"exec 9>>{LOCK_NAME} || exit 92\n"
            f"if ! flock -n 9; then echo GONGKAI-BUSY; cat {LOCK_NAME}; exit 75; fi\n"
            f"printf '%s\\n' {shlex.quote(_lock_info(purpose))} > {LOCK_NAME}\n"
            "echo GONGKAI-LOCKED\n"
            "exec cat >/dev/null\n"
        )
        try:
            proc = subprocess.Popen(
                self._sh_argv(script),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                preexec_fn=_child_setup,
            )
        except FileNotFoundError:
            raise PublishError("找不到程序 ssh", "请安装 openssh-client") from None
        self._lock_proc = proc
        try:
            first = _read_line(proc.stdout, timeout=90)
            if first != b"GONGKAI-LOCKED":
                rest = proc.stdout.read() if proc.poll() is not None or first == b"GONGKAI-BUSY" else b""
                code = proc.wait(timeout=30)
                if first == b"GONGKAI-BUSY":
                    raise _busy(self.display, rest.decode("utf-8", "replace"))
                raise self._error(code, proc.stderr.read() or b"", "加锁")
            yield
        finally:
            self._lock_proc = None
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                stream.close()

    def ensure_locked(self) -> None:
        proc = getattr(self, "_lock_proc", None)
        if proc is not None and proc.poll() is not None:
            raise PublishError(
                f"与 {self.host} 的加锁连接已断开,为安全起见没有切换 current",
                "检查网络后重新发布;live 站点未受影响",
            )

    def state(self, *, cleanup: bool = False) -> _State:
        clean = f"rm -f -- {TMP_LINK_PREFIX}* 2>/dev/null\n" if cleanup else ""
        script = (
            f"cd -- {self.q} || exit 90\n"
            f"{clean}"
            f"if [ -L {CURRENT} ]; then printf 'LINK\\t%s\\n' \"$(readlink {CURRENT})\";"
            f" elif [ -e {CURRENT} ]; then echo OTHER; else echo NONE; fi\n"
            f"for d in {RELEASES}/*; do"
            f" if [ -d \"$d\" ] && [ ! -L \"$d\" ]; then printf 'DIR\\t%s\\n' \"${{d#{RELEASES}/}}\"; fi; done\n"
            f"if [ -f {CSP_FILES[0]} ]; then printf 'CSP\\t%s\\n' \"$(head -c 65536 {CSP_FILES[0]} | tr -d '\\n')\"; fi\n"
        )
        out = self.sh(script, what="读取发布状态").decode("utf-8", "surrogateescape")
        kind, link, releases, partials, csp = "none", None, [], [], ""
        for line in out.splitlines():
            tag, _, value = line.partition("\t")
            if tag == "LINK":
                kind, link = "link", value
            elif tag == "OTHER":
                kind = "other"
            elif tag == "DIR":
                (partials if value.endswith(PARTIAL) else releases).append(value)
            elif tag == "CSP":
                csp = value
        return _State(kind, link, sorted(releases, key=_release_key), sorted(partials), csp)

    def hash_tree(self, rel: str) -> tuple[dict[str, str], dict[str, str]]:
        return self.snapshot(rel, manifest=False)[1:]

    def snapshot(self, rel: str, *, hashes: bool = True, manifest: bool = True) -> tuple[bytes | None, dict[str, str], dict[str, str]]:
        # One round trip: the manifest's bytes (length-prefixed), then sha256sum of every file.
        where = posixpath.join(self.rel, rel) if rel else self.rel
        script = f"cd -- {shlex.quote(where)} || exit 90\n"
        if manifest:
            script += (
                f"if [ -f {MANIFEST_NAME} ]; then printf 'M%s\\n' \"$(wc -c < {MANIFEST_NAME})\"; cat {MANIFEST_NAME};"
                " else echo N; fi\n"
            )
        if hashes:
            script += (
                "command -v sha256sum >/dev/null 2>&1 || { echo 'sha256sum: not found' >&2; exit 91; }\n"
                "find . -type f -exec sha256sum -- {} + || exit 92\n"
                "printf '%s\\n' --gongkai-others--\n"
                "find . ! -type d ! -type f -printf '%y\\t%P\\0'\n"
            )
        out = self.sh(script, what="计算远程文件的 SHA-256")
        raw = None
        if manifest:
            first, _, out = out.partition(b"\n")
            if first.startswith(b"M") and first[1:].strip().isdigit():
                size = int(first[1:])
                raw, out = out[:size], out[size:]
        if not hashes:
            return raw, {}, {}
        head, sep, tail = out.partition(b"--gongkai-others--\n")
        if not sep:
            raise PublishError(f"{self.display}: 无法解析远程 sha256sum 的输出")
        return raw, _parse_sha256sum(head), _parse_others(tail)

    def read_bytes(self, rel: str) -> bytes | None:
        script = f"cd -- {self.q} || exit 90\nif [ -f {shlex.quote(rel)} ]; then cat -- {shlex.quote(rel)}; else exit 44; fi\n"
        proc = _run(self._sh_argv(script))
        if proc.returncode == 44:
            return None
        if proc.returncode != 0:
            raise self._error(proc.returncode, proc.stderr, f"读取 {rel} ")
        return proc.stdout

    def write_texts(self, texts: Mapping[str, str]) -> None:
        lines = [f"cd -- {self.q} || exit 90", "umask 022"]
        for name, text in texts.items():
            lines.append(f"printf '%s' {shlex.quote(text)} > .{name}.$$.tmp && mv -f -- .{name}.$$.tmp {name} || exit 93")
        self.sh("\n".join(lines) + "\n", what="写入 CSP 配置")

    def finish(self, name: str) -> None:
        self.sh(
            f"cd -- {self.q}/{RELEASES} || exit 90\nmv -T -- {name}{PARTIAL} {name} || exit 93\n",
            what="确认上传的版本",
        )

    def switch(self, name: str, on_stage: Callable[[str], None]) -> None:
        self.ensure_locked()
        # ln -s + mv -T is rename(2) of a new symlink over the old one: readers see the old site or the new one.
        script = (
            f"cd -- {self.q} || exit 90\n"
            f"[ -d {RELEASES}/{name} ] && [ ! -L {RELEASES}/{name} ] || exit 94\n"
            f"tmp={TMP_LINK_PREFIX}$$\n"
            "rm -f -- \"$tmp\"\n"
            f"ln -s -- {RELEASES}/{name} \"$tmp\" || exit 95\n"
            f"mv -T -- \"$tmp\" {CURRENT} || {{ rm -f -- \"$tmp\"; exit 96; }}\n"
        )
        self.sh(script, what="切换 current")

    def remove_releases(self, names: Sequence[str]) -> None:
        safe = [n for n in names if n and "/" not in n and n not in (".", "..")]
        if not safe:
            return
        script = (
            f"cd -- {self.q} || exit 90\n"
            f"live=$(readlink {CURRENT} 2>/dev/null)\n"
            f"for n in {' '.join(shlex.quote(n) for n in safe)}; do\n"
            f"  [ \"$live\" = \"{RELEASES}/$n\" ] && continue\n"
            f"  rm -rf -- \"{RELEASES}/$n\" 2>/dev/null || true\n"
            "done\n"
        )
        self.sh(script, what="清理旧版本")


def _read_line(stream, timeout: float) -> bytes:
    """Returns the first line a child writes (without newline), or what came before EOF or the timeout."""
    data = b""
    fd = stream.fileno()
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        chunk = os.read(fd, 1)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\n")


def _parse_sha256sum(out: bytes) -> dict[str, str]:
    """Returns {path: sha256} from GNU sha256sum lines (``\\``-escaped names when they hold ``\\`` or newline)."""
    digests: dict[str, str] = {}
    for raw in out.split(b"\n"):
        if not raw:
            continue
        escaped = raw.startswith(b"\\")
        if escaped:
            raw = raw[1:]
        digest, name = raw[:64].decode("ascii"), raw[66:]
        if escaped:
            name = re.sub(rb"\\(.)", lambda m: {b"n": b"\n", b"r": b"\r", b"\\": b"\\"}.get(m.group(1), m.group(1)), name)
        rel = name.decode("utf-8", "surrogateescape")
        if rel.startswith("./"):
            rel = rel[2:]
        digests[_printable(rel)] = digest
    return digests


def _parse_others(out: bytes) -> dict[str, str]:
    others: dict[str, str] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        kind, _, name = record.partition(b"\t")
        others[_printable(name.decode("utf-8", "surrogateescape"))] = "symlink" if kind == b"l" else "special"
    return others


def _open_target(target: str, ssh_options: Sequence[str] = ()) -> _Target:
    """Returns the local or SSH target named by ``target``; a malformed one raises UsageError."""
    if not target:
        raise UsageError("没有给出发布目标", "例如 gongkai publish /srv/gongkai 或 gongkai publish deploy@web01:/srv/gongkai")
    match = _REMOTE_RE.match(target)
    if match and not os.path.exists(target):
        host, path = match.group("host"), match.group("path")
        if host.startswith("-") or host.endswith("@") or host.startswith("@"):
            raise UsageError(f"发布目标 {target} 的主机名不合法", "格式为 用户@主机:/目录,例如 deploy@10.0.0.5:/srv/gongkai")
        if not path:
            raise UsageError(f"发布目标 {target} 没有写服务器上的目录", "例如 deploy@web01:/srv/gongkai")
        if not _REMOTE_PATH_RE.match(path):
            raise UsageError(f"服务器上的目录 {path!r} 含有空格或特殊字符", "请换用只含字母、数字、汉字和 ./_- 的目录")
        env = shlex.split(os.environ.get("GONGKAI_SSH", ""))
        return _SshTarget(host, path.rstrip("/") or "/", [*ssh_options, *env])
    return _LocalTarget(target)


# --------------------------------------------------------------------------- releases


def _release_key(name: str) -> tuple:
    match = RELEASE_RE.match(name)
    if not match:
        return (1, name, 0)
    return (0, match.group("ts"), int(match.group("seq") or 1), name)


def _short_commit(commit: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", commit)[:7] or "nocommit"


def _new_release_name(commit: str, existing: Iterable[str], now: datetime | None = None) -> str:
    ts = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    same_second = [m for m in map(RELEASE_RE.match, (e.removesuffix(PARTIAL) for e in existing)) if m and m.group("ts") == ts]
    name = f"{ts}-{_short_commit(commit)}"
    if same_second:
        name += f"-{max(int(m.group('seq') or 1) for m in same_second) + 1}"
    return name


def prune_plan(releases: Iterable[str], live: str | None, keep: int) -> list[str]:
    """Returns the releases to delete: all but the newest ``keep``, never the live one, never a hand-named one."""
    ours = sorted((r for r in releases if RELEASE_RE.match(r)), key=_release_key)
    kept = set(ours[-keep:]) if keep > 0 else set()
    return [r for r in ours if r not in kept and r != live]


def _noop(stage: str) -> None:
    pass


def publish(
    target: str,
    site_dir: str | os.PathLike,
    *,
    keep: int = DEFAULT_KEEP,
    ssh_options: Sequence[str] = (),
    rsync_options: Sequence[str] | None = None,
    _on_stage: Callable[[str], None] = _noop,
) -> Release:
    """Returns the release now live on ``target`` after uploading, verifying and atomically switching to ``site_dir``.

    ``rsync_options`` (default: the words of $GONGKAI_RSYNC) are passed to rsync, e.g. ``--bwlimit=2000``.
    ``_on_stage`` is called between the steps (tests use it to interrupt a publish at every point).
    """
    if not isinstance(keep, int) or keep < 1:
        raise UsageError(f"--keep 必须是不小于 1 的整数(收到 {keep!r})", "例如 --keep 5 保留最近 5 个版本")
    site = Path(site_dir)
    dest = _open_target(target, ssh_options)
    manifest = check_site(site)
    script_hashes = inline_script_hashes(site)
    if rsync_options is None:
        rsync_options = shlex.split(os.environ.get("GONGKAI_RSYNC", ""))
    expected = {**manifest.files, MANIFEST_NAME: manifest.digest}

    with dest.session(), dest.lock("发布"):
        _on_stage("locked")
        state = dest.state(cleanup=True)
        if state.kind == "other":
            raise _current_not_a_link(dest)
        if state.partials:
            dest.remove_releases(state.partials)
        previous = state.current
        link_dest = previous if previous in state.releases else None
        name = _new_release_name(manifest.commit, state.releases + state.partials)
        partial = f"{RELEASES}/{name}{PARTIAL}"
        _on_stage("prepared")
        try:
            dest.upload(site, partial, link_dest, rsync_options)
            _on_stage("uploaded")
            files, others = dest.hash_tree(partial)
            mismatches = compare(expected, files, others)
            if mismatches:
                raise PublishError(
                    f"上传到 {dest.display} 的文件与 manifest.json 不符,已放弃这次发布,current 未改变:\n"
                    + _list_mismatches(mismatches),
                    "检查服务器磁盘空间和目录权限后重新发布",
                )
            _on_stage("verified")
            dest.finish(name)
        except BaseException:
            _best_effort(dest.remove_releases, [name + PARTIAL])
            raise
        _on_stage("finished")
        csp_changed = _update_csp(dest, script_hashes, state.csp)
        _on_stage("csp")
        dest.switch(name, _on_stage)
        _on_stage("switched")
        removed = prune_plan(state.releases + [name], name, keep)
        if removed:
            dest.remove_releases(removed)
        _on_stage("pruned")
    return Release(
        target=dest.display,
        name=name,
        commit=manifest.commit,
        built_at=manifest.built_at,
        files=len(manifest.files),
        previous=previous,
        removed=tuple(removed),
        csp_changed=csp_changed,
    )


def _best_effort(func, *args) -> None:
    try:
        func(*args)
    except Exception:  # the original error matters more than a failed cleanup
        pass


def _current_not_a_link(dest: _Target) -> PublishError:
    return PublishError(
        f"{dest.display}/{CURRENT} 是普通目录或文件,不是 gongkai 管理的符号链接(可能是手工部署的旧站点)",
        f"先把它改名保存(例如 mv {CURRENT} {CURRENT}.old),再发布;发布后把网站根目录指向 {CURRENT}",
    )


def _live(dest: _Target, state: _State) -> str:
    if state.kind == "none":
        raise PublishError(f"{dest.display}: 还没有 {CURRENT},尚未用 gongkai 发布过", "检查目标路径是否写对,或先运行 gongkai publish")
    if state.kind == "other":
        raise _current_not_a_link(dest)
    if state.current is None:
        raise PublishError(
            f"{dest.display}/{CURRENT} 指向 {state.link},不在 {RELEASES}/ 之下",
            f"用 gongkai rollback --to 版本名 把它指回 {RELEASES}/ 中的版本",
        )
    return state.current


def _check_tree(dest: _Target, rel: str, trusted: Manifest | None = None) -> tuple[Manifest, list[Mismatch]]:
    """Returns the manifest of the tree at ``rel`` and its mismatches (against ``trusted`` when given)."""
    raw, files, others = dest.snapshot(rel)
    where = posixpath.join(rel, MANIFEST_NAME)
    manifest = trusted
    if manifest is None:
        if raw is None:
            raise PublishError(f"{dest.display}/{where} 不存在", "清单被删除,应视为篡改:请重新发布,或回滚到其他版本")
        manifest = parse_manifest(raw, f"{dest.display}/{where}")
    expected = dict(manifest.files)
    if trusted is not None:
        expected[MANIFEST_NAME] = trusted.digest
    else:
        files.pop(MANIFEST_NAME, None)
    return manifest, compare(expected, files, others)


def verify(target: str, *, manifest: str | os.PathLike | None = None, ssh_options: Sequence[str] = ()) -> list[Mismatch]:
    """Returns every file of the live release on ``target`` that differs from its manifest (empty: intact)."""
    return verify_target(target, manifest=manifest, ssh_options=ssh_options).mismatches


def verify_target(target: str, *, manifest: str | os.PathLike | None = None, ssh_options: Sequence[str] = ()) -> VerifyResult:
    """Returns what ``verify`` checked on ``target`` and what it found.

    ``manifest`` is a trusted copy of manifest.json kept off the server (e.g. from the build machine):
    with it, an attacker who rewrote the server's manifest too is still caught.
    """
    dest = _open_target(target, ssh_options)
    trusted = read_manifest(manifest) if manifest else None
    with dest.session():
        return _verify(dest, trusted)


def _verify(dest: _Target, trusted: Manifest | None) -> VerifyResult:
    state = dest.state()
    if state.kind == "none":
        # Perhaps a site unpacked from `gongkai package` straight into a document root.
        raw, _, _ = dest.snapshot("", hashes=False)
        if raw is None:
            _live(dest, state)  # raises: nothing published here
        found, mismatches = _check_tree(dest, "", trusted)
        return VerifyResult(dest.display, None, found, len(found.files), mismatches)
    name = _live(dest, state)
    if name not in state.releases:
        raise PublishError(
            f"{dest.display}/{CURRENT} 指向的版本 {name} 不存在",
            "live 站点已损坏:请立即重新发布,或用 gongkai rollback --to 指定现存的版本",
        )
    found, mismatches = _check_tree(dest, f"{RELEASES}/{name}", trusted)
    return VerifyResult(dest.display, name, found, len(found.files), mismatches)


def rollback(target: str, to: str | None = None, *, ssh_options: Sequence[str] = ()) -> Release:
    """Returns the release made live again: the one before the live release, or the one named ``to``."""
    dest = _open_target(target, ssh_options)
    with dest.session():
        return _rollback(dest, to)


def _rollback(dest: _Target, to: str | None) -> Release:
    with dest.lock("回滚", create=False):
        state = dest.state(cleanup=True)
        live = _live(dest, state)
        if to:
            name = posixpath.basename(to.rstrip("/"))
            if name not in state.releases:
                raise PublishError(
                    f"{dest.display} 上没有名为 {name} 的版本",
                    "现有版本:" + (", ".join(state.releases) or "(无)"),
                )
            if name == live:
                raise PublishError(f"{name} 已经是当前版本,无需回滚")
        else:
            older = [r for r in state.releases if RELEASE_RE.match(r) and _release_key(r) < _release_key(live)]
            if not older:
                raise PublishError(
                    f"{dest.display}: 没有比当前版本 {live} 更早的版本可以回滚",
                    "用 --to 指定版本,或重新发布正确的站点",
                )
            name = older[-1]
        manifest, mismatches = _check_tree(dest, f"{RELEASES}/{name}")
        if mismatches:
            raise PublishError(
                f"版本 {name} 的文件与它的 manifest.json 不符,拒绝回滚到它:\n" + _list_mismatches(mismatches),
                "各版本间相同的文件以硬链接共享,篡改可能波及旧版本;请从构建机重新发布(gongkai publish),"
                "或用 --to 选择其他版本",
            )
        dest.switch(name, _noop)
    return Release(
        target=dest.display,
        name=name,
        commit=manifest.commit,
        built_at=manifest.built_at,
        files=len(manifest.files),
        previous=live,
    )


# --------------------------------------------------------------------------- Content-Security-Policy

_SCRIPT_RE = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_SRC_ATTR = re.compile(rb"(?:^|\s)src\s*=", re.I)
_TYPE_ATTR = re.compile(rb"(?:^|\s)type\s*=\s*[\"']?([^\"'\s>]+)", re.I)
_JS_TYPES = {b"", b"module", b"text/javascript", b"application/javascript", b"application/ecmascript", b"text/ecmascript"}
_HASH_SOURCE = re.compile(r"'(sha256-[A-Za-z0-9+/]+=*)'")


def inline_script_hashes(site_dir: str | os.PathLike) -> list[str]:
    """Returns the CSP hash sources (``sha256-…``) of every inline script in the site's HTML, sorted."""
    root = Path(site_dir)
    found: set[str] = set()
    files, _ = _scan(root)
    for rel in files:
        if not rel.endswith((".html", ".htm")):
            continue
        data = (root / rel).read_bytes()
        if b"<script" not in data.lower():
            continue
        for match in _SCRIPT_RE.finditer(data):
            attrs, body = match.group(1), match.group(2)
            if _SRC_ATTR.search(attrs):
                continue
            kind = _TYPE_ATTR.search(attrs)
            if kind and kind.group(1).lower() not in _JS_TYPES:
                continue  # data blocks such as Material's <script type="application/json"> never execute
            # The HTML parser turns CR and CRLF into LF before the browser hashes the script text.
            body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            found.add("sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii"))
    return sorted(found)


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """Returns the Content-Security-Policy header value for a gongkai site with these inline-script hashes.

    Scripts run only from the site itself or when their exact text is hashed here; Pagefind's
    WebAssembly needs 'wasm-unsafe-eval'. Inline *styles* stay allowed: Markdown tables write
    style="text-align:…" attributes, and a style cannot run code.
    """
    hashes = " ".join(f"'{h}'" for h in sorted(set(script_hashes)))
    script_src = "script-src 'self' 'wasm-unsafe-eval'" + (f" {hashes}" if hashes else "")
    return "; ".join(
        [
            "default-src 'self'",
            script_src,
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "media-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def csp_config_texts(policy: str) -> dict[str, str]:
    """Returns {file name: text} of the CSP snippets written beside ``current`` for nginx and Apache to include."""
    note = "由 gongkai publish 生成,每次发布更新;请勿手工修改。内容改变后需重载 Web 服务器才生效。"
    escaped = policy.replace("\\", "\\\\").replace('"', '\\"')
    return {
        "csp.txt": policy + "\n",
        "csp-nginx.conf": f"# {note}\nadd_header Content-Security-Policy \"{escaped}\" always;\n",
        "csp-apache.conf": f"# {note}\nHeader always set Content-Security-Policy \"{escaped}\"\n",
    }


def _update_csp(dest: _Target, script_hashes: Sequence[str], old: str) -> bool:
    """Returns whether the policy on the target changed (the web server must then be reloaded).

    The policy allows the union of the new release's inline scripts and those already allowed, so
    that the kept releases keep working after a rollback.
    """
    hashes = set(script_hashes) | set(_HASH_SOURCE.findall(old))
    texts = csp_config_texts(content_security_policy(hashes))
    dest.write_texts(texts)
    return old.strip() != texts["csp.txt"].strip()


# --------------------------------------------------------------------------- packages


def _epoch(built_at: str) -> int:
    try:
        moment = datetime.fromisoformat(built_at.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0, int(moment.timestamp()))


class _HashingReader(io.RawIOBase):
    def __init__(self, f):
        self.f = f
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.f.readinto(buffer)
        if n:
            self.sha.update(memoryview(buffer)[:n])
        return n


def package(site_dir: str | os.PathLike, out_path: str | os.PathLike) -> Path:
    """Returns the path of a reproducible archive (.tar.gz, or .zip) of the site and its manifest.json.

    Same site bytes, same archive bytes: entries sorted, times set to the build time, owners and
    permissions fixed, gzip header without name or time.
    """
    site = Path(site_dir)
    manifest = check_site(site)
    out = Path(out_path)
    names = sorted(manifest.files) + [MANIFEST_NAME]
    parents = {posixpath.dirname(n) for n in names} - {""}
    dirs = sorted({"/".join(d.split("/")[: i + 1]) for d in parents for i in range(d.count("/") + 1)})
    entries = sorted([(n, False) for n in names] + [(d, True) for d in dirs], key=lambda e: e[0].split("/"))
    mtime = _epoch(manifest.built_at)
    expected = {**manifest.files, MANIFEST_NAME: manifest.digest}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as raw:
            if out.name.endswith(".zip"):
                _write_zip(raw, site, entries, mtime, expected)
            else:
                _write_tar(raw, site, entries, mtime, expected)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def _changed_while_packing(rel: str) -> PublishError:
    return PublishError(f"{rel}: 打包过程中文件被改动", "请勿在打包时修改站点目录,重新构建后再打包")


def _write_tar(raw, site: Path, entries, mtime: int, expected: Mapping[str, str]) -> None:
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:
            for rel, is_dir in entries:
                info = tarfile.TarInfo(rel)
                info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
                if is_dir:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                    continue
                info.mode = 0o644
                path = site / rel
                info.size = path.stat().st_size
                with open(path, "rb") as f:
                    reader = _HashingReader(f)
                    tar.addfile(info, io.BufferedReader(reader))
                if reader.sha.hexdigest() != expected[rel]:
                    raise _changed_while_packing(rel)


def _write_zip(raw, site: Path, entries, mtime: int, expected: Mapping[str, str]) -> None:
    stamp = datetime.fromtimestamp(max(mtime, 315532800), timezone.utc).timetuple()[:6]
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for rel, is_dir in entries:
            info = zipfile.ZipInfo(rel + "/" if is_dir else rel, date_time=stamp)
            info.create_system = 3  # unix: the permission bits below mean what they say
            info.external_attr = ((0o40755 if is_dir else 0o100644) << 16) | (0x10 if is_dir else 0)
            if is_dir:
                zf.writestr(info, b"")
                continue
            info.compress_type = zipfile.ZIP_DEFLATED
            data = (site / rel).read_bytes()
            if hashlib.sha256(data).hexdigest() != expected[rel]:
                raise _changed_while_packing(rel)
            zf.writestr(info, data)


def verify_archive(path: str | os.PathLike) -> list[Mismatch]:
    """Returns every member of a package that differs from the manifest.json inside it (empty: intact)."""
    return verify_archive_result(path).mismatches


def verify_archive_result(path: str | os.PathLike) -> VerifyResult:
    """Returns what ``verify_archive`` checked and found."""
    archive = Path(path)
    if not archive.is_file():
        raise PublishError(f"{archive}: 文件不存在", "检查包的路径是否写对")
    files: dict[str, str] = {}
    others: dict[str, str] = {}
    manifest_bytes: bytes | None = None

    def member(rel: str, kind: str, stream) -> None:
        nonlocal manifest_bytes
        rel = rel[2:] if rel.startswith("./") else rel
        if not _safe_relpath(rel):
            others[_printable(rel)] = "unsafe"
        elif kind != "file":
            others[rel] = kind
        elif rel == MANIFEST_NAME:
            manifest_bytes = stream.read()
        else:
            digest = hashlib.sha256()
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
            files[rel] = digest.hexdigest()

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    mode = (info.external_attr >> 16) & 0o170000
                    kind = "file" if mode in (0, 0o100000) else ("symlink" if mode == 0o120000 else "special")
                    with zf.open(info) as stream:
                        member(info.filename, kind, stream)
        else:
            with tarfile.open(archive, "r:*") as tar:
                for info in tar:
                    if info.isdir():
                        continue
                    if info.isfile():
                        member(info.name, "file", tar.extractfile(info))
                    else:
                        member(info.name, "symlink" if info.issym() else "special", None)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
        raise PublishError(f"{archive}: 不是完整的 .tar.gz 或 .zip 包({e})", "重新用 gongkai package 生成,或重新下载") from None
    if manifest_bytes is None:
        raise PublishError(f"{archive}: 包里没有 manifest.json", "这不是 gongkai package 生成的包,或清单被删除")
    manifest = parse_manifest(manifest_bytes, f"{archive}:{MANIFEST_NAME}")
    mismatches = compare(manifest.files, files, others)
    return VerifyResult(str(archive), None, manifest, len(manifest.files), mismatches)


# --------------------------------------------------------------------------- command line


def _ssh_words(args) -> list[str]:
    """Returns ssh arguments from repeated --ssh-option values, each split like a shell would ("-p 2222")."""
    words: list[str] = []
    for option in getattr(args, "ssh_option", None) or []:
        words.extend(shlex.split(option))
    return words


def _os_error(e: OSError) -> str:
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}\n  处理办法:检查路径是否存在、磁盘空间和读写权限"


def _fail(message: str) -> None:
    print(message, file=sys.stderr)


def _print_mismatches(result: VerifyResult, where: str) -> None:
    for m in result.mismatches:
        print(f"{where}{m}")


class _CliFailure(Exception):
    """An expected failure of a CLI verb, already printed; carries the exit code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _attempt(label: str, action):
    """Returns ``action()``; prints an expected failure in Chinese and raises _CliFailure."""
    try:
        return action()
    except UsageError as e:
        _fail(f"错误:{e}")
        raise _CliFailure(2) from None
    except GongkaiError as e:
        _fail(f"{label}:{e}")
        raise _CliFailure(1) from None
    except OSError as e:
        _fail(f"{label}:{_os_error(e)}")
        raise _CliFailure(1) from None


def cli_publish(args) -> int:
    """``gongkai publish TARGET [--site DIR] [--keep N] [--ssh-option OPT …]``; returns the exit code."""
    if getattr(args, "site", None) is None:
        _fail("错误:没有要发布的站点目录;请用 --site 指定严格构建出的站点目录")
        return 2
    keep = getattr(args, "keep", None)
    try:
        release = _attempt("发布失败", lambda: publish(
            args.target,
            Path(args.site),
            keep=DEFAULT_KEEP if keep is None else keep,
            ssh_options=_ssh_words(args),
        ))
    except _CliFailure as failure:
        return failure.code
    except KeyboardInterrupt:
        _fail("发布已中断;live 站点(current)没有改变,留下的半成品会在下次发布时清理")
        return 1
    print(f"已发布版本 {release.name} 到 {release.target}:{release.files} 个文件已在服务器上逐一核对 SHA-256")
    print(f"  提交 {release.commit or '(无)'},构建于 {release.built_at}")
    if release.previous:
        print(f"  current 已从 {release.previous} 切换到 {release.name};如需撤回:gongkai rollback {release.target}")
    else:
        print(f"  current → {RELEASES}/{release.name}(首次发布:请把网站根目录指向 {release.target}/{CURRENT})")
    if release.removed:
        print(f"  已清理旧版本:{', '.join(release.removed)}")
    if release.csp_changed:
        print(
            "  注意:内容安全策略(csp-nginx.conf / csp-apache.conf)已更新,"
            "请在服务器上重载 Web 服务器(例如 systemctl reload nginx),否则新页面的脚本可能被浏览器拦截"
        )
    return 0


def cli_verify(args) -> int:
    """``gongkai verify TARGET [--archive] [--manifest FILE]``; returns 0 intact, 1 mismatches or errors."""
    archive = getattr(args, "archive", False)
    try:
        if archive:
            result = _attempt("核对失败", lambda: verify_archive_result(args.target))
        else:
            result = _attempt("核对失败", lambda: verify_target(
                args.target, manifest=getattr(args, "manifest", None), ssh_options=_ssh_words(args)))
    except _CliFailure as failure:
        return failure.code
    if archive:
        what = f"包 {result.target}"
    else:
        what = f"{result.target} 的当前版本 {result.release}" if result.release else f"站点目录 {result.target}"
    built = f"构建于 {result.manifest.built_at},提交 {result.manifest.commit or '(无)'}"
    if not result.mismatches:
        print(f"核对通过:{what}({built})的 {result.checked} 个文件与 manifest.json 完全一致")
        return 0
    print(f"核对不通过:{what}({built})有 {len(result.mismatches)} 处与 manifest.json 不符:")
    _print_mismatches(result, "")
    if getattr(args, "archive", False):
        print("这个包已损坏或被改动,不要上传;请重新运行 gongkai package 生成。")
    else:
        print(
            "若不是本单位发布所致,网站可能遭到篡改:请保留现场、按网站安全应急预案报告,"
            f"并立即重新发布(gongkai publish {result.target})或回滚(gongkai rollback {result.target})。"
        )
    return 1


def cli_rollback(args) -> int:
    """``gongkai rollback TARGET [--to RELEASE]``; returns the exit code."""
    try:
        release = _attempt("回滚失败", lambda: rollback(args.target, getattr(args, "to", None), ssh_options=_ssh_words(args)))
    except _CliFailure as failure:
        return failure.code
    print(f"已回滚:{release.target} 的 current 从 {release.previous} 切换到 {release.name}")
    print(f"  该版本构建于 {release.built_at},提交 {release.commit or '(无)'},{release.files} 个文件已核对无误")
    return 0


def cli_package(args) -> int:
    """``gongkai package [--site DIR] [-o OUT]``; returns the exit code."""
    site = getattr(args, "site", None)
    if site is None:
        _fail("错误:没有要打包的站点目录;请用 --site 指定严格构建出的站点目录")
        return 2
    out = getattr(args, "output", None) or getattr(args, "out", None)

    def make():
        manifest = check_site(site)
        name = out or f"gongkai-site-{datetime.now(timezone.utc):%Y%m%d}-{_short_commit(manifest.commit)}.tar.gz"
        return manifest, package(site, name), content_security_policy(inline_script_hashes(site))

    try:
        manifest, path, policy = _attempt("打包失败", make)
    except _CliFailure as failure:
        return failure.code
    digest = _sha256_file(path)
    print(f"已生成 {path}({len(manifest.files) + 1} 个文件,含 manifest.json)")
    print(f"  包的 SHA-256:{digest}(请随包一并提交,便于平台核对)")
    print(f"  上传前可再次核对:gongkai verify --archive {path}")
    print(f"  请网站群平台为本站配置响应头 Content-Security-Policy: {policy}")
    return 0


__all__ = [
    "Manifest",
    "Mismatch",
    "PublishError",
    "LockBusy",
    "Release",
    "UsageError",
    "VerifyResult",
    "check_site",
    "cli_package",
    "cli_publish",
    "cli_rollback",
    "cli_verify",
    "compare",
    "content_security_policy",
    "csp_config_texts",
    "inline_script_hashes",
    "package",
    "parse_manifest",
    "prune_plan",
    "publish",
    "read_manifest",
    "rollback",
    "verify",
    "verify_archive",
    "verify_archive_result",
    "verify_target",
    "write_manifest",
]
