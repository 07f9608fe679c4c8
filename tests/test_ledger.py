"""信息发布台账: the .xlsx checked cell by cell, and rendered by LibreOffice to one A4 page per unit."""
from __future__ import annotations

import os
import re
import subprocess

import pytest
from openpyxl import load_workbook

from gongkai.tools import ledger
from tests.conftest import require

XZF = "11369999MB0000001A"
FGJ = "11369999MB0000002B"
MONTH = "2025-02"


def git(root, *args, author="信息联络员"):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "editor@example.gov.cn",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": "editor@example.gov.cn",
    }
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def sign_at(portal, rel, day, stages=("初审", "复审", "终审", "保密审查")):
    for hour, stage in enumerate(stages, start=9):
        portal.sign(rel, stages=[stage], at=f"{day}T{hour:02d}:30:00+08:00")


@pytest.fixture
def month_portal(portal):
    """A portal in Git: three xzf items and one fgj item published in February 2025 (across 春节).
    Each item names its 撰稿人; every commit is made by someone else (the ledger must not guess
    from Git), and request.md has no author at all."""
    git(portal.root, "init", "-q", "-b", "main")
    items = [
        # rel, author, meta
        ("xzf/2025/on-time.md", "张撰稿", dict(index_no=f"{XZF}/2025-00001", title="关于春节后复工复产的通知", created="2025-01-20", published="2025-02-05")),
        ("xzf/2025/late.md", "李撰稿", dict(index_no=f"{XZF}/2025-00002", title="2024年第四季度工作动态", category="工作动态", created="2025-01-03", published="2025-02-08")),
        ("xzf/2025/request.md", "张撰稿", dict(index_no=f"{XZF}/2025-00003", title="某企业申请事项", attribute="依申请公开", basis="条例第十五条 商业秘密", created="2025-02-06", published="2025-02-10")),
        ("xzf/2025/march.md", "张撰稿", dict(index_no=f"{XZF}/2025-00004", title="三月的通知", created="2025-02-26", published="2025-03-03")),
        ("xzf/2025/pending.md", "张撰稿", dict(index_no=f"{XZF}/2025-00005", title="待审的通知", created="2025-02-18", published="2025-02-20")),
        ("fgj/2025/price.md", "王撰稿", dict(index_no=f"{FGJ}/2025-00001", unit="fgj", title="春节期间价格监测情况", created="2025-01-26", published="2025-02-14")),
    ]
    for rel, author, meta in items:
        portal.item(rel, **({"author": author} if "request" not in rel else {}), **meta)
        git(portal.root, "add", "-A")
        git(portal.root, "commit", "-q", "-m", f"新建 {rel}", author="Git提交者")
    sign_at(portal, "xzf/2025/on-time.md", "2025-02-05")
    sign_at(portal, "xzf/2025/late.md", "2025-02-08")
    sign_at(portal, "xzf/2025/request.md", "2025-02-10")
    sign_at(portal, "xzf/2025/march.md", "2025-02-28")
    sign_at(portal, "xzf/2025/pending.md", "2025-02-19", stages=("初审",))
    sign_at(portal, "fgj/2025/price.md", "2025-02-14")
    git(portal.root, "commit", "-q", "-am", "审核签名", author="审核人")
    return portal


