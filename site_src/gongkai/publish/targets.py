"""Where releases live: a local directory, or a directory on an SSH host (the system's ``ssh`` and
``rsync``), and the layout gongkai keeps there.

A target offers the few operations a publish, verify or rollback needs (lock, read the state,
upload, hash a tree, switch ``current``, remove releases); for an SSH host each is one shell
script run over one multiplexed connection.
"""
from __future__ import annotations

import ctypes
import fcntl
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
import tempfile
import time
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from gongkai.publish.manifest import MANIFEST_NAME, PublishError, UsageError, hash_files, printable, scan_tree

CURRENT = "current"
PREVIOUS = "previous"  # -> the release live before current: its search files stay reachable
RELEASES = "releases"
PARTIAL = ".partial"
LOCK_NAME = ".gongkai.lock"
TMP_LINK_PREFIX = ".gongkai-current."
CSP_FILES = ("csp.txt", "csp-nginx.conf", "csp-apache.conf")

# A release directory: UTC time of the publish, the short commit, and a sequence number when
# several publishes happen within one second (so that name order is publish order).
# \Z, not $: $ also matches before a final newline (a name or digest read from elsewhere).
RELEASE_RE = re.compile(r"^(?P<ts>\d{8}T\d{6}Z)-(?P<commit>[0-9A-Za-z]{1,40})(?:-(?P<seq>\d+))?\Z")
# Characters a remote path may hold: rsync before 3.2.4 and the remote login shell split on
# anything else, and a government server's document root never needs it.
_REMOTE_PATH_RE = re.compile(r"^[\w./~+@%,=-]+\Z")
_REMOTE_RE = re.compile(r"^(?P<host>[^/:\s]+):(?P<path>.*)$")


# What ssh and rsync print when an established connection is lost (not when it cannot be made).
_DROPPED_RE = re.compile(
    r"Broken pipe|Connection reset|closed by remote host|Connection to \S+ closed|Timeout, server \S+ not responding"
    r"|connection unexpectedly closed|Software caused connection abort|client_loop: send disconnect",
    re.I,
)


class LockBusy(PublishError):
    """Another publish or rollback holds the target's lock."""


@dataclass
class State:
    """What a target holds now: what ``current`` is, the releases, the leftovers, the CSP in force."""

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
    dropped = "与服务器的连接在传输中断开(网络中断或服务器重启);live 站点(current)未受影响,网络恢复后重新运行同一条命令即可"
    if proc.returncode == 255 and _DROPPED_RE.search(stderr):
        return PublishError(f"上传到 {where} 时 SSH 连接中断:{stderr[-400:]}", dropped)
    hints = {
        12: "rsync 通信中断:" + dropped + ";若每次都在开始时失败,确认服务器上安装了 rsync",
        30: "传输超时:" + dropped,
        35: "传输超时:" + dropped,
        23: "部分文件无法传输;检查目标目录的权限和磁盘空间",
        255: "无法通过 SSH 连接服务器;检查主机名、用户名、端口(-p)、密钥(-i)和 known_hosts",
    }
    hint = hints.get(proc.returncode, "检查目标目录的权限、磁盘空间和网络后重试;live 站点(current)未受影响")
    return PublishError(f"上传到 {where} 失败(rsync 退出码 {proc.returncode}):{stderr[-800:]}", hint)


def run_rsync(argv: Sequence[str], where: str) -> None:
    """Runs rsync; a failure raises PublishError with the hint for its exit code."""
    proc = _run(argv)
    if proc.returncode != 0:
        raise _rsync_error(proc, where)


