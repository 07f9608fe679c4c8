"""No crash, no stall, on any input: adversarial sizes in front-matter and body.

Every case ends, within seconds, in a clear `path:line` problem or a decision — never a traceback,
a segmentation fault (libyaml recurses in C) or a regex that backtracks for minutes.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from gongkai.model import Verdict
from gongkai.portal import evaluate
from gongkai.read import yamlsafe

# Seconds: the cases take well under one on an idle machine; the tests share two cores with
# other test processes. What they guard against took minutes (or crashed).
GATE_SECONDS = 8
CHECK_SECONDS = 30

# front-matter lines (after the defaults) -> the line the problem must name, and what it says
FRONT_MATTER = {
    "bigint": ("doc_no: " + "9" * 5000, 9, "位数过多"),
    "bigint-nested": ("report:\n  year: " + "9" * 5000, 10, "位数过多"),
    "bighex": ("doc_no: 0x" + "f" * 6000, 9, "位数过多"),
    "base60": ("doc_no: " + "1:" * 30000 + "1.5", 9, "位数过多"),
    "bigfloat": ("doc_no: 1.0e+99999", 9, "有限数"),
    "longfloat": ("doc_no: " + "1" * 60000 + ".5", 9, "位数过多"),
    "deep-flow": ("topic: " + "[" * 100000 + "]" * 100000, None, "front-matter 过长"),
    "deep-flow-small": ("topic: " + "[" * 20000 + "]" * 20000, 9, "嵌套层数过多"),
    "deep-block": ("topic:\n  " + "- " * 30000 + "x", None, "嵌套层数过多"),
    "deep-map": ("topic: " + "{a: " * 5000 + "1" + "}" * 5000, 9, "嵌套层数过多"),
    "long-title": ("summary: 概述", None, "标题过长"),  # title replaced below
    "huge-title": ("summary: 概述", 1, "front-matter 过长"),  # title replaced below
    "long-field": ("summary: \"" + "概" * 20000 + "\"", 9, "字段 summary 过长"),
    "many-keys": ("\n".join(f"k{i}: {i}" for i in range(8000)), 1, "front-matter 过长"),
}
BODIES = {
    "2MB-line": "正文" + "a" * 2_000_000,
    "brackets": "【" * 50000,
    "near-markers": "[不公开" * 50000,
    "deep-brackets": "[" * 10000,
    "link-openers": "[a](" * 50000,
    "images": "![" * 100000,
    "digits": " ".join("1234567890"[i % 10] for i in range(200_000)),
    "numbers": " ".join(str(i) for i in range(40000)),
    "id-prefixes": "11010119900307 " * 20000,
    "stars": "秘密 ★" * 30000,
    "html": "<div>" * 10000 + "<" * 100000,
    "urls": "http://" * 50000,
    "validity": "自2025年1月1日起施行" * 20000,
    "escapes": "[" + "\\\\" * 100000,
    "digits-and-markers": " ".join(str(i) for i in range(100000)) + "【不公开】" + "［不 公 开］" * 10000,
    "marker-pairs": "【不公开】x【/不公开】\n" * 20000,
}


def _front_matter_case(portal, name: str) -> None:
    extra, line, _ = FRONT_MATTER[name]
    path = portal.item(f"xzf/{name}.md")
    text = path.read_text(encoding="utf-8")
    if name == "long-title":
        text = text.replace('title: "', 'title: "' + "长" * 600, 1)
    if name == "huge-title":
        text = text.replace('title: "', 'title: "' + "长" * 100_000, 1)
    head, body = text.split("\n---\n", 1)
    path.write_text(head + "\n" + extra + "\n---\n" + body, encoding="utf-8")


def _gongkai(portal):
    return json.loads((portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"]


@pytest.mark.parametrize("name", sorted(FRONT_MATTER))
def test_adversarial_front_matter_is_a_clear_problem_quickly(portal, name):
    _front_matter_case(portal, name)
    _, line, message = FRONT_MATTER[name]
    start = time.monotonic()
    result = evaluate(portal.root, portal.root / "content", _gongkai(portal), "测试县")
    assert time.monotonic() - start < GATE_SECONDS
    (decision,) = result.decisions
    assert decision.verdict is Verdict.REFUSE
    found = [p for p in decision.problems if message in p.message]
    assert found and found[0].path == f"content/xzf/{name}.md", decision.problems
    if line is not None:
        assert found[0].line == line, found
    assert len(found[0].message) < 400


def test_gongkai_check_reports_every_adversarial_front_matter_without_a_traceback(portal):
    for name in FRONT_MATTER:
        _front_matter_case(portal, name)
    start = time.monotonic()
    result = portal.run("check")
    assert time.monotonic() - start < CHECK_SECONDS
    assert result.returncode == 1, result.stderr[-2000:]  # not -11 (SIGSEGV) nor a traceback
    assert "Traceback" not in result.stdout + result.stderr
    for name, (_, line, message) in FRONT_MATTER.items():
        where = f"content/xzf/{name}.md:{line}: " if line is not None else f"content/xzf/{name}.md:"
        assert any(row.startswith(where) and message in row for row in result.stdout.splitlines()), name


SLOW_IN_GATE: set[str] = set()  # gate.redact and the scans count lines in one pass (was quadratic)


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(reason="gate.redact: a line count per marker", strict=False)) if n in SLOW_IN_GATE else n for n in sorted(BODIES)],
)
def test_gate_decides_an_adversarial_body_quickly(portal, name):
    """Signed, so that every scan of the gate runs (an unsigned item stops at 待审)."""
    portal.item("xzf/a.md", BODIES[name])
    portal.item("xzf/b.md", BODIES[name], attribute="部分公开", basis="条例第十五条 个人隐私")
    portal.sign("xzf/a.md")
    portal.sign("xzf/b.md")
    start = time.monotonic()
    result = evaluate(portal.root, portal.root / "content", _gongkai(portal), "测试县")
    assert time.monotonic() - start < GATE_SECONDS
    assert all(d.verdict in Verdict for d in result.decisions)
    assert all(p.path.startswith("content/xzf/") and p.line >= 1 for d in result.decisions for p in d.problems)


def test_gongkai_check_over_adversarial_bodies_takes_seconds(portal):
    """One portal with every adversarial body: `check` also runs the site-health checks (links,
    validity dates, reprints) over each body. Before, "[不公开" x 50,000 alone took six minutes."""
    for name, body in BODIES.items():
        portal.item(f"xzf/{name}.md", body)
        portal.sign(f"xzf/{name}.md")
    start = time.monotonic()
    result = portal.run("check")
    elapsed = time.monotonic() - start
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1, result.stdout  # "秘密 ★" among them is a 密级 mark: an error
    assert "content/xzf/stars.md: 构建失败" in result.stdout
    assert elapsed < CHECK_SECONDS, elapsed


# ------------------------------------------------------------------ the YAML reader alone


@pytest.mark.parametrize(
    "text",
    [
        "n: " + "[" * 100000 + "]" * 100000,  # libyaml: SIGSEGV
        "n:\n  " + "- " * 100000 + "x",
        "- " * 100000 + "x",
        "? " * 100000 + "x",
        "n: " + "{a: " * 100000 + "1" + "}" * 100000,
    ],
    ids=["flow", "block", "top", "complex-keys", "mappings"],
)
def test_yaml_nesting_is_a_problem_not_a_crash(text):
    start = time.monotonic()
    with pytest.raises(yamlsafe.YamlProblem, match="嵌套层数过多|YAML 格式错误"):
        yamlsafe.parse(text)
    assert time.monotonic() - start < GATE_SECONDS


def test_yaml_numbers_beyond_any_real_figure_are_refused():
    for text in ("n: " + "9" * 5000, "n: -" + "9" * 20, "n: 0x" + "f" * 6000, "n: 1.5e+300", "n: 0" + "7" * 40, "n: " + "1:" * 10 + "1"):
        with pytest.raises(yamlsafe.YamlProblem, match="位数过多"):
            yamlsafe.parse(text)
    assert yamlsafe.parse("n: 123456789012345\nf: 12.5").data == {"n": 123456789012345, "f": 12.5}


def test_settings_with_a_number_too_long_to_use_are_a_config_error():
    from gongkai.errors import ConfigError
    from gongkai.settings import load_settings

    unit = {"id": "xzf", "name": "办公室", "code": "11369999MB0000001A"}
    for extra, key in (({"units": [unit], "site_code": 10**1000}, "site_code"), ({"units": [{**unit, "code": 10**1000}]}, "units[0].code")):
        with pytest.raises(ConfigError, match=f"extra.gongkai.{re.escape(key)}: 数字位数过多"):
            load_settings(extra, "测试县")


def test_update_cycle_beyond_any_date_is_a_setting_problem_not_a_crash(portal):
    portal.write_settings(update_cycles={"通知公告": "9" * 20 + "d", "工作动态": 10**12})
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md")
    result = portal.run("check")
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-1500:]
    assert "extra.gongkai.update_cycles.通知公告" in result.stdout and "extra.gongkai.update_cycles.工作动态" in result.stdout
