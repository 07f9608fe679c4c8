"""The built-in catalog taxonomy (SPEC §4) and its 条例第二十条 items: the one source of truth."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    id: str  # the name editors write in `category:`
    slug: str  # URL segment under xxgk/gkml/
    article: str = ""  # 条例第二十条 item it serves, e.g. "第二十条第（一）项"
    scope: str = ""  # what the law says belongs here


BUILTIN: tuple[Category, ...] = (
    Category("机构职能", "jgzn", "第二十条第（二）项", "机关职能、机构设置、办公地址、办公时间、联系方式、负责人姓名"),
    Category("规章", "gz", "第二十条第（一）项", "行政法规、规章"),
    Category("规范性文件", "gfxwj", "第二十条第（一）项", "行政规范性文件"),
    Category("其他文件", "qtwj", "", "其他公文"),
    Category("规划信息", "ghxx", "第二十条第（三）项", "国民经济和社会发展规划、专项规划、区域规划及相关政策"),
    Category("统计信息", "tjxx", "第二十条第（四）项", "国民经济和社会发展统计信息"),
    Category("行政许可", "xzxk", "第二十条第（五）项", "办理行政许可和其他对外管理服务事项的依据、条件、程序以及办理结果"),
    Category("行政处罚", "xzcf", "第二十条第（六）项", "实施行政处罚的依据、条件、程序以及具有一定社会影响的行政处罚决定"),
    Category("行政强制", "xzqz", "第二十条第（六）项", "实施行政强制的依据、条件、程序"),
    Category("财政信息", "czxx", "第二十条第（七）项", "财政预算、决算信息"),
    Category("行政事业性收费", "xzsyxsf", "第二十条第（八）项", "行政事业性收费项目及其依据、标准"),
    Category("政府采购", "zfcg", "第二十条第（九）项", "政府集中采购项目的目录、标准及实施情况"),
    Category("重大建设项目", "zdjsxm", "第二十条第（十）项", "重大建设项目的批准和实施情况"),
    Category("民生保障", "msbz", "第二十条第（十一）项", "扶贫、教育、医疗、社会保障、促进就业等方面的政策、措施及其实施情况"),
    Category("应急管理", "yjgl", "第二十条第（十二）项", "突发公共事件的应急预案、预警信息及应对情况"),
    Category("监督检查", "jdjc", "第二十条第（十三）项", "环境保护、公共卫生、安全生产、食品药品、产品质量的监督检查情况"),
    Category("人事信息", "rsxx", "第二十条第（十四）项", "公务员招考的职位、名额、报考条件等事项以及录用结果"),
    Category("政策解读", "zcjd", "", "对重要政策文件的解读"),
    Category("通知公告", "tzgg", "", "通知、公告"),
    Category("工作动态", "gzdt", "", "工作动态"),
    Category("年度报告", "ndbg", "第五十条", "政府信息公开工作年度报告"),
    Category("其他", "qt", "第二十条第（十五）项", "法律、法规、规章和国家有关规定规定应当主动公开的其他政府信息"),
)


def categories(extra: tuple[str, ...] = ()) -> tuple[Category, ...]:
    """Returns the built-in categories followed by the portal's own (SPEC §2 `categories`)."""
    known = {c.id for c in BUILTIN}
    added = []
    for index, name in enumerate(extra, start=1):
        if name not in known:
            added.append(Category(name, f"c{index}"))
            known.add(name)
    return BUILTIN + tuple(added)


def category_ids(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Returns every category id an item may declare."""
    return tuple(c.id for c in categories(extra))
