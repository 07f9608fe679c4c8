"""Site health as 国办 inspections judge it, and the 目录动态调整 record from the Git history.

Every finding is a warning (`gongkai check --strict` and `gongkai build --strict` fail on them):
空白栏目, columns not updated within their cycle, items past their validity still 有效, external links
outside `link_allowlist`, 政策解读 pointing nowhere, 转载 without a source, broken internal links,
items published later than 20 个工作日 after they were formed, and a counter behind the items.
"""
from __future__ import annotations

import ast
import fnmatch
import posixpath
import re
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import unquote, urlsplit

import yaml

from gongkai import gitrepo
from gongkai.errors import WARNING, Problem
from gongkai.law import taxonomy, workdays
from gongkai.law.taxonomy import INTERPRETATION, NORMATIVE_DOCUMENT, categories
from gongkai.model import Decision, DeclaredYear, Item, Verdict
from gongkai.read.counter import counter_problems
from gongkai.settings import CYCLES_KEY, Cycle, update_cycles
from gongkai.site.standard import adjustment_problems, standard_problems

# Most provinces' rules on 行政规范性文件: valid for 5 years, 2 when marked 暂行 or 试行.
POLICY_VALID_YEARS, TRIAL_VALID_YEARS = 5, 2

WARN = WARNING


def health_problems(portal, config=None) -> list[Problem]:
    """Returns the site-health findings of the portal (warnings), sorted."""
    where = _config_display(config)
    cycles, cycle_problems = update_cycles(_cycles_setting(portal, config), portal.settings.categories, where)
    site_host = urlsplit(str(getattr(config, "site_url", "") or "")).hostname or ""
    published = {d.item.rel for d in portal.decisions if d.verdict is Verdict.PUBLISH and d.item is not None}
    found: list[Problem] = list(cycle_problems)
    found += blank_categories(portal.decisions, portal.settings.categories, where)
    found += stale_categories(portal.decisions, cycles, portal.today, where)
    found += counter_problems(portal.docs_dir, portal.root, portal.settings)
    found += standard_problems(portal.standards, portal.decisions, portal.today, portal.settings.calendar)
    found += calendar_problems(portal.settings.calendar)
    found += adjustment_problems(portal.adjustments, portal.standards, taxonomy.category_ids(portal.settings.categories))
    by_index = _by_index(portal.decisions)
    assets = published_assets(portal.decisions)
    for decision in portal.decisions:
        found += item_health(decision, portal.today, portal.settings.link_allowlist, site_host, by_index, published, assets, portal.settings.calendar)
    return sorted(set(found))


def item_health(
    decision: Decision,
    today: date,
    allowlist: Iterable[str] = ("*.gov.cn",),
    site_host: str = "",
    by_index: dict[str, Decision] | None = None,
    published: set[str] | None = None,
    assets: set[str] | None = None,
    declared: Sequence[DeclaredYear] = (),
) -> list[Problem]:
    """Returns the findings about one item: deadline, validity, links, 解读, 转载."""
    item = decision.item
    if item is None or decision.verdict in (Verdict.REFUSE, Verdict.FAIL):
        return []
    found = overdue(decision, today, declared)
    if decision.verdict in (Verdict.PUBLISH, Verdict.METADATA):
        found += validity_problems(item, today, decision.published)
    if decision.verdict in (Verdict.PUBLISH, Verdict.HOLD):
        found += interpretation_problems(decision, by_index or {})
        found += reprint_problems(item)
    if decision.verdict is Verdict.PUBLISH:
        found += external_links(item, allowlist, site_host)
        found += internal_links(item, published or set(), assets or set())
    return found


def _config_display(config) -> str:
    path = getattr(config, "config_file_path", None)
    return Path(path).name if path else "mkdocs.yml"


def _cycles_setting(portal, config) -> Any:
    # settings.py belongs to the engine: read the key from there once it validates it, until then
    # straight from extra.gongkai.
    value = getattr(portal.settings, CYCLES_KEY, None)
    if value:
        return value
    extra: Any = getattr(config, "extra", None)
    gongkai: Any = extra.get("gongkai") if hasattr(extra, "get") else None  # MkDocs' extra is not a dict
    return gongkai.get(CYCLES_KEY) if hasattr(gongkai, "get") else None


