"""The guide, the 依申请公开 page, the application form, the 法定主动公开内容 and 政府信息公开制度 pages,
and the catalog's 内容概述: each element the 条例 asks for, checked against the 条例's own words.

The wording below is copied from 《中华人民共和国政府信息公开条例》(国务院令第711号) independently
of gongkai/law/regulation.py: a paraphrase there fails here."""
from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from gongkai import portal as P
from gongkai.law import layout
from gongkai.site import catalog, generated, statutory
from tests.kit import copy_sample

# 条例第二十九条: the written request, the oral request, and what a request contains.
ARTICLE_29 = [
    "公民、法人或者其他组织申请获取政府信息的，应当向行政机关的政府信息公开工作机构提出，并采用包括信件、数据电文在内的书面形式；",
    "采用书面形式确有困难的，申请人可以口头提出，由受理该申请的政府信息公开工作机构代为填写政府信息公开申请。",
    "（一）申请人的姓名或者名称、身份证明、联系方式；",
    "（二）申请公开的政府信息的名称、文号或者便于行政机关查询的其他特征性描述；",
    "（三）申请公开的政府信息的形式要求，包括获取信息的方式、途径。",
]
# 第三十条: the correction.
ARTICLE_30 = [
    "政府信息公开申请内容不明确的，行政机关应当给予指导和释明，并自收到申请之日起7个工作日内一次性告知申请人作出补正，说明需要补正的事项和合理的补正期限。",
    "答复期限自行政机关收到补正的申请之日起计算。",
    "申请人无正当理由逾期不补正的，视为放弃申请，行政机关不再处理该政府信息公开申请。",
]
# 第三十一条: when a request counts as received.
ARTICLE_31 = [
    "行政机关收到政府信息公开申请的时间，按照下列规定确定：",
    "（一）申请人当面提交政府信息公开申请的，以提交之日为收到申请之日；",
    "（二）申请人以邮寄方式提交政府信息公开申请的，以行政机关签收之日为收到申请之日；",
    "以平常信函等无需签收的邮寄方式提交政府信息公开申请的，政府信息公开工作机构应当于收到申请的当日与申请人确认，确认之日为收到申请之日；",
    "（三）申请人通过互联网渠道或者政府信息公开工作机构的传真提交政府信息公开申请的，以双方确认之日为收到申请之日。",
]
# 第三十三条, with "和其他机关" in its third paragraph.
ARTICLE_33 = [
    "行政机关收到政府信息公开申请，能够当场答复的，应当当场予以答复。",
    "行政机关不能当场答复的，应当自收到申请之日起20个工作日内予以答复；",
    "需要延长答复期限的，应当经政府信息公开工作机构负责人同意并告知申请人，延长的期限最长不得超过20个工作日。",
    "行政机关征求第三方和其他机关意见所需时间不计算在前款规定的期限内。",
]
# 第三十六条: the kinds of reply.
ARTICLE_36 = [
    "对政府信息公开申请，行政机关根据下列情况分别作出答复：",
    "（一）所申请公开信息已经主动公开的，告知申请人获取该政府信息的方式、途径；",
    "（二）所申请公开信息可以公开的，向申请人提供该政府信息，或者告知申请人获取该政府信息的方式、途径和时间；",
    "（三）行政机关依据本条例的规定决定不予公开的，告知申请人不予公开并说明理由；",
    "（四）经检索没有所申请公开信息的，告知申请人该政府信息不存在；",
    "（五）所申请公开信息不属于本行政机关负责公开的，告知申请人并说明理由；能够确定负责公开该政府信息的行政机关的，告知申请人该行政机关的名称、联系方式；",
    "（六）行政机关已就申请人提出的政府信息公开申请作出答复、申请人重复申请公开相同政府信息的，告知申请人不予重复处理；",
    "（七）所申请公开信息属于工商、不动产登记资料等信息，有关法律、行政法规对信息的获取有特别规定的，告知申请人依照有关法律、行政法规的规定办理。",
]
# 第十六条, with its qualifier (行政执法案卷信息; 法律、法规、规章规定…从其规定).
ARTICLE_16 = [
    "行政机关的内部事务信息，包括人事管理、后勤管理、内部工作流程等方面的信息，可以不予公开。",
    "行政机关在履行行政管理职能过程中形成的讨论记录、过程稿、磋商信函、请示报告等过程性信息以及行政执法案卷信息，可以不予公开。",
    "法律、法规、规章规定上述信息应当公开的，从其规定。",
]
# 第二十条's fifteen items.
ARTICLE_20 = [
    "行政法规、规章和规范性文件",
    "机关职能、机构设置、办公地址、办公时间、联系方式、负责人姓名",
    "国民经济和社会发展规划、专项规划、区域规划及相关政策",
    "国民经济和社会发展统计信息",
    "办理行政许可和其他对外管理服务事项的依据、条件、程序以及办理结果",
    "实施行政处罚、行政强制的依据、条件、程序以及本行政机关认为具有一定社会影响的行政处罚决定",
    "财政预算、决算信息",
    "行政事业性收费项目及其依据、标准",
    "政府集中采购项目的目录、标准及实施情况",
    "重大建设项目的批准和实施情况",
    "扶贫、教育、医疗、社会保障、促进就业等方面的政策、措施及其实施情况",
    "突发公共事件的应急预案、预警信息及应对情况",
    "环境保护、公共卫生、安全生产、食品药品、产品质量的监督检查情况",
    "公务员招考的职位、名额、报考条件等事项以及录用结果",
    "法律、法规、规章和国家有关规定规定应当主动公开的其他政府信息",
]
APPLY_ELEMENTS = ARTICLE_29 + ARTICLE_30 + ARTICLE_31 + ARTICLE_33 + ARTICLE_36


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The sample portal's generated files, as on 2026-06-30: src -> content."""
    root = tmp_path_factory.mktemp("guide") / "portal"
    config = copy_sample(root)
    portal = P.evaluate(root, root / "content", config["extra"]["gongkai"], config["site_name"], today=date(2026, 6, 30))
    site = generated.Site(config["site_name"], "https://www.example.gov.cn/", True, root / "mkdocs.yml")
    return portal, {f.src: f.content for f in generated.generated_files(portal, site)}


