"""`gongkai check --changed BASE` on real Git repositories with branches, and the CI templates that run it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from tests.kit import REPO, pdf_bytes


def shown(markdown: str) -> str:
    """Returns the comment's text as a reader sees it: backslash escapes and word joiners gone."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


XZF = "11369999MB0000001A"
CI = REPO / "ci"


def git(root, *args, author="信息联络员"):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "editor@example.gov.cn",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": "editor@example.gov.cn",
    }
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def new(portal, date, title, category="通知公告"):
    result = portal.run("new", "--unit", "xzf", "--category", category, "--date", date, title, env={"GONGKAI_TODAY": date})
    assert result.returncode == 0, result.stderr
    rel = result.stdout.strip()
    path = portal.root / rel
    path.write_text(path.read_text(encoding="utf-8") + f"{title}。\n", encoding="utf-8")
    return rel.removeprefix("content/")


def commit_all(portal, message, author="信息联络员"):
    git(portal.root, "add", "-A")
    git(portal.root, "commit", "-q", "-m", message, author=author)


@pytest.fixture
def repo(portal):
    """The portal as a Git repository: main holds one published item made with `gongkai new`."""
    git(portal.root, "init", "-q", "-b", "main")
    (portal.root / ".gitignore").write_text("site/\n", encoding="utf-8")
    rel = new(portal, "2025-01-24", "春节放假通知")
    portal.sign(rel)
    commit_all(portal, "春节放假通知")
    return portal


def check_changed(portal, base, *more, today="2025-02-10"):
    return portal.run("check", "--changed", base, *more, env={"GONGKAI_TODAY": today})


def test_two_branches_that_took_the_same_number(repo):
    git(repo.root, "checkout", "-q", "-b", "feature")
    mine = new(repo, "2025-01-26", "调休上班日安全检查")  # 11369999MB0000001A/2025-00002
    repo.sign(mine, stages=["初审"])
    commit_all(repo, "新建:调休上班日安全检查")
    git(repo.root, "checkout", "-q", "main")
    theirs = new(repo, "2025-02-08", "节后复工通知")  # the same number, on main
    repo.sign(theirs)
    commit_all(repo, "新建:节后复工通知")
    git(repo.root, "checkout", "-q", "feature")

    result = check_changed(repo, "main")
    assert result.returncode == 1, result.stdout + result.stderr
    summary = shown(result.stdout)
    assert summary.startswith("## gongkai 检查结果")
    assert "本次改动涉及 **1** 条信息(新增 1)" in summary
    row = next(line for line in summary.splitlines() if f"content/xzf/2025/{Path(mine).name}" in line and line.startswith("| ⏳"))
    assert "调休上班日安全检查" in row and f"{XZF}/2025-00002" in row
    assert "待发布(待审:缺少复审、终审、保密审查)" in row and "| 复审、终审、保密审查 |" in row
    assert f"索引号冲突:{XZF}/2025-00002 在 main 上已被 content/xzf/2025/0208-00002.md 使用" in summary
    assert f"计数器 {XZF}/2025 在两个分支上都增加了(分叉时 1,main 上 2,本分支 2)" in summary
    assert "content/xzf/2025/0124-00001.md" not in summary  # unchanged items are not reviewed

    data = json.loads(check_changed(repo, "main", "--json").stdout)
    assert [i["path"] for i in data["items"]] == [f"content/{mine}"]
    assert data["items"][0]["state"] == "hold" and data["items"][0]["missing"] == ["复审", "终审", "保密审查"]
    assert any("索引号冲突" in p["message"] and p["severity"] == "error" for p in data["items"][0]["problems"])
    assert any("两个分支上都增加了" in p["message"] for p in data["conflicts"])
    assert data["summary"] == {"errors": 1, "warnings": 1}

    # After merging main (the loader sees both items), main's signed item keeps the number and stays
    # published; the branch's item is refused at its index_no line.
    git(repo.root, "merge", "-q", "--no-edit", "main")
    merged = repo.run("check", env={"GONGKAI_TODAY": "2025-02-10"})
    assert merged.returncode == 1
    assert "content/xzf/2025/0208-00002.md: 已发布" in merged.stdout
    line = next(n for n, text in enumerate((repo.root / "content" / mine).read_text(encoding="utf-8").splitlines(), 1) if text.startswith("index_no:"))
    assert f"content/{mine}:{line}: 索引号 {XZF}/2025-00002 已由 content/xzf/2025/0208-00002.md 使用(已公开的信息保留原索引号)" in merged.stdout


