"""Fuzzing the loader, the redaction and the gate: every input ends in a decision or a
`path:line` problem, never a traceback, and text inside 【不公开】 never comes out.

CI runs a bounded, seeded run. A longer run:  HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py
"""
from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongkai.gate.decide import CLOSE, OPEN, Gate, redact
from gongkai.model import STAGES, Settings, Unit, Verdict
from gongkai.read.loader import load_item
from gongkai.trust.review import Trust, Verifier

settings.register_profile("ci", max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SETTINGS = Settings(agency="测试", units=(Unit("xzf", "测试县人民政府办公室", "11369999MB0000001A"),))
GATE = Gate(SETTINGS, Verifier(Trust()), date(2026, 1, 1))
KEYS = ["title", "index_no", "unit", "attribute", "category", "created", "published", "basis", "summary", "attachments", "reviews", "secrecy", "report", "source", "validity", "repealed_on"]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.sampled_from(["主动公开", "部分公开", "依申请公开", "不予公开", "xzf", "通知公告", "2025-01-02", "11369999MB0000001A/2025-00001", "年度报告"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS + list(STAGES) + ["stage", "by", "at", "sig"]), children, max_size=3),
    max_leaves=8,
)


def _load(raw: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "content").mkdir()
        path = root / "content" / "a.md"
        path.write_bytes(raw)
        return load_item(path, root / "content", root, SETTINGS)


def _assert_well_formed(loaded) -> None:
    for problem in loaded.problems:
        assert problem.path == "content/a.md" and problem.line >= 0 and problem.message
        assert str(problem).startswith("content/a.md:")
    decision = GATE.decide(loaded)
    assert decision.verdict in Verdict


@given(st.binary(max_size=400))
def test_any_bytes_load_to_a_decision_or_problems(raw):
    _assert_well_formed(_load(raw))


@given(st.text(max_size=300))
def test_any_text_after_a_fence_loads_to_a_decision_or_problems(text):
    _assert_well_formed(_load(("---\n" + text + "\n---\n正文").encode("utf-8")))


@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=10), st.text(max_size=200))
def test_any_front_matter_gets_a_decision(meta, body):
    import yaml

    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body
    _assert_well_formed(_load(text.encode("utf-8")))


PUBLIC = st.text(alphabet="abcdefg 。\n甲乙丙丁", max_size=20)
HIDDEN = st.text(alphabet="XYZ0123456789", min_size=1, max_size=20)


@given(st.lists(st.tuples(PUBLIC, HIDDEN), min_size=1, max_size=5), PUBLIC)
def test_redaction_never_lets_withheld_text_out(pairs, tail):
    body = "".join(f"{public}{OPEN}{hidden}{CLOSE}" for public, hidden in pairs) + tail
    text, problems = redact(body, "条例第十五条", "a.md", 1)
    assert problems == []
    for _, hidden in pairs:
        assert hidden not in text
    assert not set("XYZ0123456789") & set(text.replace("条例第十五条", ""))


@given(st.lists(st.one_of(PUBLIC, HIDDEN, st.sampled_from([OPEN, CLOSE])), max_size=12))
def test_redaction_of_any_marker_sequence_is_balanced_or_refused(parts):
    body = "".join(parts)
    text, problems = redact(body, "", "a.md", 1)
    if problems:
        assert all(p.path == "a.md" and p.line >= 1 for p in problems)
    else:
        assert OPEN not in text and CLOSE not in text
