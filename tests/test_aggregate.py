"""The 汇总 report (`report: {year, aggregate: [units…]}`): every cell of tables 二, 三 and 四 the sum
of the listed units' reports, cell by cell; where it lives; what the validation refuses."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from gongkai import portal as P
from gongkai.model import Verdict
from gongkai.report.figures import AGGREGATE_SLOT, aggregate_units, report_slot
from gongkai.report.grids import report_grids
from gongkai.report.tables import aggregate_report_tables
from gongkai.report.validate import validate_report
from gongkai.site import generated
from tests.kit import copy_sample

AGGREGATE = "content/xzf/2026/gknb-2025-huizong.md"
UNITS = ("content/xzf/2026/gknb-2025.md", "content/fgj/2026/gknb-2025.md", "content/jyj/2026/gknb-2025.md")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("aggregate") / "portal"
    config = copy_sample(root)
    portal = P.evaluate(root, root / "content", config["extra"]["gongkai"], config["site_name"], today=date(2026, 6, 30))
    site = generated.Site(config["site_name"], "https://www.example.gov.cn/", True, root / "mkdocs.yml")
    return portal, site


def figures(tables) -> list[tuple[str, int, int, int | float]]:
    """Returns (table, row, column, figure) of every figure cell of tables 二, 三 and 四 as printed."""
    found = []
    for grid in report_grids(tables):
        for r, row in enumerate(grid.rows):
            for c, cell in enumerate(row):
                if not cell.header:
                    found.append((grid.caption, r, c, cell.value))
    return found


def test_every_cell_of_the_sample_aggregate_is_the_sum_of_its_units(sample):
    portal, _ = sample
    assert set(UNITS) | {AGGREGATE} <= set(portal.reports)
    whole = portal.reports[AGGREGATE]
    assert whole.problems == ()
    parts = [figures(portal.reports[path]) for path in UNITS]
    cells = figures(whole)
    assert len(cells) > 190  # tables 二 (28 figures), 三 (~180) and 四 (15)
    for index, (table, row, column, value) in enumerate(cells):
        expected = sum(part[index][3] or 0 for part in parts)
        assert all(part[index][:3] == (table, row, column) for part in parts)
        assert value == expected, (table, row, column, value, [part[index][3] for part in parts])
    # a few cells by name, against the units' reports in content/
    assert whole.request("新收") == 24 + 12 + 16
    assert whole.disclosure["licensing"] == (356 + 28,)
    assert whole.appeals["行政复议"]["总计"] == 2


def test_the_aggregate_has_its_own_page_beside_the_units(sample):
    portal, site = sample
    decision = next(d for d in portal.decisions if d.path == AGGREGATE)
    assert decision.verdict is Verdict.PUBLISH
    assert aggregate_units(decision.item) == ("xzf", "fgj", "jyj") and report_slot(decision.item) == AGGREGATE_SLOT
    src_of = generated.page_sources(portal)
    assert src_of(decision.item) == "xxgk/gknb/2025/huizong/index.md"
    made = generated.report_output(portal, decision)
    assert made.xlsx == "xxgk/gknb/2025/huizong/gknb-2025-huizong.xlsx"
    # the xzf office's own report keeps its place
    own = next(d for d in portal.decisions if d.path == UNITS[0])
    assert src_of(own.item) == "xxgk/gknb/2025/xzf/index.md"
    index = next(f.content for f in generated.generated_files(portal, site) if f.src == "xxgk/gknb/index.md")
    assert "汇总" in index and "2025/huizong/" in index
    assert generated.output_problems(portal, True) == {}


def test_a_missing_unit_report_is_an_error_and_a_short_sum(sample):
    portal, _ = sample
    item = next(d.item for d in portal.decisions if d.path == AGGREGATE)
    parts = {"xzf": portal.reports[UNITS[0]], "fgj": None}
    tables = aggregate_report_tables(item, parts)
    (problem,) = [p for p in tables.problems if p.is_error]
    assert problem.path == AGGREGATE and problem.line == item.line_of("report.aggregate")
    assert "fgj" in problem.message and "没有已发布的2025年度报告" in problem.message
    assert tables.request("新收") == portal.reports[UNITS[0]].request("新收")


def test_an_aggregate_takes_no_figures_of_its_own(sample):
    portal, _ = sample
    item = next(d.item for d in portal.decisions if d.path == AGGREGATE)
    typed = dataclasses.replace(item, meta={**item.meta, "report": {**item.meta["report"], "licensing": 5, "requests": {}}})
    messages = [p.message for p in validate_report(typed) if p.is_error]
    assert any(m.startswith("report.licensing: 汇总报告的各项数字由 aggregate 所列机构同年度报告相加得出") for m in messages), messages
    assert any(m.startswith("report.requests: 汇总报告") for m in messages), messages
    bad = dataclasses.replace(item, meta={**item.meta, "report": {"year": 2025, "aggregate": ["xzf", "xzf"]}})
    assert any("report.aggregate 应为所汇总的机构 id 列表(不重复)" in p.message for p in validate_report(bad))
    assert [p for p in validate_report(item) if p.is_error] == []
