"""The 政务公开事项标准目录 (基层政务公开标准化规范化): the columns of a unit's catalog of 公开事项, what
its 公开时限 may say, and the 动态调整 of a 事项 — the kinds and the reasons the xx县
《政务公开标准目录动态调整制度》 lists (第四条 增加, 第五条 变更, 第六条 取消; 第三条 备案)."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

from gongkai.law import workdays
from gongkai.model import FILING, DeclaredYear


@dataclass(frozen=True)
class Column:
    key: str  # in the YAML file
    label: str  # the CSV header, the page's column
    required: bool
    help: str


COLUMNS: tuple[Column, ...] = (
    Column("domain", "领域", True, "所属领域,如 财政预决算、重大建设项目、义务教育、价格"),
    Column("first", "一级事项", True, "一级事项,如 预决算公开"),
    Column("second", "二级事项", True, "二级事项(本单位内不重复;信息的 matter 字段写这个名称)"),
    Column("content", "公开内容", True, "公开内容(要素)"),
    Column("basis", "公开依据", True, "公开依据,如《中华人民共和国预算法》第十四条"),
    Column("deadline", "公开时限", True, "信息形成(变更)之日起20个工作日内、每季度、每年、每年6月底前 等"),
    Column("subject", "公开主体", True, "公开主体,如 示例县财政局"),
    Column("channels", "公开渠道和载体", True, "公开渠道和载体,如 政府网站、政务新媒体、公开栏"),
    Column("audience", "公开对象", True, "全社会 或 特定群体"),
    Column("mode", "公开方式", True, "主动 或 依申请"),
    Column("level", "公开层级", True, "县级、乡级 或 县、乡级"),
    Column("category", "目录类别", False, "该事项的信息在政府信息公开目录中的类别(可选)"),
)
KEYS = tuple(c.key for c in COLUMNS)
BY_LABEL = {c.label: c.key for c in COLUMNS}
LABELS = {c.key: c.label for c in COLUMNS}
MODES = ("主动", "依申请")
AUDIENCES = ("全社会", "特定群体")
LEVELS = ("县级", "乡级", "县、乡级", "市级", "省级")

#: Where the catalogs lie in a portal's repository: one file per unit, {unit id}.yml or .csv.
FOLDER = "standards"
#: The 动态调整 records, one YAML file each, under FOLDER.
ADJUSTMENTS = "adjustments"

# ------------------------------------------------------------------ 公开时限


@dataclass(frozen=True)
class Deadline:
    """What a 公开时限 means for the check: a period (months) whose information is due some working
    days after the period ends, or information due some working days after it is formed."""

    months: int  # 0: event-driven (信息形成之日起), else 1, 3, 6 or 12
    workdays: int = workdays.DISCLOSURE_DAYS
    due_month: int = 0  # 每年X月底前 (months == 12): the year's information is due by the end of month X of that year

    def period_due(self, start: date, declared: Sequence[DeclaredYear] = ()) -> tuple[date, date]:
        """Returns (end, due) of the period beginning ``start`` (``declared``: the portal's 放假调休安排)."""
        end = _add_months(start, self.months) - timedelta(days=1)
        if self.due_month:
            year = start.year
            return end, date(year, self.due_month, calendar.monthrange(year, self.due_month)[1])
        return end, workdays.add_workdays(end, self.workdays, declared)[0]

    def last_due_period(self, today: date, declared: Sequence[DeclaredYear] = ()) -> tuple[date, date, date] | None:
        """Returns (start, end, due) of the latest period whose information is due by ``today``."""
        if not self.months:
            return None
        start = date(today.year, ((today.month - 1) // self.months) * self.months + 1, 1)
        for _ in range(4):
            end, due = self.period_due(start, declared)
            if due < today:
                return start, end, due
            start = _add_months(start, -self.months)
        return None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}
_DAYS = re.compile(r"(\d{1,3})\s*个?工作日")
_YEAR_BY = re.compile(r"每年\s*(\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月(?:底|末)?(?:之?前)")
_PERIODS = (("每月", 1), ("按月", 1), ("每季度", 3), ("按季度", 3), ("每季", 3), ("每半年", 6), ("半年", 6), ("每年", 12), ("按年", 12), ("年度", 12))
_EVENT = ("形成", "变更", "产生", "作出", "批准", "收到", "结束", "实时", "及时", "动态")


def parse_deadline(text: str) -> Deadline | None:
    """Returns what a 公开时限 means, or None when it says nothing the check can use."""
    text = text.replace(" ", "")
    days = _DAYS.search(text)
    count = int(days.group(1)) if days else workdays.DISCLOSURE_DAYS
    by = _YEAR_BY.search(text)
    if by:
        month = int(by.group(1)) if by.group(1).isdigit() else _CN[by.group(1)]
        if 1 <= month <= 12:
            return Deadline(12, count, month)
    for word, months in _PERIODS:
        if word in text:
            return Deadline(months, count)
    if days or any(word in text for word in _EVENT):
        return Deadline(0, count)
    return None


# ------------------------------------------------------------------ 动态调整

#: kind -> (what changes, the reasons of the rule's article; the last is the catch-all)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "增加": ("第四条", ("法律法规颁布、修订需增加事项的", "政务公开有关工作职能调整需增加事项的", "其他应当增加的情形")),
    "变更": ("第五条", (
        "事项名称、事项类型、公开内容、公开依据、公开时限、公开主体、公开载体、公开对象、公开方式、公开层级等要素发生变化的",
        "事项(含子项)需合并及分设的",
        "其他应当变更的情形",
    )),
    "取消": ("第六条", (
        "法律法规颁布、修订、废止，导致原事项依据失效的",
        "上级人民政府取消事项，需对应取消的",
        "政务公开责任单位职能调整，相关事项不再实施的",
        "其他应当取消的情形",
    )),
}
#: What an adjustment changes: a 事项 of a unit's 标准目录, or a category of the 政府信息公开目录.
TARGETS = ("事项", "目录类别")
#: The role and the signature stage of whoever records the 备案 (政务公开领导小组办公室).
FILING_ROLE = FILING
