"""A real build with hostile item text: every page parsed, the feed and sitemap parsed as XML, the
catalog's CSV read, and the 目录动态调整 page checked for Git names and subjects."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from gongkai.gate.sanitize import content_id

TITLE = '</title><script>alert("T1")</script> {{ 7*191 }} {% if true %}JINJA{% endif %} ]]> & <b>粗</b>'
SUMMARY = '"><img src=x onerror=alert(2)>'
DOC_NO = "{{ config.site_name }}{% for x in range(3) %}LOOP{% endfor %}"
BODY = """第一段正文。

## 附件一 {: #__search }

<div id="__drawer" class="md-header md-sidebar__scrollwrap" data-md-component="header">x</div>

<p id="gongkai-search" name="__search" onclick="alert(3)">y</p>

## 第二节 {: .md-content #gongkai-search-ui onclick="alert(4)" data-md-component="search" }

<img src=x onerror="alert(5)">

## &lt;img src=x onerror=alert(6)&gt;

## 第四节 {: data-toc-label="<img src=x onerror=alert(7)>" }

正文。
"""
FORMULA = '=HYPERLINK("http://evil.example","点我")'


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("script", "title"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "title":
            self.title += data


def _parse(path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _git(root, *args, name="门户管理员", message=None):
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": f"{name}@example.invalid", "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": f"{name}@example.invalid"}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def test_hostile_item_text_is_escaped_in_every_output(portal):
    import shutil

    from tests.kit import REPO

    shutil.copytree(REPO / "theme", portal.root / "theme", dirs_exist_ok=True)  # a portal's theme: this repository's
    portal.item("xzf/hostile.md", BODY, title=TITLE, summary=SUMMARY, doc_no=DOC_NO)
    portal.sign("xzf/hostile.md")
    portal.item("xzf/plain.md", "## 一\n\n正文。\n\n## 二\n\n正文。", title="普通的通知")
    portal.sign("xzf/plain.md")
    portal.item("xzf/formula.md", title=FORMULA)
    portal.sign("xzf/formula.md")
    # Control and bidirectional characters in front-matter: refused at the source, with the line.
    portal.item("xzf/control.md", title="CANARYCTRL\u0001标题")  # nobody can sign it either
    portal.item("xzf/bidi.md", title="CANARYBIDI\u202e标题")
    # 目录动态调整: a category added in a commit whose author and subject are unreviewed text.
    _git(portal.root, "init", "-q", "-b", "main")
    _git(portal.root, "add", "-A")
    _git(portal.root, "commit", "-qm", "建立门户")
    portal.write_settings(categories=["乡村振兴"])
    _git(portal.root, "commit", "-qam", "CANARYSUBJECT <script>alert(8)</script> @octocat", name="CANARYAUTHOR")

    check = portal.run("check")
    assert check.returncode == 1
    assert "content/xzf/control.md:2:" in check.stdout and "U+0001" in check.stdout
    assert "content/xzf/bidi.md:2:" in check.stdout and "U+202E" in check.stdout
    assert "\u202e" not in check.stdout + check.stderr  # shown as <U+202E>, never reordering the terminal
    result = portal.build()
    assert result.returncode == 0, result.stderr
    for canary in ("CANARYCTRL", "CANARYBIDI", "CANARYSUBJECT", "CANARYAUTHOR", "alert(8)"):
        assert portal.leaks(canary) == [], canary

    site = portal.site
    hostile, plain = site / "xzf/hostile/index.html", site / "xzf/plain/index.html"
    for path in site.rglob("*.html"):
        page = _parse(path)
        text = path.read_text(encoding="utf-8")
        for tag, attrs in page.elements:
            assert not [a for a in attrs if a.startswith("on")], (path, tag, attrs)
            assert not (tag == "img" and "onerror" in str(attrs.get("alt", ""))), path
        assert not any("alert(" in s for s in page.scripts), path
        # Jinja never evaluates item text: 7*191 and the loops are not computed
        assert "1337" not in text and "JINJALOOP" not in text and "LOOPLOOP" not in text, path
        ids = [attrs["id"] for _, attrs in page.elements if "id" in attrs]
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))

    page = _parse(hostile)
    assert page.title == f"{TITLE} - 测试县政府信息公开"
    h1 = hostile.read_text(encoding="utf-8").split("<h1", 1)[1].split("</h1>", 1)[0]
    assert "&lt;/title&gt;&lt;script&gt;" in h1 and "{{ 7*191 }}" in h1
    crumbs = [a.get("aria-current") for _, a in page.elements]
    assert "page" in crumbs
    # The theme's elements are the same on a hostile page as on a plain one: no id, name or
    # data-md-* attribute came from the item (only heading anchors of the toc's shape did).
    def theme_marks(page):
        marks = set()
        for tag, attrs in page.elements:
            for name, value in attrs.items():
                if name == "name" or name.startswith("data-md") or (name == "id" and not content_id(value or "")):
                    marks.add((tag, name, value))
                if name == "class":
                    marks |= {(tag, "class", c) for c in (value or "").split() if c.startswith("md-")}
        return marks

    assert theme_marks(page) == theme_marks(_parse(plain))
    # The toc still links to its headings ("附件一 {: #__search }" slugs to h-__search, not to
    # Material's __search), and to nothing else.
    ids = {attrs["id"] for _, attrs in page.elements if "id" in attrs}
    toc = [attrs["href"][1:] for tag, attrs in page.elements if tag == "a" and "md-nav__link" in (attrs.get("class") or "") and attrs["href"].startswith("#")]
    assert len(toc) == 4 and all(content_id(a) and a in ids for a in toc), (toc, ids)
    assert "h-__search" in toc

    # XML stays well-formed and shows the title as it is.
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(site / "feed.xml").getroot()
    assert TITLE in [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert SUMMARY in [e.findtext("a:summary", namespaces=ns) for e in feed.findall("a:entry", ns)]
    ET.parse(site / "sitemap.xml")

    rows = list(csv.reader(io.StringIO((site / "catalog.csv").read_bytes().decode("utf-8-sig"))))
    titles = [row[1] for row in rows[1:]]
    assert "'" + FORMULA in titles and FORMULA not in titles
    assert [row[rows[0].index("文号")] for row in rows[1:] if row[1] == TITLE] == [DOC_NO]

    # The 目录动态调整 page lists filed (备案) records only: a category added by a commit is not one.
    history = (site / "xxgk/gkml/dtzt/index.html").read_text(encoding="utf-8")
    assert "暂无已备案的调整" in history and "乡村振兴" not in history


def test_an_explicit_theme_id_leaves_neither_the_page_nor_its_table_of_contents(portal):
    """attr_list gives a heading the id the author writes: the sanitiser drops a theme's id, and
    the table of contents (made before sanitising) must not link to the theme's element either."""
    import json

    config = json.loads((portal.root / "mkdocs.yml").read_text(encoding="utf-8"))
    config["markdown_extensions"] = ["attr_list", "toc"]
    (portal.root / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    portal.item("xzf/a.md", "正文。\n\n## 附件一 {: #__search }\n\n内容。\n\n### 小节 {: #__drawer }\n\n## 附件二\n\n内容。")
    portal.sign("xzf/a.md")
    result = portal.build()
    assert result.returncode == 0, result.stderr
    html = (portal.site / "xzf/a/index.html").read_text(encoding="utf-8")
    assert 'href="#__search"' not in html and 'href="#__drawer"' not in html
    assert html.count('id="__search"') == 1  # Material's own search toggle, and no other
    assert "附件二" in html