def test_clean_branch_passes_and_lists_problems_per_item(repo):
    git(repo.root, "checkout", "-q", "-b", "clean")
    rel = new(repo, "2025-09-28", "国庆节前安全检查(转载)")
    repo.sign(rel)
    commit_all(repo, "新建")
    result = check_changed(repo, "main", today="2025-10-11")
    assert result.returncode == 0, result.stdout
    assert "| ✅ |" in result.stdout and "已发布" in result.stdout
    assert "错误 **0** 处,警告 **1** 处" in result.stdout
    assert "疑似转载信息" in result.stdout  # health findings of the changed item are listed
    assert "空白栏目" not in result.stdout  # portal-wide findings are for `gongkai check`
    strict = repo.run("check", "--changed", "main", "--strict", env={"GONGKAI_TODAY": "2025-10-11"})
    assert strict.returncode == 1


def test_trust_file_and_settings_changed_in_the_same_change_set(repo, keys):
    git(repo.root, "checkout", "-q", "-b", "sneaky")
    bm = keys["bm"].with_name("bm.pub").read_text().strip()
    stranger = keys["stranger"].with_name("stranger.pub").read_text().strip()
    repo.write_reviewers(bm={"keys": [bm, stranger]})  # a second key for the 保密审查 reviewer
    repo.write_settings(link_allowlist=["*.gov.cn", "*.example.com"])
    rel = new(repo, "2025-02-08", "节后复工通知")
    repo.sign(rel, stages=["初审", "复审", "终审"])
    from gongkai.portal import load_context
    from gongkai.trust.signing import sign_item

    settings, trust = load_context(repo.root, json.loads((repo.root / "mkdocs.yml").read_text())["extra"]["gongkai"], "测试县")
    sign_item(repo.root, repo.root / "content", settings, trust, repo.root / "content" / rel, "保密审查", "bm", keys["stranger"])
    commit_all(repo, "新密钥并签名")
    result = check_changed(repo, "main")
    summary = shown(result.stdout)
    assert "> ⚠️ 本次改动修改了审核人信任文件 `reviewers.yml`" in summary
    assert "修改审核人:`bm`" in summary
    assert f"**同一改动中的签名依赖这次信任文件修改**:`content/{rel}`" in summary
    assert "只有按本次修改后的 reviewers.yml 才有效" in summary
    assert "> ⚠️ 本次改动修改了站点设置 `mkdocs.yml`" in summary
    assert "`extra.gongkai.link_allowlist`" in summary
    assert result.returncode == 0  # warnings: CODEOWNERS make the 政务公开办 approve


def test_deleted_and_renamed_items_and_other_files(repo):
    git(repo.root, "checkout", "-q", "-b", "cleanup")
    git(repo.root, "rm", "-q", "content/xzf/2025/0124-00001.md")
    (repo.root / "notes.txt").write_text("x\n", encoding="utf-8")
    commit_all(repo, "删除")
    result = check_changed(repo, "main")
    assert "| 🗑️ |" in result.stdout and f"{XZF}/2025-00001" in result.stdout and "| 删除 |" in result.stdout
    assert "已公开的政府信息一般不删除" in result.stdout
    assert "其他改动的文件:`.gitignore`" not in result.stdout and "`notes.txt`" in result.stdout


