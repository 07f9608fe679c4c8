"""Settings + taxonomy -> the 政府信息公开指南 (条例第十二条) and the 依申请公开 page."""
from __future__ import annotations

import re
from datetime import date
from html import escape
from typing import Callable, Sequence

from gongkai.cache import BuildCache
from gongkai.escaping import scroll_region
from gongkai.law import layout, regulation
from gongkai.law.layout import href
from gongkai.law.taxonomy import categories
from gongkai.model import Settings, Unit
from gongkai.site.catalog import Entry, GeneratedPage, front_matter, listing_pages, page_src

CONTACT_FIELDS = (("address", "办公地址"), ("hours", "办公时间"), ("phone", "联系电话"), ("fax", "传真"), ("email", "电子邮箱"), ("postcode", "邮政编码"))

def _quote(paragraphs: Sequence[str], article: str) -> str:
    """Returns paragraphs of the 条例 as a quotation naming its article."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f'<blockquote class="gongkai-law">{body}<p class="gongkai-law-source">——{regulation.TITLE}{article}</p></blockquote>\n'


def _numbered(lead: str, items: Sequence[str], article: str) -> str:
    """Returns an article's lead sentence and its numbered items（一）…, quoted."""
    rows = "".join(f"<p>（{regulation.NUMERALS[i]}）{escape(text)}</p>" for i, text in enumerate(items))
    return f'<blockquote class="gongkai-law"><p>{escape(lead)}</p>{rows}<p class="gongkai-law-source">——{regulation.TITLE}{article}</p></blockquote>\n'


def apply_steps(settings: Settings, here: str, url_of: Callable[[str], str]) -> str:
    """Returns how to apply (条例第二十九条至第三十三条、第三十六条、第四十二条), with the application
    form to print or download and, when the portal has one, the online application."""
    form = url_of(layout.index_src(layout.APPLY_FORM))
    online = (
        f'也可以通过<a href="{escape(settings.apply_url)}">在线申请平台</a>提交申请。'
        if settings.apply_url else ""
    )
    return "".join([
        "### （一）提出申请\n\n",
        _quote(regulation.ARTICLE_29[:1], "第二十九条"),
        _numbered(regulation.ARTICLE_29[1], regulation.ARTICLE_29_ITEMS, "第二十九条"),
        f'<p class="gongkai-apply-form">申请人可以<a href="{href(here, form)}">打印《政府信息公开申请表》</a>'
        f'或<a href="{href(here, layout.APPLY_FORM_XLSX)}">下载申请表（Excel）</a>，填写后当面提交，或者以信件、传真、电子邮件方式提交给下列政府信息公开工作机构；'
        f"书面申请确有困难的，可以到政府信息公开工作机构口头提出，由工作人员代为填写申请。{online}</p>\n\n",
        "### （二）收到申请的时间\n\n",
        _numbered(regulation.ARTICLE_31_LEAD, regulation.ARTICLE_31_ITEMS, "第三十一条"),
        "\n### （三）补正\n\n",
        _quote(regulation.ARTICLE_30, "第三十条"),
        "\n### （四）答复期限\n\n",
        _quote(regulation.ARTICLE_33, "第三十三条"),
        "<p>第三方应当自收到征求意见书之日起15个工作日内提出意见（《条例》第三十二条）。</p>\n\n",
        "### （五）答复\n\n",
        _numbered(regulation.ARTICLE_36_LEAD, regulation.ARTICLE_36_ITEMS, "第三十六条"),
        "\n### （六）收费\n\n",
        "<p>行政机关依申请提供政府信息，不收取费用。申请人申请公开政府信息的数量、频次明显超过合理范围的，行政机关可以依照《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）收取信息处理费（《条例》第四十二条）。</p>\n\n",
    ])


REMEDY = """\
<p>公民、法人或者其他组织认为行政机关在政府信息公开工作中侵犯其合法权益的，可以向上一级行政机关或者政府信息公开工作主管部门投诉、举报，也可以依法申请行政复议或者提起行政诉讼（条例第五十一条）。</p>
"""


def _contact_cell(key: str, value: str) -> str:
    """Returns one cell of the contacts table: the e-mail address as a mailto link."""
    if key == "email" and value and re.fullmatch(r"[^@\s<>\"'&]+@[A-Za-z0-9.-]+", value):
        return f'<td><a href="mailto:{escape(value)}">{escape(value)}</a></td>'
    return f"<td>{escape(value or '—')}</td>"


def contact_table(units: Sequence[Unit]) -> str:
    rows = []
    for unit in units:
        cells = "".join(_contact_cell(key, getattr(unit, key)) for key, _ in CONTACT_FIELDS)
        rows.append(f'<tr><th scope="row">{escape(unit.name)}</th>{cells}</tr>')
    head = '<th scope="col">机构</th>' + "".join(f'<th scope="col">{label}</th>' for _, label in CONTACT_FIELDS)
    table = f'<table class="gongkai-contacts">\n<caption>政府信息公开工作机构</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>\n"
    return scroll_region(table, "政府信息公开工作机构")


