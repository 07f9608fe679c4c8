"""Site health: 空白栏目, update cycles, 20 个工作日, validity, links, 解读, 转载, 目录动态调整."""
from __future__ import annotations

import json
import subprocess
from datetime import date
from types import SimpleNamespace

import pytest

from gongkai.portal import evaluate
from gongkai.settings import Cycle, parse_cycle
from gongkai.site import health
from tests.kit import pdf_bytes

D = date.fromisoformat
XZF = "11369999MB0000001A"


def settings_of(portal) -> dict:
    return json.loads((portal.root / "mkdocs.yml").read_text(encoding="utf-8"))["extra"]["gongkai"]


def findings(portal, today: str, **extra) -> list:
    """Returns the health problems of the portal on `today`, with extra settings in config.extra only."""
    gongkai = settings_of(portal)
    result = evaluate(portal.root, portal.root / "content", gongkai, "测试县", today=D(today))
    config = SimpleNamespace(extra={"gongkai": {**gongkai, **extra}}, config_file_path=str(portal.root / "mkdocs.yml"), site_url="https://www.example.gov.cn/")
    return health.health_problems(result, config)


def messages(problems, path: str | None = None) -> list[str]:
    return [p.message for p in problems if path is None or p.path == path]


def line_of(portal, rel: str, needle: str) -> int:
    """Returns the 1-based line of the first line of content/<rel> containing needle."""
    lines = (portal.root / "content" / rel).read_text(encoding="utf-8").split("\n")
    return next(number for number, line in enumerate(lines, start=1) if needle in line)


def published(portal, rel, **meta):
    portal.item(rel, **meta)
    portal.sign(rel)


def test_blank_columns_and_update_cycles_across_spring_festival_and_national_day(portal):
    published(portal, "xzf/2025/dongtai.md", category="工作动态", created="2025-01-23", published="2025-01-24", title="春节前走访慰问")
    published(portal, "xzf/2025/gonggao.md", category="通知公告", created="2025-03-31", published="2025-04-01", title="清明节放假通知")

    before = findings(portal, "2025-02-07")  # 14 days after 1月24日, the 春节 holiday in between
    assert all(p.path == "mkdocs.yml" and not p.is_error for p in before if "栏目" in p.message)
    blank = [m for m in messages(before) if "空白栏目" in m]
    assert len(blank) == 21  # 22 built-in columns; the 通知公告 is 定时发布 on 4月1日: not there yet
    assert not any("“工作动态”" in m for m in blank) and any("“通知公告”" in m for m in blank)
    assert any("“规范性文件”" in m for m in blank)
    assert not any("未更新" in m for m in messages(before))

    after = findings(portal, "2025-02-08")  # the 调休 Saturday: calendar days count, not working days
    stale = [m for m in messages(after) if "未更新" in m]
    assert len(stale) == 1 and "“工作动态”超过2周未更新" in stale[0] and "2025-01-24" in stale[0] and "2025-02-07 前" in stale[0]

    published(portal, "xzf/2025/dongtai2.md", category="工作动态", created="2025-09-30", published="2025-09-30", title="国庆前检查")
    national_day = findings(portal, "2025-10-01")  # 通知公告: 6 months from 4月1日 is 10月1日
    assert not any("未更新" in m for m in messages(national_day))
    assert len([m for m in messages(national_day) if "空白栏目" in m]) == 20
    later = [m for m in messages(findings(portal, "2025-10-14")) if "未更新" in m]
    assert len(later) == 1 and "“通知公告”超过6个月未更新" in later[0]  # 工作动态 updated 9月30日: 14 days


def test_update_cycles_are_configurable(portal):
    published(portal, "xzf/2025/dongtai.md", category="工作动态", created="2025-01-23", published="2025-01-24")
    published(portal, "xzf/2025/gonggao.md", category="通知公告", created="2024-09-30", published="2024-09-30")
    cycles = {"工作动态": "1m", "通知公告": 0, "行政许可": "10天", "不存在的栏目": "2w", "规范性文件": "often"}
    found = messages(findings(portal, "2025-02-24", update_cycles=cycles))
    assert not any("未更新" in m for m in found)  # 1月24日 + 1 month = 2月24日; 通知公告 switched off
    assert any("update_cycles.不存在的栏目: 目录类别不存在" in m for m in found)
    assert any("update_cycles.规范性文件: 更新周期 'often' 无法识别" in m for m in found)
    assert any("“工作动态”超过1个月未更新" in m for m in messages(findings(portal, "2025-02-25", update_cycles=cycles)))
    bad = messages(findings(portal, "2025-02-25", update_cycles=["工作动态"]))
    assert any("应为“栏目: 周期”的列表" in m for m in bad)


