"""Text scans: 密级 marks, 居民身份证号 (with check digit), mobile numbers, disclosure markers."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

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


def secrecy_marks(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, mark) for every 密级 mark such as 秘密★ in the text."""
    found = []
    for offset, line in enumerate(text.split("\n")):
        compact = re.sub(r"\s+", "", normalize(line))
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
    found = []
    for offset, line in enumerate(text.split("\n")):
        for match in _ID_CANDIDATE.finditer(normalize(line)):
            digits = re.sub(r"[ \-_.]", "", match.group(0))
            if is_id_number(digits):
                found.append((first_line + offset, mask_id(digits)))
    return found


def mobile_numbers(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Returns (line, masked number) for every mainland mobile number in the text."""
    found = []
    for offset, line in enumerate(text.split("\n")):
        for match in _MOBILE.finditer(normalize(line)):
            digits = re.sub(r"\D", "", match.group(0))[-11:]
            found.append((first_line + offset, digits[:3] + "****" + digits[7:]))
    return found
