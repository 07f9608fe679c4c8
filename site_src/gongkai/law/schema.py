"""The item front-matter schema (SPEC §3): the one table the loader, `gongkai new`, the item pages,
the catalog exports and listings and the docs read."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # the Chinese name editors know
    required: str  # "yes", "no", or a condition described in Chinese
    help: str
    text: bool = False  # its value is plain text: a number, date or list written there is an error
    # Where the field is shown: its position (1, 2, …) in each place, 0 where it is not shown.
    item_page: int = 0  # the metadata table on top of an item page
    export: int = 0  # the columns of catalog.csv (header: the label) and catalog.json (the key)
    listing: int = 0  # the table of a 政府信息公开目录 page
    on_demand_listing: int = 0  # the table of the 依申请公开目录


FIELDS: tuple[Field, ...] = (
    Field("title", "标题", "yes", "信息标题", text=True, export=2, listing=2, on_demand_listing=2),
    Field("index_no", "索引号", "yes", "索引号 {机构代码}/{年份}-{五位序号},由 gongkai new 分配,全站唯一,不得修改", item_page=1, export=1, listing=1, on_demand_listing=1),
    Field("unit", "发布机构", "yes", "发布机构的 id(见 mkdocs.yml 的 extra.gongkai.units)", item_page=2, export=4, listing=5, on_demand_listing=3),
    Field("co_units", "联合发文机构", "no", "联合发文的其他机构 id 列表"),
    Field("attribute", "公开属性", "yes", "主动公开 | 部分公开 | 依申请公开 | 不予公开", item_page=8, export=5),
    Field("basis", "法定理由", "除主动公开外必填", "不公开或部分公开的法定理由,如 条例第十五条 个人隐私", text=True),
    Field("category", "目录类别", "yes", "信息公开目录类别,如 规范性文件、通知公告", export=6),
    Field("topic", "主题分类", "no", "主题分类,如 城乡建设、环境保护", text=True, item_page=3, export=7),
    Field("genre", "文种", "no", "文种,如 通知、决定、公告", text=True, export=8),
    Field("doc_no", "文号", "no", "发文字号,如 示政发〔2025〕1号", text=True, item_page=5, export=9, listing=4),
    Field("created", "成文日期", "yes", "成文或生成日期 YYYY-MM-DD", item_page=4, export=10, listing=6, on_demand_listing=4),
    Field("published", "发布日期", "主动公开、部分公开必填", "发布日期 YYYY-MM-DD,写审核全部签完的那天或更晚(网站上的发布日期不早于最后一次审核签名);晚于构建日期的信息到期才发布(定时发布)", item_page=6, export=11, listing=7),
    Field("summary", "内容概述", "no", "内容概述(目录显示);缺省取正文第一段", text=True, export=3, listing=3, on_demand_listing=5),
    Field("validity", "有效性", "no", "有效(缺省) | 失效 | 废止", item_page=7, export=12, listing=8),
    Field("repealed_on", "废止日期", "no", "失效或废止日期 YYYY-MM-DD"),
    Field("interprets", "解读对象", "no", "政策解读所解读文件的索引号", text=True),
    Field("replaced_by", "替代文件", "no", "失效或废止的信息:取代它的文件的索引号", text=True),
    Field("matter", "公开事项", "no", "本信息对应的本单位政务公开标准目录中的公开事项", text=True),
    Field("source", "转载来源", "no", "转载信息的来源:name(来源名称)、url(原文链接)、date(原文日期)"),
    Field("secrecy", "密级", "no", "只能是 非涉密;涉密信息不得进入本仓库", text=True),
    Field("attachments", "附件", "no", "随信息发布的附件,路径相对于本文件"),
    Field("author", "撰稿人", "no", "撰稿人姓名(gongkai new 从 --author 或 git config user.name 填写);不在网页上显示,用于发布台账", text=True),
    Field("report", "年度报告数据", "年度报告必填", "政府信息公开工作年度报告的统计数据"),
    Field("reviews", "审核签名", "发布前必填", "审核签名列表(由 gongkai sign 写入,请勿手工编辑)"),
)

#: The catalog's one column that is no front-matter field: the address of the item's page.
URL = Field("url", "网址", "no", "信息页面的网址(由系统生成)", export=13)


def shown(where: str) -> tuple[Field, ...]:
    """Returns the fields shown in ``where`` ("item_page", "export", "listing" or
    "on_demand_listing"), in their order there."""
    fields = [f for f in (*FIELDS, URL) if getattr(f, where)]
    return tuple(sorted(fields, key=lambda f: getattr(f, where)))


KEYS = tuple(f.key for f in FIELDS)
TEXT_KEYS = tuple(f.key for f in FIELDS if f.text)
LABELS = {f.label: f.key for f in FIELDS}
SOURCE_KEYS = ("name", "url", "date")
REVIEW_KEYS = ("stage", "by", "at", "sig")
