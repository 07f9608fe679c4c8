"""The figures of a report's ``report:`` block, read leniently (missing or invalid = 0), and ReportTables."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from gongkai.errors import Problem
from gongkai.model import Item
from gongkai.report.labels import APPEAL_KINDS, APPEAL_RESULTS, APPLICANTS, LITIGATION_LABEL, TABLE3_ROWS, TOTAL


def is_count(value: Any) -> bool:
    """Returns whether the value is a figure of a count: a non-negative integer (never a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_amount(value: Any) -> bool:
    """Returns whether the value is an amount (万元): a finite non-negative number (never a bool)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


@dataclass(frozen=True)
class ReportTables:
    """The figures of tables 二, 三 and 四, every total computed, with the warnings found."""

    year: int
    unit: str
    # table 二: DisclosureRow.key → figures in the order of its block's columns
    disclosure: dict[str, tuple[int | float, ...]]
    # table 三: RequestRow.key → column (APPLICANTS + 总计) → figure
    requests: dict[str, dict[str, int]]
    # table 四: AppealKind.key → APPEAL_COLUMNS → figure
    appeals: dict[str, dict[str, int]]
    problems: tuple[Problem, ...] = ()
    declared: tuple[str, ...] = ()  # rows of table 二 第（一）项 (规章, 行政规范性文件) whose figures the unit declared

    def request(self, row: str, column: str = TOTAL) -> int:
        """Returns one cell of table 三; ``row`` may also be a group (不予公开 …): its sum."""
        if row in self.requests:
            return self.requests[row][column]
        return sum(cells[column] for key, cells in self.requests.items() if key.startswith(row + "."))

    def litigation(self, column: str = TOTAL) -> int:
        """Returns 行政诉讼 (both kinds) for one column of table 四."""
        return sum(self.appeals[k.key][column] for k in APPEAL_KINDS if k.labels[0] == LITIGATION_LABEL)


def report_block(item: Item) -> Mapping:
    """Returns the item's ``report:`` mapping, or an empty one."""
    report = item.meta.get("report")
    return report if isinstance(report, dict) else {}


def count_or_zero(value: Any) -> int:
    """Returns the count, or 0 when the value is not one (validate_report names it)."""
    return value if is_count(value) else 0


def amount_or_zero(value: Any) -> int | float:
    """Returns the amount, or 0 when the value is not one (validate_report names it)."""
    return value if is_amount(value) else 0


def column_figures(block: Any) -> dict[str, int]:
    """Returns one applicant column of table 三 from its report.requests block (missing = 0)."""
    block = block if isinstance(block, dict) else {}
    figures: dict[str, int] = {}
    for row in TABLE3_ROWS:
        if row.computed:
            continue
        value: Any = block
        for part in row.path:
            value = value.get(part) if isinstance(value, dict) else None
        figures[row.key] = count_or_zero(value)
    figures["办理结果总计"] = sum(figures[r.key] for r in TABLE3_ROWS if r.is_result)
    return figures


def requests_table(report: Mapping) -> dict[str, dict[str, int]]:
    """Returns table 三 from a ``report:`` block: RequestRow.key → column (with 总计) → figure."""
    requests = report.get("requests")
    requests = requests if isinstance(requests, dict) else {}
    columns = {column: column_figures(requests.get(column)) for column in APPLICANTS}
    table = {row.key: {column: columns[column][row.key] for column in APPLICANTS} for row in TABLE3_ROWS}
    for cells in table.values():
        cells[TOTAL] = sum(cells[column] for column in APPLICANTS)
    return table


def appeals_table(report: Mapping) -> dict[str, dict[str, int]]:
    """Returns table 四 from a ``report:`` block: AppealKind.key → APPEAL_COLUMNS → figure."""
    appeals = report.get("appeals")
    appeals = appeals if isinstance(appeals, dict) else {}
    table = {}
    for kind in APPEAL_KINDS:
        block = appeals.get(kind.key)
        block = block if isinstance(block, dict) else {}
        cells = {result: count_or_zero(block.get(result)) for result in APPEAL_RESULTS}
        cells[TOTAL] = sum(cells.values())
        table[kind.key] = cells
    return table


#: Where an aggregate (汇总) report lives beside the units' reports: xxgk/gknb/{year}/huizong/.
AGGREGATE_SLOT = "huizong"
#: The keys of the figures a unit types; an aggregate report takes them from its units instead.
FIGURE_KEYS = ("licensing", "punishment", "enforcement", "fees", "documents", "requests", "appeals")


def aggregate_units(item: Item) -> tuple[str, ...] | None:
    """Returns the units an aggregate report sums (``report.aggregate``), or None for a unit's report."""
    units = report_block(item).get("aggregate")
    if not isinstance(units, list):
        return None
    return tuple(str(u) for u in units if isinstance(u, str))


def report_slot(item: Item) -> str:
    """Returns the folder of a report under its year: its unit, or AGGREGATE_SLOT for a 汇总 report."""
    return AGGREGATE_SLOT if aggregate_units(item) is not None else item.unit


def report_year(item: Item) -> int | None:
    """Returns the year a report item reports on, or None when its block has no valid year."""
    year = report_block(item).get("year")
    return year if isinstance(year, int) and not isinstance(year, bool) and 2008 <= year <= 2100 else None


def format_figure(value: int | float | None) -> str:
    """Returns a figure as the tables and the warnings write it: no trailing zeros, "" for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)
