"""The report page: the six sections in order with tables 二, 三, 四 as HTML and charts as inline SVG."""
from __future__ import annotations

from html import escape
from typing import Callable, Mapping, Sequence

from gongkai.escaping import scroll_region
from gongkai.model import Item
from gongkai.report.body import ReportBody, section_of_heading
from gongkai.report.figures import ReportTables
from gongkai.report.grids import Cell, Grid, grid_positions, report_grids
from gongkai.report.labels import APPLICANTS, DOCUMENT_CATEGORIES, RESULT_GROUPS, SECTIONS


def _cell_html(cell: Cell, cell_id: str = "", headers: Sequence[str] = ()) -> str:
    tag = "th" if cell.header else "td"
    attrs = f' id="{cell_id}"' if cell_id else ""
    if cell.header and cell.scope:
        attrs += f' scope="{cell.scope}"'
    if headers:
        attrs += f' headers="{" ".join(headers)}"'
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    if cell.total:
        attrs += ' class="gk-total"'
    return f"<{tag}{attrs}>{escape(cell.text)}</{tag}>"


def cell_headers(grid: Grid) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """Returns, for each figure at (row, column) of ``grid.rows``, the (row, column) of every label
    that names it, in reading order: the column labels above it in the table head or its own block
    (table 二 is one block per 第二十条 item) and the row labels left of it."""
    rows = grid.rows
    block = [-1] * len(grid.head) + [i for i, body in enumerate(grid.bodies) for _ in body]
    placed = grid_positions(rows)
    labels = [(r, c, cell) for r, c, cell in placed if cell.header]
    found: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for r, c, cell in placed:
        if cell.header:
            continue
        names = []
        for lr, lc, label in labels:
            if label.scope in ("row", "rowgroup"):
                if lc < c and lr <= r < lr + label.rowspan:
                    names.append((lr, lc))
            elif lr < r and block[lr] in (-1, block[r]) and lc < c + cell.colspan and c < lc + label.colspan:
                names.append((lr, lc))
        found[(r, c)] = sorted(names)
    return found


def grid_html(grid: Grid, css: str) -> str:
    """Returns one table as HTML without blank lines (a single raw-HTML block in Markdown): a
    keyboard-reachable scroll region, every label with an id and every figure naming its labels
    (``headers``), so that a screen reader reads "行政复议 · 结果维持 · 5"."""
    named = cell_headers(grid)
    label_ids = {key for names in named.values() for key in names}
    places = iter(grid_positions(grid.rows))

    def row_html(row: Sequence[Cell]) -> str:
        out = []
        for cell in row:
            r, c, _ = next(places)
            cell_id = f"{css}-{r}-{c}" if (r, c) in label_ids else ""
            headers = [f"{css}-{lr}-{lc}" for lr, lc in named.get((r, c), [])]
            out.append(_cell_html(cell, cell_id, headers))
        return "<tr>" + "".join(out) + "</tr>"

    out = [f'<table class="gk-report-table {css}">']
    out.append(f'<caption class="gk-report-caption">{escape(grid.caption)}</caption>')
    if grid.head:
        out.append("<thead>")
        out += [row_html(row) for row in grid.head]
        out.append("</thead>")
    for body in grid.bodies:
        out.append("<tbody>")
        out += [row_html(row) for row in body]
        out.append("</tbody>")
    out.append("</table>")
    return scroll_region("\n".join(out), grid.caption, "gk-report-table-wrap").rstrip("\n")


def bar_chart_svg(chart_id: str, title: str, bars: Sequence[tuple[str, int]], unit: str = "件") -> str:
    """Returns a horizontal bar chart as inline SVG (no script, no external resource)."""
    width, label_width, gap, row_height, bar_height = 640, 120, 10, 30, 18
    value_room = 110
    top = 10
    height = top * 2 + row_height * len(bars)
    largest = max((v for _, v in bars), default=0) or 1
    total = sum(v for _, v in bars)
    scale = (width - label_width - gap - value_room) / largest
    desc = "；".join(f"{label} {value} {unit}" for label, value in bars)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gk-chart" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="14">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for index, (label, value) in enumerate(bars):
        y = top + index * row_height
        middle = y + row_height / 2
        bar = round(value * scale, 1)
        share = f"{value / total:.0%}" if total else "0%"
        out.append(
            f'<text class="gk-chart-label" x="{label_width}" y="{middle:g}" text-anchor="end"'
            f' dominant-baseline="central" fill="#333">{escape(label)}</text>'
        )
        out.append(
            f'<rect class="gk-chart-bar" x="{label_width + gap}" y="{middle - bar_height / 2:g}"'
            f' width="{bar:g}" height="{bar_height}" fill="#2b5f9e"/>'
        )
        out.append(
            f'<text class="gk-chart-value" x="{label_width + gap + bar + 6:g}" y="{middle:g}"'
            f' dominant-baseline="central" fill="#333">{value}（{share}）</text>'
        )
    out.append("</svg>")
    return "".join(out)


