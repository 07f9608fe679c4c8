"""Honest dates: the 发布日期 the public sees is never earlier than the last required signature.

An item signed in December must not appear as published on time in September: its page, the
catalogs and exports, the 20-working-day check and the ledger all follow the later date, and
`gongkai check` names the `published` line that says otherwise.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date

from openpyxl import load_workbook

from gongkai.law import workdays
from gongkai.model import Review
from gongkai.trust.review import _completing, signed_on

STAGES = ("初审", "复审", "终审", "保密审查")
LEDGER_PUBLISHED, LEDGER_OVERDUE = 7, 17  # columns of the ledger with the four stages


def sign_on(portal, rel, day, stages=STAGES):
    for hour, stage in enumerate(stages, start=9):
        portal.sign(rel, stages=[stage], at=f"{day}T{hour:02d}:30:00+08:00")


def published_line(portal, rel) -> int:
    lines = (portal.root / "content" / rel).read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if line.startswith("published:"))


def catalog_rows(portal) -> dict[str, dict[str, str]]:
    text = (portal.site / "catalog.csv").read_bytes().decode("utf-8-sig")
    return {row["标题"]: row for row in csv.DictReader(io.StringIO(text))}


def ledger_sheet(portal, tmp_path, month):
    out = tmp_path / f"ledger-{month}.xlsx"
    result = portal.run("ledger", "--month", month, "-o", str(out))
    assert result.returncode == 0, result.stderr
    return load_workbook(out)["测试县人民政府办公室"]


def ledger_titles(ws) -> dict[str, int]:
    return {ws.cell(row=r, column=2).value: r for r in range(5, ws.max_row + 1) if ws.cell(row=r, column=3).value}


def test_signed_after_typed_date_is_published_on_the_signature_date(portal, tmp_path):
    rel = "xzf/2025/late-signed.md"
    portal.item(rel, title="九月成文十二月签发的通知", created="2025-09-01", published="2025-09-01")
    sign_on(portal, rel, "2025-12-03")
    line = published_line(portal, rel)

    check = portal.run("check")
    # Moved visibly, without a warning: the editor could not know the day of the last signature.
    assert f"content/{rel}: 已发布(发布日期按最后一次审核签名为 2025-12-03,published 写的是 2025-09-01)" in check.stdout, check.stdout
    assert "早于最后一次审核签名" not in check.stdout + check.stderr

    built = portal.build()
    assert built.returncode == 0, built.stderr
    page = (portal.site / "xzf/2025/late-signed/index.html").read_text(encoding="utf-8")
    assert "2025-12-03" in page and "2025-09-01" in page  # 发布日期 shown; 成文日期 stays
    assert "<th scope=\"row\">发布日期</th><td>2025-12-03</td>" in page
    row = catalog_rows(portal)["九月成文十二月签发的通知"]
    assert row["发布日期"] == "2025-12-03" and row["成文日期"] == "2025-09-01"
    entry = json.loads((portal.site / "catalog.json").read_text(encoding="utf-8"))["entries"][0]
    assert entry["published"] == "2025-12-03"
    assert "<updated>2025-12-03T00:00:00+08:00</updated>" in (portal.site / "feed.xml").read_text(encoding="utf-8")
    assert "2025-09-01" not in (portal.site / "feed.xml").read_text(encoding="utf-8")

    # The 20-day check follows the public date: formed 2025-09-01, public 2025-12-03 is late.
    assert f"content/{rel}:{line}: 警告: 超期公开:成文于 2025-09-01" in check.stdout + check.stderr
    assert "实际 2025-12-03 发布" in check.stdout + check.stderr

    # The ledger: December, overdue; September does not list it.
    december = ledger_sheet(portal, tmp_path, "2025-12")
    row_no = ledger_titles(december)["九月成文十二月签发的通知"]
    assert december.cell(row=row_no, column=LEDGER_PUBLISHED).value == "2025-12-03"
    assert december.cell(row=row_no, column=LEDGER_OVERDUE).value == "是"
    assert "九月成文十二月签发的通知" not in ledger_titles(ledger_sheet(portal, tmp_path, "2025-09"))



def test_a_typed_date_on_the_signature_day_is_shown_as_typed(portal):
    rel = "xzf/2025/fixed.md"
    portal.item(rel, title="改正发布日期的通知", created="2025-11-20", published="2025-12-03")
    sign_on(portal, rel, "2025-12-03")
    result = portal.run("check", "--strict")
    assert f"content/{rel}: 已发布\n" in result.stdout, result.stdout
    built = portal.build("--strict")
    assert built.returncode == 0, built.stderr
    assert catalog_rows(portal)["改正发布日期的通知"]["发布日期"] == "2025-12-03"


def test_typed_date_later_than_signatures_is_kept(portal):
    rel = "xzf/2025/later.md"
    portal.item(rel, title="签发后择日发布的通知", created="2025-03-01", published="2025-03-10")
    sign_on(portal, rel, "2025-03-03")
    built = portal.build("--strict")
    assert built.returncode == 0, built.stderr
    assert catalog_rows(portal)["签发后择日发布的通知"]["发布日期"] == "2025-03-10"
    page = (portal.site / "xzf/2025/later/index.html").read_text(encoding="utf-8")
    assert "<th scope=\"row\">发布日期</th><td>2025-03-10</td>" in page


def test_scheduled_item_keeps_its_future_date(portal):
    rel = "xzf/2027/scheduled.md"
    portal.item(rel, title="定时发布的通知", created="2026-11-20", published="2099-01-15")
    portal.sign(rel)  # now: long before the typed date
    held = portal.run("check")
    assert "定时发布:2099-01-15 发布" in held.stdout + held.stderr
    assert "早于最后一次审核签名" not in held.stdout + held.stderr
    due = portal.build("--strict", env={"GONGKAI_TODAY": "2099-01-20"})
    assert due.returncode == 0, due.stderr
    assert catalog_rows(portal)["定时发布的通知"]["发布日期"] == "2099-01-15"


def test_spring_festival_counts_working_days_to_the_signature(portal, tmp_path):
    # 2025 春节: 1月28日至2月4日放假, 1月26日(周日)和2月8日(周六)上班.
    assert workdays.covered(date(2025, 2, 10))
    portal.item("xzf/2025/chunjie.md", title="节前成文节后签发", created="2025-01-20", published="2025-01-22")
    sign_on(portal, "xzf/2025/chunjie.md", "2025-02-10")
    portal.item("xzf/2025/chunjie-late.md", title="节前成文过期签发", created="2025-01-20", published="2025-01-22")
    sign_on(portal, "xzf/2025/chunjie-late.md", "2025-02-24")
    assert workdays.add_workdays(date(2025, 1, 20), 20)[0] == date(2025, 2, 21)

    february = ledger_sheet(portal, tmp_path, "2025-02")
    rows = ledger_titles(february)
    assert february.cell(row=rows["节前成文节后签发"], column=LEDGER_PUBLISHED).value == "2025-02-10"
    assert february.cell(row=rows["节前成文节后签发"], column=LEDGER_OVERDUE).value == "否"  # 11 working days
    assert february.cell(row=rows["节前成文过期签发"], column=LEDGER_PUBLISHED).value == "2025-02-24"
    assert february.cell(row=rows["节前成文过期签发"], column=LEDGER_OVERDUE).value == "是"  # 21 working days
    assert not ledger_titles(ledger_sheet(portal, tmp_path, "2025-01"))  # typed January: not where they landed

    check = portal.run("check")
    out = check.stdout + check.stderr
    assert "成文于 2025-01-20,应于 2025-02-21 前公开,实际 2025-02-24 发布,用时 21 个工作日" in out
    assert "content/xzf/2025/chunjie.md" in out and "超期公开:成文于 2025-01-20,应于 2025-02-21 前公开,实际 2025-02-10" not in out


def test_national_day_counts_working_days_to_the_signature(portal, tmp_path):
    # 2025 国庆节、中秋节: 10月1日至8日放假, 9月28日(周日)和10月11日(周六)上班.
    assert workdays.workdays_between(date(2025, 9, 25), date(2025, 10, 20)).days == 13
    portal.item("xzf/2025/guoqing.md", title="国庆前成文节后签发", created="2025-09-25", published="2025-09-26")
    sign_on(portal, "xzf/2025/guoqing.md", "2025-10-20")
    october = ledger_sheet(portal, tmp_path, "2025-10")
    row = ledger_titles(october)["国庆前成文节后签发"]
    assert october.cell(row=row, column=LEDGER_PUBLISHED).value == "2025-10-20"
    assert october.cell(row=row, column=LEDGER_OVERDUE).value == "否"
    assert not ledger_titles(ledger_sheet(portal, tmp_path, "2025-09"))
    built = portal.build()
    assert built.returncode == 0, built.stderr
    assert catalog_rows(portal)["国庆前成文节后签发"]["发布日期"] == "2025-10-20"
    assert "超期公开" not in built.stderr


def test_the_completing_signature_is_each_stage_first():
    def review(stage, by, at):
        return Review(stage, by, at, "")

    reviews = [
        review("初审", "chu", "2025-03-01T09:00:00+08:00"),
        review("复审", "fu", "2025-03-02T09:00:00+08:00"),
        review("初审", "chu2", "2025-03-09T09:00:00+08:00"),  # a second 初审 later: adds nothing
        review("保密审查", "bm", "2025-03-20T09:00:00+08:00"),  # not required here
    ]
    assert _completing(reviews, ("初审", "复审")) == reviews[1]
    # 23:30 UTC is the next day in China: the date is China time.
    late = [review("初审", "chu", "2025-03-02T23:30:00+00:00")]
    assert _completing(late, ("初审",)) == late[0]
    assert signed_on(late[0].at) == date(2025, 3, 3)
