"""Accessibility past what axe-core finds, in a real Chromium over the sample portal.

A manual audit's findings, each made a test: the report tables' header associations as a screen
reader reads them, keyboard-reachable scroll regions with a visible cue, a focus ring of 3:1 on
every background, search results and filter changes announced, the pressed and current states
under forced colours (Windows 高对比度), chart bars in the portal's 高对比度, a skip link on every
page, and no sideways scroll from 320 to 390 pixels at 200 % text size. Screenshots go to
tests/screenshots/ as in test_browser.py, whose fixtures and helpers this module shares.
"""
from __future__ import annotations

import pytest

from tests.integration import test_browser as shared
from tests.integration.test_browser import PAGES, SEARCH_WORDS, open_page, shot

# The fixtures of test_browser.py: the sample portal (built once per process) and a Chromium.
portal = shared.portal
browser = shared.browser

pytestmark = pytest.mark.browser

#: WCAG relative luminance and contrast ratio of two CSS colours (rgb()/rgba() strings).
CONTRAST_JS = """
window.gkLum = function (css) {
  var m = css.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
  var p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
  if (p.length > 3 && p[3] === 0) return null;
  var c = p.slice(0, 3).map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
};
window.gkContrast = function (a, b) {
  var x = gkLum(a), y = gkLum(b); if (x === null || y === null) return 0;
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
};
window.gkBackground = function (el) {
  for (; el; el = el.parentElement) {
    var bg = getComputedStyle(el).backgroundColor;
    if (gkLum(bg) !== null) return bg;
  }
  return "rgb(255, 255, 255)";
};
true
"""


def _key(browser, key: str, code: str, vk: int, text: str = "") -> None:
    for kind in ("keyDown", "keyUp"):
        params = {"type": kind, "key": key, "code": code, "windowsVirtualKeyCode": vk}
        if text and kind == "keyDown":
            params["text"] = text
        browser.call("Input.dispatchKeyEvent", params)


# ---------------------------------------------------------------------------- report tables

#: What a screen reader reads for one figure of each table of the sample's 2025 report of 县政府办公室
#: (content/xzf/2026/gknb-2025.md): the labels its `headers` name, then the figure.
SPOKEN = (
    "行政复议 · 结果维持 · 1",
    "行政诉讼 · 复议后起诉 · 总计 · 0",
    "申请人情况 · 自然人 · 一、本年新收政府信息公开申请数量 · 18",
    "申请人情况 · 法人或其他组织 · 商业企业 · 一、本年新收政府信息公开申请数量 · 5",
    "申请人情况 · 自然人 · 三、本年度办理结果 · （一）予以公开 · 10",
)

READ_HEADERS = """
[...document.querySelectorAll('table.gk-report-table')].map(table => ({
  css: table.className,
  cells: [...table.querySelectorAll('td')].map(td => {
    const ids = (td.getAttribute('headers') || '').split(/\\s+/).filter(Boolean);
    const found = ids.map(id => table.querySelector('th[id="' + id + '"]'));
    return {ids: ids.length, missing: found.filter(th => !th).length,
            spoken: found.filter(Boolean).map(th => th.innerText.trim()).concat([td.innerText.trim()]).join(' · ')};
  }),
}))
"""


@pytest.mark.parametrize("name", ["report", "report-aggregate"])
def test_every_figure_of_the_report_tables_names_its_headers(portal, browser, name):
    _, base = portal
    open_page(browser, base + PAGES[name])
    tables = browser.evaluate(READ_HEADERS)
    assert [t["css"].split()[-1] for t in tables] == ["gk-report-t2", "gk-report-t3", "gk-report-t4"]
    for table in tables:
        assert table["cells"], table["css"]
        for cell in table["cells"]:
            # a row label or a column label at least, every id a <th> of the same table
            assert cell["ids"] >= 2 and not cell["missing"], (table["css"], cell)
    spoken = {cell["spoken"] for table in tables for cell in table["cells"]}
    if name == "report":
        for line in SPOKEN:
            assert line in spoken, (line, sorted(spoken)[:20])
        # table 二: each block's own headings (第二十条第（一）项 …), never another block's
        t2 = [cell["spoken"] for cell in tables[0]["cells"]]
        assert t2[0].startswith("第二十条第（一）项 · ") and all(s.count("第二十条") == 1 for s in t2), t2
    # the scroll regions around the tables are named after them
    labels = browser.evaluate("[...document.querySelectorAll('.gk-report-table-wrap')].map(d => [d.getAttribute('role'), d.getAttribute('tabindex'), d.getAttribute('aria-label')])")
    assert labels and all(role == "region" and tab == "0" and label.endswith("（可左右滚动）") for role, tab, label in labels), labels


