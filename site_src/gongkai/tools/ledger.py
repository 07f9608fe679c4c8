"""信息发布台账: every item published in a month, one A4 sheet per unit, ready to sign and stamp.

盘山县 rules: 每月发布的信息,需撰稿人、分管领导、单位主要领导签字并加盖公章,每月25日前上报存档.
Each row: 序号, 标题, 索引号, 栏目, 公开属性, 成文日期, 发布日期 (the one the public saw: never before
the last required signature, see Decision.published), 撰稿人, the reviewer and time of every review
stage (verified signatures only) and whether the item was published later than 20 个工作日 after it
was formed. The 撰稿人 is the item's `author` field, blank when absent (to be written by hand): never
guessed from Git history, where renames, merges and commits made on someone's behalf name the wrong
person on a sheet people sign.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gongkai.errors import GongkaiError, UsageError, describe_os_error
from gongkai.escaping import put_cell
from gongkai.law import workdays
from gongkai.model import STAGES, Item, Settings, Unit, Verdict
from gongkai.trust.review import CHINA, Verifier, item_digest, parse_at

FONT_NAME = "宋体"
MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})\Z")  # \Z: $ also matches before a final newline
FIRST_COLUMNS = ("序号", "标题", "索引号", "栏目", "公开属性", "成文日期", "发布日期", "撰稿人")
FIRST_WIDTHS = (5, 30, 21, 10, 9, 11, 11, 8)
STAGE_WIDTHS = (8, 11)  # 审核人, 时间
OVERDUE_HEADER, OVERDUE_WIDTH = "是否超期", 6
HEADER_ROW = 3  # rows 3 and 4: the two-level header; data from row 5
SIGNERS = ("撰稿人", "分管领导", "单位主要领导")

_thin = Side(style="thin", color="000000")
_BOX = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_LINE = Border(bottom=_thin)


@dataclass(frozen=True)
class Signature:
    reviewer: str  # the reviewer's name from reviewers.yml
    at: str  # YYYY-MM-DD HH:MM, China time


@dataclass(frozen=True)
class Row:
    item: Item
    author: str
    reviews: dict[str, list[Signature]]
    timeliness: workdays.Timeliness | None
    published: date | None = None  # the 发布日期 the public saw (Decision.published)

    @property
    def overdue(self) -> bool:
        return bool(self.timeliness and self.timeliness.overdue)


def parse_month(value: str) -> tuple[int, int]:
    """Returns (year, month) of ``YYYY-MM``; raises ValueError."""
    match = MONTH.match(value or "")
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(value)
    return int(match[1]), int(match[2])


def ledger_stages(settings: Settings) -> tuple[str, ...]:
    """Returns the review stages any item of the portal needs, in the order of the law."""
    needed = set(settings.review_default)
    for stages in settings.review_categories.values():
        needed.update(stages)
    return tuple(s for s in STAGES if s in needed)


def _time(at: str) -> str:
    moment = parse_at(at)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else at


def ledger_rows(portal, year: int, month: int, units: tuple[str, ...] | None = None) -> dict[str, list[Row]]:
    """Returns {unit id: rows} of the items visible on the site whose 发布日期 falls in the month."""
    verifier = Verifier(portal.trust, cache=portal.cache)
    rows: dict[str, list[Row]] = {u.id: [] for u in portal.settings.units if units is None or u.id in units}
    for decision in portal.decisions:
        item = decision.item
        if item is None or decision.verdict not in (Verdict.PUBLISH, Verdict.METADATA) or item.unit not in rows:
            continue
        published = decision.published  # never before the last signature: the month it really appeared in
        if published is None or (published.year, published.month) != (year, month):
            continue
        digest = item_digest(item)
        reviews: dict[str, list[Signature]] = {}
        for review in item.reviews:
            if verifier.check(item, review, digest) is not None:
                continue  # only what verifies goes on a record people sign
            reviewer = portal.trust.reviewers.get(review.by)
            reviews.setdefault(review.stage, []).append(Signature(reviewer.name if reviewer else review.by, _time(review.at)))
        timely = None
        if str(item.meta.get("attribute")) in workdays.TIMELY_ATTRIBUTES:
            timely = workdays.timeliness(item.created, published, portal.today, declared=portal.settings.calendar)
        author = item.meta.get("author")
        rows[item.unit].append(Row(item, author if isinstance(author, str) else "", reviews, timely, published))
    for unit_rows in rows.values():
        unit_rows.sort(key=lambda r: (r.published or date.min, r.item.index_no))
    return rows


def _cell(ws: Worksheet, row: int, column: int, value, *, bold: bool = False, size: float = 10, align: str = "center", border: Border | None = _BOX, wrap: bool = True):
    cell = ws.cell(row=row, column=column)
    put_cell(cell, value)  # titles, author and reviewer names: text, never a formula
    cell.font = Font(name=FONT_NAME, size=size, bold=bold)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    if border is not None:
        cell.border = border
    return cell


def _merge(ws: Worksheet, row: int, first: int, last: int, value, **style) -> None:
    for column in range(first, last + 1):
        _cell(ws, row, column, value if column == first else None, **style)
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _lines(text: str, width: float) -> int:
    """Returns how many lines a wrapped cell needs (a Chinese character is two width units)."""
    units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return max(1, -(-units // max(1, int(width * 0.95))))


def write_sheet(ws: Worksheet, unit: Unit, rows: list[Row], stages: tuple[str, ...], year: int, month: int) -> None:
    """Fills one sheet: title, header, a row per item, signature lines; A4 landscape, one page wide."""
    widths = list(FIRST_WIDTHS) + list(STAGE_WIDTHS) * len(stages) + [OVERDUE_WIDTH]
    last = len(widths)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    _merge(ws, 1, 1, last, f"{unit.name}政府信息发布台账", bold=True, size=16, border=None)
    ws.row_dimensions[1].height = 30
    overdue = sum(r.overdue for r in rows)
    _merge(ws, 2, 1, last, f"报送单位:{unit.name}    所属月份:{year}年{month}月    本月发布 {len(rows)} 条,其中超期 {overdue} 条", size=10.5, align="left", border=None)
    ws.row_dimensions[2].height = 20

    top, sub = HEADER_ROW, HEADER_ROW + 1
    for column, header in enumerate(FIRST_COLUMNS, start=1):
        _cell(ws, top, column, header, bold=True)
        _cell(ws, sub, column, None, bold=True)
        ws.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
    column = len(FIRST_COLUMNS) + 1
    for stage in stages:
        _merge(ws, top, column, column + 1, stage, bold=True)
        _cell(ws, sub, column, "审核人", bold=True)
        _cell(ws, sub, column + 1, "时间", bold=True)
        column += 2
    _cell(ws, top, last, OVERDUE_HEADER, bold=True)
    _cell(ws, sub, last, None, bold=True)
    ws.merge_cells(start_row=top, start_column=last, end_row=sub, end_column=last)
    ws.row_dimensions[top].height = 18
    ws.row_dimensions[sub].height = 18

    row = sub + 1
    for number, entry in enumerate(rows, start=1):
        item = entry.item
        values = [number, item.title, item.index_no, item.category, str(item.meta.get("attribute", "")), item.meta.get("created", ""), entry.published.isoformat() if entry.published else "", entry.author]
        for stage in stages:
            signatures = entry.reviews.get(stage, [])
            values.append("、".join(s.reviewer for s in signatures))
            values.append("\n".join(s.at for s in signatures))
        values.append("是" if entry.overdue else ("否" if entry.timeliness else "—"))
        height = 1
        for column, value in enumerate(values, start=1):
            text = "" if value is None else str(value)
            _cell(ws, row, column, value, align="left" if column == 2 else "center")
            height = max(height, sum(_lines(part, widths[column - 1]) for part in text.split("\n")) if text else 1)
        ws.row_dimensions[row].height = max(18, 14 * height)
        row += 1
    if not rows:
        _merge(ws, row, 1, last, "本月无发布信息", size=10)
        ws.row_dimensions[row].height = 20
        row += 1

    note_row = row
    notes = "注:1. 只列出审核签名核验有效的审核人;时间为北京时间。2. 发布日期不早于最后一次审核签名的日期;“是否超期”按《中华人民共和国政府信息公开条例》第二十六条,自成文之日起20个工作日内公开(节假日和调休按国务院办公厅公布的安排计算)。3. 本台账每月25日前报政务公开办存档,同时自留一份。"
    _merge(ws, note_row, 1, last, notes, size=9, align="left", border=None)
    ws.row_dimensions[note_row].height = 30

    sign_row = note_row + 2
    spans = _signature_spans(last)
    for (label_first, label_last, line_first, line_last), signer in zip(spans, SIGNERS):
        _merge(ws, sign_row, label_first, label_last, f"{signer}(签字):", size=11, align="right", border=None)
        _merge(ws, sign_row, line_first, line_last, None, border=_LINE)
    ws.row_dimensions[sign_row].height = 36
    date_row = sign_row + 1
    _merge(ws, date_row, 1, last, "(单位公章)                    填报日期:      年    月    日", size=11, align="right", border=None)
    ws.row_dimensions[date_row].height = 30

    ws.print_title_rows = f"{top}:{sub}"
    ws.print_area = f"A1:{get_column_letter(last)}{date_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.5
    ws.page_margins.bottom = 0.8
    ws.page_margins.header = 0.3
    ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = "&A  第 &P 页"
    ws.oddFooter.center.size = 9
    ws.freeze_panes = ws.cell(row=sub + 1, column=1)


def _signature_spans(last: int) -> list[tuple[int, int, int, int]]:
    """Returns three (label first, label last, line first, line last) column spans across the sheet."""
    third = last // 3
    spans = []
    for index in range(3):
        start = 1 + index * third
        end = last if index == 2 else start + third - 1
        label_last = start + max(1, (end - start + 1) // 2) - 1
        spans.append((start, label_last, label_last + 1, end))
    return spans


def write_ledger(portal, month: str, target: Path, units: tuple[str, ...] | None = None) -> dict[str, list[Row]]:
    """Writes the ledger .xlsx (a sheet per unit) and returns its rows."""
    year, number = parse_month(month)
    rows = ledger_rows(portal, year, number, units)
    stages = ledger_stages(portal.settings)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for unit in portal.settings.units:
        if unit.id not in rows:
            continue
        ws = workbook.create_sheet(title=_sheet_title(unit))
        write_sheet(ws, unit, rows[unit.id], stages, year, number)
    workbook.properties.title = f"政府信息发布台账 {year}年{number}月"
    workbook.properties.creator = "gongkai"
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(str(target))
    return rows


def _sheet_title(unit: Unit) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "", unit.name)[:31]
    return title or unit.id


class LedgerWriteError(GongkaiError):
    """The ledger file cannot be written: the CLI exits with 1."""


def month_ledger(portal, month: str, target: Path, units: tuple[str, ...] | list[str] | str | None = None) -> dict[str, list[Row]]:
    """Returns the rows of the ledger of ``month`` (YYYY-MM) after writing it to ``target``, only
    ``units`` when given; raises UsageError (bad month or unit) or LedgerWriteError."""
    try:
        parse_month(month)
    except ValueError:
        raise UsageError(f"月份 {month!r} 格式错误,应为 YYYY-MM,如 2025-03") from None
    selected: tuple[str, ...] | None = None
    if units:
        selected = tuple(units) if isinstance(units, (list, tuple)) else (units,)
        unknown = [u for u in selected if portal.settings.unit(u) is None]
        if unknown:
            raise UsageError(f"发布机构 {'、'.join(unknown)} 未在 extra.gongkai.units 中定义")
    try:
        return write_ledger(portal, month, target, selected or None)
    except OSError as exc:
        raise LedgerWriteError(f"无法写入台账:{describe_os_error(exc, target)}") from exc
