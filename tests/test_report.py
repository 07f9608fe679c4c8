"""政府信息公开工作年度报告 (国办公开办函〔2021〕30号): labels, checks, tables, HTML, xlsx."""
from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from gongkai.errors import ERROR, WARNING
from gongkai.model import Item, Settings, Unit
from gongkai.report.body import split_report_body
from gongkai.report.grids import official_text_lines
from gongkai.report.html import render_report_html
from gongkai.report.index import missing_reports, render_reports_index_html, reports_index
from gongkai.report.labels import (
    APPEAL_KINDS,
    APPEAL_RESULTS,
    APPLICANTS,
    COLUMNS,
    DOCUMENT_CATEGORIES,
    DOCUMENT_FIGURES,
    REPORT_KEYS,
    REQUEST_FIELDS,
    SECTIONS,
    TABLE3_ROWS,
)
from gongkai.report.tables import annual_report_tables, previous_report
from gongkai.report.validate import KEY_ALIASES, front_matter_lines, suggest_key, validate_report
from gongkai.report.xlsx import write_report_xlsx

# --------------------------------------------------------------------------------------------
# The format's labels, written out from 国办公开办函〔2021〕30号 in reading order
# --------------------------------------------------------------------------------------------

OFFICIAL_TEXT = """\
一、总体情况
二、主动公开政府信息情况
第二十条第（一）项
信息内容
本年制发件数
本年废止件数
现行有效件数
规章
行政规范性文件
第二十条第（五）项
信息内容
本年处理决定数量
行政许可
第二十条第（六）项
信息内容
本年处理决定数量
行政处罚
行政强制
第二十条第（八）项
信息内容
本年收费金额（单位：万元）
行政事业性收费
三、收到和处理政府信息公开申请情况
（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）
申请人情况
自然人
法人或其他组织
总计
商业企业
科研机构
社会公益组织
法律服务机构
其他
一、本年新收政府信息公开申请数量
二、上年结转政府信息公开申请数量
三、本年度办理结果
（一）予以公开
（二）部分公开（区分处理的，只计这一情形，不计其他情形）
（三）不予公开
1.属于国家秘密
2.其他法律行政法规禁止公开
3.危及“三安全一稳定”
4.保护第三方合法权益
5.属于三类内部事务信息
6.属于四类过程性信息
7.属于行政执法案卷
8.属于行政查询事项
（四）无法提供
1.本机关不掌握相关政府信息
2.没有现成信息需要另行制作
3.补正后申请内容仍不明确
（五）不予处理
1.信访举报投诉类申请
2.重复申请
3.要求提供公开出版物
4.无正当理由大量反复申请
5.要求行政机关确认或重新出具已获取信息
（六）其他处理
1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请
2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请
3.其他
（七）总计
四、结转下年度继续办理
四、政府信息公开行政复议、行政诉讼情况
行政复议
行政诉讼
结果维持
结果纠正
其他结果
尚未审结
总计
未经复议直接起诉
复议后起诉
结果维持
结果纠正
其他结果
尚未审结
总计
结果维持
结果纠正
其他结果
尚未审结
总计
五、存在的主要问题及改进情况
六、其他需要报告的事项"""

