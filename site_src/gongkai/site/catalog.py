"""Published decisions -> catalog entries, paginated catalog pages, the 依申请公开目录 and exports."""
from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from html import escape
from json.encoder import encode_basestring as _json_string  # json.dumps' encoder of a str, ensure_ascii=False
from typing import Callable, Iterable, Sequence

from gongkai.cache import MAX_LISTED, BuildCache, Memo, memoised
from gongkai.escaping import clean, csv_cell, scroll_region, xml_text
from gongkai.gate import visible
from gongkai.law import layout, schema
from gongkai.law.layout import href
from gongkai.law.taxonomy import Category, categories
from gongkai.model import Attribute, Decision, Item, Settings, Verdict

PER_PAGE = 50
COLUMNS = tuple(f.key for f in schema.shown("export"))
CSV_HEADERS = tuple(f.label for f in schema.shown("export"))
SUMMARY_LENGTH = 120
#: Longer blocks are not memoised (the memo's key is the block itself).
MEMO_BLOCK = 4096


@dataclass(frozen=True)
class Entry:
    """One line of the 政府信息公开目录 or of the 依申请公开目录."""

    item: Item
    unit_name: str
    page: str  # site-relative URL of the item page; "" for 依申请公开
    summary: str
    published: str = ""  # the 发布日期 the public sees (Decision.published), ISO; "" when none

    @cached_property
    def on_demand(self) -> bool:
        return self.item.attribute is Attribute.依申请公开

    @cached_property
    def listing_rows(self) -> dict[bool, tuple[str, str]]:
        """Its rows in listings made so far (on_demand -> ``_listing_row``): an entry is in several."""
        return {}

    @cached_property
    def export_values(self) -> dict[str, tuple[str, ...]]:
        """Its ``_export_values`` made so far, by site_url (one tuple for catalog.json and .csv)."""
        return {}

    @cached_property
    def sort_key(self) -> tuple[str, str, str]:
        """Catalog order, newest first when sorted in reverse: published, then created, then 索引号."""
        return (self.field("published") or self.field("created"), self.field("created"), self.item.index_no)

    def field(self, key: str, site_url: str = "") -> str:
        meta = self.item.meta
        if key == "url":
            return (site_url.rstrip("/") + "/" + self.page) if self.page and site_url else (("/" + self.page) if self.page else "")
        if key == "validity":
            return self.item.validity
        if key == "published":
            return self.published
        if key == "summary":
            return self.summary
        value = meta.get(key)
        return "" if value is None else str(value)


def summary_of(item: Item, text: str | None, memo: Memo | None = None) -> str:
    """Returns the declared summary, or the first paragraph of the published text, cut."""
    declared = item.meta.get("summary")
    if declared:
        return str(declared)
    if not text:
        return ""
    summary = memoised(memo, _block_summary)
    for block in re.split(r"\n\s*\n", text):
        if block.lstrip().startswith(("#", "|", "<", "!", "```")):
            continue
        found = summary(block) if len(block) <= MEMO_BLOCK else _block_summary(block)
        if found:
            return found
    return ""


def _block_summary(block: str) -> str:
    """Returns the text of a Markdown block as a reader sees it, cut to SUMMARY_LENGTH ("" if none)."""
    plain = _plain(block)
    return plain if len(plain) <= SUMMARY_LENGTH else plain[:SUMMARY_LENGTH] + "…"


