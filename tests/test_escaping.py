"""Item text escaped for each output: Markdown for a PR comment, CSV and .xlsx cells, XML, HTML ids
and classes, invisible controls; front-matter that holds control characters is refused."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from openpyxl import Workbook, load_workbook

from gongkai import escaping
from gongkai.errors import WARNING, Problem
from gongkai.gate import sanitize
from gongkai.model import Item
from gongkai.read.loader import unshowable_characters
from gongkai.site import catalog
from gongkai.tools.changes import ItemReport, Summary, render_markdown

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
HOSTILE_MARKDOWN = {
    "table cell end": "a | b | c",
    "line break": "标题\n# 标题二\n\n---",
    "heading": "# 大标题",
    "setext heading": "x\n===",
    "image": "![x](https://evil.example/x.png)",
    "link": "[点此](https://evil.example/)",
    "reference link": "[点此][1]\n\n[1]: https://evil.example/",
    "autolink": "<https://evil.example/>",
    "bare url": "见 https://evil.example/a 或 www.evil.example",
    "email": "admin@evil.example",
    "mention": "请 @octocat 和 @org/team 看",
    "issue reference": "修复 #123 与 owner/repo#7、!42 $5 ~bug %v1 &9",
    "html": "<img src=x onerror=alert(1)><script>alert(1)</script><details open>",
    "code fence": "```\ncode\n```",
    "code span": "`rm -rf`",
    "emphasis": "**粗** _斜_ ~~删~~",
    "entity": "&lt;b&gt; &#64;octocat",
    "list": "- 一\n1. 二\n> 引用",
    "backslash": "\\|\\`",
    "bidi": "abc\u202etxt.exe",
}


def _unescaped(markdown: str) -> str:
    """Returns what CommonMark shows for text whose punctuation is all backslash-escaped, after
    checking that it is: every ASCII punctuation character is preceded by a backslash."""
    shown, i = [], 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\":
            assert i + 1 < len(markdown) and markdown[i + 1] in PUNCTUATION, markdown
            shown.append(markdown[i + 1])
            i += 2
            continue
        assert char not in PUNCTUATION, f"unescaped {char!r} in {markdown!r}"
        shown.append(char)
        i += 1
    return "".join(shown)


@pytest.mark.parametrize("text", HOSTILE_MARKDOWN.values(), ids=HOSTILE_MARKDOWN.keys())
def test_md_text_is_literal_text_on_one_line(text):
    out = escaping.md_text(text)
    assert not re.search("[\r\n\u2028\u2029\x85]", out)  # cannot end a table row or start a block
    shown = _unescaped(out)  # no Markdown construct can start: every punctuation mark is escaped
    # What GitHub and GitLab link in rendered text: mentions, issue/MR references, bare URLs.
    assert not re.search(r"(?<![\w/.@-])@[A-Za-z0-9]", shown)
    assert not re.search(r"[#!$~%&^][A-Za-z0-9]", shown)
    assert not re.search(r"https?:/|www\.\w|\w@\w", shown)
    assert not set(escaping.BIDI_CONTROLS) & set(shown)
    # and the reader still sees the text (word joiners are invisible)
    visible = re.sub("[\r\n\u2028\u2029]+", " ", escaping.show_invisible(text))
    assert shown.replace("\u2060", "") == visible


def test_md_text_shows_a_bidi_control_to_the_reviewer():
    assert "<U+202E>" in _unescaped(escaping.md_text("abc\u202etxt"))


@pytest.mark.parametrize("text", ["content/a.md", "content/a`b``c.md", "`x", "a|b\nc", "content/\u202etxt.md", "   "])
def test_md_code_is_one_code_span(text):
    out = escaping.md_code(text, table=True)
    if not text.strip():
        assert out == "—"
        return
    fence = re.match("`+", out).group()
    assert out.endswith(fence) and not re.search("[\r\n]", out)
    inner = out[len(fence) : -len(fence)]
    # no run of exactly the fence's length inside: the span cannot end early
    assert all(len(run) != len(fence) for run in re.findall("`+", inner))
    assert "|" not in inner.replace("\\|", "")
    assert "\u202e" not in inner


def test_pr_summary_keeps_item_text_inside_its_cells():
    title = "标题 | 伪造 |\n# 标题 @octocat #1 ![x](http://evil.example/) <b>x</b>"
    path = "content/xzf/a|b`c.md"
    report = ItemReport(path, "A", title, "11369999MB0000001A/2025-00001", "待审(缺少初审)", "hold", ("初审",),
                        [Problem(path, 3, f"标题“{title}”有问题", WARNING)])
    summary = Summary("main", "0" * 40, [report], [], [], ["docs/@x #2.md"])
    out = render_markdown(summary)
    rows = [line for line in out.splitlines() if line.startswith("|")]
    assert len(rows) == 3  # header, delimiter, one item: nothing ended the row or added one
    cells = re.split(r"(?<!\\)\|", rows[2])
    assert len(cells) == 9  # 7 cells between 8 unescaped pipes
    for line in out.splitlines():
        assert not line.startswith(("#", "!", "[", "<img", "```")) or line.startswith(("## gongkai", "### 问题"))
    assert "@octocat" not in out and "#1 " not in out and "](http" not in out and "<b>" not in out


# ------------------------------------------------------------------ spreadsheets


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =1+1", "＝1+1", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("value", FORMULAS)
def test_csv_cell_neutralises_formulas(value):
    assert escaping.csv_cell(value) == "'" + escaping.clean(value)


def test_csv_cell_leaves_text_alone():
    assert escaping.csv_cell("关于2025年春节放假的通知") == "关于2025年春节放假的通知"
    assert escaping.csv_cell("a\x01b\u202ec") == "abc"


def test_xlsx_cells_are_text_never_formulas(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    for row, value in enumerate(FORMULAS + ["普通文字", 42, "a\x01b"], start=1):
        escaping.put_cell(sheet.cell(row=row, column=1), value)
    workbook.save(tmp_path / "x.xlsx")
    cells = list(load_workbook(tmp_path / "x.xlsx").active["A"])
    assert all(c.data_type != "f" for c in cells)
    assert [c.value for c in cells[: len(FORMULAS)]] == FORMULAS
    assert all(c.quotePrefix for c in cells[: len(FORMULAS)])
    assert cells[-3].value == "普通文字" and cells[-2].value == 42 and cells[-1].value == "ab"


def test_report_workbook_title_is_never_a_formula(tmp_path):
    from gongkai.report import xlsx as report_xlsx
    from tests.test_report import shuyang_tables

    _, _, tables = shuyang_tables()
    target = tmp_path / "report.xlsx"
    report_xlsx.write_report_xlsx(tables, target, '=HYPERLINK("http://evil","x")')
    workbook = load_workbook(target)
    cells = [c for ws in workbook for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert workbook.worksheets[0]["A1"].value == '=HYPERLINK("http://evil","x")'
    assert workbook.worksheets[0]["A1"].quotePrefix  # edited in Excel, it stays text


# ------------------------------------------------------------------ catalog exports


def _entry(title: str, summary: str) -> catalog.Entry:
    meta = {"title": title, "index_no": "11369999MB0000001A/2025-00001", "unit": "xzf", "attribute": "主动公开",
            "category": "通知公告", "created": "2025-03-01", "published": "2025-03-03", "doc_no": "=1+1"}
    item = Item(path="content/xzf/a.md", rel="xzf/a.md", meta=meta, body="", body_line=10, lines={})
    return catalog.Entry(item=item, unit_name="县政府办", page="xzf/a/", summary=summary)


def test_feed_stays_well_formed_whatever_a_title_holds():
    title = "a\x00b\x01c\x0b\x1f]]><![CDATA[ & <script> \ufffe\uffff \ud800 \u202e \"'"
    feed = catalog.feed_xml([_entry(title, title)], "站<点>&", "https://x.example/", datetime(2025, 3, 3, tzinfo=timezone.utc))
    root = ET.fromstring(feed.encode("utf-8"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    shown = root.find("a:entry/a:title", ns).text
    assert shown == "abc]]><![CDATA[ & <script>    \"'" == escaping.clean(title)
    assert root.find("a:title", ns).text == "站<点>&"


def test_catalog_csv_and_json_hold_no_formula_and_no_control():
    import json

    entry = _entry("=HYPERLINK(\"http://evil\",\"x\")\u202e", "摘要\x01")
    rows = list(csv.reader(io.StringIO(catalog.catalog_csv([entry]).decode("utf-8-sig"))))
    row = dict(zip(catalog.CSV_HEADERS, rows[1]))
    assert row["标题"] == "'=HYPERLINK(\"http://evil\",\"x\")" and row["文号"] == "'=1+1"
    data = json.loads(catalog.catalog_json([entry]))
    assert data["entries"][0]["title"] == "=HYPERLINK(\"http://evil\",\"x\")" and data["entries"][0]["summary"] == "摘要"


# ------------------------------------------------------------------ HTML: ids, classes, bidi


THEME_IDS = ["__drawer", "__search", "__toc", "__config", "__consent", "__palette_0", "__nav_1", "__codelineno-0-1",
             "gongkai-search", "gongkai-search-ui", "gongkai-search-input", "gongkai-search-title", "gongkai-size-label"]


@pytest.mark.parametrize("value", THEME_IDS + ["GONGKAI-search", "md-header", "pagefind-ui", "_x", "a b", "x'y", ""])
def test_content_cannot_define_a_theme_id(value):
    html = sanitize.clean(f'<div id="{value}">x</div><h2 id="{value}">y</h2>')
    assert "id=" not in html


@pytest.mark.parametrize("value", ["_1", "_12", "section-1", "gknb-2025", "chart-1-title", "fn:1", "fnref:1", "fnref2:1", "中文标题", "2025"])
def test_heading_and_footnote_anchors_stay(value):
    assert sanitize.clean(f'<h2 id="{value}">x</h2>') == f'<h2 id="{value}">x</h2>'


def test_content_cannot_carry_a_class_or_attribute_the_scripts_select_by():
    html = sanitize.clean(
        '<div class="md-sidebar__scrollwrap admonition note pagefind-ui__search-input" data-md-component="search" '
        'data-gongkai-search-open name="__search" onclick="x()">x</div><form id="__search"><input name="q"></form>'
    )
    assert html == '<div class="admonition note">x</div>'


def test_bidi_controls_are_stripped_from_pages():
    assert sanitize.clean("<p>a\u202eb\u2066c\u200fd</p>") == "<p>abcd</p>"


# ------------------------------------------------------------------ front-matter


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u200f", "\u061c", "\ufffe", "\ud800"])
def test_front_matter_refuses_controls_with_the_line(char):
    meta = {"title": "好", "source": {"name": f"来源{char}"}, "attachments": ["a.pdf", f"b{char}.pdf"]}
    lines = {"title": 2, "source": 5, "source.name": 6, "attachments": 7, "attachments[0]": 8, "attachments[1]": 9}
    problems = unshowable_characters(meta, lines, "content/a.md")
    assert [(p.line, p.is_error) for p in problems] == [(6, True), (9, True)]
    assert f"U+{ord(char):04X}" in problems[0].message and "source.name" in problems[0].message


def test_front_matter_allows_tab_and_line_breaks():
    assert unshowable_characters({"summary": "一\t二\n三\r\n"}, {"summary": 3}, "content/a.md") == []


def test_a_problem_shows_a_bidi_control_in_a_path_on_the_terminal():
    assert str(Problem("content/\u202etxt.md", 1, "x")) == "content/<U+202E>txt.md:1: x"


def test_only_the_engines_scroll_region_keeps_tabindex_and_only_zero():
    """A wide table's region may take the keyboard focus; nothing else in a page's content may
    reorder the keyboard (a positive tabindex) or become a stop the reader did not ask for."""
    region = escaping.scroll_region('<table><caption>目录</caption><tr><td headers="h1">1</td></tr></table>', "目录")
    kept = sanitize.clean(region)
    assert 'class="gongkai-scroll" tabindex="0" role="region" aria-label="目录（可左右滚动）"' in kept
    assert 'headers="h1"' in kept
    for html in ('<div tabindex="0">x</div>', '<div class="note" tabindex="0">x</div>', '<div class="gongkai-scroll" tabindex="5">x</div>',
                 '<div class="gongkai-scrolling" tabindex="0">x</div>', '<span class="gongkai-scroll" tabindex="0">x</span>',
                 '<p class="gongkai-scroll" tabindex="0">x</p>', '<a href="#a" tabindex="-1">x</a>'):
        assert "tabindex" not in sanitize.clean(html), html
    assert 'tabindex="0"' in sanitize.clean('<div class="note gongkai-scroll wide" tabindex="0">x</div>')
