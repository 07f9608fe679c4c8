"""Item text made safe for each format it is written in: XML, spreadsheets, Markdown for a PR
comment, a terminal. (HTML pages are escaped where they are made and sanitised by `sanitize`.)

Two kinds of character never reach an output as they are:
- bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C): they make the text
  a reader sees differ from the text stored ("Trojan Source"). Front-matter refuses them
  (`loader`); whatever comes from elsewhere (a body, a file name, a Git name) is stripped from what
  the public reads and shown as ``<U+202E>`` to the people who review it (terminal, PR comment);
- the characters XML 1.0 forbids (C0 controls but TAB, LF and CR; U+FFFE, U+FFFF; lone surrogates):
  one of them makes feed.xml, sitemap.xml or an .xlsx unreadable.
"""
from __future__ import annotations

import re
from html import escape as _html_escape

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# What XML 1.0 forbids, plus DEL and the C1 controls (allowed by XML, shown by nothing) and the
# bidirectional controls.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff" + BIDI_CONTROLS + "]")


def unshowable(text: str) -> str | None:
    """Returns the first character of ``text`` a front-matter string may not hold, or None: any of
    the above (TAB and line breaks are allowed: a block scalar has them)."""
    found = _UNSHOWABLE.search(text)
    return found.group() if found else None


def describe(char: str) -> str:
    """Returns ``U+202E(文字方向控制符)``: how a message names a refused character."""
    kind = "文字方向控制符" if char in BIDI_CONTROLS else "控制字符"
    return f"U+{ord(char):04X}({kind})"


def clean(text: str) -> str:
    """Returns the text without bidirectional controls and the characters XML 1.0 forbids."""
    return _UNSHOWABLE.sub("", text)


def show_invisible(text: str) -> str:
    """Returns the text with each bidirectional control and control character (but TAB and LF)
    written as ``<U+XXXX>``: for the people who review it, who must see that it is there."""
    return _UNSHOWABLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


# ------------------------------------------------------------------ XML


def xml_text(text: str) -> str:
    """Returns the text as XML character data or an attribute value: cleaned, & < > " ' escaped."""
    return (
        clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&apos;")
    )


# ------------------------------------------------------------------ spreadsheets

# What makes Excel, LibreOffice or WPS read a cell as a formula (OWASP "CSV injection"), and the
# full-width forms an IME types, which some versions fold to ASCII when a cell is edited.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def looks_like_formula(text: str) -> bool:
    """Returns whether a spreadsheet could take the text for a formula (leading blanks ignored)."""
    return text.startswith(FORMULA_STARTS) or text.lstrip(" \u3000").startswith(FORMULA_STARTS)


def csv_cell(text: str) -> str:
    """Returns the text for a CSV cell: cleaned, and prefixed with ' when it could be a formula."""
    text = clean(text)
    return "'" + text if looks_like_formula(text) else text


def put_cell(cell, value) -> None:
    """Sets an openpyxl cell to ``value``; a string is always stored as text, never as a formula
    (openpyxl makes any string starting with = a formula), and marked quote-prefixed when it looks
    like one, so that editing the cell in Excel keeps it text."""
    if not isinstance(value, str):
        cell.value = value
        return
    text = clean(value)
    cell.value = text
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True


# ------------------------------------------------------------------ Markdown (PR / MR comments)

_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Characters that start a reference GitHub or GitLab links in rendered text (@user, #123, !123,
# $123, ~label, %milestone, &epic): a WORD JOINER after each keeps the text as it reads while no
# reference pattern matches; so does one in "://" and after "www." (bare URLs). Nowhere else: a
# path quoted in a message copies as it is.
_REFERENCE_SIGILS = frozenset("@#!$%&~^")
_BARE_URL = re.compile(r"(?i)(?<=:)(?=//)|(?<=www\.)")
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x85\u2028\u2029]+")


def md_text(text: str) -> str:
    """Returns the text as literal Markdown text on one line, for a table cell or a list item.

    Every ASCII punctuation character is backslash-escaped (CommonMark: no heading, list, quote,
    emphasis, link, image, autolink, HTML, code or table cell boundary can start), line breaks
    become spaces, and a WORD JOINER after each reference sigil keeps mentions, issue references
    and bare URLs from being linked; invisible controls are shown as ``<U+XXXX>``."""
    out = []
    for char in _BARE_URL.sub("\u2060", _LINE_BREAKS.sub(" ", show_invisible(str(text)))):
        if char in _ASCII_PUNCTUATION:
            out.append("\\" + char)
            if char in _REFERENCE_SIGILS:
                out.append("\u2060")
        else:
            out.append(char)
    return "".join(out)


def md_code(text: str, table: bool = False) -> str:
    """Returns the text as one inline code span (a path, a 索引号): nothing inside it is
    Markdown, a mention or a reference, and it copies as it is. In a ``table`` cell a pipe is
    escaped as GFM requires there (which shows it as | inside the code)."""
    text = _LINE_BREAKS.sub(" ", show_invisible(str(text)))
    if table:
        text = text.replace("|", "\\|")
    if not text.strip():
        return "—"
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


#: The class of the engine's wrapper around a wide table: the one element the sanitiser lets keep
#: tabindex="0" (gate/sanitize.py), so that a keyboard can reach and scroll the table.
SCROLL_CLASS = "gongkai-scroll"


def scroll_region(table_html: str, label: str, extra_class: str = "") -> str:
    """Returns ``table_html`` inside a focusable, labelled region that scrolls sideways on a narrow
    screen (WCAG 2.1.1: a region that scrolls must be reachable by keyboard). ``label`` names the
    table (its caption); no blank line is added, so the result stays one raw-HTML block of Markdown."""
    classes = f"{SCROLL_CLASS} {extra_class}".strip()
    return (
        f'<div class="{classes}" tabindex="0" role="region" aria-label="{_html_escape(label)}（可左右滚动）">\n'
        + table_html.strip("\n")
        + "\n</div>\n"
    )
