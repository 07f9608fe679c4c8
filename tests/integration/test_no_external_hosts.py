"""Nothing a built page loads comes from another host; the Pagefind search bundle is in the site.

A government page must not make a reader's browser contact a CDN, a font service or an analytics
host. Every resource reference of the built sample portal is read from the bytes on disk: `src`,
`srcset`, `poster` and `data` attributes of any element, the `href` of a <link> that loads something
(stylesheet, script preload, icon, manifest…), `url()` and `@import` in CSS files, <style> blocks
and style attributes. Relative URLs, same-site absolute paths and data: URIs pass; an <a href> to
another site is a hyperlink the reader chooses to follow, so it passes too.
"""
from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.sample import build_sample

#: <link rel=…> values whose href the browser fetches (or connects to) by itself.
LOADING_RELS = {
    "stylesheet", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch", "prerender",
    "icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon", "manifest",
}
RESOURCE_ATTRS = {"src", "poster", "data", "background", "lowsrc", "dynsrc", "xlink:href"}
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)

#: A word from the body (not the title) of content/fgj/2025/jiage-jiancha-tongzhi.md, kept whole by the segmenter.
BODY_WORD = "报装"
BODY_WORD_PAGE = "/fgj/2025/jiage-jiancha-tongzhi/"


def is_external(url: str) -> bool:
    """True when loading url would contact a host other than the one serving the page."""
    url = url.strip().replace("\\", "/")
    if not url or url.startswith("#"):
        return False
    if url.startswith("//"):
        return True
    scheme = urlsplit(url).scheme.lower()
    return scheme not in ("", "data", "blob", "about")


def css_urls(css: str) -> list[str]:
    """Returns every URL a stylesheet makes the browser load: url(…) values and @import targets."""
    found = [next(g for g in m.groups() if g is not None) for m in CSS_URL.finditer(css)]
    found += [m.group(1) or m.group(2) for m in CSS_IMPORT.finditer(css)]
    return found


class _Resources(HTMLParser):
    """Collects (where, url) of every reference in an HTML page that the browser loads by itself."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        values = {name.lower(): (value or "") for name, value in attrs}
        for name, value in values.items():
            if name in RESOURCE_ATTRS:
                self.found.append((f"<{tag} {name}>", value))
            elif name in ("srcset", "imagesrcset"):
                for candidate in value.split(","):
                    if candidate.strip():
                        self.found.append((f"<{tag} {name}>", candidate.split()[0]))
            elif name == "style":
                self.found += [(f"<{tag} style>", url) for url in css_urls(value)]
        if tag == "link":
            rels = set(values.get("rel", "").lower().split())
            if rels & LOADING_RELS or values.get("as"):
                self.found.append((f"<link rel={values.get('rel')}>", values.get("href", "")))
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.found.append(("<meta refresh>", values.get("content", "").partition("url=")[2]))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += [("<style>", url) for url in css_urls(data)]


def external_references(path: Path) -> list[str]:
    """Returns `where: url` for every reference to another host in an HTML or CSS file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".css":
        refs = [("url()", url) for url in css_urls(text)]
    else:
        parser = _Resources()
        parser.feed(text)
        parser.close()
        refs = parser.found
    return [f"{where}: {url}" for where, url in refs if is_external(url)]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_sample(tmp_path_factory.getbasetemp())


# ---------------------------------------------------------------------------- the scanner itself


