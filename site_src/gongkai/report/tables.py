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
    catalog = document_counts(catalog_items, item.unit, year)
    documents = report.get("documents")
    declared: dict[str, Any] = documents if isinstance(documents, dict) else {}
    for row, figures in catalog.items():
        disclosure[row] = figures
        found = declared.get(row)
        block: dict[str, Any] = found if isinstance(found, dict) else {}
        for (key, label), computed in zip(DOCUMENT_FIGURES, figures):
            typed = block.get(key)
            if is_count(typed) and typed != computed:
                path = ("report", "documents", row, key)
                problems.append(
                    Problem(
                        item.path,
                        line(path),
                        f"{dotted(path)}: 填报{row}{label} {typed} 件，但信息公开目录中为 {computed} 件；"
                        f"报告表格采用目录数字 {computed}",
                        WARNING,
                    )
                )
    for key in ("licensing", "punishment", "enforcement"):
        disclosure[key] = (count_or_zero(report.get(key)),)
    disclosure["fees"] = (amount_or_zero(report.get("fees")),)

    tables = ReportTables(
        year=year,
        unit=item.unit,
        disclosure=disclosure,
        requests=requests_table(report),
        appeals=appeals_table(report),
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