def test_ledger_cell_by_cell(month_portal, tmp_path):
    out = tmp_path / "台账.xlsx"
    result = month_portal.run("ledger", "--month", MONTH, "-o", str(out), env={"GONGKAI_TODAY": "2025-03-01"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert "测试县人民政府办公室:3 条,超期 1 条" in result.stderr
    assert "content/xzf/2025/late.md:" in result.stderr and "超期公开" in result.stderr

    workbook = load_workbook(out)
    assert workbook.sheetnames == ["测试县人民政府办公室", "测试县发展和改革局"]
    ws = workbook["测试县人民政府办公室"]
    assert ws["A1"].value == "测试县人民政府办公室政府信息发布台账"
    assert ws["A2"].value.startswith("报送单位:测试县人民政府办公室    所属月份:2025年2月    本月发布 3 条,其中超期 1 条")

    header = [ws.cell(row=3, column=c).value for c in range(1, 18)]
    assert header == ["序号", "标题", "索引号", "栏目", "公开属性", "成文日期", "发布日期", "撰稿人", "初审", None, "复审", None, "终审", None, "保密审查", None, "是否超期"]
    sub = [ws.cell(row=4, column=c).value for c in range(9, 17)]
    assert sub == ["审核人", "时间"] * 4
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:Q1", "A3:A4", "H3:H4", "I3:J3", "K3:L3", "M3:N3", "O3:P3", "Q3:Q4"} <= merged

    rows = [[ws.cell(row=r, column=c).value for c in range(1, 18)] for r in range(5, 8)]
    assert rows[0] == [
        1, "关于春节后复工复产的通知", f"{XZF}/2025-00001", "通知公告", "主动公开", "2025-01-20", "2025-02-05", "张撰稿",
        "初审员", "2025-02-05 09:30", "复审员", "2025-02-05 10:30", "终审员", "2025-02-05 11:30", "保密员", "2025-02-05 12:30", "否",
    ]
    # Formed 1月3日: the 20th working day is 2月7日 (1月26日 worked, 春节 off): published on the 调休 Saturday 2月8日 is late.
    assert rows[1][:8] == [2, "2024年第四季度工作动态", f"{XZF}/2025-00002", "工作动态", "主动公开", "2025-01-03", "2025-02-08", "李撰稿"]
    assert rows[1][16] == "是"
    assert rows[2][:8] == [3, "某企业申请事项", f"{XZF}/2025-00003", "通知公告", "依申请公开", "2025-02-06", "2025-02-10", None]  # no author: blank
    assert rows[2][16] == "—"  # 依申请公开: the 20-day rule does not apply
    assert ws.cell(row=8, column=1).value.startswith("注:")  # no other item: not the March one, not the 待审 one
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "Git提交者" not in values  # the committer is never taken for the 撰稿人
    assert not any("三月的通知" == v or "待审的通知" == v for v in values)

    labels = [v for v in values if isinstance(v, str) and v.endswith("(签字):")]
    assert labels == ["撰稿人(签字):", "分管领导(签字):", "单位主要领导(签字):"]
    sign_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "撰稿人(签字):")
    lines = [c for c in range(1, 18) if ws.cell(row=sign_row, column=c).border.bottom.style == "thin"]
    assert len(lines) >= 6  # a line to sign on after each label
    assert "(单位公章)" in ws.cell(row=sign_row + 1, column=1).value and "年    月    日" in ws.cell(row=sign_row + 1, column=1).value

    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 == "9"  # A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$4"
    assert "&P" in ws.oddFooter.center.text

    fgj = workbook["测试县发展和改革局"]
    assert fgj.cell(row=5, column=2).value == "春节期间价格监测情况"
    assert fgj.cell(row=5, column=8).value == "王撰稿"
    assert fgj.cell(row=5, column=17).value == "否"  # 1月26日 (调休 Sunday) + 20 working days = 2月28日


def test_ledger_without_git_or_items(portal, tmp_path):
    portal.item("xzf/2025/a.md", created="2025-09-28", published="2025-10-11")
    portal.sign("xzf/2025/a.md")
    out = tmp_path / "l.xlsx"
    result = portal.run("ledger", "--month", "2025-10", "-o", str(out), env={"GONGKAI_TODAY": "2025-10-31"})
    assert result.returncode == 0, result.stderr
    ws = load_workbook(out)["测试县人民政府办公室"]
    assert ws.cell(row=5, column=8).value is None  # 撰稿人: no author field, left blank to write by hand
    assert ws.cell(row=5, column=17).value == "否"
    empty = load_workbook(out)["测试县发展和改革局"]
    assert empty.cell(row=5, column=1).value == "本月无发布信息"


@pytest.mark.parametrize("month", ["2025-13", "2025-2", "二月", ""])
def test_ledger_bad_month_is_a_usage_error(portal, tmp_path, month):
    result = portal.run("ledger", "--month", month, "-o", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2 and "YYYY-MM" in result.stderr


def test_ledger_rows_only_verified_reviews(month_portal):
    import json
    from datetime import date

    from gongkai.portal import evaluate

    extra = json.loads((month_portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"]
    result = evaluate(month_portal.root, month_portal.root / "content", extra, "测试县", today=date(2025, 3, 1))
    # Drop 复审员 from the trust roots: the ledger must not name a reviewer whose signature no longer verifies.
    result.trust.reviewers.pop("fu")
    rows = ledger.ledger_rows(result, 2025, 2)
    first = rows["xzf"][0]
    assert "复审" not in first.reviews and first.reviews["初审"][0].reviewer == "初审员"
    assert ledger.ledger_stages(result.settings) == ("初审", "复审", "终审", "保密审查")


def test_ledger_renders_on_a4_with_libreoffice(month_portal, tmp_path):
    soffice = require("soffice")
    require("pdfinfo")
    require("pdftoppm")
    out = tmp_path / "ledger.xlsx"
    assert month_portal.run("ledger", "--month", MONTH, "-o", str(out), env={"GONGKAI_TODAY": "2025-03-01"}).returncode == 0
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
        check=True, capture_output=True, timeout=300,
    )
    pdf = tmp_path / "ledger.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+2$", info, re.M), info  # one page per unit
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 841.89) < 1 and abs(height - 595.28) < 1, info  # A4 landscape
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 10_000
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    for needle in ("政府信息发布台账", "撰稿人(签字)", "分管领导(签字)", "单位主要领导(签字)", "关于春节后复工复产的通知"):
        assert needle in text, needle


def test_no_ledger_cell_is_a_formula_whoever_typed_it(portal, tmp_path):
    """Titles, 撰稿人 and reviewer names from reviewers.yml all stay text."""
    portal.write_reviewers(chu={"name": "@SUM(1+1)*cmd|' /C calc'!A0"}, fu={"name": "-2+3"})
    git(portal.root, "init", "-q", "-b", "main")
    portal.item("xzf/2025/f.md", index_no=f"{XZF}/2025-00001", title='=HYPERLINK("http://evil.example","x")', author='=HYPERLINK("http://evil.example","author")', created="2025-02-03", published="2025-02-05")
    git(portal.root, "add", "-A")
    git(portal.root, "commit", "-q", "-m", "新建")
    sign_at(portal, "xzf/2025/f.md", "2025-02-05")
    out = tmp_path / "台账.xlsx"
    result = portal.run("ledger", "--month", MONTH, "-o", str(out), env={"GONGKAI_TODAY": "2025-03-01"})
    assert result.returncode == 0, result.stderr
    ws = load_workbook(out)["测试县人民政府办公室"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    row = [ws.cell(row=5, column=c).value for c in range(1, 12)]
    assert row[1] == '=HYPERLINK("http://evil.example","x")' and row[7] == '=HYPERLINK("http://evil.example","author")'
    assert row[8] == "@SUM(1+1)*cmd|' /C calc'!A0" and row[10] == "-2+3"
    assert ws.cell(row=5, column=2).quotePrefix and ws.cell(row=5, column=9).quotePrefix
