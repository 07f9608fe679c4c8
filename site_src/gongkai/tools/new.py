"""`gongkai new`: the next free 索引号 from the counter file, and an item file with a commented front-matter.

The counter (``content/.gongkai-index.yml``) is kept in Git next to the items: one line per unit code
and year, the last sequence number ever handed out. A number is never handed out twice, even when its
item was deleted. Two branches that each took the next number change the same line of that file:
`gongkai check` compares the counter with the items, `gongkai check --changed` compares the branch
with its base, and the loader refuses two items with one 索引号.
"""
from __future__ import annotations

import difflib
import json
import os
import re
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from gongkai.law import schema
from gongkai.law import workdays
from gongkai.read import yamlsafe
from gongkai.errors import ConfigError, Problem
from gongkai.read.loader import INDEX_NO
from gongkai.model import Attribute, Settings
from gongkai.law.taxonomy import category_ids

COUNTER_FILE = ".gongkai-index.yml"
MAX_SEQ = 99999
SLUG = re.compile(r"\A[a-z0-9][a-z0-9-]{0,79}\Z")  # fullmatch: `$` would accept a final newline
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
    display = _display(path, root)
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
            if not head.startswith(("---", "\ufeff---")):
                continue
            front = head.split("\n---", 1)[0]
            match = _INDEX_LINE.search(front)
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


# ------------------------------------------------------------------ the item file


def front_matter(fields: dict[str, Any], deadline: workdays.Timeliness | None) -> str:
    """Returns the commented front-matter of a new item: every schema field, explained in Chinese."""
    lines: list[tuple[str, str]] = []  # (YAML or commented-out key, explanation)
    for spec in schema.FIELDS:
        requirement = {"yes": "必填", "no": "选填"}.get(spec.required, spec.required)
        if spec.key == "interprets" and fields.get("category") == "政策解读":
            requirement = "政策解读必填"
        comment = f"# {spec.label}({requirement}):{spec.help}"
        if spec.key == "published" and deadline is not None:
            comment += f"。本条最迟 {deadline.due} 发布(成文后第20个工作日)"
        if spec.key in fields:
            lines.append((f"{spec.key}: {_yaml_value(fields[spec.key])}", comment))
        elif spec.key == "reviews":
            lines.append(("", comment))
        elif spec.key == "report":
            lines.append(("# report:", comment + "(格式见 docs/report.md)"))
        else:
            lines.append((f"# {spec.key}:", comment))
    width = min(max(_width(code) for code, _ in lines), 40) + 2
    out = ["---", "# 每个字段右边是它的说明;行首带 # 的字段未启用,需要时去掉 # 并填写。"]
    for code, comment in lines:
        out.append(code + " " * max(1, width - _width(code)) + comment if code else comment)
    out.append("# 正文写在下面一行 --- 之后(Markdown)。部分公开的内容用【不公开】……【/不公开】标出。")
    out.append("---")
    return "\n".join(out) + "\n"


def _yaml_value(value: Any) -> str:
    """Returns the value as YAML: plain when it reads back as the same string, else JSON-quoted."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value and "#" not in value and ": " not in value:
        try:
            if yamlsafe.parse(f"k: {value}").data == {"k": value}:
                return value
        except yamlsafe.YamlProblem:
            pass
    # JSON strings are YAML double-quoted scalars: no title can break the front-matter.
    return json.dumps(value, ensure_ascii=False)


def _width(text: str) -> int:
    """Returns the width of the text in a monospaced editor (a Chinese character is two columns)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass(frozen=True)
class NewItem:
    path: Path
    index_no: str
    deadline: workdays.Timeliness | None


class UsageError(Exception):
    """A bad argument to `gongkai new` (exit 2)."""


