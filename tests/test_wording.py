"""表述检查: the wording dictionary (built-in and the portal's wording.yml), the matcher, and its
findings in `gongkai check`, the PR summary and the build."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai.errors import ERROR, WARNING
from gongkai.gate import wording as W
from gongkai.read.wording import BUILTIN_FILE, PORTAL_FILE, _load, load_wording

BUILTIN = BUILTIN_FILE.read_text(encoding="utf-8")
TODAY = {"GONGKAI_TODAY": "2025-03-05"}

LOCAL = """
leaders:
  - name: 张三
    title: 县长
  - name: 李四
    titles: [县委副书记, 常务副县长]
    level: warning
terms:
  - word: 示列县
    correct: 示例县
    kind: 地名
    level: error
  - word: 红旗乡
    correct: 红旗镇
    kind: 地名
    since: 2025-01-01
  - word: 旅游局
    correct: 文化和旅游局
    kind: 机构改革
    except: [文化和旅游局, 文化广电新闻出版旅游局]
"""


def found(text: str, portal: str | None = LOCAL, created: date | None = date(2025, 6, 1)) -> list[tuple[str, str]]:
    """Returns (what was found, what it should be) for each finding in one text."""
    matcher = W.Matcher(_load(BUILTIN, portal))
    folded = W.normalized(text)
    lines = folded.split("\n")
    return [(lines[h.line][h.column : h.end], W.describe(h, "")[0]) for h in matcher.hits(folded, created)]


def problems(text: str, portal: str | None = LOCAL, created: date | None = date(2025, 6, 1)):
    matcher = W.Matcher(_load(BUILTIN, portal))
    return W.text_problems(matcher, "content/a.md", W.body_readings(text, 7), created)


# ---------------------------------------------------------------- each kind of entry


@pytest.mark.parametrize(
    "text, word, correct",
    [
        ("截止2025年底,全县共发放补助资金", "截止", "截至"),  # 错别字 in a date phrase
        ("数据截止目前已全部录入", "截止", "截至"),
        ("截止3月31日,已完成", "截止", "截至"),
        ("报名截至日期为5月1日", "截至日期", "截止日期"),
        ("这是一项震憾人心的成就", "震憾", "震撼"),
        ("积极参与“一带一路”战略建设", "一带一路”战略", "“一带一路”倡议"),  # 规范表述
        ("二零二五年工作要点", "二零二", "二〇二"),
        ("县国土资源局负责实施", "国土资源局", "自然资源局"),  # 机构改革
        ("报国家工商行政管理总局备案", "国家工商行政管理总局", "国家市场监督管理总局"),
        ("示列县人民政府", "示列县", "示例县"),  # 地名 of the portal's list
        ("红旗乡人民政府", "红旗乡", "红旗镇"),
    ],
)
def test_each_kind_of_entry_is_found_with_its_correct_form(text, word, correct):
    assert [(f, what.split(":")[0]) for f, what in found(text)] == [(word, f"应为“{correct}”")]


def test_an_expression_that_must_not_appear_says_why_and_refuses():
    (problem,) = problems("网上流传的“习大大”表情包")
    assert problem.severity == ERROR and "不得出现:对党和国家领导人不得使用昵称" in problem.message
    assert "须改正后才能发布" in problem.message
    (taiwan,) = problems("台湾总统选举")
    assert taiwan.severity == ERROR and "应为“台湾地区领导人”" in taiwan.message


def test_a_leaders_name_with_a_title_not_theirs():
    assert found("张三副县长出席会议") == [("张三副县长", "应为“张三县长”(张三的现任职务是县长,此处写作“副县长”)")]
    assert found("副县长张三出席会议") == [("副县长张三", "应为“县长张三”(张三的现任职务是县长,此处写作“副县长”)")]
    assert found("县委书记张三出席会议")[0][1].endswith("此处写作“县委书记”)")
    # Their own title, before or after; no title; a former title; another name that starts alike.
    for text in ("张三县长出席会议", "县长张三出席", "张三同志出席", "原副县长张三", "张三丰副县长", "李四常务副县长", "县委副书记李四", "李四副县长", "李四副书记"):
        assert found(text) == [], text
    # A title that leaves out a 副 is not theirs: a 常务副县长 is not 县长, a 县委副书记 not 书记.
    assert [f for f, _ in found("李四县长和李四书记")] == ["李四县长", "李四书记"]
    (problem,) = problems("李四县长。李四书记")
    assert problem.severity == WARNING  # the level of the leader's entry
    (problem,) = problems("张三副县长")
    assert problem.severity == ERROR  # leaders default to error


# ---------------------------------------------------------------- no false positive inside a correct word


@pytest.mark.parametrize(
    "text",
    [
        "报名截止日期为5月1日",  # 截止 not before a date
        "报名截止。2025年另行通知",  # a date in the next sentence... on the same line, but not right after
        "申报于4月30日截止",
        "截止到2025年底",  # 截止到 is correct
        "县文化和旅游局",  # the abolished 旅游局 inside its successor
        "县文化广电新闻出版旅游局",
        "原国土资源局的档案移交县自然资源局",  # 原: history
        "县农业农村局",  # 农业局 is not in it
        "各级文化部门",  # 文化部 + 门
        "农业部署",
        "国家矿山安全监察局",  # 监察局 after 安全
        "人文革新",  # 文革 inside two words
        "红旗乡人民政府",  # since: an item created before 2025 is not checked
    ],
)
def test_no_finding_inside_a_longer_correct_word_or_outside_its_context(text):
    assert found(text, created=date(2024, 12, 1)) == []


def test_allow_and_before_rules_of_the_portals_list():
    local = (
        "terms:\n  - word: 工业园\n    correct: 高新技术产业开发区\n    kind: 地名\n    before: 示例县\n"
        "allow: [工商局旧址]\n"
    )
    assert [f for f, _ in found("示例县工业园管委会", local)] == ["工业园"]
    assert found("城东工业园", local) == []  # before: only right after 示例县
    assert found("县工商局旧址修缮", local) == []  # inside an allowed word
    assert [f for f, _ in found("县工商局", local)] == ["工商局"]


def test_what_renders_alike_is_found_alike():
    # Invisible characters, blanks, full-width digits and emphasis do not hide a word from a reader.
    for text in ("截\u200b止2025年底", "截 止 2025 年底", "截止２０２５年底", "**截**止2025年底"):
        assert [p.message.split(":")[0].replace(" ", "") for p in problems(text)] == ["第1字“截止”"], text


def test_the_finding_names_the_line_the_character_and_the_words_around_it():
    body = "第一段。\n\n经统计，截止2025年底全县共有养老机构12家，床位1500张。"
    (problem,) = problems(body)
    assert problem.path == "content/a.md" and problem.line == 9  # the body starts on line 7
    assert problem.message.startswith("第5字 “截止”: 应为“截至”(表述检查·错别字;原文“经统计，截止2025年底全县共有养老…”)")
    twice = problems("截止目前，截止今年")
    assert len(twice) == 1 and "本行共 2 处" in twice[0].message


# ---------------------------------------------------------------- property


ENTRY = "国土资源局"
PIECES = list(ENTRY) + ["原", "县", "局", "自然", " ", "\n", "。", "国土", "资源", "土资", "张三", "县长", "副", "截", "止", "2025年"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_words_built_around_an_entry_without_containing_it_are_not_flagged(pieces):
    # Built from the entry's own characters and words around it: whatever a reader sees that is
    # not the entry (blanks are read through, a line feed is not) is never reported as it.
    text = "".join(pieces)
    flagged = [f for f, _ in found(text) if f.replace(" ", "") == ENTRY]
    if all(ENTRY not in line.replace(" ", "") for line in text.split("\n")):
        assert flagged == []
    else:
        assert flagged or any(("原" + ENTRY) in line.replace(" ", "") for line in text.split("\n"))
    # Nor is a leader without their name, nor 截止 where it is not.
    if "张三" not in text.replace(" ", ""):
        assert not any("张三" in what for _, what in found(text))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="截止至日期年月底2025目前时间报名于到", max_size=20))
def test_jiezhi_is_flagged_only_right_before_a_date(text):
    hits = [f for f, _ in found(text) if f == "截止"]
    expected = 0
    position = text.find("截止")
    while position >= 0:
        after = text[position + 2 :]
        if re.match(r"\d{1,4}年|\d{1,2}月|\d{1,2}日|目前", after):
            expected += 1
        position = text.find("截止", position + 1)
    assert len(hits) == expected


# ---------------------------------------------------------------- the portal's list


def test_malformed_entries_are_reported_at_their_line_and_left_out(tmp_path):
    (tmp_path / PORTAL_FILE).write_text(
        "terms:\n"
        "  - word: 甲\n"  # 2: neither correct nor reason
        "  - word: 乙\n    correct: 丙\n    level: fatal\n"  # 5: bad level
        "  - word: 丁\n    correct: 戊\n    after: '(('\n"  # 8: bad regex
        "  - word: 己\n    correct: 庚\n    colour: red\n"  # 11: unknown key
        "  - word: 旅游\n    correct: 文旅\n    except: [文化和旅游局, 公园]\n"  # 14: except must contain it
        "  - word: 辛\n    correct: 壬\n    since: 明年\n"  # 17
        "leaders:\n  - name: 王五\n"  # 19: no title
        "  - word: 癸\n    correct: 子\n",  # 20: leaders have no word
        encoding="utf-8",
    )
    wording = load_wording(tmp_path)
    shown: dict = {}
    for p in wording.problems:
        shown[(p.path, p.line)] = shown.get((p.path, p.line), "") + p.message
    assert "请写 correct" in shown[(PORTAL_FILE, 2)]
    assert "level 只能是" in shown[(PORTAL_FILE, 5)]
    assert "after 不是有效的正则表达式" in shown[(PORTAL_FILE, 8)]
    assert "未知字段 colour" in shown[(PORTAL_FILE, 11)]
    assert "except 中的每个词语都应包含“旅游”" in shown[(PORTAL_FILE, 14)]
    assert "since 应为日期" in shown[(PORTAL_FILE, 17)]
    assert "title(现任职务" in shown[(PORTAL_FILE, 19)]
    assert "未知字段 word" in shown[(PORTAL_FILE, 20)]
    assert not any(t.word in "甲乙丁己旅游辛癸" for t in wording.terms)
    assert not wording.leaders


def test_the_portal_can_switch_off_or_raise_a_builtin_entry():
    off = "terms:\n  - word: 工商局\n    correct: 市场监督管理局\n    level: off\n  - word: 震憾\n    correct: 震撼\n    level: error\n"
    assert found("县工商局", off) == []
    (problem,) = problems("震憾", off)
    assert problem.severity == ERROR


def test_an_unreadable_list_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / PORTAL_FILE).write_text("terms: [\n", encoding="utf-8")
    wording = load_wording(tmp_path)
    assert wording.problems and wording.problems[0].path == PORTAL_FILE
    assert wording.terms  # the built-in list still holds
    (tmp_path / PORTAL_FILE).write_bytes("terms: []\n# 甲\n".encode("gb18030"))
    assert "UTF-8" in load_wording(tmp_path).problems[0].message


def test_the_builtin_list_is_well_formed():
    wording = _load(BUILTIN, None)
    assert wording.problems == []
    assert {t.kind for t in wording.terms} >= {"规范表述", "禁用表述", "机构改革", "错别字"}


# ---------------------------------------------------------------- in the gate: check, summary, build


def _line(portal, rel, needle):
    text = (portal.root / "content" / rel).read_text(encoding="utf-8")
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_finding_in_each_field_and_in_the_body(portal):
    (portal.root / PORTAL_FILE).write_text(LOCAL, encoding="utf-8")
    portal.item(
        "xzf/a.md", "正文第一行。\n县国土资源局和县工商局联合检查。", title="关于截止2025年底养老机构情况的通报", summary="示列县养老机构",
        doc_no="示府字〔2025〕1号", source={"name": "国家旅游局网站", "url": "https://www.gov.cn/a.html"},
    )
    portal.sign("xzf/a.md")
    result = portal.run("check", env=TODAY)
    out = result.stdout
    path = "content/xzf/a.md"
    assert f"{path}:{_line(portal, 'xzf/a.md', 'title:')}: 警告: 标题第3字 “截止”: 应为“截至”" in out, out
    assert f"{path}:{_line(portal, 'xzf/a.md', 'summary:')}: 内容概述(summary)第1字 “示列县”: 应为“示例县”" in out, out
    assert f"{path}:{_line(portal, 'xzf/a.md', 'source:')}: 警告: 转载来源(source)第1字 “国家旅游局”: 应为“文化和旅游部”" in out, out
    body = _line(portal, "xzf/a.md", "国土资源局")
    assert f"{path}:{body}: 警告: 第2字 “国土资源局”: 应为“自然资源局”(表述检查·机构改革" in out
    assert f"{path}:{body}: 警告: 第9字 “工商局”: 应为“市场监督管理局”" in out
    # The error (示列县) refuses the item: it is not published, check fails, the build leaves it out.
    assert f"{path}: 已拒绝" in out and result.returncode == 1
    built = portal.build(env=TODAY)
    assert built.returncode == 0, built.stderr
    assert not (portal.site / "xzf" / "a").exists() and "示列县" in built.stderr
    assert portal.leaks("示列县") == []


def test_a_warning_passes_check_but_fails_strict(portal):
    portal.item("xzf/w.md", "截止目前，已全部完成。")
    portal.sign("xzf/w.md")
    result = portal.run("check", env=TODAY)
    assert result.returncode == 0 and "content/xzf/w.md: 已发布" in result.stdout
    assert "警告: 第1字 “截止”: 应为“截至”" in result.stdout
    assert portal.run("check", "--strict", env=TODAY).returncode == 1
    strict = portal.build("--strict", env=TODAY)
    assert strict.returncode == 1 and "应为“截至”" in strict.stderr


def test_the_error_level_fails_strict_and_refuses_the_item(portal):
    portal.item("xzf/e.md", "台湾总统就职")
    portal.sign("xzf/e.md")
    result = portal.run("check", "--json", env=TODAY)
    assert result.returncode == 1
    strict = portal.build("--strict", env=TODAY)
    assert strict.returncode == 1 and "应为“台湾地区领导人”" in strict.stderr


def test_a_pending_item_shows_its_findings_before_anyone_signs(portal):
    (portal.root / PORTAL_FILE).write_text(LOCAL, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(portal.root)], check=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"}
    subprocess.run(["git", "-C", str(portal.root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(portal.root), "commit", "-qm", "start"], check=True, env=env)
    portal.item("xzf/p.md", "张三副县长主持会议。截止2025年2月底完成。")
    portal.sign("xzf/p.md", stages=["初审"])
    line = _line(portal, "xzf/p.md", "张三")
    result = portal.run("check", env=TODAY)
    assert f"content/xzf/p.md:{line}: 第1字 “张三副县长”: 应为“张三县长”" in result.stdout  # error level: refused
    assert f"content/xzf/p.md:{line}: 警告: 第11字 “截止”: 应为“截至”" in result.stdout
    summary = portal.run("check", "--changed", "HEAD", env=TODAY)
    shown = summary.stdout.replace("\\", "").replace("\u2060", "")
    assert f"`content/xzf/p.md:{line}` 第1字 “张三副县长”" in shown, shown
    assert "应为“截至”" in shown


def test_the_stats_count_items_findings_and_fixes_per_unit_and_month(portal):
    subprocess.run(["git", "init", "-q", "-b", "main", str(portal.root)], check=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"}
    portal.item("xzf/a.md", "截止目前完成。震憾人心。")
    portal.item("xzf/b.md", "正文。")
    portal.item("fgj/c.md", "正文。", unit="fgj", index_no="11369999MB0000002B/2025-00001", created="2025-04-01", published="2025-04-02")
    subprocess.run(["git", "-C", str(portal.root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(portal.root), "commit", "-qm", "start"], check=True, env=env)
    portal.item("xzf/a.md", "截至目前完成。震憾人心。", index_no="11369999MB0000001A/2025-00001", title="测试信息1")  # one fixed
    for rel in ("xzf/a.md", "xzf/b.md", "fgj/c.md"):
        portal.sign(rel)
    result = portal.run("check", "--stats", "--json", env={"GONGKAI_TODAY": "2025-06-01"})
    assert result.returncode == 0, result.stderr
    rows = {(r["unit"], r["month"]): r for r in json.loads(result.stdout)["rows"]}
    march = rows[("xzf", "2025-03")]
    assert (march["items"], march["published"], march["warnings"], march["errors"], march["fixed"], march["with_findings"]) == (2, 2, 1, 0, 1, 1)
    assert march["rate"] == 0.5
    april = rows[("fgj", "2025-04")]
    assert (april["items"], april["warnings"], april["fixed"]) == (1, 0, 0)
    text = portal.run("check", "--stats", env={"GONGKAI_TODAY": "2025-06-01"})
    assert "测试县人民政府办公室\t2025-03\t2\t2\t0\t1\t1\t1\t50.0%" in text.stdout, text.stdout
    # The page for the 政务公开办: a workbook on its computer, never part of the site.
    from openpyxl import load_workbook

    out = portal.root.parent / "错误率.xlsx"
    assert portal.run("check", "--stats", "-o", str(out), env={"GONGKAI_TODAY": "2025-06-01"}).returncode == 0
    book = load_workbook(out)
    assert [c.value for c in book["错误率"][2]][:8] == ["测试县人民政府办公室", "2025-03", 2, 2, 0, 1, 1, 1]
    (finding,) = list(book["问题清单"].iter_rows(min_row=2, values_only=True))
    assert finding[:5] == ("测试县人民政府办公室", "2025-03", "content/xzf/a.md", _line(portal, "xzf/a.md", "震憾"), "警告") and "震憾" in finding[5]
    assert portal.run("check", "-o", str(out)).returncode == 2  # -o only with --stats


def test_a_change_to_the_list_is_flagged_in_the_summary(portal):
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(portal.root)], check=True)
    subprocess.run(["git", "-C", str(portal.root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(portal.root), "commit", "-qm", "start"], check=True, env=env)
    (portal.root / PORTAL_FILE).write_text("terms:\n  - word: 甲\n", encoding="utf-8")
    result = portal.run("check", "--changed", "HEAD", env=TODAY)
    assert "修改了表述检查词表" in result.stdout and "wording.yml:2" in result.stdout.replace("\\", "")
    assert result.returncode == 1  # the malformed entry is an error


def test_the_sample_portal_shows_a_warning_from_its_own_list():
    from tests.kit import REPO

    result = subprocess.run([sys.executable, "-m", "gongkai.cli", "check"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    findings = [line for line in result.stdout.splitlines() if W.TAG in line]
    source = (REPO / "content/fgj/2026/jiage-jiance-2026q1.md").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(source, 1) if "梅溪乡" in text)
    assert findings == [
        f"content/fgj/2026/jiage-jiance-2026q1.md:{line}: 警告: 第24字 “梅溪乡”: 应为“梅溪镇”:2026年1月起撤乡设镇"
        "(表述检查·地名;原文“…排，我局对城区及青石镇、梅溪乡共6个监测点的粮油、肉禽…”)"
    ]
    assert "content/fgj/2026/jiage-jiance-2026q1.md: 待发布" in result.stdout  # a pending item: reviewers see it before signing
