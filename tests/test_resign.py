"""Re-review after an edit: stale signatures wait (待审), re-signing replaces a stage's signature,
`gongkai unsign` clears what no longer verifies. Real OpenSSH signatures, real builds."""
from __future__ import annotations

import json
import uuid

import pytest

from gongkai.model import Verdict
from tests.test_review import decision


def canary(tag: str) -> str:
    return f"CANARY{tag}{uuid.uuid4().hex[:12]}"


def edit(portal, rel: str, old: str, new: str) -> None:
    path = portal.root / "content" / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def stages_of(portal, rel: str) -> list[str]:
    from gongkai.read.loader import load_item

    item = load_item(portal.root / "content" / rel, portal.root / "content", portal.root, None).item
    assert item is not None
    return [r.stage for r in item.reviews]


def test_edit_after_signing_waits_naming_stages_and_people_then_re_signing_publishes(portal):
    portal.item("xzf/a.md", "原文。")
    portal.sign("xzf/a.md")
    edit(portal, "xzf/a.md", "原文。", "改过的正文。")
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.HOLD
    assert [(s.stage, s.by, s.name) for s in d.stale] == [("初审", "chu", "初审员"), ("复审", "fu", "复审员"), ("终审", "zhong", "终审员"), ("保密审查", "bm", "保密员")]
    assert d.missing == ("初审", "复审", "终审", "保密审查")

    portal.sign("xzf/a.md", stages=["初审", "保密审查"])
    assert stages_of(portal, "xzf/a.md") == ["初审", "复审", "终审", "保密审查"]  # replaced in place: one a stage
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.HOLD
    assert d.reason == "待审:内容已修改,须重新审核:复审(复审员)、终审(终审员)"

    portal.sign("xzf/a.md", stages=["复审", "终审"])
    assert stages_of(portal, "xzf/a.md") == ["初审", "复审", "终审", "保密审查"]
    assert decision(portal, "xzf/a.md").verdict is Verdict.PUBLISH


def test_stale_and_never_signed_stages_are_both_named(portal):
    portal.item("xzf/a.md", "原文。")
    portal.sign("xzf/a.md", stages=["初审", "保密审查"])
    edit(portal, "xzf/a.md", "原文。", "新文。")
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.HOLD
    assert d.reason == "待审:内容已修改,须重新审核:初审(初审员)、保密审查(保密员);另缺少复审、终审"


def test_front_matter_edit_is_stale_too(portal):
    portal.item("xzf/a.md", "正文。", title="原标题")
    portal.sign("xzf/a.md")
    edit(portal, "xzf/a.md", "原标题", "新标题")
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.HOLD and len(d.stale) == 4


def test_a_stale_signature_beside_a_refused_one_still_refuses(portal):
    portal.item("xzf/a.md", "原文。")
    portal.sign("xzf/a.md", stages=["复审", "终审", "保密审查"])
    edit(portal, "xzf/a.md", "原文。", "新文。")
    portal.forge("xzf/a.md", "初审", "chu", "stranger")
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE
    assert "不是该审核人在 reviewers.yml 中登记的密钥" in d.reason


@pytest.mark.parametrize(
    "who,key,reason",
    [
        ("chu", "stranger", "不是该审核人在 reviewers.yml 中登记的密钥"),  # unknown key in a reviewer's name
        ("chu", "fu", "不是该审核人在 reviewers.yml 中登记的密钥"),  # a key registered to someone else
        ("stranger", "stranger", "不在 reviewers.yml 中"),  # unknown reviewer
        ("fu", "fu", "无权进行初审"),  # wrong role
    ],
)
def test_a_signature_nobody_entitled_made_refuses_even_after_an_edit(portal, who, key, reason):
    portal.item("xzf/a.md", "原文。")
    portal.forge("xzf/a.md", "初审", who, key)
    edit(portal, "xzf/a.md", "原文。", "新文。")  # no longer verifies either way: still no 待审
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE and not d.stale
    assert reason in d.reason


def test_signature_dated_before_created_is_refused_not_stale(portal):
    portal.item("xzf/a.md", "原文。", created="2025-03-01", published="2025-03-10")
    portal.sign("xzf/a.md", stages=["初审"], at="2025-03-02T10:00:00+08:00")
    edit(portal, "xzf/a.md", '"2025-03-01"', '"2025-03-05"')  # the signing time now precedes created
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE and "早于成文日期" in d.reason


def test_malformed_signature_is_refused(portal):
    portal.item("xzf/a.md", "原文。")
    portal.sign("xzf/a.md", stages=["初审"])
    path = portal.root / "content/xzf/a.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if "BEGIN SSH SIGNATURE" in line)
    lines[at + 1] = "      " + "A" * 70
    path.write_text("\n".join(lines), encoding="utf-8")
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE and not d.stale


