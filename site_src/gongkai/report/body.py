"""The body of a report item: the six sections 一…六 as Markdown headings."""
from __future__ import annotations

import re
from dataclasses import dataclass

from gongkai.report.labels import SECTION_BY_NAME, SECTIONS, Section


@dataclass(frozen=True)
class ReportBody:
    """The body split at the six section headings."""

    preface: str  # text before the first section heading (编制依据, 统计期限, 联系方式 …)
    sections: dict[str, str]  # Section.name → Markdown under its heading (heading removed)
    lines: dict[str, int]  # Section.name → file line of its heading
    duplicates: tuple[tuple[str, int], ...] = ()  # (Section.name, line) of repeated headings

    def get(self, name: str) -> str:
        return self.sections.get(name, "")


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NUMBER_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+|\d+)\s*[、.．,，:：]?\s*")


def section_of_heading(text: str, *, strict: bool) -> Section | None:
    """Returns the section a heading's text names (``strict``: only its numbered title), or None."""
    plain = re.sub(r"[*_`\s]", "", text)
    plain = plain.replace("（", "(").replace("）", ")")
    for section in SECTIONS:
        if plain == section.title.replace("（", "(").replace("）", ")"):
            return section
    if strict:
        return None
    name = _NUMBER_PREFIX.sub("", plain)
    return SECTION_BY_NAME.get(name)


def split_report_body(body: str, body_line: int = 1) -> ReportBody:
    """Returns the body split into the preface and the six sections.

    A section starts at a Markdown heading of any level whose text is the section's title, with
    or without its number (``## 一、总体情况``, ``# 总体情况``), or at a line holding nothing but the
    numbered title (``一、总体情况`` or ``**一、总体情况**``, as pasted from a Word file). Headings
    inside fenced code never count.
    """
    preface: list[str] = []
    sections: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []
    current: list[str] = preface
    fence: str | None = None
    for number, line in enumerate(body.split("\n")):
        found: Section | None = None
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
        elif fence_match:
            fence = fence_match.group(1)
        else:
            atx = _ATX.match(line)
            if atx:
                found = section_of_heading(atx.group(2), strict=False)
            elif line.strip():
                found = section_of_heading(line, strict=True)
        if found is None:
            current.append(line)
            continue
        if found.name in sections:
            duplicates.append((found.name, body_line + number))
        else:
            sections[found.name] = []
            lines[found.name] = body_line + number
        current = sections[found.name]
    return ReportBody(
        preface="\n".join(preface).strip("\n"),
        sections={name: "\n".join(text).strip("\n") for name, text in sections.items()},
        lines=lines,
        duplicates=tuple(duplicates),
    )
