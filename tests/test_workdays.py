"""Working days: statutory holidays, 调休 workdays and the 20-working-day rule (条例第二十六条)."""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from gongkai.law import workdays

D = date.fromisoformat

# 2025: 春节 1月28日—2月4日 off, Sunday 1月26日 and Saturday 2月8日 worked;
# 国庆中秋 10月1日—8日 off, Sunday 9月28日 and Saturday 10月11日 worked.
TIAOXIU = ["2025-01-26", "2025-02-08", "2025-09-28", "2025-10-11"]
HOLIDAYS = ["2025-01-28", "2025-01-31", "2025-02-03", "2025-02-04", "2025-10-01", "2025-10-06", "2025-10-08"]


@pytest.mark.parametrize("day", TIAOXIU)
def test_tiaoxiu_weekends_are_working_days(day):
    assert D(day).weekday() >= 5  # a Saturday or Sunday …
    assert chinese_calendar.is_workday(D(day))  # … that the State Council made a working day
    assert workdays.is_workday(D(day))
    assert workdays.covered(D(day))


@pytest.mark.parametrize("day", HOLIDAYS)
def test_statutory_holidays_are_not_working_days(day):
    assert D(day).weekday() < 5
    assert not workdays.is_workday(D(day))


def test_holiday_names_cover_tiaoxiu_days():
    assert workdays.holiday_name(D("2025-01-29")) == "春节"
    assert workdays.holiday_name(D("2025-02-08")) == "春节"  # the 调休 Saturday belongs to 春节
    assert workdays.holiday_name(D("2025-10-11")) == "国庆节"
    assert workdays.holiday_name(D("2025-03-12")) == ""


def test_deadline_across_spring_festival():
    # 1月20日 formed: 21-24 (4), 26 Sun 调休 (5), 27 (6), 28 Jan - 4 Feb off, 5-7 (9), 8 Sat 调休 (10),
    # 10-14 (15), 17-21 (20).
    due, estimated = workdays.add_workdays(D("2025-01-20"), 20)
    assert due == D("2025-02-21") and not estimated
    naive = D("2025-01-20")
    left = 20
    while left:  # counted Monday to Friday the deadline would be a week and a half earlier
        naive += timedelta(days=1)
        left -= naive.weekday() < 5
    assert naive == D("2025-02-17")


def test_deadline_across_national_day():
    # 9月22日 formed: 23-26 (4), 28 Sun 调休 (5), 29-30 (7), 1-8 Oct off, 9-10 (9), 11 Sat 调休 (10), 13-17, 20-24.
    assert workdays.add_workdays(D("2025-09-22"), 20) == (D("2025-10-24"), False)


def test_workdays_between_counts_the_tiaoxiu_saturday_and_not_the_first_day():
    assert workdays.workdays_between(D("2025-02-07"), D("2025-02-08")).days == 1  # Saturday 2月8日 worked
    assert workdays.workdays_between(D("2025-02-08"), D("2025-02-10")).days == 1  # Sunday off, Monday on
    assert workdays.workdays_between(D("2025-01-27"), D("2025-02-05")).days == 1  # the whole 春节 holiday: only 2月5日
    assert workdays.workdays_between(D("2025-09-30"), D("2025-10-11")).days == 3  # 10月9日, 10日, 11日(调休)
    assert workdays.workdays_between(D("2025-03-03"), D("2025-03-03")).days == 0
    assert workdays.workdays_between(D("2025-03-05"), D("2025-03-03")).days == 0


def test_timeliness_boundary_is_the_twentieth_working_day():
    on_time = workdays.timeliness(D("2025-01-20"), D("2025-02-21"), today=D("2025-03-01"))
    assert not on_time.overdue and on_time.used == 20 and on_time.due == D("2025-02-21")
    saturday = workdays.timeliness(D("2025-01-20"), D("2025-02-22"), today=D("2025-03-01"))
    assert saturday.overdue and saturday.used == 20  # a day off after the deadline is still late
    late = workdays.timeliness(D("2025-09-22"), D("2025-10-27"), today=D("2025-11-01"))
    assert late.overdue and late.used == 21
    assert "超过20个工作日" in late.describe() and "2025-10-24" in late.describe()


def test_timeliness_of_an_unpublished_item_runs_until_today():
    waiting = workdays.timeliness(D("2025-09-22"), None, today=D("2025-10-11"))
    assert not waiting.overdue and waiting.used == 10
    assert "应于 2025-10-24 前公开" in waiting.describe()
    stuck = workdays.timeliness(D("2025-09-22"), None, today=D("2025-10-25"))
    assert stuck.overdue and "仍未发布" in stuck.describe()


def test_dates_beyond_the_calendar_are_estimated_monday_to_friday():
    last_year = max(chinese_calendar.constants.holidays).year
    outside = date(last_year + 1, 3, 2)
    assert not workdays.covered(outside)
    assert workdays.is_workday(outside) == (outside.weekday() < 5)
    due, estimated = workdays.add_workdays(date(last_year, 12, 20), 20)
    assert estimated and due.year == last_year + 1
    check = workdays.timeliness(date(last_year, 12, 20), due, today=due)
    assert check.estimated and not check.overdue
    assert "估算" in check.describe()
    inside = workdays.timeliness(D("2025-01-20"), D("2025-02-21"), today=D("2025-03-01"))
    assert not inside.estimated