def test_the_scanner_flags_every_kind_of_foreign_load_and_nothing_else(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        """<!doctype html><html><head>
        <link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>
        <link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
        <link rel="icon" href="//cdn.example.com/favicon.png">
        <link rel="canonical" href="https://www.example.gov.cn/x/">
        <link rel="stylesheet" href="../assets/main.css">
        <script src="https://www.googletagmanager.com/gtag/js"></script>
        <script src="/assets/bundle.js"></script>
        <style>body{background:url('https://img.example.com/bg.png')} .a{background:url(data:image/png;base64,AAAA)}</style>
        </head><body>
        <img src="https://img.example.com/a.png" alt=""><img src="a.png" alt="">
        <img srcset="small.png 1x, HTTPS://img.example.com/big.png 2x" alt="">
        <iframe src="https://map.example.com/embed"></iframe>
        <div style="background-image:url(&quot;//x.example.com/p.png&quot;)"></div>
        <a href="https://beian.miit.gov.cn/">ICP</a><a href="mailto:gkb@example.gov.cn">mail</a>
        </body></html>""",
        encoding="utf-8",
    )
    css = tmp_path / "x.css"
    css.write_text('@import "https://cdn.example.com/x.css"; .b{background:url("../img/b.svg")} '
                   ".c{mask:url(\"data:image/svg+xml;charset=utf-8,<svg xmlns='http://www.w3.org/2000/svg'/>\")} "
                   "@font-face{src:url(https://fonts.example.com/f.woff2)}", encoding="utf-8")
    found = external_references(page)
    assert len(found) == 9, found
    assert not any("beian" in f or "mailto" in f or "canonical" in f or "data:" in f for f in found)
    assert sorted(external_references(css)) == ["url(): https://cdn.example.com/x.css", "url(): https://fonts.example.com/f.woff2"]


# ---------------------------------------------------------------------------- the sample portal


def test_no_built_page_or_stylesheet_loads_anything_from_another_host(site):
    files = [p for p in site.rglob("*") if p.suffix in (".html", ".css") and p.is_file()]
    assert len([p for p in files if p.suffix == ".html"]) >= 20
    assert any(p.name == "pagefind-ui.css" for p in files), "the Pagefind UI stylesheet is scanned too"
    problems = [f"{p.relative_to(site)}: {ref}" for p in files for ref in external_references(p)]
    assert not problems, "\n".join(problems)


def test_every_page_gets_the_theme_and_the_search_from_the_site_itself(site):
    for rel in ("index.html", "fgj/2025/jiage-jiancha-tongzhi/index.html", "404.html"):
        html = (site / rel).read_text(encoding="utf-8")
        assert "assets/gongkai/gongkai.css" in html and "assets/gongkai/gongkai.js" in html, rel
        assert 'id="gongkai-search"' in html and "data-gongkai-search-open" in html, rel
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, rel
    assert (site / "assets" / "gongkai" / "gongkai.css").is_file()
    assert (site / "assets" / "gongkai" / "gongkai.js").is_file()


def test_the_pagefind_bundle_is_written_into_the_site(site):
    bundle = site / "pagefind"
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"):
        assert (bundle / name).is_file(), name
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == ["zh"], entry  # one Chinese index, segmented as Chinese


def _decoded(paths) -> dict[Path, bytes]:
    # Pagefind's index and fragment files are gzip streams ("pagefind_dcd" + CBOR or JSON).
    return {p: gzip.decompress(p.read_bytes()) for p in paths}


def test_a_word_of_an_item_body_is_in_the_search_index_and_listing_pages_are_not(site):
    bundle = site / "pagefind"
    fragments = _decoded((bundle / "fragment").glob("*.pf_fragment"))
    pages = {}
    for data in fragments.values():
        fragment = json.loads(data[data.index(b"{"):].decode("utf-8"))
        # Pagefind marks its word boundaries with zero-width spaces.
        fragment["content"] = fragment["content"].replace("\u200b", "")
        pages[fragment["url"]] = fragment
    assert BODY_WORD_PAGE in pages, sorted(pages)
    assert BODY_WORD in pages[BODY_WORD_PAGE]["content"]
    # The word is a key of the word index: Chinese is segmented, so it can be searched alone.
    chunks = _decoded((bundle / "index").glob("*.pf_index"))
    assert any(BODY_WORD.encode("utf-8") in data for data in chunks.values())
    # Only content is indexed: no catalog listing, home or 信息公开 index page is a search result.
    assert not [url for url in pages if url == "/" or url.startswith("/xxgk/gkml/") or url.rstrip("/") == "/xxgk"], sorted(pages)
    assert any(url.startswith("/xxgk/gkzn/") for url in pages), "the guide is searchable"
    # The page chrome (banner, navigation, footer) is not part of any page's text.
    assert "网站标识码" not in pages[BODY_WORD_PAGE]["content"]
    assert "站内搜索" not in pages[BODY_WORD_PAGE]["content"]
