"""The output check on its own: what a reader sees of rendered HTML and data files, checked
without the source checks (defence in depth), and the withheld-text comparison."""
from __future__ import annotations

import gzip
import json
import uuid

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongkai.gate import output as output_check
from gongkai.gate import sanitize, visible
from gongkai.gate.decide import redact
from gongkai.model import Decision, Item, Verdict

ID = "11010519491231002X"


def _item(body: str, path: str = "content/a.md", **meta) -> Item:
    meta = {"title": "标题", "attribute": "主动公开", **meta}
    return Item(path=path, rel=path.removeprefix("content/"), meta=meta, body=body, body_line=5, lines={})


@pytest.mark.parametrize(
    "html",
    [
        f"<p>{ID}</p>",
        "<p>1101051949<!-- a > b -->1231002X</p>",
        "<p>1101051949<em>1231</em>002X</p>",
        "<p>" + "".join(f"&#{ord(c)};" for c in ID) + "</p>",
        "<p>110105194912<br>31002X</p>",
        f'<p><img alt="{ID}" src="a.png"></p>',
        f'<p><a href="/q?id={ID}">查询</a></p>',
        f"<p>ABC{ID}DEF</p>",
        "<p>" + "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in ID) + "</p>",
        f"<p>{ID[:-1]}Х</p>",  # Cyrillic
        "<p>" + "\u2060".join(ID) + "</p>",
    ],
)
def test_id_numbers_a_reader_sees_are_found(html):
    found = output_check.check_page("a/index.html", html, None)
    assert [f.message for f in found if "110105********002X" in f.message]


@pytest.mark.parametrize("html", ["<p>秘密&#9733;</p>", "<p>机<b>密</b>☆</p>", "<p>绝密＊</p>", "<p>秘<!-- x -->密✩</p>", '<p title="机密★">x</p>'])
def test_secrecy_marks_a_reader_sees_are_found(html):
    assert any("密级标志" in f.message for f in output_check.check_page("a/index.html", html, None))


@pytest.mark.parametrize("html", ["<p>【不公开】甲</p>", "<p>〔不<i>公</i>开〕</p>", "<p>[不公開]</p>", "<p>（不予公开）</p>"])
def test_markers_on_a_page_are_found(html):
    assert any("不公开标记" in f.message for f in output_check.check_page("a/index.html", html, None))


@pytest.mark.parametrize(
    "html",
    [
        "<p>110105********002X</p>",  # masked
        "<p>11010519491231002Y</p>",  # bad check digit
        "<table><tr><td>2025-03-01</td><td>2025-03-03</td><td>2025-04-01</td></tr></table>",
        "<p>保守国家秘密。五★级</p>",
        '<p><span class="gongkai-redacted">【此处内容依法不予公开，依据：条例第十五条】</span></p>',
    ],
)
def test_ordinary_pages_pass(html):
    assert output_check.check_page("a/index.html", html, None) == []


def test_data_files_are_read_as_a_reader_reads_them():
    escaped = json.dumps({"title": ID}).encode()  # plain
    assert output_check.check_file("catalog.json", escaped, None)
    unicode_escaped = ('{"t": "' + "".join(f"\\u{ord(c):04x}" for c in ID) + '"}').encode()
    assert output_check.check_file("catalog.json", unicode_escaped, None)
    assert output_check.check_file("catalog.csv", f"\ufeff索引号,标题\n1,{ID}\n".encode("utf-8"), None)
    assert output_check.check_file("feed.xml", f"<feed><entry><title>&#49;{ID[1:]}</title></entry></feed>".encode(), None)
    fragment = gzip.compress(b"pagefind_dcd" + json.dumps({"content": f"申请人 {ID}"}).encode())
    assert output_check.check_file("pagefind/fragment/a.pf_fragment", fragment, None)
    assert output_check.check_file("sitemap.xml.gz", gzip.compress(f"<urlset><url><loc>/x/{ID}/</loc></url></urlset>".encode()), None)


def test_withheld_text_is_found_and_boilerplate_is_not():
    canary = f"canary{uuid.uuid4().hex[:12]}"
    pending = _item(f"第一段,和已公开的文字相同:全县政务公开工作要点如下。\n\n待审的内容{canary}在这里。", path="content/p.md")
    published = _item("全县政务公开工作要点如下。", path="content/q.md")
    decisions = [Decision(pending.path, Verdict.HOLD, pending), Decision(published.path, Verdict.PUBLISH, published, text=published.body)]
    withheld = output_check.Withheld(decisions, ["示例县人民政府办公室"])
    assert output_check.check_page("q/index.html", "<p>全县政务公开工作要点如下。</p>", withheld) == []
    found = output_check.check_page("x/index.html", f"<p>泄露:待<b>审的内容{canary.upper()}</b>在这里</p>", withheld)
    assert [f.key for f in found] and found[0].message.count("content/p.md") == 1


