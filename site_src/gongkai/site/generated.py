"""Which pages and exports the engine generates, and where each published item lands: plain data
the glue turns into MkDocs files (nothing here knows MkDocs exists).

A new kind of generated page or export is one more entry in ``generated_files`` (and its tests
and docs)."""
from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from gongkai import gitrepo
from gongkai.errors import Problem
from gongkai.law import layout
from gongkai.model import Decision, Item, Verdict
from gongkai.portal import Portal, annual_reports
from gongkai.report.body import split_report_body
from gongkai.report.figures import report_slot, report_year
from gongkai.report.html import render_report_html
from gongkai.report.index import render_reports_index_html, report_page_path, report_xlsx_path
from gongkai.report.index import reports_index as list_reports
from gongkai.site import catalog, guide, pages, standard, statutory

REPORT_CSS = Path(__file__).resolve().parents[1] / "templates" / "report.css"


@dataclass(frozen=True)
class Site:
    """What of mkdocs.yml the generated pages depend on."""

    site_name: str
    site_url: str
    directory_urls: bool
    config_file: Path  # mkdocs.yml: its folder is the repository whose history the pages show


@dataclass(frozen=True)
class GeneratedFile:
    """A page (Markdown) or an export the engine writes at ``src``; ``blocks`` are the HTML blocks
    the page's Markdown stands for (see pages.HtmlStash)."""

    src: str
    content: str | bytes
    blocks: tuple | list = ()


@dataclass(frozen=True)
class ReportOutput:
    """An annual report's page body and the path of its .xlsx (made from ``tables``, ``title``)."""

    body: str
    xlsx: str
    tables: object
    title: str


def _published_item(decision: Decision) -> Item:
    """Returns the item of a published decision."""
    item = decision.item
    assert item is not None  # a published decision has its item
    return item


def _report_year(item: Item) -> int:
    """Returns the year of an annual report in ``portal.reports`` (a published one)."""
    year = report_year(item)
    assert year is not None  # validate_report makes a missing or invalid year an error: the gate refused it
    return year


def page_sources(portal: Portal) -> Callable[[Item], str]:
    """Returns item -> source path of its page: an annual report lives at xxgk/gknb/{year}/{unit}/."""

    def src_of(item) -> str:
        if item.path in portal.reports:
            return report_page_path(_report_year(item), report_slot(item)) + "index.md"
        return item.rel

    return src_of


def report_output(portal: Portal, decision: Decision) -> ReportOutput | None:
    """Returns the rendered sections of an annual report and where its .xlsx goes beside the page,
    or None when the item is no annual report."""
    item = _published_item(decision)
    tables = portal.reports.get(item.path)
    if tables is None:
        return None
    xlsx = report_xlsx_path(_report_year(item), report_slot(item))
    assert decision.text is not None  # a published decision has its text
    sections = split_report_body(decision.text, item.body_line)
    body = render_report_html(item, tables, sections, xlsx_href=posixpath.basename(xlsx))
    return ReportOutput(body, xlsx, tables, item.title)


def generated_files(portal: Portal, site: Site) -> Iterator[GeneratedFile]:
    """Yields every page and export the engine generates, in the order the site lists them."""
    settings = portal.settings

    def url_of(src: str) -> str:
        return layout.page_url(src, site.directory_urls)

    src_of = page_sources(portal)
    entries = catalog.build_entries(portal.decisions, settings, lambda item: url_of(src_of(item)), portal.cache)
    day = shown_day(portal, entries)
    generated = [pages.site_home(site.site_name, entries, settings, url_of, day), pages.xxgk_home(entries, settings, url_of, day)]
    generated += catalog.catalog_pages(entries, settings, url_of, day, portal.cache)
    generated.append(guide.guide_page(settings, url_of, day))
    for unit in settings.units:
        generated.append(guide.guide_page(settings, url_of, day, unit))
        generated.append(pages.unit_home(unit, entries, settings, url_of, day))
    generated += guide.on_demand_pages(entries, settings, url_of, day, portal.cache)
    generated.append(statutory.apply_form_page(settings, url_of, day))
    generated.append(statutory.mandatory_page(entries, settings, url_of, day))
    generated.append(statutory.rules_page(entries, settings, url_of, day))
    generated += standard.standard_pages(portal.standards, entries, settings, url_of, day)
    for page in generated:
        yield GeneratedFile(page.src, page.markdown, page.html_blocks)
    yield GeneratedFile(layout.index_src(layout.REPORTS), reports_index(portal, day))
    yield GeneratedFile(layout.index_src(layout.CATALOG_HISTORY), standard.adjustment_page(portal.adjustments, settings, url_of, day).markdown)
    yield GeneratedFile(layout.APPLY_FORM_XLSX, statutory.apply_form_xlsx(settings))
    yield GeneratedFile(layout.STANDARD_CSV, standard.standard_csv(portal.standards, settings))
    yield GeneratedFile("assets/gongkai/report.css", REPORT_CSS.read_text(encoding="utf-8"))
    site_url = site.site_url or ""
    yield GeneratedFile("catalog.json", catalog.catalog_json(entries, site_url, portal.cache))
    yield GeneratedFile("catalog.csv", catalog.catalog_csv(entries, site_url, portal.cache))
    yield GeneratedFile("feed.xml", catalog.feed_xml(entries, site.site_name, site_url, feed_updated(entries, day)))