def create_item(
    root: Path,
    docs_dir: Path,
    settings: Settings,
    unit_id: str,
    category: str,
    title: str,
    attribute: str = "主动公开",
    created: date | None = None,
    today: date | None = None,
    slug: str | None = None,
) -> NewItem:
    """Returns the new item after writing it and advancing the counter; raises UsageError or FileExistsError."""
    root, docs_dir = Path(root), Path(docs_dir)
    unit = settings.unit(unit_id)
    if unit is None:
        known = [u.id for u in settings.units]
        raise UsageError(f"发布机构 {unit_id!r} 未在 extra.gongkai.units 中定义{_suggest(unit_id, known)};可用:{'、'.join(known)}")
    known_categories = list(category_ids(settings.categories))
    if category not in known_categories:
        raise UsageError(f"目录类别 {category!r} 不存在{_suggest(category, known_categories)};可用:{'、'.join(known_categories)}")
    attributes = [a.value for a in Attribute]
    if attribute not in attributes:
        raise UsageError(f"公开属性 {attribute!r} 无效:只能是 {'、'.join(attributes)}")
    title = " ".join(str(title).split())
    if not title:
        raise UsageError("标题不能为空")
    if slug is not None and not SLUG.fullmatch(slug):
        raise UsageError(f"文件名 {slug!r} 只能用小写字母、数字和 -(如 chungeng-tongzhi)")
    today = today or date.today()
    created = created or today
    counter = read_counter(docs_dir, root)
    if counter.problems:
        raise UsageError("索引号计数器有错误,请先修正:\n" + "\n".join(str(p) for p in counter.problems))
    key = f"{unit.code}/{created.year}"
    in_use = used_numbers(docs_dir).get(key, {})
    seq = counter.next_seq(unit.code, created.year, (seq_of(n) for n in in_use))
    if seq > MAX_SEQ:
        raise UsageError(f"{unit.name} {created.year} 年的索引号已用完({MAX_SEQ})")
    index_no = f"{key}-{seq:05d}"
    name = slug or f"{created:%m%d}-{seq:05d}"
    path = docs_dir / unit.id / str(created.year) / f"{name}.md"
    if path.exists():
        raise FileExistsError(f"{_display(path, root)} 已存在:请用另一个文件名")

    fields: dict[str, Any] = {"title": title, "index_no": index_no, "unit": unit.id, "attribute": attribute}
    if attribute != "主动公开":
        fields["basis"] = ""  # the loader insists on a reason: an empty one is caught by check
    fields["category"] = category
    fields["created"] = created
    deadline = None
    if attribute in ("主动公开", "部分公开"):
        fields["published"] = max(created, today)
        deadline = workdays.timeliness(created, None, today)
    if category == "政策解读":
        fields["interprets"] = ""  # a 解读 must name its policy: empty until the editor does
    text = front_matter(fields, deadline) + "\n"

    # The counter moves first: if writing the item fails, a number is skipped, never handed out twice.
    counter.last[key] = seq
    _write_atomic(counter.path, render_counter(counter.last, settings))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return NewItem(path, index_no, deadline)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gongkai-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _suggest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    return f",是否应为 {close[0]}?" if close else ""


def _display(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def cli_new(args, config) -> int:
    """`gongkai new`: prints the path of the created item; exit 0, 1 (problem) or 2 (usage)."""
    from gongkai.portal import build_date
    from gongkai.settings import load_settings

    root = Path(config.config_file_path).parent
    docs_dir = Path(config.docs_dir)
    try:
        settings = load_settings((config.extra or {}).get("gongkai"), config.site_name, "mkdocs.yml")
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    created = None
    if getattr(args, "date", None):
        try:
            created = date.fromisoformat(args.date)
        except ValueError:
            print(f"gongkai: 成文日期 {args.date!r} 格式错误,应为 YYYY-MM-DD", file=sys.stderr)
            return 2
    try:
        new = create_item(
            root,
            docs_dir,
            settings,
            args.unit,
            args.category,
            args.title,
            attribute=getattr(args, "attribute", None) or "主动公开",
            created=created,
            today=build_date(),
            slug=getattr(args, "slug", None),
        )
    except UsageError as exc:
        print(f"gongkai: {exc}", file=sys.stderr)
        return 2
    except (FileExistsError, OSError) as exc:
        print(f"gongkai: {exc}", file=sys.stderr)
        return 1
    print(_display(new.path, root))
    print(f"索引号 {new.index_no}", file=sys.stderr)
    if new.deadline is not None:
        print(f"{new.deadline.describe()}", file=sys.stderr)
        if new.deadline.estimated:
            print("警告: 已安装的 chinesecalendar 没有这些日期的节假日安排,期限按周一至周五估算;请升级 chinesecalendar", file=sys.stderr)
    return 0