def test_what_an_earlier_check_found_in_unchanged_items_is_reused_and_a_changed_item_is_searched_again():
    pending = _item("待审的内容:本批次抽检的样品编号与检验结论尚未复核。", path="content/p.md")
    shared = _item("本批次抽检的样品编号与检验结论尚未复核。", path="content/q.md")  # says the pending text too
    other = _item("全县政务公开工作要点如下,各单位认真落实。", path="content/r.md")

    def decisions(*published):
        return [Decision(pending.path, Verdict.HOLD, pending)] + [Decision(i.path, Verdict.PUBLISH, i, text=i.body) for i in published]

    first = output_check.Withheld(decisions(shared, other))
    assert first and first.owners and first.candidates_key and len(first.found_in) == 2
    memo = {first.candidates_key: first.found_in}
    asked = []

    def found(key):
        asked.append(key)
        return memo.get(key)

    again = output_check.Withheld(decisions(shared, other), found=found)
    assert asked == [first.candidates_key] and again.owners == first.owners
    # The item that shared the pending text now says something else: searched again, not taken
    # from the memo, so the pending text it no longer says becomes distinctive (checked on pages).
    changed = _item("本条信息已更正。", path="content/q.md")
    after = output_check.Withheld(decisions(changed, other), found=found)
    assert after.owners == output_check.Withheld(decisions(changed, other)).owners
    assert set(after.owners) > set(first.owners)


def test_the_distinct_pieces_found_apart_and_then_the_boilerplate_make_the_same_withheld_text():
    """What a forked process finds (distinct_pieces) and the boilerplate taken out afterwards give
    the pieces one Withheld of the same decisions and boilerplate gives."""
    canary = f"canary{uuid.uuid4().hex[:12]}"
    pending = _item(f"示例县人民政府办公室关于做好政务公开工作的通知。\n\n本批次抽检的样品编号{canary}尚未复核。", path="content/p.md")
    shared = _item("本批次抽检的样品编号与检验结论", path="content/q.md")
    decisions = [Decision(pending.path, Verdict.HOLD, pending), Decision(shared.path, Verdict.PUBLISH, shared, text=shared.body)]
    boilerplate = ["示例县人民政府办公室关于做好政务公开工作的通知"]
    distinct = output_check.distinct_pieces(decisions)
    assert any("示例县人民政府办公室" in piece for piece in distinct.owners)  # not a published item's
    apart = output_check.Withheld((), boilerplate, distinct=distinct)
    whole = output_check.Withheld(decisions, boilerplate)
    assert apart.owners == whole.owners and apart.owners and not any("示例县人民政府办公室" in piece for piece in apart.owners)
    assert apart.candidates_key == whole.candidates_key and apart.found_in == whole.found_in
    assert output_check.check_page("x/index.html", f"<p>样品编号{canary}尚未复核</p>", apart)


def test_withheld_pieces_never_span_two_blocks():
    """Two catalog entries next to each other must not make a piece of a pending item's text."""
    pending = _item("各单位:\n\n示例县2026年政务公开工作要点", path="content/p.md")
    published = [_item("各单位:", path="content/a.md"), _item("示例县2026年政务公开工作要点", path="content/b.md")]
    decisions = [Decision(pending.path, Verdict.HOLD, pending)] + [Decision(i.path, Verdict.PUBLISH, i, text=i.body) for i in published]
    withheld = output_check.Withheld(decisions)
    assert output_check.check_page("feed.xml", "<summary>各单位:</summary><entry><title>示例县2026年政务公开工作要点</title>", withheld) == []


# ------------------------------------------------------------------ the property

