"""The generated portal: catalog exports, catalog pages, guide, 依申请公开目录, reports, feed."""
from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest


@pytest.fixture(scope="module")
def built(tmp_path_factory, keys):
    from tests.kit import Portal

    p = Portal(tmp_path_factory.mktemp("pages") / "portal", keys)
    canaries = {k: f"CANARY{k}{uuid.uuid4().hex[:10]}" for k in ("pending", "withheld", "ondemand", "refused", "future")}
    p.item("xzf/policy.md", "政策正文第一段,说明办法的适用范围。\n\n第二段。", title="示例县临时救助办法", category="规范性文件", doc_no="测府发〔2025〕1号",
           index_no="11369999MB0000001A/2025-00001")
    p.sign("xzf/policy.md")
    p.item("xzf/jiedu.md", "解读正文。", title="《示例县临时救助办法》政策解读", category="政策解读", interprets="11369999MB0000001A/2025-00001",
           index_no="11369999MB0000001A/2025-00002")
    p.sign("xzf/jiedu.md")
    p.item("fgj/partial.md", "公开部分。【不公开】秘密的名字【/不公开】", title="部分公开的处罚决定", unit="fgj", attribute="部分公开",
           basis="条例第十五条 个人隐私", category="行政处罚", index_no="11369999MB0000002B/2025-00001", published="2025-04-01")
    p.sign("fgj/partial.md")
    p.item("fgj/ondemand.md", f"正文 {canaries['ondemand']}", title="依申请公开的可研报告", unit="fgj", attribute="依申请公开", basis="条例第二十七条",
           category="重大建设项目", summary="项目可行性研究报告,依申请提供。", index_no="11369999MB0000002B/2025-00002", published=None)
    p.sign("fgj/ondemand.md")
    p.item("xzf/pending.md", canaries["pending"], title=f"待审 {canaries['pending']}", index_no="11369999MB0000001A/2025-00003")
    p.item("xzf/withheld.md", canaries["withheld"], title=f"不予公开 {canaries['withheld']}", attribute="不予公开", basis="条例第十四条",
           index_no="11369999MB0000001A/2025-00004", published=None)
    p.sign("xzf/withheld.md")
    p.item("xzf/future.md", canaries["future"], title=f"定时 {canaries['future']}", published="2099-01-01", index_no="11369999MB0000001A/2025-00005")
    p.sign("xzf/future.md")
    p.item("xzf/refused.md", canaries["refused"], title=f"拒绝 {canaries['refused']}", category="不存在", index_no="11369999MB0000001A/2025-00006")
    for n in range(7, 7 + 55):  # enough 通知公告 to need two catalog pages
        p.item(f"xzf/tz/{n}.md", f"第{n}号通知正文。", title=f"第{n}号通知", index_no=f"11369999MB0000001A/2024-{n:05d}", created="2024-05-01", published="2024-05-06")
        p.sign(f"xzf/tz/{n}.md")
    result = p.build()
    assert result.returncode == 0, result.stderr
    return p, canaries


def test_catalog_json_lists_exactly_the_published_and_on_demand_entries(built):
    p, canaries = built
    data = json.loads((p.site / "catalog.json").read_text(encoding="utf-8"))
    assert data["columns"] == ["index_no", "title", "summary", "unit", "attribute", "category", "topic", "genre", "doc_no", "created", "published", "validity", "url"]
    by_index = {e["index_no"]: e for e in data["entries"]}
    expected = {"11369999MB0000001A/2025-00001", "11369999MB0000001A/2025-00002", "11369999MB0000002B/2025-00001", "11369999MB0000002B/2025-00002"}
    expected |= {f"11369999MB0000001A/2024-{n:05d}" for n in range(7, 62)}
    assert set(by_index) == expected
    assert by_index["11369999MB0000002B/2025-00002"]["url"] == ""  # 依申请公开: no page
    assert by_index["11369999MB0000002B/2025-00002"]["attribute"] == "依申请公开"
    assert by_index["11369999MB0000001A/2025-00001"]["url"] == "https://www.example.gov.cn/xzf/policy/"
    assert by_index["11369999MB0000001A/2025-00001"]["doc_no"] == "测府发〔2025〕1号"
    for canary in canaries.values():
        assert p.leaks(canary) == [], canary
    assert p.leaks("秘密的名字") == []


