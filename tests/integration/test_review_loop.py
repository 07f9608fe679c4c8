"""The whole review loop on a real Git repository with branches, the reviewers working in headless
Chromium with the keyboard only:

editor `gongkai new` → push → PR summary (`check --changed`) → each reviewer signs from the review
desk → commit and push from the desk → the editor edits → the desk shows 须重新审核 → the
reviewers sign again → merge → `gongkai build --strict` publishes the item dated by its last
signature, not by the earlier date the editor typed.

Every desk page is checked by axe-core (no serious or critical violation) and photographed into
tests/screenshots/ (ignored by Git)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.browser.cdp import Chromium
from tests.browser.sample import REPO
from tests.integration import test_browser as shared
from tests.integration.test_browser import axe_violations
from tests.kit import ALL_STAGES, STAGE_SIGNER, Portal, git, require, start_desk, stop_server

pytestmark = pytest.mark.browser

SHOTS = REPO / "tests" / "screenshots"
TITLE = "示例县关于开展冬季消防安全检查的通知"
CHINA = timezone(timedelta(hours=8))


# test_browser.py's Chromium (skips locally without it, fails in CI).
browser = shared.browser


def checked_page(browser: Chromium, name: str) -> str:
    """Checks the page now shown (no script error, axe) and writes its screenshot; returns its text."""
    assert not browser.errors(), browser.errors()
    violations = axe_violations(browser)
    assert not violations, "\n".join(violations)
    browser.screenshot(SHOTS / f"desk-{name}.png")
    return browser.evaluate("document.body.innerText")


def press(browser: Chromium, key: str, code: str, text: str = "", navigates: bool = False, timeout: float = 60) -> None:
    """Presses a key; when it submits a form or follows a link, waits for the next page's load."""
    browser.events.clear()
    browser.key(key, code, text)
    if navigates:
        browser.wait_for("document.readyState === 'complete' && !!document.querySelector('main')", timeout=timeout)
        browser.pump(0.2)


def tab_to(browser: Chromium, condition: str, limit: int = 60) -> None:
    """Presses Tab until the focused element satisfies ``condition`` (JS over `el`)."""
    for _ in range(limit):
        browser.key("Tab", "Tab")
        if browser.evaluate(f"(el => !!el && ({condition}))(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


def follow(browser: Chromium, condition: str) -> None:
    """Tabs to a link or button and presses Enter, waiting for the page it opens."""
    before = browser.evaluate("location.href + '#' + performance.timeOrigin")
    tab_to(browser, condition)
    press(browser, "Enter", "Enter", "\r")
    browser.wait_for(f"location.href + '#' + performance.timeOrigin !== {before!r}", timeout=60)
    browser.wait_for("document.readyState === 'complete' && !!document.querySelector('main')", timeout=60)
    browser.pump(0.2)


def sign_at_desk(browser: Chromium, portal: Portal, stage: str, expect_stale: bool, shots: bool) -> None:
    """One reviewer's turn: open the desk, find the item, sign the stage, commit, push."""
    reviewer = STAGE_SIGNER[stage]
    desk = start_desk(portal.root, "--key", str(portal.keys[reviewer]))
    try:
        browser.load(desk.url)
        text = checked_page(browser, f"queue-{stage}{'-again' if expect_stale else ''}") if shots else browser.evaluate("document.body.innerText")
        assert "待您审核(1)" in text and TITLE in text, text
        assert ("须重新审核" in text) == expect_stale, text
        follow(browser, f"el.tagName === 'A' && el.textContent.includes({TITLE!r})")
        text = checked_page(browser, f"item-{stage}{'-again' if expect_stale else ''}") if shots else browser.evaluate("document.body.innerText")
        assert "审核预览" in text and "改动" in text and f"签署{stage}" in text
        if expect_stale:
            assert "内容已修改,须重新审核" in text
        # The preview inside the page: the draft page as it will be published, marked as a draft.
        browser.wait_for("(() => { const d = document.querySelector('iframe').contentDocument; return d && d.body && d.body.innerText.includes('审核预览·未发布'); })()", timeout=90)
        tab_to(browser, "el.type === 'checkbox'")
        press(browser, " ", "Space", " ")
        assert browser.evaluate("document.activeElement.checked")
        follow(browser, f"el.tagName === 'BUTTON' && el.textContent === '签署{stage}'")
        text = browser.evaluate("document.body.innerText")
        assert f"已签署{stage}" in text, text
        if shots:
            checked_page(browser, f"signed-{stage}")
        follow(browser, "el.tagName === 'BUTTON' && el.textContent === '提交签名'")
        assert "已提交 1 个文件的签名" in browser.evaluate("document.body.innerText")
        follow(browser, "el.tagName === 'BUTTON' && el.textContent.startsWith('推送分支')")
        text = browser.evaluate("document.body.innerText")
        assert "已推送分支 pr-xiaofang" in text, text
    finally:
        stop_server(desk.process)


def test_the_whole_review_loop_in_the_browser(browser, portal: Portal, tmp_path: Path):
    require("git")
    root = portal.root
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("site/\n.cache/\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "portal")
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main")

    # The editor: a new item on a branch, pushed.
    git(root, "checkout", "-qb", "pr-xiaofang")
    today = datetime.now(CHINA).date()
    created = today - timedelta(days=12)
    run = portal.run("new", "--unit", "xzf", "--category", "通知公告", "--author", "张三", "--date", created.isoformat(), "--slug", "xiaofang", TITLE)
    assert run.returncode == 0, run.stderr
    path = root / run.stdout.strip()
    typed = created + timedelta(days=2)  # the day the editor meant to publish: before any signature
    text = re.sub(r"^published: \S+", f"published: {typed}", path.read_text(encoding="utf-8"), flags=re.M)
    path.write_text(text + "各乡镇、各部门:\n\n请于本月底前完成辖区内消防安全检查。\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "new item")
    git(root, "push", "-q", "-u", "origin", "pr-xiaofang")

    # The pull request's summary: the item waits for all four stages.
    summary = portal.run("check", "--changed", "origin/main")
    assert TITLE in summary.stdout and "待审" in summary.stdout, summary.stdout
    for stage in ALL_STAGES:
        assert stage in summary.stdout

    # Each reviewer signs from the desk, commits and pushes.
    for n, stage in enumerate(ALL_STAGES):
        sign_at_desk(browser, portal, stage, expect_stale=False, shots=n == 0)
    assert git(origin, "log", "--format=%s", "pr-xiaofang").count("审核签名") == 4

    # The editor changes the text after the signatures: every stage must be signed again.
    text = path.read_text(encoding="utf-8").replace("本月底前", "12月25日前")
    path.write_text(text, encoding="utf-8")
    git(root, "commit", "-qam", "fix the deadline")
    git(root, "push", "-q")
    for n, stage in enumerate(ALL_STAGES):
        sign_at_desk(browser, portal, stage, expect_stale=True, shots=n == 0)

    # Merge, and build main strictly: the item is published, dated by its last signature.
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "merge", "pr-xiaofang")
    build = portal.build("--strict")
    assert build.returncode == 0, build.stderr[-3000:]
    page = (portal.site / "xzf" / str(created.year) / "xiaofang" / "index.html").read_text(encoding="utf-8")
    assert TITLE in page and "12月25日前" in page and "本月底前" not in page
    assert "审核预览" not in page
    shown = re.search(r"发布日期[^0-9]{0,80}?(\d{4}-\d{2}-\d{2})", page)
    assert shown and shown.group(1) == today.isoformat(), (shown and shown.group(1), today, typed)
