"""`gongkai review`, the review desk, over HTTP: who it lets in, what it lists for whom, signing with
a key file (with and without a passphrase) or ssh-agent, re-signing after an edit, commit and push.

Each test starts the real command (tests.kit.start_desk) in a Git repository with a bare origin,
and talks to it as a browser would. The pages in Chromium, with axe-core, are in test_review_loop."""
from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest

from tests.kit import Portal, git, make_keys, require, start_desk, stop_server

ITEM = "xzf/2025/tongzhi.md"
ITEM_PATH = f"content/{ITEM}"


class Browser:
    """Cookies and forms the way a browser on this computer sends them."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookie = ""
        status, headers, _ = self.request("GET", f"/?{parts.query}")
        assert status == 303, status
        self.cookie = headers["set-cookie"].split(";", 1)[0]
        assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None, cookie: bool = True):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        sent = {"Host": f"127.0.0.1:{self.port}"}
        if cookie and self.cookie:
            sent["Cookie"] = self.cookie
        data = None
        if body is not None:
            data = urlencode(body).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def get(self, path: str) -> str:
        status, _, text = self.request("GET", path)
        assert status == 200, (path, status, text[:500])
        return text

    def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([0-9a-f]+)"', self.get("/"))
        assert match
        return match.group(1)

    def post(self, path: str, form: dict) -> tuple[int, str]:
        status, headers, _ = self.request("POST", path, {"csrf": self.csrf(), **form}, {"Origin": f"http://127.0.0.1:{self.port}"})
        return status, headers.get("location", "")

    def sign(self, stage: str, passphrase: str = "", path: str = ITEM_PATH) -> str:
        """Signs through the form and returns the status line the next page shows."""
        status, location = self.post("/sign", {"path": path, "stage": stage, "read": "on", "passphrase": passphrase})
        assert status == 303
        page = self.get(location)
        match = re.search(r'<div class="flash (ok|bad)" role="status"><p>(.*?)</p>', page)
        assert match, page[:2000]
        return f"{match.group(1)}: {match.group(2)}"


@pytest.fixture
def repo(portal: Portal, tmp_path: Path):
    """The test portal with one pending item, committed on a branch `pr` of a repository whose
    origin is a bare repository holding main."""
    require("git")
    portal.item(ITEM, "需要审核的正文。", title="关于审核工作台测试的通知")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    git(portal.root, "init", "-q", "-b", "main")
    (portal.root / ".gitignore").write_text("site/\n.cache/\n")
    git(portal.root, "add", "-A")
    git(portal.root, "commit", "-qm", "start")
    git(portal.root, "remote", "add", "origin", str(origin))
    git(portal.root, "push", "-q", "origin", "main")
    git(portal.root, "checkout", "-qb", "pr")
    (portal.root / ITEM_PATH).write_text((portal.root / ITEM_PATH).read_text(encoding="utf-8") + "\n第二段。\n", encoding="utf-8")
    git(portal.root, "commit", "-qam", "edit")
    return portal, origin


@pytest.fixture
def desks():
    started = []
    yield started
    for desk in started:
        stop_server(desk.process)


def reviews(portal: Portal) -> list[dict]:
    text = (portal.root / ITEM_PATH).read_text(encoding="utf-8")
    return [{"stage": s} for s in re.findall(r'- stage: "(.*?)"', text)]


def state(portal: Portal) -> dict:
    run = portal.run("check", "--json")
    data = json.loads(run.stdout)
    return next(i for i in data["items"] if i["path"] == ITEM_PATH)


def test_a_key_not_in_reviewers_yml_is_refused_in_chinese(repo):
    portal, _ = repo
    run = portal.run("review", "--no-browser", "--key", str(portal.keys["stranger"]))
    assert run.returncode == 2
    assert "没有找到登记在 reviewers.yml 中的密钥" in run.stderr and "Traceback" not in run.stderr
    assert "SHA256:" in run.stderr  # which key was tried


def test_only_the_link_it_printed_opens_the_desk(repo, desks):
    portal, _ = repo
    desk = start_desk(portal.root, "--key", str(portal.keys["chu"]))
    desks.append(desk)
    port = urlsplit(desk.url).port
    browser = Browser(desk.url)
    assert browser.request("GET", "/", cookie=False)[0] == 403  # no cookie: a link without the token
    assert browser.request("GET", "/?token=wrong", cookie=False)[0] == 403
    assert browser.request("GET", "/", headers={"Host": f"evil.example:{port}"})[0] == 403  # DNS rebinding
    form = {"csrf": browser.csrf(), "path": ITEM_PATH, "stage": "初审", "read": "on"}
    assert browser.request("POST", "/sign", form, {"Origin": "http://evil.example"})[0] == 403
    assert browser.request("POST", "/sign", {**form, "csrf": "0" * 64})[0] == 403
    assert browser.request("POST", "/sign", form, cookie=False)[0] == 403
    assert reviews(portal) == []  # nothing was signed
    status, headers, _ = browser.request("GET", "/")
    assert status == 200 and "frame-ancestors 'none'" in headers["content-security-policy"]
    # Only loopback: the socket is bound to 127.0.0.1.
    with pytest.raises(OSError):
        http.client.HTTPConnection(_other_address(), port, timeout=2).request("GET", "/")


def _other_address() -> str:
    """An address of this machine that is not loopback (a documentation address when it has none)."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return out[0] if out else "192.0.2.1"