class Target(ABC):
    """One place releases live in. Subclasses: a local directory, or a directory on an SSH host."""

    display: str
    q: str  # the target's directory, quoted for the shell scripts run by sh()

    def upload_argv(self, site_dir: Path, dest_rel: str, copy_dest: str | None, extra: Sequence[str]) -> list[str]:
        argv = ["rsync", "-rp", "--checksum", "--chmod=D755,F644", "--quiet"]
        if copy_dest:
            # Relative to the destination directory: unchanged files are copied on the server from the
            # live release instead of sent again. Copied, never hard-linked: no two releases share a file,
            # so a page edited in one release is edited in that one only.
            argv.append(f"--copy-dest=../{copy_dest}")
        argv.extend(extra)
        argv.extend(self.rsync_transport())
        argv.extend(["--", f"{site_dir}/", self.rsync_dest(dest_rel) + "/"])
        return argv

    def upload(self, site_dir: Path, dest_rel: str, copy_dest: str | None, extra: Sequence[str]) -> None:
        run_rsync(self.upload_argv(site_dir, dest_rel, copy_dest, extra), self.display)

    @contextmanager
    def session(self) -> Iterator[None]:
        """Keeps one connection open for the commands of one operation (a no-op for a local directory)."""
        yield

    # Implemented by subclasses.
    @abstractmethod
    def sh(self, script: str, *, input: bytes | None = None, what: str = "") -> bytes: ...
    @abstractmethod
    def rsync_transport(self) -> list[str]: ...
    @abstractmethod
    def rsync_dest(self, rel: str) -> str: ...
    @abstractmethod
    def lock(self, purpose: str, *, create: bool = True) -> AbstractContextManager[None]: ...
    @abstractmethod
    def state(self, *, cleanup: bool = False) -> State: ...
    @abstractmethod
    def hash_tree(self, rel: str) -> tuple[dict[str, str], dict[str, str]]: ...
    @abstractmethod
    def snapshot(self, rel: str, *, hashes: bool = True) -> tuple[bytes | None, dict[str, str], dict[str, str]]: ...
    @abstractmethod
    def read_bytes(self, rel: str) -> bytes | None: ...
    @abstractmethod
    def write_texts(self, texts: Mapping[str, str]) -> None: ...
    @abstractmethod
    def finish(self, name: str) -> None: ...
    @abstractmethod
    def switch(self, name: str, on_stage: Callable[[str], None]) -> None: ...
    @abstractmethod
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


class LocalTarget(Target):
    """A directory on this computer (also the server's own view of an SSH target: the same flock)."""

    def __init__(self, path: str):
        self.root = Path(path)
        self.display = str(path)
        self.q = shlex.quote(str(path))

    def sh(self, script: str, *, input: bytes | None = None, what: str = "") -> bytes:
        proc = _run(["sh", "-c", script], input=input)
        if proc.returncode != 0:
            raise _script_error(self.display, proc.returncode, proc.stderr, what)
        return proc.stdout

    def rsync_transport(self) -> list[str]:
        return []

    def rsync_dest(self, rel: str) -> str:
        return str(self.root / rel)

    @contextmanager
    def lock(self, purpose: str, *, create: bool = True) -> Iterator[None]:
        if create:
            (self.root / RELEASES).mkdir(parents=True, exist_ok=True)
        elif not self.root.is_dir():
            raise not_published(self.display, purpose, exists=False)
        elif not (self.root / RELEASES).is_dir():
            raise not_published(self.display, purpose)
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

    def state(self, *, cleanup: bool = False) -> State:
        if not self.root.is_dir():
            raise PublishError(f"{self.display}: 目录不存在或无权访问", "检查目标路径是否写对")
        current = self.root / CURRENT
        if current.is_symlink():
            kind, link = "link", os.readlink(current)
        elif current.exists():
            kind, link = "other", None
        else:
            kind, link = "none", None
        releases: list[str] = []
        partials: list[str] = []
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
        return State(kind, link, sorted(releases, key=release_key), sorted(partials), csp.decode("utf-8", "replace"))

    def hash_tree(self, rel: str) -> tuple[dict[str, str], dict[str, str]]:
        root = self.root / rel if rel else self.root
        files, others = scan_tree(root)
        return hash_files(root, files), others

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
        _make_read_only(self.root / RELEASES / (name + PARTIAL))
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
            _make_writable(self.root / RELEASES / name)
            shutil.rmtree(self.root / RELEASES / name, ignore_errors=True)