# ---------------------------------------------------------------------------- scroll regions


#: An item whose editor wrote a wide Markdown table (Material wraps it; the theme makes it a region).
MARKDOWN_TABLE = "xzf/2025/bumen-yusuan-2025/"


@pytest.mark.parametrize("name", ["ysqgk", "report", "catalog-category", "adjustments", "markdown-table"])
def test_a_wide_table_scrolls_by_keyboard_with_a_visible_cue(portal, browser, name):
    _, base = portal
    browser.viewport(320 if name == "markdown-table" else 390, 844, mobile=True)
    try:
        open_page(browser, base + PAGES.get(name, MARKDOWN_TABLE))
        browser.pump(0.3)
        regions = browser.evaluate("[...document.querySelectorAll('.gongkai-scroll, .md-typeset__scrollwrap')].map(d => [d.tabIndex, d.getAttribute('role'), !!d.getAttribute('aria-label'), d.scrollWidth > d.clientWidth + 1])")
        assert regions and all(t == 0 and r == "region" and named for t, r, named, _ in regions), regions
        assert any(wide for *_, wide in regions), f"{name}: no table is wider than the phone"
        # the cue: a line above each region that scrolls, none above one that does not
        cues = browser.evaluate("[...document.querySelectorAll('.gongkai-scroll, .md-typeset__scrollwrap')].map(d => [d.scrollWidth > d.clientWidth + 1, getComputedStyle(d, '::before').content])")
        for wide, content in cues:
            assert ("可左右滑动" in content) == wide, cues
        # Tab from the top reaches the first wide region; the arrow key then scrolls it
        browser.evaluate("window.scrollTo(0, 0), document.activeElement && document.activeElement.blur(), true")
        for _ in range(120):
            _key(browser, "Tab", "Tab", 9)
            if browser.evaluate("(a => a.matches('.gongkai-scroll, .md-typeset__scrollwrap') && a.scrollWidth > a.clientWidth + 1)(document.activeElement)"):
                break
        else:
            pytest.fail(f"{name}: Tab never reaches a wide table")
        before = browser.evaluate("document.activeElement.scrollLeft")
        for _ in range(3):
            _key(browser, "ArrowRight", "ArrowRight", 39)
        browser.pump(0.4)
        assert browser.evaluate("document.activeElement.scrollLeft") > before
        assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(browser, f"{name}-scroll-region-mobile", full_page=False)
    finally:
        browser.viewport(1280, 900)


# ---------------------------------------------------------------------------- focus ring

#: (where, selector of a focusable element there)
FOCUSABLE = (
    ("skip link", "a.gongkai-skip"),
    ("toolbar (white)", "button[data-gongkai-size=l]"),
    ("banner (red)", "a.gongkai-brand"),
    ("banner (red)", "button[data-gongkai-search-open]"),
    ("nav bar (dark red)", ".gongkai-nav__link"),
    ("breadcrumbs", ".gongkai-crumbs a"),
    ("page (white)", "article a[href]"),
    ("page (white)", ".gongkai-scroll"),
    ("footer (dark)", ".gongkai-footer a"),
)


@pytest.mark.parametrize("contrast", ["default", "high"])
def test_the_focus_ring_stands_out_3_to_1_on_every_background(portal, browser, contrast):
    _, base = portal
    open_page(browser, base + PAGES["catalog-category"])
    store = "localStorage.setItem('gongkai.contrast', 'high')," if contrast == "high" else ""
    browser.evaluate(f"localStorage.clear(), {store} true")
    open_page(browser, base + PAGES["catalog-category"])
    browser.evaluate(CONTRAST_JS)
    _key(browser, "Tab", "Tab", 9)  # from now on the focus is the keyboard's: :focus-visible
    weak = []
    for where, selector in FOCUSABLE:
        found = browser.evaluate(f"""(el => {{
          if (!el) return null;
          el.focus();
          const s = getComputedStyle(el), bg = gkBackground(el.parentElement);
          const shadow = (s.boxShadow.match(/rgba?\\([^)]+\\)/) || [''])[0];
          return {{visible: el.matches(':focus-visible'), style: s.outlineStyle, width: parseFloat(s.outlineWidth),
                   bg, outline: gkContrast(s.outlineColor, bg), shadow: gkContrast(shadow, bg)}};
        }})(document.querySelector({selector!r}))""")
        assert found, f"no {selector} on the catalog page"
        assert found["visible"] and found["style"] != "none" and found["width"] >= 2, (where, found)
        if max(found["outline"], found["shadow"]) < 3:
            weak.append((where, selector, found))
    assert not weak, weak
    browser.evaluate("document.querySelector('.gongkai-nav__link').focus(), true")
    shot(browser, f"focus-ring-{contrast}", full_page=False)
    browser.evaluate("localStorage.clear(), true")