# table 三's rows as the format nests them: (一级, 二级, 三级) labels
T3_ROWS = [
    ("一、本年新收政府信息公开申请数量",),
    ("二、上年结转政府信息公开申请数量",),
    ("三、本年度办理结果", "（一）予以公开"),
    ("三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"),
    ("三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"),
    ("三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益"),
    ("三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息"),
    ("三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信息"),
    ("三、本年度办理结果", "（三）不予公开", "7.属于行政执法案卷"),
    ("三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"),
    ("三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("三、本年度办理结果", "（四）无法提供", "2.没有现成信息需要另行制作"),
    ("三、本年度办理结果", "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("三、本年度办理结果", "（五）不予处理", "1.信访举报投诉类申请"),
    ("三、本年度办理结果", "（五）不予处理", "2.重复申请"),
    ("三、本年度办理结果", "（五）不予处理", "3.要求提供公开出版物"),
    ("三、本年度办理结果", "（五）不予处理", "4.无正当理由大量反复申请"),
    ("三、本年度办理结果", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    ("三、本年度办理结果", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("三、本年度办理结果", "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("三、本年度办理结果", "（六）其他处理", "3.其他"),
    ("三、本年度办理结果", "（七）总计"),
    ("四、结转下年度继续办理",),
]
T3_INDEX = {labels[-1]: i for i, labels in enumerate(T3_ROWS)}


def test_labels_are_the_official_text():
    assert official_text_lines() == OFFICIAL_TEXT.split("\n")


def test_table3_rows_nest_as_the_format():
    assert [row.labels for row in TABLE3_ROWS] == T3_ROWS
    assert COLUMNS == ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
    assert [s.title for s in SECTIONS] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]


def test_the_yaml_keys_of_spec_7_map_onto_the_rows():
    spec_7 = yaml.safe_load(
        """
        新收: 26
        上年结转: 0
        予以公开: 20
        部分公开: 1
        不予公开: {属于国家秘密: 0, 其他法律行政法规禁止公开: 0, 危及三安全一稳定: 0, 保护第三方合法权益: 0, 属于三类内部事务信息: 0, 属于四类过程性信息: 0, 属于行政执法案卷: 0, 属于行政查询事项: 0}
        无法提供: {本机关不掌握相关政府信息: 3, 没有现成信息需要另行制作: 0, 补正后申请内容仍不明确: 0}
        不予处理: {信访举报投诉类申请: 1, 重复申请: 0, 要求提供公开出版物: 0, 无正当理由大量反复申请: 0, 要求行政机关确认或重新出具已获取信息: 0}
        其他处理: {申请人无正当理由逾期不补正: 0, 申请人逾期未按收费通知要求缴纳费用: 0, 其他: 0}
        结转下年度: 1
        """
    )
    assert list(REQUEST_FIELDS) == list(spec_7)
    for key, value in spec_7.items():
        assert REQUEST_FIELDS[key] == (tuple(value) if isinstance(value, dict) else ())
    # every row of the format has its key; only the computed （七）总计 has none
    typed = [row for row in TABLE3_ROWS if not row.computed]
    assert len(typed) == 24 and [r.key for r in TABLE3_ROWS if r.computed] == ["办理结果总计"]


# --------------------------------------------------------------------------------------------
# Helpers: items from file text, tables from HTML
# --------------------------------------------------------------------------------------------


def _iso(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def item_from_text(text: str, path: str = "content/fgj/2024/gknb-2023.md") -> tuple[Item, str]:
    """Returns the Item a loader would make of this file text, and the text."""
    lines = text.split("\n")
    end = lines.index("---", 1)
    meta = _iso(yaml.safe_load("\n".join(lines[1:end])))
    top = {path_[0]: line for path_, line in front_matter_lines(text).items() if len(path_) == 1}
    body = "\n".join(lines[end + 1 :])
    item = Item(path=path, rel=path.removeprefix("content/"), meta=meta, body=body, body_line=end + 2, lines=top)
    return item, text


def line_containing(text: str, needle: str, start: str | None = None) -> int:
    """Returns the 1-based line of the first line containing ``needle`` (after ``start``)."""
    lines = text.split("\n")
    begin = next(i for i, line in enumerate(lines) if start in line) if start else 0
    return next(i for i, line in enumerate(lines) if i >= begin and needle in line) + 1


def simple_item(report: dict | None, body: str = "", *, unit="fgj", category="年度报告", path=None, **meta) -> Item:
    data = {
        "title": meta.pop("title", "报告"),
        "index_no": "X/2024-00001",
        "unit": unit,
        "attribute": "主动公开",
        "category": category,
        "created": "2024-01-20",
        "published": "2024-01-25",
        **meta,
    }
    if report is not None:
        data["report"] = report
    return Item(
        path=path or f"content/{unit}/r.md",
        rel="r.md",
        meta=data,
        body=body,
        body_line=20,
        lines={k: i + 2 for i, k in enumerate(data)},
    )


class TableParser(HTMLParser):
    """Collects every <table>: its class, caption and rows of cells."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.cell: dict | None = None
        self.in_caption = False
        self.svgs = 0
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"class": a.get("class", ""), "caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td"):
            self.cell = {
                "tag": tag,
                "text": "",
                "rowspan": int(a.get("rowspan", 1)),
                "colspan": int(a.get("colspan", 1)),
                "scope": a.get("scope"),
            }
            self.tables[-1]["rows"][-1].append(self.cell)
        elif tag == "caption":
            self.in_caption = True
        elif tag == "svg":
            self.svgs += 1
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self.cell = None
        elif tag == "caption":
            self.in_caption = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data
        elif self.in_caption:
            self.tables[-1]["caption"] += data


def parse_tables(html: str) -> TableParser:
    parser = TableParser()
    parser.feed(html)
    return parser


def matrix(table: dict) -> dict[tuple[int, int], dict]:
    """Returns (row, column) → the cell covering it, placing spans as a browser does."""
    grid: dict[tuple[int, int], dict] = {}
    for r, row in enumerate(table["rows"]):
        c = 0
        for cell in row:
            while (r, c) in grid:
                c += 1
            for dr in range(cell["rowspan"]):
                for dc in range(cell["colspan"]):
                    grid[(r + dr, c + dc)] = cell
            c += cell["colspan"]
    return grid


def t3_body(table: dict) -> list[tuple[tuple[str, ...], list[str]]]:
    """Returns table 三's 25 rows: (the label path covering the 3 label columns, the 7 figures)."""
    grid = matrix(table)
    rows = []
    for r in range(3, len(table["rows"])):
        labels = []
        for c in range(3):
            text = grid[(r, c)]["text"]
            if not labels or labels[-1] != text:
                labels.append(text)
        rows.append((tuple(labels), [grid[(r, c)]["text"] for c in range(3, 10)]))
    return rows


# --------------------------------------------------------------------------------------------
# 沭阳县发展和改革局 2023年政府信息公开工作年度报告
# --------------------------------------------------------------------------------------------

SHUYANG = """\
---
title: 沭阳县发展和改革局2023年政府信息公开工作年度报告
index_no: 11321322MB1234567X/2024-00003
unit: fgj
attribute: 主动公开
category: 年度报告
created: 2024-01-22
published: 2024-01-26
report:
  year: 2023
  requests:
    自然人:
      新收: 26
      上年结转: 0
      予以公开: 26
      部分公开: 0
      不予公开: {属于国家秘密: 0, 其他法律行政法规禁止公开: 0, 危及三安全一稳定: 0, 保护第三方合法权益: 0, 属于三类内部事务信息: 0, 属于四类过程性信息: 0, 属于行政执法案卷: 0, 属于行政查询事项: 0}
      无法提供: {本机关不掌握相关政府信息: 0, 没有现成信息需要另行制作: 0, 补正后申请内容仍不明确: 0}
      不予处理: {信访举报投诉类申请: 0, 重复申请: 0, 要求提供公开出版物: 0, 无正当理由大量反复申请: 0, 要求行政机关确认或重新出具已获取信息: 0}
      其他处理: {申请人无正当理由逾期不补正: 0, 申请人逾期未按收费通知要求缴纳费用: 0, 其他: 0}
      结转下年度: 0
  appeals:
    行政复议: {结果维持: 0, 结果纠正: 0, 其他结果: 0, 尚未审结: 1}
    未经复议直接起诉: {结果维持: 0, 结果纠正: 0, 其他结果: 0, 尚未审结: 0}
    复议后起诉: {结果维持: 0, 结果纠正: 0, 其他结果: 0, 尚未审结: 0}
---
本报告根据《中华人民共和国政府信息公开条例》和国办公开办函〔2021〕30号编制，数据统计期限为2023年1月1日至2023年12月31日。

## 一、总体情况

### （一）依申请公开

2023年，本局共收到政府信息公开申请26件，上年结转0件，予以公开26件，结转下年度0件。

### （二）监督保障

本年度因政府信息公开被申请行政复议1件，尚未审结；未发生政府信息公开行政诉讼。

## 五、存在的主要问题及改进情况

信息公开的及时性有待提高。

## 六、其他需要报告的事项

本年度未收取信息处理费。
"""

ZERO = ["0"] * 7


def shuyang_tables():
    item, text = item_from_text(SHUYANG)
    return item, text, annual_report_tables(item, [], source=text)


def test_shuyang_2023_is_valid_and_consistent():
    item, text, tables = shuyang_tables()
    assert validate_report(item, text) == []
    assert tables.problems == ()  # the narrative agrees with the tables


def test_shuyang_2023_computed_tables():
    _, _, tables = shuyang_tables()
    assert tables.year == 2023 and tables.unit == "fgj"
    nonzero = {("新收", "自然人"), ("新收", "总计"), ("予以公开", "自然人"), ("予以公开", "总计"),
               ("办理结果总计", "自然人"), ("办理结果总计", "总计")}
    for row in TABLE3_ROWS:
        for column in COLUMNS:
            expected = 26 if (row.key, column) in nonzero else 0
            assert tables.requests[row.key][column] == expected, (row.key, column)
    assert tables.appeals == {
        "行政复议": {"结果维持": 0, "结果纠正": 0, "其他结果": 0, "尚未审结": 1, "总计": 1},
        "未经复议直接起诉": {"结果维持": 0, "结果纠正": 0, "其他结果": 0, "尚未审结": 0, "总计": 0},
        "复议后起诉": {"结果维持": 0, "结果纠正": 0, "其他结果": 0, "尚未审结": 0, "总计": 0},
    }
    assert tables.disclosure == {
        "规章": (0, 0, 0), "行政规范性文件": (0, 0, 0),
        "licensing": (0,), "punishment": (0,), "enforcement": (0,), "fees": (0,),
    }


def test_shuyang_2023_every_cell_of_the_rendered_tables():
    item, text, tables = shuyang_tables()
    body = split_report_body(item.body, item.body_line)
    page = parse_tables(render_report_html(item, tables, body))
    assert [t["class"] for t in page.tables] == [
        "gk-report-table gk-report-t2", "gk-report-table gk-report-t3", "gk-report-table gk-report-t4",
    ]
    t2, t3, t4 = page.tables

    # 二
    assert t2["caption"] == "主动公开政府信息情况"
    assert [[(c["tag"], c["text"], c["colspan"]) for c in row] for row in t2["rows"]] == [
        [("th", "第二十条第（一）项", 4)],
        [("th", "信息内容", 1), ("th", "本年制发件数", 1), ("th", "本年废止件数", 1), ("th", "现行有效件数", 1)],
        [("th", "规章", 1), ("td", "0", 1), ("td", "0", 1), ("td", "0", 1)],
        [("th", "行政规范性文件", 1), ("td", "0", 1), ("td", "0", 1), ("td", "0", 1)],
        [("th", "第二十条第（五）项", 4)],
        [("th", "信息内容", 1), ("th", "本年处理决定数量", 3)],
        [("th", "行政许可", 1), ("td", "0", 3)],
        [("th", "第二十条第（六）项", 4)],
        [("th", "信息内容", 1), ("th", "本年处理决定数量", 3)],
        [("th", "行政处罚", 1), ("td", "0", 3)],
        [("th", "行政强制", 1), ("td", "0", 3)],
        [("th", "第二十条第（八）项", 4)],
        [("th", "信息内容", 1), ("th", "本年收费金额（单位：万元）", 3)],
        [("th", "行政事业性收费", 1), ("td", "0", 3)],
    ]

    # 三: headers
    grid = matrix(t3)
    assert [[(c["text"], c["rowspan"], c["colspan"]) for c in row] for row in t3["rows"][:3]] == [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [("商业企业", 1, 1), ("科研机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1), ("其他", 1, 1)],
    ]
    assert [grid[(2, c)]["text"] for c in range(3, 10)] == [
        "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计",
    ]
    # 三: every body cell
    expected = {i: list(ZERO) for i in range(len(T3_ROWS))}
    for label in ("一、本年新收政府信息公开申请数量", "（一）予以公开", "（七）总计"):
        expected[T3_INDEX[label]] = ["26", "0", "0", "0", "0", "0", "26"]
    assert t3_body(t3) == [(T3_ROWS[i], expected[i]) for i in range(len(T3_ROWS))]
    assert grid[(5, 0)]["rowspan"] == 22 and grid[(5, 0)]["scope"] == "rowgroup"
    assert grid[(7, 1)]["text"] == "（三）不予公开" and grid[(7, 1)]["rowspan"] == 8
    assert grid[(15, 1)]["text"] == "（四）无法提供" and grid[(15, 1)]["rowspan"] == 3
    assert grid[(18, 1)]["text"] == "（五）不予处理" and grid[(18, 1)]["rowspan"] == 5
    assert grid[(23, 1)]["text"] == "（六）其他处理" and grid[(23, 1)]["rowspan"] == 3
    assert all(c["scope"] == "row" for row in t3["rows"][3:] for c in row if c["tag"] == "th" and c["rowspan"] == 1)

    # 四
    assert [[(c["text"], c["rowspan"], c["colspan"]) for c in row] for row in t4["rows"][:3]] == [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [("结果维持", 2, 1), ("结果纠正", 2, 1), ("其他结果", 2, 1), ("尚未审结", 2, 1), ("总计", 2, 1),
         ("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        [(t, 1, 1) for t in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2],
    ]
    assert [c["text"] for c in t4["rows"][3]] == ["0", "0", "0", "1", "1"] + ["0"] * 10
    assert all(c["tag"] == "td" for c in t4["rows"][3])


def test_shuyang_2023_page_has_six_sections_in_order_and_no_script():
    item, _, tables = shuyang_tables()
    out = render_report_html(item, tables, split_report_body(item.body, item.body_line))
    headings = [line for line in out.split("\n") if line.startswith("## ")]
    assert headings == [f"## {s.title}" for s in SECTIONS]
    assert out.index("本报告根据") < out.index("## 一、总体情况") < out.index("本局共收到")
    assert out.index("## 五、") < out.index("信息公开的及时性") < out.index("## 六、") < out.index("未收取信息处理费")
    assert out.index("## 二、") < out.index("gk-report-t2") < out.index("## 三、") < out.index("gk-report-t3")
    assert out.index("## 四、") < out.index("gk-report-t4") < out.index("## 五、")
    page = parse_tables(out)
    assert page.scripts == 0 and "<script" not in out and "src=" not in out and "@import" not in out
    assert page.svgs == 1  # 办理结果 only: one applicant type is not worth a chart
    assert "http" not in out.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_rendered_markdown_survives_python_markdown():
    markdown = pytest.importorskip("markdown")
    item, _, tables = shuyang_tables()
    out = render_report_html(item, tables, split_report_body(item.body, item.body_line))
    html = markdown.markdown(out, extensions=["tables", "attr_list", "toc"])
    page = parse_tables(html)
    assert len(page.tables) == 3 and page.svgs == 1
    assert html.count("<h2") == 6 and "<h3" in html  # the narrative's own sub-headings
    assert "<p><table" not in html and "<p><div" not in html and "&lt;table" not in html
    assert t3_body(page.tables[1])[0] == (T3_ROWS[0], ["26", "0", "0", "0", "0", "0", "26"])


def test_html_mode_converts_the_narrative():
    item, _, tables = shuyang_tables()
    out = render_report_html(
        item, tables, split_report_body(item.body, item.body_line),
        render_markdown=lambda text: "<div class=md>" + text.replace("<", "&lt;") + "</div>",
        xlsx_href='gknb-2023-fgj.xlsx?"x"',
    )
    assert "\n## " not in out and not out.startswith("## ")  # headings are HTML now
    assert '<h2 id="gknb-1">一、总体情况</h2>' in out and '<h2 id="gknb-6">六、其他需要报告的事项</h2>' in out
    assert 'href="gknb-2023-fgj.xlsx?&quot;x&quot;"' in out


# --------------------------------------------------------------------------------------------
# Several columns and sub-rows
# --------------------------------------------------------------------------------------------

SEVERAL = """\
---
title: 示例县发展和改革局2023年政府信息公开工作年度报告
index_no: 11369999MB0000002B/2024-00001
unit: fgj
attribute: 主动公开
category: 年度报告
created: 2024-01-18
published: 2024-01-20
report:
  year: 2023
  licensing: 1234
  punishment: 56
  enforcement: 7
  fees: 12.5
  requests:
    自然人:
      新收: 30
      上年结转: 2
      予以公开: 18
      部分公开: 3
      不予公开: {保护第三方合法权益: 2, 属于四类过程性信息: 1}
      无法提供: {本机关不掌握相关政府信息: 4, 没有现成信息需要另行制作: 1}
      不予处理: {信访举报投诉类申请: 1, 重复申请: 1}
      结转下年度: 1
    商业企业:
      新收: 5
      上年结转: 1
      予以公开: 3
      不予公开: {属于国家秘密: 1}
      其他处理: {申请人逾期未按收费通知要求缴纳费用: 1}
      结转下年度: 1
    法律服务机构:
      新收: 4
      予以公开: 1
      部分公开: 1
      无法提供: {补正后申请内容仍不明确: 1}
      不予处理: {要求行政机关确认或重新出具已获取信息: 1}
    其他:
      新收: 2
      其他处理: {其他: 2}
  appeals:
    行政复议: {结果维持: 2, 结果纠正: 1}
    未经复议直接起诉: {其他结果: 1, 尚未审结: 1}
    复议后起诉: {结果维持: 1}
---
## 一、总体情况

2023年共收到政府信息公开申请41件，上年结转3件；予以公开22件，部分公开4件，不予公开4件，
无法提供6件，不予处理3件，其他处理3件，结转下年度2件。办理行政许可1234件。

因政府信息公开被申请行政复议3件，提起行政诉讼3件。

## 五、存在的主要问题及改进情况

无。

## 六、其他需要报告的事项

无。
"""

#               自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计
SEVERAL_ROWS = {
    "一、本年新收政府信息公开申请数量": [30, 5, 0, 0, 4, 2, 41],
    "二、上年结转政府信息公开申请数量": [2, 1, 0, 0, 0, 0, 3],
    "（一）予以公开": [18, 3, 0, 0, 1, 0, 22],
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": [3, 0, 0, 0, 1, 0, 4],
    "1.属于国家秘密": [0, 1, 0, 0, 0, 0, 1],
    "4.保护第三方合法权益": [2, 0, 0, 0, 0, 0, 2],
    "6.属于四类过程性信息": [1, 0, 0, 0, 0, 0, 1],
    "1.本机关不掌握相关政府信息": [4, 0, 0, 0, 0, 0, 4],
    "2.没有现成信息需要另行制作": [1, 0, 0, 0, 0, 0, 1],
    "3.补正后申请内容仍不明确": [0, 0, 0, 0, 1, 0, 1],
    "1.信访举报投诉类申请": [1, 0, 0, 0, 0, 0, 1],
    "2.重复申请": [1, 0, 0, 0, 0, 0, 1],
    "5.要求行政机关确认或重新出具已获取信息": [0, 0, 0, 0, 1, 0, 1],
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请": [0, 1, 0, 0, 0, 0, 1],
    "3.其他": [0, 0, 0, 0, 0, 2, 2],
    "（七）总计": [31, 5, 0, 0, 4, 2, 42],
    "四、结转下年度继续办理": [1, 1, 0, 0, 0, 0, 2],
}


def several_expected() -> list[list[int]]:
    return [SEVERAL_ROWS.get(labels[-1], [0] * 7) for labels in T3_ROWS]


def several_tables():
    item, text = item_from_text(SEVERAL)
    return item, text, annual_report_tables(item, [], source=text)


def test_several_columns_valid_and_computed():
    item, text, tables = several_tables()
    assert validate_report(item, text) == []
    assert tables.problems == ()
    for row, expected in zip(TABLE3_ROWS, several_expected()):
        assert [tables.requests[row.key][c] for c in COLUMNS] == expected, row.key
    assert tables.request("不予公开") == 4 and tables.request("无法提供", "自然人") == 5
    assert {k: v["总计"] for k, v in tables.appeals.items()} == {"行政复议": 3, "未经复议直接起诉": 2, "复议后起诉": 1}
    assert tables.litigation() == 3
    assert tables.disclosure["licensing"] == (1234,) and tables.disclosure["fees"] == (12.5,)


def test_several_columns_every_cell_of_the_html():
    item, _, tables = several_tables()
    out = render_report_html(item, tables, split_report_body(item.body, item.body_line))
    t2, t3, t4 = parse_tables(out).tables
    assert t3_body(t3) == [(T3_ROWS[i], [str(v) for v in row]) for i, row in enumerate(several_expected())]
    assert [c["text"] for c in t4["rows"][3]] == [
        "2", "1", "0", "0", "3", "0", "0", "1", "1", "2", "1", "0", "0", "0", "1",
    ]
    figures = {row[0]["text"]: [c["text"] for c in row[1:]] for row in t2["rows"] if row[0]["scope"] == "row"}
    assert figures == {
        "规章": ["0", "0", "0"], "行政规范性文件": ["0", "0", "0"], "行政许可": ["1234"],
        "行政处罚": ["56"], "行政强制": ["7"], "行政事业性收费": ["12.5"],
    }
    # two charts: results, and applicant types (four kinds of applicant wrote)
    assert out.count("<svg") == 2
    assert "予以公开 22 件；部分公开 4 件；不予公开 4 件；无法提供 6 件；不予处理 3 件；其他处理 3 件" in out
    assert "自然人 30 件；商业企业 5 件；科研机构 0 件；社会公益组织 0 件；法律服务机构 4 件；其他 2 件" in out


def test_broken_identity_is_refused_naming_column_and_figures():
    text = SEVERAL.replace(
        "      其他处理: {申请人逾期未按收费通知要求缴纳费用: 1}\n", ""
    )  # 商业企业: 新收 5 + 上年结转 1 = 6, but 3 + 1 results + 1 carried over = 5
    item, text = item_from_text(text)
    problems = validate_report(item, text)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.severity == ERROR and problem.is_error
    assert problem.line == line_containing(text, "商业企业:")
    assert problem.message == (
        "商业企业一栏数字不平衡：新收 5 + 上年结转 1 = 6，而办理结果总计 4 + 结转下年度 1 = 5"
        "（应满足 新收 + 上年结转 = 办理结果总计 + 结转下年度）"
    )
    assert str(problem).startswith("content/fgj/2024/gknb-2023.md:")


def test_every_column_is_checked():
    report = {"year": 2023, "requests": {
        "自然人": {"新收": 1},
        "科研机构": {"上年结转": 2, "结转下年度": 2},
        "社会公益组织": {"新收": 1, "予以公开": 2},
    }}
    problems = validate_report(simple_item(report, BODY_OK))
    by_column = {p.message.split("一栏")[0]: p.message for p in problems}
    assert sorted(by_column) == ["社会公益组织", "自然人"]
    assert "新收 1 + 上年结转 0 = 1，而办理结果总计 2 + 结转下年度 0 = 2" in by_column["社会公益组织"]


# --------------------------------------------------------------------------------------------
# Schema of report:
# --------------------------------------------------------------------------------------------

BODY_OK = "## 一、总体情况\n\n略。\n\n## 五、存在的主要问题及改进情况\n\n略。\n\n## 六、其他需要报告的事项\n\n无。\n"

SCHEMA = """\
---
title: 报告
unit: fgj
category: 年度报告
created: 2024-01-10
report:
  year: 2023
  licencing: 5
  punishment: -1
  fees: 十万
  documents:
    规范性文件: {本年制发: 1}
  requests:
    自然人:
      新收: 2.5
      予以公布: 1
      不予公开: 3
      无法提供: {本机关不掌握相关政府信息: 1, 总计: 1}
      总计: 4
    法人或其他组织:
      新收: 1
  appeals:
    行政诉讼: {结果维持: 1}
    行政复议: {结果维持: 1, 维持: 1}
---
""" + BODY_OK


def test_schema_errors_at_the_line_of_the_key():
    item, text = item_from_text(SCHEMA)
    problems = validate_report(item, text)
    found = {(p.line, p.severity): p.message for p in problems}

    def at(needle, start=None):
        return found[(line_containing(text, needle, start), ERROR)]

    assert "未知的键“licencing”，是否应为“licensing”？" in at("licencing")
    assert at("punishment") == "report.punishment 应为非负整数，现为“-1”"
    assert at("fees") == "report.fees 应为非负数（万元），现为“十万”"
    assert "是否应为“行政规范性文件”？" in at("规范性文件:")
    assert at("新收: 2.5") == "report.requests.自然人.新收 应为非负整数，现为“2.5”"
    assert "未知的键“予以公布”，是否应为“予以公开”？" in at("予以公布")
    assert "应按8个分项填写" in at("不予公开: 3")
    assert "总计由 gongkai 计算" in at("无法提供:")
    assert "总计由 gongkai 计算" in at("      总计: 4")
    assert "请按商业企业、科研机构、社会公益组织、法律服务机构、其他分别填写" in at("法人或其他组织")
    assert "未经复议直接起诉、复议后起诉" in at("行政诉讼")
    assert "未知的键“维持”，是否应为“结果维持”？" in at("行政复议:")
    assert all(p.severity == ERROR for p in problems)
    # a column with a schema error is not also blamed for its identity
    assert not any("不平衡" in p.message for p in problems)


def test_schema_lines_from_the_loaders_dotted_map():
    item, text = item_from_text(SCHEMA)
    dotted = {".".join(path): line for path, line in front_matter_lines(text).items()}
    assert dotted["report.requests.自然人.新收"] == line_containing(text, "新收: 2.5")
    assert validate_report(item, dotted) == validate_report(item, text)


def test_schema_without_source_points_at_report_line():
    item = simple_item({"year": 2023, "requests": {"自然人": {"新收": -3}}}, BODY_OK)
    (problem,) = validate_report(item)
    assert problem.line == item.line_of("report")
    assert problem.message == "report.requests.自然人.新收 应为非负整数，现为“-3”"


def test_report_block_presence_is_the_loaders_and_year_is_required():
    # the loader reports a 年度报告 without report:, a report: elsewhere, a report: not a mapping
    assert validate_report(simple_item(None, BODY_OK, category="通知公告")) == []
    assert validate_report(simple_item(None, BODY_OK)) == []
    assert validate_report(simple_item({"year": 2023}, BODY_OK, category="通知公告")) == []
    assert validate_report(simple_item([1, 2], BODY_OK)) == []
    (no_year,) = validate_report(simple_item({"licensing": 1}, BODY_OK))
    assert no_year.message == "report 缺少 year（报告年度，如 2025）"
    (bad_year,) = validate_report(simple_item({"year": "2023年"}, BODY_OK))
    assert "report.year 应为四位年份" in bad_year.message
    (old,) = validate_report(simple_item({"year": 2019}, BODY_OK))
    assert old.severity == WARNING and "国办公开办函〔2021〕30号" in old.message
    # empty blocks and null figures count as 0
    assert validate_report(simple_item({"year": 2023, "requests": {"自然人": None, "其他": {"新收": None}}}, BODY_OK)) == []


def test_missing_and_misordered_narrative_sections_warn():
    body = "## 六、其他需要报告的事项\n\n无。\n\n## 一、总体情况\n\n略。\n\n## 一、总体情况\n\n又一处。\n"
    problems = validate_report(simple_item({"year": 2023}, body))
    assert all(p.severity == WARNING for p in problems)
    messages = [p.message for p in problems]
    assert "年度报告正文缺少“五、存在的主要问题及改进情况”一节（以标题 ## 五、存在的主要问题及改进情况 开头）" in messages
    assert any("“六、其他需要报告的事项”的位置不对" in m for m in messages)
    assert any("“一、总体情况”重复出现" in m for m in messages)


def test_suggest_key():
    assert suggest_key("危及“三安全一稳定”", REQUEST_FIELDS["不予公开"]) == "危及三安全一稳定"
    assert suggest_key("1.属于国家秘密", REQUEST_FIELDS["不予公开"]) == "属于国家秘密"
    assert suggest_key("（一）予以公开", REQUEST_FIELDS) == "予以公开"
    assert suggest_key("行政许可", REPORT_KEYS, KEY_ALIASES) == "licensing"
    assert suggest_key("Year", REPORT_KEYS) == "year"
    assert suggest_key("完全无关", APPEAL_RESULTS) is None


# --------------------------------------------------------------------------------------------
# Table 二 from the catalog
# --------------------------------------------------------------------------------------------


def doc(category, created, *, unit="fgj", validity=None, repealed_on=None, n=[0]):  # noqa: B006 - a counter shared by every call
    n[0] += 1
    meta = {}
    if validity:
        meta["validity"] = validity
    if repealed_on:
        meta["repealed_on"] = repealed_on
    return simple_item(None, "正文", unit=unit, category=category, created=created, path=f"content/d{n[0]}.md", **meta)


def test_table2_documents_from_the_catalog():
    catalog = [
        doc("规范性文件", "2023-03-01"),  # 制发, 现行有效
        doc("规范性文件", "2023-11-30"),  # 制发, 现行有效
        doc("规范性文件", "2021-05-10", validity="废止", repealed_on="2023-06-30"),  # 废止 this year
        doc("规范性文件", "2020-01-01", validity="失效", repealed_on="2024-03-01"),  # in force on 2023-12-31
        doc("规范性文件", "2019-01-01", validity="废止", repealed_on="2022-01-01"),  # gone before
        doc("规范性文件", "2019-02-01"),  # 现行有效
        doc("规范性文件", "2024-01-05"),  # next year: nothing
        doc("规范性文件", "2023-04-01", unit="xzf"),  # another unit
        doc("规章", "2023-08-08", validity="废止", repealed_on="2023-12-31"),  # 制发 and 废止 the same year
        doc("规章", "2018-08-08"),  # 现行有效
        doc("其他文件", "2023-01-01"),  # not table 二
    ]
    report = {"year": 2023, "documents": {"规章": {"本年制发": 1, "本年废止": 1, "现行有效": 1},
                                          "行政规范性文件": {"本年制发": 3, "本年废止": 1, "现行有效": 3}}}
    item = simple_item(report, BODY_OK)
    assert validate_report(item) == []
    tables = annual_report_tables(item, catalog)
    # the declared figures are the report's; the catalog's count cross-checks them
    assert tables.disclosure["规章"] == (1, 1, 1)
    assert tables.disclosure["行政规范性文件"] == (3, 1, 3)
    assert tables.declared == ("规章", "行政规范性文件")
    assert [p.message for p in tables.problems] == [
        "report.documents.行政规范性文件.本年制发: 填报行政规范性文件本年制发件数 3 件，"
        "但信息公开目录中为 2 件；报告表格采用填报数字 3，请核对是否有文件未录入目录或登记有误",
        "report.documents.行政规范性文件.现行有效: 填报行政规范性文件现行有效件数 3 件，"
        "但信息公开目录中为 4 件；报告表格采用填报数字 3，请核对是否有文件未录入目录或登记有误",
    ]
    assert all(p.severity == WARNING for p in tables.problems)
    page = render_report_html(item, tables, split_report_body(BODY_OK))
    t2 = parse_tables(page).tables[0]
    assert [[c["text"] for c in row] for row in t2["rows"][2:4]] == [["规章", "1", "1", "1"], ["行政规范性文件", "3", "1", "3"]]
    assert "注：第二十条第（一）项中，规章、行政规范性文件件数为本机关填报数。" in page
    # without a declaration the catalog's count is the report's, and the page says so
    counted = annual_report_tables(simple_item({"year": 2023}, BODY_OK), catalog)
    assert counted.disclosure["行政规范性文件"] == (2, 1, 4) and counted.declared == () and counted.problems == ()
    assert "规章、行政规范性文件件数据本网站政府信息公开目录统计" in render_report_html(item, counted, split_report_body(BODY_OK))


def test_a_partial_declaration_fills_the_rest_from_the_catalog():
    catalog = [doc("规范性文件", "2023-03-01"), doc("规范性文件", "2019-02-01")]
    report = {"year": 2023, "documents": {"行政规范性文件": {"现行有效": 40}}}
    tables = annual_report_tables(simple_item(report, BODY_OK), catalog)
    assert tables.disclosure["行政规范性文件"] == (1, 0, 40) and tables.disclosure["规章"] == (0, 0, 0)
    assert tables.declared == ("行政规范性文件",)
    (warning,) = tables.problems
    assert "填报行政规范性文件现行有效件数 40 件，但信息公开目录中为 2 件；报告表格采用填报数字 40" in warning.message


def test_declared_document_line_with_source():
    text = SHUYANG.replace("  year: 2023\n", "  year: 2023\n  documents:\n    规章:\n      现行有效: 2\n")
    item, text = item_from_text(text)
    assert validate_report(item, text) == []
    (warning,) = annual_report_tables(item, [], source=text).problems
    assert warning.line == line_containing(text, "现行有效: 2")
    assert "填报规章现行有效件数 2 件，但信息公开目录中为 0 件" in warning.message


# --------------------------------------------------------------------------------------------
# Carry-over from the previous year, narrative figures
# --------------------------------------------------------------------------------------------


def test_carry_over_differs_from_previous_report():
    item, text = item_from_text(SEVERAL)
    previous = simple_item({"year": 2022, "requests": {
        "自然人": {"新收": 5, "予以公开": 3, "结转下年度": 2},
        "商业企业": {"新收": 3, "予以公开": 1, "结转下年度": 2},
    }}, BODY_OK, path="content/fgj/gknb-2022.md")
    assert previous_report(item, [previous, item]) is previous
    tables = annual_report_tables(item, [], previous, source=text)
    (warning,) = tables.problems
    assert warning.severity == WARNING
    assert warning.message == "商业企业一栏上年结转 1 件，与2022年度报告的结转下年度 2 件不一致"
    assert warning.line == line_containing(text, "上年结转: 1", start="商业企业:")
    # the same check against the previous tables; and no check against a report of another year
    (same,) = annual_report_tables(item, [], annual_report_tables(previous, [])).problems
    assert same.message == warning.message
    older = simple_item({"year": 2021, "requests": {"自然人": {"新收": 9, "结转下年度": 9}}}, BODY_OK)
    assert annual_report_tables(item, [], older).problems == ()
    assert previous_report(item, [older]) is None


def test_narrative_figure_mismatches_warn():
    text = SHUYANG.replace("共收到政府信息公开申请26件", "共收到政府信息公开申请二十五件").replace(
        "被申请行政复议1件，尚未审结；未发生", "未发生行政复议；被提起"
    )
    item, text = item_from_text(text)
    problems = annual_report_tables(item, [], source=text).problems
    assert [(p.line, p.message) for p in problems] == [
        (
            line_containing(text, "二十五件"),
            "正文写“收到政府信息公开申请二十五件”（本年新收政府信息公开申请 25 件），"
            "但表三“一、本年新收政府信息公开申请数量”总计为 26 件",
        ),
        (
            line_containing(text, "未发生行政复议"),
            "正文写“未发生行政复议”（行政复议 0 件），但表四 行政复议 总计为 1 件",
        ),
    ]
    assert all(p.severity == WARNING for p in problems)


def test_narrative_checks_every_labelled_figure():
    item, text = item_from_text(SEVERAL.replace("予以公开22件", "予以公开21件").replace("提起行政诉讼3件", "提起行政诉讼1件"))
    messages = [p.message for p in annual_report_tables(item, [], source=text).problems]
    assert messages == [
        "正文写“予以公开21件”（予以公开 21 件），但表三“（一）予以公开”总计为 22 件",
        "正文写“行政诉讼1件”（行政诉讼 1 件），但表四 行政诉讼 两项总计之和为 3 件",
    ]


@pytest.mark.parametrize(
    "sentence, requests, appeals",
    [
        # phrasings from published reports that agree with their tables: no warning
        ("2023年度共收到政府信息案件依申请公开24件，其中政府信息公开平台收到政府信息依申请公开11件。", {"新收": 24, "予以公开": 24}, {}),
        ("共接收申请人向我机关提交的政府信息依申请公开10件，同比增加5件；接收市发改委协助调查5件。", {"新收": 10, "予以公开": 10}, {}),
        ("2023年，开发区共收到依申请公开案例2例，已按照规范回复。", {"新收": 2, "予以公开": 2}, {}),
        ("因政府信息公开申请行政复议0件、提起行政诉讼0件。", {}, {}),
        ("依法未经复议直接提起行政诉讼1件。", {}, {"未经复议直接起诉": {"结果维持": 1}}),
        ("行政复议和行政诉讼一起统计，办理行政许可1,234件。", {}, {}),
        ("收到政府信息公开申请二十六件，全部予以公开。", {"新收": 26, "予以公开": 26}, {}),
    ],
)
def test_narrative_agreeing_phrasings_do_not_warn(sentence, requests, appeals):
    item = simple_item({"year": 2023, "requests": {"自然人": requests}, "appeals": appeals}, sentence)
    assert annual_report_tables(item, []).problems == ()


# --------------------------------------------------------------------------------------------
# Splitting the body
# --------------------------------------------------------------------------------------------


def test_split_report_body():
    body = (
        "编制说明。\n"
        "# 一、 总体情况\n"
        "概述。\n"
        "```\n## 五、存在的主要问题及改进情况\n```\n"
        "**二、主动公开政府信息情况**\n"
        "见下表。\n"
        "### 存在的主要问题及改进情况 ###\n"
        "问题。\n"
        "六、其他需要报告的事项\n"
        "无。"
    )
    split = split_report_body(body, body_line=10)
    assert split.preface == "编制说明。"
    assert split.sections == {
        "总体情况": "概述。\n```\n## 五、存在的主要问题及改进情况\n```",
        "主动公开政府信息情况": "见下表。",
        "存在的主要问题及改进情况": "问题。",
        "其他需要报告的事项": "无。",
    }
    assert split.lines == {"总体情况": 11, "主动公开政府信息情况": 16, "存在的主要问题及改进情况": 18, "其他需要报告的事项": 20}
    # a sentence that only mentions a section is not a heading
    assert split_report_body("详见总体情况。").sections == {}


# --------------------------------------------------------------------------------------------
# .xlsx
# --------------------------------------------------------------------------------------------


def test_xlsx_cell_by_cell(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    _, _, tables = several_tables()
    path = tmp_path / "gknb-2023-fgj.xlsx"
    title = "示例县发展和改革局2023年政府信息公开工作年度报告"
    write_report_xlsx(tables, path, title)
    first = path.read_bytes()
    write_report_xlsx(tables, path, title)
    assert path.read_bytes() == first  # reproducible: the manifest hashes it

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
    ]
    for ws in wb.worksheets:
        assert ws["A1"].value == title
        assert int(ws.page_setup.paperSize) == 9  # A4
        # one page wide (1 is the attribute's default: Excel and XlsxWriter leave it out), as many tall as it takes
        assert (ws.page_setup.fitToWidth or 1) == 1 and int(ws.page_setup.fitToHeight) == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage

    s2, s3, s4 = wb.worksheets
    assert s2["A2"].value == "二、主动公开政府信息情况"
    expected2 = [
        ["第二十条第（一）项", None, None, None],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", 0, 0, 0],
        ["行政规范性文件", 0, 0, 0],
        ["第二十条第（五）项", None, None, None],
        ["信息内容", "本年处理决定数量", None, None],
        ["行政许可", 1234, None, None],
        ["第二十条第（六）项", None, None, None],
        ["信息内容", "本年处理决定数量", None, None],
        ["行政处罚", 56, None, None],
        ["行政强制", 7, None, None],
        ["第二十条第（八）项", None, None, None],
        ["信息内容", "本年收费金额（单位：万元）", None, None],
        ["行政事业性收费", 12.5, None, None],
    ]
    assert [[c.value for c in row] for row in s2.iter_rows(min_row=3, max_row=16, max_col=4)] == expected2
    merged2 = {str(r) for r in s2.merged_cells.ranges}
    assert {"A1:D1", "A2:D2", "A3:D3", "A7:D7", "B8:D8", "B9:D9", "A14:D14", "B15:D15", "B16:D16"} <= merged2

    assert s3["A2"].value == "三、收到和处理政府信息公开申请情况"
    assert s3["A3"].value == "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert s3["D3"].value == "申请人情况"
    assert [s3.cell(4, c).value for c in range(4, 11)] == ["自然人", "法人或其他组织", None, None, None, None, "总计"]
    assert [s3.cell(5, c).value for c in range(5, 10)] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    for i, (labels, figures) in enumerate(zip(T3_ROWS, several_expected())):
        row = 6 + i
        assert [s3.cell(row, c).value for c in range(4, 11)] == figures, labels
        label_cells = [s3.cell(row, c).value for c in range(1, 4)]
        assert labels[-1] in label_cells
    assert s3["A8"].value == "三、本年度办理结果" and s3["B10"].value == "（三）不予公开"
    assert s3["C10"].value == "1.属于国家秘密" and s3["B29"].value == "（七）总计"
    assert s3["A30"].value == "四、结转下年度继续办理"
    merged3 = {str(r) for r in s3.merged_cells.ranges}
    assert {"A3:C5", "D3:J3", "D4:D5", "E4:I4", "J4:J5", "A6:C6", "A7:C7", "A8:A29", "B8:C8", "B9:C9",
            "B10:B17", "B18:B20", "B21:B25", "B26:B28", "B29:C29", "A30:C30"} <= merged3
    assert s3.print_title_rows == "$3:$5"
    assert s3["D6"].border.left.style == "thin" and s3["B17"].border.bottom.style == "thin"

    assert s4.page_setup.orientation == "landscape"
    assert [s4.cell(3, c).value for c in (1, 6)] == ["行政复议", "行政诉讼"]
    assert [s4.cell(4, c).value for c in range(1, 12)] == [
        "结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", None, None, None, None, "复议后起诉",
    ]
    assert [s4.cell(5, c).value for c in range(6, 16)] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2
    assert [s4.cell(6, c).value for c in range(1, 16)] == [2, 1, 0, 0, 3, 0, 0, 1, 1, 2, 1, 0, 0, 0, 1]
    assert {"A3:E3", "F3:O3", "A4:A5", "E4:E5", "F4:J4", "K4:O4"} <= {str(r) for r in s4.merged_cells.ranges}


# --------------------------------------------------------------------------------------------
# The list page and missing reports
# --------------------------------------------------------------------------------------------

SETTINGS = Settings(
    agency="示例县人民政府办公室",
    units=(Unit("xzf", "示例县人民政府办公室", "A"), Unit("fgj", "示例县发展和改革局", "B"), Unit("jyj", "示例县教育局", "C")),
)


def test_reports_index_by_year_and_unit():
    reports = [
        simple_item({"year": 2023}, unit="fgj", path="content/fgj/2023.md", title="发改局2023年报告"),
        simple_item({"year": 2022}, unit="fgj", path="content/fgj/2022.md", title="发改局2022年报告"),
        simple_item({"year": 2023}, unit="xzf", path="content/xzf/2023.md", title="县政府办<2023>年报告"),
        simple_item({"year": 2023}, unit="xzf", path="content/xzf/2023b.md", title="重复"),
        simple_item({}, unit="jyj", path="content/jyj/none.md"),
    ]
    index = reports_index(reports, SETTINGS)
    assert [(y, [e.unit for e in entries]) for y, entries in index.by_year] == [(2023, ["xzf", "fgj"]), (2022, ["fgj"])]
    assert [(u, [e.year for e in entries]) for u, entries in index.by_unit] == [("xzf", [2023]), ("fgj", [2023, 2022])]
    entry = index.by_year[0][1][1]
    assert entry.url == "xxgk/gknb/2023/fgj/" and entry.xlsx == "xxgk/gknb/2023/fgj/gknb-2023-fgj.xlsx"
    assert entry.published == "2024-01-25"
    (duplicate,) = index.problems
    assert duplicate.path == "content/xzf/2023b.md" and duplicate.is_error and "content/xzf/2023.md" in duplicate.message
    html = render_reports_index_html(index, SETTINGS)
    assert '<a href="2023/fgj/">发改局2023年报告</a>' in html
    assert "县政府办&lt;2023&gt;年报告" in html and "<2023>" not in html
    assert '<a href="2022/fgj/gknb-2022-fgj.xlsx" download>' in html
    assert html.index("2023年度") < html.index("2022年度")
    assert "暂无" in render_reports_index_html(reports_index([]))


def test_missing_reports_after_31_january():
    reports = [simple_item({"year": 2024}, unit="fgj"), simple_item({"year": 2023}, unit="jyj")]
    assert missing_reports(SETTINGS, reports, date(2025, 1, 31)) == []
    problems = missing_reports(SETTINGS, reports, date(2025, 2, 1))
    assert [p.message for p in problems] == [
        "示例县人民政府办公室（xzf）尚未发布2024年政府信息公开工作年度报告（条例第四十九条：应于1月31日前向社会公布）",
        "示例县教育局（jyj）尚未发布2024年政府信息公开工作年度报告（条例第四十九条：应于1月31日前向社会公布）",
    ]
    assert all(p.severity == WARNING for p in problems)
    assert missing_reports(SETTINGS, reports + [simple_item({"year": 2024}, unit="xzf"), simple_item({"year": 2024}, unit="jyj")], date(2025, 12, 31)) == []


def test_front_matter_lines():
    lines = front_matter_lines(SHUYANG)
    assert lines[("report",)] == 9
    assert lines[("report", "requests", "自然人", "新收")] == 13
    assert lines[("report", "requests", "自然人", "不予公开", "属于行政查询事项")] == 17
    assert lines[("report", "appeals", "复议后起诉")] == 25
    assert front_matter_lines("---\nbad: [\n---\n") == {}


def test_docs_name_every_key():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "report.md").read_text(encoding="utf-8")
    keys = list(REPORT_KEYS) + list(APPLICANTS[:]) + [k.key for k in APPEAL_KINDS] + list(APPEAL_RESULTS)
    keys += [key for key, subkeys in REQUEST_FIELDS.items() for key in (key, *subkeys)]
    keys += list(DOCUMENT_CATEGORIES) + [key for key, _ in DOCUMENT_FIGURES]
    assert [key for key in keys if f"`{key}`" not in docs and f"{key}:" not in docs] == []
    assert all(row.label.split(".", 1)[-1] in docs for row in TABLE3_ROWS if not row.computed)
