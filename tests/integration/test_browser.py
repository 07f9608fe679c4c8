"""The sample portal in a real headless Chromium: pages, search, 适老化, print, accessibility.

The sample portal is built once (tests/browser/sample.py) and served on 127.0.0.1 the way
`python -m http.server` serves it; Chromium is driven over the DevTools protocol on a pipe
(tests/browser/cdp.py). axe-core comes from tests/browser/node_modules (`npm ci` in .ci/run),
never from a CDN. Every page is checked for: no request to another host, no script error, a
visible date, and no axe violation of impact serious or critical. Screenshots are written to
tests/screenshots/ (ignored by Git) so that anyone can look at what a reader sees.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.cdp import Chromium
from tests.browser.sample import AXE, REPO, build_sample, serve
from tests.conftest import IN_CI, require

pytestmark = pytest.mark.browser

SHOTS = REPO / "tests" / "screenshots"

#: name -> path of a page of the sample portal (SPEC §6 paths and one item of each kind).
PAGES = {
    "home": "",
    "xxgk": "xxgk/",
    "item": "fgj/2025/jiage-jiancha-tongzhi/",
    "item-partial": "xzf/2025/haocaiping-zhenggai-tongbao/",  # 部分公开: the notice in place of the withheld text
    "item-repealed": "xzf/2024/linshi-jiuzhu-shixing/",  # 废止
    "catalog": "xxgk/gkml/",
    "catalog-category": "xxgk/gkml/tzgg/",
    "guide": "xxgk/gkzn/",
    "ysqgk": "xxgk/ysqgk/",
    "report": "xxgk/gknb/2025/xzf/",
    "report-aggregate": "xxgk/gknb/2025/huizong/",  # 汇总: the units' reports summed
    "apply-form": "xxgk/ysqgk/sqb/",
    "mandatory": "xxgk/fdzdgk/",
    "rules": "xxgk/gkzd/",
    "standard": "xxgk/bzml/",
    "standard-unit": "xxgk/jyj/bzml/",
    "standard-domain": "xxgk/bzml/ly1/",
    "adjustments": "xxgk/gkml/dtzt/",
}
ITEM_TITLE = "示例县发展和改革局关于开展2025年涉企收费专项检查的通知"
#: Words from the item's body, not its title: one the segmenter keeps whole, one it splits.
SEARCH_WORDS = ("报装", "营商环境")
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    site = build_sample(tmp_path_factory.getbasetemp())
    with serve(site) as base:
        yield site, base


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = require("chromium")
    if not AXE.is_file():
        message = f"axe-core is missing: run `npm ci` in tests/browser ({AXE})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    chromium = Chromium(binary, tmp_path_factory.mktemp("chromium") / "profile")
    try:
        yield chromium
    finally:
        chromium.close()


def open_page(browser: Chromium, url: str) -> None:
    """Loads url, then checks it was served whole, from this host only, without a script error."""
    browser.load(url)
    host = urlsplit(url).netloc
    responses = browser.responses()
    foreign = [r["url"] for r in responses if urlsplit(r["url"]).scheme in ("http", "https", "ws", "wss")
               and urlsplit(r["url"]).netloc != host]
    assert not foreign, f"{url} loaded from another host: {foreign}"
    failed = [f"{r['status']} {r['url']}" for r in responses if r["status"] and r["status"] >= 400]
    assert not failed, f"{url}: {failed}"
    assert not browser.errors(), f"{url}: {browser.errors()}"


def axe_violations(browser: Chromium, context: str = "document") -> list[str]:
    """Returns the serious and critical axe-core violations of the page, one line each."""
    if not browser.evaluate("typeof window.axe === 'object'"):
        browser.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    results = browser.evaluate(
        f"axe.run({context}, {{resultTypes: ['violations']}}).then(r => r.violations.map(v => "
        "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))",
        timeout=60,
    )
    return [f"{v['impact']} {v['id']}: {v['help']} @ {v['nodes']}" for v in results if v["impact"] in BLOCKING]


def shot(browser: Chromium, name: str, full_page: bool = True) -> Path:
    return browser.screenshot(SHOTS / f"{name}.png", full_page=full_page)


# ---------------------------------------------------------------------------- pages


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_offline_dated_and_accessible(portal, browser, name):
    site, base = portal
    path = PAGES[name]
    if not (site / path / "index.html").is_file():
        pytest.fail(f"the sample portal has no page {path}")
    open_page(browser, base + path)
    date = browser.evaluate("(document.querySelector('.gongkai-pageinfo__date') || {}).innerText || ''")
    label = "发布日期" if name.startswith(("item", "report")) else "更新日期"  # a report is an item too
    assert re.fullmatch(label + r"：\d{4}-\d{2}-\d{2}", date.strip()), (name, date)
    assert browser.evaluate("getComputedStyle(document.querySelector('.gongkai-footer')).display") != "none"
    footer = browser.evaluate("document.querySelector('.gongkai-footer').innerText")
    for text in ("主办单位", "示例县人民政府办公室", "网站标识码", "3609990001", "示ICP备00000001号", "公网安备", "0799-1234567", "gkb@example.gov.cn"):
        assert text in footer, (name, text)
    shot(browser, name)
    assert not axe_violations(browser), "\n".join(axe_violations(browser))


def test_item_page_shows_the_metadata_table_and_is_indexed_for_search(portal, browser):
    site, base = portal
    open_page(browser, base + PAGES["item"])
    assert browser.evaluate("document.querySelector('h1').innerText") == ITEM_TITLE
    rows = browser.evaluate("[...document.querySelectorAll('table.gongkai-meta th')].map(th => th.innerText)")
    assert {"索引号", "发布机构", "成文日期", "发布日期", "公开属性"} <= set(rows)
    assert browser.evaluate("document.querySelector('article').hasAttribute('data-pagefind-body')")
    catalog = (site / PAGES["catalog"] / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" not in catalog  # listing pages are not search results


def test_mobile_item_page(portal, browser):
    _, base = portal
    browser.viewport(390, 844, mobile=True)
    try:
        open_page(browser, base + PAGES["item"])
        assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling"
        shot(browser, "item-mobile")
    finally:
        browser.viewport(1280, 900)


@pytest.mark.parametrize("name", ["guide", "ysqgk", "apply-form", "mandatory", "rules", "standard", "standard-unit", "adjustments", "report", "report-aggregate"])
def test_mobile_pages_of_the_catalog_and_guide(portal, browser, name):
    """The 390-pixel phone: the new pages' wide tables scroll inside themselves, never the page."""
    _, base = portal
    browser.viewport(390, 844, mobile=True)
    try:
        open_page(browser, base + PAGES[name])
        assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, "no sideways scrolling")
        shot(browser, f"{name}-mobile")
        found = axe_violations(browser)
        assert not found, "\n".join(found)
    finally:
        browser.viewport(1280, 900)