# ---------------------------------------------------------------------------- live region


def test_search_results_and_filter_changes_are_announced(portal, browser):
    _, base = portal
    open_page(browser, base)
    live = "document.querySelector('[data-gongkai-search-live]')"
    assert browser.evaluate(f"{live}.getAttribute('aria-live')") == "polite"
    browser.evaluate("document.querySelector('[data-gongkai-search-open]').click(), true")
    browser.wait_for("!!document.querySelector('.pagefind-ui__search-input')")
    browser.evaluate("document.querySelector('.pagefind-ui__search-input').focus(), true")
    browser.type(SEARCH_WORDS[1])
    said = browser.wait_for(f"(t => /^找到 \\d+ 条/.test(t) && t)({live}.textContent)", timeout=20)
    assert SEARCH_WORDS[1] in said
    # A filter (发布机构, 类别): its change is said, with the filter chosen.
    browser.wait_for("document.querySelectorAll('.pagefind-ui__filter-checkbox').length > 0", timeout=10)
    browser.evaluate("document.querySelectorAll('details.pagefind-ui__filter-panel, details.pagefind-ui__filter-block').forEach(d => d.open = true), true")
    chosen = browser.evaluate("(b => { b.click(); return document.querySelector(\"label[for='\" + b.id + \"']\").textContent.replace(/\\s*\\(\\d+\\)\\s*$/, '').trim(); })(document.querySelector('.pagefind-ui__filter-checkbox'))")
    after = browser.wait_for(f"(t => t.includes('已筛选') && t)({live}.textContent)", timeout=20)
    assert chosen in after, (chosen, after)
    shot(browser, "search-filter-announced", full_page=False)
    browser.key("Escape", "Escape")


# ---------------------------------------------------------------------------- forced colours, 高对比度


def test_pressed_switches_and_the_current_nav_item_show_under_forced_colours(portal, browser):
    _, base = portal
    open_page(browser, base + PAGES["catalog-category"])
    browser.call("Emulation.setEmulatedMedia", {"features": [{"name": "forced-colors", "value": "active"}]})
    try:
        browser.pump(0.3)
        assert browser.evaluate("matchMedia('(forced-colors: active)').matches")
        look = ("(el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color, s.textDecorationLine, "
                "getComputedStyle(el, '::before').content]; })")
        pressed = browser.evaluate(f"{look}(document.querySelector('button[aria-pressed=true]'))")
        plain = browser.evaluate(f"{look}(document.querySelector('button[aria-pressed=false]'))")
        assert pressed[0] != plain[0] and "underline" in pressed[2] and "underline" not in plain[2], (pressed, plain)
        current = browser.evaluate(f"{look}(document.querySelector('.gongkai-nav__link[aria-current=page]'))")
        other = browser.evaluate(f"{look}(document.querySelector('.gongkai-nav__link:not([aria-current])'))")
        assert "underline" in current[2] and "▶" in current[3], current
        assert "underline" not in other[2] and "▶" not in other[3], other
        shot(browser, "forced-colours", full_page=False)
        open_page(browser, base + PAGES["report"])
        browser.evaluate(CONTRAST_JS)
        bars = browser.evaluate("[...document.querySelectorAll('.gk-chart-bar')].map(r => gkContrast(getComputedStyle(r).fill, gkBackground(r.closest('figure'))))")
        assert bars and min(bars) >= 3, bars
    finally:
        browser.call("Emulation.setEmulatedMedia", {"features": []})


def test_chart_bars_are_visible_in_high_contrast(portal, browser):
    _, base = portal
    url = base + PAGES["report"]
    open_page(browser, url)
    browser.evaluate("localStorage.setItem('gongkai.contrast', 'high'), true")
    try:
        open_page(browser, url)
        browser.evaluate(CONTRAST_JS)
        bars = browser.evaluate("[...document.querySelectorAll('.gk-chart-bar')].map(r => gkContrast(getComputedStyle(r).fill, gkBackground(r.closest('figure'))))")
        assert bars and min(bars) >= 3, bars
        labels = browser.evaluate("[...document.querySelectorAll('.gk-chart-label, .gk-chart-value')].map(t => gkContrast(getComputedStyle(t).fill, gkBackground(t.closest('figure'))))")
        assert labels and min(labels) >= 4.5, labels
        browser.evaluate("document.querySelector('.gk-report-chart').scrollIntoView(), true")
        shot(browser, "report-chart-high-contrast", full_page=False)
    finally:
        browser.evaluate("localStorage.clear(), true")


