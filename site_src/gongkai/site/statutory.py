"""Pages the 条例 and the inspection rules ask for beside the catalog: the 法定主动公开内容 (条例第二十条
item by item, and the portal's categories holding each), the 政府信息公开制度 (how this portal
reviews, checks and publishes) and the 政府信息公开申请表 (a printable page and a workbook)."""
from __future__ import annotations

import io
from collections import Counter
from datetime import date
from html import escape
from typing import Callable, Sequence

from gongkai.escaping import put_cell, scroll_region
from gongkai.law import layout, regulation
from gongkai.law.layout import href
from gongkai.law.taxonomy import categories
from gongkai.model import THREE_REVIEWS, Settings
from gongkai.report.xlsx import FIXED_TIME, reproducible
from gongkai.site.catalog import Entry, GeneratedPage, front_matter, page_src

FORM_TITLE = "政府信息公开申请表"
#: The application form: (section, field, what to write). 条例第二十九条: who applies and how to reach
#: them, which information (名称、文号或者其他特征性描述), in which form and by which way.
FORM_ROWS: tuple[tuple[str, str, str], ...] = (
    ("申请人（公民）", "姓名", ""),
    ("申请人（公民）", "证件名称", "身份证、护照等"),
    ("申请人（公民）", "证件号码", ""),
    ("申请人（公民）", "工作单位", ""),
    ("申请人（法人或者其他组织）", "名称", ""),
    ("申请人（法人或者其他组织）", "统一社会信用代码", ""),
    ("申请人（法人或者其他组织）", "法定代表人或者负责人", ""),
    ("申请人（法人或者其他组织）", "联系人姓名", ""),
    ("联系方式", "联系电话", ""),
    ("联系方式", "通信地址", ""),
    ("联系方式", "邮政编码", ""),
    ("联系方式", "电子邮箱", ""),
    ("所需政府信息", "名称", ""),
    ("所需政府信息", "文号", "有文号的请填写"),
    ("所需政府信息", "其他特征性描述", "便于行政机关查询的其他特征性描述，如形成时间、发布机关、内容要点"),
    ("信息的形式要求", "提供信息的形式", "□纸质文本　□电子邮件　□光盘　□其他"),
    ("信息的形式要求", "获取信息的方式", "□邮寄　□快递　□电子邮件　□传真　□当面领取　□现场查阅"),
    ("申请人确认", "申请人签名或者盖章", ""),
    ("申请人确认", "申请日期", "　　年　　月　　日"),
)
FORM_NOTE = (
    "填写说明：公民填写“申请人（公民）”，法人或者其他组织填写“申请人（法人或者其他组织）”，并附身份证明复印件。"
    "申请表可以当面提交，或者以信件、传真、电子邮件方式提交给政府信息公开工作机构；"
    "书面申请确有困难的，可以口头提出，由政府信息公开工作机构代为填写（《中华人民共和国政府信息公开条例》第二十九条）。"
)


def mandatory_page(entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date) -> GeneratedPage:
    """Returns the 法定主动公开内容 page: each item of 条例第二十条 with the categories holding it."""
    src = layout.index_src(layout.MANDATORY)
    here = url_of(src)
    counts = Counter(e.item.category for e in entries if not e.on_demand)
    cats = categories(settings.categories)
    rows = []
    for number, text in enumerate(regulation.ARTICLE_20, start=1):
        cited = regulation.article_20_item(number)
        held = [c for c in cats if c.article == cited]
        links = "、".join(
            f'<a href="{href(here, url_of(page_src(layout.category_folder(c.slug), 1)))}">{escape(c.id)}</a>（{counts[c.id]}条）' for c in held
        ) or "—"
        rows.append(f'<tr><th scope="row">（{regulation.NUMERALS[number - 1]}）</th><td>{escape(text)}</td><td>{links}</td></tr>')
    others = [c for c in cats if not c.article.startswith("第二十条")]
    other_links = "、".join(f'<a href="{href(here, url_of(page_src(layout.category_folder(c.slug), 1)))}">{escape(c.id)}</a>' for c in others)
    title = "法定主动公开内容"
    parts = [
        front_matter(title, layout.KIND_GUIDE, day),
        f"# {title}\n\n",
        f"<p>{escape(regulation.TITLE)}第二十条规定：{escape(regulation.ARTICLE_20_LEAD)}下表逐项列出该条规定的内容和本网站发布这些内容的栏目。</p>\n\n",
        scroll_region(
            '<table class="gongkai-mandatory">\n<caption>条例第二十条规定主动公开的政府信息</caption>\n'
            '<thead><tr><th scope="col">项</th><th scope="col">法定内容</th><th scope="col">本网站栏目</th></tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table>\n",
            "条例第二十条规定主动公开的政府信息",
        ) + "\n",
        f"<p>此外，本网站还在下列栏目主动公开其他政府信息：{other_links}。各栏目的信息见"
        f'<a href="{href(here, url_of(layout.index_src(layout.CATALOG)))}">政府信息公开目录</a>，各单位的公开事项见'
        f'<a href="{href(here, url_of(layout.index_src(layout.STANDARD)))}">政务公开事项标准目录</a>。</p>\n',
    ]
    return GeneratedPage(src, "".join(parts))


