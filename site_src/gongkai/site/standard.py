"""The 政务公开事项标准目录 pages (all units, one unit, one 领域: static pages, no script) with each
事项's latest items, and the checks on it: items naming a 事项 the unit's catalog lacks, and 事项
whose 公开时限 has passed with no item."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from html import escape
from typing import Callable, Iterable, Sequence

from gongkai.errors import WARNING, Problem
from gongkai.escaping import csv_cell, scroll_region
from gongkai.law import layout, standard, workdays
from gongkai.law.layout import href
from gongkai.model import Decision, DeclaredYear, Settings, Verdict
from gongkai.read.standard import Matter, Standards
from gongkai.site.catalog import Entry, GeneratedPage, front_matter
from gongkai.trust.adjust import Filed

LATEST = 3  # items shown per 事项
SHOWN = ("first", "second", "content", "basis", "deadline", "subject", "channels", "audience", "mode", "level")


def domain_folder(index: int) -> str:
    """Returns the folder of the page listing one 领域 (numbered in the order of domains())."""
    return f"{layout.STANDARD}/ly{index}"


def domains(standards: Standards) -> list[str]:
    """Returns every 领域 of every unit's catalog, sorted by name."""
    return sorted({m.get("domain") for m in standards.matters()})


def matter_entries(entries: Sequence[Entry]) -> dict[tuple[str, str], list[Entry]]:
    """Returns (unit, 事项 name) -> the published entries naming it, newest first."""
    found: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        name = entry.item.meta.get("matter")
        if not name or entry.on_demand:
            continue
        for unit in (entry.item.unit, *entry.item.co_units):
            found[(unit, str(name))].append(entry)
    return found


