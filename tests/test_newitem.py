"""`gongkai new`: next free 索引号 from the counter, never reused; a commented front-matter."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gongkai.errors import UsageError
from gongkai.law import schema
from gongkai.model import Verdict
from gongkai.portal import evaluate, load_context
from gongkai.read import yamlsafe
from gongkai.read.counter import render_counter
from gongkai.read.loader import load_item, split_front_matter
from gongkai.tools import new as newitem

XZF = "11369999MB0000001A"
FGJ = "11369999MB0000002B"


def new(portal, *args, today="2025-01-24", git_name=None):
    """Runs `gongkai new` with Git's configuration under the test's control: no user.name unless
    ``git_name`` (the machine's own ~/.gitconfig would otherwise fill the 撰稿人)."""
    gitconfig = portal.root.parent / "gitconfig"
    gitconfig.write_text(f"[user]\n\tname = {git_name}\n" if git_name else "", encoding="utf-8")
    env = {"GONGKAI_TODAY": today, "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}
    return portal.run("new", *args, env=env)


def counter(portal) -> dict:
    return yamlsafe.parse((portal.root / "content" / ".gongkai-index.yml").read_text(encoding="utf-8")).data


def test_new_numbers_per_unit_and_year_and_never_reuses_a_number(portal):
    first = new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-01-24", "关于春节假期值班安排的通知")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "content/xzf/2025/0124-00001.md"
    assert f"索引号 {XZF}/2025-00001" in first.stderr
    second = new(portal, "--unit", "xzf", "--category", "工作动态", "--date", "2025-02-08", "调休上班日开展安全检查")
    assert second.stdout.strip() == "content/xzf/2025/0208-00002.md"
    other_unit = new(portal, "--unit", "fgj", "--category", "通知公告", "--date", "2025-01-26", "节前物价检查")
    assert other_unit.stdout.strip() == "content/fgj/2025/0126-00001.md"
    next_year = new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2026-01-04", "元旦后上班")
    assert next_year.stdout.strip() == "content/xzf/2026/0104-00001.md"
    assert counter(portal) == {f"{XZF}/2025": 2, f"{FGJ}/2025": 1, f"{XZF}/2026": 1}

    # The item with 00002 is deleted: its number stays taken.
    (portal.root / second.stdout.strip()).unlink()
    third = new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-10-11", "国庆调休上班日通知")
    assert third.stdout.strip() == "content/xzf/2025/1011-00003.md"
    text = (portal.root / third.stdout.strip()).read_text(encoding="utf-8")
    assert f"index_no: {XZF}/2025-00003" in text


def test_new_continues_above_numbers_written_by_hand(portal):
    portal.item("xzf/2025/by-hand.md", index_no=f"{XZF}/2025-00007")
    made = new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-01-26", "调休日的通知")
    assert made.stdout.strip() == "content/xzf/2025/0126-00008.md"
    assert counter(portal)[f"{XZF}/2025"] == 8


def test_new_front_matter_explains_every_field_from_the_schema(portal):
    made = new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-01-20", '春节"安全"通知: 第一号 # 重要')
    path = portal.root / made.stdout.strip()
    text = path.read_text(encoding="utf-8")
    split = split_front_matter(text, "x")
    front = split[0]
    for spec in schema.FIELDS:  # every field, in the schema's order, with its Chinese label and help
        assert f"# {spec.label}(" in front, spec.key
        assert spec.help in front, spec.key
    positions = [front.index(f"# {spec.label}(") for spec in schema.FIELDS]
    assert positions == sorted(positions)
    meta = yamlsafe.parse(front).data
    assert meta == {
        "title": '春节"安全"通知: 第一号 # 重要',
        "index_no": f"{XZF}/2025-00001",
        "unit": "xzf",
        "attribute": "主动公开",
        "category": "通知公告",
        "created": "2025-01-20",
        "published": "2025-01-24",
    }
    # The deadline crosses 春节 and its two 调休 weekend days: 20 working days is 2月21日.
    assert "本条最迟 2025-02-21 发布" in front
    assert "由 gongkai sign 写入" in front


def test_new_item_is_valid_signable_and_publishes(portal):
    made = new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-09-28", "国庆节前安全生产检查的通知")
    rel = made.stdout.strip().removeprefix("content/")
    path = portal.root / "content" / rel
    path.write_text(path.read_text(encoding="utf-8") + "各乡镇:国庆中秋假期将至……\n", encoding="utf-8")
    settings, _ = load_context(portal.root, json.loads((portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"], "测试县")
    loaded = load_item(path, portal.root / "content", portal.root, settings)
    assert loaded.ok, loaded.problems
    portal.sign(rel)
    extra = json.loads((portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"]
    from datetime import date

    result = evaluate(portal.root, portal.root / "content", extra, "测试县", today=date(2025, 10, 11))
    decision = next(d for d in result.decisions if d.path == f"content/{rel}")
    assert decision.verdict is Verdict.PUBLISH, decision.reason
    # formed on the 调休 Sunday 9月28日: 29-30, 10月9-11日 (Saturday 11日 worked), then three weeks
    assert "本条最迟 2025-10-31 发布" in path.read_text(encoding="utf-8")


def test_new_for_other_attributes_and_interpretations_leaves_what_the_editor_must_fill(portal):
    made = new(portal, "--unit", "xzf", "--category", "通知公告", "--attribute", "依申请公开", "--date", "2025-02-08", "个人信息相关的决定")
    text = (portal.root / made.stdout.strip()).read_text(encoding="utf-8")
    meta = yamlsafe.parse(split_front_matter(text, "x")[0]).data
    assert meta["basis"] == "" and "published" not in meta
    check = portal.run("check", env={"GONGKAI_TODAY": "2025-02-10"})
    assert check.returncode == 1 and "必须写明法定理由 basis" in check.stdout

    interp = new(portal, "--unit", "xzf", "--category", "政策解读", "--date", "2025-02-08", "解读")
    text = (portal.root / interp.stdout.strip()).read_text(encoding="utf-8")
    assert 'interprets: ""' in text and "解读对象(政策解读必填)" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--unit", "xz", "--category", "通知公告", "T"], "是否应为 xzf"),
        (["--unit", "xzf", "--category", "通知", "T"], "是否应为 通知公告"),
        (["--unit", "xzf", "--category", "通知公告", "--attribute", "公开", "T"], "公开属性"),
        (["--unit", "xzf", "--category", "通知公告", "--date", "2025-02-30", "T"], "成文日期"),
        (["--unit", "xzf", "--category", "通知公告", "   "], "标题不能为空"),
    ],
)
def test_new_usage_errors_exit_2_and_write_nothing(portal, args, message):
    result = new(portal, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (portal.root / "content" / ".gongkai-index.yml").exists()
    assert not list((portal.root / "content").rglob("*.md"))


def test_bad_counter_file_stops_new(portal):
    (portal.root / "content" / ".gongkai-index.yml").write_text(f"{XZF}/2025: many\n", encoding="utf-8")
    result = new(portal, "--unit", "xzf", "--category", "通知公告", "T")
    assert result.returncode == 2 and "计数器" in result.stderr
    check = portal.run("check")
    assert "content/.gongkai-index.yml:1:" in check.stdout


def test_slug_and_existing_file(portal, tmp_path):
    extra = json.loads((portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"]
    settings, _ = load_context(portal.root, extra, "测试县")
    from datetime import date

    made = newitem.create_item(portal.root, portal.root / "content", settings, "xzf", "通知公告", "标题", created=date(2025, 2, 8), today=date(2025, 2, 8), slug="chunjie-zhiban")
    assert made.path == portal.root / "content/xzf/2025/chunjie-zhiban.md"
    assert made.index_no == f"{XZF}/2025-00001"
    with pytest.raises(FileExistsError):
        newitem.create_item(portal.root, portal.root / "content", settings, "xzf", "通知公告", "标题", created=date(2025, 2, 8), slug="chunjie-zhiban")
    assert counter(portal)[f"{XZF}/2025"] == 1  # refused before a number was taken
    with pytest.raises(UsageError):
        newitem.create_item(portal.root, portal.root / "content", settings, "xzf", "通知公告", "标题", slug="春节")


def test_check_reports_a_counter_behind_the_items(portal):
    new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-01-26", "调休日通知")
    portal.item("xzf/2025/merged.md", index_no=f"{XZF}/2025-00005")  # came from another branch
    check = portal.run("check", env={"GONGKAI_TODAY": "2025-02-08"})
    line = next(row for row in check.stdout.splitlines() if row.startswith("content/.gongkai-index.yml"))
    assert f"计数器 {XZF}/2025 为 1" in line and "2025-00005" in line and "content/xzf/2025/merged.md" in line and "请把计数器改为 5" in line
    assert render_counter({f"{XZF}/2025": 5}).strip().endswith(f"{XZF}/2025: 5")


def test_counter_file_is_ignored_by_the_loader_and_the_build_inputs(portal):
    new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-01-26", "调休日通知")
    check = portal.run("check", "--json", env={"GONGKAI_TODAY": "2025-01-27"})
    data = json.loads(check.stdout)
    assert [i["path"] for i in data["items"]] == ["content/xzf/2025/0126-00001.md"]
    assert not any(p["path"].endswith(".gongkai-index.yml") for p in data["problems"])
    assert Path(portal.root / "content" / ".gongkai-index.yml").read_text(encoding="utf-8").startswith("# gongkai 索引号计数器")


def _meta(portal, made):
    assert made.returncode == 0, made.stderr
    text = (portal.root / made.stdout.strip()).read_text(encoding="utf-8")
    return text, yamlsafe.parse(split_front_matter(text, "x")[0]).data


def test_new_fills_the_author_from_the_flag_then_git_config_else_leaves_it_to_the_editor(portal):
    _, meta = _meta(portal, new(portal, "--unit", "xzf", "--category", "通知公告", "--author", " 张  三 ", "--date", "2025-01-20", "甲", git_name="李四"))
    assert meta["author"] == "张 三"  # the flag wins over Git, spaces tidied
    _, meta = _meta(portal, new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-01-20", "乙", git_name="李四"))
    assert meta["author"] == "李四"
    text, meta = _meta(portal, new(portal, "--unit", "xzf", "--category", "通知公告", "--date", "2025-01-20", "丙"))
    assert "author" not in meta
    assert "# author:" in text and "撰稿人(选填)" in text
    # The filled item is valid: the loader knows the field.
    check = portal.run("check", env={"GONGKAI_TODAY": "2025-01-24"})
    assert "未知字段" not in check.stdout, check.stdout


def test_new_refuses_an_author_that_is_not_a_name(portal):
    result = new(portal, "--unit", "xzf", "--category", "通知公告", "--author", "张" * 51, "T")
    assert result.returncode == 2 and "撰稿人" in result.stderr
    assert not list((portal.root / "content").rglob("*.md"))
