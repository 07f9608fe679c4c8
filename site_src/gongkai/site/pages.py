"""Markdown of the item pages and the home pages the engine generates (pure functions)."""
from __future__ import annotations

import posixpath
import secrets
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from html import escape
from typing import Callable, Iterable, Sequence, cast

from gongkai.cache import MAX_PAGES, BuildCache, Memo, memoised
from gongkai.gate.decide import notice, redact
from gongkai.law import layout, schema
from gongkai.law.layout import href
from gongkai.law.taxonomy import categories
from gongkai.model import Attribute, Decision, Item, Settings, Verdict
from gongkai.site.catalog import Entry, GeneratedPage, front_matter, page_src

ITEM_FIELDS = schema.shown("item_page")


@dataclass
class Relations:
    """Links between published items: a 政策解读 and the policy it explains, both ways."""

    interprets: dict[str, Item] = field(default_factory=dict)  # rel of 解读 -> policy item
    interpretations: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))  # rel of policy -> 解读 items
    replaced_by: dict[str, Item] = field(default_factory=dict)  # rel of a repealed item -> the published item replacing it


def relations(decisions: Iterable[Decision]) -> Relations:
    """Returns the links between published items (only published items are ever linked)."""
    published = [d.item for d in decisions if d.verdict is Verdict.PUBLISH and d.item is not None]
    by_index = {item.index_no: item for item in published}
    result = Relations()
    for item in published:
        target = by_index.get(str(item.meta.get("interprets") or ""))
        if target is not None:
            result.interprets[item.rel] = target
            result.interpretations[target.rel].append(item)
        successor = by_index.get(str(item.meta.get("replaced_by") or ""))
        if successor is not None and successor.rel != item.rel:
            result.replaced_by[item.rel] = successor
    return result


def unit_names(item: Item, settings: Settings) -> str:
    names = []
    for unit_id in (item.unit, *item.co_units):
        unit = settings.unit(unit_id)
        names.append(unit.name if unit else unit_id)
    return "、".join(names)


#: Values a reader copies whole (索引号, 文号): never broken inside, only at their own separators.
_UNBROKEN = {"index_no": "/", "doc_no": "〔"}


def _unbroken(key: str, value: str) -> str:
    """Returns the value as HTML that wraps only after the 索引号's "/" or before the 文号's "〔"."""
    mark = _UNBROKEN[key]
    at = value.find(mark)
    at += 1 if mark == "/" else 0
    parts = (value[:at], value[at:]) if at > 0 else (value,)
    return "<wbr>".join(f'<span class="gongkai-nobreak">{escape(part)}</span>' for part in parts if part)


def metadata_table(decision: Decision, settings: Settings, memo: Memo | None = None) -> str:
    """Returns the HTML metadata table shown on top of an item page (its 发布日期: the gate's).

    An optional field left empty has no row; a 转载 item's original issuer (``source``) follows the
    发布机构; a repealed item's 替代文件 (replaced_by) follows its 有效性. The link to the replacing
    item is in the notice under the table (the table is a function of the item alone)."""
    return memoised(memo, _metadata_html, keep=False)(*_metadata_values(decision, settings))


def _metadata_values(decision: Decision, settings: Settings) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Returns all the metadata table shows: the value of each field of ITEM_FIELDS, the original
    issuer's name and date (or nothing), the 替代文件 ("" when none)."""
    item = decision.item
    assert item is not None  # a published decision has its item
    values = []
    for spec in ITEM_FIELDS:
        key = spec.key
        if key == "unit":
            value = unit_names(item, settings)
        elif key == "validity":
            value = item.validity
            if item.meta.get("repealed_on"):
                value += f"（{item.meta['repealed_on']}起）"
        elif key == "published":
            value = decision.published.isoformat() if decision.published else ""
        else:
            value = str(item.meta.get(key) or "")
        values.append(value)
    source = item.meta.get("source")
    issuer: tuple[str, ...] = ()
    if isinstance(source, dict) and str(source.get("name") or "").strip():
        issuer = (str(source["name"]), str(source["date"]) if source.get("date") else "")
    replaced_by = str(item.meta["replaced_by"]) if item.meta.get("replaced_by") else ""
    return tuple(values), issuer, replaced_by