def report_charts(tables: ReportTables) -> list[tuple[str, str]]:
    """Returns (chart id, SVG) for the charts worth drawing: results, and applicants when mixed."""
    charts = []
    handled = tables.request("办理结果总计")
    if handled:
        bars = [(group, tables.request(group)) for group, _ in RESULT_GROUPS]
        charts.append(("gk-chart-results", bar_chart_svg("gk-chart-results", f"本年度办理结果（共 {handled} 件）", bars)))
    received = tables.request("新收")
    applicants = [(column, tables.request("新收", column)) for column in APPLICANTS]
    if sum(1 for _, v in applicants if v) >= 2:
        charts.append(
            ("gk-chart-applicants", bar_chart_svg("gk-chart-applicants", f"本年新收申请的申请人类型（共 {received} 件）", applicants))
        )
    return charts


def _figure_html(svg: str, caption: str) -> str:
    return f'<figure class="gk-report-chart">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def render_report_html(
    item: Item,
    tables: ReportTables,
    body_sections: ReportBody | Mapping[str, str],
    *,
    render_markdown: Callable[[str], str] | None = None,
    xlsx_href: str | None = None,
) -> str:
    """Returns the report page body: the six sections in order, with tables 二, 三, 四 and charts.

    Without ``render_markdown`` the result is Markdown for the page: section headings as ``##``
    headings (so the table of contents lists them), the editor's narrative unchanged, and every
    generated part (tables, charts, download link) as a raw-HTML block with all text escaped. With
    ``render_markdown`` (Markdown → HTML) the narrative is converted and the result is pure HTML.
    ``body_sections`` is ``split_report_body(...)`` or a mapping of section name (or title) →
    Markdown, with the text before the first section under ``"preface"``. ``item`` is the report
    item itself (kept in the signature for the page; the figures come from ``tables``).
    """
    if isinstance(body_sections, ReportBody):
        preface, texts = body_sections.preface, body_sections.sections
    else:
        preface = body_sections.get("preface", "")
        texts = {}
        for key, text in body_sections.items():
            section = section_of_heading(key, strict=False)
            texts[section.name if section else key] = text
    html_mode = render_markdown is not None
    parts: list[str] = []

    def narrative(text: str) -> None:
        if text and text.strip():
            parts.append(render_markdown(text).strip() if render_markdown is not None else text.strip("\n"))

    narrative(preface)
    if xlsx_href:
        parts.append(
            f'<p class="gk-report-downloads"><a href="{escape(xlsx_href)}" download>'
            f"下载本报告统计表（Excel）</a></p>"
        )
    grid2, grid3, grid4 = report_grids(tables)
    generated = {
        SECTIONS[1].name: [grid_html(grid2, "gk-report-t2"), _documents_note(tables)],
        SECTIONS[2].name: [grid_html(grid3, "gk-report-t3")]
        + [_figure_html(svg, _chart_caption(chart_id)) for chart_id, svg in report_charts(tables)],
        SECTIONS[3].name: [grid_html(grid4, "gk-report-t4")],
    }
    for number, section in enumerate(SECTIONS, start=1):
        if html_mode:
            parts.append(f'<h2 id="gknb-{number}">{escape(section.title)}</h2>')
        else:
            parts.append(f"## {section.title}")
        narrative(texts.get(section.name, ""))
        parts += generated.get(section.name, [])
    return "\n\n".join(parts) + "\n"


def _documents_note(tables: ReportTables) -> str:
    """Returns where the figures of 第二十条第（一）项 come from: declared by the unit, or counted
    from the catalog (so that a 0 is never silent)."""
    rows = [row for row in DOCUMENT_CATEGORIES if row in tables.declared]
    counted = [row for row in DOCUMENT_CATEGORIES if row not in tables.declared]
    parts = []
    if rows:
        parts.append(f"{'、'.join(rows)}件数为本机关填报数")
    if counted:
        parts.append(f"{'、'.join(counted)}件数据本网站政府信息公开目录统计")
    return f'<p class="gk-report-note">注：第二十条第（一）项中，{"；".join(parts)}。</p>'


def _chart_caption(chart_id: str) -> str:
    return {
        "gk-chart-results": "图：本年度办理结果（数据同上表“三、本年度办理结果”总计列）",
        "gk-chart-applicants": "图：本年新收申请的申请人类型（数据同上表第一行）",
    }.get(chart_id, "")