_SYNTAX = st.sampled_from(["**", "*", "_", "`", "~~", "<b>", "</b>", "<!-- x -->", "&amp;", "\n", "\n\n", "> ", "- ", "| a |", "[", "](", ")", "#", "<span>", "</span>", "\\", "{: #x }", "<", ">", " "])
_WORDS = st.sampled_from(["公开内容", "第一条", "2025年", "示例县", "通知如下", "附件", "一、", "(一)"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.lists(st.one_of(_SYNTAX, _WORDS), max_size=8),
    inside=st.lists(st.one_of(_SYNTAX, _WORDS), max_size=6),
    after=st.lists(st.one_of(_SYNTAX, _WORDS), max_size=8),
)
def test_a_withheld_span_mixed_with_markup_never_reaches_the_page(before, inside, after):
    """Redaction before Markdown, then Markdown, the sanitiser and the reader's text: the withheld
    span's canary is in none of it, whatever Markdown or HTML syntax surrounds or fills the span."""
    canary = "Zq" + uuid.uuid4().hex[:10]
    middle = inside[: len(inside) // 2] + [canary] + inside[len(inside) // 2 :]
    body = "".join(before) + "【不公开】" + "".join(middle) + "【/不公开】" + "".join(after)
    text, problems = redact(body, "条例第十五条", "a.md", 5)
    if any(p.is_error for p in problems):
        return  # refused: nothing of the item is published
    html = sanitize.clean(markdown.markdown(text, extensions=["tables", "attr_list", "admonition", "toc"]))
    assert canary.lower() not in html.lower()
    assert canary.lower() not in visible.compact(visible.fold(visible.html_text(html)))


# ------------------------------------------------------------------ defence in depth, built


def test_the_output_check_stops_a_build_the_source_checks_let_through(portal, monkeypatch, capfd):
    """With the gate's own scans switched off, the output check alone fails the build and leaves
    no byte of the ID number in the site."""
    from gongkai import cli
    from gongkai.gate import decide as gate

    monkeypatch.setattr(gate.Gate, "_id_numbers", lambda self, item, body: [])
    monkeypatch.setattr(gate.Gate, "_classified", lambda self, item: [])
    portal.item("ok/a.md", "申请人 1101051949<!-- > -->1231002X,另有 机<b>密</b>★ 字样。")
    portal.sign("ok/a.md")
    monkeypatch.chdir(portal.root)
    monkeypatch.setenv("GONGKAI_WORKERS", "1")
    code = cli.main(["build"])
    assert code == 1
    err = capfd.readouterr().err
    assert "content/ok/a.md" in err and "网站上可以看到未遮蔽的居民身份证号 110105********002X" in err and "密级标志" in err
    assert portal.leaks("1231002X") == [] and portal.leaks("19491231") == []
    assert not (portal.site / "manifest.json").exists()


@pytest.mark.parametrize(
    "text",
    ["【" + " " * 200_000, "【/" + " " * 200_000 + "不", "[" * 200_000, "[a](" * 100_000, " ".join("1" * 16 for _ in range(20_000)), "秘密 " * 100_000, "1 " * 200_000],
    ids=["open-bracket-blanks", "slash-blanks", "brackets", "open-links", "digit-groups", "marks-without-star", "digits"],
)
def test_adversarial_text_is_scanned_in_linear_time(text):
    import time

    from gongkai.gate import decide as gate
    from gongkai.gate import scan

    start = time.perf_counter()
    scan.markers(text), scan.id_numbers(text), scan.secrecy_marks(text), gate._near_misses(text, "a.md", 1)
    output_check.check_page("a/index.html", text, None)
    assert time.perf_counter() - start < 5


def test_a_pending_item_with_an_id_number_is_reported_before_anyone_signs(portal):
    portal.item("xzf/a.md", "申请人 1101051949**1231**002X")
    portal.sign("xzf/a.md", stages=["初审"])
    result = portal.run("check")
    assert "content/xzf/a.md:" in result.stdout + result.stderr
    assert "待审信息正文中有未遮蔽的居民身份证号 110105********002X" in result.stdout + result.stderr
    assert portal.build("--strict").returncode == 1


def test_fold_takes_full_width_punctuation_the_short_way_and_still_is_nfkc():
    """fold replaces the characters whose NFKC is their compatibility decomposition alone by a
    regex pass before it normalizes: every BMP character, alone and between others that compose
    or combine with it, folds as NFKC of the text without what renders as nothing."""
    import unicodedata

    invisible = visible._tables()[0]

    def reference(text: str) -> str:
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", invisible.sub("", text))
        return visible._special()[0].sub(visible._replace, invisible.sub("", text))

    checked = 0
    for cp in range(0x20, 0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        char = chr(cp)
        for text in (char, "，" + char + "\u0301", "\u1100" + char + "\u1161", "Ａ" + char + "（１２）"):
            assert visible.fold(text) == reference(text), hex(cp)
            checked += 1
    assert checked > 200_000
    assert visible.fold("关于（二〇二四）第１号，见：附件") == "关于(二〇二四)第1号,见:附件"