def _by_index(decisions: Iterable[Decision]) -> dict[str, Decision]:
    """Returns the item of each 索引号: of a number several files hold, the one that keeps it
    (gate/unique.py refuses the others)."""
    result: dict[str, Decision] = {}
    for decision in decisions:
        if decision.item is not None and decision.item.index_no:
            known = result.get(decision.item.index_no)
            if known is None or (known.verdict is Verdict.REFUSE and decision.verdict is not Verdict.REFUSE):
                result[decision.item.index_no] = decision
    return result


def published_assets(decisions: Iterable[Decision]) -> set[str]:
    """Returns the docs-relative paths of every attachment a published item declares."""
    assets = set()
    for decision in decisions:
        if decision.verdict is Verdict.PUBLISH and decision.item is not None:
            folder = posixpath.dirname(decision.item.rel)
            for attachment, _ in decision.item.attachment_digests:
                assets.add(posixpath.normpath(posixpath.join(folder, attachment)))
    return assets


# ------------------------------------------------------------------ columns


def _latest_by_category(decisions: Iterable[Decision]) -> dict[str, tuple[date, Item]]:
    latest: dict[str, tuple[date, Item]] = {}
    for decision in decisions:
        item = decision.item
        if decision.verdict is not Verdict.PUBLISH or item is None:
            continue
        day = decision.published or item.created
        if item.category not in latest or day > latest[item.category][0]:
            latest[item.category] = (day, item)
    return latest


def blank_categories(decisions: Iterable[Decision], extra_categories: tuple[str, ...] = (), where: str = "mkdocs.yml") -> list[Problem]:
    """Returns a warning for every catalog column without a single published item (空白栏目)."""
    latest = _latest_by_category(decisions)
    return [
        Problem(where, 0, f"栏目“{c.id}”没有已发布的信息(空白栏目):网站检查中空白栏目属于单项否决问题,请及时发布本栏目信息", WARN)
        for c in categories(tuple(extra_categories))
        if c.id not in latest
    ]


def stale_categories(decisions: Iterable[Decision], cycles: dict[str, Cycle], today: date, where: str = "mkdocs.yml") -> list[Problem]:
    """Returns a warning for every column whose newest item is older than its update cycle."""
    found = []
    for category, (day, item) in sorted(_latest_by_category(decisions).items()):
        cycle = cycles.get(category)
        if cycle is None:
            continue
        due = cycle.after(day)
        if today > due:
            found.append(
                Problem(
                    where,
                    0,
                    f"栏目“{category}”超过{cycle}未更新:最近一条是 {day} 发布的《{item.title}》({item.path}),应在 {due} 前更新",
                    WARN,
                )
            )
    return found


# ------------------------------------------------------------------ 20 个工作日


def overdue(decision: Decision, today: date, declared: Sequence[DeclaredYear] = ()) -> list[Problem]:
    """Returns the 20-working-day findings of one 主动公开 item: late, or the calendar does not cover it."""
    item = decision.item
    if item is None or str(item.meta.get("attribute")) not in workdays.TIMELY_ATTRIBUTES:
        return []
    if decision.verdict not in (Verdict.PUBLISH, Verdict.HOLD):
        return []
    try:
        created = item.created
        # Published: the date the public saw it (the gate's, never before the last signature);
        # held back for 定时发布: the date typed for it.
        published = decision.published if decision.verdict is Verdict.PUBLISH else item.published
    except (KeyError, ValueError):
        return []
    line = item.line_of("published") if "published" in item.meta else item.line_of("created")
    found = []
    if decision.verdict is Verdict.PUBLISH:
        check = workdays.timeliness(created, published, today, declared=declared)
        if check.overdue:
            found.append(Problem(item.path, line, f"超期公开:{check.describe()}(条例第二十六条)", WARN))
    else:
        scheduled = workdays.timeliness(created, published, today, declared=declared) if published else None
        pending = workdays.timeliness(created, None, today, declared=declared)
        if pending.overdue:
            found.append(Problem(item.path, line, f"超期未公开:{pending.describe()}({decision.reason};条例第二十六条)", WARN))
        elif scheduled is not None and scheduled.overdue:
            found.append(Problem(item.path, line, f"发布日期超期:{scheduled.describe()}(条例第二十六条)", WARN))
        check = scheduled or pending
    if check.estimated:
        years = "、".join(str(y) for y in sorted({created.year, (check.published or check.due).year}) if workdays.year_source(y, declared) == workdays.ESTIMATED)
        found.append(Problem(item.path, line, f"{years} 年的放假调休安排还不知道(已安装的 chinesecalendar 没有收录,门户设置也没有写),{created} 至 {check.published or check.due} 的20个工作日期限按周一至周五估算:请升级 chinesecalendar,或者在 mkdocs.yml 的 extra.gongkai.calendar 中照国务院办公厅的通知写明该年的放假和调休上班日期", WARN))
    return found


