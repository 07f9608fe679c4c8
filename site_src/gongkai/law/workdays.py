"""Chinese working days: statutory holidays and 调休 workdays (chinesecalendar), and the 20-day rule.

条例第二十六条: 属于主动公开范围的政府信息,应当自该政府信息形成或者变更之日起20个工作日内及时公开.
The first day is not counted (民法典第二百零一条: 开始的当日不计入), so the deadline is the 20th
working day after `created`. A year the installed chinesecalendar does not know is counted by the
arrangement the portal declares for it (extra.gongkai.calendar: the 国务院办公厅's notice, written
before the library catches up), else Monday to Friday with the result marked `estimated`, so that
`gongkai check` can say so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Sequence

import chinese_calendar

from gongkai.model import DeclaredYear

DISCLOSURE_DAYS = 20  # 条例第二十六条
# Attributes whose information is published proactively, hence bound by the 20-day rule.
TIMELY_ATTRIBUTES = ("主动公开", "部分公开")


#: Where a year's working days come from (`gongkai check` says which, year by year).
LIBRARY, SETTINGS, ESTIMATED = "chinesecalendar", "settings", "estimated"
SOURCE_LABELS = {
    LIBRARY: "chinesecalendar(国务院办公厅已公布的安排)",
    SETTINGS: "门户设置 extra.gongkai.calendar",
    ESTIMATED: "未公布,按周一至周五估算",
}


@lru_cache(maxsize=None)
def _official(day: date) -> bool | None:
    """Returns whether the day is a working day by the State Council's schedule, None when unknown."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def library_knows(year: int) -> bool:
    """Returns True when the installed chinesecalendar has the year's 放假调休安排."""
    return _official(date(year, 7, 1)) is not None


def _declared(day: date, declared: Sequence[DeclaredYear]) -> bool | None:
    """Returns whether a declared arrangement makes the day a working day, None when none covers it.
    A year's notice may reach into the year before (元旦 from 12月30日): its dates count wherever they fall."""
    for year in declared:
        if day in year.holidays:
            return False
        if day in year.workdays:
            return True
    if any(year.year == day.year for year in declared):
        return day.weekday() < 5
    return None


def source(day: date, declared: Sequence[DeclaredYear] = ()) -> str:
    """Returns where the day's working-day status comes from: LIBRARY, SETTINGS or ESTIMATED."""
    if _official(day) is not None:
        return LIBRARY
    return SETTINGS if _declared(day, declared) is not None else ESTIMATED


def year_source(year: int, declared: Sequence[DeclaredYear] = ()) -> str:
    """Returns where the working days of a whole year come from."""
    if library_knows(year):
        return LIBRARY
    return SETTINGS if any(d.year == year for d in declared) else ESTIMATED


def covered(day: date, declared: Sequence[DeclaredYear] = ()) -> bool:
    """Returns True when the installed calendar or a declared arrangement knows the day's holidays."""
    return source(day, declared) != ESTIMATED


def is_workday(day: date, declared: Sequence[DeclaredYear] = ()) -> bool:
    """Returns True for a working day (a 调休 Saturday or Sunday included): by chinesecalendar, else
    by the portal's declared arrangement, else Monday to Friday."""
    official = _official(day)
    if official is not None:
        return official
    found = _declared(day, declared)
    return day.weekday() < 5 if found is None else found


def disagreements(year: DeclaredYear) -> list[date]:
    """Returns the days where a declared year differs from chinesecalendar (which knows the year)."""
    days = sorted(year.holidays | year.workdays)
    return [d for d in days if _official(d) is not None and _official(d) != (d in year.workdays)]


def holiday_name(day: date) -> str:
    """Returns the Chinese name of the holiday the day belongs to (also for its 调休 workdays), or ''."""
    try:
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ""
    return _HOLIDAY_NAMES.get(name or "", "")


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass(frozen=True)
class Count:
    """A number of working days, and whether part of it was estimated (calendar not covering a date)."""

    days: int
    estimated: bool = False


def workdays_between(start: date, end: date, declared: Sequence[DeclaredYear] = ()) -> Count:
    """Returns the working days in (start, end]: the days used when formed on start, published on end."""
    if end <= start:
        return Count(0, False)
    days, estimated, day = 0, False, start
    while day < end:
        day += timedelta(days=1)
        estimated = estimated or not covered(day, declared)
        days += is_workday(day, declared)
    return Count(days, estimated)


def add_workdays(start: date, count: int, declared: Sequence[DeclaredYear] = ()) -> tuple[date, bool]:
    """Returns (the count-th working day after start, whether a date on the way was not covered)."""
    day, left, estimated = start, count, False
    while left > 0:
        day += timedelta(days=1)
        estimated = estimated or not covered(day, declared)
        if is_workday(day, declared):
            left -= 1
    return day, estimated


@dataclass(frozen=True)
class Timeliness:
    """The 20-day rule applied to one item: when it was due, how many days it took, whether late."""

    created: date
    due: date
    published: date | None  # None: not published yet
    used: int  # working days from created to published (or to today, while unpublished)
    overdue: bool
    estimated: bool  # some date on the way is not in the installed calendar: counted Monday-Friday

    def describe(self) -> str:
        """Returns one Chinese line about the item's deadline, for check, ledger and PR summaries."""
        note = "(其中有的日期所在年份的放假安排尚未公布,按周一至周五估算)" if self.estimated else ""
        if self.published is None:
            if self.overdue:
                return f"成文于 {self.created},应于 {self.due} 前公开(20个工作日),至今已 {self.used} 个工作日仍未发布{note}"
            return f"成文于 {self.created},应于 {self.due} 前公开(20个工作日){note}"
        if self.overdue:
            return f"成文于 {self.created},应于 {self.due} 前公开,实际 {self.published} 发布,用时 {self.used} 个工作日,超过20个工作日{note}"
        return f"成文于 {self.created},{self.published} 发布,用时 {self.used} 个工作日{note}"


def timeliness(
    created: date, published: date | None, today: date, days: int = DISCLOSURE_DAYS, declared: Sequence[DeclaredYear] = ()
) -> Timeliness:
    """Returns the deadline check of an item formed on `created`, published on `published` (or not
    yet); `declared` is the portal's own 放假调休安排 for years chinesecalendar does not know."""
    due, estimated = add_workdays(created, days, declared)
    if published is not None:
        used = workdays_between(created, published, declared)
        return Timeliness(created, due, published, used.days, published > due, estimated or used.estimated)
    used = workdays_between(created, today, declared)
    return Timeliness(created, due, None, used.days, today > due, estimated or used.estimated)