def rules_page(entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date) -> GeneratedPage:
    """Returns the 政府信息公开制度 page: the review each category goes through before publication,
    the secrecy review, the time limits and the catalog's adjustment, as this portal applies them;
    then the published documents of a category named 政府信息公开制度, when the portal has one."""
    src = layout.index_src(layout.RULES)
    here = url_of(src)

    def link(folder: str, text: str) -> str:
        return f'<a href="{href(here, url_of(layout.index_src(folder)))}">{text}</a>'

    default = "、".join(settings.review_default)
    special = "".join(
        f"<li>{escape(category)}：{escape('、'.join(stages))}</li>" for category, stages in sorted(settings.review_categories.items())
    )
    three = "、".join(THREE_REVIEWS)
    documents = [e for e in entries if not e.on_demand and e.item.category == "政府信息公开制度"]
    listed = "".join(f'<li><a href="{href(here, e.page)}">{escape(e.item.title)}</a>（发布日期：{escape(e.field("published"))}）</li>' for e in documents)
    title = "政府信息公开制度"
    parts = [
        front_matter(title, layout.KIND_GUIDE, day),
        f"# {title}\n\n",
        f"<p>{escape(settings.agency)}按照{escape(regulation.TITLE)}和下列制度开展政府信息公开工作。本页所列制度由本网站的发布程序逐条执行：未完成审核的信息不会出现在网站上。</p>\n\n",
        "## 一、信息发布审核制度\n\n",
        f"<p>每条信息发布前须经下列审核环节，每个环节由本单位在册的审核人以电子签名确认，签名与信息内容一一对应，信息内容修改后须重新审核：{escape(default)}。"
        f"{escape(three)}由不同的审核人分别作出。</p>\n\n",
        (f"<p>下列栏目的审核环节另有规定：</p>\n<ul>{special}</ul>\n\n" if special else ""),
        "## 二、保密审查制度\n\n",
        "<p>行政机关应当建立健全政府信息公开审查机制，明确审查的程序和责任（《条例》第十七条）。涉密信息不得上网发布；"
        "信息发布前须经保密审查，标注密级标志或者含有居民身份证号码等个人信息的，不予发布。</p>\n\n",
        "## 三、主动公开制度\n\n",
        "<p>属于主动公开范围的政府信息，自该政府信息形成或者变更之日起20个工作日内予以公开（《条例》第二十六条）。"
        f"法定主动公开的内容见{link(layout.MANDATORY, '法定主动公开内容')}，各单位的公开事项及公开时限见{link(layout.STANDARD, '政务公开事项标准目录')}。</p>\n\n",
        "## 四、政务公开事项标准目录动态调整制度\n\n",
        "<p>法律法规颁布、修订，职能调整，或者事项要素发生变化的，政务公开责任单位申请增加、变更或者取消标准目录中的事项，"
        f"报政务公开领导小组办公室备案后生效。调整情况见{link(layout.CATALOG_HISTORY, '目录动态调整记录')}。</p>\n\n",
        "## 五、依申请公开办理制度\n\n",
        f"<p>依申请公开的受理、补正、答复期限和答复方式，见{link(layout.GUIDE, '政府信息公开指南')}和{link(layout.ON_DEMAND, '依申请公开')}。</p>\n\n",
        "## 六、年度报告制度\n\n",
        f"<p>各行政机关于每年1月31日前公布本机关上一年度政府信息公开工作年度报告（《条例》第四十九条），见{link(layout.REPORTS, '政府信息公开工作年度报告')}。</p>\n\n",
    ]
    if listed:
        parts += ["## 七、制度文件\n\n", f"<ul>{listed}</ul>\n"]
    return GeneratedPage(src, "".join(parts))