# ---------------------------------------------------------------------------- search


def test_search_finds_an_item_by_a_chinese_word_of_its_body(portal, browser):
    _, base = portal
    open_page(browser, base)
    # The search opens from the header; the Pagefind UI is loaded from the site on first use.
    assert browser.evaluate("!document.querySelector('#gongkai-search').open")
    assert not browser.evaluate("typeof window.PagefindUI !== 'undefined'")  # lazy: not loaded with the page
    browser.evaluate("document.querySelector('[data-gongkai-search-open]').click(), true")
    browser.wait_for("document.querySelector('#gongkai-search').open && !!document.querySelector('.pagefind-ui__search-input')")
    browser.pump(0.5)
    transfer = {"(opening the search)": _pagefind_transfer(browser, set())}
    for word in SEARCH_WORDS:
        browser.evaluate("(i => { i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); i.focus(); })"
                         "(document.querySelector('.pagefind-ui__search-input')), true")
        browser.wait_for("!document.querySelector('.pagefind-ui__result-link')")
        seen = {r["url"] for r in browser.responses()}
        browser.type(word)
        found = "[...document.querySelectorAll('.pagefind-ui__result-link')].map(a => [a.innerText, a.getAttribute('href')])"
        try:
            browser.wait_for(f"{found}.some(([t, h]) => t === {json.dumps(ITEM_TITLE)} && h === {json.dumps('/' + PAGES['item'])})", timeout=20)
        except TimeoutError:
            pytest.fail(f"searching {word} did not find the item; results: {browser.evaluate(found)}")
        browser.pump(0.5)
        # What this query downloaded (the first one also loads the search engine and its wasm).
        transfer[word] = _pagefind_transfer(browser, seen)
    shot(browser, "search", full_page=False)
    dialog = "document.querySelector('#gongkai-search')"
    assert not axe_violations(browser, dialog), axe_violations(browser, dialog)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "search-transfer.json").write_text(json.dumps(transfer, ensure_ascii=False, indent=1), encoding="utf-8")
    assert not browser.errors(), browser.errors()
    # Esc closes the dialog and gives the focus back to the search button.
    browser.key("Escape", "Escape")
    browser.wait_for("!document.querySelector('#gongkai-search').open")
    # The focus goes back in the dialog's "close" event, which the browser fires after `open` is false.
    browser.wait_for("document.activeElement.hasAttribute('data-gongkai-search-open')", timeout=5)


