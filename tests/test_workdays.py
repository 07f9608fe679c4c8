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


# ------------------------------------------------------------------ a year chinesecalendar does not know

from gongkai.errors import ConfigError  # noqa: E402 - the declared-calendar tests below
from gongkai.model import DeclaredYear  # noqa: E402
from gongkai.settings import load_settings  # noqa: E402
from gongkai.site import health  # noqa: E402

UNITS = [{"id": "xzf", "name": "测试县人民政府办公室", "code": "11369999MB0000001A"}]
# A 2027 arrangement as a portal would copy it from the 国务院办公厅's notice (made up for the test:
# 春节 2月5日至12日 off, Sunday 2月14日 worked).
YAML_2027 = """\
site_name: 测试县
extra:
  gongkai:
    units:
      - id: xzf
        name: 测试县人民政府办公室
        code: 11369999MB0000001A
    calendar:
      2027:
        notice: 国办发明电〔2026〕7号
        holidays:
          - 2027-01-01
          - 2027-02-05~2027-02-12
        workdays:
          - 2027-02-14
"""


def _declared(tmp_path, text=YAML_2027):
    path = tmp_path / "mkdocs.yml"
    path.write_text(text, encoding="utf-8")
    import yaml  # the test reads mkdocs.yml as MkDocs does

    data = yaml.safe_load(text)
    return load_settings(data["extra"]["gongkai"], data["site_name"], "mkdocs.yml", source=path)


def test_the_library_does_not_know_2027_yet():
    # The premise of the tests below: when chinesecalendar learns 2027, move them to the next year.
    assert not workdays.library_knows(2027) and workdays.library_knows(2025)


def test_a_declared_year_counts_its_holidays_and_tiaoxiu_days(tmp_path):
    settings = _declared(tmp_path)
    [year] = settings.calendar
    assert (year.year, year.notice, year.line) == (2027, "国办发明电〔2026〕7号", 9)
    declared = settings.calendar
    assert not workdays.is_workday(D("2027-02-08"), declared)  # a Monday of 春节
    assert workdays.is_workday(D("2027-02-14"), declared)  # the 调休 Sunday
    assert workdays.is_workday(D("2027-03-03"), declared) and not workdays.is_workday(D("2027-03-06"), declared)
    assert workdays.source(D("2027-02-08"), declared) == workdays.SETTINGS
    assert workdays.source(D("2028-02-08"), declared) == workdays.ESTIMATED
    assert workdays.source(D("2025-02-08"), declared) == workdays.LIBRARY
    # 20 working days from 2月1日: 2—4日 (3), 14日 (调休, 4), 15—19日, 22—26日, 3月1—5日 (19), 8日: the
    # deadline is 3月8日, where Monday to Friday would say 3月1日
    estimated = workdays.timeliness(D("2027-02-01"), None, D("2027-02-02"))
    known = workdays.timeliness(D("2027-02-01"), None, D("2027-02-02"), declared=declared)
    assert estimated.estimated and estimated.due == D("2027-03-01")
    assert not known.estimated and known.due == D("2027-03-08")


def test_check_names_the_source_of_each_years_calendar(tmp_path):
    settings = _declared(tmp_path)
    sources = health.calendar_sources([2025, 2027, 2028], settings.calendar)
    assert [(y, s) for y, s, _ in sources] == [(2025, "chinesecalendar"), (2027, "settings"), (2028, "estimated")]
    assert sources[1][2] == "门户设置 extra.gongkai.calendar(mkdocs.yml 第 9 行,国办发明电〔2026〕7号)"
    assert "按周一至周五估算" in sources[2][2]


BAD = [
    ("          - 2027-02-14\n", "          - 2027-02-15\n", 15, "2027-02-15 是星期一,调休上班的日子应是周六或周日"),
    ("          - 2027-02-05~2027-02-12\n", "          - 2027-02-12~2027-02-05\n", 13, "的起止日期有误"),
    ("          - 2027-02-05~2027-02-12\n", "          - 2月5日\n", 13, "'2月5日' 不是日期或日期范围"),
    ("          - 2027-01-01\n", "          - 2026-10-01\n", 12, "不在 2027 年内"),
    ("          - 2027-02-14\n", "          - 2027-02-06\n", 15, "2027-02-06 同时写在 holidays 和 workdays 中"),
    ("        notice:", "        notes:", 10, "calendar.2027.notes: 未知设置,是否应为 notice?"),
    ("      2027:\n", "      27:\n", 9, "年份应为四位数字"),
]


@pytest.mark.parametrize("old, new, line, message", BAD)
def test_a_wrong_calendar_setting_names_its_line_in_mkdocs_yml(tmp_path, old, new, line, message):
    text = YAML_2027.replace(old, new)
    with pytest.raises(ConfigError) as error:
        _declared(tmp_path, text)
    assert f"mkdocs.yml:{line}: 错误: " in str(error.value) and message in str(error.value), str(error.value)


def test_a_declared_year_the_library_knows_is_ignored_and_its_differences_named():
    year = DeclaredYear(2025, frozenset({D("2025-01-28"), D("2025-03-03")}), frozenset({D("2025-01-26")}), "", 12)
    [warning] = health.calendar_problems((year,))
    assert (warning.path, warning.line) == ("mkdocs.yml", 12)
    assert "已经收录 2025 年" in warning.message and "不一致的日期:2025-03-03" in warning.message
    assert not workdays.is_workday(D("2025-01-28"), (year,)) and workdays.is_workday(D("2025-03-03"), (year,))  # the library wins
