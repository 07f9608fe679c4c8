"""Builds the adversarial corpus and scans every byte of the site for every canary."""
from __future__ import annotations

import uuid

import pytest

from tests.corpus import CASES
from tests.kit import Portal

HIDDEN = [c for c in CASES if c.outcome == "hidden"]
FAILING = [c for c in CASES if c.outcome == "fail"]


def test_corpus_is_large_enough():
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def hidden_build(tmp_path_factory, keys):
    portal = Portal(tmp_path_factory.mktemp("corpus") / "portal", keys)
    canaries = {}
    for number, case in enumerate(HIDDEN):
        canaries[case.name] = f"CANARY{number}x{uuid.uuid4().hex[:12]}"
        case.plant(portal, f"c{number:02d}", canaries[case.name])
    portal.item("ok/visible.md", "一条正常的信息。")
    portal.sign("ok/visible.md")
    result = portal.build()
    return portal, canaries, result


def test_hidden_cases_build_without_traceback(hidden_build):
    portal, _, result = hidden_build
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (portal.site / "ok/visible/index.html").exists()


@pytest.mark.parametrize("case", HIDDEN, ids=[c.name for c in HIDDEN])
def test_hidden_case_leaks_nothing(hidden_build, case):
    portal, canaries, _ = hidden_build
    assert portal.leaks(canaries[case.name]) == []


@pytest.mark.parametrize("case", FAILING, ids=[c.name for c in FAILING])
def test_failing_case_stops_the_build_and_leaks_nothing(portal, case):
    canary = f"CANARY{uuid.uuid4().hex[:12]}"
    portal.item("ok/visible.md", "一条正常的信息。")
    portal.sign("ok/visible.md")
    case.plant(portal, "bad", canary)
    result = portal.build()
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "content/bad/" in result.stderr
    if portal.site.exists():
        assert portal.leaks(canary) == []
        assert portal.leaks("11010519491231002X") == []
