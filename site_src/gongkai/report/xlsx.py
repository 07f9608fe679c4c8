"""The annual report's tables 二, 三 and 四 as an .xlsx, for the offices that file them in Excel.

Reads the same grids as the HTML (``report.grids.report_grids``), so the merged cells are the format's.
The file is reproducible: the same figures give the same bytes (the site manifest hashes it).
Written with XlsxWriter (a writer only: ~7 times faster than openpyxl for these merged grids).
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from gongkai.escaping import clean, looks_like_formula
from gongkai.report.figures import ReportTables
from gongkai.report.grids import Grid, grid_positions, report_grids

FONT_NAME = "宋体"
FIRST_GRID_ROW = 3  # row 1: report title, row 2: section title (1-based, as Excel numbers them)
# character widths of the columns of each table (None: the default width)
COLUMN_WIDTHS = {
    "主动公开政府信息情况": (22, 16, 16, 16),
    "收到和处理政府信息公开申请情况": (7, 11, 34, 8, 8, 8, 8, 8, 8, 8),
    "政府信息公开行政复议、行政诉讼情况": (7,) * 15,
}
LANDSCAPE = {"政府信息公开行政复议、行政诉讼情况"}
FIXED_TIME = datetime(2000, 1, 1)  # docProps time: the file must not change from build to build
A4 = 9  # the paper size code of A4 in SpreadsheetML
# Every string is written as a string, never taken for a formula, a number or a link.
_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


class _Formats:
    """The workbook's cell formats, one per combination of properties (XlsxWriter keeps each one it is given)."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.made: dict[tuple, Any] = {}

    def get(self, **properties: Any) -> Any:
        key = tuple(sorted(properties.items()))
        if key not in self.made:
            self.made[key] = self.workbook.add_format(properties)
        return self.made[key]


def _text(value: str) -> tuple[str, bool]:
    """Returns the text of a string cell and whether it is quote-prefixed: marked as text, so that
    editing it in Excel keeps it text when it looks like a formula."""
    text = clean(value)
    return text, looks_like_formula(text)


def _write(ws: Any, row: int, column: int, value: Any, formats: _Formats, properties: dict) -> None:
    """Writes a value (0-based row, column): a string always as a string, a figure as a number."""
    if isinstance(value, str):
        text, quoted = _text(value)
        ws.write_string(row, column, text, formats.get(**properties, quote_prefix=True) if quoted else formats.get(**properties))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(row, column, value, formats.get(**properties))
    else:
        ws.write_blank(row, column, None, formats.get(**properties))


def _merge(ws: Any, first_row: int, first_column: int, last_row: int, last_column: int, value: Any, formats: _Formats, properties: dict) -> None:
    """Merges a range (0-based) holding ``value`` in its first cell; its other cells have the
    same format (the borders of a bordered range)."""
    ws.merge_range(first_row, first_column, last_row, last_column, None, formats.get(**properties))
    _write(ws, first_row, first_column, value, formats, properties)


def _set_height(ws: Any, row: int, points: int) -> None:
    """Sets a row's height in points, exactly: XlsxWriter's set_row rounds it to whole pixels."""
    ws.set_row_pixels(row, points / 0.75)


def _write_grid(ws: Any, grid: Grid, title: str, formats: _Formats) -> None:
    widths = COLUMN_WIDTHS.get(grid.caption, (10,) * grid.width)
    for index, width in enumerate(widths):
        # In pixels: the stored width is then exactly ``width`` (XlsxWriter pads a width in characters).
        ws.set_column_pixels(index, index, width * 7)
    last = grid.width - 1

    heading = {"font_name": FONT_NAME, "bold": True, "valign": "vcenter"}
    _merge(ws, 0, 0, 0, last, title, formats, {**heading, "font_size": 14, "align": "center"})  # text, never a formula
    _set_height(ws, 0, 28)
    _merge(ws, 1, 0, 1, last, grid.section.title, formats, {**heading, "font_size": 12, "align": "left"})
    _set_height(ws, 1, 22)

    rows = grid.rows
    first = FIRST_GRID_ROW - 1
    lines_needed: dict[int, int] = {}
    for r, c, cell in grid_positions(rows):
        row, column = first + r, c
        bold = bool(cell.total and not cell.header)
        label_row = bool(cell.header and cell.scope == "row")
        properties = {
            "font_name": FONT_NAME, "font_size": 10.5, "bold": bold, "border": 1, "border_color": "#000000",
            "align": "left" if label_row else "center", "valign": "vcenter", "text_wrap": True,
        }
        if isinstance(cell.value, float):
            properties["num_format"] = "0.####"
        value = cell.value if not cell.header else cell.text
        if cell.rowspan > 1 or cell.colspan > 1:
            _merge(ws, row, column, row + cell.rowspan - 1, column + cell.colspan - 1, value, formats, properties)
        else:
            _write(ws, row, column, value, formats, properties)
        if cell.rowspan == 1 and cell.text:
            room = sum(widths[column + dc] if column + dc < len(widths) else 10 for dc in range(cell.colspan))
            lines = math.ceil(_display_width(cell.text) / max(room - 1, 1))
            lines_needed[row] = max(lines_needed.get(row, 1), lines)
    for row, lines in lines_needed.items():
        _set_height(ws, row, max(20, 15 * lines + 4))

    ws.print_area(0, 0, first + len(rows) - 1, last)
    if grid.head:
        ws.repeat_rows(first, first + len(grid.head) - 1)
    ws.set_paper(A4)
    if grid.caption in LANDSCAPE:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as it takes
    ws.center_horizontally()
    ws.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
    ws.set_header("", {"margin": 0.5})  # no header or footer; their margins as Excel's own default
    ws.set_footer("", {"margin": 0.5})


def report_workbook_bytes(tables: ReportTables, title: str | None = None) -> bytes:
    """Returns the .xlsx of the tables: one sheet per table, named with the section titles."""
    title = title or f"{tables.year}年政府信息公开工作年度报告"
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, _OPTIONS)
    formats = _Formats(workbook)
    for grid in report_grids(tables):
        _write_grid(workbook.add_worksheet(grid.section.title[:31]), grid, title, formats)
    # Fixed: XlsxWriter writes the creation time as the modification time too, and in memory it
    # dates every part of the zip 1980-01-01.
    workbook.set_properties({"title": clean(title), "author": "gongkai", "created": FIXED_TIME})
    workbook.close()
    return buffer.getvalue()


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
    Path(path).write_bytes(report_workbook_bytes(tables, title))