def test_re_signing_a_valid_stage_replaces_it_and_leaves_other_stages_alone(portal):
    portal.item("xzf/a.md", "正文。")
    portal.sign("xzf/a.md", stages=["初审", "复审"], at="2025-03-02T10:00:00+08:00")
    before = (portal.root / "content/xzf/a.md").read_text(encoding="utf-8")
    fu_block = before[before.index('- stage: "复审"') :]
    portal.sign("xzf/a.md", stages=["初审"], signer={"初审": "multi"})
    after = (portal.root / "content/xzf/a.md").read_text(encoding="utf-8")
    assert stages_of(portal, "xzf/a.md") == ["初审", "复审"]
    assert '    by: "multi"' in after and '    by: "chu"' not in after
    assert fu_block in after  # the other stage's signature is byte for byte what it was
    assert after.count("reviews:") == 1


def test_sign_and_unsign_through_the_command_line(portal):
    portal.item("xzf/a.md", "原文。")
    portal.sign("xzf/a.md")
    edit(portal, "xzf/a.md", "原文。", "新文。")
    result = portal.run("sign", "content/xzf/a.md", "--stage", "初审", "--as", "chu", "--key", str(portal.keys["chu"]))
    assert result.returncode == 0, result.stderr
    assert "已替换原有的初审签名:chu" in result.stdout and "内容已修改" in result.stdout

    check = json.loads(portal.run("check", "--json").stdout)
    row = next(i for i in check["items"] if i["path"] == "content/xzf/a.md")
    assert row["state"] == "hold" and row["missing"] == ["复审", "终审", "保密审查"]
    assert row["stale"] == [{"stage": "复审", "by": "fu", "name": "复审员"}, {"stage": "终审", "by": "zhong", "name": "终审员"}, {"stage": "保密审查", "by": "bm", "name": "保密员"}]
    assert row["reason"] == "待审:内容已修改,须重新审核:复审(复审员)、终审(终审员)、保密审查(保密员)"

    result = portal.run("unsign", "content/xzf/a.md", "--stage", "保密审查")
    assert result.returncode == 0, result.stderr
    assert "已清除:content/xzf/a.md 保密审查 bm" in result.stdout
    assert stages_of(portal, "xzf/a.md") == ["初审", "复审", "终审"]

    result = portal.run("unsign", "content/xzf/a.md")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("已清除:") == 2 and "复审 fu" in result.stdout and "终审 zhong" in result.stdout
    assert stages_of(portal, "xzf/a.md") == ["初审"]  # the valid signature stays
    assert decision(portal, "xzf/a.md").reason == "待审:缺少复审、终审、保密审查"

    result = portal.run("unsign", "content/xzf/a.md")
    assert result.returncode == 0 and "没有已失效的签名" in result.stdout
    assert portal.run("unsign", "content/xzf/a.md", "--stage", "三审").returncode == 2
    assert portal.run("unsign", "content/xzf/nothing.md").returncode == 2

    result = portal.run("unsign", "content/xzf/a.md", "--stage", "初审")
    assert result.returncode == 0 and "仍然有效" in result.stdout
    text = (portal.root / "content/xzf/a.md").read_text(encoding="utf-8")
    assert "reviews: []" in text
    assert decision(portal, "xzf/a.md").reason == "待审:缺少初审、复审、终审、保密审查"
    portal.sign("xzf/a.md")  # the emptied block takes signatures again
    assert decision(portal, "xzf/a.md").verdict is Verdict.PUBLISH


def test_unsign_keeps_the_template_comment_and_refuses_a_broken_item(portal):
    path = portal.item("xzf/a.md", "原文。")
    text = path.read_text(encoding="utf-8").replace("---\n原文。", "# 审核签名(发布前必填):审核签名列表(由 gongkai sign 写入,请勿手工编辑)\n---\n原文。")
    path.write_text(text, encoding="utf-8")
    portal.sign("xzf/a.md")
    edit(portal, "xzf/a.md", "原文。", "新文。")
    assert portal.run("unsign", "content/xzf/a.md").returncode == 0
    after = path.read_text(encoding="utf-8")
    assert "# 审核签名(发布前必填):审核签名列表(由 gongkai sign 写入,请勿手工编辑)\nreviews: []\n---\n新文。" in after
    edit(portal, "xzf/a.md", "unit:", "unti:")
    result = portal.run("unsign", "content/xzf/a.md")
    assert result.returncode == 1 and "信息有错误" in result.stderr


def test_an_item_waiting_for_re_review_publishes_none_of_it_and_stops_a_strict_build(portal):
    secret = canary("edited")
    portal.item("xzf/ok.md", "已审核的信息。")
    portal.sign("xzf/ok.md")
    portal.item("xzf/a.md", "原文。")
    portal.sign("xzf/a.md")
    edit(portal, "xzf/a.md", "原文。", f"签名后改过 {secret}")
    result = portal.build()
    assert result.returncode == 0, result.stderr
    assert (portal.site / "xzf/ok/index.html").exists()
    assert not (portal.site / "xzf/a").exists()
    assert portal.leaks(secret) == []
    assert "content/xzf/a.md:" in result.stderr and "针对的不是当前内容" in result.stderr
    strict = portal.build("--strict")  # a copied signature looks the same: CI's strict build stops
    assert strict.returncode == 1
    assert portal.leaks(secret) == []