def test_update_cycles_read_from_a_real_mkdocs_config(portal):
    from mkdocs.config import load_config

    published(portal, "xzf/2025/dongtai.md", category="工作动态", created="2025-01-23", published="2025-01-24")
    config = load_config(str(portal.root / "mkdocs.yml"))
    result = evaluate(portal.root, portal.root / "content", settings_of(portal), "测试县", today=D("2025-02-08"))
    assert any("“工作动态”超过2周未更新" in m for m in messages(health.health_problems(result, config)))
    config.extra["gongkai"]["update_cycles"] = {"工作动态": "1m"}  # until settings.py validates the key
    assert not any("未更新" in m for m in messages(health.health_problems(result, config)))


@pytest.mark.parametrize(
    "value, cycle",
    [(14, Cycle(14, "d")), ("2w", Cycle(14, "d")), ("6m", Cycle(6, "m")), ("1y", Cycle(12, "m")), ("2周", Cycle(14, "d")), ("6个月", Cycle(6, "m")), (0, None), (None, None), (False, None)],
)
def test_parse_cycle(value, cycle):
    assert parse_cycle(value) == cycle


def test_cycle_months_clamp_to_month_end():
    assert Cycle(6, "m").after(D("2025-08-31")) == D("2026-02-28")
    assert Cycle(14, "d").after(D("2025-01-24")) == D("2025-02-07")


def test_overdue_items_across_spring_festival_national_day_and_tiaoxiu(portal):
    published(portal, "xzf/2025/a-on-time.md", created="2025-01-20", published="2025-02-21")
    published(portal, "xzf/2025/b-late.md", created="2025-01-20", published="2025-02-24")
    published(portal, "xzf/2025/c-late.md", created="2025-09-22", published="2025-10-27")
    portal.item("xzf/2025/d-pending.md", created="2025-09-28", published="2025-09-30")  # formed on the 调休 Sunday
    portal.sign("xzf/2025/d-pending.md", stages=["初审"])
    portal.item("xzf/2025/e-request.md", attribute="依申请公开", basis="条例第十五条 个人隐私", created="2024-01-02", published=None)
    portal.sign("xzf/2025/e-request.md")
    # created before the wall clock: no signature may be older than its item (SPEC §5)
    published(portal, "xzf/2026/f-beyond.md", created="2026-11-20", published="2027-01-08")
    found = findings(portal, "2025-11-03")
    assert messages(found, "content/xzf/2025/a-on-time.md") == []
    [late] = messages(found, "content/xzf/2025/b-late.md")
    assert late.startswith("超期公开") and "应于 2025-02-21 前公开" in late and "用时 21 个工作日" in late
    [late_oct] = messages(found, "content/xzf/2025/c-late.md")
    assert "应于 2025-10-24 前公开" in late_oct
    [pending] = messages(found, "content/xzf/2025/d-pending.md")
    assert pending.startswith("超期未公开") and "应于 2025-10-31 前公开" in pending and "待审:缺少复审、终审、保密审查" in pending
    assert messages(found, "content/xzf/2025/e-request.md") == []
    beyond = messages(found, "content/xzf/2026/f-beyond.md")
    assert any("chinesecalendar" in message and "估算" in message for message in beyond), beyond
    late_problem = next(p for p in found if p.path == "content/xzf/2025/b-late.md")
    assert late_problem.line == line_of(portal, "xzf/2025/b-late.md", "published:") and not late_problem.is_error

    # Before its deadline a pending item is fine.
    assert messages(findings(portal, "2025-10-31"), "content/xzf/2025/d-pending.md") == []


