"""The text a reader sees: of rendered HTML, of Markdown source, of data files; folded so that no
spelling can show a reader something a check on the text does not see.

`fold` is the one canonical form every check of the gate runs on (ID numbers, 密级 marks,
disclosure markers, withheld text): what renders as nothing is removed, what renders alike is made
alike (compatibility forms, other digit scripts, look-alike letters and stars, traditional forms
of the few characters the checks look for)."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
from functools import lru_cache

import lxml.etree
import lxml.html
import nh3


@lru_cache(maxsize=1)
def _tables() -> tuple[_Either, _Either, dict[int, str]]:
    """Returns (what renders as nothing, non-ASCII digits, the look-alike map), made once. What
    renders as nothing is two patterns: Python's regex engine tests a class of characters beyond
    the BMP range by range (30 times slower), so that one runs only on text that has any."""
    invisible: list[int] = []
    digits: list[int] = []
    stars: dict[int, str] = {}
    for cp in list(range(0x30000)) + list(range(0xE0000, 0xE1000)):
        char = chr(cp)
        category = unicodedata.category(char)
        if category in ("Cf", "Mn", "Me") or (category == "Cc" and char not in "\t\n\r"):
            invisible.append(cp)
        elif category == "Nd" and cp > 0x7F:
            digits.append(cp)
        elif category.startswith(("S", "P")) and cp > 0x7F:
            name = unicodedata.name(char, "")
            if "STAR" in name.split() or "ASTERISK" in name or "STARS" in name.split():
                stars[cp] = "★"
    # Blank letters (Hangul fillers, braille blank) render as nothing, like the format characters.
    invisible += [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E]
    return _Either(invisible), _Either(digits), stars


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


class _Either:
    """``sub`` of two character classes: the second only on text beyond the BMP."""

    def __init__(self, codepoints: list[int]):
        self.codepoints = codepoints
        self.bmp = _char_class([cp for cp in codepoints if cp < 0x10000])
        self.astral = _char_class([cp for cp in codepoints if cp >= 0x10000])

    def sub(self, replacement, text: str) -> str:
        text = self.bmp.sub(replacement, text)
        return self.astral.sub(replacement, text) if _ASTRAL.search(text) else text


def _char_class(codepoints: list[int]) -> re.Pattern:
    ranges: list[tuple[int, int]] = []
    for cp in sorted(set(codepoints)):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    parts = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[{parts}]+")


# What a reader takes for the same character. Letters: X of an ID number's check digit in other
# scripts; traditional and variant forms of the characters of 密级 marks and disclosure markers.
_LOOK_ALIKE = {
    "x": "X", "Х": "X", "х": "X", "Χ": "X", "χ": "X", "×": "X", "ⅹ": "X", "Ⅹ": "X", "ｘ": "X", "Ｘ": "X",
    "機": "机", "祕": "秘", "絕": "绝", "絶": "绝", "開": "开", "閞": "开", "與": "与", "爲": "为",
    "*": "★",
}


@lru_cache(maxsize=1)
def _special() -> tuple[_Either, dict[str, str]]:
    """Returns one class of every visible character fold changes (other digits, look-alikes) and
    what each becomes: one pass of a regex over a text finds the few there are."""
    _, digits, stars = _tables()
    table: dict[str, str] = {chr(cp): v for cp, v in stars.items()}
    table.update(_LOOK_ALIKE)
    return _Either([ord(c) for c in table] + digits.codepoints), table


def _replace(match: re.Match) -> str:
    table = _special()[1]
    return "".join(table.get(char) or str(unicodedata.digit(char, 0)) for char in match.group(0))


def fold_page(text: str) -> str:
    """Returns ``fold(text)`` line by line, each distinct line folded once per process: the lines
    every page shares (navigation, header, footer) cost one dictionary lookup."""
    return "\n".join(map(_fold_line, text.split("\n")))


@lru_cache(maxsize=1 << 16)
def _fold_line(line: str) -> str:
    return fold(line)


def fold(text: str) -> str:
    """Returns the text as a reader takes it: no invisible characters, NFKC, ASCII digits, one
    form for look-alike letters and stars. Line feeds stay where they were."""
    invisible = _tables()[0]
    if not unicodedata.is_normalized("NFKC", text):
        text = _compatible(invisible.sub("", text))
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    return _special()[0].sub(_replace, invisible.sub("", text))


@lru_cache(maxsize=1)
def _decompositions() -> tuple[re.Pattern, dict[str, str]]:
    """Returns the class of the BMP characters that NFKC replaces by their compatibility
    decomposition alone (full-width ，：（）, ideographic space, …) and what each becomes."""
    table = {}
    for cp in range(0x80, 0x10000):
        char = chr(cp)
        decomposed = unicodedata.normalize("NFKD", char)
        if decomposed != char and unicodedata.normalize("NFKC", char) == decomposed:
            table[char] = decomposed
    return _char_class(list(map(ord, table))), table


def _compatible(text: str) -> str:
    """Returns the text with the characters of `_decompositions` replaced: its NFKC is the text's
    (NFKD, and so NFKC, of a character's full decomposition is that of the character), and most
    Chinese text, whose only such characters are full-width punctuation, is then NFKC already:
    a regex pass instead of a normalization (four times faster)."""
    pattern, table = _decompositions()
    return pattern.sub(lambda match: "".join(map(table.__getitem__, match.group(0))), text)


_NOT_WORD = re.compile(r"[^\w\n]+|_+")
_LINES = re.compile(r"\n+")


# Where a sentence or a block ends ("。", Pagefind's ". " between blocks): a line of its own.
_SENTENCE_END = re.compile(r"[。!?;]|\.(?=\s)")


def compact(folded: str) -> str:
    """Returns folded text reduced to its letters and digits, lower case, a line per sentence or
    block: two renderings of one text (Markdown and HTML, a table and a list, a search fragment)
    compare equal, and nothing compares across the end of a sentence or block (two catalog entries,
    two cells, two paragraphs that another page has side by side)."""
    return _LINES.sub("\n", _NOT_WORD.sub("", _SENTENCE_END.sub("\n", folded))).strip("\n").lower()


def compact_page(folded: str) -> str:
    """Returns ``compact(folded)`` line by line, each distinct line once per process (the lines of
    navigation, header and footer that every page shares); blank lines may stay."""
    return "\n".join(map(_compact_line, folded.split("\n")))


@lru_cache(maxsize=1 << 16)
def _compact_line(line: str) -> str:
    return compact(line)


# ------------------------------------------------------------------ HTML

# Attribute values a reader or a crawler can see (alt, title, href…): every value in the output.
_ATTRIBUTE = re.compile(r"""\s([^\s=<>"'/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Drawing instructions of inline SVG icons: numbers no reader sees as text (dozens a page).
_GEOMETRY = frozenset({"d", "points", "viewbox", "transform"})


# Every tag but those of inline text starts a new line: a block, a cell, an XML element.
_BLOCK_TAG = re.compile(r"<(?!/?(?:a|abbr|b|bdi|bdo|cite|code|del|dfn|em|font|i|ins|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var|wbr)[\s/>])")


# A line feed and the blanks after it (a template's indentation): matched only where a line feed
# is, so a run of blanks is read once.
_BLANK_LINES = re.compile(r"\n\s*")


def _element_text(markup: str) -> str:
    """Returns the text of the elements, entities decoded, without script, style and comments:
    libxml2's HTML parser (twice as fast as nh3's html5ever here); nh3 for what it refuses."""
    try:
        document = lxml.html.document_fromstring(markup)
        lxml.etree.strip_elements(document, "script", "style", "template", lxml.etree.Comment, lxml.etree.ProcessingInstruction, with_tail=False)
        return lxml.etree.tostring(document, method="text", encoding=str)
    except (ValueError, lxml.etree.LxmlError):
        text = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "template"}, strip_comments=True)
        return html.unescape(text)


def html_text(markup: str, attributes: bool = True) -> str:
    """Returns the text of an HTML document or fragment as a reader sees it (element text, a line
    per block, then every attribute value on lines of its own), entities decoded, not folded.
    An HTML parser reads it (comments, a ``>`` inside one, unclosed tags: as a browser does)."""
    text = _element_text(_BLOCK_TAG.sub("\n<", markup))
    text = _BLANK_LINES.sub("\n", text).strip()
    if not attributes:
        return text
    values = [html.unescape(a or b) for name, a, b in _ATTRIBUTE.findall(markup) if (a or b).strip() and name.lower() not in _GEOMETRY]
    return text + "\n" + "\n".join(values) if values else text


# ------------------------------------------------------------------ Markdown source

# Link text holds no bracket and the target no parenthesis: a line of ten thousand "[" is read in
# one pass, not once per bracket.
_MD_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\(([^()\n]*)\)")
_MD_TAG = re.compile(r"<[^<>\n]*>")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>=])")
_MD_EMPHASIS = re.compile(r"[*_~`=^]+")


