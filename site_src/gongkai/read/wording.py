"""The wording dictionary of 表述检查: the built-in list (law/wording.yml) and the portal's own
(wording.yml at the root of its repository, reviewed like reviewers.yml), as entries.

A portal's entry with the same `word` as a built-in one replaces it (`level: off` switches it off).
A malformed entry is reported at its file and line and left out; the rest of the list still holds."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from gongkai.errors import ERROR, WARNING, Problem
from gongkai.read import yamlsafe

BUILTIN_FILE = Path(__file__).resolve().parent.parent / "law" / "wording.yml"
BUILTIN_DISPLAY = "gongkai/law/wording.yml"
PORTAL_FILE = "wording.yml"  # at the root of the portal's repository, next to mkdocs.yml

LEVELS = {"error": ERROR, "warning": WARNING, "off": None}
KINDS = ("规范表述", "禁用表述", "机构改革", "错别字", "领导职务", "地名", "其他")
TERM_KEYS = ("word", "correct", "reason", "level", "kind", "after", "not_after", "before", "not_before", "except", "since")
LEADER_KEYS = ("name", "title", "titles", "level", "since")
TOP_KEYS = ("terms", "leaders", "titles", "allow")
MAX_WORD = 64  # characters of a word, a title or an allowed word
# Context patterns are read on a window of this many characters around a match: a pattern of the
# portal's list cannot make one match cost more than this much text.
WINDOW = 16


@dataclass(frozen=True)
class Term:
    """One expression to find; `word` without blanks."""

    word: str
    correct: str = ""  # 应为
    reason: str = ""  # why it must not appear, when there is no correct form
    level: str = WARNING
    kind: str = "其他"
    after: re.Pattern | None = None  # the text right after must match this
    not_after: re.Pattern | None = None
    before: re.Pattern | None = None  # the text right before must end with a match of this
    not_before: re.Pattern | None = None
    since: date | None = None  # only items created on or after this date
    source: str = ""  # where it is defined: file:line
    written: str = ""  # the word as the list writes it


@dataclass(frozen=True)
class Leader:
    """A leader's name with the titles the portal's items may give them now."""

    name: str
    titles: tuple[str, ...]
    level: str = ERROR
    since: date | None = None
    source: str = ""


@dataclass
class Wording:
    """Every entry of the built-in and the portal's lists, and what was wrong with them."""

    terms: tuple[Term, ...] = ()
    leaders: tuple[Leader, ...] = ()
    titles: tuple[str, ...] = ()  # every title the leader check recognises next to a name
    allowed: tuple[str, ...] = ()  # correct longer words no entry is found inside
    problems: list[Problem] = field(default_factory=list)
    key: str = ""  # equal for lists that find the same: the text of both files

    @property
    def empty(self) -> bool:
        return not self.terms and not self.leaders


def normal(word: str) -> str:
    """Returns a word without blanks (the matcher reads text without them; gate/wording.py folds
    the words as it folds the text)."""
    return _BLANKS.sub("", word)


_BLANKS = re.compile(r"\s+")


def load_wording(root: Path | None) -> Wording:
    """Returns the built-in list with the portal's wording.yml (when it has one) applied."""
    builtin_text = BUILTIN_FILE.read_text(encoding="utf-8")
    portal_text = None
    if root is not None:
        path = Path(root) / PORTAL_FILE
        if path.is_file():
            try:
                portal_text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                return _with_problem(builtin_text, Problem(PORTAL_FILE, 1, "文件不是 UTF-8 编码,请另存为 UTF-8"))
            except OSError as exc:
                return _with_problem(builtin_text, Problem(PORTAL_FILE, 1, f"无法读取:{exc.strerror or exc}"))
    return _load(builtin_text, portal_text)


def _with_problem(builtin_text: str, problem: Problem) -> Wording:
    wording = _load(builtin_text, None)
    return Wording(wording.terms, wording.leaders, wording.titles, wording.allowed, wording.problems + [problem], wording.key + "!")