def calendar_problems(declared: Sequence[DeclaredYear], where: str = "mkdocs.yml") -> list[Problem]:
    """Returns a warning for each declared year chinesecalendar now knows: the library wins, and a
    day where the two disagree is named (a typing mistake, or a changed arrangement)."""
    found = []
    for year in declared:
        if not workdays.library_knows(year.year):
            continue
        differ = workdays.disagreements(year)
        detail = f";两者不一致的日期:{'、'.join(str(d) for d in differ[:5])}{'等' if len(differ) > 5 else ''},请核对" if differ else ""
        found.append(Problem(where, year.line or 1, f"extra.gongkai.calendar.{year.year}: 已安装的 chinesecalendar 已经收录 {year.year} 年的放假调休安排,以它为准,本设置不再使用,可以删除{detail}", WARN))
    return found


def calendar_sources(years: Iterable[int], declared: Sequence[DeclaredYear] = ()) -> list[tuple[int, str, str]]:
    """Returns (year, source, how `gongkai check` names it) for each year: where its working days come from."""
    out = []
    for year in sorted(set(years)):
        source = workdays.year_source(year, declared)
        label = workdays.SOURCE_LABELS[source]
        if source == workdays.SETTINGS:
            entry = next(d for d in declared if d.year == year)
            said = [f"mkdocs.yml 第 {entry.line} 行"] if entry.line else []
            said += [entry.notice] if entry.notice else []
            label += f"({','.join(said)})" if said else ""
        out.append((year, source, label))
    return out


def portal_years(portal) -> list[int]:
    """Returns the years whose working days the portal's deadlines use: each dated item's year,
    this year, and every declared year."""
    years = {portal.today.year} | {d.year for d in portal.settings.calendar}
    for decision in portal.decisions:
        item = decision.item
        if item is None or "created" not in item.meta:
            continue
        try:
            years.add(item.created.year)
        except (KeyError, ValueError):
            continue
    return sorted(years)


# ------------------------------------------------------------------ validity


