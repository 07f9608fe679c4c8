"""Text scans: 密级 marks, 居民身份证号 (with check digit), mobile numbers, disclosure markers."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

# Characters that render as nothing (or as a soft hyphen): removed before matching, so a mark or
# number cannot be hidden from the scan by splitting it.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_TRADITIONAL = str.maketrans({"機": "机", "祕": "秘", "絕": "绝"})
SECRECY_MARK = re.compile(r"(绝密|机密|秘密)[\s:：]*[★☆✭✮✯✰⭐]")
_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ \-_.]?){17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}(?![0-9])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalize(text: str) -> str:
    """Returns the text as a reader sees it: NFKC (full-width digits), no invisible characters."""
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_TRADITIONAL)


@lru_cache(maxsize=256)
def _normal_form(text: str) -> tuple[str, tuple[str, ...]]:
    # One call over the whole text gives the same lines as one call per line: a line feed is
    # never composed with its neighbours by NFKC, nor produced or removed by the other steps.
    # The gate scans one body several times (密级, markers, 身份证号, mobile numbers): the cache
    # makes that one normalisation instead of one per line and scan.
    whole = normalize(text)
    return whole, tuple(whole.split("\n"))


def normalized_lines(text: str) -> tuple[str, ...]:
    """Returns ``normalize(line)`` for every line of the text (computed once per text)."""
    return _normal_form(text)[1]


def normalized(text: str) -> str:
    """Returns ``normalize(text)`` (computed once per text, shared with ``normalized_lines``)."""
    return _normal_form(text)[0]


_WHITESPACE = re.compile(r"\s+")


def secrecy_marks(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, mark) for every 密级 mark such as 秘密★ in the text."""
    # Without whitespace across lines a mark is found if any line has one: most texts stop here.
    if not SECRECY_MARK.search(_WHITESPACE.sub("", normalized(text))):
        return []
    found = []
    for offset, line in enumerate(normalized_lines(text)):
        compact = _WHITESPACE.sub("", line)
        for match in SECRECY_MARK.finditer(compact):
            found.append((first_line + offset, match.group(0)))
    return found


def id_check_digit(first17: str) -> str:
    """Returns the GB 11643 (ISO 7064 MOD 11-2) check character for 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_id_number(digits: str, today: date | None = None) -> bool:
    """Returns True for an 18-character 居民身份证号 with a plausible birth date and valid check digit."""
    if len(digits) != 18 or not digits[:17].isdigit() or digits[0] == "0":
        return False
    try:
        birth = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    if birth.year < 1900 or birth > (today or date.today()):
        return False
    return id_check_digit(digits[:17]) == digits[17].upper()


def mask_id(digits: str) -> str:
    return digits[:6] + "*" * 8 + digits[14:].upper()


def id_numbers(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, masked number) for every unmasked 居民身份证号 in the text."""
    # A candidate never spans a line feed: one search over the whole text rules out most texts.
    if not _ID_CANDIDATE.search(normalized(text)):
        return []
    found = []
    for offset, line in enumerate(normalized_lines(text)):
        for match in _ID_CANDIDATE.finditer(line):
            digits = re.sub(r"[ \-_.]", "", match.group(0))
            if is_id_number(digits):
                found.append((first_line + offset, mask_id(digits)))
    return found


def mobile_numbers(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, masked number) for every mainland mobile number in the text."""
    if not _MOBILE.search(normalized(text)):
        return []
    found = []
    for offset, line in enumerate(normalized_lines(text)):
        for match in _MOBILE.finditer(line):
            digits = re.sub(r"\D", "", match.group(0))[-11:]
            found.append((first_line + offset, digits[:3] + "****" + digits[7:]))
    return found