@lru_cache(maxsize=256)
def markdown_text(markdown: str) -> str:
    """Returns what a reader would likely see of Markdown source, line for line: tags, emphasis
    and link syntax removed, entities decoded, link targets kept (they are published too).

    Computed once per text for the last few texts: the gate reads each item's fields and body
    this way for several checks (密级 marks, ID numbers, markers, 表述检查).

    An approximation for checks before anything is rendered (`gongkai check`, pending items): the
    rendered page is checked again after the build."""
    targets: list[str] = []

    def link(match: re.Match) -> str:
        targets.append(match.group(2))
        return match.group(1) + " " + match.group(2)

    text = _MD_LINK.sub(link, markdown)
    text = _MD_ESCAPE.sub(r"\1", text)
    text = _MD_TAG.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    return html.unescape(text) if "&" in text else text


# ------------------------------------------------------------------ data files


def json_strings(data: object) -> list[str]:
    """Returns every string (keys too) in parsed JSON, depth first."""
    found: list[str] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, entry in value.items():
                found.append(str(key))
                stack.append(entry)
        elif isinstance(value, list):
            stack.extend(value)
    return found


def data_text(name: str, data: bytes) -> str:
    """Returns the text a reader of a published data file sees (JSON strings decoded, XML and HTML
    reduced to text and attribute values, other files decoded as text)."""
    text = decode(data)
    lower = name.lower()
    if lower.endswith(".json") or text.startswith(("{", "[")):
        try:
            return "\n".join(json_strings(json.loads(text)))
        except (ValueError, RecursionError):
            pass
    if lower.endswith((".csv", ".tsv")):
        return _cells(text, "\t" if lower.endswith(".tsv") else ",")
    if lower.endswith((".html", ".htm", ".xml", ".svg", ".xhtml")) or text.lstrip().startswith("<"):
        return html_text(text)
    return text


def _cells(text: str, delimiter: str) -> str:
    """Returns every cell of a CSV on a line of its own: a spreadsheet shows cells apart."""
    try:
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
    except csv.Error:
        return text
    return "\n".join(cells)


def decode(data: bytes) -> str:
    """Returns bytes as text: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030, never failing."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace")