_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_VALID_UNTIL = re.compile(r"有效期(?:至|到|截至|截止(?:到|至)?)\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_VALID_FOR = re.compile(r"(?:自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起\s*(?:施行|实施|执行)[^。\n]{0,20}?)?有效期(?:为)?\s*([0-9]+|[一二两三四五六七八九十])\s*年")


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def validity_problems(item: Item, today: date, published: date | None = None) -> list[Problem]:
    """Returns warnings for an item listed as 有效 past its validity, or 失效 before its repeal date
    (a validity counted from publication starts on ``published``, the 发布日期 the public sees)."""
    found = []
    validity = item.validity
    repealed = item.meta.get("repealed_on")
    if validity != "有效":
        if isinstance(repealed, str):
            try:
                when = date.fromisoformat(repealed)
            except ValueError:
                return []
            if when > today:
                found.append(Problem(item.path, item.line_of("repealed_on"), f"有效性标为{validity},但废止日期 {when} 还没到:目录中它已显示为{validity}。请到期后再修改,或核对日期", WARN))
        return found
    start = published or item.created
    explicit = False
    for offset, line in enumerate(item.body.split("\n")):
        for match in _VALID_UNTIL.finditer(line):
            explicit = True
            try:
                until = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
            if until < today:
                found.append(_expired(item, item.body_line + offset, f"正文写明“{match.group(0)}”"))
        for match in _VALID_FOR.finditer(line):
            explicit = True
            years = int(match[4]) if match[4].isdigit() else _CN_DIGITS[match[4]]
            begin = start
            if match[1]:
                try:
                    begin = date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    pass
            until = _years_later(begin, years) - timedelta(days=1)
            if until < today:
                found.append(_expired(item, item.body_line + offset, f"正文写明“{match.group(0)}”,有效期至 {until}"))
    if not explicit and item.category == NORMATIVE_DOCUMENT:
        trial = any(word in item.title for word in ("试行", "暂行"))
        years = TRIAL_VALID_YEARS if trial else POLICY_VALID_YEARS
        until = _years_later(start, years) - timedelta(days=1)
        if until < today:
            kind = "标注“试行”“暂行”的规范性文件" if trial else "规范性文件"
            found.append(_expired(item, item.line_of("category"), f"{kind}有效期一般不超过 {years} 年,本件 {start} 发布"))
    return found


def _expired(item: Item, line: int, why: str) -> Problem:
    return Problem(
        item.path,
        line,
        f"有效性仍为“有效”,但{why},已过有效期:请核实后把 validity 改为 失效 或 废止 并写明 repealed_on,或延续有效期后重新发布",
        WARN,
    )


# ------------------------------------------------------------------ links


_FENCE = re.compile(r"^\s*(```|~~~)")
_URL = re.compile(r"(?:https?:)?//[^\s<>\"'()\[\]{}，。；、）（“”《》]+", re.I)
# Link text: no bracket but one balanced pair deep (`[附件[1]](a.pdf)`). Letting `[` into it made
# every `[` scan to the end of an unclosed run: `gongkai check` took minutes on "[不公开" x 50,000.
# Nor may a target hold `[`: "[a](" x 50,000 was quadratic the same way.
_MD_LINK = re.compile(r"!?\[(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\](?!\())*\]\(\s*<?([^)\s>\[]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML_ATTR = re.compile(r"\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.I)
_OPEN, _CLOSE = "【不公开】", "【/不公开】"


def published_lines(item: Item) -> Iterable[tuple[int, str]]:
    """Yields (line, text) of the body as published: 【不公开】 spans blanked, code blocks skipped."""
    body = item.body
    if _OPEN in body:
        body = re.sub(re.escape(_OPEN) + r".*?" + re.escape(_CLOSE), lambda m: "\n" * m.group(0).count("\n"), body, flags=re.S)
    fenced = False
    for offset, line in enumerate(body.split("\n")):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield item.body_line + offset, re.sub(r"`[^`]*`", "", line)


def host_allowed(host: str, allowlist: Iterable[str], site_host: str = "") -> bool:
    """Returns True when the host matches a pattern (``*.gov.cn`` also covers ``gov.cn``) or is the site's."""
    host = host.lower().rstrip(".")
    if site_host and host == site_host.lower():
        return True
    for pattern in allowlist:
        pattern = pattern.lower().strip()
        if fnmatch.fnmatchcase(host, pattern) or (pattern.startswith("*.") and host == pattern[2:]):
            return True
    return False


def external_links(item: Item, allowlist: Iterable[str], site_host: str = "") -> list[Problem]:
    """Returns a warning for every link to a host outside link_allowlist (外链须经审批)."""
    allowlist = tuple(allowlist)
    found: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    candidates = list(published_lines(item))
    source = item.meta.get("source")
    if isinstance(source, dict) and isinstance(source.get("url"), str):
        candidates.append((item.line_of("source.url") if "source.url" in item.lines else item.line_of("source"), source["url"]))
    for line, text in candidates:
        for match in _URL.finditer(text):
            url = match.group(0)
            if url.startswith("//") and match.start() > 0 and text[match.start() - 1] == ":":
                continue
            host = urlsplit(url if "://" in url else "http:" + url).hostname or ""
            if not host or host_allowed(host, allowlist, site_host) or (line, host) in seen:
                continue
            seen.add((line, host))
            found.append(
                Problem(item.path, line, f"外部链接 {host} 不在 link_allowlist 中({'、'.join(allowlist) or '空'}):链接非上级政府网站须经本单位分管领导批准,并确保长期有效;批准后可把该主机加入 link_allowlist", WARN)
            )
    return found


def _link_targets(item: Item) -> Iterable[tuple[int, str]]:
    for line, text in published_lines(item):
        for pattern in (_MD_LINK, _HTML_ATTR):
            for match in pattern.finditer(text):
                yield line, match.group(1)
        ref = _REF_DEF.match(text)
        if ref:
            yield line, ref.group(1)


def internal_links(item: Item, published: set[str], assets: set[str]) -> list[Problem]:
    """Returns a warning for every link to a page or file of content/ that the site will not have."""
    found = []
    folder = posixpath.dirname(item.rel)
    for line, target in _link_targets(item):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("//", "#")):
            continue
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not path or path.endswith("/") or not posixpath.splitext(path)[1]:
            continue  # a site URL (directory style): generated pages are not ours to check here
        resolved = posixpath.normpath(path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path))
        if resolved.startswith("../") or resolved == "..":
            found.append(Problem(item.path, line, f"链接 {target} 指向 content/ 之外,网站上不存在", WARN))
        elif resolved.endswith(".md"):
            if resolved not in published:
                found.append(Problem(item.path, line, f"链接 {target} 指向的信息 {resolved} 未发布(不存在、待审、依申请公开或不予公开):网页上会是失效链接", WARN))
        elif resolved not in assets:
            found.append(Problem(item.path, line, f"链接 {target} 指向的文件不会发布:只有已发布信息在 attachments 中声明的附件才会复制到网站", WARN))
    return found