def guide_page(settings: Settings, url_of: Callable[[str], str], day: date, unit: Unit | None = None) -> GeneratedPage:
    """Returns the 政府信息公开指南 of the portal, or of one unit."""
    src = layout.index_src(layout.unit_folder(unit.id if unit else None, layout.GUIDE))
    here = url_of(src)
    owner = unit.name if unit else settings.agency
    units = (unit,) if unit else settings.units
    catalog = url_of(layout.index_src(layout.unit_folder(unit.id if unit else None, layout.CATALOG)))
    title = f"{owner}政府信息公开指南"
    rows = []
    for category in categories(settings.categories):
        rows.append(
            f'<tr><td><a href="{href(here, url_of(page_src(layout.category_folder(category.slug), 1)))}">{escape(category.id)}</a></td>'
            f"<td>{escape(category.article or '—')}</td><td>{escape(category.scope or '—')}</td></tr>"
        )
    parts = [
        front_matter(title, layout.KIND_GUIDE, day),
        f"# {escape(title)}\n\n",
        f"<p>为了保障公民、法人和其他组织依法获取政府信息，根据《中华人民共和国政府信息公开条例》（国务院令第711号，以下简称《条例》）第十二条，编制本指南。本指南每年更新，最近更新：{day}。</p>\n\n",
        "## 一、主动公开\n\n",
        "### （一）公开内容与分类编排\n\n",
        f'<p>主动公开的政府信息按下列类别编排，每条信息标注索引号（{{机构代码}}/{{年份}}-{{序号}}）、发布机构、成文日期、发布日期和有效性，详见<a href="{href(here, catalog)}">政府信息公开目录</a>。</p>\n\n',
        scroll_region(
            '<table class="gongkai-guide-categories">\n<caption>信息分类</caption>\n<thead><tr><th scope="col">类别</th><th scope="col">条例依据</th><th scope="col">内容</th></tr></thead>\n<tbody>\n'
            + "\n".join(rows)
            + "\n</tbody>\n</table>\n",
            "信息分类",
        ) + "\n",
        "### （二）公开方式\n\n",
        f"<p>主动公开的政府信息通过本网站（{escape(settings.agency)}政府信息公开专栏）发布，并视情况通过政府公报、新闻发布会以及报刊、广播、电视等途径公开。各级档案馆、公共图书馆和政务服务场所设置政府信息查阅场所，提供查阅服务（《条例》第二十三条、第二十五条）。</p>\n\n",
        "### （三）公开时限\n\n",
        "<p>属于主动公开范围的政府信息，自该政府信息形成或者变更之日起<strong>20个工作日</strong>内予以公开。法律、法规对政府信息公开的期限另有规定的，从其规定（《条例》第二十六条）。</p>\n\n",
        "## 二、依申请公开\n\n",
        f'<p>除主动公开的政府信息外，公民、法人或者其他组织可以向行政机关申请获取相关政府信息（《条例》第二十七条）。已登记的依申请公开信息见<a href="{href(here, url_of(layout.index_src(layout.ON_DEMAND)))}">依申请公开目录</a>。</p>\n\n',
        apply_steps(settings, here, url_of),
        "\n## 三、政府信息公开工作机构\n\n",
        contact_table(units),
        "\n## 四、不予公开的范围\n\n",
        "<p>依法确定为国家秘密的政府信息，法律、行政法规禁止公开的政府信息，以及公开后可能危及国家安全、公共安全、经济安全、社会稳定的政府信息，不予公开（《条例》第十四条）。涉及商业秘密、个人隐私等公开会对第三方合法权益造成损害的政府信息，行政机关不得公开；但是，第三方同意公开或者行政机关认为不公开会对公共利益造成重大影响的，予以公开（《条例》第十五条）。</p>\n\n",
        _quote(regulation.ARTICLE_16, "第十六条"),
        "\n## 五、监督和救济\n\n",
        REMEDY,
        "\n## 六、相关制度\n\n",
        f'<p><a href="{href(here, url_of(layout.index_src(layout.RULES)))}">政府信息公开制度</a>、'
        f'<a href="{href(here, url_of(layout.index_src(layout.MANDATORY)))}">法定主动公开内容</a>、'
        f'<a href="{href(here, url_of(layout.index_src(layout.STANDARD)))}">政务公开事项标准目录</a>。</p>\n',
    ]
    return GeneratedPage(src, "".join(parts))


def on_demand_pages(entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date, cache: BuildCache | None = None) -> list[GeneratedPage]:
    """Returns the 依申请公开目录 (metadata only, paginated) with how to apply on its first page."""
    on_demand = [e for e in entries if e.on_demand]

    def intro(here: str) -> str:
        return (
            "<p>下列政府信息属于依申请公开范围，本目录只列出其索引号、标题、发布机构、成文日期和内容概述，不公开正文和附件。需要获取的，请按下述方式提出申请。</p>\n\n"
            "## 如何申请\n\n" + apply_steps(settings, here, url_of) + "\n" + contact_table(settings.units) + "\n## 依申请公开目录\n"
        )

    return listing_pages(layout.ON_DEMAND, "依申请公开", intro, on_demand, url_of, day, kind=layout.KIND_ON_DEMAND, cache=cache)
