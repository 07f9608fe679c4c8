"""Domain errors and collected problems. Nothing here knows MkDocs exists."""
from __future__ import annotations

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
        # A bidirectional control in a file name or in quoted text would reorder what the terminal shows.
        return show_invisible(f"{self.path}:{self.line}: {label}{self.message}")

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
