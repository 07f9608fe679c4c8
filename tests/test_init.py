"""`gongkai init` and the layout it makes: a portal of content and settings only, the engine and
theme from the installed package (`plugins: [gongkai]`); an older portal's copies of hooks/ and
theme/ still build and are explained by `gongkai check`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.kit import REPO, site_leaks

UNIT = "id=xzf,name=测试县人民政府办公室,code=11369999MB0000001A,phone=0799-1234567"


def gongkai(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Runs the command without a terminal (stdin is not a TTY: nothing is asked)."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run([sys.executable, "-m", "gongkai.cli", *args], cwd=cwd, input=stdin or "", capture_output=True, text=True, env=env)


def init(tmp_path: Path, *extra: str) -> Path:
    result = gongkai(tmp_path, "init", "portal", "--name", "测试县人民政府信息公开", "--unit", UNIT, "--site-code", "3609990001", *extra)
    assert result.returncode == 0, result.stderr
    return tmp_path / "portal"


def meta_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---", 2)[1])


def test_the_mkdocs_plugin_is_registered():
    """The portals below say `plugins: [gongkai]`: MkDocs finds it by its entry point (pyproject.toml)."""
    from importlib.metadata import entry_points

    found = entry_points(group="mkdocs.plugins").select(name="gongkai")
    assert [e.value for e in found] == ["gongkai.glue.installed:GongkaiPortalPlugin"], "reinstall this checkout (pip install -e .) to register the plugin"


def test_init_writes_a_portal_of_content_and_settings_only(tmp_path):
    root = init(tmp_path, "--forge", "gitlab")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)
    year = next((root / "content" / "xzf").iterdir()).name
    examples = [f"content/xzf/{year}/shili-{name}.md" for name in ("bufen", "buyu", "yishenqing", "zhudong")]
    assert files == sorted([
        ".gitignore", ".gitlab-ci.yml", ".gitlab/CODEOWNERS", ".pre-commit-config.yaml", "README.md", "ci/post_comment.py",
        "content/.gongkai-index.yml", *examples, "mkdocs.yml", "requirements.txt", "reviewers.yml",
    ]), files
    assert (root / ".git").is_dir()
    assert not (root / "hooks").exists() and not (root / "theme").exists()  # the engine and theme come from the package
    config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["plugins"] == ["gongkai"] and "hooks" not in config
    assert config["extra"]["gongkai"]["units"] == [{"id": "xzf", "name": "测试县人民政府办公室", "code": "11369999MB0000001A", "phone": "0799-1234567"}]
    assert config["extra"]["gongkai"]["site_code"] == "3609990001"
    reviewers = (root / "reviewers.yml").read_text(encoding="utf-8")
    assert yaml.safe_load(reviewers) == {"reviewers": []} and "ssh-keygen -t ed25519" in reviewers
    ignored = (root / ".gitignore").read_text(encoding="utf-8").split()
    assert "/site/" in ignored and "/.cache/" in ignored
    pipeline = (root / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert "pip install -r requirements.txt" in pipeline and "pip install ." not in pipeline and "gongkai build --strict" in pipeline
    assert "gongkai[properdocs]==" in (root / "requirements.txt").read_text(encoding="utf-8")  # the maintained engine (docs/engine.md)
    attributes = {meta_of(p)["attribute"] for p in (root / "content").rglob("*.md")}
    assert attributes == {"主动公开", "部分公开", "依申请公开", "不予公开"}
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            assert "DEMO-ONLY" not in path.read_text(encoding="utf-8"), path  # no demo keys

    check = json.loads(gongkai(root, "check", "--json").stdout)
    assert sorted(i["state"] for i in check["items"]) == ["exclude", "hold", "hold", "hold"], check["items"]
    built = gongkai(root, "build")
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    assert site_leaks(root / "site", "示例:主动公开的信息") == []  # pending: not published
    assert (root / "site" / "assets" / "gongkai" / "gongkai.css").is_file()  # the packaged theme


def test_github_and_gitea_pipelines(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    github = init(tmp_path / "a", "--forge", "github")
    assert (github / ".github" / "workflows" / "gongkai.yml").is_file() and (github / ".github" / "CODEOWNERS").is_file()
    assert not (github / "ci").exists()  # GitHub comments through gh
    gitea = init(tmp_path / "b", "--forge", "gitea")
    assert "pip install -r requirements.txt" in (gitea / ".gitea" / "workflows" / "gongkai.yml").read_text(encoding="utf-8")
    owners = (gitea / ".gitea" / "CODEOWNERS").read_text(encoding="utf-8")
    assert "content/xzf/.*" in owners and r"reviewers\.yml" in owners  # Gitea's rules are regular expressions
    assert r"wording\.yml" in owners


def test_init_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "notes.txt").write_text("已有文件", encoding="utf-8")
    result = gongkai(tmp_path, "init", "portal", "--name", "测试", "--unit", UNIT)
    assert result.returncode == 2, result.stderr
    assert "不是空目录" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "portal").iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--unit", UNIT], ["--name"]),
        (["--name", "测试"], ["--unit"]),
        (["--name", "测试", "--unit", "xzf,测试县人民政府办公室"], ["键=值"]),
        (["--name", "测试", "--unit", "id=xzf,name=测试县人民政府办公室"], ["code"]),
        (["--name", "测试", "--unit", "id=xzf,name=测试县人民政府办公室,code=12345"], ["extra.gongkai.units", "未创建任何文件"]),
    ],
)
def test_init_without_a_terminal_says_what_is_missing(tmp_path, args, words):
    result = gongkai(tmp_path, "init", "portal", *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert not (tmp_path / "portal").exists()


def test_a_portal_template_overrides_the_packaged_theme(tmp_path):
    root = init(tmp_path)
    (root / "theme" / "partials" / "gongkai").mkdir(parents=True)
    footer = (REPO / "theme" / "partials" / "gongkai" / "footer.html").read_text(encoding="utf-8")
    (root / "theme" / "partials" / "gongkai" / "footer.html").write_text(footer + "\n<p>本门户自己的页脚 OVERRIDE-MARK</p>\n", encoding="utf-8")
    settings = (root / "mkdocs.yml").read_text(encoding="utf-8").replace("  # custom_dir: theme", "  custom_dir: theme")
    (root / "mkdocs.yml").write_text(settings, encoding="utf-8")
    built = gongkai(root, "build")
    assert built.returncode == 0, built.stderr
    home = (root / "site" / "xxgk" / "index.html").read_text(encoding="utf-8")
    assert "OVERRIDE-MARK" in home  # the portal's template wins
    assert "gongkai.css" in home  # the rest is the packaged theme
    check = gongkai(root, "check")
    assert "旧的门户布局" not in check.stdout


def test_an_old_layout_portal_still_builds_and_check_says_how_to_migrate(tmp_path):
    root = init(tmp_path)
    shutil.copytree(REPO / "hooks", root / "hooks")
    shutil.copytree(REPO / "theme", root / "theme")
    changed = root / "theme" / "partials" / "gongkai" / "footer.html"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n<!-- 本县改过 -->\n", encoding="utf-8")
    settings = (root / "mkdocs.yml").read_text(encoding="utf-8")
    settings = settings.replace("plugins:\n  - gongkai\n", "hooks:\n  - hooks/gongkai_hooks.py\n").replace("  # custom_dir: theme", "  custom_dir: theme")
    (root / "mkdocs.yml").write_text(settings, encoding="utf-8")
    built = gongkai(root, "build")
    assert built.returncode == 0, built.stderr
    check = gongkai(root, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    lines = [line for line in check.stdout.splitlines() if line.startswith("mkdocs.yml:")]
    hooks_line = next(n for n, text in enumerate(settings.splitlines(), 1) if text.startswith("hooks:"))
    [old] = [line for line in lines if "旧的门户布局" in line]
    assert old.startswith(f"mkdocs.yml:{hooks_line}: 警告: ") and "plugins:" in old and "- gongkai" in old and "pip install -U gongkai" in old
    [theme] = [line for line in lines if "同名" in line]
    count = len([p for p in (REPO / "theme").rglob("*") if p.is_file()])
    assert f"有 {count} 个文件" in theme and f"{count - 1} 个与本版本自带的完全相同" in theme and "partials/gongkai/footer.html" in theme


def test_the_plugin_and_a_hooks_file_together_are_refused(tmp_path):
    root = init(tmp_path)
    shutil.copytree(REPO / "hooks", root / "hooks")
    settings = (root / "mkdocs.yml").read_text(encoding="utf-8").replace("plugins:\n  - gongkai\n", "plugins:\n  - gongkai\nhooks:\n  - hooks/gongkai_hooks.py\n")
    (root / "mkdocs.yml").write_text(settings, encoding="utf-8")
    built = gongkai(root, "build")
    assert built.returncode == 1
    assert "hooks 中不能再有 hooks/gongkai_hooks.py" in built.stderr, built.stderr


def test_the_engine_repository_is_not_an_old_layout():
    """The sample portal builds from the repository's own hooks/ and theme/: nothing to migrate."""
    check = json.loads(gongkai(REPO, "check", "--json").stdout)
    assert not [p for p in check["problems"] if "旧的门户布局" in p["message"] or "同名" in p["message"]]


