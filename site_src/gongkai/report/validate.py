"""validate_report: the schema of a report item's ``report:`` block, the identity of table 三, the body's sections.

The gate reads only this module of the report: it runs on the front-matter before anything is built.
"""
from __future__ import annotations

import difflib
import re
from typing import Any, Iterable, Mapping, Sequence

import yaml

from gongkai.errors import ERROR, WARNING, Problem
from gongkai.law.taxonomy import ANNUAL_REPORT
from gongkai.model import Item
from gongkai.read.loader import split_front_matter
from gongkai.report.body import split_report_body
from gongkai.report.figures import FIGURE_KEYS, column_figures, is_amount, is_count
from gongkai.report.labels import (
    APPEAL_KINDS,
    APPEAL_RESULTS,
    APPLICANTS,
    DOCUMENT_CATEGORIES,
    DOCUMENT_FIGURES,
    FIRST_FORMAT_YEAR,
    FORMAT_NAME,
    LITIGATION_LABEL,
    ORGANIZATIONS,
    ORGANIZATIONS_LABEL,
    REPORT_KEYS,
    REQUEST_FIELDS,
    SECTION_BY_NAME,
    SECTIONS,
    TABLE3_ROWS,
    TOTAL,
)

# what an editor may write instead of a key: only used to suggest the right key
KEY_ALIASES: dict[str, str] = {
    "年度": "year", "年份": "year", "报告年度": "year",
    "行政许可": "licensing", "许可": "licensing",
    "行政处罚": "punishment", "处罚": "punishment",
    "行政强制": "enforcement", "强制": "enforcement",
    "行政事业性收费": "fees", "收费": "fees", "收费金额": "fees", "fee": "fees",
    "规章": "documents", "规范性文件": "documents", "行政规范性文件": "documents", "文件": "documents",
    "申请": "requests", "依申请公开": "requests", "申请情况": "requests", "request": "requests",
    "复议": "appeals", "诉讼": "appeals", "行政复议": "appeals", "行政诉讼": "appeals", "appeal": "appeals",
}


# --- front-matter line numbers of nested keys --------------------------------------------------


def front_matter_lines(source: str) -> dict[tuple[str, ...], int]:
    """Returns the file line of every mapping key of the front-matter, by key path.

    ``source`` is the item file's whole text (front-matter between ``---`` lines, then the body),
    or the front-matter YAML alone. Keys are ``str()`` of the YAML scalars.
    """
    text = source.lstrip("\ufeff").replace("\r\n", "\n")
    yaml_text, offset = text, 1
    if text.startswith("---"):
        split = split_front_matter(text, "")
        if isinstance(split, Problem):
            return {}
        yaml_text, offset = split[0], 2
    try:
        root = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    found: dict[tuple[str, ...], int] = {}

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    path = prefix + (str(key_node.value),)
                    found.setdefault(path, key_node.start_mark.line + offset)
                    walk(value_node, path)

    walk(root, ())
    return found


class KeyLines:
    """Maps a key path under the item to a file line: the deepest known key, else ``report:``.

    ``source`` is the item file's text, or a map of dotted key paths to file lines as the loader
    builds it (``{"report.requests.自然人.新收": 13, …}``), or None.
    """

    def __init__(self, item: Item, source: str | Mapping[str, int] | None):
        self.item = item
        if isinstance(source, str):
            self.known = front_matter_lines(source)
        elif source:
            self.known = {tuple(key.split(".")): line for key, line in source.items() if "[" not in key}
        else:
            self.known = {}

    def __call__(self, path: Sequence[str]) -> int:
        path = tuple(str(p) for p in path)
        for end in range(len(path), 0, -1):
            line = self.known.get(path[:end])
            if line:
                return line
        if path and path[0] in self.item.lines:
            return self.item.line_of(path[0])
        return self.item.line_of("report") if "report" in self.item.lines else self.item.line_of("category")


def dotted(path: Sequence[Any]) -> str:
    """Returns a key path as written in messages: ``report.requests.自然人``."""
    return ".".join(str(p) for p in path)


def _normalize_key(text: str) -> str:
    text = re.sub(r"（[^）]*）|\([^)]*\)", "", text)
    text = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[)）]?[、.．]?", "", text)
    return re.sub(r"[\s“”\"'‘’「」《》:：,，、.．]", "", text)