def test_items_past_their_validity_still_listed_as_valid(portal):
    published(portal, "xzf/2020/old-policy.md", category="规范性文件", created="2020-09-25", published="2020-09-30", title="旧规范性文件")
    published(portal, "xzf/2023/trial.md", category="规范性文件", created="2023-09-28", published="2023-10-08", title="某某管理办法(试行)")
    published(portal, "xzf/2021/recent.md", category="规范性文件", created="2021-01-26", published="2021-01-26", title="较新的规范性文件")
    published(portal, "xzf/2024/until.md", category="其他文件", created="2024-09-28", published="2024-09-30", body="前言。\n\n本通知有效期至2025年9月30日。")
    published(portal, "xzf/2024/until-later.md", category="其他文件", created="2024-09-28", published="2024-09-30", body="本通知有效期至2025年12月31日。")
    published(portal, "xzf/2020/five-years.md", category="其他文件", created="2020-09-28", published="2020-09-28", body="第一条 ……\n\n本办法自2020年10月1日起施行，有效期五年。")
    published(portal, "xzf/2025/repealed-later.md", validity="废止", repealed_on="2025-10-11", created="2025-09-28", published="2025-09-29")
    published(portal, "xzf/2025/repealed.md", validity="废止", repealed_on="2025-10-08", created="2025-09-28", published="2025-09-29")
    found = findings(portal, "2025-10-09")
    [old] = messages(found, "content/xzf/2020/old-policy.md")
    assert "有效期一般不超过 5 年" in old and "validity 改为 失效 或 废止" in old
    [trial] = messages(found, "content/xzf/2023/trial.md")
    assert "“试行”“暂行”" in trial and "2 年" in trial
    assert messages(found, "content/xzf/2021/recent.md") == []
    until = next(p for p in found if p.path == "content/xzf/2024/until.md")
    assert "有效期至2025年9月30日" in until.message and until.line == line_of(portal, "xzf/2024/until.md", "本通知有效期至")
    assert messages(found, "content/xzf/2024/until-later.md") == []
    [five] = messages(found, "content/xzf/2020/five-years.md")
    assert "有效期至 2025-09-30" in five
    [early] = messages(found, "content/xzf/2025/repealed-later.md")
    assert "废止日期 2025-10-11 还没到" in early
    assert messages(found, "content/xzf/2025/repealed.md") == []


def test_external_links_outside_the_allowlist(portal):
    body = "\n".join(
        [
            "见[百度](https://www.baidu.com/s?wd=春节)和<https://www.gov.cn/zhengce/2025-01/26/content_1.htm>。",
            "县教育局:https://jyj.example.gov.cn/tzgg/1.html ,上级:https://gov.cn/",
            '<a href="http://news.example.com/a">新闻</a>',
            "```",
            "https://code.example.org/not-a-link",
            "```",
        ]
    )
    published(portal, "xzf/2025/links.md", created="2025-02-07", published="2025-02-08", body=body, source={"name": "人民网", "url": "https://www.people.com.cn/n1/2025/0208/c1.html"})
    portal.item(
        "xzf/2025/partly.md",
        attribute="部分公开",
        basis="条例第十五条 个人隐私",
        created="2025-09-28",
        published="2025-10-11",
        body="公开部分。【不公开】联系 https://private.example.com/【/不公开】其余内容见 https://www.jiangxi.gov.cn/ 。",
    )
    portal.sign("xzf/2025/partly.md")
    found = findings(portal, "2025-10-11")
    links = [p for p in found if p.path == "content/xzf/2025/links.md"]
    hosts = sorted(m.split()[1] for m in messages(links))
    assert hosts == ["news.example.com", "www.baidu.com", "www.people.com.cn"]
    lines = {p.message.split()[1]: p.line for p in links}
    assert lines["www.baidu.com"] == line_of(portal, "xzf/2025/links.md", "见[百度]")
    assert lines["news.example.com"] == line_of(portal, "xzf/2025/links.md", "<a href")
    assert lines["www.people.com.cn"] == line_of(portal, "xzf/2025/links.md", "source:")
    assert messages(found, "content/xzf/2025/partly.md") == []  # the withheld span is not published

    portal.write_settings(link_allowlist=["*.gov.cn", "*.people.com.cn"])
    hosts = sorted(m.split()[1] for m in messages(findings(portal, "2025-10-11"), "content/xzf/2025/links.md"))
    assert hosts == ["news.example.com", "www.baidu.com"]


def test_host_allowed():
    assert health.host_allowed("www.gov.cn", ["*.gov.cn"])
    assert health.host_allowed("GOV.CN", ["*.gov.cn"])
    assert not health.host_allowed("gov.cn.evil.com", ["*.gov.cn"])
    assert not health.host_allowed("evilgov.cn", ["*.gov.cn"])
    assert health.host_allowed("www.example.gov.cn", [], site_host="www.example.gov.cn")


