"""extra.gongkai in mkdocs.yml -> validated Settings, with the defaults of SPEC §2."""
from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from gongkai.errors import WARNING, ConfigError, Problem
from gongkai.law.taxonomy import NEWS, NORMATIVE_DOCUMENT, NOTICES, OTHER_DOCUMENTS, categories, category_ids, secrecy_review_optional
from gongkai.model import STAGES, DeclaredYear, Settings, Unit

# Settings key (extra.gongkai.update_cycles): {category: cycle}; a cycle is a number of days or
# "14d", "2w", "6m", "1y" (or 天/周/个月/年); 0, false or null switches the check off for that column.
CYCLES_KEY = "update_cycles"
# 政府网站与政务新媒体检查指标: 动态、要闻类栏目 2 周, 通知公告、政策文件类栏目 6 个月.
DEFAULT_CYCLES: dict[str, str] = {NEWS: "2w", NOTICES: "6m", NORMATIVE_DOCUMENT: "6m", OTHER_DOCUMENTS: "6m"}

# key -> (meaning shown in errors, default as documented in SPEC §2)
KEYS: dict[str, tuple[str, Any]] = {
    "agency": ("主办单位(页脚和指南)", "site_name"),
    "site_code": ("网站标识码(页脚)", None),
    "icp": ("ICP备案号(页脚)", None),
    "police_record": ("公安机关备案号(页脚)", None),
    "reviewers_file": ("审核人信任文件的路径", "reviewers.yml"),
    "units": ("发布机构列表:id、name、code 及指南联系方式", "必填,至少一个"),
    "review_policy": ("审核流程:default 与 categories", {"default": list(STAGES)}),
    "categories": ("在内置目录类别之后追加的类别", []),
    "link_allowlist": ("可直接链接的外部主机", ["*.gov.cn"]),
    "pii": ("个人信息检查:mobile: warn|error", {"mobile": "warn"}),
    "update_cycles": ("栏目更新周期:{类别: 14d|2w|6m|1y|0}", DEFAULT_CYCLES),
    "apply_url": ("在线提交政府信息公开申请的网址(指南和依申请公开页链接它)", None),
    "party_mark": ("党政机关网站标识的图片(页脚),放在 theme/ 下,写相对网站根目录的路径,如 assets/dzjg.png", None),
    "party_mark_url": ("党政机关网站标识指向的核验网址(https,选填)", None),
    "error_report_url": ("“我为政府网站找错”的网址(页脚,https)", None),
    "calendar": ("chinesecalendar 尚未收录的年份的放假调休安排:{年份: {notice, holidays, workdays}}", {}),
}
UNIT_KEYS = ("id", "name", "code", "address", "hours", "phone", "fax", "email", "postcode")
# fullmatch: `$` would accept a final newline (a YAML `|` block)
UNIT_CODE = re.compile(r"\A([0-9A-Z]{18}|[0-9A-Z]{8}-?[0-9A-Z])\Z")
UNIT_ID = re.compile(r"\A[a-z][a-z0-9_-]*\Z")


