"""HTML sanitising of page content with nh3: what editors write cannot script the portal."""
from __future__ import annotations

import re

import nh3

from gongkai.escaping import BIDI_CONTROLS, SCROLL_CLASS

# Everything Markdown, the Material extensions in use and the engine's own pages produce;
# script, style, iframe, object, embed, form and event attributes are not in it.
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "nav", "ol", "p", "pre", "q", "s", "samp",
    "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
    # build-time charts of the annual report (inline SVG, no script)
    "svg", "g", "title", "desc", "rect", "line", "polyline", "path", "circle", "text", "tspan",
}
_SVG_SHAPE = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "fill", "stroke", "stroke-width", "transform", "d", "points", "opacity"}
ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir", "role", "style"},
    "a": {"href", "rel", "download", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "div": {"tabindex"},  # kept as "0" on the engine's scroll region only (_scroll_tabindex)
    "td": {"colspan", "rowspan", "align", "headers"},
    "th": {"colspan", "rowspan", "scope", "align", "headers"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "time": {"datetime"},
    "details": {"open"},
    "svg": {"viewBox", "width", "height", "xmlns", "preserveAspectRatio", "focusable"},
    "g": _SVG_SHAPE,
    "rect": _SVG_SHAPE | {"rx", "ry"},
    "line": _SVG_SHAPE,
    "polyline": _SVG_SHAPE,
    "path": _SVG_SHAPE,
    "circle": _SVG_SHAPE,
    "text": _SVG_SHAPE | {"text-anchor", "dominant-baseline", "font-size", "font-weight"},
    "tspan": _SVG_SHAPE | {"text-anchor", "dominant-baseline", "font-size", "font-weight", "dx", "dy"},
}
STYLE_PROPERTIES = {"text-align", "width", "vertical-align"}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


# An element id a page's content may define: only the shapes Markdown's toc gives a heading (a
# slug starting with a letter or digit; `_1`, `_2`… for a heading with no ASCII letters), footnote
# anchors, and the engine's own (gknb-1, chart ids). The theme's scripts look elements up by ids of
# other shapes — Material's all start with "__", the portal's with "gongkai-" — so content can never
# define ("clobber") one of them: window.__search, getElementById("gongkai-search")…
_CONTENT_ID = re.compile(r"(?:[^\W_][\w-]*|_\d+|fn(?:ref\d*)?:[\w-]+)\Z")
THEME_ID_PREFIXES = ("gongkai", "__", "md-", "pagefind")
# Class names the theme's scripts select elements by (Material: .md-content, .md-sidebar__scrollwrap,
# .md-nav__link…; Pagefind's UI: .pagefind-ui__…): content keeps every other class.
THEME_CLASS_PREFIXES = ("md-", "pagefind")
_BIDI = dict.fromkeys(map(ord, BIDI_CONTROLS))


def content_id(value: str) -> bool:
    """Returns whether page content may carry this element id (see _CONTENT_ID)."""
    return bool(_CONTENT_ID.match(value)) and not value.lower().startswith(THEME_ID_PREFIXES)


def keep_slugs(slugify):
    """Returns ``slugify`` (Markdown's toc option) made to give only ids ``clean`` keeps: a slug of
    another shape ("附件 __search" gives "__search") is prefixed with "h-", so the heading keeps its
    anchor and the table of contents its link, and neither points at an element of the theme."""
    if getattr(slugify, "keeps_slugs", False):
        return slugify

    def slug(value: str, separator: str) -> str:
        made = slugify(value, separator)
        return made if not made or content_id(made) else f"h{separator}{made}"

    slug.keeps_slugs = True
    slug.__wrapped__ = slugify  # allowlist judges the wrapped slugify (a setting of mkdocs.yml)
    return slug


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "tabindex":
        return value if value == "0" else None
    if attribute == "id":
        return value if content_id(value) else None
    if attribute == "class":
        kept = [name for name in value.split() if not name.lower().startswith(THEME_CLASS_PREFIXES)]
        return " ".join(kept) or None
    return value


# A <div> start tag as nh3 writes it (attributes in double quotes, no ">" inside one).
_DIV_TAG = re.compile(r'<div\b(?:[^>"]|"[^"]*")*>')
_TABINDEX = re.compile(r'\stabindex="0"')
_SCROLL_CLASS = re.compile(r'\sclass="(?:[^"]*\s)?' + re.escape(SCROLL_CLASS) + r'(?:\s[^"]*)?"')


def _scroll_tabindex(match: re.Match[str]) -> str:
    """Returns the <div> tag without tabindex unless it is the engine's scroll region: the only
    element of a page's content the keyboard may stop on that is not a link or a control."""
    tag = match.group()
    if "tabindex" not in tag or _SCROLL_CLASS.search(tag):
        return tag
    return _TABINDEX.sub("", tag)


def clean(html: str) -> str:
    """Returns the HTML with anything that could run script or load a frame removed, no element
    the theme's scripts look up (by id or class) defined, and no bidirectional control left."""
    return _DIV_TAG.sub(_scroll_tabindex, _clean(html))


def _clean(html: str) -> str:
    return nh3.clean(
        html.translate(_BIDI),
        tags=TAGS,
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        link_rel=None,
        generic_attribute_prefixes={"aria-"},
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
        strip_comments=True,
    )
