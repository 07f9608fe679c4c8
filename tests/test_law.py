"""law/: the taxonomy, the front-matter schema and the site layout, each one table the rest reads."""
from __future__ import annotations

import dataclasses

import pytest

from gongkai.errors import ConfigError
from gongkai.law import layout, schema, taxonomy
from gongkai.settings import load_settings
from gongkai.site import catalog, pages

UNITS = [{"id": "xzf", "name": "县政府办", "code": "11369999MB0000001A"}]


# ------------------------------------------------------------------ taxonomy


def test_builtin_taxonomy_is_data():
    text = taxonomy.BUILTIN_FILE.read_text(encoding="utf-8")
    assert taxonomy.parse_builtin(text) == {c.id: (c.slug, c.article, c.scope) for c in taxonomy.BUILTIN}
    assert len(taxonomy.BUILTIN) == 22
    assert taxonomy.BUILTIN[0] == taxonomy.Category("机构职能", "jgzn", "第二十条第（二）项", "机关职能、机构设置、办公地址、办公时间、联系方式、负责人姓名")
    assert len({c.id for c in taxonomy.BUILTIN}) == len({c.slug for c in taxonomy.BUILTIN}) == 22


def test_parse_builtin_of_unreadable_text_is_none():
    assert taxonomy.parse_builtin(None) is None
    assert taxonomy.parse_builtin("") is None
    assert taxonomy.parse_builtin("- id: [\n") is None
    assert taxonomy.parse_builtin("BUILTIN = ()\n") is None
    assert taxonomy.parse_builtin("- id: 甲\n  slug: a\n  colour: red\n") is None
    assert taxonomy.parse_builtin("- id: 甲\n  slug: a\n") == {"甲": ("a", "", "")}


@pytest.mark.parametrize("name", ["ANNUAL_REPORT", "INTERPRETATION", "NORMATIVE_DOCUMENT", "RULES", "OTHER_DOCUMENTS", "NOTICES", "NEWS"])
def test_named_categories_are_builtin(name):
    assert getattr(taxonomy, name) in taxonomy.category_ids()


def test_secrecy_review_is_required_for_every_builtin_category():
    known = [c.id for c in taxonomy.BUILTIN]
    assert not any(taxonomy.secrecy_review_optional(c) for c in known + ["自定义类别", ""])
    policy = {"categories": {"通知公告": ["初审", "终审"]}}
    with pytest.raises(ConfigError) as e:
        load_settings({"units": UNITS, "review_policy": policy}, "测试")
    assert "extra.gongkai.review_policy.categories.通知公告: 必须包含 保密审查(涉密信息不上网,先审后发)" in str(e.value)


def test_a_category_may_be_declared_without_secrecy_review(monkeypatch):
    builtin = tuple(dataclasses.replace(c, secrecy_review_optional=True) if c.id == "工作动态" else c for c in taxonomy.BUILTIN)
    monkeypatch.setattr(taxonomy, "BUILTIN", builtin)
    settings = load_settings({"units": UNITS, "review_policy": {"categories": {"工作动态": ["初审", "终审"]}}}, "测试")
    assert settings.required_stages("工作动态") == ("初审", "终审")
    with pytest.raises(ConfigError) as e:  # the default and every other category still need it
        load_settings({"units": UNITS, "review_policy": {"default": ["初审"], "categories": {"通知公告": ["初审"]}}}, "测试")
    assert "review_policy.default: 必须包含 保密审查" in str(e.value)
    assert "review_policy.categories.通知公告: 必须包含 保密审查" in str(e.value)


# ------------------------------------------------------------------ schema


@pytest.mark.parametrize("where", ["item_page", "export", "listing", "on_demand_listing"])
def test_positions_are_one_to_n(where):
    positions = sorted(getattr(f, where) for f in (*schema.FIELDS, schema.URL) if getattr(f, where))
    assert positions == list(range(1, len(positions) + 1))


def test_pages_and_exports_read_the_schema():
    assert [f.label for f in pages.ITEM_FIELDS] == ["索引号", "发布机构", "主题分类", "成文日期", "文号", "发布日期", "有效性", "公开属性"]
    assert catalog.COLUMNS == ("index_no", "title", "summary", "unit", "attribute", "category", "topic", "genre", "doc_no", "created", "published", "validity", "url")
    assert catalog.CSV_HEADERS == ("索引号", "标题", "内容概述", "发布机构", "公开属性", "目录类别", "主题分类", "文种", "文号", "成文日期", "发布日期", "有效性", "网址")
    assert [f.label for f in schema.shown("listing")] == ["索引号", "标题", "内容概述", "文号", "发布机构", "成文日期", "发布日期", "有效性"]
    assert [f.label for f in schema.shown("on_demand_listing")] == ["索引号", "标题", "发布机构", "成文日期", "内容概述"]
    assert "url" not in schema.KEYS


# ------------------------------------------------------------------ layout


def test_layout_paths():
    assert layout.index_src(layout.unit_folder(None, layout.GUIDE)) == "xxgk/gkzn/index.md"
    assert layout.index_src(layout.unit_folder("xzf", layout.GUIDE)) == "xxgk/xzf/gkzn/index.md"
    assert layout.index_src(layout.unit_folder("xzf")) == "xxgk/xzf/index.md"
    assert layout.index_src("") == "index.md"
    assert layout.category_folder("gz") == "xxgk/gkml/gz"
    assert layout.category_folder("gz", "xzf") == "xxgk/xzf/gkml/gz"
    assert layout.year_folder("2025") == "xxgk/gkml/nd/2025"
    assert layout.unit_all_folder("xzf") == "xxgk/xzf/gkml/qb"
    assert layout.report_folder(2024, "xzf") == "xxgk/gknb/2024/xzf"
    assert layout.index_src(layout.CATALOG_HISTORY) == "xxgk/gkml/dtzt/index.md"
    assert layout.is_guide("xxgk/gkzn/index.md") and layout.is_guide("xxgk/xzf/gkzn/index.md")
    assert not layout.is_guide("xxgk/gkml/index.md")


def test_nav_is_the_glue_default():
    assert [{title: src} for title, src in layout.NAV] == [
        {"首页": "index.md"},
        {"信息公开": "xxgk/index.md"},
        {"公开指南": "xxgk/gkzn/index.md"},
        {"公开目录": "xxgk/gkml/index.md"},
        {"依申请公开": "xxgk/ysqgk/index.md"},
        {"年度报告": "xxgk/gknb/index.md"},
    ]


def test_template_globals_are_plain_data():
    found = layout.template_globals()
    assert found["nav"] == [("首页", ""), ("信息公开", "xxgk/"), ("公开指南", "xxgk/gkzn/"), ("公开目录", "xxgk/gkml/"), ("依申请公开", "xxgk/ysqgk/"), ("年度报告", "xxgk/gknb/")]
    assert found["catalog"] == "xxgk/gkml/" and found["xxgk"] == "xxgk/"
    assert found["dated_kinds"] == ["item", "report"]
    assert found["indexed_kinds"] == ["item", "guide", "ysqgk", "report"]


def test_readme_lists_every_front_matter_field():
    from tests.kit import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for f in schema.FIELDS:
        assert f"| `{f.key}` | {f.label} |" in readme, f"README.md: the front-matter table lacks {f.key}"
