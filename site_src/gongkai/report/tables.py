"""annual_report_tables: the computed tables 二, 三 and 四 of a report item, and the cross-checks."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Iterable, Mapping

from gongkai.errors import WARNING, Problem
from gongkai.model import Item
from gongkai.report.figures import (
    ReportTables,
    amount_or_zero,
    appeals_table,
    count_or_zero,
    is_count,
    report_block,
    report_year,
    requests_table,
)
from gongkai.report.labels import APPLICANTS, DOCUMENT_CATEGORIES, DOCUMENT_FIGURES
from gongkai.report.narrative import narrative_problems
from gongkai.report.validate import KeyLines, dotted


def _iso_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def document_counts(catalog_items: Iterable[Item], unit: str, year: int) -> dict[str, tuple[int, int, int]]:
    """Returns 本年制发, 本年废止, 现行有效 for 规章 and 行政规范性文件 of one unit from the catalog.

    制发: ``created`` in the year. 废止: ``validity`` 失效 or 废止 with ``repealed_on`` in the year.
    现行有效: in force on 31 December of the year — created by then and either still 有效 or
    repealed only after that day (so a report rebuilt later keeps its figures).
    """
    year_end = date(year, 12, 31) if year else date.max
    counts = {row: [0, 0, 0] for row in DOCUMENT_CATEGORIES}
    by_category = {category: row for row, category in DOCUMENT_CATEGORIES.items()}
    for item in catalog_items:
        row = by_category.get(item.category)
        if row is None or item.unit != unit:
            continue
        created = _iso_date(item.meta.get("created"))
        if created is None:
            continue
        repealed = _iso_date(item.meta.get("repealed_on")) if item.validity != "有效" else None
        if created.year == year:
            counts[row][0] += 1
        if repealed is not None and repealed.year == year:
            counts[row][1] += 1
        in_force = item.validity == "有效" or (repealed is not None and repealed > year_end)
        if created <= year_end and in_force:
            counts[row][2] += 1
    return {row: tuple(figures) for row, figures in counts.items()}  # type: ignore[misc]


def previous_report(item: Item, report_items: Iterable[Item]) -> Item | None:
    """Returns the same unit's report for the year before ``item``'s, if the portal has one."""
    year = report_year(item)
    if year is None:
        return None
    for other in report_items:
        if other is not item and other.unit == item.unit and report_year(other) == year - 1:
            return other
    return None


def annual_report_tables(
    item: Item,
    catalog_items: Iterable[Item],
    previous: Item | ReportTables | None = None,
    *,
    source: str | Mapping[str, int] | None = None,
) -> ReportTables:
    """Returns tables 二, 三 and 四 of a report item, every total computed, with its warnings.

    ``catalog_items`` are the published items of the portal (any unit, any category): table 二
    counts the 规章 and 规范性文件 of the report's unit. ``previous`` is the same unit's report for
    the year before (an item or its tables), compared column by column: 上年结转 against its
    结转下年度. ``source`` (the file text or the loader's dotted key → line map, as for
    ``validate_report``) lets warnings point at nested keys. Invalid figures count
    as 0 here: ``validate_report`` reports them.
    """
    report = report_block(item)
    year = report_year(item) or 0
    line = KeyLines(item, source)
    problems: list[Problem] = []

    disclosure: dict[str, tuple[int | float, ...]] = {}
    sources: list[str] = []  # the rows of 第（一）项 with a declared figure
    catalog = document_counts(catalog_items, item.unit, year)
    documents = report.get("documents")
    declared: dict[str, Any] = documents if isinstance(documents, dict) else {}
    for row, figures in catalog.items():
        found = declared.get(row)
        block: dict[str, Any] = found if isinstance(found, dict) else {}
        shown: list[int] = []
        for (key, label), computed in zip(DOCUMENT_FIGURES, figures):
            typed: Any = block.get(key)
            if not is_count(typed):
                shown.append(computed)
                continue
            # A declared figure is what the unit reports (documents published before gongkai, or
            # elsewhere); the catalog's count only cross-checks it.
            shown.append(typed)
            if typed != computed:
                path = ("report", "documents", row, key)
                problems.append(
                    Problem(
                        item.path,
                        line(path),
                        f"{dotted(path)}: 填报{row}{label} {typed} 件，但信息公开目录中为 {computed} 件；"
                        f"报告表格采用填报数字 {typed}，请核对是否有文件未录入目录或登记有误",
                        WARNING,
                    )
                )
        disclosure[row] = tuple(shown)
        if any(is_count(block.get(key)) for key, _ in DOCUMENT_FIGURES):
            sources.append(row)
    for key in ("licensing", "punishment", "enforcement"):
        disclosure[key] = (count_or_zero(report.get(key)),)
    disclosure["fees"] = (amount_or_zero(report.get("fees")),)

    tables = ReportTables(
        year=year,
        unit=item.unit,
        disclosure=disclosure,
        requests=requests_table(report),
        appeals=appeals_table(report),
        declared=tuple(sources),
    )
    if previous is not None:
        problems += _carry_over_problems(item, tables, previous, line)
    problems += narrative_problems(item, tables)
    return replace(tables, problems=tuple(sorted(problems)))


def _carry_over_problems(item: Item, tables: ReportTables, previous: Item | ReportTables, line) -> list[Problem]:
    if isinstance(previous, ReportTables):
        prev_year, prev_unit, prev_table = previous.year, previous.unit, previous.requests
    else:
        prev_year, prev_unit = report_year(previous) or 0, previous.unit
        prev_table = requests_table(report_block(previous))
    if prev_unit != tables.unit or prev_year != tables.year - 1:
        return []
    problems = []
    for column in APPLICANTS:
        carried = tables.requests["上年结转"][column]
        expected = prev_table["结转下年度"][column]
        if carried != expected:
            path = ("report", "requests", column, "上年结转")
            problems.append(
                Problem(
                    item.path,
                    line(path),
                    f"{column}一栏上年结转 {carried} 件，与{prev_year}年度报告的结转下年度 {expected} 件不一致",
                    WARNING,
                )
            )
    return problems


def aggregate_report_tables(item: Item, parts: Mapping[str, ReportTables | None], units: Mapping[str, str] | None = None) -> ReportTables:
    """Returns the tables of a 汇总 report: every cell the sum of the listed units' reports of the
    same year (``parts``: unit id -> its tables, None when it has no published report). A unit
    without a report is an error: the sum would be short."""
    year = report_year(item) or 0
    line = KeyLines(item, item.lines)
    problems: list[Problem] = []
    present = [tables for tables in parts.values() if tables is not None]
    for unit, tables in parts.items():
        if tables is None:
            name = (units or {}).get(unit, unit)
            problems.append(Problem(item.path, line(("report", "aggregate")), f"report.aggregate: {name}({unit})没有已发布的{year}年度报告,汇总数字会少算:请先发布该机构的报告,或从 aggregate 中去掉它"))
    first = present[0] if present else None
    disclosure: dict[str, tuple[int | float, ...]] = {}
    requests: dict[str, dict[str, int]] = {}
    appeals: dict[str, dict[str, int]] = {}
    if first is not None:
        disclosure = {key: tuple(sum(t.disclosure[key][i] for t in present) for i in range(len(cells))) for key, cells in first.disclosure.items()}
        requests = {row: {column: sum(t.requests[row][column] for t in present) for column in cells} for row, cells in first.requests.items()}
        appeals = {kind: {column: sum(t.appeals[kind][column] for t in present) for column in cells} for kind, cells in first.appeals.items()}
    else:
        empty = annual_report_tables(item, [])
        disclosure, requests, appeals = empty.disclosure, empty.requests, empty.appeals
    declared = tuple(row for row in DOCUMENT_CATEGORIES if any(row in t.declared for t in present))
    tables = ReportTables(year=year, unit=item.unit, disclosure=disclosure, requests=requests, appeals=appeals, declared=declared)
    problems += narrative_problems(item, tables)
    return replace(tables, problems=tuple(sorted(problems)))
