"""A 索引号 held by several files: the published (or first committed) file keeps it, the newcomer is refused.

Real Git repositories: the commit that added a file decides between files whose signatures do not.
"""
from __future__ import annotations

import os
import shutil
import subprocess

XZF = "11369999MB0000001A"
NUMBER = f"{XZF}/2025-00003"
TODAY = {"GONGKAI_TODAY": "2025-03-05"}


def git(root, *args, when="2025-03-01T10:00:00+08:00"):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "信息联络员",
        "GIT_AUTHOR_EMAIL": "editor@example.gov.cn",
        "GIT_COMMITTER_NAME": "信息联络员",
        "GIT_COMMITTER_EMAIL": "editor@example.gov.cn",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def commit(portal, message, when):
    git(portal.root, "add", "-A")
    git(portal.root, "commit", "-q", "-m", message, when=when)


def repository(portal):
    git(portal.root, "init", "-q", "-b", "main")
    (portal.root / ".gitignore").write_text("site/\n", encoding="utf-8")


def index_line(portal, rel):
    text = (portal.root / "content" / rel).read_text(encoding="utf-8")
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("index_no:"))


def states(result) -> dict[str, str]:
    """Returns `gongkai check`'s state line of each item: path -> state."""
    found = {}
    for line in result.stdout.splitlines():
        path, _, state = line.partition(": ")
        if path.startswith("content/") and path.endswith(".md") and ":" not in path:
            found[path] = state
    return found


def refusal(portal, rel, keeper, why):
    return (
        f"content/{rel}:{index_line(portal, rel)}: 索引号 {NUMBER} 已由 content/{keeper} 使用({why}):"
        f"本文件如是新信息,请用 gongkai new 新建信息文件(它会分配新的索引号),把本文件的内容移过去后删除本文件;如是误复制,请删除本文件"
    )


def test_a_copy_of_a_published_item_is_the_error_and_the_original_stays_published(portal):
    repository(portal)
    portal.item("xzf/2025/0120-00003.md", "春节放假安排。", index_no=NUMBER, title="春节放假通知")
    portal.sign("xzf/2025/0120-00003.md")
    commit(portal, "春节放假通知", "2025-03-01T10:00:00+08:00")
    # A copy that kept the front-matter (and the signatures) as the start of a new notice: it sorts
    # before the original, and its changed body voids the copied signatures.
    shutil.copy(portal.root / "content/xzf/2025/0120-00003.md", portal.root / "content/xzf/2025/copy.md")
    path = portal.root / "content/xzf/2025/copy.md"
    path.write_text(path.read_text(encoding="utf-8").replace("春节放假安排。", "元宵节活动安排。"), encoding="utf-8")

    result = portal.run("check", env=TODAY)
    assert result.returncode == 1
    assert states(result)["content/xzf/2025/0120-00003.md"] == "已发布"
    assert states(result)["content/xzf/2025/copy.md"].startswith("已拒绝(索引号")
    message = refusal(portal, "xzf/2025/copy.md", "xzf/2025/0120-00003.md", "已公开的信息保留原索引号")
    assert message in result.stdout.splitlines()
    assert not [line for line in result.stdout.splitlines() if line.startswith("content/xzf/2025/0120-00003.md:") and "索引号" in line]

    # The pre-commit hook's view: the copy is the one change, and the error is on its row.
    summary = portal.run("check", "--changed", "HEAD", env=TODAY)
    assert summary.returncode == 1
    assert "已由 content/xzf/2025/0120-00003.md 使用(已公开的信息保留原索引号)" in summary.stdout.replace("\\", "")
    assert "content/xzf/2025/0120-00003.md`" not in summary.stdout.replace("\u2060", "")

    built = portal.build(env=TODAY)
    assert built.returncode == 0, built.stderr
    assert portal.leaks("春节放假安排") and not portal.leaks("元宵节活动安排")


def test_between_two_unsigned_files_the_one_committed_first_keeps_the_number(portal):
    repository(portal)
    portal.item("xzf/b-old.md", "先提交的。", index_no=NUMBER)
    commit(portal, "old", "2025-03-01T10:00:00+08:00")
    portal.item("xzf/a-new.md", "后提交的。", index_no=NUMBER)  # sorts first, committed later
    commit(portal, "new", "2025-03-02T10:00:00+08:00")

    result = portal.run("check", env=TODAY)
    assert states(result)["content/xzf/b-old.md"].startswith("待发布(待审")
    assert states(result)["content/xzf/a-new.md"].startswith("已拒绝")
    assert refusal(portal, "xzf/a-new.md", "xzf/b-old.md", "先提交到 Git 的保留原索引号") in result.stdout.splitlines()


def test_a_file_not_yet_committed_loses_to_a_committed_one(portal):
    repository(portal)
    portal.item("xzf/z-committed.md", index_no=NUMBER)
    commit(portal, "committed", "2025-03-01T10:00:00+08:00")
    portal.item("xzf/a-untracked.md", index_no=NUMBER)
    git(portal.root, "add", "content/xzf/a-untracked.md")  # staged is not committed either

    result = portal.run("check", env=TODAY)
    assert refusal(portal, "xzf/a-untracked.md", "xzf/z-committed.md", "先提交到 Git 的保留原索引号") in result.stdout.splitlines()
    assert "content/xzf/z-committed.md:" + str(index_line(portal, "xzf/z-committed.md")) not in result.stdout


def test_a_renamed_original_is_as_old_as_its_first_commit_and_a_signed_copy_does_not_win(portal):
    """An exact copy (signatures included, they still verify: the path is not signed) committed
    after the original loses, even after the original was moved: renames are followed, copies not."""
    repository(portal)
    portal.item("xzf/m-original.md", index_no=NUMBER)
    portal.sign("xzf/m-original.md")
    commit(portal, "original", "2025-03-01T10:00:00+08:00")
    shutil.copy(portal.root / "content/xzf/m-original.md", portal.root / "content/xzf/a-copy.md")
    commit(portal, "copy", "2025-03-02T10:00:00+08:00")
    git(portal.root, "mv", "content/xzf/m-original.md", "content/xzf/z-moved.md")
    commit(portal, "move", "2025-03-03T10:00:00+08:00")

    result = portal.run("check", env=TODAY)
    assert states(result)["content/xzf/z-moved.md"] == "已发布"
    assert refusal(portal, "xzf/a-copy.md", "xzf/z-moved.md", "签名都有效,先提交到 Git 的保留原索引号") in result.stdout.splitlines()


def test_without_git_the_path_sorting_first_keeps_the_number_whatever_the_reading_order(portal):
    for rel in ("xzf/c.md", "xzf/a.md", "xzf/b.md"):
        portal.item(rel, index_no=NUMBER)
    result = portal.run("check", env=TODAY)
    why = "这些文件都未提交到 Git,按路径排序在前的保留原索引号"
    lines = result.stdout.splitlines()
    assert refusal(portal, "xzf/b.md", "xzf/a.md", why) in lines and refusal(portal, "xzf/c.md", "xzf/a.md", why) in lines
    assert states(result)["content/xzf/a.md"].startswith("待发布")
