"""`gongkai new`: the next free 索引号 from the counter file, and an item file with a commented front-matter.

The counter (``content/.gongkai-index.yml``, see ``gongkai.read.counter``) advances before the item
is written, so a number is never handed out twice. `gongkai check` compares the counter with the
items, `gongkai check --changed` compares the branch with its base, and the loader refuses two items
with one 索引号.
"""
from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gongkai import gitrepo
from gongkai.errors import UsageError
from gongkai.law import schema, workdays
from gongkai.law.taxonomy import INTERPRETATION, category_ids
from gongkai.model import Attribute, Settings
from gongkai.read import yamlsafe
from gongkai.read.counter import MAX_SEQ, display_path, read_counter, render_counter, seq_of, used_numbers

MAX_AUTHOR = 50  # a name or two, not a sentence: the ledger's 撰稿人 cell is narrow
SLUG = re.compile(r"\A[a-z0-9][a-z0-9-]{0,79}\Z")  # fullmatch: `$` would accept a final newline


# ------------------------------------------------------------------ the item file


def front_matter(fields: dict[str, Any], deadline: workdays.Timeliness | None) -> str:
    """Returns the commented front-matter of a new item: every schema field, explained in Chinese."""
    lines: list[tuple[str, str]] = []  # (YAML or commented-out key, explanation)
    for spec in schema.FIELDS:
        requirement = {"yes": "必填", "no": "选填"}.get(spec.required, spec.required)
        if spec.key == "interprets" and fields.get("category") == INTERPRETATION:
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
    author: str | None = None,
    basis: str = "",
    body: str = "",
) -> NewItem:
    """Returns the new item after writing it and advancing the counter; raises UsageError or OSError
    (FileExistsError when the file is already there). ``author`` (撰稿人) defaults to Git's
    user.name; without either the field is left commented for the editor. ``basis`` and ``body``
    fill the 法定理由 and the text (`gongkai init`'s examples); left empty for the editor."""
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
    author = " ".join(str(author).split()) if author is not None else gitrepo.user_name(root)
    if author and len(author) > MAX_AUTHOR:
        raise UsageError(f"撰稿人 {author!r} 过长(不能超过 {MAX_AUTHOR} 字):请只写姓名")
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
        raise FileExistsError(f"{display_path(path, root)} 已存在:请用另一个文件名")

    fields: dict[str, Any] = {"title": title, "index_no": index_no, "unit": unit.id, "attribute": attribute}
    if attribute != "主动公开":
        fields["basis"] = basis  # the loader insists on a reason: an empty one is caught by check
    fields["category"] = category
    fields["created"] = created
    deadline = None
    if attribute in ("主动公开", "部分公开"):
        fields["published"] = max(created, today)
        deadline = workdays.timeliness(created, None, today, declared=settings.calendar)
    if category == INTERPRETATION:
        fields["interprets"] = ""  # a 解读 must name its policy: empty until the editor does
    if author:
        fields["author"] = author
    text = front_matter(fields, deadline) + "\n" + body

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


def parse_created(text: str) -> date:
    """Returns the 成文日期 given as YYYY-MM-DD; raises UsageError."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"成文日期 {text!r} 格式错误,应为 YYYY-MM-DD") from None
