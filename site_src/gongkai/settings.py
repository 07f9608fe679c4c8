"""extra.gongkai in mkdocs.yml -> validated Settings, with the defaults of SPEC §2."""
from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from gongkai.errors import WARNING, ConfigError, Problem
from gongkai.law.taxonomy import NEWS, NORMATIVE_DOCUMENT, NOTICES, OTHER_DOCUMENTS, categories, category_ids, secrecy_review_optional
from gongkai.model import STAGES, Settings, Unit

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
}
UNIT_KEYS = ("id", "name", "code", "address", "hours", "phone", "fax", "email", "postcode")
# fullmatch: `$` would accept a final newline (a YAML `|` block)
UNIT_CODE = re.compile(r"\A([0-9A-Z]{18}|[0-9A-Z]{8}-?[0-9A-Z])\Z")
UNIT_ID = re.compile(r"\A[a-z][a-z0-9_-]*\Z")


def load_settings(extra: Any, site_name: str, path: str = "mkdocs.yml") -> Settings:
    """Returns the validated settings; raises ConfigError naming every bad key."""
    errors: list[str] = []
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
    )
    if errors:
        raise ConfigError("\n".join(f"{path}: {e}" for e in errors[:1]) if len(errors) == 1 else _joined(errors, path), path)
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


def _joined(errors: list[str], path: str) -> str:
    return f"发现 {len(errors)} 处设置错误:\n" + "\n".join(f"  {path}: {e}" for e in errors)


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