def _metadata_html(values: tuple[str, ...], issuer: tuple[str, ...], replaced_by: str) -> str:
    """Returns the metadata table of an item's ``_metadata_values``."""
    rows = []
    for spec, value in zip(ITEM_FIELDS, values):
        key = spec.key
        if not value.strip():
            continue
        cell = _unbroken(key, value) if key in _UNBROKEN else escape(value)
        rows.append(f'<tr><th scope="row">{escape(spec.label)}</th><td>{cell}</td></tr>')
        if key == "unit" and issuer:
            name, day = issuer
            shown = escape(name) + (f"（原文日期：{escape(day)}）" if day else "")
            rows.append(f'<tr><th scope="row">原发布机构</th><td>{shown}</td></tr>')
        if key == "validity" and replaced_by:
            rows.append(f'<tr><th scope="row">替代文件</th><td>{_unbroken("index_no", replaced_by)}</td></tr>')
    return '<table class="gongkai-meta">\n<caption>信息索引</caption>\n' + "\n".join(rows) + "\n</table>\n"


def _relative(target: str, src: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(src) or ".")


def item_page(
    decision: Decision,
    settings: Settings,
    links: Relations | None = None,
    src: str | None = None,
    src_of: Callable[[Item], str] | None = None,
    body: str | None = None,
    cache: BuildCache | None = None,
) -> str:
    """Returns the Markdown of a published item's page: title, metadata, notices, body, attachments.

    ``src`` is where the page lives (default: beside the item's file), ``src_of`` where other items'
    pages live, ``body`` replaces the published text (an annual report's rendered sections)."""
    item = decision.item
    assert item is not None and decision.text is not None
    links = links or Relations()
    src = src or item.rel
    src_of = src_of or (lambda other: other.rel)
    if body is not None or cache is None:
        return _item_page(decision, settings, links, src, src_of, body, memo=cache.memo if cache is not None else None)
    # The page is a pure function of the decision (the gate hands out the same object for an
    # unchanged file), the settings, where it lies and what it links to: made once per cache,
    # so a preview rebuild after one edit does not write 10,000 pages again.
    related = [links.interprets[item.rel]] if item.rel in links.interprets else []
    related += links.interpretations.get(item.rel, [])
    related += [links.replaced_by[item.rel]] if item.rel in links.replaced_by else []
    key = (id(decision), src, cache.settings_key(settings), tuple((other.title, src_of(other)) for other in related))
    made = cache.pages
    known = made.get(key)
    if known is not None and known[0] is decision:
        return known[1]
    page = _item_page(decision, settings, links, src, src_of, body, memo=cache.memo)
    if len(made) > MAX_PAGES:
        made.clear()
    made[key] = (decision, page)
    return page


DRAFT_BANNER = "审核预览·未发布"
_DRAFT_STYLE = "border:3px dashed #c00;background:#fff4f4;color:#a00;padding:.8em 1em;margin:0 0 1em;font-size:1.1em"


def draft_page(decision: Decision, settings: Settings, src: str) -> str:
    """Returns the Markdown of a pending item's page for `gongkai serve --drafts`: the text as it
    would be published (a 部分公开 item's withheld spans replaced by the very notice the public would
    see, highlighted), under a banner that says it is a draft and why it is not published yet."""
    item = decision.item
    assert item is not None and decision.verdict is Verdict.HOLD
    attribute = item.attribute
    if attribute is Attribute.部分公开:
        basis = str(item.meta.get("basis") or "")
        text, problems = redact(item.body, basis, item.path, item.body_line)
        if problems:
            # The gate refuses such an item; never fall back to the unredacted body.
            text = '<p class="gongkai-draft-note">正文的【不公开】标记有误,无法预览:请运行 gongkai check 查看</p>'
        else:
            shown = notice(basis)
            text = text.replace(shown, f'<mark class="gongkai-draft-redacted">{shown}</mark>')
    elif attribute is Attribute.依申请公开:
        text = '<p class="gongkai-draft-note">依申请公开:发布后只在依申请公开目录中列出,正文不公开</p>'
    else:
        text = item.body
    banner = (
        f'<div class="gongkai-draft-banner" role="note" style="{_DRAFT_STYLE}">'
        f"<strong>{DRAFT_BANNER}</strong>:{escape(decision.reason)}。本页只在本机的审核预览中显示,不会进入构建、打包或发布。</div>\n\n"
    )
    return _item_page(replace(decision, text=text), settings, Relations(), src, lambda other: other.rel, None, banner)