def test_a_changed_attachment_puts_its_item_under_review(repo):
    rel = "xzf/2025/0124-00001.md"
    path = repo.root / "content" / rel
    (path.parent / "files").mkdir()
    (path.parent / "files" / "安排表.pdf").write_bytes(pdf_bytes("original"))
    text = path.read_text(encoding="utf-8").replace("reviews:", "attachments: [files/安排表.pdf]\nreviews:", 1)
    path.write_text(text.split("reviews:")[0] + "---\n春节放假通知。\n", encoding="utf-8")
    repo.sign(rel)
    commit_all(repo, "附件")
    git(repo.root, "checkout", "-q", "-b", "swap")
    (path.parent / "files" / "安排表.pdf").write_bytes(pdf_bytes("swapped"))
    commit_all(repo, "换了附件")
    result = check_changed(repo, "main")
    assert result.returncode == 0, result.stdout  # signed over the earlier attachment: 待审, no error
    row = next(line for line in result.stdout.splitlines() if f"`content/{rel}`" in line)
    assert row.startswith("| ⏳ |") and "| 修改 |" in row and "须重新审核" in shown(row)
    assert "附件有改动:content/xzf/2025/files/安排表.pdf" in shown(result.stdout)
    assert "其他改动的文件" not in result.stdout


def test_work_tree_changes_count_for_the_pre_commit_hook(repo, tmp_path):
    shim = tmp_path / "bin" / "gongkai"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gongkai.cli "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shim.parent}:{os.environ['PATH']}", "GONGKAI_TODAY": "2025-02-10"}
    hook = CI / "pre-commit-hook.sh"

    rel = new(repo, "2025-02-08", "调休上班日的通知")  # untracked: the hook must see it
    path = repo.root / "content" / rel
    path.write_text(path.read_text(encoding="utf-8").replace("category: 通知公告", "category: 通知"), encoding="utf-8")
    git(repo.root, "add", "-A")
    bad = subprocess.run(["sh", str(hook)], cwd=repo.root, capture_output=True, text=True, env=env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "目录类别 '通知' 不存在" in shown(bad.stderr) and "提交已取消" in bad.stderr

    path.write_text(path.read_text(encoding="utf-8").replace("category: 通知", "category: 通知公告"), encoding="utf-8")
    good = subprocess.run(["sh", str(hook)], cwd=repo.root, capture_output=True, text=True, env=env)
    assert good.returncode == 0, good.stdout + good.stderr

    # Installed as .git/hooks/pre-commit, it stops a real commit.
    hooks = repo.root / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").symlink_to(hook)
    path.write_text(path.read_text(encoding="utf-8").replace("attribute: 主动公开", "attribute: 公开"), encoding="utf-8")
    git(repo.root, "add", "-A")
    refused = subprocess.run(["git", "-C", str(repo.root), "commit", "-q", "-m", "x"], capture_output=True, text=True, env=env)
    assert refused.returncode != 0 and "公开属性" in refused.stderr


def test_bad_base_and_no_git_are_usage_errors(repo, portal, tmp_path):
    result = check_changed(repo, "no-such-branch")
    assert result.returncode == 2 and "找不到提交 no-such-branch" in result.stderr
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(repo.root, plain, ignore=shutil.ignore_patterns(".git"))
    outside = subprocess.run([sys.executable, "-m", "gongkai.cli", "check", "--changed", "main"], cwd=plain, capture_output=True, text=True, env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert outside.returncode == 2 and "不是 Git 仓库" in outside.stderr


def test_portal_in_a_subdirectory_of_the_repository(tmp_path, keys):
    from tests.kit import Portal

    top = tmp_path / "top"
    portal = Portal(top / "portal", keys)
    git(top, "init", "-q", "-b", "main")
    rel = new(portal, "2025-01-24", "春节放假通知")
    portal.sign(rel)
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "x")
    git(top, "checkout", "-q", "-b", "f")
    rel2 = new(portal, "2025-01-26", "调休通知")
    (top / "elsewhere.txt").write_text("x")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "y")
    result = check_changed(portal, "main")
    assert f"`content/{rel2}`" in result.stdout and "elsewhere.txt" not in result.stdout