def load_settings(extra: Any, site_name: str, path: str = "mkdocs.yml", *, source: str | Path | None = None) -> Settings:
    """Returns the validated settings; raises ConfigError naming every bad key. ``source`` is the
    mkdocs.yml file itself: with it, a problem of the calendar setting names its line."""
    errors: list[str] = []
    located: list[tuple[int, str]] = []  # (line of mkdocs.yml, message)
    prefix = "extra.gongkai"
    if extra is None:
        raise ConfigError(f"缺少 {prefix}:至少要配置 units(发布机构)", path)
    if not isinstance(extra, dict):
        raise ConfigError(f"{prefix} 应为字段列表", path)
    unreadable = _unreadable(extra, prefix)
    if unreadable:
        raise ConfigError(unreadable, path)
    for key in extra:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), list(KEYS), n=1)
            hint = f",是否应为 {close[0]}?" if close else f";可用设置为 {', '.join(KEYS)}"
            errors.append(f"{prefix}.{key}: 未知设置{hint}")

    def text(key: str, default: str = "") -> str:
        value = extra.get(key, default)
        if value is None:
            return default
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            errors.append(f"{prefix}.{key}: 应为文字({KEYS[key][0]})")
            return default
        return str(value)

    units = _units(extra.get("units"), errors, prefix)
    categories = _string_list(extra.get("categories", []), f"{prefix}.categories", errors)
    known_categories = set(category_ids(tuple(categories)))
    default, per_category = _review_policy(extra.get("review_policy"), known_categories, errors, prefix)
    allowlist = _string_list(extra.get("link_allowlist", ["*.gov.cn"]), f"{prefix}.link_allowlist", errors)
    pii = extra.get("pii", {}) or {}
    mobile = "warn"
    if not isinstance(pii, dict):
        errors.append(f"{prefix}.pii: 应为 {{mobile: warn|error}}")
    else:
        for key in pii:
            if key != "mobile":
                errors.append(f"{prefix}.pii.{key}: 未知设置;目前只支持 mobile")
        mobile = pii.get("mobile", "warn")
        if mobile not in ("warn", "error"):
            errors.append(f"{prefix}.pii.mobile: 应为 warn 或 error,实际为 {mobile!r}")
            mobile = "warn"
    apply_url = text("apply_url")
    if apply_url and not re.fullmatch(r"https://[^\s<>\"']+", apply_url):
        errors.append(f"{prefix}.apply_url: {apply_url!r} 应为 https:// 开头的网址")
        apply_url = ""
    for key in ("party_mark_url", "error_report_url"):
        value = text(key)
        if value and not re.fullmatch(r"https://[^\s<>\"']+", value):
            errors.append(f"{prefix}.{key}: {value!r} 应为 https:// 开头的网址")
    mark = text("party_mark")
    if mark and not re.fullmatch(r"(?!/)(?!.*\.\.)[\w./-]+\.(?:png|svg|gif|jpg|jpeg|webp)", mark):
        errors.append(f"{prefix}.party_mark: {mark!r} 应为 theme/ 下图片相对网站根目录的路径(如 assets/dzjg.png),不能以 / 开头,不能含 ..,不能是其他网站的网址")
    declared = _calendar(extra.get("calendar"), prefix, _LineFinder(source), located)
    cycles = extra.get("update_cycles") or {}
    if cycles:
        _, cycle_problems = update_cycles(cycles, tuple(categories), path)
        errors += [p.message for p in cycle_problems if p.is_error]
    settings = Settings(
        agency=text("agency", site_name) or site_name,
        units=tuple(units),
        site_code=text("site_code"),
        icp=text("icp"),
        police_record=text("police_record"),
        reviewers_file=text("reviewers_file", "reviewers.yml") or "reviewers.yml",
        review_default=default,
        review_categories=per_category,
        categories=tuple(categories),
        link_allowlist=tuple(allowlist),
        pii_mobile=mobile,
        update_cycles=dict(cycles) if isinstance(cycles, dict) else {},
        apply_url=apply_url,
        calendar=declared,
    )
    if len(errors) + len(located) == 1:
        if errors:
            raise ConfigError(f"{path}: {errors[0]}", path)
        line, message = located[0]
        raise ConfigError(f"错误: {message}" if line else message, path, line)
    if errors or located:
        messages = [f"{path}: {e}" for e in errors] + [f"{path}:{line}: 错误: {e}" if line else f"{path}: {e}" for line, e in located]
        raise ConfigError(f"发现 {len(messages)} 处设置错误:\n" + "\n".join(f"  {m}" for m in messages), path)
    return settings


MAX_DEPTH = 32
MAX_INT_BITS = 332  # about 100 decimal digits; Python refuses to print an int of 4,300