def _item_page(
    decision: Decision, settings: Settings, links: Relations, src: str, src_of: Callable[[Item], str], body: str | None, banner: str = "", memo: Memo | None = None
) -> str:
    item = decision.item
    assert item is not None and decision.text is not None

    def _link(_: Item, other: Item) -> str:
        return f"[{_md_text(other.title)}]({_md_url(_relative(src_of(other), src))})"

    # The loader refuses an item without its created date, and keeps dates as ISO strings.
    day = decision.published.isoformat() if decision.published else cast(str, item.meta.get("created"))
    names = [(unit.name if (unit := settings.unit(u)) else u) for u in (item.unit, *item.co_units)]
    extra: dict[str, str | list[str]] = {"gongkai_unit": names[0] if len(names) == 1 else names, "gongkai_category": item.category}
    if item.validity != "有效":
        extra["gongkai_validity"] = item.validity  # the theme marks the page and ranks it lower in search
    head = front_matter(item.title, layout.KIND_ITEM, day, **extra)
    parts = [head, banner, f"# {_md_text(item.title)}\n\n", metadata_table(decision, settings, memo), "\n"]
    if item.validity != "有效":
        parts.append(f'<p class="gongkai-validity">本文件已{escape(item.validity)}，仅供查阅。</p>\n\n')
        successor = links.replaced_by.get(item.rel)
        if successor is not None:  # a Markdown link: MkDocs makes it the page's address
            parts.append(f"**现行文件：**{_link(item, successor)}\n\n")
    if item.attribute is Attribute.部分公开:
        basis = escape(str(item.meta.get("basis") or ""))
        parts.append(f'<p class="gongkai-partial">本信息为部分公开，不公开部分已依法删除。依据：{basis}</p>\n\n')
    policy = links.interprets.get(item.rel)
    if policy is not None:
        parts.append(f"**本文解读：**{_link(item, policy)}\n\n")
    parts.append((body if body is not None else decision.text).strip("\n") + "\n")
    source = item.meta.get("source")
    if isinstance(source, dict):
        name = escape(str(source.get("name") or ""))
        url = str(source.get("url") or "")
        link = f' 原文链接：<a href="{escape(url, quote=True)}" rel="nofollow noopener">{escape(url)}</a>' if url.startswith(("http://", "https://")) else ""
        when = f" 原文日期：{escape(str(source['date']))}" if source.get("date") else ""
        parts.append(f'\n<p class="gongkai-source">来源：{name}{when}{link}</p>\n')
    interpretations = links.interpretations.get(item.rel, [])
    if interpretations:
        parts.append("\n## 相关解读\n\n")
        parts.extend(f"- {_link(item, other)}\n" for other in interpretations)
    if item.attachment_digests:
        parts.append("\n## 附件\n\n")
        for index, (path, _) in enumerate(item.attachment_digests, start=1):
            name = path.rsplit("/", 1)[-1]
            location = posixpath.join(posixpath.dirname(item.rel), path)
            parts.append(f"{index}. [{_md_text(name)}]({_md_url(_relative(location, src))})\n")
    return "".join(parts)


def _entry_list(entries: Sequence[Entry], here: str, limit: int) -> str:
    rows = [
        f'<li><a href="{escape(href(here, e.page))}">{escape(e.item.title)}</a> <span class="gongkai-date">{escape(e.field("published"))}</span></li>'
        for e in entries[:limit]
    ]
    return '<ul class="gongkai-newest">\n' + "\n".join(rows) + "\n</ul>\n" if rows else "<p>暂无已发布的信息。</p>\n"


def _links(here: str, url_of: Callable[[str], str], unit: str | None = None) -> str:
    targets = [
        ("政府信息公开指南", layout.index_src(layout.unit_folder(unit, layout.GUIDE))),
        ("政府信息公开目录", layout.index_src(layout.unit_folder(unit, layout.CATALOG))),
        ("依申请公开", layout.index_src(layout.ON_DEMAND)),
        ("政府信息公开年报", layout.index_src(layout.REPORTS)),
        ("政务公开标准目录", layout.index_src(layout.unit_folder(unit, layout.STANDARD))),
        ("法定主动公开内容", layout.index_src(layout.MANDATORY)),
        ("政府信息公开制度", layout.index_src(layout.RULES)),
    ]
    items = "".join(f'<li><a href="{href(here, url_of(src))}">{label}</a></li>' for label, src in targets)
    return f'<ul class="gongkai-portal-links">{items}</ul>\n'