def reports_index(portal: Portal, day: date) -> str:
    """Returns the page listing every annual report (xxgk/gknb/), with the law's words on them."""
    shown = [d for d in portal.decisions if d.item is not None and d.item.path in portal.reports]
    index = list_reports([d.item for d in shown if d.item is not None], portal.settings, {d.path: d.published for d in shown})
    intro = "<p>根据《中华人民共和国政府信息公开条例》第四十九条、第五十条，各行政机关于每年1月31日前公布本机关上一年度政府信息公开工作年度报告。</p>\n\n"
    return catalog.front_matter("政府信息公开工作年度报告", layout.KIND_REPORT_INDEX, day) + "# 政府信息公开工作年度报告\n\n" + intro + render_reports_index_html(index, portal.settings)


def shown_day(portal: Portal, entries) -> date:
    """Returns the 更新日期 of the generated pages: the day (China time) of the commit built, or the
    newest publication date when an item went live after it (a scheduled one); the build's clock
    only without Git. Two builds of one commit on the same content agree, wherever and whenever."""
    epoch = gitrepo.head_time(Path(portal.root))
    if not epoch:
        return portal.today
    day = datetime.fromtimestamp(int(epoch), timezone(timedelta(hours=8))).date()
    dates = [e.field("published") for e in entries if not e.on_demand and e.field("published")]
    return max(day, date.fromisoformat(max(dates))) if dates else day


def feed_updated(entries, day: date) -> datetime:
    """Returns the feed's date: that of its newest entry, so that two builds of one commit agree."""
    dates = [e.field("published") for e in entries if not e.on_demand and e.field("published")]
    newest = date.fromisoformat(max(dates)) if dates else day
    return datetime.combine(newest, time(0), timezone(timedelta(hours=8)))


def output_problems(portal: Portal, directory_urls: bool, generated=()) -> dict[str, Problem]:
    """Returns item path -> the problem of each published item whose page or attachment would land
    on a generated path (``generated``: the theme's files besides urls.GENERATED_*) or meet another
    item's output, or which attaches a file a browser would run as a page of the portal."""
    src_of = page_sources(portal)
    claims, lines, found = [], {}, {}
    for decision in portal.by_verdict(Verdict.PUBLISH):
        item = _published_item(decision)
        is_report = item.path in portal.reports
        claims.append((item.path, layout.page_dest(src_of(item), directory_urls), is_report))
        if is_report:
            claims.append((item.path, report_xlsx_path(_report_year(item), report_slot(item)), True))
        folder = posixpath.dirname(item.rel)
        for index, (attachment, _) in enumerate(item.attachment_digests):
            dest = posixpath.join(folder, attachment)
            line = item.lines.get(f"attachments[{index}]", item.lines.get("attachments", 1))
            lines[(item.path, dest)] = line
            claims.append((item.path, dest, False))
            active = layout.active_attachment(attachment)
            if active and item.path not in found:
                found[item.path] = Problem(item.path, line, active)
    for owner, (dest, why) in layout.output_conflicts(claims, generated).items():
        found.setdefault(owner, Problem(owner, lines.get((owner, dest), 1), f"{why}:本信息不予发布,请改用其他文件名或目录"))
    return found


def refuse(portal: Portal, problems: dict[str, Problem]) -> Portal:
    """Returns the portal with the items of ``problems`` refused (nothing of them is published)."""
    decisions = [
        dataclasses.replace(d, verdict=Verdict.REFUSE, text=None, problems=(*d.problems, problems[d.path]), reason=problems[d.path].message)
        if d.path in problems else d
        for d in portal.decisions
    ]
    return dataclasses.replace(portal, decisions=decisions, reports=annual_reports(decisions))