def text_of(markdown: str) -> str:
    """Returns what a reader reads of a generated page: no tags, entities decoded, no line breaks."""
    body = markdown.split("\n---\n", 1)[1]  # after the front-matter
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\n", "")


def links_of(markdown: str) -> dict[str, str]:
    """Returns link text -> href of a generated page."""
    return {html.unescape(re.sub(r"<[^>]+>", "", text)): target for target, text in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', markdown)}


@pytest.mark.parametrize("src", ["xxgk/gkzn/index.md", "xxgk/fgj/gkzn/index.md", "xxgk/ysqgk/index.md"])
def test_how_to_apply_quotes_the_regulation_word_for_word(made, src):
    _, files = made
    text = text_of(files[src])
    for sentence in APPLY_ELEMENTS:
        assert sentence in text, (src, sentence)
    # the application form, to print or to download, is linked from where a reader learns to apply
    links = links_of(files[src])
    assert any("申请表" in label and target.endswith("sqb/") for label, target in links.items()), links
    assert any("Excel" in label and target.endswith("sqb.xlsx") for label, target in links.items()), links
    assert "口头提出" in text and "代为填写" in text


def test_guide_quotes_article_16_with_its_qualifier_and_has_all_of_article_12(made):
    _, files = made
    guide = text_of(files["xxgk/gkzn/index.md"])
    for sentence in ARTICLE_16:
        assert sentence in guide, sentence
    # 第十二条: 分类、编排体系、获取方式 and the office's name, address, hours, phone, fax, online contact
    for needle in ("信息分类", "公开方式", "政府信息公开工作机构", "办公地址", "办公时间", "联系电话", "传真", "电子邮箱"):
        assert needle in guide, needle
    links = links_of(files["xxgk/gkzn/index.md"])
    assert links["政府信息公开制度"] == "../gkzd/" and links["法定主动公开内容"] == "../fdzdgk/"


def test_online_application_link_comes_from_settings(made):
    portal, _ = made
    from dataclasses import replace

    from gongkai.site import guide

    settings = replace(portal.settings, apply_url="https://zwfw.example.gov.cn/ysqgk")
    page = guide.guide_page(settings, layout.page_url, date(2026, 6, 30)).markdown
    assert 'href="https://zwfw.example.gov.cn/ysqgk"' in page
    assert "zwfw.example.gov.cn" not in guide.guide_page(portal.settings, layout.page_url, date(2026, 6, 30)).markdown


def test_online_application_link_must_be_https():
    from gongkai.errors import ConfigError
    from gongkai.settings import load_settings

    units = [{"id": "xzf", "name": "示例县人民政府办公室", "code": "11369999MB0000001A"}]
    assert load_settings({"units": units, "apply_url": "https://a.example.gov.cn/"}, "示例").apply_url == "https://a.example.gov.cn/"
    with pytest.raises(ConfigError, match="apply_url.*https://"):
        load_settings({"units": units, "apply_url": "javascript:alert(1)"}, "示例")


def test_application_form_page_and_workbook_have_every_field_of_article_29(made):
    portal, files = made
    page = text_of(files["xxgk/ysqgk/sqb/index.md"])
    workbook = load_workbook(io.BytesIO(files[layout.APPLY_FORM_XLSX]))
    sheet = workbook["政府信息公开申请表"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert cells[0] == "示例县人民政府办公室政府信息公开申请表"
    for needle in ("姓名", "名称", "证件号码", "联系电话", "通信地址", "电子邮箱", "文号", "其他特征性描述", "获取信息的方式", "提供信息的形式", "申请人签名或者盖章"):
        assert needle in page, needle
        assert any(needle in c for c in cells), needle
    assert "用途" not in page  # the 2019 条例 asks for no purpose
    assert "口头提出" in page and "口头提出" in "".join(cells)
    # reproducible: the same settings give the same bytes
    assert statutory.apply_form_xlsx(portal.settings) == files[layout.APPLY_FORM_XLSX]


def test_mandatory_page_lists_article_20_item_by_item_with_the_categories(made):
    _, files = made
    page = files["xxgk/fdzdgk/index.md"]
    rows = re.findall(r'<tr><th scope="row">（(.+?)）</th><td>(.*?)</td><td>(.*?)</td></tr>', page)
    assert [html.unescape(text) for _, text, _ in rows] == ARTICLE_20
    assert [n for n, _, _ in rows] == ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五"]
    cells = {n: html.unescape(re.sub(r"<[^>]+>", "", cats)) for n, _, cats in rows}
    assert "规章" in cells["一"] and "规范性文件" in cells["一"]
    assert "行政处罚" in cells["六"] and "行政强制" in cells["六"]
    assert "财政信息" in cells["七"]
    assert all(cell != "—" for cell in cells.values())  # every item has a column on the sample portal
    assert '<a href="../gkml/gfxwj/">规范性文件</a>' in page


def test_rules_page_states_the_portals_own_review_policy(made):
    portal, files = made
    page = text_of(files["xxgk/gkzd/index.md"])
    assert "初审、复审、终审、保密审查" in page
    assert "工作动态：初审、终审、保密审查" in page  # the sample's category policy
    for needle in ("保密审查制度", "20个工作日", "动态调整", "1月31日前"):
        assert needle in page, needle
    for word in ("Git", "git", "SSH", "gongkai", "YAML"):
        assert word not in page, word


def test_catalog_listing_shows_the_summary(made):
    portal, files = made
    listing = files["xxgk/gkml/index.md"]  # the catalog home has no items; a category listing does
    assert "内容概述" not in listing
    page = files["xxgk/gkml/gfxwj/index.md"]
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", page).group(1)
    assert re.findall(r">([^<]+)</th>", head)[:3] == ["索引号", "标题", "内容概述"]
    entries = catalog.build_entries(portal.decisions, portal.settings, lambda item: item.rel)
    policy = next(e for e in entries if e.item.category == "规范性文件" and e.summary)
    assert f"<td>{html.escape(policy.summary)}</td>" in page
    # and in the exports, the column after the title
    csv_text = files["catalog.csv"].decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("索引号,标题,内容概述,")
    assert policy.summary in csv_text