def _pagefind_transfer(browser: Chromium, seen: set[str]) -> dict:
    """Returns requests, bytes and file names of the search bundle files loaded and not in seen."""
    fetched = [r for r in browser.responses() if "/pagefind/" in r["url"] and r["url"] not in seen]
    return {"requests": len(fetched), "bytes": sum(r["bytes"] for r in fetched),
            "files": sorted(urlsplit(r["url"]).path.split("/pagefind/", 1)[1] for r in fetched)}


def test_a_link_with_q_opens_the_search_with_its_results(portal, browser):
    _, base = portal
    open_page(browser, base + "xxgk/?q=" + SEARCH_WORDS[0])
    # Pagefind's UI fills its results in as the fragments arrive: wait for the item, not for any result.
    titles = "[...document.querySelectorAll('.pagefind-ui__result-link')].map(a => a.innerText).join('|')"
    try:
        browser.wait_for(f"({titles}).includes({ITEM_TITLE!r})", timeout=30)
    except TimeoutError:
        pytest.fail(f"the results never showed {ITEM_TITLE}: {browser.evaluate(titles)}")


# ---------------------------------------------------------------------------- 适老化 and print


def test_font_size_and_high_contrast_work_from_the_keyboard_and_persist(portal, browser):
    _, base = portal
    url = base + PAGES["item"]
    open_page(browser, url)
    browser.evaluate("localStorage.clear(), true")
    open_page(browser, url)
    # Tab from the top of the page to the 大 button, then press Enter: no mouse needed.
    browser.evaluate("document.activeElement && document.activeElement.blur(), true")
    for _ in range(10):
        browser.key("Tab", "Tab")
        if browser.evaluate("document.activeElement.getAttribute('data-gongkai-size')") == "l":
            break
    else:
        pytest.fail("the 大 button cannot be reached with Tab")
    before = browser.evaluate("parseFloat(getComputedStyle(document.querySelector('article p')).fontSize)")
    browser.key("Enter", "Enter", "\r")
    assert browser.evaluate("document.documentElement.getAttribute('data-gongkai-size')") == "l"
    assert browser.evaluate("document.querySelector('button[data-gongkai-size=l]').getAttribute('aria-pressed')") == "true"
    after = browser.evaluate("parseFloat(getComputedStyle(document.querySelector('article p')).fontSize)")
    assert after > before * 1.15, (before, after)
    browser.evaluate("document.querySelector('button[data-gongkai-contrast]').focus(), true")
    browser.key(" ", "Space", " ")
    assert browser.evaluate("document.documentElement.getAttribute('data-gongkai-contrast')") == "high"
    assert browser.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    # Both choices survive a reload (localStorage), applied before the first paint.
    open_page(browser, url)
    assert browser.evaluate("document.documentElement.getAttribute('data-gongkai-size')") == "l"
    assert browser.evaluate("document.documentElement.getAttribute('data-gongkai-contrast')") == "high"
    assert browser.evaluate("document.querySelector('button[data-gongkai-contrast]').getAttribute('aria-pressed')") == "true"
    shot(browser, "item-large-high-contrast")
    assert not axe_violations(browser), axe_violations(browser)
    browser.evaluate("localStorage.clear(), true")


def test_print_of_an_item_hides_the_chrome_and_shows_metadata_and_address(portal, browser):
    _, base = portal
    url = base + PAGES["item"]
    open_page(browser, url)
    browser.call("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        display = "(s => getComputedStyle(document.querySelector(s)).display)"
        for chrome in (".gongkai-header", ".gongkai-footer", ".gongkai-crumbs", ".gongkai-pageinfo__print"):
            assert browser.evaluate(f"{display}('{chrome}')") == "none", chrome
        assert browser.evaluate(f"{display}('table.gongkai-meta')") == "table"
        assert browser.evaluate(f"{display}('.gongkai-print-url')") == "block"
        address = browser.evaluate("document.querySelector('.gongkai-print-url').innerText")
        assert address.startswith("本页地址：") and "/fgj/2025/jiage-jiancha-tongzhi/" in address
        shot(browser, "item-print")
    finally:
        browser.call("Emulation.setEmulatedMedia", {"media": ""})


def test_not_found_page_is_chinese_and_links_home(portal, browser):
    _, base = portal
    open_page(browser, base + "404.html")
    assert "页面不存在" in browser.evaluate("document.querySelector('h1').innerText")
    assert not axe_violations(browser), axe_violations(browser)