def _make_read_only(root: Path) -> None:
    """Takes the write bits off a release's files and directories (a release is never edited once complete)."""
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & 0o555)
        os.chmod(dirpath, os.stat(dirpath).st_mode & 0o555)


def _make_writable(root: Path) -> None:
    """Gives the owner back write access to a release's directories, so that it can be removed."""
    for dirpath, _dirnames, _filenames in os.walk(root):
        try:
            os.chmod(dirpath, os.stat(dirpath).st_mode | 0o700)
        except OSError:
            pass


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class SshTarget(Target):
    """A directory on an SSH host, driven by shell scripts run with the system's ``ssh``."""

    _lock_proc: subprocess.Popen[bytes] | None  # the ssh holding the lock, while lock() holds it

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
        master_stderr = master.stderr
        assert master_stderr is not None  # stderr=PIPE
        try:
            deadline = time.monotonic() + 90
            while not os.path.exists(socket_path):
                if master.poll() is not None:
                    raise self._error(master.returncode, master_stderr.read() or b"", "连接")
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
            master_stderr.close()
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
        if code != 255 and code != 91:
            return _script_error(self.display, code, stderr, what)
        if code == 255 and _DROPPED_RE.search(text):
            return PublishError(
                f"与 {self.host} 的 SSH 连接在{what or '操作'}时中断:{text}",
                "网络中断、服务器重启或防火墙断开了空闲连接。发布在切换 current 之前中断时线上站点保持原样,"
                "之后中断时新版本已经上线;重新运行同一条命令即可,留下的半成品会自动清理",
            )
        if code == 255:
            return PublishError(
                f"无法通过 SSH 连接 {self.host}:{text}",
                "检查主机名、用户名、端口和密钥:可用 GONGKAI_SSH 环境变量或 --ssh-option 传给 ssh,"
                "例如 --ssh-option '-p 2222' --ssh-option '-i ~/.ssh/gongkai';首次连接前先手工 ssh 一次确认主机指纹",
            )
        return PublishError(
            f"{self.host} 上缺少必需的命令({text})",
            "服务器需要 GNU coreutils(sha256sum、mv -T)、findutils、util-linux(flock)和 rsync",
        )

    @contextmanager
    def lock(self, purpose: str, *, create: bool = True) -> Iterator[None]:
        # flock(1) held by a remote shell whose stdin is our pipe: when this process ends, however it
        # ends, ssh sees EOF, the remote `cat` returns and the kernel releases the lock. No stale locks.
        prepare = (f"mkdir -p -- {self.q}/{RELEASES} || exit 90" if create
                   else f"[ -d {self.q} ] || exit 88\n[ -d {self.q}/{RELEASES} ] || exit 89")
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
        stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr
        assert stdin is not None and stdout is not None and stderr is not None  # all three are PIPEs
        self._lock_proc = proc
        try:
            first = _read_line(stdout, timeout=90)
            if first != b"GONGKAI-LOCKED":
                rest = stdout.read() if proc.poll() is not None or first == b"GONGKAI-BUSY" else b""
                code = proc.wait(timeout=30)
                if first == b"GONGKAI-BUSY":
                    raise _busy(self.display, rest.decode("utf-8", "replace"))
                if code in (88, 89):
                    raise not_published(self.display, purpose, exists=code == 89)
                raise self._error(code, stderr.read() or b"", "加锁")
            yield
        finally:
            self._lock_proc = None
            try:
                stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (stdout, stderr):
                stream.close()

    def ensure_locked(self) -> None:
        proc = getattr(self, "_lock_proc", None)
        if proc is not None and proc.poll() is not None:
            raise PublishError(
                f"与 {self.host} 的加锁连接已断开,为安全起见没有切换 current",
                "检查网络后重新发布;live 站点未受影响",
            )

    def state(self, *, cleanup: bool = False) -> State:
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
        releases: list[str]
        partials: list[str]
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
        return State(kind, link, sorted(releases, key=release_key), sorted(partials), csp)

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
            f"cd -- {self.q}/{RELEASES} || exit 90\nchmod -R a-w -- {name}{PARTIAL} || exit 93\n"
            f"mv -T -- {name}{PARTIAL} {name} || exit 93\n",
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
            f"  chmod -R u+w -- \"{RELEASES}/$n\" 2>/dev/null\n"
            f"  rm -rf -- \"{RELEASES}/$n\" 2>/dev/null || true\n"
            "done\n"
        )
        self.sh(script, what="清理旧版本")