def test_catalog_csv_opens_in_excel(built):
    p, _ = built
    raw = (p.site / "catalog.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["索引号", "标题", "内容概述", "发布机构"]
    assert len(rows) == 1 + 4 + 55


def test_catalog_pages_paginate_and_show_the_required_columns(built):
    p, _ = built
    first = (p.site / "xxgk/gkml/tzgg/index.html").read_text(encoding="utf-8")
    second = (p.site / "xxgk/gkml/tzgg/2/index.html").read_text(encoding="utf-8")
    for label in ("索引号", "标题", "内容概述", "文号", "发布机构", "成文日期", "发布日期", "有效性"):
        assert f">{label}</th>" in first
    assert first.count('class="gk-index"') == 50 and second.count('class="gk-index"') == 5
    assert 'rel="next"' in first and 'rel="prev"' in second
    home = (p.site / "xxgk/gkml/index.html").read_text(encoding="utf-8")
    assert "第二十条第（一）项" in home
    unit = (p.site / "xxgk/fgj/gkml/xzcf/index.html").read_text(encoding="utf-8")
    assert "部分公开的处罚决定" in unit
    year = (p.site / "xxgk/gkml/nd/2024/index.html").read_text(encoding="utf-8")
    assert "第61号通知" in year


def test_links_between_policy_and_interpretation_both_ways(built):
    p, _ = built
    policy = (p.site / "xzf/policy/index.html").read_text(encoding="utf-8")
    jiedu = (p.site / "xzf/jiedu/index.html").read_text(encoding="utf-8")
    assert re.search(r'href="\.\./jiedu/"[^>]*>《示例县临时救助办法》政策解读', policy)
    assert re.search(r'href="\.\./policy/"[^>]*>示例县临时救助办法', jiedu)


def test_on_demand_catalog_and_guide(built):
    p, canaries = built
    ysqgk = (p.site / "xxgk/ysqgk/index.html").read_text(encoding="utf-8")
    assert "依申请公开的可研报告" in ysqgk and "项目可行性研究报告,依申请提供。" in ysqgk
    assert "20个工作日" in ysqgk and "信息处理费" in ysqgk
    guide = (p.site / "xxgk/gkzn/index.html").read_text(encoding="utf-8")
    for needle in ("测试县人民政府办公室", "测试县人民路1号", "0799-1234567", "20个工作日", "监督和救济", "行政复议"):
        assert needle in guide, needle
    unit_guide = (p.site / "xxgk/fgj/gkzn/index.html").read_text(encoding="utf-8")
    assert "测试县发展和改革局" in unit_guide and "测试县人民路1号" not in unit_guide


def test_feed_and_sitemap_list_published_pages_only(built):
    p, canaries = built
    feed = (p.site / "feed.xml").read_text(encoding="utf-8")
    assert "<feed" in feed and "示例县临时救助办法" in feed and "依申请公开的可研报告" not in feed
    sitemap = (p.site / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://www.example.gov.cn/xzf/policy/" in sitemap
    assert "pending" not in sitemap and "ondemand" not in sitemap


def test_item_page_shows_metadata_and_partial_notice(built):
    p, _ = built
    page = (p.site / "fgj/partial/index.html").read_text(encoding="utf-8")
    for label in ("索引号", "发布机构", "成文日期", "发布日期", "有效性", "公开属性"):
        assert f">{label}</th>" in page
    for label in ("主题分类", "文号"):  # not given for this item: no empty row
        assert f">{label}</th>" not in page
    assert "gongkai-partial" in page and "条例第十五条 个人隐私" in page
