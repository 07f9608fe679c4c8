"""The annual report's tables 二, 三 and 四 as an .xlsx, for the offices that file them in Excel.

Reads the same grids as the HTML (``report.grids.report_grids``), so the merged cells are the format's.
The file is reproducible: the same figures give the same bytes (the site manifest hashes it).
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from copy import copy
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gongkai.escaping import put_cell
from gongkai.report.figures import ReportTables
from gongkai.report.grids import Grid, grid_positions, report_grids

FONT_NAME = "宋体"
FIRST_GRID_ROW = 3  # row 1: report title, row 2: section title
# character widths of the columns of each table (None: the default width)
COLUMN_WIDTHS = {
    "主动公开政府信息情况": (22, 16, 16, 16),
    "收到和处理政府信息公开申请情况": (7, 11, 34, 8, 8, 8, 8, 8, 8, 8),
    "政府信息公开行政复议、行政诉讼情况": (7,) * 15,
}
LANDSCAPE = {"政府信息公开行政复议、行政诉讼情况"}
FIXED_TIME = datetime(2000, 1, 1)  # docProps time: the file must not change from build to build

_thin = Side(style="thin", color="000000")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _write_grid(ws: Worksheet, grid: Grid, title: str) -> None:
    widths = COLUMN_WIDTHS.get(grid.caption, (10,) * grid.width)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(grid.width)

    put_cell(ws["A1"], title)  # the item's title: text, never a formula
    ws["A1"].font = Font(name=FONT_NAME, size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 28
    put_cell(ws["A2"], grid.section.title)
    ws["A2"].font = Font(name=FONT_NAME, size=12, bold=True)
    ws["A2"].alignment = Alignment(horizontal="left", vertical="center")
    ws.merge_cells(f"A2:{last}2")
    ws.row_dimensions[2].height = 22

    rows = grid.rows
    lines_needed: dict[int, int] = {}
    # Assigning a style object makes openpyxl hash it against the workbook's style table: the
    # few combinations a grid uses are made once and copied (as openpyxl's own copy does).
    styles: dict[tuple | str, Any] = {}  # "covered": the style of the cells a merge covers
    for r, c, cell in grid_positions(rows):
        row, column = FIRST_GRID_ROW + r, 1 + c
        target = ws.cell(row=row, column=column)
        put_cell(target, cell.value if not cell.header else cell.text)
        bold = bool(cell.total and not cell.header)
        label_row = bool(cell.header and cell.scope == "row")
        key = (bold, label_row, isinstance(cell.value, float))
        if key not in styles:
            target.font = Font(name=FONT_NAME, size=10.5, bold=bold)
            target.alignment = Alignment(
                horizontal="left" if label_row else "center", vertical="center", wrap_text=True
            )
            if key[2]:
                target.number_format = "0.####"
            target.border = _BORDER
            styles[key] = copy(target._style)
        target._style = copy(styles[key])
        for dr in range(cell.rowspan):
            for dc in range(cell.colspan):
                if dr or dc:
                    covered = ws.cell(row=row + dr, column=column + dc)
                    if "covered" not in styles:
                        covered.border = _BORDER
                        styles["covered"] = copy(covered._style)
                    covered._style = copy(styles["covered"])
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_cells(
                start_row=row, start_column=column, end_row=row + cell.rowspan - 1, end_column=column + cell.colspan - 1
            )
        if cell.rowspan == 1 and cell.text:
            room = sum(widths[column - 1 + dc] if column - 1 + dc < len(widths) else 10 for dc in range(cell.colspan))
            lines = math.ceil(_display_width(cell.text) / max(room - 1, 1))
            lines_needed[row] = max(lines_needed.get(row, 1), lines)
    for row, lines in lines_needed.items():
        ws.row_dimensions[row].height = max(20, 15 * lines + 4)

    last_row = FIRST_GRID_ROW + len(rows) - 1
    ws.print_area = f"A1:{last}{last_row}"
    if grid.head:
        ws.print_title_rows = f"{FIRST_GRID_ROW}:{FIRST_GRID_ROW + len(grid.head) - 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if grid.caption in LANDSCAPE else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.8


def report_workbook(tables: ReportTables, title: str | None = None) -> Workbook:
    """Returns a workbook with one sheet per table, titled with the section titles."""
    title = title or f"{tables.year}年政府信息公开工作年度报告"
    workbook = Workbook()
    workbook.remove(workbook.active)
    for grid in report_grids(tables):
        sheet = workbook.create_sheet(grid.section.title[:31])
        _write_grid(sheet, grid, title)
    workbook.properties.title = title
    workbook.properties.creator = "gongkai"
    workbook.properties.created = FIXED_TIME
    return workbook


def reproducible(data: bytes) -> bytes:
    """Returns the same .xlsx with fixed timestamps: in docProps/core.xml and in the zip."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, content)
    return out.getvalue()


def write_report_xlsx(tables: ReportTables, path: Any, title: str | None = None) -> None:
    """Writes tables 二, 三 and 四 to ``path`` (.xlsx): merged headers, borders, A4 print setup."""
    buffer = io.BytesIO()
    report_workbook(tables, title).save(buffer)
    Path(path).write_bytes(reproducible(buffer.getvalue()))
