"""Pages a reader trusts: what replaced a repealed document, a 转载 item's original issuer, no empty
row, 索引号 and 文号 kept whole, lang="zh-CN", the footer's 党政机关标识 and 我为政府网站找错, and
full-width punctuation in every sentence the engine writes."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pytest

from tests.browser.sample import REPO, build_sample

OLD = "11369999MB0000001A/2025-00001"
NEW = "11369999MB0000001A/2025-00002"


@pytest.fixture
def built(portal):
    shutil.copytree(REPO / "theme", portal.root / "theme", dirs_exist_ok=True)  # the test portal's theme is the engine's
    portal.write_settings(
        party_mark="assets/gongkai/party-mark-placeholder.svg",
        party_mark_url="https://bszs.conac.cn/sitename?method=show&id=0001",
        error_report_url="https://zfwzzc.www.gov.cn/check_web/errorInfo_querySiteInfo.action?sitecode=3609990001",
    )
    portal.item("xzf/2025/old.md", title="关于临时救助的暂行办法", index_no=OLD, category="规范性文件", doc_no="测府发〔2025〕1号",
                validity="废止", repealed_on="2025-06-01", replaced_by=NEW, created="2025-03-01", published="2025-03-03")
    portal.item("xzf/2025/new.md", title="临时救助实施办法", index_no=NEW, category="规范性文件", created="2025-05-20", published="2025-05-26")
    portal.item("xzf/2025/reprint.md", title="省政府关于春耕生产的通知（转载）", index_no="11369999MB0000001A/2025-00003",
                source={"name": "江西省人民政府网", "url": "https://www.jiangxi.gov.cn/a.html", "date": "2025-03-01"})
    for rel in ("xzf/2025/old.md", "xzf/2025/new.md", "xzf/2025/reprint.md"):
        portal.sign(rel)
    result = portal.build(env={"GONGKAI_TODAY": "2025-07-01"})
    assert result.returncode == 0, result.stdout + result.stderr
    return portal.site


def _meta_rows(html: str) -> dict[str, str]:
    table = html.split('<table class="gongkai-meta">', 1)[1].split("</table>", 1)[0]
    return {th: td for th, td in re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table)}


def test_a_repealed_document_says_what_replaced_it_and_ranks_below(built):
    html = (built / "xzf/2025/old/index.html").read_text(encoding="utf-8")
    rows = _meta_rows(html)
    assert rows["有效性"] == "废止（2025-06-01起）"
    assert "2025-00002" in rows["替代文件"] and "gongkai-nobreak" in rows["替代文件"]
    notice = re.search(r'<p class="gongkai-validity">(.*?)</p>\s*<p>(.*?)</p>', html)
    assert notice.group(1) == "本文件已废止，仅供查阅。", notice.group(0)
    assert notice.group(2) == '<strong>现行文件：</strong><a href="../new/">临时救助实施办法</a>', notice.group(0)
    # search: its words weigh less than a valid document's, its result says 已废止
    assert re.search(r'<article[^>]*data-pagefind-body[^>]*data-pagefind-weight="0.2"', html)
    assert '<h1 data-pagefind-weight="0.2"' in html
    assert 'data-pagefind-meta="title:关于临时救助的暂行办法（已废止）"' in html
    valid = (built / "xzf/2025/new/index.html").read_text(encoding="utf-8")
    assert "data-pagefind-weight" not in valid and "gongkai-validity" not in valid


def test_the_index_table_has_no_empty_row_keeps_numbers_whole_and_names_a_reprints_issuer(built):
    reprint = _meta_rows((built / "xzf/2025/reprint/index.html").read_text(encoding="utf-8"))
    assert reprint["原发布机构"] == "江西省人民政府网（原文日期：2025-03-01）"
    assert list(reprint).index("原发布机构") == list(reprint).index("发布机构") + 1
    assert "文号" not in reprint and "主题分类" not in reprint  # not given: no empty row
    assert reprint["索引号"] == '<span class="gongkai-nobreak">11369999MB0000001A/</span><wbr><span class="gongkai-nobreak">2025-00003</span>'
    old = _meta_rows((built / "xzf/2025/old/index.html").read_text(encoding="utf-8"))
    assert old["文号"] == '<span class="gongkai-nobreak">测府发</span><wbr><span class="gongkai-nobreak">〔2025〕1号</span>'


def test_pages_are_zh_cn_and_the_footer_carries_the_marks_from_the_settings(built):
    for page in ("index.html", "xzf/2025/new/index.html", "xxgk/gkzn/index.html", "404.html"):
        html = (built / page).read_text(encoding="utf-8")
        assert '<html lang="zh-CN"' in html, page
        footer = html.split('<footer class="gongkai-footer">', 1)[1]
        assert re.search(r'<a href="https://bszs.conac.cn/sitename\?method=show&amp;id=0001" rel="noopener"><img class="gongkai-footer__party-mark" src="[./]*assets/gongkai/party-mark-placeholder.svg" alt="党政机关网站标识"', footer), page
        assert '>我为政府网站找错</a>' in footer and "https://zfwzzc.www.gov.cn/" in footer
    assert (built / "assets/gongkai/party-mark-placeholder.svg").is_file()


@pytest.mark.parametrize("key, value", [("party_mark", "https://example.com/a.png"), ("party_mark", "../a.png"), ("error_report_url", "http://example.com/")])
def test_a_footer_setting_that_is_not_a_local_image_or_an_https_address_is_refused(portal, key, value):
    portal.write_settings(**{key: value})
    result = portal.run("check")
    assert result.returncode == 1 and f"extra.gongkai.{key}" in result.stdout + result.stderr


# ---------------------------------------------------------------------------- full-width punctuation

CJK = "\u3400-\u9fff\u3000-\u303f\uff00-\uffef《》“”"
ASCII_BETWEEN = re.compile(rf"[{CJK}][,;:()]|[,;:()][{CJK}]")
BLOCKS = {"p", "li", "td", "th", "tr", "div", "h1", "h2", "h3", "h4", "h5", "h6", "br", "caption", "dt", "dd", "section", "nav", "footer", "header", "article", "figure", "figcaption", "span", "label", "button", "option"}


class _Visible(HTMLParser):
    """The text a reader sees: no script, style, SVG or hidden element; a space between blocks."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if self.hidden or tag in ("script", "style", "svg", "template") or "hidden" in dict(attrs):
            self.hidden += tag not in ("br", "img", "input", "wbr", "meta", "link")
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if self.hidden:
            self.hidden -= 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def test_every_sentence_the_engine_writes_uses_full_width_punctuation(tmp_path_factory):
    """Scans the visible text of every page of the sample portal for an ASCII , ; : ( ) touching a
    Chinese character. Text the portal's own files hold (an item's body, a 标准目录 entry, a
    report's narrative) is the editors' to write: a finding is the engine's when the three
    characters around it appear in none of the sample's content, standards or settings files."""
    site = build_sample(tmp_path_factory.getbasetemp())
    sources = [REPO / "mkdocs.yml", *(p for folder in ("content", "standards") for p in (REPO / folder).rglob("*") if p.suffix in (".md", ".yml", ".yaml", ".csv"))]
    own = re.sub(r"\s+", " ", "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sources))
    found = []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 30
    for page in pages:
        parser = _Visible()
        parser.feed(page.read_text(encoding="utf-8"))
        text = re.sub(r"\s+", " ", "".join(parser.parts))
        for match in ASCII_BETWEEN.finditer(text):
            start, end = match.span()
            if text[max(0, start - 1):end] in own or text[start:end + 1] in own:
                continue
            found.append(f"{page.relative_to(site)}: …{text[max(0, start - 15):end + 15]}…")
    assert not found, "\n".join(sorted(set(found))[:40])


def test_the_scan_finds_ascii_punctuation_between_chinese_characters():
    parser = _Visible()
    parser.feed('<p>本目录(试行)<span hidden>隐藏(不算)</span></p><td>9号)</td><td>每年</td><script>a("中(文")</script>')
    text = re.sub(r"\s+", " ", "".join(parser.parts))
    assert [m.group() for m in ASCII_BETWEEN.finditer(text)] == ["录(", "行)", "号)"]