# ---------------------------------------------------------------------------- skip link


@pytest.mark.parametrize("name", [*PAGES, "404"])
def test_every_page_starts_with_a_skip_link_that_says_where_it_goes(portal, browser, name):
    _, base = portal
    open_page(browser, base + ("404.html" if name == "404" else PAGES[name]))
    browser.evaluate("document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0), true")
    _key(browser, "Tab", "Tab", 9)
    link = browser.evaluate("(a => a && [a.className, a.innerText, a.getAttribute('href'), a.getBoundingClientRect().top >= 0 && a.getBoundingClientRect().height > 0])(document.activeElement)")
    assert link and "gongkai-skip" in link[0].split() and link[2] == "#gongkai-main", link
    assert link[1].startswith("跳到正文内容（") and link[3], link  # says where, and is seen when focused
    where = link[1][len("跳到正文内容（"):-1].rstrip("…")
    title = browser.evaluate("document.querySelector('h1').innerText")
    assert where == "首页" if name == "home" else where in title, (link[1], title)
    _key(browser, "Enter", "Enter", 13, "\r")
    browser.pump(0.2)
    assert browser.evaluate("document.activeElement.id") == "gongkai-main"


# ---------------------------------------------------------------------------- narrow screens

REFLOW_JS = """
(width => {
  const wide = [];
  document.querySelectorAll('body *').forEach(el => {
    if (el.closest('.gongkai-scroll, .md-sidebar, dialog, .gongkai-sr-only, .gk-report-caption, .gongkai-skip')) return;
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1) wide.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(r.right));
  });
  return {fits: document.documentElement.scrollWidth <= width + 1 && !wide.length, wide: wide.slice(0, 5),
          inner: window.innerWidth};
})
"""


@pytest.mark.parametrize("width", [320, 390])
def test_no_page_scrolls_sideways_from_320_to_390_pixels_at_200_percent_text(portal, browser, width):
    _, base = portal
    browser.viewport(width, 800, mobile=True)
    failures = []
    try:
        for name, path in PAGES.items():
            open_page(browser, base + path)
            for zoom in (1, 2):
                if zoom == 2:  # the reader's text size at 200 %: every rem doubles
                    browser.evaluate("(h => h.style.fontSize = (parseFloat(getComputedStyle(h).fontSize) * 2) + 'px')(document.documentElement), true")
                    browser.pump(0.1)
                found = browser.evaluate(f"({REFLOW_JS})({width})")
                if not found["fits"]:
                    failures.append((name, f"{zoom * 100}%", found["wide"]))
            if name in ("item", "report", "catalog-category"):
                shot(browser, f"{name}-{width}px-200pct", full_page=False)
    finally:
        browser.viewport(1280, 900)
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_index_number_and_document_number_stay_whole_at_normal_text_size(portal, browser, width):
    """索引号 and 文号 wrap only at their own separator (after "/", before "〔"), never inside a part."""
    _, base = portal
    browser.viewport(width, 800, mobile=width < 1000)
    try:
        open_page(browser, base + PAGES["item-repealed"])
        parts = browser.evaluate("[...document.querySelectorAll('table.gongkai-meta .gongkai-nobreak')].map(s => [s.innerText, Math.round(s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight))])")
        assert {text for text, _ in parts} >= {"11369999MB0000001A/", "2024-00001", "示府办发", "〔2024〕7号"}, parts
        assert all(lines == 1 for _, lines in parts), parts
    finally:
        browser.viewport(1280, 900)


# ---------------------------------------------------------------------------- search ranking


def test_a_repealed_document_ranks_below_the_valid_one_and_says_so(portal, browser):
    """临时救助: the 2024 试行 measures (废止) and the 2025 measures that replaced them."""
    _, base = portal
    open_page(browser, base + "?q=" + "临时救助实施办法")
    found = "[...document.querySelectorAll('.pagefind-ui__result-link')].map(a => [a.innerText, a.getAttribute('href')])"
    results = browser.wait_for(f"(r => r.length >= 2 && r.some(([, h]) => h.includes('linshi-jiuzhu-shixing')) && r)({found})", timeout=20)
    hrefs = [h for _, h in results]
    valid = hrefs.index("/xzf/2025/linshi-jiuzhu-banfa/")
    repealed = hrefs.index("/xzf/2024/linshi-jiuzhu-shixing/")
    assert valid < repealed, results
    assert results[repealed][0].endswith("（已废止）") and not results[valid][0].endswith("）"), results
    shot(browser, "search-repealed-below", full_page=False)
