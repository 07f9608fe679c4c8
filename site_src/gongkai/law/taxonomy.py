"""The catalog taxonomy (SPEC §4): the built-in categories of taxonomy.yml, plus a portal's own."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Category:
    id: str  # the name editors write in `category:`
    slug: str  # URL segment under xxgk/gkml/
    article: str = ""  # 条例第二十条 item it serves, e.g. "第二十条第（一）项"
    scope: str = ""  # what the law says belongs here
    secrecy_review_optional: bool = False  # a review_policy of this category may leave out 保密审查


#: Where the built-in categories are declared: data, so that the 目录动态调整 page can read every
#: past version of it from Git without running or parsing Python.
BUILTIN_FILE = Path(__file__).with_name("taxonomy.yml")

_KEYS = ("id", "slug", "article", "scope", "secrecy_review_optional")


def _parse(text: str) -> tuple[Category, ...]:
    """Returns the categories of a taxonomy.yml; raises ValueError when it is not one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(f"taxonomy.yml is not YAML: {e}") from e
    if not isinstance(data, list):
        raise ValueError("taxonomy.yml must be a list of categories")
    found = []
    for entry in data:
        if not isinstance(entry, dict) or set(entry) - set(_KEYS) or not all(isinstance(entry.get(k), str) and entry[k] for k in ("id", "slug")):
            raise ValueError(f"taxonomy.yml: a category needs id and slug, and only {', '.join(_KEYS)}: {entry!r}")
        optional = entry.get("secrecy_review_optional", False)
        if not isinstance(optional, bool):
            raise ValueError(f"taxonomy.yml: secrecy_review_optional of {entry['id']} must be true or false")
        found.append(
            Category(
                entry["id"],
                entry["slug"],
                str(entry.get("article") or ""),
                str(entry.get("scope") or ""),
                optional,
            )
        )
    return tuple(found)


def parse_builtin(text: str | None) -> dict[str, tuple[str, str, str]] | None:
    """Returns {id: (slug, article, scope)} of the categories in a taxonomy.yml's text, None when
    it is missing or unreadable (the 目录动态调整 page reads past versions of the file)."""
    if not text:
        return None
    try:
        return {c.id: (c.slug, c.article, c.scope) for c in _parse(text)}
    except ValueError:
        return None


BUILTIN: tuple[Category, ...] = _parse(BUILTIN_FILE.read_text(encoding="utf-8"))

# The categories the engine itself treats apart: each is a built-in id (tests/test_taxonomy.py).
ANNUAL_REPORT = "年度报告"  # holds the annual reports (条例第五十条); an item here carries `report`
INTERPRETATION = "政策解读"  # a 解读 names the policy it explains (`interprets`)
NORMATIVE_DOCUMENT = "规范性文件"  # 行政规范性文件: its validity is watched by the health page
RULES = "规章"  # with 规范性文件, the documents counted by the annual report
OTHER_DOCUMENTS = "其他文件"  # the next three: columns with a default update cycle
NOTICES = "通知公告"
NEWS = "工作动态"


def categories(extra: tuple[str, ...] = ()) -> tuple[Category, ...]:
    """Returns the built-in categories followed by the portal's own (SPEC §2 `categories`)."""
    known = {c.id for c in BUILTIN}
    added = []
    for index, name in enumerate(extra, start=1):
        if name not in known:
            added.append(Category(name, f"c{index}"))
            known.add(name)
    return BUILTIN + tuple(added)


def category_ids(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Returns every category id an item may declare."""
    return tuple(c.id for c in categories(extra))


def secrecy_review_optional(category: str) -> bool:
    """Returns whether a review_policy of ``category`` may leave out 保密审查 (a portal's own
    categories may not)."""
    return any(c.id == category and c.secrecy_review_optional for c in BUILTIN)