# ------------------------------------------------------------------ the CI templates, run for real


def with_origin(repo, tmp_path):
    """Gives the repository an `origin` (a bare clone) holding main and the current branch."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.root), str(origin)], check=True)
    git(repo.root, "remote", "add", "origin", str(origin))
    return origin


def shim_path(tmp_path) -> str:
    shim = tmp_path / "bin" / "gongkai"
    shim.parent.mkdir(exist_ok=True)
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gongkai.cli "$@"\n')
    shim.chmod(0o755)
    return f"{shim.parent}:{os.environ['PATH']}"


def conflicting_branch(repo):
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.sign(new(repo, "2025-01-26", "调休上班日安全检查"), stages=["初审"])
    commit_all(repo, "feature")
    git(repo.root, "checkout", "-q", "main")
    repo.sign(new(repo, "2025-02-08", "节后复工通知"))
    commit_all(repo, "main")
    git(repo.root, "checkout", "-q", "feature")


def actions_step(path: Path, job: str, name: str) -> tuple[str, dict]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    step = next(s for s in workflow["jobs"][job]["steps"] if s.get("name") == name)
    return step["run"], step.get("env", {})


@pytest.mark.parametrize("forge, context", [("github", "github"), ("gitea", "gitea")])
def test_actions_check_step_runs_on_a_real_repository(repo, tmp_path, forge, context):
    conflicting_branch(repo)
    with_origin(repo, tmp_path)
    script, env = actions_step(CI / forge / "gongkai.yml", "check-changed", "gongkai check --changed")
    assert env == {"BASE_REF": f"${{{{ {context}.base_ref }}}}"}
    step_summary = tmp_path / "step-summary.md"
    run_env = {**os.environ, "PATH": shim_path(tmp_path), "BASE_REF": "main", "GITHUB_STEP_SUMMARY": str(step_summary), "GONGKAI_TODAY": "2025-02-10"}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo.root, capture_output=True, text=True, env=run_env)
    assert result.returncode == 1, result.stdout + result.stderr  # the conflict fails the check …
    summary = (repo.root / "gongkai-summary.md").read_text(encoding="utf-8")
    assert "索引号冲突" in summary and "缺少复审、终审、保密审查" in summary  # … and the comment says why
    if forge == "github":
        assert step_summary.read_text(encoding="utf-8") == summary
    # The reviewer's preview of the pull request, kept as the run's artifact.
    preview, _ = actions_step(CI / forge / "gongkai.yml", "check-changed", "审核预览")
    made = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", preview], cwd=repo.root, capture_output=True, text=True, env=run_env)
    assert made.returncode == 0, made.stderr[-2000:]
    assert any("审核预览·未发布" in p.read_text(encoding="utf-8") for p in (repo.root / "gongkai-preview").rglob("*.html"))
    upload = next(s for s in yaml.safe_load((CI / forge / "gongkai.yml").read_text(encoding="utf-8"))["jobs"]["check-changed"]["steps"] if s.get("name") == "保存审核预览")
    assert upload["with"]["path"] == "gongkai-preview/" and upload["if"] == "always()"
    jobs = yaml.safe_load((CI / forge / "gongkai.yml").read_text(encoding="utf-8"))["jobs"]
    checkout = jobs["check-changed"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0 and "head.sha" in checkout["with"]["ref"]
    assert any(s.get("run") == "gongkai build --strict" for s in jobs["build"]["steps"])


def test_gitlab_check_job_runs_on_a_real_repository(repo, tmp_path):
    conflicting_branch(repo)
    with_origin(repo, tmp_path)
    pipeline = yaml.safe_load((CI / "gitlab" / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    job = pipeline["gongkai-check-changed"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert pipeline["variables"]["GIT_DEPTH"] == "0"
    script = "\n".join(job["script"])
    env = {**os.environ, "PATH": shim_path(tmp_path), "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "GONGKAI_TODAY": "2025-02-10"}
    env.pop("GONGKAI_BOT_TOKEN", None)
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo.root, capture_output=True, text=True, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "索引号冲突" in result.stdout  # the job log shows the summary
    assert "**审核预览**" in (repo.root / "gongkai-summary.md").read_text(encoding="utf-8")
    assert any("审核预览·未发布" in p.read_text(encoding="utf-8") for p in (repo.root / "gongkai-preview").rglob("*.html"))
    assert job["artifacts"]["when"] == "always" and "gongkai-preview/" in job["artifacts"]["paths"]
    build = pipeline["gongkai-build"]
    assert build["script"] == ["gongkai build --strict"] and build["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]

    # Once the conflict is resolved on the branch, the same job passes.
    git(repo.root, "checkout", "-q", "main")
    git(repo.root, "checkout", "-q", "-b", "fixed")
    repo.sign(new(repo, "2025-10-11", "国庆调休上班日通知"))
    commit_all(repo, "fixed")
    git(repo.root, "push", "-q", "origin", "main")
    ok = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo.root, capture_output=True, text=True, env={**env, "GONGKAI_TODAY": "2025-10-11"})
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_strict_build_step_passes_on_main(repo, tmp_path):
    script = yaml.safe_load((CI / "github" / "gongkai.yml").read_text(encoding="utf-8"))["jobs"]["build"]["steps"]
    command = next(s["run"] for s in script if s.get("name") == "gongkai build --strict")
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=repo.root, capture_output=True, text=True, env={**os.environ, "PATH": shim_path(tmp_path), "GONGKAI_TODAY": "2025-02-10"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert (repo.root / "site" / "xzf" / "2025" / "0124-00001" / "index.html").exists()


def test_codeowners_give_the_trust_file_and_settings_to_the_open_government_office():
    lines = [row.split() for row in (CI / "CODEOWNERS.example").read_text(encoding="utf-8").splitlines() if row.strip() and not row.startswith("#")]
    owners = {parts[0]: parts[1:] for parts in lines}
    assert owners["/reviewers.yml"] == ["@example-county/zwgkb"] and owners["/mkdocs.yml"] == ["@example-county/zwgkb"]
    gitea = (CI / "gitea" / "CODEOWNERS.example").read_text(encoding="utf-8")
    assert "reviewers\\\\.yml @example-county/zwgkb" in gitea and "mkdocs\\\\.yml @example-county/zwgkb" in gitea
    config = yaml.safe_load((CI / "pre-commit-config.example.yaml").read_text(encoding="utf-8"))
    assert config["repos"][0]["hooks"][0]["entry"] == "sh ci/pre-commit-hook.sh"


class _FakeForge(BaseHTTPRequestHandler):
    comments: list = []
    calls: list = []

    def _reply(self, payload, status=200):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self):
        self.calls.append(("GET", self.path, dict(self.headers)))
        self._reply(self.comments)

    def do_POST(self):
        body = self._body()
        self.calls.append(("POST", self.path, body))
        self.comments.append({"id": 7, "body": body["body"]})
        self._reply(self.comments[-1], 201)

    def _edit(self):
        body = self._body()
        self.calls.append((self.command, self.path, body))
        self.comments[0]["body"] = body["body"]
        self._reply(self.comments[0])

    do_PUT = do_PATCH = _edit

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    "forge, repo_id, first, edit",
    [
        ("gitlab", "42", "/api/v4/projects/42/merge_requests/5/notes", ("PUT", "/api/v4/projects/42/merge_requests/5/notes/7")),
        ("gitea", "county/portal", "/api/v1/repos/county/portal/issues/5/comments", ("PATCH", "/api/v1/repos/county/portal/issues/comments/7")),
    ],
)
def test_post_comment_creates_then_updates_one_comment(tmp_path, forge, repo_id, first, edit):
    _FakeForge.comments, _FakeForge.calls = [], []
    server = HTTPServer(("127.0.0.1", 0), _FakeForge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        summary = tmp_path / "gongkai-summary.md"
        api = f"http://127.0.0.1:{server.server_port}/api/{'v4' if forge == 'gitlab' else 'v1'}"
        env = {**os.environ, "GONGKAI_FORGE": forge, "GONGKAI_API": api, "GONGKAI_REPO": repo_id, "GONGKAI_PR": "5", "GONGKAI_TOKEN": "t0ken"}
        for text in ("## gongkai 检查结果\n第一次\n", "## gongkai 检查结果\n第二次\n"):
            summary.write_text(text, encoding="utf-8")
            done = subprocess.run([sys.executable, str(CI / "post_comment.py"), str(summary)], capture_output=True, text=True, env=env)
            assert done.returncode == 0, done.stderr
    finally:
        server.shutdown()
    assert len(_FakeForge.comments) == 1 and "第二次" in _FakeForge.comments[0]["body"]
    methods = [(c[0], c[1].split("?")[0]) for c in _FakeForge.calls]
    assert methods == [("GET", first), ("POST", first), ("GET", first), edit]
    headers = {k.lower(): v for k, v in _FakeForge.calls[0][2].items()}
    assert headers.get("private-token" if forge == "gitlab" else "authorization") == ("t0ken" if forge == "gitlab" else "token t0ken")


def test_an_item_edited_after_signing_is_shown_for_re_review(repo):
    rel = "xzf/2025/0124-00001.md"
    path = repo.root / "content" / rel
    git(repo.root, "checkout", "-q", "-b", "edit")
    path.write_text(path.read_text(encoding="utf-8").replace("春节放假通知。\n", "春节放假通知(补充值班安排)。\n"), encoding="utf-8")
    commit_all(repo, "修改:春节放假通知")
    result = check_changed(repo, "main")
    assert result.returncode == 0, result.stdout + result.stderr  # 待审 is no error
    row = next(line for line in shown(result.stdout).splitlines() if f"content/{rel}" in line)
    assert row.startswith("| ⏳ |") and "| 修改 |" in row
    assert "待审:内容已修改,须重新审核:初审(初审员)、复审(复审员)、终审(终审员)、保密审查(保密员)" in row
    assert "初审(须初审员重新审核)" in row
    data = json.loads(check_changed(repo, "main", "--json").stdout)
    item = next(i for i in data["items"] if i["path"] == f"content/{rel}")
    assert item["state"] == "hold" and [s["by"] for s in item["stale"]] == ["chu", "fu", "zhong", "bm"]

    # Re-signing through the command keeps the front-matter gongkai new wrote: the comment above
    # the block, one block, one signature a stage.
    head, block = path.read_text(encoding="utf-8").split("\nreviews:\n")
    for stage, who in (("初审", "chu"), ("复审", "fu"), ("终审", "zhong"), ("保密审查", "bm")):
        signed = repo.run("sign", f"content/{rel}", "--stage", stage, "--as", who, "--key", str(repo.keys[who]))
        assert signed.returncode == 0, signed.stderr
    text = path.read_text(encoding="utf-8")
    assert text.count("reviews:") == 1 and text.count("- stage:") == 4
    assert "请勿手工编辑" in head and text.startswith(head + "\nreviews:\n")  # every line above the block as it was
    assert text.endswith("-----END SSH SIGNATURE-----\n---\n\n春节放假通知(补充值班安排)。\n")
    assert [line.split(":")[0] for line in text.split("\nreviews:\n")[1].splitlines()][:5] == [line.split(":")[0] for line in block.splitlines()][:5]
    commit_all(repo, "重新审核")
    data = json.loads(check_changed(repo, "main", "--json").stdout)
    item = next(i for i in data["items"] if i["path"] == f"content/{rel}")
    assert item["state"] == "publish" and item["stale"] == []
