"""Chinese working days: statutory holidays and 调休 workdays (chinesecalendar), and the 20-day rule.

条例第二十六条: 属于主动公开范围的政府信息,应当自该政府信息形成或者变更之日起20个工作日内及时公开.
The first day is not counted (民法典第二百零一条: 开始的当日不计入), so the deadline is the 20th
working day after `created`. A year the installed chinesecalendar does not know is counted Monday to
Friday and the result is marked `estimated`, so that `gongkai check` can say so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

DISCLOSURE_DAYS = 20  # 条例第二十六条
# Attributes whose information is published proactively, hence bound by the 20-day rule.
TIMELY_ATTRIBUTES = ("主动公开", "部分公开")


@lru_cache(maxsize=None)
def _official(day: date) -> bool | None:
    """Returns whether the day is a working day by the State Council's schedule, None when unknown."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def covered(day: date) -> bool:
    """Returns True when the installed calendar knows the holidays of the day's year."""
    return _official(day) is not None


def is_workday(day: date) -> bool:
    """Returns True for a working day (a 调休 Saturday or Sunday included); Monday to Friday when unknown."""
    official = _official(day)
    return day.weekday() < 5 if official is None else official


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


def workdays_between(start: date, end: date) -> Count:
    """Returns the working days in (start, end]: the days used when formed on start, published on end."""
    if end <= start:
        return Count(0, False)
    days, estimated, day = 0, False, start
    while day < end:
        day += timedelta(days=1)
        estimated = estimated or not covered(day)
        days += is_workday(day)
    return Count(days, estimated)


def add_workdays(start: date, count: int) -> tuple[date, bool]:
    """Returns (the count-th working day after start, whether a date on the way was not covered)."""
    day, left, estimated = start, count, False
    while left > 0:
        day += timedelta(days=1)
        estimated = estimated or not covered(day)
        if is_workday(day):
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
        note = "(chinesecalendar 未覆盖其中的日期,按周一至周五估算)" if self.estimated else ""
        if self.published is None:
            if self.overdue:
                return f"成文于 {self.created},应于 {self.due} 前公开(20个工作日),至今已 {self.used} 个工作日仍未发布{note}"
            return f"成文于 {self.created},应于 {self.due} 前公开(20个工作日){note}"
        if self.overdue:
            return f"成文于 {self.created},应于 {self.due} 前公开,实际 {self.published} 发布,用时 {self.used} 个工作日,超过20个工作日{note}"
        return f"成文于 {self.created},{self.published} 发布,用时 {self.used} 个工作日{note}"


def timeliness(created: date, published: date | None, today: date, days: int = DISCLOSURE_DAYS) -> Timeliness:
    """Returns the deadline check of an item formed on `created`, published on `published` (or not yet)."""
    due, estimated = add_workdays(created, days)
    if published is not None:
        used = workdays_between(created, published)
        return Timeliness(created, due, published, used.days, published > due, estimated or used.estimated)
    used = workdays_between(created, today)
    return Timeliness(created, due, None, used.days, today > due, estimated or used.estimated)
