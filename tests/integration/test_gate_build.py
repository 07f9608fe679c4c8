"""Every row of the SPEC §3 table, through a real `gongkai build`, with canaries scanned in every byte."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.kit import pdf_bytes


def canary(tag: str) -> str:
    return f"CANARY{tag}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def mixed(portal):
    """A portal with one item per row of the gate table; returns (portal, canaries by case)."""
    c = {name: canary(name) for name in (
        "public", "partialkept", "partialhidden", "ondemandbody", "ondemandtitle", "withheld",
        "pending", "future", "tampered", "badyaml", "strayfile", "csv", "symlinked", "undeclared", "unknownkey", "forged",
    )}
    p = portal
    p.item("xzf/public.md", f"公开正文 {c['public']}", title="主动公开的通知", attachments=["files/plan.pdf"])
    (p.root / "content/xzf/files").mkdir(parents=True)
    (p.root / "content/xzf/files/plan.pdf").write_bytes(pdf_bytes("declared attachment"))
    (p.root / "content/xzf/files/undeclared.pdf").write_bytes(f"{c['undeclared']}".encode())
    p.sign("xzf/public.md")
    p.item("xzf/partial.md", f"可以公开 {c['partialkept']}。\n\n【不公开】申请人张某住址 {c['partialhidden']}\n第二行也不公开【/不公开】\n\n结尾。",
           title="部分公开的答复", attribute="部分公开", basis="条例第十五条 个人隐私")
    p.sign("xzf/partial.md")
    p.item("xzf/ondemand.md", f"依申请公开的正文 {c['ondemandbody']}", title=f"依申请公开的信息{c['ondemandtitle']}",
           attribute="依申请公开", basis="条例第二十七条", published=None)
    p.sign("xzf/ondemand.md")
    p.item("xzf/withheld.md", f"不予公开 {c['withheld']}", title=f"不予公开{c['withheld']}", attribute="不予公开",
           basis="条例第十四条", published=None)
    p.sign("xzf/withheld.md")
    p.item("xzf/pending.md", f"待审 {c['pending']}", title=f"待审{c['pending']}")
    p.sign("xzf/pending.md", stages=["初审", "复审"])
    p.item("xzf/future.md", f"定时 {c['future']}", title=f"定时{c['future']}", published="2099-01-01")  # created earlier: signed now
    p.sign("xzf/future.md")
    p.item("xzf/tampered.md", "原文。", title="签名后被改")
    p.sign("xzf/tampered.md")
    path = p.root / "content/xzf/tampered.md"
    path.write_text(path.read_text(encoding="utf-8").replace("原文。", f"改过的正文 {c['tampered']}"), encoding="utf-8")
    p.item("xzf/forged.md", f"冒签 {c['forged']}", title="冒名签名")
    p.sign("xzf/forged.md", stages=["复审", "终审", "保密审查"])
    p.forge("xzf/forged.md", "初审", "chu", "stranger")  # a key nobody registered, in chu's name
    (p.root / "content/xzf/badyaml.md").write_text(f"---\ntitle: [未闭合\n---\n{c['badyaml']}\n", encoding="utf-8")
    p.item("xzf/unknownkey.md", f"{c['unknownkey']}", titel="拼错")
    (p.root / "content/xzf/draft.docx").write_bytes(f"draft {c['strayfile']}".encode())
    (p.root / "content/xzf/names.csv").write_text(f"name\n{c['csv']}\n", encoding="utf-8")
    outside = p.root / "outside.txt"
    outside.write_text(c["symlinked"], encoding="utf-8")
    os.symlink(outside, p.root / "content/xzf/link.txt")
    os.symlink(outside, p.root / "content/xzf/link.md")
    return p, c


def test_gate_publishes_exactly_what_passed_review(mixed):
    p, c = mixed
    result = p.build()
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    site = p.site
    public = (site / "xzf/public/index.html").read_text(encoding="utf-8")
    assert c["public"] in public and "主动公开的通知" in public
    assert (site / "xzf/files/plan.pdf").read_bytes().startswith(b"%PDF")
    partial = (site / "xzf/partial/index.html").read_text(encoding="utf-8")
    assert c["partialkept"] in partial
    assert "此处内容依法不予公开" in partial and "条例第十五条 个人隐私" in partial
    assert not (site / "xzf/ondemand").exists()
    for case in ("partialhidden", "ondemandbody", "withheld", "pending", "future", "tampered", "badyaml",
                 "strayfile", "csv", "symlinked", "undeclared", "unknownkey", "forged"):
        assert p.leaks(c[case]) == [], case
    # 依申请公开: its title may appear in the 依申请公开目录, but there is no page of its own.
    assert not any("ondemand" in str(f) for f in p.site_files())
    # Edited after signing: waits for re-review, a warning (no error); a signature by an unregistered key is refused.
    assert "content/xzf/tampered.md:" in result.stderr and "针对的不是当前内容" in result.stderr and "签名与内容不符" not in result.stderr
    assert "content/xzf/forged.md" in result.stderr and "不是该审核人在 reviewers.yml 中登记的密钥" in result.stderr
    assert "content/xzf/unknownkey.md:" in result.stderr and "titel" in result.stderr


def test_strict_build_fails_on_a_refused_signature(mixed):
    p, c = mixed
    result = p.build("--strict")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "content/xzf/forged.md" in result.stderr and "不是该审核人在 reviewers.yml 中登记的密钥" in result.stderr


def test_check_lists_every_state(mixed):
    p, _ = mixed
    result = p.run("check")
    assert result.returncode == 1  # refused items are problems
    out = result.stdout
    assert "content/xzf/public.md: 已发布" in out
    assert "content/xzf/pending.md: 待发布(待审:缺少终审、保密审查)" in out
    assert "content/xzf/future.md: 待发布(定时发布:2099-01-01 发布)" in out
    assert "content/xzf/withheld.md: 不予公开" in out
    assert "content/xzf/ondemand.md: 依申请公开(仅目录)" in out
    assert "content/xzf/tampered.md: 待发布(待审:内容已修改,须重新审核:初审(初审员)、复审(复审员)、终审(终审员)、保密审查(保密员))" in out
    assert "content/xzf/forged.md: 已拒绝" in out
    assert "content/xzf/badyaml.md:2: YAML 格式错误" in out
    assert "content/xzf/link.md:1: 警告: 符号链接或特殊文件不会被发布" in out


@pytest.mark.parametrize(
    "case",
    [
        {"secrecy": "秘密"},
        {"body": "本文件密级:秘密★5年"},
        {"body": "标注 機 密 ★ 的繁体写法"},
        {"title": "关于某事的通知(绝密★)"},
    ],
    ids=["secrecy-field", "mark-in-body", "traditional-spaced", "mark-in-title"],
)
def test_classified_material_fails_the_build(portal, case):
    secret = canary("secret")
    body = case.pop("body", "") + f" {secret}"
    portal.item("xzf/ok.md", "无关的已发布信息")
    portal.sign("xzf/ok.md")
    portal.item("xzf/secret.md", body, **case)  # not even signed: classified text must never be here
    result = portal.build()
    assert result.returncode == 1
    assert "content/xzf/secret.md:" in result.stderr and "构建已停止" in result.stderr
    assert "Traceback" not in result.stderr
    if portal.site.exists():
        assert portal.leaks(secret) == []


def test_unmasked_id_number_fails_the_build_and_masked_passes(portal):
    portal.item("xzf/masked.md", "申请人身份证号 110105********1234,已遮蔽。")
    portal.sign("xzf/masked.md")
    result = portal.build("--strict")
    assert result.returncode == 0, result.stderr  # masked numbers pass the scan
    assert portal.site.joinpath("xzf/masked/index.html").exists()
    leaked = canary("idcard")
    # 11010519491231002X has a valid check digit.
    portal.item("xzf/idcard.md", f"申请人 {leaked} 身份证号 11010519491231002X")
    portal.sign("xzf/idcard.md")
    result = portal.build()
    assert result.returncode == 1
    assert "content/xzf/idcard.md:" in result.stderr and "居民身份证号 110105********002X" in result.stderr
    if portal.site.exists():
        assert portal.leaks(leaked) == []
        assert portal.leaks("11010519491231002X") == []


def test_id_number_inside_a_withheld_span_is_published_redacted(portal):
    portal.item("xzf/p.md", "公开部分。【不公开】身份证号 11010519491231002X【/不公开】", attribute="部分公开", basis="条例第十五条 个人隐私")
    portal.sign("xzf/p.md")
    result = portal.build("--strict")
    assert result.returncode == 0, result.stderr
    assert (portal.site / "xzf/p/index.html").exists(), result.stderr
    assert portal.leaks("11010519491231002X") == []


def test_unbalanced_markers_refuse_the_item(portal):
    hidden = canary("unbalanced")
    portal.item("xzf/u.md", f"公开。\n【不公开】{hidden}\n没有结束标记", attribute="部分公开", basis="条例第十五条 个人隐私")
    portal.sign("xzf/u.md")  # signed: only the gate's refusal keeps it off the site
    result = portal.build()
    line = 1 + (portal.root / "content/xzf/u.md").read_text(encoding="utf-8").splitlines().index(f"【不公开】{hidden}")
    assert f"content/xzf/u.md:{line}: 【不公开】标记没有对应的【/不公开】" in result.stderr
    assert not (portal.site / "xzf/u/index.html").exists()
    assert portal.leaks(hidden) == []


def test_markers_in_an_item_that_is_not_partial_refuse_it(portal):
    hidden = canary("wrongattr")
    portal.item("xzf/w.md", f"公开。【不公开】{hidden}【/不公开】")
    portal.sign("xzf/w.md")
    result = portal.build()
    assert "正文含有【不公开】标记,但公开属性为主动公开" in result.stderr
    assert portal.leaks(hidden) == []


def test_near_miss_marker_refuses_the_item(portal):
    hidden = canary("nearmiss")
    portal.item("xzf/n.md", f"公开。[不公开]{hidden}[/不公开]", attribute="部分公开", basis="条例第十五条 个人隐私")
    portal.sign("xzf/n.md")
    result = portal.build()
    assert "疑似不公开标记写法不规范" in result.stderr
    assert portal.leaks(hidden) == []


def test_mkdocs_build_runs_the_same_gate(mixed):
    import subprocess
    import sys

    p, c = mixed
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=p.root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (p.site / "xzf/public/index.html").exists()
    for case in ("partialhidden", "pending", "tampered", "forged", "strayfile", "symlinked"):
        assert p.leaks(c[case]) == [], case
