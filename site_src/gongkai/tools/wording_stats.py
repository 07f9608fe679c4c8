"""`gongkai check --stats`: the 错误率 of each unit and month (记分制考核), from the 表述检查.

Per unit (the item's `unit`) and month (of the date the public sees, else of `published`, else of
`created`):

- 信息: the items of that month, in any state; 已发布: those the site shows (page or catalog);
- 错误 / 警告: the wording findings now, in the items of any state (an error refuses its item, so
  a published item carries warnings only);
- 有问题的信息: items with at least one finding; 错误率 = 有问题的信息 / 信息;
- 已改正: findings the item had when it was first committed to Git and no longer has (per
  expression: two 截止 then, one now, is one fixed). An approximation: a finding made and
  corrected between two commits, or after the first commit and before the last, counts only
  through these two versions; outside Git (or for an uncommitted item) it is 0.

`gongkai check --stats -o FILE.xlsx` writes the same table and the list of every finding for the
政务公开办 (a file on the office's computer: it is never part of the site).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from gongkai import gitrepo
from gongkai.errors import GongkaiError, Problem
from gongkai.gate import wording
from gongkai.gate.decide import wording_readings
from gongkai.model import Decision, Item
from gongkai.read import yamlsafe
from gongkai.read.loader import split_front_matter

_FOUND = re.compile(r"第\d+字 “(.*?)”")


@dataclass
class Row:
    unit: str
    unit_name: str
    month: str
    items: int = 0
    published: int = 0
    errors: int = 0
    warnings: int = 0
    with_findings: int = 0
    fixed: int = 0

    @property
    def rate(self) -> float:
        return self.with_findings / self.items if self.items else 0.0

    def as_dict(self) -> dict:
        return {
            "unit": self.unit, "unit_name": self.unit_name, "month": self.month, "items": self.items, "published": self.published,
            "errors": self.errors, "warnings": self.warnings, "with_findings": self.with_findings, "fixed": self.fixed, "rate": round(self.rate, 4),
        }


def is_finding(problem) -> bool:
    return wording.TAG in problem.message


def _month(decision: Decision, item: Item) -> str:
    when = decision.published or item.published
    if when is None:
        try:
            when = item.created
        except (KeyError, TypeError, ValueError):
            return "?"
    return when.isoformat()[:7]


def _expressions(problems) -> Counter:
    """Returns how often each expression was found (the words of 第N字 “…”), with its level."""
    found: Counter = Counter()
    for problem in problems:
        match = _FOUND.search(problem.message)
        if match and is_finding(problem):
            found[(match.group(1), problem.severity)] += 1
    return found


def error_rates(portal) -> list[Row]:
    """Returns one row per unit and month, units in the order of the settings, months in order."""
    names = {unit.id: unit.name for unit in portal.settings.units}
    order = {unit.id: index for index, unit in enumerate(portal.settings.units)}
    matcher = wording.matcher_for(portal.wording)
    try:
        docs = Path(portal.docs_dir).resolve().relative_to(Path(portal.root).resolve()).as_posix()
    except ValueError:
        docs = ""
    first = gitrepo.first_versions(portal.root, docs) if docs and matcher is not None else {}
    rows: dict[tuple[str, str], Row] = {}
    for decision in portal.decisions:
        item = decision.item
        if item is None:
            continue
        key = (item.unit, _month(decision, item))
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(item.unit, names.get(item.unit, item.unit), key[1])
        row.items += 1
        row.published += decision.visible
        findings = [p for p in decision.problems if is_finding(p)]
        row.errors += sum(p.is_error for p in findings)
        row.warnings += sum(not p.is_error for p in findings)
        row.with_findings += bool(findings)
        old = first.get(item.path)
        if old is not None and matcher is not None:
            before = _expressions(_findings_in(old, item, matcher))
            now = _expressions(findings)
            row.fixed += sum(max(0, count - now.get(found, 0)) for found, count in before.items())
    return sorted(rows.values(), key=lambda r: (order.get(r.unit, len(order)), r.unit, r.month))


def _findings_in(text: str, current: Item, matcher: wording.Matcher) -> list:
    """Returns the wording findings of an earlier version of an item (its fields and its whole
    body: what a reader would have seen of a 主动公开 item)."""
    split = split_front_matter(text.replace("\r\n", "\n"), current.path)
    if not isinstance(split, tuple):
        return []
    front, body, body_line = split
    try:
        parsed = yamlsafe.parse(front)
    except yamlsafe.YamlProblem:
        return []
    if not isinstance(parsed.data, dict):
        return []
    item = Item(current.path, current.rel, parsed.data, body, body_line, {k: n + 1 for k, n in parsed.lines.items()})
    created = None
    try:
        created = item.created
    except (KeyError, TypeError, ValueError):
        pass
    return wording.text_problems(matcher, item.path, wording_readings(item, body), created)


class StatsWriteError(GongkaiError):
    """The statistics file cannot be written: the CLI exits with 1."""


HEADER = ("发布机构", "月份", "信息", "已发布", "错误", "警告", "有问题的信息", "已改正", "错误率")
FINDINGS_HEADER = ("发布机构", "月份", "文件", "行", "级别", "问题")


def findings(portal) -> list[tuple[str, str, Problem]]:
    """Returns (unit name, month, problem) for every wording finding, by unit and path."""
    names = {unit.id: unit.name for unit in portal.settings.units}
    found = []
    for decision in portal.decisions:
        item = decision.item
        if item is not None:
            month = _month(decision, item)
            found += [(names.get(item.unit, item.unit), month, p) for p in sorted(set(decision.problems)) if is_finding(p)]
    return sorted(found, key=lambda entry: (entry[0], entry[1], entry[2]))


def write_workbook(portal, rows: list[Row], target: Path) -> None:
    """Writes the 错误率 table and the list of findings to an .xlsx; raises StatsWriteError."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "错误率"
    sheet.append(HEADER)
    for r in rows:
        sheet.append((r.unit_name, r.month, r.items, r.published, r.errors, r.warnings, r.with_findings, r.fixed, r.rate))
        sheet.cell(row=sheet.max_row, column=len(HEADER)).number_format = "0.0%"
    listing = workbook.create_sheet("问题清单")
    listing.append(FINDINGS_HEADER)
    for unit, month, problem in findings(portal):
        listing.append((unit, month, problem.path, problem.line, "错误" if problem.is_error else "警告", problem.message))
    for ws, widths in ((sheet, (28, 10, 8, 8, 8, 8, 12, 8, 10)), (listing, (28, 10, 40, 6, 6, 100))):
        for index, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + index)].width = width
        for cell in ws[1]:
            cell.font = Font(name="宋体", bold=True)
            cell.alignment = Alignment(horizontal="center")
        ws.freeze_panes = "A2"
    workbook.properties.title = "表述检查错误率"
    workbook.properties.creator = "gongkai"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(str(target))
    except OSError as exc:
        raise StatsWriteError(f"无法写入 {target}:{exc}") from exc
