"""Domain errors and collected problems. Nothing here knows MkDocs exists."""
from __future__ import annotations

import errno
from dataclasses import dataclass

from gongkai.escaping import show_invisible

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about one file: printed as ``path:line: message``."""

    path: str
    line: int
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        label = "" if self.severity == ERROR else "警告: "
        where = f"{self.path}:{self.line}" if self.line > 0 else self.path  # line 0: about the file as a whole
        # A bidirectional control in a file name or in quoted text would reorder what the terminal shows.
        return show_invisible(f"{where}: {label}{self.message}")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "severity": self.severity, "message": self.message}


class GongkaiError(Exception):
    """Base of every error gongkai raises on purpose."""


class ContentError(GongkaiError):
    """A problem in a file a user wrote; ``str()`` is ``path:line: message``."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.problem = Problem(path, line, message)


class ConfigError(GongkaiError):
    """A problem in the portal settings (``extra.gongkai``) or the trust file."""

    def __init__(self, message: str, path: str = "mkdocs.yml", line: int = 0):
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")
        self.problem = Problem(path, line, message)


class GateFailure(GongkaiError):
    """The build must stop: classified material or personal data would be published."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(GongkaiError):
    """A bad argument to a command: the CLI prints ``gongkai: message`` and exits with 2."""


_PERMISSION = ("权限不足", "请检查它的读写权限(ls -l),或换一个本账号有权限的位置")
# errno -> (what went wrong, how to fix it): the OS errors people meet writing a site, a package or a ledger.
_OS_ERRORS = {
    errno.EACCES: _PERMISSION,
    errno.EPERM: _PERMISSION,
    errno.ENOENT: ("文件或目录不存在", "请检查路径是否写对,上一级目录是否存在"),
    errno.ENOSPC: ("磁盘空间已满", "请清理磁盘(df -h 查看各分区的剩余空间)后重试"),
    errno.EDQUOT: ("超出了磁盘配额", "请清理本账号的文件,或请管理员调整配额"),
    errno.EROFS: ("所在的文件系统是只读的", "请换一个可写的位置,或请管理员把它重新挂载为可读写"),
    errno.EISDIR: ("这是一个目录,不是文件", "请给出文件的路径"),
    errno.ENOTDIR: ("路径中的某一级不是目录", "请检查路径是否写对"),
    errno.EEXIST: ("已经存在", "请换一个名称,或先移走已有的文件"),
    errno.ENOTEMPTY: ("目录不是空的", "请换一个空目录,或先移走其中的文件"),
    errno.ENAMETOOLONG: ("文件名太长", "请换一个短一些的名称"),
    errno.EMFILE: ("同时打开的文件太多", "请稍后重试,或请管理员调高 ulimit -n"),
    errno.EIO: ("磁盘读写出错", "请检查磁盘是否损坏或已断开"),
    errno.EBUSY: ("正被其他程序占用", "请关闭占用它的程序(如 Excel、WPS)后重试"),
    errno.ETXTBSY: ("正被其他程序占用", "请关闭占用它的程序后重试"),
    errno.ECONNREFUSED: ("连接被拒绝", "请检查服务器地址和端口,以及服务器上的 sshd 是否在运行"),
    errno.ETIMEDOUT: ("连接超时", "请检查网络和服务器地址"),
    errno.EHOSTUNREACH: ("无法到达服务器", "请检查网络和服务器地址"),
}


def describe_os_error(exc: OSError, path: object = None) -> str:
    """Returns ``path: what went wrong:how to fix it`` in Chinese for an OS error (the file it
    names, or ``path``), never the English of strerror alone."""
    where = exc.filename if exc.filename is not None else path
    reason, hint = _OS_ERRORS.get(exc.errno or 0, (None, "请检查路径是否存在、磁盘空间和读写权限"))
    if reason is None:
        reason = f"系统错误(错误号 {exc.errno})" if exc.errno else "系统错误"
    prefix = f"{where}: " if where is not None else ""
    return show_invisible(f"{prefix}{reason}:{hint}")