def test_the_desk_lists_what_waits_for_this_reviewer_and_signs_it(repo, desks):
    portal, _ = repo
    other = start_desk(portal.root, "--key", str(portal.keys["fgjonly"]))  # 发改 only: not this xzf item
    desks.append(other)
    assert "关于审核工作台测试的通知" not in Browser(other.url).get("/")
    desk = start_desk(portal.root, "--key", str(portal.keys["chu"]))
    desks.append(desk)
    browser = Browser(desk.url)
    queue = browser.get("/")
    assert "待您审核(1)" in queue and "关于审核工作台测试的通知" in queue and "初审员" in queue
    page = browser.get(f"/item?path={quote(ITEM_PATH)}")
    assert "签署初审" in page and "+第二段。" in page and "与 origin/main 比较" in page
    preview = browser.get("/preview/xzf/2025/tongzhi/")
    assert "审核预览·未发布" in preview and "需要审核的正文" in preview
    assert browser.sign("初审").startswith("ok: 已签署初审")
    assert state(portal)["missing"] == ["复审", "终审", "保密审查"]
    assert "待您审核(0)" in browser.get("/") and "您已签署、等待其他环节(1)" in browser.get("/")
    # The editor changes the text: the desk asks for the stage again, and re-signing replaces it.
    path = portal.root / ITEM_PATH
    path.write_text(path.read_text(encoding="utf-8").replace("第二段。", "第二段(已修改)。"), encoding="utf-8")
    queue = browser.get("/")
    assert "待您审核(1)" in queue and "须重新审核" in queue
    assert "内容已修改,须重新审核" in browser.get(f"/item?path={quote(ITEM_PATH)}")
    assert "ok: 已签署初审" in browser.sign("初审")
    assert reviews(portal) == [{"stage": "初审"}]  # one signature a stage
    assert state(portal)["stale"] == [] and "初审" not in state(portal)["missing"]


def test_commit_and_push_send_the_signatures_to_the_branch(repo, desks):
    portal, origin = repo
    desk = start_desk(portal.root, "--key", str(portal.keys["chu"]))
    desks.append(desk)
    browser = Browser(desk.url)
    assert "尚未提交" not in browser.get("/")
    browser.sign("初审")
    assert "以下 1 个文件的签名尚未提交" in browser.get("/")
    assert browser.post("/commit", {})[0] == 303
    assert "已提交 1 个文件的签名" in browser.get("/")
    assert git(portal.root, "status", "--porcelain") == ""
    assert "初审员" in git(portal.root, "log", "-1", "--format=%s")
    browser.post("/push", {})
    assert "已推送分支 pr" in browser.get("/")
    assert git(origin, "log", "-1", "--format=%s", "pr").strip().startswith("审核签名:初审员")