def _plain(markdown: str) -> str:
    """Returns the text of a Markdown block as a reader sees it: an HTML parser drops tags and
    comments (no pattern that a ``>`` inside a comment can fool), then the Markdown syntax goes."""
    text = visible.html_text(markdown, attributes=False)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`>#]+", "", text)
    return " ".join(text.split())


def build_entries(decisions: Iterable[Decision], settings: Settings, item_url: Callable[[Item], str], cache: BuildCache | None = None) -> list[Entry]:
    """Returns the entries of both catalogs, newest first (published, then created, then 索引号).

    With a ``cache`` (`gongkai serve` builds the catalogs after every edit), an unchanged item gets
    the very Entry object of the last call (BuildCache.entries): the listing pages and export rows
    below then recognise it as unchanged by identity."""
    last = cache.entries if cache is not None else {}
    entries = []
    made: dict[str, tuple[Decision, str, str, Entry]] = {}
    for decision in decisions:
        item = decision.item
        if item is None or decision.verdict not in (Verdict.PUBLISH, Verdict.METADATA):
            continue
        unit = settings.unit(item.unit)
        on_demand = decision.verdict is Verdict.METADATA
        unit_name = unit.name if unit else item.unit
        page = "" if on_demand else item_url(item)
        known = last.get(item.path)
        if known is not None and known[0] is decision and known[1] == unit_name and known[2] == page:
            entry = known[3]
        else:
            entry = Entry(
                item=item,
                unit_name=unit_name,
                page=page,
                # 依申请公开: never derived from the body, which is not public.
                summary=str(item.meta.get("summary") or "") if on_demand else summary_of(item, decision.text, cache.memo if cache is not None else None),
                published=decision.published.isoformat() if decision.published else "",
            )
        made[item.path] = (decision, unit_name, page, entry)
        entries.append(entry)
    last.clear()
    last.update(made)
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries


# ------------------------------------------------------------------ exports


def _rows(entries: Sequence[Entry], site_url: str, make: Callable[[Entry, str], str], last: dict[str, tuple[Entry, str, str]]) -> list[str]:
    """Returns the serialised row of each entry, made once per Entry object (entries are
    immutable): ``last`` holds the rows of the last call (item path -> (entry, site_url, row))."""
    rows, made = [], {}
    for entry in entries:
        known = last.get(entry.item.path)
        if known is not None and known[0] is entry and known[1] == site_url:
            row = known[2]
        else:
            row = make(entry, site_url)
        made[entry.item.path] = (entry, site_url, row)
        rows.append(row)
    last.clear()
    last.update(made)
    return rows


def _export_values(entry: Entry, site_url: str) -> tuple[str, ...]:
    """Returns all an export row shows of an entry: each column's value, the summary, the unit's name."""
    return (*(entry.field(key, site_url) for key in COLUMNS), entry.summary, entry.unit_name)


def _json_row(values: tuple[str, ...]) -> str:
    """Returns the catalog.json row of an entry's ``_export_values``: the object of str values
    as json.dumps(ensure_ascii=False, indent=1) writes it two levels deep ({"entries": [row]}),
    each string by the very encoder json.dumps uses (its pure-Python indenting is slower)."""
    row = {key: clean(value) for key, value in zip(COLUMNS, values)} | {"summary": clean(values[len(COLUMNS)])}
    return "  {\n   " + ",\n   ".join(f"{_json_string(key)}: {_json_string(value)}" for key, value in row.items()) + "\n  }"


def _export_rows(entries: Sequence[Entry], site_url: str, make: Callable[[tuple[str, ...]], str], last: dict, memo: Memo | None) -> list[str]:
    """Returns the rows ``make`` makes of each entry's ``_export_values`` (memoised by ``memo``)."""
    row = memoised(memo, make)

    def values(entry: Entry, url: str) -> tuple[str, ...]:
        made = entry.export_values.get(url)
        if made is None:
            made = entry.export_values[url] = _export_values(entry, url)
        return made

    return _rows(entries, site_url, lambda entry, url: row(values(entry, url)), last)


def catalog_json(entries: Sequence[Entry], site_url: str = "", cache: BuildCache | None = None) -> str:
    """Returns json.dumps({"columns": [...], "entries": [...]}, ensure_ascii=False, indent=1) + "\\n"."""
    # Not memoised: a row is made faster than it is read back.
    rows = _export_rows(entries, site_url, _json_row, cache.json_rows if cache is not None else {}, None)
    columns = json.dumps(list(COLUMNS), ensure_ascii=False, indent=1).replace("\n", "\n ")
    listed = "[\n" + ",\n".join(rows) + "\n ]" if rows else "[]"
    return '{\n "columns": ' + columns + ',\n "entries": ' + listed + "\n}\n"


def _csv_line(values: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def _csv_row(values: tuple[str, ...]) -> str:
    """Returns the catalog.csv row of an entry's ``_export_values`` (the unit by its name)."""
    unit_name = values[len(COLUMNS) + 1]
    # csv_cell: never a formula to Excel, whoever typed it.
    return _csv_line([csv_cell(unit_name if key == "unit" else value) for key, value in zip(COLUMNS, values)])


def catalog_csv(entries: Sequence[Entry], site_url: str = "", cache: BuildCache | None = None) -> bytes:
    """Returns the catalog as CSV in UTF-8 with BOM (so Excel opens it), header in Chinese."""
    rows = _export_rows(entries, site_url, _csv_row, cache.csv_rows if cache is not None else {}, cache.memo if cache is not None else None)
    return ("\ufeff" + _csv_line(CSV_HEADERS) + "".join(rows)).encode("utf-8")


def feed_xml(entries: Sequence[Entry], site_name: str, site_url: str, updated: datetime, limit: int = 50) -> str:
    """Returns an Atom feed of the newest published items (not 依申请公开)."""
    base = site_url.rstrip("/") + "/" if site_url else "/"
    items = [e for e in entries if not e.on_demand][:limit]
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"<title>{xml_text(site_name)}</title>",
        f'<link href="{xml_text(base)}"/>',
        f'<link rel="self" href="{xml_text(base)}feed.xml"/>',
        f"<id>{xml_text(base)}</id>",
        f"<updated>{updated.isoformat()}</updated>",
    ]
    for entry in items:
        link = base + entry.page
        day = entry.field("published") or entry.field("created")
        out += [
            "<entry>",
            f"<title>{xml_text(entry.item.title)}</title>",
            f'<link href="{xml_text(link)}"/>',
            f"<id>{xml_text(link)}</id>",
            f"<updated>{xml_text(day)}T00:00:00+08:00</updated>",
            f"<author><name>{xml_text(entry.unit_name)}</name></author>",
            f"<summary>{xml_text(entry.summary)}</summary>",
            "</entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ pages


@dataclass(frozen=True)
class GeneratedPage:
    """A page the engine writes: its source path (for MkDocs) and its Markdown."""

    src: str
    markdown: str
    html_blocks: tuple[str, ...] = ()  # complete HTML blocks inside ``markdown`` (see pages.HtmlStash)


def front_matter(title: str, kind: str, day: date | str, **extra: str | list[str]) -> str:
    """Returns the front-matter of a generated page: its title, kind and visible date for the theme."""
    # JSON strings are valid YAML scalars: nothing in a title can break out of the front-matter.
    lines = [f"title: {json.dumps(title, ensure_ascii=False)}", f"gongkai_kind: {kind}", f"gongkai_date: {day}"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in extra.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def _index_cell(index_no: str) -> str:
    """Returns the 索引号 with a line-break opportunity after its unit code."""
    return escape(index_no).replace("/", "/<wbr>", 1)


def paginate(entries: Sequence[Entry], per_page: int = PER_PAGE) -> list[Sequence[Entry]]:
    """Returns the entries cut into pages; always at least one (possibly empty) page."""
    return [entries[i : i + per_page] for i in range(0, len(entries), per_page)] or [entries[:0]]


def page_src(folder: str, number: int) -> str:
    return f"{folder}/index.md" if number == 1 else f"{folder}/{number}/index.md"


_LISTING = schema.shown("listing")
_ON_DEMAND_LISTING = schema.shown("on_demand_listing")


def _listing_value(entry: Entry, key: str) -> str:
    """Returns what a listing shows of one field of an entry."""
    if key == "index_no":
        return entry.item.index_no
    if key == "title":
        return entry.item.title
    if key == "unit":
        return entry.unit_name
    if key == "summary":
        return entry.summary
    return entry.field(key)


def _listing_row(on_demand: bool, values: tuple[str, ...], linked: bool) -> tuple[str, str]:
    """Returns an entry's row in a listing, as the HTML before and after the URL of its page
    (``linked``: the title links to the page; otherwise the row is all before it, and after is "").
    ``values``: what the listing shows of each field (``_listing_value``)."""
    cells = []
    for spec, value in zip(_ON_DEMAND_LISTING if on_demand else _LISTING, values):
        if spec.key == "index_no":
            cells.append(f'<td class="gk-index">{_index_cell(value)}</td>')
        elif spec.key == "title" and linked:
            cells.append('<td><a href="')
            cells.append(f'">{escape(value)}</a></td>')
        else:
            cells.append(f"<td>{escape(value)}</td>")
    if '<td><a href="' not in cells:
        return "<tr>" + "".join(cells) + "</tr>", ""
    at = cells.index('<td><a href="') + 1
    return "<tr>" + "".join(cells[:at]), "".join(cells[at:]) + "</tr>"


def entry_table(entries: Sequence[Entry], here: str, caption: str, kind: str = layout.KIND_CATALOG, memo: Memo | None = None) -> str:
    """Returns the HTML table of catalog entries, links relative to the page at ``here``."""
    on_demand = kind == layout.KIND_ON_DEMAND
    fields = _ON_DEMAND_LISTING if on_demand else _LISTING
    row_of = memoised(memo, _listing_row, keep=False)
    rows = []
    for e in entries:
        made = e.listing_rows.get(on_demand)
        if made is None:
            made = e.listing_rows[on_demand] = row_of(on_demand, tuple(_listing_value(e, f.key) for f in fields), bool(e.page))
        before, after = made
        rows.append(before + escape(href(here, e.page)) + after if after else before)
    if not rows:
        rows.append(f'<tr><td colspan="{len(fields)}">暂无信息</td></tr>')
    head = "".join(f'<th scope="col">{f.label}</th>' for f in fields)
    return scroll_region(
        f'<table class="gongkai-catalog">\n<caption>{escape(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n",
        caption,
    )


def pager(folder: str, number: int, total: int, url_of: Callable[[str], str]) -> str:
    if total <= 1:
        return ""
    here = url_of(page_src(folder, number))
    links = []
    if number > 1:
        links.append(f'<a href="{href(here, url_of(page_src(folder, number - 1)))}" rel="prev">上一页</a>')
    links.append(f"<span>第 {number} / {total} 页</span>")
    if number < total:
        links.append(f'<a href="{href(here, url_of(page_src(folder, number + 1)))}" rel="next">下一页</a>')
    return '<nav class="gongkai-pager" aria-label="分页">' + " ".join(links) + "</nav>\n"


def listing_pages(
    folder: str, title: str, intro: str | Callable[[str], str], entries: Sequence[Entry], url_of: Callable[[str], str], day: date, kind: str = layout.KIND_CATALOG, cache: BuildCache | None = None
) -> list[GeneratedPage]:
    """Returns the paginated pages listing ``entries`` under ``folder``; ``intro`` is text, or
    page URL -> text when it links elsewhere.

    With a ``cache``, a page whose inputs are equal and whose entries are the very same Entry
    objects (see build_entries) is handed out again (BuildCache.listed): after one edit only the
    pages listing it change."""
    listed = cache.listed if cache is not None else {}
    chunks = paginate(entries)
    result = []
    for number, chunk in enumerate(chunks, start=1):
        src = page_src(folder, number)
        here = url_of(src)
        nav = pager(folder, number, len(chunks), url_of)
        text = intro(here) if callable(intro) else intro
        key = (here, title, text, kind, day, len(entries), nav)
        known = listed.get(src)
        if known is not None and known[0] == key and len(known[1]) == len(chunk) and all(a is b for a, b in zip(known[1], chunk)):
            result.append(known[2])
            continue
        heading = title if number == 1 else f"{title}(第 {number} 页)"
        body = [front_matter(heading, kind, day), f"# {escape(title)}\n\n"]
        if text:
            body.append(text + "\n\n")
        body.append(f'<p class="gongkai-count">共 {len(entries)} 条</p>\n\n')
        table = entry_table(chunk, here, title, kind, cache.memo if cache is not None else None)
        body.append(table)
        body.append(nav)
        page = GeneratedPage(src, "".join(body), (table + nav,))
        if len(listed) > MAX_LISTED:
            listed.clear()
        listed[src] = (key, chunk, page)
        result.append(page)
    return result


def category_intro(category: Category) -> str:
    if category.article:
        return f'<p class="gongkai-article">对应《中华人民共和国政府信息公开条例》{escape(category.article)}：{escape(category.scope)}</p>'
    return f'<p class="gongkai-article">{escape(category.scope)}</p>' if category.scope else ""


def catalog_pages(entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date, cache: BuildCache | None = None) -> list[GeneratedPage]:
    """Returns every page of the 政府信息公开目录: by category, by unit (and category), by year."""
    published = [e for e in entries if not e.on_demand]
    cats = categories(settings.categories)
    by_category: dict[str, list[Entry]] = defaultdict(list)
    by_unit: dict[str, list[Entry]] = defaultdict(list)
    by_unit_category: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    by_year: dict[str, list[Entry]] = defaultdict(list)
    for entry in published:
        item = entry.item
        by_category[item.category].append(entry)
        for unit_id in (item.unit, *item.co_units):
            by_unit[unit_id].append(entry)
            by_unit_category[(unit_id, item.category)].append(entry)
        by_year[(entry.field("published") or entry.field("created"))[:4]].append(entry)
    pages: list[GeneratedPage] = []
    pages.append(_catalog_home(layout.CATALOG, "政府信息公开目录", cats, by_category, by_year, settings, url_of, day, unit=None))
    for category in cats:
        pages += listing_pages(layout.category_folder(category.slug), f"政府信息公开目录 · {category.id}", category_intro(category), by_category[category.id], url_of, day, cache=cache)
    for year, chunk in sorted(by_year.items()):
        pages += listing_pages(layout.year_folder(year), f"政府信息公开目录 · {year}年", "", chunk, url_of, day, cache=cache)
    for unit in settings.units:
        counts = {c.id: by_unit_category[(unit.id, c.id)] for c in cats}
        pages.append(_catalog_home(layout.unit_folder(unit.id, layout.CATALOG), f"{unit.name}政府信息公开目录", cats, counts, {}, settings, url_of, day, unit=unit.id))
        pages += listing_pages(layout.unit_all_folder(unit.id), f"{unit.name} · 全部信息", "", by_unit[unit.id], url_of, day, cache=cache)
        for category in cats:
            if counts[category.id]:  # a unit's empty categories get no page of their own
                pages += listing_pages(layout.category_folder(category.slug, unit.id), f"{unit.name} · {category.id}", category_intro(category), counts[category.id], url_of, day, cache=cache)
    return pages


def _catalog_home(folder, title, cats, by_category, by_year, settings, url_of, day, unit) -> GeneratedPage:
    src = layout.index_src(folder)
    here = url_of(src)
    rows = []
    for category in cats:
        target = url_of(page_src(layout.category_folder(category.slug, unit), 1))
        article = escape(category.article or "—")
        count = len(by_category.get(category.id, []))
        name = f'<a href="{href(here, target)}">{escape(category.id)}</a>' if count or unit is None else escape(category.id)
        rows.append(f"<tr><td>{name}</td><td>{article}</td><td>{count}</td></tr>")
    parts = [front_matter(title, layout.KIND_CATALOG, day), f"# {escape(title)}\n\n"]
    parts.append('<p>本目录按《中华人民共和国政府信息公开条例》第二十条和《政府信息公开目录系统实施指引（试行）》编排，每条信息标注索引号、发布机构、成文日期、发布日期和有效性。'
                 f'目录数据可下载：<a href="{href(here, "catalog.csv")}">catalog.csv</a>（Excel 可直接打开）、<a href="{href(here, "catalog.json")}">catalog.json</a>。</p>\n\n')
    table = '<table class="gongkai-categories">\n<caption>按类别浏览</caption>\n<thead><tr><th scope="col">类别</th><th scope="col">条例依据</th><th scope="col">条数</th></tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>\n"
    table = scroll_region(table, "按类别浏览")
    parts.append(table + "\n")
    if unit is None:
        units = " ".join(f'<a href="{href(here, url_of(layout.index_src(layout.unit_folder(u.id, layout.CATALOG))))}">{escape(u.name)}</a>' for u in settings.units)
        parts.append(f'<p class="gongkai-units"><strong>按发布机构浏览：</strong>{units}</p>\n\n')
        years = " ".join(f'<a href="{href(here, url_of(page_src(layout.year_folder(y), 1)))}">{y}年（{len(by_year[y])}）</a>' for y in sorted(by_year, reverse=True))
        parts.append(f'<p class="gongkai-years"><strong>按年份浏览：</strong>{years or "暂无"}</p>\n')
        parts.append(f'<p class="gongkai-history"><a href="{href(here, url_of(layout.index_src(layout.CATALOG_HISTORY)))}">目录动态调整记录</a></p>\n')
    else:
        parts.append(f'<p><a href="{href(here, url_of(page_src(layout.unit_all_folder(unit), 1)))}">浏览本机构全部信息</a></p>\n')
    return GeneratedPage(src, "".join(parts), (table,))