def test_in_a_terminal_init_asks_for_what_the_flags_leave_out(tmp_path):
    """A real pseudo-terminal: a bad answer is explained and asked again, Enter takes the default."""
    import pty  # Linux only, like the CI; only this test needs a terminal
    import select  # (as above)

    typed = ["某县人民政府信息公开", "xzf,某县人民政府办公室", "id=xzf,name=某县人民政府办公室,code=11369999MB0000001A", "", "", "3609990001", "", "gitee", "gitlab"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: gongkai init with its stdin a terminal
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "gongkai.cli", "init", "portal"])

    def read() -> bytes:
        assert select.select([fd], [], [], 60)[0], f"gongkai init waits for nothing the test types:\n{shown.decode('utf-8', 'replace')}"
        return os.read(fd, 4096)

    shown = b""
    for line in typed:
        while not shown.rstrip().endswith(":".encode()):  # the next question (a prompt ends with a colon)
            shown += read()
        os.write(fd, (line + "\n").encode())
        shown += read()  # the echo of the answer
    try:
        while chunk := read():
            shown += chunk
    except OSError:  # the child has exited
        pass
    _, status = os.waitpid(pid, 0)
    text = shown.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "应写成 键=值" in text and "'gitee' 无效" in text and "Traceback" not in text
    config = yaml.safe_load((tmp_path / "portal" / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["site_name"] == "某县人民政府信息公开"
    assert config["extra"]["gongkai"]["agency"] == "某县人民政府办公室"  # Enter: the first unit's name
    assert config["extra"]["gongkai"]["site_code"] == "3609990001"
    assert (tmp_path / "portal" / ".gitlab-ci.yml").is_file()
