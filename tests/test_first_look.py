"""Every problem at the first look: ID numbers, 密级 marks and disclosure markers of items nobody
has signed yet are in `gongkai check` and in the summary of `gongkai check --changed` (which the
pre-commit hook runs), each at its path:line, so that the 保密审查 reviewer sees them before signing."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.kit import REPO

ID = "11010519491231002X"  # valid check digit
MASKED = "110105********002X"
TODAY = {"GONGKAI_TODAY": "2025-03-05"}


def git(root, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "联络员", "GIT_AUTHOR_EMAIL": "a@example.gov.cn", "GIT_COMMITTER_NAME": "联络员", "GIT_COMMITTER_EMAIL": "a@example.gov.cn"}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def body_line(portal, rel, needle):
    text = (portal.root / "content" / rel).read_text(encoding="utf-8")
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def drafts(portal):
    """A Git repository with one commit, and unsigned items (not committed: as before a commit)."""
    git(portal.root, "init", "-q", "-b", "main")
    (portal.root / ".gitignore").write_text("site/\n", encoding="utf-8")
    portal.item("xzf/ok.md")
    portal.sign("xzf/ok.md")
    git(portal.root, "add", "-A")
    git(portal.root, "commit", "-q", "-m", "start")
    portal.item("xzf/id.md", f"申请人身份证号 {ID}。")
    portal.item("xzf/mark.md", "机密★ 文件。")
    portal.item("xzf/marker.md", "正文【不公开】姓名【/不公开】。")
    (portal.root / "content/xzf/files").mkdir()
    (portal.root / "content/xzf/files/id.txt").write_text(f"名单\n张三 {ID}\n", encoding="utf-8")
    (portal.root / "content/xzf/files/mark.txt").write_text("秘密★1年\n", encoding="utf-8")
    (portal.root / "content/xzf/files/marker.txt").write_text("【不公开】李四【/不公开】\n", encoding="utf-8")
    portal.item("xzf/att-id.md", attachments=["files/id.txt"])
    portal.item("xzf/att-mark.md", attachments=["files/mark.txt"])
    portal.item("xzf/att-marker.md", attachments=["files/marker.txt"])
    portal.item("xzf/broken.md", f"身份证号 {ID}。", category="通知公吿")  # a schema error does not hide it
    portal.sign("xzf/id.md", stages=["初审"])  # one stage of four: still pending
    return portal


def expected(portal) -> dict[str, str]:
    def at(rel, key):
        return f"content/{rel}:{body_line(portal, rel, key)}"

    return {
        at("xzf/id.md", ID): f"警告: 待审信息正文中有未遮蔽的居民身份证号 {MASKED}",
        at("xzf/mark.md", "机密★"): "正文中出现密级标志“机密★”",
        at("xzf/marker.md", "【不公开】"): "正文含有【不公开】标记,但公开属性为主动公开",
        at("xzf/att-id.md", "files/id.txt"): f"警告: 待审信息附件 files/id.txt 中有未遮蔽的居民身份证号 {MASKED}",
        at("xzf/att-mark.md", "files/mark.txt"): "附件 files/mark.txt 中出现密级标志“秘密★”",
        at("xzf/att-marker.md", "files/marker.txt"): "附件 files/marker.txt 中有不公开标记“【不公开】”",
        at("xzf/broken.md", ID): f"警告: 未发布的信息正文中有未遮蔽的居民身份证号 {MASKED}",
        at("xzf/broken.md", "category:"): "目录类别 '通知公吿' 不存在",
    }


def test_check_lists_the_problems_of_unsigned_items_at_their_lines(drafts):
    result = drafts.run("check", env=TODAY)
    lines = result.stdout.splitlines()
    for where, message in expected(drafts).items():
        assert any(line.startswith(f"{where}: {message}") for line in lines), (where, message, result.stdout)
    assert result.returncode == 1
    # A 密级 mark stops the build whether or not anyone signed, in the body or in an attachment.
    state = {line.split(": ")[0]: line.split(": ", 1)[1] for line in lines if line.startswith("content/xzf/") and ".md: " in line}
    assert state["content/xzf/mark.md"].startswith("构建失败") and state["content/xzf/att-mark.md"].startswith("构建失败")
    assert state["content/xzf/id.md"].startswith("待发布(待审") and state["content/xzf/att-id.md"].startswith("待发布(待审")
    assert state["content/xzf/marker.md"].startswith("已拒绝") and state["content/xzf/att-marker.md"].startswith("已拒绝")
    built = drafts.build(env=TODAY)
    assert built.returncode == 1 and "附件 files/mark.txt 中出现密级标志" in built.stderr


def test_the_changed_summary_and_the_pre_commit_hook_show_them_too(drafts):
    result = drafts.run("check", "--changed", "HEAD", env=TODAY)
    shown = result.stdout.replace("\\", "").replace("\u2060", "")
    for where, message in expected(drafts).items():
        icon = "⚠️" if message.startswith("警告: ") else "❌"
        assert f"- {icon} `{where}` {message.removeprefix('警告: ')}" in shown, (where, message, shown)
    assert result.returncode == 1

    # The pre-commit hook runs that command: the commit is stopped, and the warnings shown with the errors.
    shim = drafts.root.parent / "bin" / "gongkai"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gongkai.cli "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shim.parent}:{os.environ['PATH']}", **TODAY}
    hook = subprocess.run(["sh", str(REPO / "ci" / "pre-commit-hook.sh")], cwd=drafts.root, capture_output=True, text=True, env=env)
    assert hook.returncode == 1 and "提交已取消" in hook.stderr
    told = hook.stderr.replace("\\", "").replace("\u2060", "")
    for where, message in expected(drafts).items():
        assert f"`{where}` {message.removeprefix('警告: ')}" in told, (where, message)


def test_a_scheduled_item_with_an_id_number_is_reported_before_its_date(portal):
    portal.item("xzf/later.md", f"身份证号 {ID}。", published="2025-04-01")
    portal.sign("xzf/later.md")
    result = portal.run("check", env=TODAY)
    line = body_line(portal, "xzf/later.md", ID)
    assert f"content/xzf/later.md:{line}: 警告: 定时发布(2025-04-01)的信息正文中有未遮蔽的居民身份证号 {MASKED}" in result.stdout
    assert "content/xzf/later.md: 待发布(定时发布:2025-04-01 发布)" in result.stdout
    # On its date the same item stops the build, as a published one does.
    on_the_day = portal.run("check", env={"GONGKAI_TODAY": "2025-04-01"})
    assert f"content/xzf/later.md:{line}: 正文中有未遮蔽的居民身份证号 {MASKED}" in on_the_day.stdout
    assert "content/xzf/later.md: 构建失败" in on_the_day.stdout
