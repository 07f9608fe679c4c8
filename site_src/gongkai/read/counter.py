"""The 索引号 counter (``content/.gongkai-index.yml``): the last sequence handed out per unit and year.

The counter is kept in Git next to the items: one line per unit code and year, the last sequence
number ever handed out. A number is never handed out twice, even when its item was deleted. Two
branches that each took the next number change the same line of that file: `gongkai check`
compares the counter with the items (``counter_problems``), `gongkai new` advances it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from gongkai.errors import Problem
from gongkai.model import Settings
from gongkai.read import yamlsafe
from gongkai.read.loader import INDEX_NO, split_front_matter

COUNTER_FILE = ".gongkai-index.yml"
MAX_SEQ = 99999
_INDEX_LINE = re.compile(r"^index_no:\s*[\"']?([^\"'\s#]+)", re.M)
COUNTER_HEADER = (
    "# gongkai 索引号计数器:由 gongkai new 维护,请与新建的信息文件一起提交。\n"
    "# 每行“机构代码/年份: 已分配的最大序号”。序号只增不减:信息删除后,它的索引号也不再分配。\n"
    "# 两个分支同时新建信息时,合并后请保留较大的数字,并运行 gongkai check 检查索引号是否重复。\n"
)


# ------------------------------------------------------------------ the counter


@dataclass
class Counter:
    """The last sequence handed out per ``{unit code}/{year}``, with the line of each entry."""

    path: Path
    display: str
    last: dict[str, int] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    exists: bool = False

    def next_seq(self, code: str, year: int, used: Iterable[int] = ()) -> int:
        """Returns the next free sequence: above the counter and above every number still in use."""
        return max([self.last.get(f"{code}/{year}", 0), *used]) + 1


def counter_path(docs_dir: Path) -> Path:
    return Path(docs_dir) / COUNTER_FILE


def read_counter(docs_dir: Path, root: Path) -> Counter:
    """Returns the counter file's entries; a bad file is reported, never silently reset."""
    path = counter_path(docs_dir)
    display = display_path(path, root)
    counter = Counter(path, display)
    if not path.exists():
        return counter
    counter.exists = True
    parsed = yamlsafe.parse_file(path, display, "索引号计数器不是 UTF-8 编码")
    if isinstance(parsed, Problem):
        counter.problems.append(parsed)
        return counter
    data = parsed.data
    if data is None:
        return counter
    if not isinstance(data, dict):
        counter.problems.append(Problem(display, 1, "索引号计数器应为“机构代码/年份: 序号”的列表"))
        return counter
    for key, value in data.items():
        line = parsed.lines.get(key, 1)
        if not re.fullmatch(r"([0-9A-Z]{18}|[0-9A-Z]{8}-?[0-9A-Z])/[0-9]{4}", str(key)):
            counter.problems.append(Problem(display, line, f"计数器条目 {key} 格式错误:应为 机构代码/年份,如 11369999MB0000001A/2025"))
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SEQ:
            counter.problems.append(Problem(display, line, f"计数器条目 {key} 的值 {value!r} 应为 0 到 {MAX_SEQ} 之间的整数"))
            continue
        counter.last[str(key)] = value
        counter.lines[str(key)] = line
    return counter


def render_counter(last: dict[str, int], settings: Settings | None = None) -> str:
    """Returns the counter file text: sorted entries, each with the unit's name as a comment."""
    names = {u.code: f"{u.name}({u.id})" for u in settings.units} if settings else {}
    out = [COUNTER_HEADER]
    for key in sorted(last):
        name = names.get(key.split("/", 1)[0], "")
        out.append(f"{key}: {last[key]}" + (f"  # {name}" if name else "") + "\n")
    return "".join(out)


def used_numbers(docs_dir: Path, root: Path | None = None) -> dict[str, dict[str, list[str]]]:
    """Returns ``{code/year: {index_no: [paths]}}`` for every 索引号 written in an item (a fast scan;
    paths relative to root, or to docs_dir without one)."""
    base = Path(root or docs_dir).resolve()
    docs_dir = Path(docs_dir).resolve()
    found: dict[str, dict[str, list[str]]] = {}
    for dirpath, dirnames, filenames in os.walk(docs_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.endswith(".md") or name.startswith("."):
                continue
            path = Path(dirpath) / name
            try:
                head = path.read_bytes()[:65536].decode("utf-8", "replace")
            except OSError:
                continue
            split = split_front_matter(head.lstrip("\ufeff").replace("\r\n", "\n"), "")
            if isinstance(split, Problem):
                continue
            match = _INDEX_LINE.search(split[0])
            if not match:
                continue
            parsed = INDEX_NO.fullmatch(match.group(1))
            if parsed:
                key = f"{parsed['code']}/{parsed['year']}"
                found.setdefault(key, {}).setdefault(match.group(1), []).append(path.relative_to(base).as_posix())
    return found


def seq_of(index_no: str) -> int:
    match = INDEX_NO.fullmatch(index_no)
    return int(match["seq"]) if match else 0


def counter_problems(docs_dir: Path, root: Path, settings: Settings) -> list[Problem]:
    """Returns where the counter and the items disagree: a number in use above the counter."""
    counter = read_counter(docs_dir, root)
    problems = list(counter.problems)
    if counter.problems:
        return problems
    used = used_numbers(docs_dir, root)
    if not counter.exists:
        if used:
            problems.append(Problem(counter.display, 1, f"没有索引号计数器 {counter.display}:gongkai new 会按现有最大序号续编,但无法避开已删除信息用过的索引号;请运行一次 gongkai new 或按现有最大序号创建该文件并提交", "warning"))
        return problems
    codes = {u.code for u in settings.units}
    for key, numbers in sorted(used.items()):
        highest = max(seq_of(n) for n in numbers)
        last = counter.last.get(key, 0)
        if highest > last and key.split("/", 1)[0] in codes:
            index_no = max(numbers, key=seq_of)
            where = "、".join(numbers[index_no])
            problems.append(
                Problem(
                    counter.display,
                    counter.lines.get(key, 1),
                    f"计数器 {key} 为 {last},但 {where} 已使用索引号 {index_no}:该信息不是用 gongkai new 新建的,或合并分支时计数器取了较小的值。"
                    f"请把计数器改为 {highest},并确认没有两条信息使用同一索引号",
                )
            )
    return problems


def display_path(path: Path, root: Path) -> str:
    """Returns the path relative to the portal root, or as given when it lies outside."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)
