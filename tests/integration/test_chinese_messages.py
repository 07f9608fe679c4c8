"""Everything the `gongkai` command says about a mistake is Chinese: malformed YAML (front-matter,
reviewers.yml, mkdocs.yml) and malformed command lines, each through the real command, each message
in Chinese, naming `path:line` where there is one, with no traceback and none of the English of
PyYAML, argparse, MkDocs or the OS."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

import pytest
import yaml

# The English a user must never be left with: PyYAML's, libyaml's, argparse's, MkDocs', the OS's.
ENGLISH = (
    "Traceback", "mapping values", "could not find expected", "found character", "while scanning", "while parsing",
    "did not find expected", "expected <block end>", "usage:", "error:", "the following arguments", "invalid choice",
    "unrecognized arguments", "invalid int value", "show this help", "positional arguments", "options:",
    "Aborted with", "Config value", "Unrecognised", "Errno", "Permission denied", "Is a directory", "Not a directory",
    "File exists", "MkDocs encountered", "WARNING", "INFO ",
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _item_text(*front: str) -> str:
    return "\n".join(["---", *front, "---", "正文。", ""])


GOOD = (
    'index_no: "11369999MB0000001A/2025-00001"',
    "unit: xzf",
    "attribute: 主动公开",
    "category: 通知公告",
    "created: 2025-03-01",
    "published: 2025-03-03",
)


def _front(portal, title_line: str, *others: str) -> None:
    (portal.root / "content" / "xzf").mkdir(parents=True, exist_ok=True)
    (portal.root / "content" / "xzf" / "bad.md").write_text(_item_text(title_line, *(others or GOOD)), encoding="utf-8")


def _yaml_settings(portal, corrupt: Callable[[str], str]) -> None:
    """Rewrites the test portal's mkdocs.yml as YAML, then corrupts it."""
    config = json.loads((portal.root / "mkdocs.yml").read_text(encoding="utf-8"))
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    (portal.root / "mkdocs.yml").write_text(corrupt(text), encoding="utf-8")


def _line_of(portal, rel: str, needle: str) -> int:
    lines = (portal.root / rel).read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, 1) if needle in line)


@dataclass
class Case:
    setup: Callable
    args: tuple[str, ...]
    where: Callable | None  # portal -> the "path:line" the message must name (None: no line)
    words: tuple[str, ...] = ()  # what must be said (the first at path:line, when there is one)
    code: int = 1