# ------------------------------------------------------------------ 解读 and 转载


def interpretation_problems(decision: Decision, by_index: dict[str, Decision]) -> list[Problem]:
    """Returns warnings for a 政策解读 that names no policy, or one the site does not publish."""
    item = decision.item
    assert item is not None
    target = item.meta.get("interprets")
    if not target:
        if item.category == INTERPRETATION:
            return [Problem(item.path, item.line_of("category"), "政策解读没有写明 interprets(所解读文件的索引号):解读页无法链接到原文件", WARN)]
        return []
    other = by_index.get(str(target))
    if other is None:
        return [Problem(item.path, item.line_of("interprets"), f"interprets 指向的索引号 {target} 在本门户中不存在:解读页无法链接到原文件", WARN)]
    if decision.verdict is Verdict.PUBLISH and other.verdict is not Verdict.PUBLISH:
        return [Problem(item.path, item.line_of("interprets"), f"所解读的文件 {target}({other.path})没有发布({other.reason}):解读页无法链接到原文件;解读应与文件同步发布", WARN)]
    return []


_REPRINT_BODY = re.compile(r"转载自|转自|本文转载|^\s*[*_]*\s*(?:文章|信息|稿件)?来源\s*[:：]", re.M)


def looks_reprinted(item: Item) -> str:
    """Returns why the item looks like a 转载 (reprint), or ''. 转载 in the title or 文种, or
    转载自/转自/来源: wording at the start of a body line."""
    for key in ("title", "genre"):
        if "转载" in str(item.meta.get(key) or ""):
            return f"{'标题' if key == 'title' else '文种'}含“转载”"
    match = _REPRINT_BODY.search(item.body)
    if match:
        return f"正文含“{match.group(0).strip(' *_')}”"
    return ""


def reprint_problems(item: Item) -> list[Problem]:
    """Returns a warning for a reprinted item without `source` (转载须注明来源)."""
    if "source" in item.meta:
        return []
    why = looks_reprinted(item)
    if not why:
        return []
    return [Problem(item.path, item.line_of("title"), f"疑似转载信息({why}),但没有 source:转载须注明来源,请写 source: {{name: 来源名称, url: 原文链接, date: 原文日期}}", WARN)]


# ------------------------------------------------------------------ 目录动态调整


CHANGE_LABELS = {"added": "增加", "removed": "取消", "changed": "变更"}
SOURCE_LABELS = {"taxonomy": "内置目录", "settings": "门户设置"}