def test_broken_internal_links(portal, tmp_path):
    (portal.root / "content/xzf/2025/files").mkdir(parents=True)
    (portal.root / "content/xzf/2025/files/a.pdf").write_bytes(pdf_bytes("a"))
    (portal.root / "content/xzf/2025/files/b.pdf").write_bytes(pdf_bytes("b"))
    published(portal, "xzf/2025/target.md", created="2025-01-24", published="2025-01-26")
    portal.item("xzf/2025/held.md", created="2025-01-24", published="2025-01-26")
    body = "\n".join(
        [
            "[已发布](target.md#第一条) [待审](./held.md) [不存在](nope.md)",
            "[附件](files/a.pdf) [未声明的文件](files/b.pdf) [外面](../../../../etc/passwd.md)",
            "[绝对](/xzf/2025/target.md) [网址](../target/) [锚点](#top) [邮件](mailto:a@example.gov.cn)",
            "[ref]: held.md",
        ]
    )
    published(portal, "xzf/2025/linker.md", created="2025-02-07", published="2025-02-08", attachments=["files/a.pdf"], body=body)
    found = [p for p in findings(portal, "2025-02-08") if p.path == "content/xzf/2025/linker.md"]
    text = messages(found)
    assert len(text) == 5, text
    assert sum("xzf/2025/held.md 未发布" in m for m in text) == 2
    assert any("xzf/2025/nope.md 未发布" in m for m in text)
    assert any("files/b.pdf 指向的文件不会发布" in m for m in text)
    assert any("指向 content/ 之外" in m for m in text)
    rel = "xzf/2025/linker.md"
    assert {p.line for p in found} == {line_of(portal, rel, "[已发布]"), line_of(portal, rel, "[附件]"), line_of(portal, rel, "[ref]")}


def test_interpretations_that_point_nowhere(portal):
    published(portal, "xzf/2025/policy.md", category="规范性文件", index_no=f"{XZF}/2025-00001", created="2025-01-20", published="2025-01-26")
    portal.item("xzf/2025/policy-held.md", category="规范性文件", index_no=f"{XZF}/2025-00002", created="2025-09-28", published="2025-10-11")
    published(portal, "xzf/2025/jd-ok.md", category="政策解读", index_no=f"{XZF}/2025-00003", interprets=f"{XZF}/2025-00001", created="2025-01-20", published="2025-01-26")
    published(portal, "xzf/2025/jd-held.md", category="政策解读", index_no=f"{XZF}/2025-00004", interprets=f"{XZF}/2025-00002", created="2025-09-28", published="2025-10-11")
    published(portal, "xzf/2025/jd-none.md", category="政策解读", index_no=f"{XZF}/2025-00005", interprets=f"{XZF}/2025-00099", created="2025-02-08", published="2025-02-08")
    published(portal, "xzf/2025/jd-missing.md", category="政策解读", index_no=f"{XZF}/2025-00006", created="2025-02-08", published="2025-02-08")
    found = findings(portal, "2025-10-11")
    assert messages(found, "content/xzf/2025/jd-ok.md") == []
    [held] = messages(found, "content/xzf/2025/jd-held.md")
    assert "content/xzf/2025/policy-held.md" in held and "没有发布" in held
    [none] = messages(found, "content/xzf/2025/jd-none.md")
    assert f"{XZF}/2025-00099 在本门户中不存在" in none
    [missing] = messages(found, "content/xzf/2025/jd-missing.md")
    assert "没有写明 interprets" in missing


def test_reprints_without_source(portal):
    published(portal, "xzf/2025/r1.md", title="省政府关于春节期间安全工作的通知（转载）", created="2025-01-26", published="2025-01-26")
    published(portal, "xzf/2025/r2.md", title="国庆假期出行提示", created="2025-09-28", published="2025-09-28", body="**来源：**新华网\n\n正文。")
    published(portal, "xzf/2025/r3.md", title="省政府通知（转载）", created="2025-02-08", published="2025-02-08", source={"name": "江西省人民政府网", "url": "https://www.jiangxi.gov.cn/a.html"})
    published(portal, "xzf/2025/r4.md", title="统计公报", created="2025-10-11", published="2025-10-11", body="数据来源:县统计局。")
    published(portal, "xzf/2025/r5.md", title="关于转发《省政府办公厅通知》的通知", created="2025-10-11", published="2025-10-11")
    found = findings(portal, "2025-10-11")
    [r1] = messages(found, "content/xzf/2025/r1.md")
    assert "疑似转载信息(标题含“转载”)" in r1 and "source:" in r1
    [r2] = messages(found, "content/xzf/2025/r2.md")
    assert "正文含“来源：”" in r2
    for clean in ("r3", "r4", "r5"):
        assert messages(found, f"content/xzf/2025/{clean}.md") == [], clean