@lru_cache(maxsize=8)
def _load(builtin_text: str, portal_text: str | None) -> Wording:
    """Returns the lists made from the two texts (once per process for the same texts)."""
    key = hashlib.sha256(builtin_text.encode() + b"\0" + (portal_text or "").encode()).hexdigest()
    problems: list[Problem] = []
    builtin = parse_list(builtin_text, BUILTIN_DISPLAY, problems)
    portal = parse_list(portal_text, PORTAL_FILE, problems) if portal_text is not None else _List()
    terms: dict[str, Term | None] = {t.word: t for t in builtin.terms}
    for term, level in portal.terms_with_level:
        terms.pop(term.word, None)
        if level is not None:
            terms[term.word] = term
    kept = tuple(t for t in terms.values() if t is not None)
    titles = tuple(dict.fromkeys(builtin.titles + portal.titles + tuple(t for leader in portal.leaders for t in leader.titles)))
    return Wording(kept, portal.leaders, titles, tuple(dict.fromkeys(builtin.allowed + portal.allowed)), problems, key)


@dataclass
class _List:
    terms: list[Term] = field(default_factory=list)
    terms_with_level: list[tuple[Term, str | None]] = field(default_factory=list)
    leaders: tuple[Leader, ...] = ()
    titles: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()


def parse_list(text: str, display: str, problems: list[Problem]) -> _List:
    """Returns the entries of one list's text; each malformed entry is added to ``problems``."""
    try:
        parsed = yamlsafe.parse(text)
    except yamlsafe.YamlProblem as exc:
        problems.append(Problem(display, exc.line, exc.message))
        return _List()
    data, lines = parsed.data, parsed.lines
    if data is None:
        return _List()
    if not isinstance(data, dict):
        problems.append(Problem(display, 1, f"应为 {'、'.join(TOP_KEYS)} 几部分(见文档“表述检查”)"))
        return _List()
    result = _List()
    for key in data:
        if key not in TOP_KEYS:
            problems.append(Problem(display, lines.get(str(key), 1), f"未知部分 {key}:可用的是 {'、'.join(TOP_KEYS)}"))
    allowed_words: list[str] = []
    for key in ("titles", "allow"):
        words = _words(data.get(key), key, display, lines, problems)
        if key == "titles":
            result.titles = tuple(normal(w) for w in words)
        else:
            allowed_words += words
    for index, entry in enumerate(_entries(data.get("terms"), "terms", display, lines, problems)):
        parsed_term = _term(entry, f"terms[{index}]", display, lines, problems)
        if parsed_term is None:
            continue
        term, level, exceptions = parsed_term
        allowed_words += exceptions
        result.terms_with_level.append((term, level))
        if level is not None:
            result.terms.append(term)
    leaders: list[Leader] = []
    for index, entry in enumerate(_entries(data.get("leaders"), "leaders", display, lines, problems)):
        leader = _leader(entry, f"leaders[{index}]", display, lines, problems)
        if leader is not None:
            leaders.append(leader)
    result.leaders = tuple(leaders)
    result.allowed = tuple(normal(w) for w in allowed_words)
    return result


def _entries(value: Any, key: str, display: str, lines: dict, problems: list[Problem]) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(Problem(display, lines.get(key, 1), f"{key} 应为列表(每项以 - 开头)"))
        return []
    return value


def _words(value: Any, key: str, display: str, lines: dict, problems: list[Problem]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() and len(w) <= MAX_WORD for w in value):
        problems.append(Problem(display, lines.get(key, 1), f"{key} 应为词语列表(每个不超过 {MAX_WORD} 字),如 [县长, 副县长]"))
        return []
    return list(value)


