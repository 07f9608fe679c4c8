"""`gongkai check` on a tree of broken items: one precise `path:line: message` per problem."""
from __future__ import annotations

import json
import re

from gongkai.read.loader import read_text, split_front_matter


def test_broken_tree_reports_each_problem_once(portal):
    p = portal
    (p.root / "content/xzf").mkdir(parents=True)
    (p.root / "content/xzf/badyaml.md").write_text("---\ntitle: 测试\nunit: xzf\n  attribute: 主动公开\n---\n正文\n", encoding="utf-8")
    (p.root / "content/xzf/gbk.md").write_bytes("---\ntitle: 关于春节放假的通知\n---\n正文\n".encode("gbk"))
    p.item("xzf/category.md", category="通知公吿")
    p.item("xzf/dup1.md", index_no="11369999MB0000001A/2025-00042")
    p.item("xzf/dup2.md", index_no="11369999MB0000001A/2025-00042")
    p.item("xzf/date.md", created="2025-02-30")
    p.item("xzf/basis.md", attribute="部分公开")
    p.item("xzf/key.md", titel="拼写错误")
    p.item("xzf/unit.md", unit="xfz")
    p.item("xzf/attach.md", attachments=["../../../etc/passwd"])
    result = p.run("check", env={"GONGKAI_TODAY": "2025-03-05"})  # not overdue yet
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if re.match(r"^content/xzf/\S+:\d+: ", line)]
    expected = {
        "content/xzf/attach.md:9": "附件路径 ../../../etc/passwd 必须是本信息所在目录之内的相对路径",
        "content/xzf/badyaml.md:4": "YAML 格式错误",
        "content/xzf/basis.md:5": "公开属性为部分公开时必须写明法定理由 basis",
        "content/xzf/basis.md:10": "警告: 公开属性为部分公开,但正文中没有【不公开】…【/不公开】标记",
        "content/xzf/category.md:6": "目录类别 '通知公吿' 不存在,是否应为 通知公告?",
        "content/xzf/date.md:7": "日期 created(成文日期)格式错误:'2025-02-30'",
        # Neither is signed nor committed: the path sorting first keeps the number.
        "content/xzf/dup2.md:3": "索引号 11369999MB0000001A/2025-00042 已由 content/xzf/dup1.md 使用(这些文件都未提交到 Git,按路径排序在前的保留原索引号)",
        "content/xzf/gbk.md:2": "文件不是 UTF-8 编码,疑似 GBK/GB18030",
        "content/xzf/key.md:9": "未知字段 titel,是否应为 title(标题)?",
        "content/xzf/unit.md:4": "发布机构 'xfz' 未在 mkdocs.yml 的 extra.gongkai.units 中定义",
    }
    assert len(problems) == len(expected), "\n".join(problems)
    for line, (where, text) in zip(sorted(problems), sorted(expected.items())):
        assert line.startswith(where + ": "), (line, where)
        assert text in line, (line, text)
    assert "iconv -f GB18030 -t UTF-8" in result.stdout


def test_check_json_lists_states_and_problems(portal):
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md", stages=["初审"])
    portal.item("xzf/b.md", category="不存在的类别")
    result = portal.run("check", "--json")
    data = json.loads(result.stdout)
    states = {i["path"]: i for i in data["items"]}
    assert states["content/xzf/a.md"]["state"] == "hold"
    assert states["content/xzf/a.md"]["missing"] == ["复审", "终审", "保密审查"]
    assert states["content/xzf/b.md"]["state"] == "refuse"
    assert data["summary"]["errors"] == 1
    assert result.returncode == 1


def test_usage_errors_exit_2(portal):
    assert portal.run("sign").returncode == 2
    assert portal.run("check", "-f", "missing.yml").returncode == 2
    assert portal.run("frobnicate").returncode == 2


def test_settings_errors_name_the_key(portal):
    portal.write_settings(review_policy={"default": ["初审", "复审"]}, link_alowlist=["*.gov.cn"])
    result = portal.run("check")
    assert result.returncode == 1
    assert "extra.gongkai.link_alowlist: 未知设置,是否应为 link_allowlist?" in result.stderr
    assert "extra.gongkai.review_policy.default: 必须包含 保密审查" in result.stderr
    assert "Traceback" not in result.stderr
    build = portal.build()
    assert build.returncode == 1 and "link_alowlist" in build.stderr and "Traceback" not in build.stderr


def test_bom_and_crlf_are_accepted():
    text, problems = read_text("\ufeff---\r\ntitle: x\r\n---\r\n正文\r\n".encode("utf-8"), "a.md")
    assert problems == [] and text == "---\ntitle: x\n---\n正文\n"
    front, body, line = split_front_matter(text, "a.md")
    assert front == "title: x" and body == "正文\n" and line == 4


def test_missing_front_matter_is_one_clear_problem():
    problem = split_front_matter("# 只有正文\n", "a.md")
    assert str(problem).startswith("a.md:1: 缺少 front-matter")


def test_author_matter_and_replaced_by_are_known_fields_checked_where_written(portal):
    p = portal
    p.item("xzf/good.md", author="张三", matter="行政许可事项办理结果", validity="废止", repealed_on="2025-06-01", replaced_by="11369999MB0000001A/2025-00099")
    p.item("xzf/format.md", validity="失效", replaced_by="示政发〔2025〕1号")
    p.item("xzf/still-valid.md", replaced_by="11369999MB0000001A/2025-00098")
    p.item("xzf/number.md", author=12345)
    p.item("xzf/marker.md", matter="【不公开】内部事项【/不公开】")
    result = p.run("check")
    problems = [line for line in result.stdout.splitlines() if re.match(r"^content/xzf/\S+:\d+: ", line)]
    assert not [line for line in problems if line.startswith("content/xzf/good.md") and "警告" not in line], problems  # (unsigned: overdue)
    assert not [line for line in problems if "未知字段" in line], problems

    def at(prefix: str, text: str) -> None:
        assert any(line.startswith(prefix) and text in line for line in problems), (prefix, text, problems)

    at("content/xzf/format.md:10:", "replaced_by 应为取代本文件的新文件的索引号")
    at("content/xzf/still-valid.md:9:", "写了替代文件 replaced_by,但有效性仍为有效")
    at("content/xzf/number.md:9:", "字段 author(撰稿人)应为文字")
    at("content/xzf/marker.md:9:", "不公开")  # the gate reads every field, these three included