def suggest_key(key: Any, allowed: Iterable[str], aliases: Mapping[str, str] | None = None) -> str | None:
    """Returns the allowed key the editor most likely meant, or None."""
    allowed = list(allowed)
    text = str(key)
    if aliases and text in aliases and aliases[text] in allowed:
        return aliases[text]
    normalized = {_normalize_key(a): a for a in allowed}
    plain = _normalize_key(text)
    if plain in normalized:
        return normalized[plain]
    lowered = {a.lower(): a for a in allowed}
    if text.lower() in lowered:
        return lowered[text.lower()]
    close = difflib.get_close_matches(plain, list(normalized), n=1, cutoff=0.6)
    if close:
        return normalized[close[0]]
    close = difflib.get_close_matches(text, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"“{value}”"
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "映射" if isinstance(value, dict) else "列表"
    return f"“{value}”"


class _Validator:
    def __init__(self, item: Item, source: str | Mapping[str, int] | None):
        self.item = item
        self.line = KeyLines(item, source)
        self.problems: list[Problem] = []

    def add(self, path: Sequence[Any], message: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(self.item.path, self.line(path), message, severity))

    def unknown(self, path: Sequence[Any], allowed: Sequence[str], hint: str = "", aliases=None) -> None:
        key = path[-1]
        message = f"{dotted(path)}: 未知的键“{key}”"
        if hint:
            message += f"，{hint}"
        else:
            guess = suggest_key(key, allowed, aliases)
            if guess is not None:
                message += f"，是否应为“{guess}”？"
            message += f"（可用的键：{'、'.join(allowed)}）"
        self.add(path, message)

    def mapping(self, path: Sequence[Any], value: Any, what: str) -> bool:
        if isinstance(value, dict):
            return True
        self.add(path, f"{dotted(path)} 应为映射（{what}），现为{_shown(value)}")
        return False

    def count(self, path: Sequence[Any], value: Any) -> bool:
        if value is None or is_count(value):
            return True
        self.add(path, f"{dotted(path)} 应为非负整数，现为{_shown(value)}")
        return False


def validate_report(item: Item, source: str | Mapping[str, int] | None = None) -> list[Problem]:
    """Returns the problems of a report item's ``report:`` block and of its six body sections.

    ``source`` is the item file's whole text, or the loader's map of dotted key paths to lines;
    with it each problem points at the line of the nested key, without it at ``report:``.
    Errors: a block that does not follow SPEC §7 (unknown key, negative or non-integer count,
    typed total, missing year) and any applicant column where 新收 + 上年结转 ≠ 办理结果总计 +
    结转下年度. Warnings: a year before the 2021 format, a missing, misplaced or repeated narrative
    section. Whether the block is present, and is a mapping, is the loader's check: an item that is
    not a 年度报告 or has no mapping under ``report:`` gets no problem here.
    """
    v = _Validator(item, source)
    report = item.meta.get("report")
    if item.category != ANNUAL_REPORT or not isinstance(report, dict):
        return []

    root = ("report",)
    for key in report:
        if str(key) not in REPORT_KEYS:
            v.unknown(root + (key,), list(REPORT_KEYS), aliases=KEY_ALIASES)

    year = report.get("year")
    if "year" not in report:
        v.add(root, "report 缺少 year（报告年度，如 2025）")
    elif isinstance(year, bool) or not isinstance(year, int) or not 2008 <= year <= 2100:
        v.add(root + ("year",), f"report.year 应为四位年份（如 2025），现为{_shown(year)}")
    elif year < FIRST_FORMAT_YEAR:
        v.add(
            root + ("year",),
            f"{year}年度报告早于{FORMAT_NAME}格式（适用于{FIRST_FORMAT_YEAR}年度起的报告），表格按新格式生成",
            WARNING,
        )

    if "aggregate" in report:
        units = report["aggregate"]
        if not isinstance(units, list) or not units or not all(isinstance(u, str) and u for u in units) or len(set(units)) != len(units):
            v.add(root + ("aggregate",), f"report.aggregate 应为所汇总的机构 id 列表(不重复),如 [xzf, fgj, jyj],现为{_shown(units)}")
        for key in FIGURE_KEYS:
            if key in report:
                v.add(root + (key,), f"report.{key}: 汇总报告的各项数字由 aggregate 所列机构同年度报告相加得出,不要填写")

    for key in ("licensing", "punishment", "enforcement"):
        if key in report:
            v.count(root + (key,), report[key])
    if "fees" in report and report["fees"] is not None and not is_amount(report["fees"]):
        v.add(root + ("fees",), f"report.fees 应为非负数（万元），现为{_shown(report['fees'])}")

    if "documents" in report and report["documents"] is not None:
        _validate_documents(v, root + ("documents",), report["documents"])
    if "requests" in report and report["requests"] is not None:
        _validate_requests(v, root + ("requests",), report["requests"])
    if "appeals" in report and report["appeals"] is not None:
        _validate_appeals(v, root + ("appeals",), report["appeals"])

    _validate_body(v, item)
    return sorted(v.problems)


def _validate_documents(v: _Validator, path: tuple, documents: Any) -> None:
    if not v.mapping(path, documents, "规章、行政规范性文件"):
        return
    rows = list(DOCUMENT_CATEGORIES)
    figures = [key for key, _ in DOCUMENT_FIGURES]
    for row, block in documents.items():
        if str(row) not in rows:
            v.unknown(path + (row,), rows)
            continue
        if block is None:
            continue
        if not v.mapping(path + (row,), block, "、".join(figures)):
            continue
        for key, value in block.items():
            if str(key) not in figures:
                v.unknown(path + (row, key), figures)
            else:
                v.count(path + (row, key), value)


_TOTAL_HINT = "总计由 gongkai 计算，不要填写"


def _validate_requests(v: _Validator, path: tuple, requests: Any) -> None:
    if not v.mapping(path, requests, "按申请人类型：" + "、".join(APPLICANTS)):
        return
    for column, block in requests.items():
        column_path = path + (column,)
        if str(column) == TOTAL:
            v.unknown(column_path, APPLICANTS, hint=_TOTAL_HINT)
            continue
        if str(column) == ORGANIZATIONS_LABEL:
            v.unknown(column_path, APPLICANTS, hint=f"请按{'、'.join(ORGANIZATIONS)}分别填写")
            continue
        if str(column) not in APPLICANTS:
            v.unknown(column_path, APPLICANTS)
            continue
        if block is None:
            continue
        if not v.mapping(column_path, block, "新收、上年结转、予以公开 等"):
            continue
        before = len(v.problems)
        for key, value in block.items():
            key_path = column_path + (key,)
            name = str(key)
            if name in (TOTAL, "办理结果总计", "（七）总计"):
                v.unknown(key_path, list(REQUEST_FIELDS), hint=_TOTAL_HINT)
            elif name not in REQUEST_FIELDS:
                v.unknown(key_path, list(REQUEST_FIELDS))
            elif REQUEST_FIELDS[name]:
                subkeys = REQUEST_FIELDS[name]
                if value is None:
                    continue
                if not isinstance(value, dict):
                    example = ", ".join(f"{k}: 0" for k in subkeys[:2])
                    v.add(key_path, f"{dotted(key_path)} 应按{len(subkeys)}个分项填写（如 {{{example}, …}}），现为{_shown(value)}")
                    continue
                for subkey, figure in value.items():
                    if str(subkey) in (TOTAL, "小计"):
                        v.unknown(key_path + (subkey,), subkeys, hint=_TOTAL_HINT)
                    elif str(subkey) not in subkeys:
                        v.unknown(key_path + (subkey,), subkeys)
                    else:
                        v.count(key_path + (subkey,), figure)
            else:
                v.count(key_path, value)
        if len(v.problems) == before:
            _check_identity(v, column_path, str(column), block)


def _check_identity(v: _Validator, path: tuple, column: str, block: Mapping) -> None:
    figures = column_figures(block)
    new, carried, carry_over = figures["新收"], figures["上年结转"], figures["结转下年度"]
    handled = sum(figures[r.key] for r in TABLE3_ROWS if r.is_result)
    if new + carried != handled + carry_over:
        v.add(
            path,
            f"{column}一栏数字不平衡：新收 {new} + 上年结转 {carried} = {new + carried}，"
            f"而办理结果总计 {handled} + 结转下年度 {carry_over} = {handled + carry_over}"
            f"（应满足 新收 + 上年结转 = 办理结果总计 + 结转下年度）",
        )


def _validate_appeals(v: _Validator, path: tuple, appeals: Any) -> None:
    kinds = [k.key for k in APPEAL_KINDS]
    if not v.mapping(path, appeals, "、".join(kinds)):
        return
    for kind, block in appeals.items():
        kind_path = path + (kind,)
        if str(kind) == LITIGATION_LABEL:
            v.unknown(kind_path, kinds, hint="行政诉讼请按 未经复议直接起诉、复议后起诉 分别填写")
            continue
        if str(kind) not in kinds:
            v.unknown(kind_path, kinds)
            continue
        if block is None:
            continue
        if not v.mapping(kind_path, block, "、".join(APPEAL_RESULTS)):
            continue
        for key, value in block.items():
            if str(key) == TOTAL:
                v.unknown(kind_path + (key,), APPEAL_RESULTS, hint=_TOTAL_HINT)
            elif str(key) not in APPEAL_RESULTS:
                v.unknown(kind_path + (key,), APPEAL_RESULTS)
            else:
                v.count(kind_path + (key,), value)


def _validate_body(v: _Validator, item: Item) -> None:
    body = split_report_body(item.body, item.body_line)
    for section in SECTIONS:
        if section.narrative and section.name not in body.sections:
            v.problems.append(
                Problem(
                    item.path,
                    item.body_line,
                    f"年度报告正文缺少“{section.title}”一节（以标题 ## {section.title} 开头）",
                    WARNING,
                )
            )
    order = [s.name for s in SECTIONS if s.name in body.lines]
    written = sorted(body.lines, key=lambda name: body.lines[name])
    if written != order:
        name = next(a for a, b in zip(written, order) if a != b)
        v.problems.append(
            Problem(
                item.path,
                body.lines[name],
                f"“{SECTION_BY_NAME[name].title}”的位置不对：正文各部分应按 一 至 六 的顺序，页面按规定顺序显示",
                WARNING,
            )
        )
    for name, line in body.duplicates:
        v.problems.append(
            Problem(item.path, line, f"“{SECTION_BY_NAME[name].title}”重复出现，内容并入第一处", WARNING)
        )
