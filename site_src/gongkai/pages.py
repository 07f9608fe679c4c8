"""Markdown of the pages the engine generates for items and the home page (pure functions)."""
from __future__ import annotations

import json
from html import escape

from .model import Attribute, Decision, Item, Settings

ITEM_FIELDS = (
    ("索引号", "index_no"),
    ("发布机构", "unit"),
    ("主题分类", "topic"),
    ("成文日期", "created"),
    ("文号", "doc_no"),
    ("发布日期", "published"),
    ("有效性", "validity"),
    ("公开属性", "attribute"),
)


def _front_matter(title: str) -> str:
    # JSON strings are valid YAML scalars: the title cannot break out of the front-matter.
    return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n\n"


def unit_names(item: Item, settings: Settings) -> str:
    names = []
    for unit_id in (item.unit, *item.co_units):
        unit = settings.unit(unit_id)
        names.append(unit.name if unit else unit_id)
    return "、".join(names)


def metadata_table(item: Item, settings: Settings) -> str:
    """Returns the HTML metadata table shown on top of an item page."""
    rows = []
    for label, key in ITEM_FIELDS:
        if key == "unit":
            value = unit_names(item, settings)
        elif key == "validity":
            value = item.validity
        else:
            value = str(item.meta.get(key) or "")
        rows.append(f'<tr><th scope="row">{escape(label)}</th><td>{escape(value)}</td></tr>')
    return '<table class="gongkai-meta">\n<caption>信息索引</caption>\n' + "\n".join(rows) + "\n</table>\n"


def item_page(decision: Decision, settings: Settings) -> str:
    """Returns the Markdown of a published item's page: title, metadata, notice, body, attachments."""
    item = decision.item
    assert item is not None and decision.text is not None
    parts = [_front_matter(item.title), metadata_table(item, settings), "\n"]
    if item.attribute is Attribute.部分公开:
        basis = escape(str(item.meta.get("basis") or ""))
        parts.append(f'<p class="gongkai-partial">本信息为部分公开,不公开部分已依法删除。依据:{basis}</p>\n\n')
    parts.append(decision.text.strip("\n") + "\n")
    if item.attachment_digests:
        parts.append("\n## 附件\n\n")
        for index, (path, _) in enumerate(item.attachment_digests, start=1):
            name = path.rsplit("/", 1)[-1]
            parts.append(f"{index}. [{_md_text(name)}]({_md_url(path)})\n")
    return "".join(parts)


def home_page(site_name: str, decisions: list[Decision], settings: Settings, limit: int = 20) -> str:
    """Returns the Markdown of the site home: the newest published items."""
    published = [d for d in decisions if d.text is not None and d.item is not None]
    published.sort(key=lambda d: (str(d.item.meta.get("published") or ""), d.item.index_no), reverse=True)
    lines = [_front_matter(site_name), f"# {_md_text(site_name)}\n\n", "## 最新信息\n\n"]
    for decision in published[:limit]:
        item = decision.item
        lines.append(f"- [{_md_text(item.title)}]({_md_url(item.rel)}) <small>{escape(str(item.meta.get('published') or ''))}</small>\n")
    if not published:
        lines.append("暂无已发布的信息。\n")
    return "".join(lines)


def _md_text(text: str) -> str:
    """Returns text safe inside Markdown link text: HTML escaped, brackets neutralised."""
    return escape(text).replace("[", "&#91;").replace("]", "&#93;")


def _md_url(path: str) -> str:
    return "<" + path.replace(">", "%3E").replace("<", "%3C") + ">"
