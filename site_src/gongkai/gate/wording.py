"""表述检查: the expressions of the wording dictionary (read/wording.py) in what a reader sees.

One Aho-Corasick automaton (pyahocorasick) holds every word of the lists: the words to find, the
leaders' names, and the longer correct words that contain a word to find (`except`, `allow`). It
reads the folded text (gate/visible.py: no spelling hides a word from it) without blanks (a
reader reads "截 止" as "截止") once; then each hit is checked in its context:

- a hit inside an allowed longer word is not one (文化和旅游局 is not the abolished 旅游局);
- `after`/`not_after` and `before`/`not_before` look at the text right after or before it (截止
  is 截至 only before a date: 截止2025年底, not 截止日期);
- `since`: only items created on or after that date;
- a leader's name is a finding only next to a title (before or after it) that is not theirs.

Each finding is an ordinary Problem at the file's line, `第N字 “…”: 应为“…”` with the words
around it; an entry of level error refuses the item (it is never published, whatever its state),
one of level warning is reported for the reviewers."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Callable, Iterable

import ahocorasick

from gongkai.errors import ERROR, Problem
from gongkai.gate.scan import normalized
from gongkai.gate.visible import fold, markdown_text
from gongkai.read.wording import WINDOW, Leader, Term, Wording

# Blanks a reader reads through; line feeds stay (no word is found across two lines).
_BLANK = re.compile(r"[^\S\n]+")
CONTEXT = 12  # characters of context shown on each side of a finding
# Every wording finding's message carries this: `gongkai check --stats` counts them by it.
TAG = "表述检查·"


@dataclass(frozen=True)
class Hit:
    """One finding in one text: the line (0-based), its column in the folded line and what is
    there, and what it breaks."""

    line: int
    column: int
    end: int  # column after the last character
    entry: Term | Leader
    title: str = ""  # for a leader: the title written next to the name
    title_first: bool = False  # that title is written before the name


class Matcher:
    """The automaton of one wording dictionary."""

    def __init__(self, wording: Wording):
        self.wording = wording
        roles: dict[str, list[tuple[str, int]]] = {}
        for index, term in enumerate(wording.terms):
            roles.setdefault(_folded(term.word), []).append(("term", index))
        for index, leader in enumerate(wording.leaders):
            roles.setdefault(_folded(leader.name), []).append(("leader", index))
        for word in wording.allowed:
            roles.setdefault(_folded(word), []).append(("allow", 0))
        roles.pop("", None)
        self.titles = sorted({_folded(t) for t in wording.titles} - {""}, key=len, reverse=True)
        self.leader_titles = [frozenset(_folded(t) for t in leader.titles) for leader in wording.leaders]
        self.automaton: ahocorasick.Automaton | None = None
        if roles:
            automaton = ahocorasick.Automaton()
            for word, found in roles.items():
                automaton.add_word(word, (len(word), tuple(found)))
            automaton.make_automaton()
            self.automaton = automaton

    def hits(self, folded: str, created: date | None = None) -> list[Hit]:
        """Returns every finding in folded text (many lines), in order."""
        if self.automaton is None:
            return []
        text = _BLANK.sub("", folded)
        raw = list(self.automaton.iter(text))
        if not raw:
            return []
        allowed = [(end - size + 1, end) for end, (size, roles) in raw if any(role == "allow" for role, _ in roles)]
        feeds: list[int] | None = None
        lines: list[str] | None = None
        found: list[Hit] = []
        for end, (size, roles) in raw:
            start = end - size + 1
            for role, index in roles:
                if role == "allow" or any(a <= start and end <= b for a, b in allowed):
                    continue
                before = text[max(0, start - WINDOW) : start].rsplit("\n", 1)[-1]
                after = text[end + 1 : end + 1 + WINDOW].split("\n", 1)[0]
                entry: Term | Leader
                title, side = "", 0
                if role == "term":
                    term = self.wording.terms[index]
                    if not _in_context(term, before, after, created):
                        continue
                    entry = term
                else:
                    entry = self.wording.leaders[index]
                    if entry.since is not None and (created is None or created < entry.since):
                        continue
                    title, side = self._wrong_title(index, before, after)
                    if not title:
                        continue
                # The finding's span: a leader's with the title written next to the name.
                first = start - len(title) if side < 0 else start
                last = end + len(title) if side > 0 else end
                if feeds is None:
                    feeds = [m.start() for m in re.finditer("\n", text)]
                    lines = folded.split("\n")
                assert lines is not None
                line = bisect.bisect_left(feeds, first)
                line_start = feeds[line - 1] + 1 if line else 0
                column = _unstripped(lines[line], first - line_start)
                stop = _unstripped(lines[line], last - line_start) + 1
                found.append(Hit(line, column, stop, entry, title, side < 0 if title else False))
        return found

    def _wrong_title(self, index: int, before: str, after: str) -> tuple[str, int]:
        """Returns (the title written right after (1) or before (-1) a leader's name when it is
        not theirs, that side), or ("", 0)."""
        own = self.leader_titles[index]
        for title in self.titles:
            if after.startswith(title):
                if not _holds(title, own):
                    return title, 1
                break
        for title in self.titles:
            if before.endswith(title):
                if not _holds(title, own) and not before[: -len(title)].endswith(("原", "前任")):
                    return title, -1
                break
        return "", 0


def _holds(title: str, own: frozenset[str]) -> bool:
    """Whether a leader holding the titles ``own`` may be called ``title``: one of them, or the
    end of one that leaves out no 副 (a 县委书记 is 张三书记; a 常务副县长 is a 副县长; a 副县长
    is not a 县长)."""
    return any(held == title or (held.endswith(title) and "副" not in held[: -len(title)]) for held in own)


def _in_context(term: Term, before: str, after: str, created: date | None) -> bool:
    if term.since is not None and (created is None or created < term.since):
        return False
    if term.after is not None and not term.after.match(after):
        return False
    if term.not_after is not None and term.not_after.match(after):
        return False
    if term.before is not None and not term.before.search(before):
        return False
    return not (term.not_before is not None and term.not_before.search(before))


def _unstripped(line: str, column: int) -> int:
    """Returns the column in a line of the text with blanks of a column in it without them."""
    if not _BLANK.search(line):
        return column
    seen = 0
    for position, char in enumerate(line):
        if char.isspace():
            continue
        if seen == column:
            return position
        seen += 1
    return len(line)


@lru_cache(maxsize=4096)
def _folded(word: str) -> str:
    return _BLANK.sub("", fold(word))


def matcher_for(wording: Wording | None) -> Matcher | None:
    """Returns the matcher of a dictionary, made once per process for the same lists."""
    if wording is None or wording.empty:
        return None
    known = _BY_KEY.get(wording.key)
    if known is None:
        if len(_BY_KEY) > 8:
            _BY_KEY.clear()
        known = _BY_KEY[wording.key] = Matcher(wording)
    return known


_BY_KEY: dict[str, Matcher] = {}


# ---------------------------------------------------------------- findings as problems


def describe(hit: Hit, found: str) -> tuple[str, str]:
    """Returns (what it should be or why it must not appear, its kind) for a hit."""
    entry = hit.entry
    if isinstance(entry, Leader):
        titles = "、".join(entry.titles)
        right = f"{entry.titles[0]}{entry.name}" if hit.title_first else f"{entry.name}{entry.titles[0]}"
        return f"应为“{right}”({entry.name}的现任职务是{titles},此处写作“{hit.title}”)", "领导职务"
    if entry.correct:
        return f"应为“{entry.correct}”" + (f":{entry.reason}" if entry.reason else ""), entry.kind
    return f"不得出现:{entry.reason}", entry.kind


# One reading of some lines of a file: (text, the lines as written, line index -> file line, the
# label of each line's field or None for the body).
Reading = tuple[str, list[str], Callable[[int], int], "list[str] | None"]


def text_problems(matcher: Matcher | None, path: str, readings: Iterable[Reading], created: date | None) -> list[Problem]:
    """Returns the problems of the texts of one file, one per line and entry.

    Each reading is one way of reading some lines (as written, or as rendered); a finding is
    reported once, from the first reading that has it, with the most occurrences any reading saw
    on that line. Its column is counted in the line as written when the words are there as
    found, else in the line as read; in a field (a label is given) after the "|" that starts it
    (see gate.decide._readings)."""
    if matcher is None:
        return []
    seen: dict[tuple[int, str, int], tuple[Hit, str, str, int]] = {}
    counts: dict[tuple[int, str, int], int] = {}
    first_reading: dict[int, list[str]] = {}  # id of the written lines -> the first reading's folded lines
    for text, written, line_of, labels in readings:
        folded = normalized(text)
        earlier = first_reading.get(id(written))
        if earlier is None:
            first_reading[id(written)] = folded.split("\n")
        else:
            # Another reading of the same lines: only the lines it reads differently (most lines
            # of a body read the same as written and as rendered).
            lines = folded.split("\n")
            if len(lines) == len(earlier):
                folded = "\n".join(line if line != other else "" for line, other in zip(lines, earlier))
        hits = matcher.hits(folded, created)
        if not hits:
            continue
        lines = folded.split("\n")
        this: dict[tuple[int, str, int], int] = {}
        for hit in hits:
            label = (labels[hit.line] if hit.line < len(labels) else "") if labels is not None else ""
            key = (line_of(hit.line), label, id(hit.entry))
            this[key] = this.get(key, 0) + 1
            if key in seen:
                continue
            line_text = lines[hit.line]
            found = line_text[hit.column : hit.end]
            raw = written[hit.line] if hit.line < len(written) else ""
            column = _column(raw, found, hit.column)
            # The words around it as written when they are there as read, else as read.
            context = _context(raw, column, column + len(found)) if raw[column : column + len(found)] == found else _context(line_text, hit.column, hit.end)
            column -= 1 if labels is not None else 0
            seen[key] = (hit, found, context.removeprefix("|") if labels is not None else context, column)
        for key, count in this.items():
            counts[key] = max(counts.get(key, 0), count)
    problems = []
    for key, (hit, found, context, column) in seen.items():
        line, label, _ = key
        what, kind = describe(hit, found)
        more = counts.get(key, 1)
        also = f",本行共 {more} 处" if more > 1 else ""
        refused = ";须改正后才能发布" if hit.entry.level == ERROR else ""
        message = f"{label}第{column + 1}字 “{found}”: {what}({TAG}{kind};原文“{context}”{also}{refused})"
        problems.append((line, message, hit.entry.level))
    return [Problem(path, line, message, level) for line, message, level in sorted(problems)]


def _context(line: str, start: int, end: int) -> str:
    left = max(0, start - CONTEXT)
    right = min(len(line), end + CONTEXT)
    return ("…" if left else "") + line[left:right].strip() + ("…" if right < len(line) else "")


def _column(raw: str, found: str, column: int) -> int:
    """Returns the column of ``found`` in the line as written: the occurrence nearest to where it
    was read, or ``column`` when the line as written does not hold it as read."""
    if not found or found not in raw:
        return column
    positions = [m.start() for m in re.finditer(re.escape(found), raw)]
    return min(positions, key=lambda p: abs(p - column))


def body_readings(body: str, first_line: int) -> list[Reading]:
    """Returns the readings of a Markdown body: as a reader likely sees it, and as written."""
    written = body.split("\n")
    line_of = lambda k: first_line + k  # noqa: E731
    return [(markdown_text(body), written, line_of, None), (body, written, line_of, None)]
