"""The text a reader sees: of rendered HTML, of Markdown source, of data files; folded so that no
spelling can show a reader something a check on the text does not see.

`fold` is the one canonical form every check of the gate runs on (ID numbers, 密级 marks,
disclosure markers, withheld text): what renders as nothing is removed, what renders alike is made
alike (compatibility forms, other digit scripts, look-alike letters and stars, traditional forms
of the few characters the checks look for)."""
from __future__ import annotations

import html
import json
import re
import unicodedata
from functools import lru_cache

import nh3


@lru_cache(maxsize=1)
def _tables() -> tuple[re.Pattern, re.Pattern, dict[int, str]]:
    """Returns (what renders as nothing, non-ASCII digits, the look-alike map), made once."""
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
    return _char_class(invisible), _char_class(digits), stars


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
def _translation() -> dict[int, str]:
    _, _, stars = _tables()
    table = dict(stars)
    table.update({ord(k): v for k, v in _LOOK_ALIKE.items()})
    return table


def _ascii_digit(match: re.Match) -> str:
    return "".join(str(unicodedata.digit(c, 0)) for c in match.group(0))


def fold(text: str) -> str:
    """Returns the text as a reader takes it: no invisible characters, NFKC, ASCII digits, one
    form for look-alike letters and stars. Line feeds stay where they were."""
    invisible, digits, _ = _tables()
    text = invisible.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = invisible.sub("", text)  # NFKC can decompose into combining marks
        text = digits.sub(_ascii_digit, text)
    return text.translate(_translation())


_NOT_WORD = re.compile(r"[\W_]+")


def compact(folded: str) -> str:
    """Returns folded text reduced to its letters and digits, lower case: two renderings of one text
    (Markdown and HTML, a table and a list) compare equal."""
    return _NOT_WORD.sub("", folded).lower()


# ------------------------------------------------------------------ HTML

# Attribute values a reader or a crawler can see (alt, title, href…): every value in the output.
_ATTRIBUTE = re.compile(r"""\s[^\s=<>"'/]+\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_BLANKS = re.compile(r"[ \t\r\f\v]*\n\s*")


def html_text(markup: str) -> str:
    """Returns the text of an HTML document or fragment as a reader sees it (element text, then
    every attribute value on lines of its own), entities decoded, not folded."""
    text = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "template"}, strip_comments=True)
    text = _BLANKS.sub("\n", html.unescape(text))
    values = [html.unescape(a or b) for a, b in _ATTRIBUTE.findall(markup) if (a or b).strip()]
    return text + "\n" + "\n".join(values) if values else text


# ------------------------------------------------------------------ Markdown source

_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(([^)\n]*)\)")
_MD_TAG = re.compile(r"<[^<>\n]*>")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>=])")
_MD_EMPHASIS = re.compile(r"[*_~`=^]+")


def markdown_text(markdown: str) -> str:
    """Returns what a reader would likely see of Markdown source, line for line: tags, emphasis
    and link syntax removed, entities decoded, link targets kept (they are published too).

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
    if lower.endswith((".html", ".htm", ".xml", ".svg", ".xhtml")) or text.lstrip().startswith("<"):
        return html_text(text) + "\n" + html.unescape(text)
    return text


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