def standard_csv(standards: Standards, settings: Settings) -> bytes:
    """Returns every unit's 标准目录 as one CSV (UTF-8 with BOM, Excel opens it): 发布机构 then the
    columns of a unit's CSV file, so that a unit's rows saved as standards/{unit}.csv read back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["发布机构", *(c.label for c in standard.COLUMNS)])
    for matter in standards.matters():
        unit = settings.unit(matter.unit)
        writer.writerow([csv_cell(unit.name if unit else matter.unit), *(csv_cell(matter.get(c.key)) for c in standard.COLUMNS)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _table(matters: Sequence[Matter], caption: str, by_matter: dict, here: str, settings: Settings, with_unit: bool) -> str:
    head = ("<th scope=\"col\">发布机构</th>" if with_unit else "") + "".join(f'<th scope="col">{standard.LABELS[k]}</th>' for k in SHOWN) + '<th scope="col">最新信息</th>'
    rows = []
    for matter in matters:
        unit = settings.unit(matter.unit)
        cells = f"<td>{escape(unit.name if unit else matter.unit)}</td>" if with_unit else ""
        for key in SHOWN:
            value = escape(matter.get(key))
            cells += f'<th scope="row">{value}</th>' if key == "second" else f"<td>{value}</td>"
        latest = by_matter.get((matter.unit, matter.name), [])[:LATEST]
        links = "".join(f'<li><a href="{href(here, e.page)}">{escape(e.item.title)}</a> <span>{escape(e.field("published"))}</span></li>' for e in latest)
        cells += f'<td><ul class="gongkai-matter-items">{links}</ul></td>' if links else "<td>暂无</td>"
        rows.append(f"<tr>{cells}</tr>")
    return scroll_region(
        f'<table class="gongkai-standard">\n<caption>{escape(caption)}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n",
        caption,
    ) + "\n"


def standard_pages(standards: Standards, entries: Sequence[Entry], settings: Settings, url_of: Callable[[str], str], day: date) -> list[GeneratedPage]:
    """Returns the 标准目录 overview, one page per unit and one per 领域."""
    by_matter = matter_entries(entries)
    names = domains(standards)
    pages = []
    src = layout.index_src(layout.STANDARD)
    here = url_of(src)
    unit_rows, domain_rows = [], []
    for unit in settings.units:
        own = standards.matters(unit.id)
        target = href(here, url_of(layout.index_src(layout.unit_folder(unit.id, layout.STANDARD))))
        unit_rows.append(f'<tr><th scope="row"><a href="{target}">{escape(unit.name)}</a></th><td>{len(own)}</td><td>{sum(m.active for m in own)}</td></tr>')
    for index, name in enumerate(names, start=1):
        count = sum(m.get("domain") == name for m in standards.matters())
        target = href(here, url_of(layout.index_src(domain_folder(index))))
        domain_rows.append(f'<tr><th scope="row"><a href="{target}">{escape(name)}</a></th><td>{count}</td></tr>')
    history = href(here, url_of(layout.index_src(layout.CATALOG_HISTORY)))
    title = "政务公开事项标准目录"
    body = [
        front_matter(title, layout.KIND_CATALOG, day),
        f"# {title}\n\n",
        "<p>按照基层政务公开标准化规范化要求，各单位编制本单位的政务公开事项标准目录，逐项列明一级事项、二级事项、公开内容（要素）、公开依据、公开时限、公开主体、公开渠道和载体、公开对象、公开方式和公开层级。"
        f'每个事项下列出本网站最新发布的对应信息。事项的增加、变更和取消见<a href="{history}">目录动态调整记录</a>。</p>\n\n',
        f'<p>全部单位的标准目录可下载：<a href="{href(here, layout.STANDARD_CSV)}">标准目录（CSV，Excel 可直接打开）</a>。</p>\n\n',
        scroll_region(
            '<table class="gongkai-standard-units">\n<caption>按单位浏览</caption>\n<thead><tr><th scope="col">单位</th><th scope="col">事项数</th><th scope="col">主动公开事项</th></tr></thead>\n<tbody>\n'
            + "\n".join(unit_rows) + "\n</tbody>\n</table>\n",
            "按单位浏览",
        ) + "\n",
        scroll_region(
            '<table class="gongkai-standard-domains">\n<caption>按领域浏览</caption>\n<thead><tr><th scope="col">领域</th><th scope="col">事项数</th></tr></thead>\n<tbody>\n'
            + ("\n".join(domain_rows) or '<tr><td colspan="2">暂无</td></tr>') + "\n</tbody>\n</table>\n",
            "按领域浏览",
        ),
    ]
    pages.append(GeneratedPage(src, "".join(body)))
    for unit in settings.units:
        src = layout.index_src(layout.unit_folder(unit.id, layout.STANDARD))
        here = url_of(src)
        own = standards.matters(unit.id)
        title = f"{unit.name}政务公开事项标准目录"
        body = [front_matter(title, layout.KIND_CATALOG, day), f"# {escape(title)}\n\n"]
        if not own:
            body.append("<p>本单位尚未发布政务公开事项标准目录。</p>\n")
        grouped: dict[str, list[Matter]] = defaultdict(list)
        for matter in own:
            grouped[matter.get("domain")].append(matter)
        for name in sorted(grouped):
            body.append(_table(grouped[name], f"{unit.name} · {name}", by_matter, here, settings, with_unit=False))
        body.append(f'<p><a href="{href(here, url_of(layout.index_src(layout.STANDARD)))}">全部单位的标准目录</a></p>\n')
        pages.append(GeneratedPage(src, "".join(body)))
    for index, name in enumerate(names, start=1):
        src = layout.index_src(domain_folder(index))
        here = url_of(src)
        title = f"政务公开事项标准目录 · {name}"
        matters = [m for m in standards.matters() if m.get("domain") == name]
        body = [front_matter(title, layout.KIND_CATALOG, day), f"# {escape(title)}\n\n", _table(matters, title, by_matter, here, settings, with_unit=True),
                f'<p><a href="{href(here, url_of(layout.index_src(layout.STANDARD)))}">全部领域</a></p>\n']
        pages.append(GeneratedPage(src, "".join(body)))
    return pages


# ------------------------------------------------------------------ checks


def standard_problems(standards: Standards, decisions: Iterable[Decision], today: date, declared: Sequence[DeclaredYear] = ()) -> list[Problem]:
    """Returns the 标准目录 findings: items naming an unknown 事项, and 事项 overdue (warnings)."""
    found: list[Problem] = []
    have = {u.unit: u for u in standards.units}
    latest: dict[tuple[str, str], list[date]] = defaultdict(list)
    for decision in decisions:
        item = decision.item
        if item is None or decision.verdict not in (Verdict.PUBLISH, Verdict.METADATA, Verdict.HOLD):
            continue
        name = item.meta.get("matter")
        if not name:
            continue
        units = (item.unit, *item.co_units)
        if not any(standards.find(u, str(name)) for u in units):
            where = "、".join(have[u].path for u in units if u in have) or f"{standard.FOLDER}/{item.unit}.yml"
            found.append(Problem(item.path, item.line_of("matter"), f"公开事项 {name} 不在本单位的政务公开事项标准目录({where})中:请核对事项名称(二级事项),或先按动态调整程序增加该事项", WARNING))
            continue
        if decision.verdict is Verdict.PUBLISH and decision.published is not None:
            for unit in units:
                latest[(unit, str(name))].append(decision.published)
    for own in standards.units:
        for matter in own.matters:
            if not matter.active:
                continue
            deadline = standard.parse_deadline(matter.get("deadline"))
            if deadline is None:
                continue
            days = latest.get((matter.unit, matter.name), [])
            problem = _overdue(matter, deadline, days, own.effective, today, declared)
            if problem:
                found.append(problem)
    return found


def _overdue(
    matter: Matter, deadline: standard.Deadline, published: list[date], effective: date | None, today: date, declared: Sequence[DeclaredYear] = ()
) -> Problem | None:
    label = f"事项 {matter.name}(公开时限:{matter.get('deadline')})"
    if deadline.months:
        period = deadline.last_due_period(today, declared)
        if period is None:
            return None
        start, end, due = period
        if effective is not None and effective > end:
            return None
        if any(day >= start for day in published):
            return None
        return Problem(matter.path, matter.line, f"{label}:{start} 至 {end} 的信息应于 {due} 前公开,至今没有对应的信息(信息的 matter 字段写 {matter.name})", WARNING)
    if published or effective is None:
        return None
    due, _ = workdays.add_workdays(effective, deadline.workdays, declared)
    if today > due:
        return Problem(matter.path, matter.line, f"{label}:标准目录自 {effective} 施行,至 {due} 已满 {deadline.workdays} 个工作日,仍没有任何对应的信息(信息的 matter 字段写 {matter.name})", WARNING)
    return None


# ------------------------------------------------------------------ 动态调整


def adjustment_page(filed: Sequence[Filed], settings: Settings, url_of: Callable[[str], str], day: date) -> GeneratedPage:
    """Returns the 目录动态调整记录: each 增加、变更、取消 of a 事项 or a 目录类别 that has been filed
    (备案) with the 政务公开领导小组办公室, newest first. Only the records' reviewed fields: nothing
    of the repository's history."""
    src = layout.index_src(layout.CATALOG_HISTORY)
    here = url_of(src)
    rows = []
    for entry in reversed(filed):
        record = entry.record
        unit = settings.unit(record.get("unit")) if record.get("unit") else None
        owner = unit.name if unit else ("全部单位" if record.get("target") == "目录类别" else record.get("unit"))
        cells = [escape(c) for c in (record.get("id"), record.get("date"), owner, record.get("target"), record.get("kind"), record.get("name"), record.get("change") or "—", record.get("reason"), record.get("basis"), entry.filed_on)]
        if unit is not None and record.get("target") == "事项":  # the unit's catalog as it stands now
            cells[5] = f'<a href="{href(here, url_of(layout.index_src(layout.unit_folder(unit.id, layout.STANDARD))))}">{cells[5]}</a>'
        rows.append("<tr>" + "".join(f'<th scope="row">{c}</th>' if i == 0 else f"<td>{c}</td>" for i, c in enumerate(cells)) + "</tr>")
    head = "".join(f'<th scope="col">{label}</th>' for label in ("备案编号", "调整日期", "单位", "调整对象", "调整方式", "事项或类别", "调整内容", "调整理由", "调整依据", "备案日期"))
    standard_link = href(here, url_of(layout.index_src(layout.STANDARD)))
    title = "政务公开目录动态调整记录"
    body = [
        front_matter(title, layout.KIND_CATALOG, day),
        f"# {title}\n\n",
        "<p>各政务公开责任单位对本单位政务公开事项标准目录或政府信息公开目录类别需要增加、变更或者取消的，"
        "依照《政务公开标准目录动态调整制度》提出申请，写明调整理由和依据，报政务公开领导小组办公室备案。下表列出已备案的调整，最新的在前。"
        f'调整后的事项见<a href="{standard_link}">政务公开事项标准目录</a>。</p>\n\n',
        scroll_region(
            f'<table class="gongkai-adjustments">\n<caption>{title}</caption>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
            + ("\n".join(rows) or '<tr><td colspan="10">暂无已备案的调整</td></tr>') + "\n</tbody>\n</table>\n",
            title,
        ),
    ]
    return GeneratedPage(src, "".join(body))


def adjustment_problems(filed: Sequence[Filed], standards: Standards, category_ids: Sequence[str]) -> list[Problem]:
    """Returns where a filed record and the catalog disagree (warnings): a 事项 added or changed but
    missing from its unit's 标准目录, one cancelled but still there; a category likewise."""
    found = []
    latest: dict[tuple[str, str, str], Filed] = {}
    for entry in filed:  # oldest first: the last record of a 事项 is what holds now
        record = entry.record
        latest[(record.get("target"), record.get("unit"), record.get("name"))] = entry
    for (target, unit, name), entry in latest.items():
        record = entry.record
        present = standards.find(unit, name) is not None if target == "事项" else name in category_ids
        where = f"{standard.FOLDER}/{unit}.yml" if target == "事项" else "目录类别"
        if record.get("kind") == "取消" and present:
            found.append(Problem(record.path, record.lines.get("name", 1), f"已备案取消{target} {name},但它仍在{where}中:请删除", WARNING))
        elif record.get("kind") != "取消" and not present:
            found.append(Problem(record.path, record.lines.get("name", 1), f"已备案{record.get('kind')}{target} {name},但{where}中没有它:请核对名称或补上", WARNING))
    return found