def _script_error(display: str, code: int, stderr: bytes, what: str) -> PublishError:
    text = stderr.decode("utf-8", "replace").strip()[-600:]
    if code == 90:
        return PublishError(f"{display}: 目录不存在或无权访问", "检查目标路径是否写对,以及登录用户对它的权限")
    return PublishError(f"{display}: {what or '远程命令'}失败(退出码 {code}):{text}", "检查服务器磁盘空间和目录权限后重试")


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
        digests[printable(rel)] = digest
    return digests


def _parse_others(out: bytes) -> dict[str, str]:
    others: dict[str, str] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        kind, _, name = record.partition(b"\t")
        others[printable(name.decode("utf-8", "surrogateescape"))] = "symlink" if kind == b"l" else "special"
    return others


def open_target(target: str, ssh_options: Sequence[str] = ()) -> Target:
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
        return SshTarget(host, path.rstrip("/") or "/", [*ssh_options, *env])
    return LocalTarget(target)


def release_key(name: str) -> tuple:
    """Returns the sort key putting releases in publish order (names not made by gongkai last)."""
    match = RELEASE_RE.match(name)
    if not match:
        return (1, name, 0)
    return (0, match.group("ts"), int(match.group("seq") or 1), name)


def not_published(display: str, purpose: str, *, exists: bool = True) -> PublishError:
    """Returns the error for a target gongkai never published to (perhaps a mistyped path), which is not created."""
    what = "这里还没有用 gongkai 发布过(没有 releases/ 目录)" if exists else "目录不存在"
    if purpose == "发布":
        return UsageError(
            f"{display}: {what}",
            "若这是首次发布,请确认路径无误后加 --init(gongkai publish 目标 --init);否则请检查目标路径是否写错",
        )
    return PublishError(f"{display}: {what}", "检查目标路径是否写对")


def current_not_a_link(dest: Target) -> PublishError:
    """Returns the error for a ``current`` that is a directory or file, e.g. an older hand-made deployment."""
    return PublishError(
        f"{dest.display}/{CURRENT} 是普通目录或文件,不是 gongkai 管理的符号链接(可能是手工部署的旧站点)",
        f"先把它改名保存(例如 mv {CURRENT} {CURRENT}.old),再发布;发布后把网站根目录指向 {CURRENT}",
    )


def live_release(dest: Target, state: State) -> str:
    """Returns the name of the release ``current`` points to; raises PublishError when there is none."""
    if state.kind == "none":
        raise PublishError(f"{dest.display}: 还没有 {CURRENT},尚未用 gongkai 发布过", "检查目标路径是否写对,或先运行 gongkai publish")
    if state.kind == "other":
        raise current_not_a_link(dest)
    if state.current is None:
        raise PublishError(
            f"{dest.display}/{CURRENT} 指向 {state.link},不在 {RELEASES}/ 之下",
            f"用 gongkai rollback --to 版本名 把它指回 {RELEASES}/ 中的版本",
        )
    return state.current
