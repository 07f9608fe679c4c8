"""The list of reports (``xxgk/gknb/``), the site paths of a report's page and .xlsx, and missing reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Iterable, Mapping

from gongkai.errors import WARNING, Problem
from gongkai.escaping import scroll_region
from gongkai.law import layout
from gongkai.model import Item, Settings
from gongkai.report.figures import AGGREGATE_SLOT, report_slot, report_year
from gongkai.report.labels import DEADLINE


def report_page_path(year: int, unit: str) -> str:
    """Returns the site path of a report page: ``xxgk/gknb/{year}/{unit}/``."""
    return layout.report_folder(year, unit) + "/"


def report_xlsx_path(year: int, unit: str) -> str:
    """Returns the site path of a report's .xlsx, beside its page."""
    return f"{report_page_path(year, unit)}gknb-{year}-{unit}.xlsx"


@dataclass(frozen=True)
class ReportEntry:
    year: int
    unit: str
    title: str
    index_no: str
    published: str  # ISO date, or ""
    url: str  # site path of the page, xxgk/gknb/{year}/{unit}/
    xlsx: str  # site path of the .xlsx
    item: Item = field(repr=False, compare=False)


@dataclass(frozen=True)
class ReportsIndex:
    by_year: tuple[tuple[int, tuple[ReportEntry, ...]], ...]  # newest year first, units in order
    by_unit: tuple[tuple[str, tuple[ReportEntry, ...]], ...]  # units in order, newest year first
    problems: tuple[Problem, ...] = ()

    @property
    def entries(self) -> tuple[ReportEntry, ...]:
        return tuple(e for _, entries in self.by_year for e in entries)


def reports_index(report_items: Iterable[Item], settings: Settings | None = None, published: Mapping[str, date | None] | None = None) -> ReportsIndex:
    """Returns the reports by year (newest first) and by unit, for the list page ``xxgk/gknb/``.

    Units come in the order of ``settings.units`` when given, else by id. A report without a valid
    ``report.year`` is left out (``validate_report`` names it); a second report for the same unit
    and year is an error, since both would claim one page. ``published`` maps an item's path to
    the 发布日期 the public sees (Decision.published); without it, the date typed in the item.
    """
    order = {AGGREGATE_SLOT: -1} | ({u.id: i for i, u in enumerate(settings.units)} if settings else {})
    chosen: dict[tuple[int, str], ReportEntry] = {}
    problems: list[Problem] = []
    for item in sorted(report_items, key=lambda i: i.path):
        year = report_year(item)
        if year is None:
            continue
        key = (year, report_slot(item))
        if key in chosen:
            problems.append(
                Problem(
                    item.path,
                    item.line_of("report"),
                    f"{item.unit} 的{year}年度报告已由 {chosen[key].item.path} 发布，同一机构同一年度只能有一份",
                )
            )
            continue
        chosen[key] = ReportEntry(
            year=year,
            unit=report_slot(item),
            title=item.title,
            index_no=item.index_no,
            published=_published(item, published),
            url=report_page_path(year, report_slot(item)),
            xlsx=report_xlsx_path(year, report_slot(item)),
            item=item,
        )

    def unit_rank(unit: str) -> tuple[int, str]:
        return (order.get(unit, len(order)), unit)

    years = sorted({y for y, _ in chosen}, reverse=True)
    units = sorted({u for _, u in chosen}, key=unit_rank)
    by_year = tuple(
        (y, tuple(chosen[k] for k in sorted((k for k in chosen if k[0] == y), key=lambda k: unit_rank(k[1]))))
        for y in years
    )
    by_unit = tuple(
        (u, tuple(chosen[k] for k in sorted((k for k in chosen if k[1] == u), reverse=True))) for u in units
    )
    return ReportsIndex(by_year, by_unit, tuple(sorted(problems)))


def _published(item: Item, published: Mapping[str, date | None] | None) -> str:
    if published is None:
        return str(item.meta.get("published") or "")
    day = published.get(item.path)
    return day.isoformat() if day else ""


def render_reports_index_html(index: ReportsIndex, settings: Settings | None = None) -> str:
    """Returns the body of ``xxgk/gknb/``: one table per year, links relative to that page."""
    names = {u.id: u.name for u in settings.units} if settings else {}
    names[AGGREGATE_SLOT] = "汇总"
    if not index.by_year:
        return '<p class="gk-report-none">暂无政府信息公开工作年度报告。</p>\n'
    parts = []
    for year, entries in index.by_year:
        rows = []
        for e in entries:
            href = e.url[len(layout.REPORTS) + 1:]
            xlsx = e.xlsx[len(layout.REPORTS) + 1:]
            rows.append(
                "<tr>"
                f'<th scope="row">{escape(names.get(e.unit, e.unit))}</th>'
                f'<td><a href="{escape(href)}">{escape(e.title)}</a></td>'
                f"<td>{escape(e.published)}</td>"
                f'<td><a href="{escape(xlsx)}" download>统计表（Excel）</a></td>'
                "</tr>"
            )
        parts.append(
            f'<h2 id="gknb-{year}">{year}年度</h2>\n'
            + scroll_region(
                f'<table class="gk-report-list">\n<caption>{year}年度政府信息公开工作年度报告</caption>\n'
                '<thead><tr><th scope="col">发布机构</th><th scope="col">报告</th>'
                '<th scope="col">发布日期</th><th scope="col">下载</th></tr></thead>\n'
                "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>",
                f"{year}年度政府信息公开工作年度报告",
            ).rstrip("\n")
        )
    return "\n\n".join(parts) + "\n"


def missing_reports(
    settings: Settings, report_items: Iterable[Item], today: date, *, path: str = "mkdocs.yml"
) -> list[Problem]:
    """Returns a warning for each unit without a report for last year, once 1月31日 has passed.

    ``report_items`` are the reports the portal publishes: one held back for review still counts
    as missing, since the public cannot read it.
    """
    month, day = DEADLINE
    if today <= date(today.year, month, day):
        return []
    year = today.year - 1
    have = {report_slot(item) for item in report_items if report_year(item) == year}
    return [
        Problem(
            path,
            0,
            f"{unit.name}（{unit.id}）尚未发布{year}年政府信息公开工作年度报告"
            f"（条例第四十九条：应于{month}月{day}日前向社会公布）",
            WARNING,
        )
        for unit in settings.units
        if unit.id not in have
    ]