def _unreadable(value: Any, where: str) -> str | None:
    """Returns what makes a settings value unusable (a number too long to print, nesting too deep), or None."""
    stack = [(value, where, 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{where}: 嵌套层数过多(超过 {MAX_DEPTH} 层)"
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            return f"{where}: 数字位数过多;编号等文字请加引号"
        if isinstance(value, dict):
            for key, entry in value.items():
                if isinstance(key, int) and not isinstance(key, bool) and key.bit_length() > MAX_INT_BITS:
                    return f"{where}: 字段名是位数过多的数字"
                stack.append((entry, f"{where}.{key}", depth + 1))
        elif isinstance(value, list):
            stack.extend((entry, f"{where}[{index}]", depth + 1) for index, entry in enumerate(value))
    return None




def _units(value: Any, errors: list[str], prefix: str) -> list[Unit]:
    key = f"{prefix}.units"
    if not value:
        errors.append(f"{key}: 必填,至少配置一个发布机构(id、name、code)")
        return []
    if not isinstance(value, list):
        errors.append(f"{key}: 应为发布机构列表")
        return []
    units: list[Unit] = []
    seen_ids: set[str] = set()
    seen_codes: set[str] = set()
    for index, entry in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(entry, dict):
            errors.append(f"{where}: 应包含 id、name、code")
            continue
        bad = False
        for field_name in entry:
            if field_name not in UNIT_KEYS:
                close = difflib.get_close_matches(str(field_name), UNIT_KEYS, n=1)
                errors.append(f"{where}.{field_name}: 未知字段" + (f",是否应为 {close[0]}?" if close else ""))
        for field_name in ("id", "name", "code"):
            if not entry.get(field_name):
                errors.append(f"{where}.{field_name}: 必填")
                bad = True
        if bad:
            continue
        unit_id, code = str(entry["id"]), str(entry["code"])
        if not UNIT_ID.fullmatch(unit_id):
            errors.append(f"{where}.id: {unit_id!r} 应为小写字母开头的英文或拼音缩写(用于网址),如 xzf")
        if not UNIT_CODE.fullmatch(code):
            errors.append(f"{where}.code: {code!r} 应为18位统一社会信用代码或9位组织机构代码(大写字母和数字)")
        if unit_id in seen_ids:
            errors.append(f"{where}.id: {unit_id} 重复")
        if code in seen_codes:
            errors.append(f"{where}.code: {code} 重复:各机构的索引号前缀必须不同")
        seen_ids.add(unit_id)
        seen_codes.add(code)
        units.append(Unit(**{k: str(entry.get(k) or "") for k in UNIT_KEYS}))
    return units


def _string_list(value: Any, key: str, errors: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        errors.append(f"{key}: 应为文字列表")
        return []
    return list(value)


def _stages(value: Any, key: str, errors: list[str], category: str = "") -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value:
        errors.append(f"{key}: 应为审核环节列表,如 [初审, 复审, 终审, 保密审查]")
        return None
    for stage in value:
        if stage not in STAGES:
            errors.append(f"{key}: 审核环节 {stage!r} 无效,只能是 {'、'.join(STAGES)}")
            return None
    if "保密审查" not in value and not secrecy_review_optional(category):
        errors.append(f"{key}: 必须包含 保密审查(涉密信息不上网,先审后发)")
    return tuple(value)


def _review_policy(value: Any, known: set[str], errors: list[str], prefix: str) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    key = f"{prefix}.review_policy"
    if value is None:
        return STAGES, {}
    if not isinstance(value, dict):
        errors.append(f"{key}: 应包含 default 与 categories")
        return STAGES, {}
    for name in value:
        if name not in ("default", "categories"):
            errors.append(f"{key}.{name}: 未知设置;只能是 default 或 categories")
    default: tuple[str, ...] = STAGES
    if "default" in value:
        default = _stages(value["default"], f"{key}.default", errors) or STAGES
    per_category: dict[str, tuple[str, ...]] = {}
    categories = value.get("categories") or {}
    if not isinstance(categories, dict):
        errors.append(f"{key}.categories: 应为 {{类别: [审核环节…]}}")
        return default, {}
    for category, stages in categories.items():
        if category not in known:
            close = difflib.get_close_matches(str(category), sorted(known), n=1)
            errors.append(f"{key}.categories.{category}: 类别不存在" + (f",是否应为 {close[0]}?" if close else ""))
            continue
        parsed = _stages(stages, f"{key}.categories.{category}", errors, category)
        if parsed:
            per_category[category] = parsed
    return default, per_category


# ------------------------------------------------------------------ update cycles


@dataclass(frozen=True)
class Cycle:
    """A column's update cycle: a number of days or of months."""

    amount: int
    unit: str  # "d" or "m"

    def after(self, day: date) -> date:
        """Returns the last day of the cycle that starts on `day`."""
        if self.unit == "d":
            return day + timedelta(days=self.amount)
        month = day.month - 1 + self.amount
        year, month = day.year + month // 12, month % 12 + 1
        return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        if self.unit == "m":
            return f"{self.amount // 12}年" if self.amount % 12 == 0 else f"{self.amount}个月"
        return f"{self.amount // 7}周" if self.amount % 7 == 0 else f"{self.amount}天"


_CYCLE = re.compile(r"\s*([0-9]{1,6})\s*(d|w|m|y|天|日|周|个月|月|年)?\s*", re.I)  # fullmatch
MAX_CYCLE_DAYS = 100 * 366  # longer is no cycle at all, and date arithmetic would overflow
_UNITS = {"d": ("d", 1), "天": ("d", 1), "日": ("d", 1), "w": ("d", 7), "周": ("d", 7), "m": ("m", 1), "个月": ("m", 1), "月": ("m", 1), "y": ("m", 12), "年": ("m", 12)}


def parse_cycle(value: Any) -> Cycle | None:
    """Returns the cycle a setting value means; None switches the check off; raises ValueError."""
    if value is None or value is False or value == 0:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        if not 0 <= value <= MAX_CYCLE_DAYS:
            raise ValueError("周期过长")
        return Cycle(value, "d")
    match = _CYCLE.fullmatch(str(value))
    if not match:
        raise ValueError(value)
    unit, factor = _UNITS[(match.group(2) or "d").lower()]
    amount = int(match.group(1)) * factor
    if amount > (MAX_CYCLE_DAYS if unit == "d" else MAX_CYCLE_DAYS // 30):
        raise ValueError("周期过长")
    return Cycle(amount, unit) if amount else None


def update_cycles(value: Any, extra_categories: tuple[str, ...] = (), where: str = "mkdocs.yml") -> tuple[dict[str, Cycle], list[Problem]]:
    """Returns the update cycle of each column (defaults overridden by the setting) and setting problems."""
    problems: list[Problem] = []
    merged: dict[str, Any] = dict(DEFAULT_CYCLES)
    key = f"extra.gongkai.{CYCLES_KEY}"
    if value is not None and not isinstance(value, dict):
        problems.append(Problem(where, 0, f"{key} 应为“栏目: 周期”的列表,如 {{工作动态: 2w, 通知公告: 6m}}", WARNING))
    elif value:
        merged.update(value)
    known = {c.id for c in categories(tuple(extra_categories))}
    cycles: dict[str, Cycle] = {}
    for name, raw in merged.items():
        if name not in known:
            problems.append(Problem(where, 0, f"{key}.{name}: 目录类别不存在", WARNING))
            continue
        try:
            cycle = parse_cycle(raw)
        except ValueError:
            problems.append(Problem(where, 0, f"{key}.{name}: 更新周期 {raw!r} 无法识别,应为天数或 14d、2w、6m、1y", WARNING))
            continue
        if cycle is not None:
            cycles[name] = cycle
    return cycles, problems


# ------------------------------------------------------------------ calendar (放假调休安排)

MAX_HOLIDAY_SPAN = 31  # days in one range "2027-10-01~2027-10-07": longer is a typing mistake
_RANGE = re.compile(r"\A\s*(\d{4}-\d{1,2}-\d{1,2})\s*(?:(?:~|～|至|到|--)\s*(\d{4}-\d{1,2}-\d{1,2}))?\s*\Z")
CALENDAR_KEYS = {"notice": "公布安排的通知(如 国办发明电〔2026〕7号)", "holidays": "放假的日期", "workdays": "调休上班的周六、周日"}


class _LineFinder:
    """Finds the line of mkdocs.yml where a nested setting is written, by indentation (mkdocs.yml may
    hold tags such as !!python/name that no safe YAML reader accepts)."""

    def __init__(self, source: str | Path | None):
        self.lines: list[str] = []
        if source is not None:
            try:
                self.lines = Path(source).read_text(encoding="utf-8", errors="replace").split("\n")
            except OSError:
                self.lines = []

    def line(self, keys: tuple[Any, ...], index: int | None = None) -> int:
        """Returns the line of extra → gongkai → keys… (then the index-th "- " entry), the nearest
        found parent's line, or 0 when the file is unknown."""
        found, start, indent = 0, 0, -1
        for key in ("extra", "gongkai", *keys):
            pattern = re.compile(rf"""\A(\s*)['"]?{re.escape(str(key))}['"]?\s*:(\s|\Z)""")
            for number in range(start, len(self.lines)):
                text = self.lines[number]
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                depth = len(text) - len(text.lstrip())
                if number > start and depth <= indent and found:
                    return found  # left the parent's block
                match = pattern.match(text)
                if match and depth > indent:
                    found, start, indent = number + 1, number + 1, depth
                    break
            else:
                return found
        if index is None or not found:
            return found
        seen = -1
        for number in range(start, len(self.lines)):
            text = self.lines[number].lstrip()
            depth = len(self.lines[number]) - len(text)
            if text and not text.startswith("#") and depth <= indent and not text.startswith("- "):
                break
            if text.startswith("- "):
                seen += 1
                if seen == index:
                    return number + 1
            elif text.startswith("[") and index >= 0:  # a flow list on its own line
                return number + 1
        return found


def _calendar(value: Any, prefix: str, lines: _LineFinder, located: list[tuple[int, str]]) -> tuple[DeclaredYear, ...]:
    """Returns the declared 放假调休安排 of extra.gongkai.calendar: one entry per year, each with the
    days off (holidays, ranges allowed) and the 调休 Saturdays and Sundays worked (workdays)."""
    where = f"{prefix}.calendar"
    if value in (None, {}):
        return ()
    if not isinstance(value, dict):
        located.append((lines.line(("calendar",)), f"{where}: 应为 {{年份: {{notice, holidays, workdays}}}},例如 2027: {{holidays: [2027-01-01, 2027-02-06~2027-02-13], workdays: [2027-02-14]}}"))
        return ()
    years = []
    for key, entry in value.items():
        here = f"{where}.{key}"
        line = lines.line(("calendar", key))
        year = int(key) if isinstance(key, int) and not isinstance(key, bool) else (int(key) if isinstance(key, str) and key.isdigit() else 0)
        if not 2000 <= year <= 2200:
            located.append((line, f"{here}: 年份应为四位数字(如 2027)"))
            continue
        if not isinstance(entry, dict):
            located.append((line, f"{here}: 应为 {{notice: 通知文号, holidays: [放假日期], workdays: [调休上班日期]}}"))
            continue
        for name in entry:
            if name not in CALENDAR_KEYS:
                close = difflib.get_close_matches(str(name), list(CALENDAR_KEYS), n=1)
                hint = f",是否应为 {close[0]}?" if close else ";可用的有 " + "、".join(f"{k}({v})" for k, v in CALENDAR_KEYS.items())
                located.append((lines.line(("calendar", key, name)), f"{here}.{name}: 未知设置{hint}"))
        notice = entry.get("notice") or ""
        if not isinstance(notice, str):
            located.append((lines.line(("calendar", key, "notice")), f"{here}.notice: 应为文字(公布安排的通知文号)"))
            notice = ""
        off = _days(entry.get("holidays"), year, here, "holidays", lines, located)
        on = _days(entry.get("workdays"), year, here, "workdays", lines, located)
        if not off and "holidays" not in entry:
            located.append((line, f"{here}: 缺少 holidays(放假的日期):请照国务院办公厅的通知逐项写入,如 2027-10-01~2027-10-07"))
        for day in sorted(on):
            if day.weekday() < 5:
                located.append((on[day], f"{here}.workdays: {day} 是星期{'一二三四五'[day.weekday()]},调休上班的日子应是周六或周日;平日本来就上班,不用写"))
            if day in off:
                located.append((on[day], f"{here}: {day} 同时写在 holidays 和 workdays 中:请对照通知只保留一处"))
        years.append(DeclaredYear(year, frozenset(off), frozenset(on), notice, line))
    return tuple(sorted(years, key=lambda y: y.year))


def _days(value: Any, year: int, here: str, key: str, lines: _LineFinder, located: list[tuple[int, str]]) -> dict[date, int]:
    """Returns {day: line} of a list of dates and ranges (2027-02-06~2027-02-13) of one declared year.
    A year's notice may start its 元旦 holiday in the December before: dates from 12月1日 of the year
    before are accepted."""
    if value in (None, []):
        return {}
    if not isinstance(value, list):
        located.append((lines.line(("calendar", year, key)), f"{here}.{key}: 应为日期列表,如 [{year}-01-01, {year}-02-06~{year}-02-13]"))
        return {}
    found: dict[date, int] = {}
    for index, entry in enumerate(value):
        line = lines.line(("calendar", year, key), index)
        days = _range(entry)
        if days is None:
            located.append((line, f"{here}.{key}[{index}]: {entry!r} 不是日期或日期范围:请写 {year}-10-01 或 {year}-10-01~{year}-10-07"))
            continue
        if not days or len(days) > MAX_HOLIDAY_SPAN:
            located.append((line, f"{here}.{key}[{index}]: {entry!r} 的起止日期有误(结束早于开始,或超过 {MAX_HOLIDAY_SPAN} 天)"))
            continue
        if not all(date(year - 1, 12, 1) <= d <= date(year, 12, 31) for d in days):
            located.append((line, f"{here}.{key}[{index}]: {entry!r} 不在 {year} 年内:每一年的安排写在该年份之下"))
            continue
        for day in days:
            found.setdefault(day, line)
    return found


def _range(entry: Any) -> list[date] | None:
    """Returns the days of a date or a range, [] for a reversed range, None when it is neither."""
    if isinstance(entry, date):
        return [entry]
    if not isinstance(entry, str):
        return None
    match = _RANGE.match(entry)
    if not match:
        return None
    try:
        first = date.fromisoformat("-".join(f"{int(p):02d}" for p in match.group(1).split("-")))
        last = date.fromisoformat("-".join(f"{int(p):02d}" for p in match.group(2).split("-"))) if match.group(2) else first
    except ValueError:
        return None
    if last < first:
        return []
    return [first + timedelta(days=n) for n in range((last - first).days + 1)][: MAX_HOLIDAY_SPAN + 1]