CASES = {
    # --- front-matter
    "front-matter full-width colon": Case(
        lambda p: _front(p, "title: 通知", GOOD[0], "unit：xzf", *GOOD[2:]), ("check",), lambda p: "content/xzf/bad.md:4", ("全角冒号", "unit: ")),
    "front-matter full-width colon on the first key": Case(
        lambda p: _front(p, "title：关于做好春节期间安全生产工作的通知"), ("check",), lambda p: "content/xzf/bad.md:2", ("全角冒号",)),
    "front-matter tab": Case(
        lambda p: _front(p, "title: 通知", *GOOD[:2], "\tattribute: 主动公开", *GOOD[3:]), ("check",), lambda p: "content/xzf/bad.md:5", ("制表符",)),
    "front-matter unquoted colon": Case(
        lambda p: _front(p, "title: 关于印发《办法》的通知: 试行"), ("check",), lambda p: "content/xzf/bad.md:2", ("引号", '"关于印发《办法》的通知: 试行"')),
    "front-matter leading *": Case(lambda p: _front(p, "title: *重要*通知"), ("check",), lambda p: "content/xzf/bad.md:2", ("引号",)),
    "front-matter leading @": Case(lambda p: _front(p, "title: @各乡镇 通知"), ("check",), lambda p: "content/xzf/bad.md:2", ("@", "引号")),
    "front-matter value starting with [": Case(lambda p: _front(p, "title: [转发]关于防汛的通知"), ("check",), lambda p: "content/xzf/bad.md:2", ("引号", '"[转发]关于防汛的通知"')),
    "front-matter unclosed [": Case(lambda p: _front(p, "title: 通知", "co_units: [fgj", *GOOD), ("check",), lambda p: "content/xzf/bad.md:3", ("方括号",)),
    "front-matter value starting with #": Case(lambda p: _front(p, "title: #3号通知"), ("check",), lambda p: "content/xzf/bad.md:2", ("注释", "引号")),
    "front-matter indentation": Case(
        lambda p: _front(p, "title: 通知", *GOOD, "source:", "  name: 示例日报", " url: https://example.com/"), ("check",), lambda p: "content/xzf/bad.md:11", ("缩进", "1 个空格")),
    # --- reviewers.yml
    "reviewers.yml indentation": Case(
        lambda p: (p.root / "reviewers.yml").write_text("reviewers:\n  - id: chu\n    name: 初审员\n   units: [xzf]\n", encoding="utf-8"),
        ("check",), lambda p: "reviewers.yml:4", ("缩进",)),
    "reviewers.yml full-width colon": Case(
        lambda p: (p.root / "reviewers.yml").write_text("reviewers:\n  - id：chu\n    name: 初审员\n", encoding="utf-8"),
        ("check",), lambda p: "reviewers.yml:2", ("全角冒号",)),
    # --- mkdocs.yml
    "mkdocs.yml full-width colon": Case(
        lambda p: _yaml_settings(p, lambda t: t.replace("docs_dir: content", "docs_dir：content")), ("build",), lambda p: f"mkdocs.yml:{_line_of(p, 'mkdocs.yml', 'docs_dir：')}", ("全角冒号",)),
    "mkdocs.yml tab": Case(
        lambda p: _yaml_settings(p, lambda t: t.replace("  name: material", "\tname: material")), ("check",), lambda p: f"mkdocs.yml:{_line_of(p, 'mkdocs.yml', chr(9))}", ("制表符",)),
    "mkdocs.yml unknown setting, strict": Case(
        lambda p: _yaml_settings(p, lambda t: t + "site_titel: 测试\n"), ("build", "--strict"), lambda p: f"mkdocs.yml:{_line_of(p, 'mkdocs.yml', 'site_titel')}", ("site_titel", "严格模式")),
    "mkdocs.yml wrong theme": Case(
        lambda p: _yaml_settings(p, lambda t: t.replace("name: material", "name: materia")), ("check",), lambda p: f"mkdocs.yml:{_line_of(p, 'mkdocs.yml', 'theme:')}", ("主题",)),
    "mkdocs.yml is a folder": Case(lambda p: (p.root / "设置").mkdir(), ("check", "-f", "设置"), None, ("目录",)),
    # --- the command line
    "unknown flag": Case(lambda p: None, ("build", "--bogus"), None, ("用法", "无法识别的参数"), 2),
    "missing required arguments": Case(lambda p: None, ("new",), None, ("缺少必需的参数", "--unit", "标题"), 2),
    "no verb": Case(lambda p: None, (), None, ("缺少必需的参数", "命令"), 2),
    "bad choice": Case(lambda p: None, ("buld",), None, ("'buld'", "可选"), 2),
    "bad number": Case(lambda p: None, ("publish", "/tmp/x", "--keep", "五"), None, ("不是有效的整数",), 2),
    "flag given a value": Case(lambda p: None, ("check", "--json=yes"), None, ("不带值",), 2),
    "help": Case(lambda p: None, ("build", "-h"), None, ("用法", "选项", "显示本帮助并退出"), 0),
    # --- the OS
    "ledger into a file's folder": Case(
        lambda p: (p.root / "台账").write_text("not a folder", encoding="utf-8"), ("ledger", "--month", "2025-03"), None, ("无法写入台账", "台账"), 1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_message_is_chinese(portal, name):
    case = CASES[name]
    case.setup(portal)
    result = portal.run(*case.args, env={"GONGKAI_TODAY": "2025-03-05"})
    said = result.stdout + result.stderr
    assert result.returncode == case.code, said
    problems = [line for line in said.splitlines() if line.strip()]
    assert problems, "said nothing"
    english = [phrase for phrase in ENGLISH if phrase in said]
    assert not english, f"English left: {english}\n{said}"
    assert CJK.search(said), said
    if case.where is not None:
        where = case.where(portal)
        named = [line for line in problems if line.startswith(where + ":")]
        assert named, f"no message at {where}:\n{said}"
        assert all(CJK.search(line) for line in named)
        assert any(case.words[0] in line for line in named), f"{case.words[0]!r} not at {where}:\n{said}"
    for word in case.words:
        assert word in said, f"{word!r} not said:\n{said}"


def test_a_parsing_error_is_one_message_at_the_line_to_fix(portal):
    """The full-width colon is reported where it was typed, not on the line after where PyYAML
    noticed, and once."""
    _front(portal, "title: 通知", "index_no：11369999MB0000001A/2025-00001", *GOOD[1:])
    said = portal.run("check").stdout
    lines = [line for line in said.splitlines() if re.match(r"content/xzf/bad\.md:\d+: ", line)]
    assert lines == [lines[0]] and lines[0].startswith("content/xzf/bad.md:3: "), said


def test_serve_says_in_chinese_why_a_rebuild_failed_and_repeats_no_warning(portal, tmp_path):
    """While `gongkai serve` runs, an edit that breaks mkdocs.yml or stops the gate is said in
    Chinese at its line (MkDocs' server would print a traceback or "Aborted with …"), and a
    warning that stays the same is shown once."""
    import os
    import subprocess
    import sys
    import time

    from tests.kit import free_port, http_get, stop_server, wait_until

    portal.item("xzf/a.md", "正文。")
    portal.sign("xzf/a.md")
    portal.item("xzf/w.md", "正文。", created="2025-03-02", published="2025-03-01")  # a warning on every build
    _yaml_settings(portal, lambda t: t)
    settings = (portal.root / "mkdocs.yml").read_text(encoding="utf-8")
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gongkai.cli", "serve", "-a", f"127.0.0.1:{port}"], cwd=portal.root, env={**os.environ, "GONGKAI_TODAY": "2025-03-05"},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    said = lambda: log.read_text(encoding="utf-8")  # noqa: E731

    try:
        wait_until(lambda: http_get(port, "/xzf/a/")[0] == 200, server)
        wait_until(lambda: "预览地址" in said(), server)
        with open(portal.root / "mkdocs.yml", "r+", encoding="utf-8") as handle:  # in place, as an editor saves
            handle.write(settings.replace("docs_dir: content", "docs_dir：content"))
        wait_until(lambda: "重新构建失败" in said(), server)
        (portal.root / "mkdocs.yml").write_text(settings, encoding="utf-8")
        wait_until(lambda: said().count("网站构建完成") >= 2, server)
        portal.item("xzf/secret.md", "正文。", secrecy="秘密")
        wait_until(lambda: said().count("重新构建失败") >= 2, server)
        time.sleep(1)
    finally:
        stop_server(server)
    text = said()
    line = next(n for n, x in enumerate(settings.split("\n"), 1) if x.startswith("docs_dir:"))
    assert f"mkdocs.yml:{line}: YAML 格式错误" in text and "全角冒号" in text, text
    assert "content/xzf/secret.md:" in text and "构建已停止" in text, text
    english = [phrase for phrase in ENGLISH if phrase in text]
    assert not english, f"English left: {english}\n{text}"
    # The same warnings on every rebuild: shown at the first build only, then counted.
    assert len([x for x in text.splitlines() if x.startswith("content/xzf/w.md:")]) == 1, text
    assert text.count("增量构建") == 1, text
    assert "另有 2 条警告与上次构建相同,不再重复显示" in text, text