class TolerantLoader(yaml.SafeLoader):
    """Reads any mkdocs.yml: tags such as !!python/name or !ENV become None."""


TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)
TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _settings_categories(text: str | None) -> dict[str, tuple[str, ...]] | None:
    """Returns {name: ()} of extra.gongkai.categories, {} when there are none, None when unreadable."""
    if text is None:
        return None
    try:
        data = yaml.load(text, Loader=TolerantLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return None
    try:
        names = data["extra"]["gongkai"].get("categories") or []
    except (TypeError, KeyError, AttributeError):
        return {}
    return {str(n): () for n in names if isinstance(n, str)} if isinstance(names, list) else {}


def _taxonomy_categories(text: str | None) -> dict[str, tuple[str, ...]] | None:
    """Returns {id: (slug, article, scope)} of BUILTIN in a taxonomy.py, None when unreadable."""
    if not text:
        return None
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if not any(isinstance(t, ast.Name) and t.id == "BUILTIN" for t in targets):
            continue
        if not isinstance(value, (ast.Tuple, ast.List)):
            return None
        result = {}
        for element in value.elts:
            if not isinstance(element, ast.Call):
                continue
            fields = [a.value for a in element.args if isinstance(a, ast.Constant)]
            names = ("id", "slug", "article", "scope")
            values = dict(zip(names, fields))
            for keyword in element.keywords:
                if keyword.arg in names and isinstance(keyword.value, ast.Constant):
                    values[keyword.arg] = keyword.value.value
            if "id" in values:
                result[str(values["id"])] = tuple(str(values.get(k, "")) for k in names[1:])
        return result
    return None


def _builtin_at(root: Path, commit: str, formats: list) -> dict[str, tuple[str, ...]] | None:
    """Returns the built-in categories at ``commit``, from the first of ``formats`` (path, reader)
    the commit has, None when it has none of them readable."""
    for path, read in formats:
        text = gitrepo.show(root, commit, path)
        if text is not None:
            return read(text)
    return None


def _taxonomy_path(root: Path, top: Path) -> str | None:
    candidates = [root / "site_src" / "gongkai" / "law" / "taxonomy.yml", taxonomy.BUILTIN_FILE]
    for candidate in candidates:
        try:
            return candidate.resolve().relative_to(top).as_posix()
        except ValueError:
            continue
    return None


def _describe_change(old: tuple[str, ...], new: tuple[str, ...]) -> str:
    labels = ("网址", "条例依据", "公开范围")
    parts = [f"{label}:{a or '—'} → {b or '—'}" for label, a, b in zip(labels, old, new) if a != b]
    return ";".join(parts)


def category_history(root: Path, config_file: str = "mkdocs.yml") -> list[dict]:
    """Returns, oldest first, every addition, change and removal of a catalog category in the Git
    history of the settings (extra.gongkai.categories) and of the built-in taxonomy.

    Each entry: date, commit, action (added|removed|changed), category, source (taxonomy|settings),
    detail, initial (in the first commit that has the file: the catalog as first recorded, not an
    adjustment). [] outside a Git repository. Only what the reviewed files say is recorded: never a
    commit's subject or author (unreviewed text, personal data), which the public page would show."""
    root = Path(root).resolve()
    top = gitrepo.toplevel(root)
    if top is None:
        return []
    try:
        config_path = (root / config_file).resolve().relative_to(top).as_posix()
    except ValueError:
        return []
    taxonomy_path = _taxonomy_path(root, top)
    # The built-in taxonomy is law/taxonomy.yml; before, it was Python: law/taxonomy.py, and
    # taxonomy.py before the package had sub-packages. Older commits are read in their format.
    folder = posixpath.dirname(taxonomy_path) if taxonomy_path else ""
    formats = [(f"{folder}/taxonomy.yml", taxonomy.parse_builtin), (f"{folder}/taxonomy.py", _taxonomy_categories), (f"{posixpath.dirname(folder)}/taxonomy.py", _taxonomy_categories)] if folder else []
    paths = [config_path] + [path for path, _ in formats]
    log = gitrepo.run(root, "log", "--reverse", "--format=%H%x1f%aI", "--", *paths)
    entries: list[dict] = []
    state: dict[str, dict[str, tuple[str, ...]]] = {"taxonomy": {}, "settings": {}}
    recorded = {"taxonomy": False, "settings": False}  # the file has been read once: later changes are 调整
    for line in log.splitlines():
        commit, when = (line.split("\x1f") + ["", ""])[:2]
        meta = {"date": when[:10], "commit": commit[:10]}
        current: dict[str, dict[str, tuple[str, ...]] | None] = {
            "settings": _settings_categories(gitrepo.show(root, commit, config_path)),
            "taxonomy": _builtin_at(root, commit, formats) if formats else None,
        }
        for source in ("taxonomy", "settings"):
            new = current[source]
            if new is None:
                continue  # unreadable at this commit: keep the last known state
            entries += _diff(state[source], new, source, meta, initial=not recorded[source])
            state[source] = new
            recorded[source] = True
    return entries


def _diff(old: dict, new: dict, source: str, meta: dict, initial: bool) -> list[dict]:
    entries = []
    removed = [c for c in old if c not in new]
    added = [c for c in new if c not in old]
    renamed = {}
    if source == "taxonomy":
        slugs = {old[c][0]: c for c in removed if old[c] and old[c][0]}
        for c in added:
            if new[c] and new[c][0] in slugs:
                renamed[c] = slugs.pop(new[c][0])
    for c in added:
        if c in renamed:
            previous = renamed[c]
            detail = f"由“{previous}”更名为“{c}”"
            more = _describe_change(old[previous], new[c]) if old[previous] else ""
            entries.append(dict(meta, action="changed", category=c, source=source, detail=detail + (";" + more if more else ""), initial=False))
        else:
            entries.append(dict(meta, action="added", category=c, source=source, detail="", initial=initial))
    for c in removed:
        if c not in renamed.values():
            entries.append(dict(meta, action="removed", category=c, source=source, detail="", initial=False))
    for c in new:
        if c in old and old[c] != new[c]:
            entries.append(dict(meta, action="changed", category=c, source=source, detail=_describe_change(old[c], new[c]), initial=False))
    return entries


def _html(text: str) -> str:
    return escape(" ".join(str(text).split()))


def render_category_history(entries: list[dict], title: str = "政务公开目录动态调整记录") -> str:
    """Returns the page of the 目录动态调整 record (newest first, the initial catalog last): dates
    and category changes only, every value HTML-escaped."""
    out = [
        f"# {_html(title)}\n\n",
        "根据政务公开标准目录动态调整制度,目录事项的增加、变更和取消应及时报政务公开领导小组办公室备案。"
        "每一行记录一次目录类别的调整:调整日期、调整方式、目录类别及其变化。\n\n",
    ]
    changes = [e for e in entries if not e.get("initial")]
    initial = [e for e in entries if e.get("initial")]
    if changes:
        head = "".join(f'<th scope="col">{h}</th>' for h in ("日期", "调整", "目录类别", "说明", "来源"))
        rows = [
            f"<tr><td>{_html(e['date'])}</td><td>{CHANGE_LABELS[e['action']]}</td><td>{_html(e['category'])}</td>"
            f"<td>{_html(e['detail'] or '—')}</td><td>{SOURCE_LABELS[e['source']]}</td></tr>"
            for e in reversed(changes)
        ]
        out.append(f'<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>\n")
    else:
        out.append("目录类别建立以来没有调整。\n")
    if initial:
        out.append("\n## 初始目录\n\n")
        by_source: dict[str, list[str]] = {}
        for e in initial:
            by_source.setdefault(e["source"], []).append(e["category"])
        lines = []
        for source, names in by_source.items():
            date_of = next(e["date"] for e in initial if e["source"] == source)
            lines.append(f"<li>{_html(date_of)} {SOURCE_LABELS[source]}:{'、'.join(_html(n) for n in names)}(共 {len(names)} 类)</li>")
        out.append("<ul>\n" + "\n".join(lines) + "\n</ul>\n")
    return "".join(out)
