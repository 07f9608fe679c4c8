"""The generated pages and exports, and where published items land: plain data, no MkDocs build."""
from __future__ import annotations

from datetime import date

import pytest

from gongkai import portal as P
from gongkai.model import Verdict
from gongkai.site import generated
from tests.kit import copy_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The repository's sample portal, judged as on 2026-06-30."""
    root = tmp_path_factory.mktemp("generated") / "portal"
    config = copy_sample(root)
    portal = P.evaluate(root, root / "content", config["extra"]["gongkai"], config["site_name"], today=date(2026, 6, 30))
    return portal, generated.Site(config["site_name"], "https://www.example.gov.cn/", True, root / "mkdocs.yml")


def test_every_generated_file_has_its_own_path_and_the_fixed_ones_are_there(sample):
    portal, site = sample
    made = list(generated.generated_files(portal, site))
    sources = [f.src for f in made]
    assert len(sources) == len(set(sources))
    for src in ("index.md", "xxgk/index.md", "xxgk/gkzn/index.md", "xxgk/gknb/index.md", "xxgk/gkml/dtzt/index.md",
                "assets/gongkai/report.css", "catalog.json", "catalog.csv", "feed.xml"):
        assert src in sources, src
    by_src = {f.src: f for f in made}
    assert by_src["assets/gongkai/report.css"].content == generated.REPORT_CSS.read_text(encoding="utf-8")
    assert "第四十九条" in by_src["xxgk/gknb/index.md"].content
    assert isinstance(by_src["catalog.csv"].content, bytes)
    assert "https://www.example.gov.cn/" in by_src["feed.xml"].content
    # The same portal gives the same files (two builds of one commit agree).
    assert [(f.src, f.content) for f in generated.generated_files(portal, site)] == [(f.src, f.content) for f in made]


def test_annual_reports_have_their_page_and_workbook_under_gknb(sample):
    portal, _ = sample
    src_of = generated.page_sources(portal)
    reports = [d for d in portal.by_verdict(Verdict.PUBLISH) if d.item.path in portal.reports]
    assert reports
    for decision in reports:
        made = generated.report_output(portal, decision)
        assert src_of(decision.item).startswith("xxgk/gknb/") and src_of(decision.item).endswith("/index.md")
        assert made.xlsx.startswith(src_of(decision.item).removesuffix("index.md")) and made.xlsx.endswith(".xlsx")
        assert made.title == decision.item.title
    other = next(d for d in portal.by_verdict(Verdict.PUBLISH) if d.item.path not in portal.reports)
    assert generated.report_output(portal, other) is None and src_of(other.item) == other.item.rel


def test_an_item_landing_on_a_generated_path_is_refused(sample):
    portal, _ = sample
    assert generated.output_problems(portal, True) == {}
    victim = next(d for d in portal.by_verdict(Verdict.PUBLISH) if d.item.path not in portal.reports)
    dest = victim.item.rel.removesuffix(".md") + "/index.html"
    found = generated.output_problems(portal, True, [dest])
    assert list(found) == [victim.path] and found[victim.path].is_error
    refused = generated.refuse(portal, found)
    assert [d.verdict for d in refused.decisions if d.path == victim.path] == [Verdict.REFUSE]
    assert len(refused.by_verdict(Verdict.PUBLISH)) == len(portal.by_verdict(Verdict.PUBLISH)) - 1