def test_a_key_with_a_passphrase_is_asked_for_it_on_the_page(repo, desks, tmp_path):
    portal, _ = repo
    key = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "口令 secret", "-C", "locked", "-f", str(key)], check=True)
    portal.write_reviewers(chu={"keys": [key.with_name("locked.pub").read_text().strip()]})
    desk = start_desk(portal.root, "--key", str(key))
    desks.append(desk)
    browser = Browser(desk.url)
    assert 'type="password"' in browser.get(f"/item?path={quote(ITEM_PATH)}")
    assert "密钥设有口令" in browser.sign("初审")
    assert "口令不正确" in browser.sign("初审", "wrong")
    assert reviews(portal) == []
    assert browser.sign("初审", "口令 secret").startswith("ok:")
    assert reviews(portal) == [{"stage": "初审"}]


def test_the_key_in_ssh_agent_is_found_and_signs(repo, desks, tmp_path):
    portal, _ = repo
    require("ssh-agent")
    started = subprocess.run(["ssh-agent", "-s", "-a", str(tmp_path / "agent.sock")], capture_output=True, text=True, check=True)
    pid = int(re.search(r"SSH_AGENT_PID=(\d+)", started.stdout).group(1))
    env = {"SSH_AUTH_SOCK": str(tmp_path / "agent.sock"), "HOME": str(tmp_path / "home")}
    try:
        keys = make_keys(tmp_path / "agentkeys", ["held"])
        subprocess.run(["ssh-add", "-q", str(keys["held"])], env={**os.environ, **env}, check=True, capture_output=True)
        portal.write_reviewers(bm={"keys": [keys["held"].with_name("held.pub").read_text().strip()]})
        keys["held"].unlink()  # only the agent has it now
        desk = start_desk(portal.root, env=env)
        desks.append(desk)
        browser = Browser(desk.url)
        page = browser.get("/")
        assert "保密员" in page and "ssh-agent 中的密钥" in page
        assert browser.sign("保密审查").startswith("ok:")
        assert state(portal)["missing"] == ["初审", "复审", "终审"]
    finally:
        os.kill(pid, 15)


def test_the_reviewer_fetches_and_switches_to_another_pull_request(repo, desks, tmp_path):
    portal, origin = repo
    # Another editor pushes a second pull request from their own clone.
    other = tmp_path / "editor"
    subprocess.run(["git", "clone", "-q", str(origin), str(other)], check=True)
    git(other, "checkout", "-qb", "pr-two")
    second = other / "content" / "xzf" / "2025" / "second.md"
    second.write_text((portal.root / ITEM_PATH).read_text(encoding="utf-8").replace("关于审核工作台测试的通知", "第二个合并请求的通知").replace("2025-00001", "2025-00002"), encoding="utf-8")
    git(other, "add", "-A")
    git(other, "commit", "-qm", "second")
    git(other, "push", "-q", "origin", "pr-two")
    desk = start_desk(portal.root, "--key", str(portal.keys["chu"]))
    desks.append(desk)
    browser = Browser(desk.url)
    assert "第二个合并请求的通知" not in browser.get("/")
    browser.post("/update", {})
    page = browser.get("/")
    assert "已取得最新内容" in page and '<option value="pr-two">' in page
    browser.sign("初审")
    browser.post("/switch", {"branch": "pr-two"})
    assert "未提交的签名" in browser.get("/")  # nothing is left behind unseen
    browser.post("/commit", {})
    browser.post("/switch", {"branch": "pr-two"})
    page = browser.get("/")
    assert "已切换到合并请求分支 pr-two" in page and "第二个合并请求的通知" in page
    assert git(portal.root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "pr-two"


def test_the_secrecy_reviewer_sees_an_id_number_before_signing(repo, desks):
    portal, _ = repo
    path = portal.root / ITEM_PATH
    path.write_text(path.read_text(encoding="utf-8") + "\n申请人身份证号 11010519491231002X。\n", encoding="utf-8")
    desk = start_desk(portal.root, "--key", str(portal.keys["bm"]))
    desks.append(desk)
    browser = Browser(desk.url)
    assert "警告 1 处" in browser.get("/")
    page = browser.get(f"/item?path={quote(ITEM_PATH)}")
    assert "待审信息正文中有未遮蔽的居民身份证号" in page
    assert "11010519491231002X" not in page.split("<h2>改动</h2>")[0]  # the finding shows it masked
