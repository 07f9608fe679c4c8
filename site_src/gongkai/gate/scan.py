"""Text scans on what a reader sees: 密级 marks, 居民身份证号 (with check digit), mobile numbers,
disclosure markers. Every scan runs on `visible.fold`ed text, so that no spelling (full-width or
other digit scripts, invisible characters, look-alike letters and stars, traditional forms,
separators) shows a reader what the scan does not see."""
from __future__ import annotations

import bisect
import re
from datetime import date
from functools import lru_cache

from gongkai.gate.visible import fold

# Characters a reader skips inside a number or a mark: blanks, dashes, dots, underscores.
_SEP = r"[\s\-_.·・‧•‐-―−﹘﹣－]"
SECRECY_MARK = re.compile(rf"(绝|机|秘){_SEP}*密(?:{_SEP}|[:：])*★")
# A run of at least 17 digits, each gap at most 3 separators, and an X glued at its end: where an
# ID number can be. Letters around it do not hide it (a reader still sees the number).
_DIGIT_RUN = re.compile(rf"\d(?:{_SEP}{{0,3}}\d){{16,}}(?:{_SEP}{{0,3}}X)?")
_NOT_DIGIT = re.compile(r"[^\dX]")
# Where a run can be: 17 or more characters that are digits, separators or X in a row. One
# character class, read once: most of a page is ruled out before the run pattern runs.
_DIGITISH = re.compile(rf"[\dX{_SEP[1:-1]}]{{17,}}")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}(?![0-9])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# GB/T 2260 province codes (and 81-83: 港澳台居民居住证).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
# Anything that reads as a disclosure marker: any bracket, an optional slash, 不(予)公开, any
# bracket. Exact markers are this too: only the body of a 部分公开 item may hold them.
_OPENING = r"[\[(<{【〔〖〘〚「『〈《（［｛⟦⟨⦅⦃〝‘“]"
_CLOSING = r"[\])>}】〕〗〙〛」』〉》）］｝⟧⟩⦆⦄〞’”]"
# (No two repetitions of one class meet: each start is read once, whatever the input.)
MARKER_LIKE = re.compile(rf"{_OPENING}{_SEP}*(?:[/／\\]{_SEP}*)?不{_SEP}*(?:予{_SEP}*)?公{_SEP}*开{_SEP}*{_CLOSING}")


@lru_cache(maxsize=256)
def _normal_form(text: str) -> tuple[str, tuple[str, ...]]:
    # Folding keeps line feeds where they were: one call over the whole text gives its lines. The
    # gate scans one text several times (密级, markers, 身份证号, mobile numbers): folded once.
    whole = fold(text)
    return whole, tuple(whole.split("\n"))


def normalized_lines(text: str) -> tuple[str, ...]:
    """Returns the folded form of every line of the text (computed once per text)."""
    return _normal_form(text)[1]


def normalized(text: str) -> str:
    """Returns the folded text (computed once per text, shared with ``normalized_lines``)."""
    return _normal_form(text)[0]


class _Lines:
    """Line index of an offset in one text, by bisection over its line feeds (a count from the
    start for each of 10,000 matches would read the text 10,000 times)."""

    def __init__(self, text: str):
        self.text = text
        self.feeds: list[int] | None = None

    def __call__(self, offset: int) -> int:
        if self.feeds is None:
            self.feeds = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self.feeds, offset)


def secrecy_marks(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, mark) for every 密级 mark such as 秘密★ in the text."""
    folded = normalized(text)
    if "★" not in folded:
        return []
    line_at = _Lines(folded)
    return [(first_line + line_at(m.start()), m.group(1) + "密★") for m in SECRECY_MARK.finditer(folded)]


def id_check_digit(first17: str) -> str:
    """Returns the GB 11643 (ISO 7064 MOD 11-2) check character for 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_id_number(digits: str, today: date | None = None) -> bool:
    """Returns True for an 18-character 居民身份证号 with a plausible birth date and valid check digit."""
    if len(digits) != 18 or not digits[:17].isdigit() or digits[:2] not in _PROVINCES:
        return False
    year = digits[6:10]
    if not ("1900" <= year <= "2099") or not ("01" <= digits[10:12] <= "12") or not ("01" <= digits[12:14] <= "31"):
        return False
    try:
        birth = date(int(year), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    if birth > (today or date.today()):
        return False
    return id_check_digit(digits[:17]) == digits[17].upper()


def mask_id(digits: str) -> str:
    return digits[:6] + "*" * 8 + digits[14:].upper()


def id_numbers_in(folded: str) -> list[tuple[int, str]]:
    """Returns (offset, masked number) for every 居民身份证号 in folded text, wherever it starts
    inside a longer run of digits."""
    found = []
    for span in _DIGITISH.finditer(folded):
        found += _ids_in_span(span.group(0), span.start())
    return found


def _ids_in_span(text: str, base: int) -> list[tuple[int, str]]:
    found = []
    for match in _DIGIT_RUN.finditer(text):
        digits = _NOT_DIGIT.sub("", match.group(0))
        seen = set()
        for start in range(len(digits) - 17):
            window = digits[start : start + 18]
            if window not in seen and "X" not in window[:17] and is_id_number(window):
                seen.add(window)
                found.append((base + match.start(), mask_id(window)))
    return found


def births_ahead(text: str, today: date | None = None) -> date | None:
    """Returns the earliest birth date after today of a number in the text that ``id_numbers``
    would find from that day on (all else about it is right), or None: until that day
    ``id_numbers`` finds in the text exactly what it finds today (the gate's cached scans expire then)."""
    today = today or date.today()
    folded = normalized(text)
    earliest: date | None = None
    for span in _DIGITISH.finditer(folded):
        for match in _DIGIT_RUN.finditer(span.group(0)):
            digits = _NOT_DIGIT.sub("", match.group(0))
            for start in range(len(digits) - 17):  # the windows _ids_in_span reads
                window = digits[start : start + 18]
                if "X" in window[:17] or not window[:14].isdigit():
                    continue
                try:
                    birth = date(int(window[6:10]), int(window[10:12]), int(window[12:14]))
                except ValueError:
                    continue
                if birth > today and (earliest is None or birth < earliest) and is_id_number(window, birth):
                    earliest = birth
    return earliest


def id_numbers(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, masked number) for every unmasked 居民身份证号 in the text."""
    folded = normalized(text)
    line_at = _Lines(folded)
    return [(first_line + line_at(offset), masked) for offset, masked in id_numbers_in(folded)]


def markers(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, what was written) for everything in the text that reads as a disclosure
    marker, exact or not."""
    folded = normalized(text)
    if "不" not in folded:
        return []
    line_at = _Lines(folded)
    return [(first_line + line_at(m.start()), m.group(0)) for m in MARKER_LIKE.finditer(folded)]


def mobile_numbers(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, masked number) for every mainland mobile number in the text."""
    folded = normalized(text)
    found = []
    line_at = _Lines(folded)
    for match in _MOBILE.finditer(folded):
        digits = re.sub(r"\D", "", match.group(0))[-11:]
        found.append((first_line + line_at(match.start()), digits[:3] + "****" + digits[7:]))
    return found
