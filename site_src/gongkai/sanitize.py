"""HTML sanitising of page content with nh3: what editors write cannot script the portal."""
from __future__ import annotations

import nh3

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
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "scope", "align"},
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


def clean(html: str) -> str:
    """Returns the HTML with anything that could run script or load a frame removed."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        link_rel=None,
        generic_attribute_prefixes={"aria-"},
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
        strip_comments=True,
    )