def _category_grid(entries: Sequence[Entry], settings: Settings, here: str, url_of: Callable[[str], str]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for entry in entries:
        if not entry.on_demand:
            counts[entry.item.category] += 1
    cells = "".join(
        f'<li><a href="{href(here, url_of(page_src(layout.category_folder(c.slug), 1)))}">{escape(c.id)}</a> <span>{counts[c.id]}</span></li>'
        for c in categories(settings.categories)
    )
    return f'<ul class="gongkai-category-grid">{cells}</ul>\n'


def _overview(src: str, title: str, kind: str, entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date, newest: int) -> GeneratedPage:
    """Returns an entry page: the portal's links, the newest items, categories and units."""
    here = url_of(src)
    published = [e for e in entries if not e.on_demand]
    units = "".join(f'<li><a href="{href(here, url_of(layout.index_src(layout.unit_folder(u.id))))}">{escape(u.name)}</a></li>' for u in settings.units)
    parts = [
        front_matter(title, kind, day),
        f"# {_md_text(title)}\n\n",
        _links(here, url_of),
        "\n## 最新信息\n\n",
        _entry_list(published, here, newest),
        "\n## 信息分类\n\n",
        _category_grid(entries, settings, here, url_of),
        "\n## 发布机构\n\n",
        f'<ul class="gongkai-unit-list">{units}</ul>\n',
    ]
    return GeneratedPage(src, "".join(parts))


def xxgk_home(entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date) -> GeneratedPage:
    """Returns the 信息公开 home: guide, catalogs, reports, newest items, categories and units."""
    return _overview(layout.index_src(layout.XXGK), "政府信息公开", layout.KIND_XXGK, entries, settings, url_of, day, 15)


def unit_home(unit, entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date) -> GeneratedPage:
    src = layout.index_src(layout.unit_folder(unit.id))
    here = url_of(src)
    newest = 15
    own: list[Entry] = []  # the unit's newest published entries: entries are sorted newest first
    for e in entries:
        if not e.on_demand and unit.id in (e.item.unit, *e.item.co_units):
            own.append(e)
            if len(own) == newest:
                break
    parts = [front_matter(f"{unit.name} · 政府信息公开", layout.KIND_XXGK, day), f"# {escape(unit.name)} · 政府信息公开\n\n", _links(here, url_of, unit.id), "\n## 最新信息\n\n", _entry_list(own, here, newest)]
    return GeneratedPage(src, "".join(parts))


def site_home(site_name: str, entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date) -> GeneratedPage:
    """Returns the site home: newest items, the portal's entry points, categories and units."""
    return _overview(layout.index_src(""), site_name, layout.KIND_HOME, entries, settings, url_of, day, 20)


# In one pass: replacing one character after another turned the "#" of an earlier "&#42;" into "&#35;".
_MD_ENTITIES = {ord(char): f"&#{ord(char)};" for char in "&<>\"'\\[]*_`#|~{}"}


def _md_text(text: str) -> str:
    """Returns text safe inside Markdown, on one line: HTML special characters, Markdown punctuation
    and attribute lists ({: #id }) as character references."""
    return " ".join(text.splitlines()).translate(_MD_ENTITIES)


def _md_url(path: str) -> str:
    return "<" + path.replace(">", "%3E").replace("<", "%3C").replace(" ", "%20") + ">"


class HtmlStash:
    """Takes the engine's own HTML blocks out of a page's Markdown and puts them back after.

    Python-Markdown parses every raw HTML block twice with ``html.parser`` (its block
    preprocessor, and MkDocs' anchor collection): on a 10,000-item portal the metadata tables and
    the 50-row catalog tables were a fifth of the Markdown time. The blocks the engine writes are
    complete HTML already, so each becomes one placeholder paragraph with an unguessable name,
    and ``restore`` swaps the paragraph for the block in the converted HTML. Only the engine's
    blocks are stashed: an item's own Markdown goes through Markdown (and the sanitiser) as before.
    """

    def __init__(self, nonce: str | None = None):
        self.nonce = nonce or secrets.token_hex(8)
        self.blocks: dict[str, dict[str, str]] = {}  # page src -> placeholder -> HTML

    def stash(self, src: str, markdown: str, blocks: Sequence[str]) -> str:
        """Returns ``markdown`` with each of ``blocks`` (exact substrings) replaced by a placeholder."""
        found: dict[str, str] = {}
        for block in blocks:
            if not block or block not in markdown:
                continue
            name = f"gongkaiblock{self.nonce}x{len(found)}"
            found[name] = block.strip("\n")
            markdown = markdown.replace(block, f"\n\n{name}\n\n", 1)
        self.blocks[src] = found
        return markdown

    def restore(self, src: str, html: str) -> str:
        """Returns the converted HTML with every placeholder paragraph of ``src`` replaced by its block."""
        for name, block in self.blocks.get(src, {}).items():
            html = html.replace(f"<p>{name}</p>", block, 1)
        return html