def apply_form_page(settings: Settings, url_of: Callable[[str], str], day: date) -> GeneratedPage:
    """Returns the printable 政府信息公开申请表, with the workbook to download beside it."""
    src = layout.index_src(layout.APPLY_FORM)
    here = url_of(src)
    groups: dict[str, list[str]] = {}
    for section, name, hint in FORM_ROWS:
        groups.setdefault(section, []).append(f'<th scope="row">{escape(name)}</th><td>{escape(hint)}</td>')
    bodies = "".join(
        f'<tbody><tr><th scope="rowgroup" rowspan="{len(cells)}">{escape(section)}</th>{cells[0]}</tr>' + "".join(f"<tr>{c}</tr>" for c in cells[1:]) + "</tbody>\n"
        for section, cells in groups.items()
    )
    online = f'<p>也可以通过<a href="{escape(settings.apply_url)}">在线申请平台</a>提交申请。</p>\n' if settings.apply_url else ""
    parts = [
        front_matter(FORM_TITLE, layout.KIND_GUIDE, day),
        f"# {FORM_TITLE}\n\n",
        f'<p class="gongkai-form-links">使用浏览器的“打印”功能打印本页，或者<a href="{href(here, layout.APPLY_FORM_XLSX)}">下载申请表（Excel）</a>填写。'
        f'受理机构和联系方式见<a href="{href(here, url_of(layout.index_src(layout.GUIDE)))}">政府信息公开指南</a>。</p>\n{online}\n',
        scroll_region(
            f'<table class="gongkai-apply-form">\n<caption>{FORM_TITLE}</caption>\n<thead><tr><th scope="col">项目</th><th scope="col">内容</th><th scope="col">填写</th></tr></thead>\n'
            + bodies + "</table>\n",
            FORM_TITLE,
        ) + "\n",
        f"<p>{escape(FORM_NOTE)}</p>\n",
    ]
    return GeneratedPage(src, "".join(parts))


def apply_form_xlsx(settings: Settings) -> bytes:
    """Returns the 政府信息公开申请表 as an .xlsx (same bytes for the same settings)."""
    # Imported here: openpyxl (and numpy, which it imports) takes a tenth of a second to load,
    # and only the process that makes this one file needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side  # likewise

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = FORM_TITLE
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    font = Font(name="宋体", size=11)
    wrap = Alignment(wrap_text=True, vertical="center")
    put_cell(sheet["A1"], f"{settings.agency}{FORM_TITLE}")
    sheet["A1"].font = Font(name="宋体", size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells("A1:C1")
    sheet.row_dimensions[1].height = 32
    for column, width in zip("ABC", (24, 22, 48)):
        sheet.column_dimensions[column].width = width
    row, first, last = 2, 2, ""
    for section, name, hint in FORM_ROWS:
        if section != last and row > 2:
            if row - 1 > first:
                sheet.merge_cells(f"A{first}:A{row - 1}")
            first = row
        last = section
        for column, value in zip("ABC", (section, name, hint)):
            cell = sheet[f"{column}{row}"]
            cell.value = value
            cell.font, cell.alignment, cell.border = font, wrap, border
        sheet.row_dimensions[row].height = 30
        row += 1
    if row - 1 > first:
        sheet.merge_cells(f"A{first}:A{row - 1}")
    sheet[f"A{row + 1}"] = FORM_NOTE
    sheet[f"A{row + 1}"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(f"A{row + 1}:C{row + 1}")
    sheet.row_dimensions[row + 1].height = 60
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToHeight = 1
    workbook.properties.title = FORM_TITLE
    workbook.properties.creator = settings.agency
    workbook.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return reproducible(buffer.getvalue())