def test_check_prints_health_warnings_and_strict_fails_on_them(portal):
    published(portal, "xzf/2025/late.md", created="2025-01-20", published="2025-02-24")
    result = portal.run("check", env={"GONGKAI_TODAY": "2025-02-24"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"content/xzf/2025/late.md:{line_of(portal, 'xzf/2025/late.md', 'published:')}: 警告: 超期公开" in result.stdout
    assert "空白栏目" in result.stdout
    strict = portal.run("check", "--strict", env={"GONGKAI_TODAY": "2025-02-24"})
    assert strict.returncode == 1
    data = json.loads(portal.run("check", "--json", env={"GONGKAI_TODAY": "2025-02-24"}).stdout)
    assert any(p["path"] == "content/xzf/2025/late.md" and p["severity"] == "warning" for p in data["problems"])


# ------------------------------------------------------------------ 目录动态调整


TAXONOMY_V1 = '''
from dataclasses import dataclass
@dataclass(frozen=True)
class Category:
    id: str
    slug: str
    article: str = ""
    scope: str = ""
BUILTIN: tuple = (
    Category("机构职能", "jgzn", "第二十条第（二）项", "机关职能"),
    Category("通知公告", "tzgg", "", "通知、公告"),
)
'''


def git(root, *args, date_=None):
    env = {"GIT_AUTHOR_NAME": "政务公开办", "GIT_AUTHOR_EMAIL": "gkb@example.gov.cn", "GIT_COMMITTER_NAME": "政务公开办", "GIT_COMMITTER_EMAIL": "gkb@example.gov.cn", "PATH": "/usr/bin:/bin"}
    if date_:
        env |= {"GIT_AUTHOR_DATE": f"{date_}T10:00:00+08:00", "GIT_COMMITTER_DATE": f"{date_}T10:00:00+08:00"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env)


def write_config(root, categories, extra=""):
    cats = "" if categories is None else "    categories: [" + ", ".join(categories) + "]\n"
    (root / "mkdocs.yml").write_text(
        "site_name: 测试\ndocs_dir: content\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "extra:\n  gongkai:\n    units: [{id: xzf, name: 县政府办, code: 11369999MB0000001A}]\n" + cats + extra,
        encoding="utf-8",
    )


def test_category_history_from_settings_and_taxonomy(tmp_path):
    root = tmp_path / "repo"
    (root / "site_src/gongkai").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    taxonomy = root / "site_src/gongkai/taxonomy.py"
    taxonomy.write_text(TAXONOMY_V1, encoding="utf-8")
    write_config(root, None)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "建立门户", date_="2025-01-24")

    write_config(root, ["乡村振兴", "营商环境"])
    git(root, "commit", "-q", "-am", "增加乡村振兴、营商环境栏目", date_="2025-02-08")  # 调休 Saturday

    (root / "README.md").write_text("无关的改动\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "无关", date_="2025-03-01")

    taxonomy.write_text(
        TAXONOMY_V1.replace('Category("通知公告", "tzgg", "", "通知、公告")', 'Category("通知公示", "tzgg", "", "通知、公告、公示")')
        .replace('"机关职能"', '"机关职能、机构设置"'),
        encoding="utf-8",
    )
    git(root, "commit", "-q", "-am", "目录:通知公告更名为通知公示", date_="2025-09-28")  # 调休 Sunday

    write_config(root, ["乡村振兴"])
    git(root, "commit", "-q", "-am", "取消营商环境栏目", date_="2025-10-11")  # 调休 Saturday

    entries = health.category_history(root)
    initial = [e for e in entries if e["initial"]]
    assert {(e["category"], e["source"]) for e in initial} == {("机构职能", "taxonomy"), ("通知公告", "taxonomy")}
    changes = [(e["date"], e["action"], e["category"], e["source"]) for e in entries if not e["initial"]]
    assert changes == [
        ("2025-02-08", "added", "乡村振兴", "settings"),
        ("2025-02-08", "added", "营商环境", "settings"),
        ("2025-09-28", "changed", "通知公示", "taxonomy"),
        ("2025-09-28", "changed", "机构职能", "taxonomy"),
        ("2025-10-11", "removed", "营商环境", "settings"),
    ]
    renamed = next(e for e in entries if e["category"] == "通知公示")
    assert "由“通知公告”更名为“通知公示”" in renamed["detail"] and "公开范围:通知、公告 → 通知、公告、公示" in renamed["detail"]
    assert len(renamed["commit"]) == 10
    # Commit subjects and authors are unreviewed text: not even in the record.
    assert all("author" not in e and "subject" not in e for e in entries)

    page = health.render_category_history(entries)
    assert page.startswith("# 政务公开目录动态调整记录")
    rows = [line for line in page.splitlines() if line.startswith("<tr><td>2025")]
    assert rows[0].startswith("<tr><td>2025-10-11</td><td>取消</td><td>营商环境</td>")  # newest first
    assert any("<td>变更</td><td>通知公示</td><td>由“通知公告”更名为“通知公示”" in r for r in rows)
    assert "<tr><td>2025-02-08</td><td>增加</td><td>乡村振兴</td><td>—</td><td>门户设置</td></tr>" in rows
    assert "<li>2025-01-24 内置目录:机构职能、通知公告(共 2 类)</li>" in page
    for unreviewed in ("政务公开办", "gkb@example.gov.cn", "增加乡村振兴、营商环境栏目", "取消营商环境栏目", "Git", "提交"):
        assert unreviewed not in page


def test_category_history_outside_git_is_empty(tmp_path):
    assert health.category_history(tmp_path) == []
    assert "没有调整" in health.render_category_history([])


def test_category_history_of_this_repository_starts_with_the_builtin_taxonomy():
    from tests.kit import REPO

    entries = health.category_history(REPO)
    assert entries, "the engine's own history records its taxonomy"
    first = [e for e in entries if e["initial"] and e["source"] == "taxonomy"]
    assert {e["category"] for e in first} >= {"机构职能", "规范性文件", "政策解读", "年度报告"}


# ------------------------------------------------------------------ the working-day calendar of each year

CALENDAR_2027 = {"2027": {"notice": "国办发明电〔2026〕7号", "holidays": ["2027-01-01", "2027-02-05~2027-02-12"], "workdays": ["2027-02-14"]}}


def test_check_says_where_each_years_working_days_come_from(portal):
    portal.write_settings(calendar=CALENDAR_2027)
    published(portal, "xzf/2026/late.md", created="2026-12-01", published="2027-01-25")
    result = portal.run("check", env={"GONGKAI_TODAY": "2027-03-01"})
    assert result.returncode == 0, result.stdout + result.stderr
    settings_line = next(n for n, text in enumerate((portal.root / "mkdocs.yml").read_text(encoding="utf-8").split("\n"), 1) if '"2027"' in text)
    [said] = [line for line in result.stdout.splitlines() if line.startswith("工作日的依据:")]
    assert "2026 年 chinesecalendar(国务院办公厅已公布的安排)" in said
    assert f"2027 年 门户设置 extra.gongkai.calendar(mkdocs.yml 第 {settings_line} 行,国办发明电〔2026〕7号)" in said
    assert "按周一至周五估算" not in result.stdout  # the declared year is not an estimate
    data = json.loads(portal.run("check", "--json", env={"GONGKAI_TODAY": "2027-03-01"}).stdout)
    assert {"year": 2027, "source": "settings"}.items() <= data["calendar"][-1].items()
    # Without the declaration, 2027 is estimated, and the item's deadline says so.
    portal.write_settings()
    result = portal.run("check", env={"GONGKAI_TODAY": "2027-03-01"})
    assert "2027 年 未公布,按周一至周五估算" in result.stdout
    assert "2027 年的放假调休安排还不知道" in result.stdout and "extra.gongkai.calendar" in result.stdout


def test_a_wrong_calendar_stops_check_with_the_line_of_mkdocs_yml(portal):
    portal.write_settings(calendar={"2027": {"holidays": ["2027-02-05~2027-02-12"], "workdays": ["2027-02-15"]}})
    result = portal.run("check")
    assert result.returncode == 1
    line = next(n for n, text in enumerate((portal.root / "mkdocs.yml").read_text(encoding="utf-8").split("\n"), 1) if '"workdays"' in text)
    assert f"mkdocs.yml:{line}: 错误: extra.gongkai.calendar.2027.workdays: 2027-02-15 是星期一" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
