"""The one way gongkai asks Git anything: what a commit says, when it was made, what changed.

Every call runs `git -C ROOT` with file names left as they are (core.quotePath off: names in
Chinese, not octal escapes), text decoded as UTF-8 (undecodable bytes replaced) and a time limit.
Nothing here writes to a repository but ``write`` (the review desk's commit and push) and
``init_repository`` (`gongkai init`). Outside a repository, or without Git, the answers are empty
(``run`` raises GitError only when asked to check).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gongkai.errors import GongkaiError

TIMEOUT = 60  # seconds a single Git command may take
MAX_RENAMES = 20  # renames followed back to find when a file was first committed


class GitError(GongkaiError):
    """A Git command failed; the message says what to do."""


def run(root: Path, *args: str, check: bool = False) -> str:
    """Returns what ``git ARGS`` prints in ``root`` ('' when it fails, unless ``check``: GitError)."""
    try:
        result = subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", str(root), *args],
            capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        if check:
            raise GitError(f"无法运行 git {' '.join(args)}:{exc}") from None
        return ""
    if result.returncode != 0:
        if check:
            raise GitError(result.stderr.strip() or f"git {' '.join(args)} 失败")
        return ""
    return result.stdout


def init_repository(root: Path) -> None:
    """Makes ``root`` a new Git repository whose first branch is main; raises GitError."""
    run(root, "init", "-q", "-b", "main", check=True)


def write(root: Path, *args: str, env: dict[str, str] | None = None, timeout: int = TIMEOUT) -> subprocess.CompletedProcess:
    """Runs ``git ARGS`` in ``root`` that changes the repository (add, commit, push) and returns its
    result: never prompts (no terminal: credentials must be set up beforehand); raises GitError
    when Git cannot be run at all."""
    quiet = {"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", str(root), *args],
            capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=timeout,
            stdin=subprocess.DEVNULL, env={**(env or os.environ), **quiet},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"无法运行 git {' '.join(args)}:{exc}") from None


def toplevel(root: Path) -> Path | None:
    """Returns the top folder of the work tree that holds ``root``, or None outside one."""
    top = run(root, "rev-parse", "--show-toplevel").strip()
    return Path(top).resolve() if top else None


def head_commit(root: Path) -> str:
    """Returns the full hash of HEAD, or '' outside a repository."""
    return run(root, "rev-parse", "HEAD").strip()


def head_time(root: Path) -> str:
    """Returns HEAD's commit time in seconds since the epoch, as text, or ''."""
    value = run(root, "log", "-1", "--format=%ct").strip()
    return value if value.isdigit() else ""


def show(root: Path, commit: str, path: str | None, *, from_root: bool = False) -> str | None:
    """Returns a file's text at ``commit`` (``path`` from the top of the work tree, or from
    ``root`` when ``from_root``), or None when it is not there."""
    if not path:
        return None
    spec = f"{commit}:./{path}" if from_root else f"{commit}:{path}"
    try:
        result = subprocess.run(["git", "-C", str(root), "show", spec], capture_output=True, timeout=TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", "replace")


def user_name(root: Path) -> str:
    """Returns ``git config user.name`` as seen from ``root`` (repository, then global), or ''."""
    return run(root, "config", "user.name").strip()


def first_seen(root: Path, path: str) -> int | None:
    """Returns when Git first saw the file ``path`` (relative to ``root``): the commit time, in
    seconds since the epoch, of the commit that added it, following renames back; None when no
    commit holds it (untracked, only staged, no Git).

    Renames are followed by hand: ``git log --follow`` also follows copies, and would date a copy
    of a file as old as the file it was copied from."""
    when: int | None = None
    revision = "HEAD"
    for _ in range(MAX_RENAMES):
        added = [line.split() for line in run(root, "log", "--diff-filter=A", "--format=%H %ct", revision, "--", f":(literal){path}").splitlines()]
        added = [entry for entry in added if len(entry) == 2 and entry[1].isdigit()]
        if not added:
            break
        commit, seconds = min(added, key=lambda entry: int(entry[1]))
        when = int(seconds)
        renamed = ""
        for line in run(root, "diff-tree", "-r", "-M", "--root", "--relative", "--name-status", "--no-commit-id", commit).splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[0].startswith("R") and parts[2] == path:
                renamed = parts[1]
        if not renamed:
            break
        path, revision = renamed, f"{commit}^"
    return when
