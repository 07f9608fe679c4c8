"""The tables 二, 三 and 四 as grids: one layout read by the HTML, the .xlsx and official_text_lines()."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from gongkai.report.figures import ReportTables, format_figure
from gongkai.report.labels import (
    APPEAL_COLUMNS,
    APPEAL_KINDS,
    APPLICANTS,
    APPLICANTS_LABEL,
    COLUMNS,
    CONTENT_LABEL,
    IDENTITY_NOTE,
    ORGANIZATIONS,
    ORGANIZATIONS_LABEL,
    SECTIONS,
    TABLE2,
    TABLE2_WIDTH,
    TABLE3_DEPTH,
    TABLE3_ROWS,
    TOTAL,
    Section,
)


@dataclass(frozen=True)
class Cell:
    text: str
    header: bool = True  # th (a label) or td (a figure)
    rowspan: int = 1
    colspan: int = 1
    scope: str = ""  # col | colgroup | row | rowgroup, for th
    value: int | float | None = None  # the figure of a td
    total: bool = False  # a computed total


@dataclass(frozen=True)
class Grid:
    section: Section
    caption: str
    width: int
    head: tuple[tuple[Cell, ...], ...]
    bodies: tuple[tuple[tuple[Cell, ...], ...], ...]

    @property
    def rows(self) -> tuple[tuple[Cell, ...], ...]:
        return self.head + tuple(row for body in self.bodies for row in body)


def _figure(value: int | float | None, **kwargs: Any) -> Cell:
    return Cell(format_figure(value), header=False, value=value, **kwargs)


def table2_grid(tables: ReportTables | None) -> Grid:
    """Returns table 二 laid out as the format does: one block per 第二十条 item."""
    bodies = []
    for block in TABLE2:
        rows: list[tuple[Cell, ...]] = [(Cell(block.article, colspan=TABLE2_WIDTH, scope="colgroup"),)]
        spread = len(block.columns) == TABLE2_WIDTH - 1
        span = 1 if spread else TABLE2_WIDTH - 1
        rows.append(
            (Cell(CONTENT_LABEL, scope="col"),) + tuple(Cell(c, colspan=span, scope="col") for c in block.columns)
        )
        for row in block.rows:
            figures = tables.disclosure[row.key] if tables else (None,) * len(block.columns)
            rows.append((Cell(row.label, scope="row"),) + tuple(_figure(f, colspan=span) for f in figures))
        bodies.append(tuple(rows))
    return Grid(SECTIONS[1], SECTIONS[1].name, TABLE2_WIDTH, (), tuple(bodies))


def table3_grid(tables: ReportTables | None) -> Grid:
    """Returns table 三 with the format's merged headers and row groups."""
    label_width = TABLE3_DEPTH
    head = (
        (
            Cell(IDENTITY_NOTE, rowspan=3, colspan=label_width, scope="col"),
            Cell(APPLICANTS_LABEL, colspan=len(COLUMNS), scope="colgroup"),
        ),
        (
            Cell(APPLICANTS[0], rowspan=2, scope="col"),
            Cell(ORGANIZATIONS_LABEL, colspan=len(ORGANIZATIONS), scope="colgroup"),
            Cell(TOTAL, rowspan=2, scope="col"),
        ),
        tuple(Cell(c, scope="col") for c in ORGANIZATIONS),
    )
    rows = []
    for index, row in enumerate(TABLE3_ROWS):
        cells: list[Cell] = []
        previous = TABLE3_ROWS[index - 1].labels if index else ()
        for level, label in enumerate(row.labels):
            if level < len(row.labels) - 1:
                prefix = row.labels[: level + 1]
                if previous[: level + 1] == prefix:
                    continue  # covered by the rowspan of the group's first row
                span = 0
                for later in TABLE3_ROWS[index:]:
                    if later.labels[: level + 1] != prefix:
                        break
                    span += 1
                cells.append(Cell(label, rowspan=span, scope="rowgroup"))
            else:
                cells.append(Cell(label, colspan=label_width - level, scope="row"))
        for column in COLUMNS:
            value = tables.requests[row.key][column] if tables else None
            cells.append(_figure(value, total=row.computed or column == TOTAL))
        rows.append(tuple(cells))
    return Grid(SECTIONS[2], SECTIONS[2].name, label_width + len(COLUMNS), head, (tuple(rows),))


def table4_grid(tables: ReportTables | None) -> Grid:
    """Returns table 四: 行政复议, then 行政诉讼 split into its two kinds, each with five columns."""
    width = len(APPEAL_KINDS) * len(APPEAL_COLUMNS)
    depth = max(len(k.labels) for k in APPEAL_KINDS) + 1
    head: list[list[Cell]] = [[] for _ in range(depth)]
    seen: set[tuple[str, ...]] = set()
    for kind in APPEAL_KINDS:
        for level, label in enumerate(kind.labels):
            prefix = kind.labels[: level + 1]
            if prefix in seen:
                continue
            seen.add(prefix)
            kinds = [k for k in APPEAL_KINDS if k.labels[: level + 1] == prefix]
            head[level].append(Cell(label, colspan=len(kinds) * len(APPEAL_COLUMNS), scope="colgroup"))
        result_level = len(kind.labels)
        for column in APPEAL_COLUMNS:
            head[result_level].append(Cell(column, rowspan=depth - result_level, scope="col"))
    figures = []
    for kind in APPEAL_KINDS:
        for column in APPEAL_COLUMNS:
            figures.append(_figure(tables.appeals[kind.key][column] if tables else None, total=column == TOTAL))
    return Grid(
        SECTIONS[3], SECTIONS[3].name, width, tuple(tuple(r) for r in head if r), ((tuple(figures),),)
    )


def report_grids(tables: ReportTables | None) -> tuple[Grid, Grid, Grid]:
    """Returns the grids of tables 二, 三 and 四 (labels only when ``tables`` is None)."""
    return table2_grid(tables), table3_grid(tables), table4_grid(tables)


def grid_positions(rows: Sequence[Sequence[Cell]]) -> list[tuple[int, int, Cell]]:
    """Returns (row, column, cell) for each cell, placed as an HTML table places spanning cells."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    return placed


def official_text_lines() -> list[str]:
    """Returns every label of the format in reading order: section titles and table header cells."""
    lines: list[str] = []
    grids = {g.section.name: g for g in report_grids(None)}
    for section in SECTIONS:
        lines.append(section.title)
        grid = grids.get(section.name)
        if grid:
            lines.extend(cell.text for row in grid.rows for cell in row if cell.header)
    return lines