def _term(entry: Any, where: str, display: str, lines: dict, problems: list[Problem]) -> tuple[Term, str | None, list[str]] | None:
    line = lines.get(where, 1)
    count = len(problems)

    def bad(message: str, key: str | None = None) -> None:
        problems.append(Problem(display, lines.get(f"{where}.{key}", line) if key else line, message))

    if not isinstance(entry, dict):
        bad("每个词条应包含 word,以及 correct(应为)或 reason(为什么不得出现)")
        return None
    for key in entry:
        if key not in TERM_KEYS:
            bad(f"未知字段 {key};可用字段为 {', '.join(TERM_KEYS)}", str(key))
    word = entry.get("word")
    if not isinstance(word, str) or not word.strip() or len(word) > MAX_WORD:
        bad(f"word(要查找的写法)必填,为不超过 {MAX_WORD} 字的文字", "word")
        word = ""
    correct, reason = entry.get("correct"), entry.get("reason")
    for key, value in (("correct", correct), ("reason", reason)):
        if value is not None and not isinstance(value, str):
            bad(f"{key} 应为文字", key)
    if not correct and not reason:
        bad("请写 correct(应为的写法)或 reason(为什么不得出现)")
    level = _level(entry.get("level", "warning"), where, bad)
    kind = entry.get("kind", "其他")
    if kind not in KINDS:
        bad(f"kind 只能是 {'、'.join(KINDS)}", "kind")
    patterns = {}
    for key in ("after", "not_after", "before", "not_before"):
        patterns[key] = _pattern(entry.get(key), key, bad)
    if kind == "机构改革" and "not_before" not in entry:
        patterns["not_before"] = re.compile("(?:原)\\Z")
    since = _since(entry.get("since"), bad)
    exceptions = entry.get("except") or []
    if not isinstance(exceptions, list) or not all(isinstance(w, str) and w.strip() and len(w) <= MAX_WORD for w in exceptions):
        bad("except 应为包含该写法的正确词语列表,如 [文化和旅游局]", "except")
        exceptions = []
    elif word and not all(normal(word) in normal(w) for w in exceptions):
        bad(f"except 中的每个词语都应包含“{word}”(它们是含有该写法的正确词语)", "except")
        exceptions = []
    if len(problems) > count or not normal(word):
        return None
    term = Term(
        normal(word),
        str(correct or ""),
        str(reason or ""),
        level or WARNING,
        str(kind),
        patterns["after"],
        patterns["not_after"],
        patterns["before"],
        patterns["not_before"],
        since,
        f"{display}:{line}",
        word,
    )
    return term, level, list(exceptions)


def _level(value: Any, where: str, bad) -> str | None:
    if value is False:
        value = "off"  # YAML reads an unquoted off as false
    if not isinstance(value, str) or value not in LEVELS:
        bad("level 只能是 error(拒绝发布)、warning(报告,供审核人判断)或 off(关闭同名内置词条)", "level")
        return WARNING
    return LEVELS[value]


def _pattern(value: Any, key: str, bad) -> re.Pattern | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 400:
        bad(f"{key} 应为一个正则表达式(不超过 400 字符)", key)
        return None
    try:
        # after: matched at the start of what follows; before: at the end of what precedes.
        return re.compile(f"(?:{value})\\Z" if key.endswith("before") else f"(?:{value})")
    except re.error as exc:
        bad(f"{key} 不是有效的正则表达式:{exc}", key)
        return None


def _since(value: Any, bad) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        bad("since 应为日期 YYYY-MM-DD(只检查此日及以后成文的信息)", "since")
        return None


def _leader(entry: Any, where: str, display: str, lines: dict, problems: list[Problem]) -> Leader | None:
    line = lines.get(where, 1)
    count = len(problems)

    def bad(message: str, key: str | None = None) -> None:
        problems.append(Problem(display, lines.get(f"{where}.{key}", line) if key else line, message))

    if not isinstance(entry, dict):
        bad("每位领导应包含 name(姓名)和 title(现任职务,兼任多个职务时写 titles 列表)")
        return None
    for key in entry:
        if key not in LEADER_KEYS:
            bad(f"未知字段 {key};可用字段为 {', '.join(LEADER_KEYS)}", str(key))
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_WORD:
        bad("name(领导姓名)必填", "name")
        name = ""
    titles = entry.get("titles", [entry["title"]] if "title" in entry else None)
    if not isinstance(titles, list) or not titles or not all(isinstance(t, str) and t.strip() and len(t) <= MAX_WORD for t in titles):
        bad("title(现任职务,如 县长)必填;兼任多个职务时写 titles: [县委副书记, 县长]", "titles" if "titles" in entry else "title")
        titles = []
    level = _level(entry.get("level", "error"), where, bad)
    since = _since(entry.get("since"), bad)
    if len(problems) > count or level is None:
        return None
    return Leader(normal(name), tuple(normal(t) for t in titles), level, since, f"{display}:{line}")
