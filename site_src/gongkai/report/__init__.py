"""政府信息公开工作年度报告 in the format of 国办公开办函〔2021〕30号: labels, checks, tables, HTML.

One table of official labels (``SECTIONS``, ``TABLE2``, ``TABLE3_ROWS``, ``APPEAL_KINDS`` …) is
read by the validator, the HTML tables, the charts, the .xlsx writer and the docs. Every total is
computed here; an editor types only the figures nobody can derive (SPEC §7).
"""
from __future__ import annotations

import bisect
import difflib
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from html import escape
from typing import Any, Callable, Iterable, Mapping, Sequence

import yaml

from gongkai.errors import ERROR, WARNING, Problem
from gongkai.model import Item, Settings

REPORT_CATEGORY = "年度报告"
FORMAT_NAME = "国办公开办函〔2021〕30号"
FIRST_FORMAT_YEAR = 2021  # reports for earlier years used the 2019 format (国办公开办函〔2019〕60号)
DEADLINE = (1, 31)  # 条例第四十九条: 每年1月31日前公布上一年度报告

# ---------------------------------------------------------------------------------------------
# The official labels: the one source of truth
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    number: str  # 一 … 六
    name: str  # 总体情况
    narrative: bool  # written by the editor in the body; otherwise a generated table

    @property
    def title(self) -> str:
        return f"{self.number}、{self.name}"


SECTIONS: tuple[Section, ...] = (
    Section("一", "总体情况", True),
    Section("二", "主动公开政府信息情况", False),
    Section("三", "收到和处理政府信息公开申请情况", False),
    Section("四", "政府信息公开行政复议、行政诉讼情况", False),
    Section("五", "存在的主要问题及改进情况", True),
    Section("六", "其他需要报告的事项", True),
)
SECTION_BY_NAME = {s.name: s for s in SECTIONS}

# --- table 二: 主动公开政府信息情况 ------------------------------------------------------------

CONTENT_LABEL = "信息内容"


@dataclass(frozen=True)
class DisclosureRow:
    key: str  # key in ReportTables.disclosure (and, for 五/六/八, in the report: block)
    label: str


@dataclass(frozen=True)
class DisclosureBlock:
    article: str  # 第二十条第（一）项
    columns: tuple[str, ...]  # figure columns after 信息内容
    rows: tuple[DisclosureRow, ...]


# (key in report.documents, column label)
DOCUMENT_FIGURES: tuple[tuple[str, str], ...] = (
    ("本年制发", "本年制发件数"),
    ("本年废止", "本年废止件数"),
    ("现行有效", "现行有效件数"),
)
# table 二 row → catalog category (SPEC §4) whose items it counts
DOCUMENT_CATEGORIES = {"规章": "规章", "行政规范性文件": "规范性文件"}

TABLE2: tuple[DisclosureBlock, ...] = (
    DisclosureBlock(
        "第二十条第（一）项",
        tuple(label for _, label in DOCUMENT_FIGURES),
        (DisclosureRow("规章", "规章"), DisclosureRow("行政规范性文件", "行政规范性文件")),
    ),
    DisclosureBlock("第二十条第（五）项", ("本年处理决定数量",), (DisclosureRow("licensing", "行政许可"),)),
    DisclosureBlock(
        "第二十条第（六）项",
        ("本年处理决定数量",),
        (DisclosureRow("punishment", "行政处罚"), DisclosureRow("enforcement", "行政强制")),
    ),
    DisclosureBlock("第二十条第（八）项", ("本年收费金额（单位：万元）",), (DisclosureRow("fees", "行政事业性收费"),)),
)
TABLE2_WIDTH = 1 + max(len(b.columns) for b in TABLE2)

# --- table 三: 收到和处理政府信息公开申请情况 ------------------------------------------------------

IDENTITY_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANTS_LABEL = "申请人情况"
ORGANIZATIONS_LABEL = "法人或其他组织"
TOTAL = "总计"
# the applicant columns: the first is 自然人, the others sit under 法人或其他组织
APPLICANTS: tuple[str, ...] = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
ORGANIZATIONS = APPLICANTS[1:]
COLUMNS = APPLICANTS + (TOTAL,)

RESULTS_LABEL = "三、本年度办理结果"


@dataclass(frozen=True)
class RequestRow:
    key: str  # path under a column of report.requests, dotted: "不予公开.属于国家秘密"
    labels: tuple[str, ...]  # official labels from the outermost: ("三、本年度办理结果", "（三）不予公开", "1.属于国家秘密")
    computed: bool = False  # a total: never typed

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.key.split("."))

    @property
    def label(self) -> str:
        return self.labels[-1]

    @property
    def is_result(self) -> bool:
        return self.labels[0] == RESULTS_LABEL and not self.computed


_R = RESULTS_LABEL
TABLE3_ROWS: tuple[RequestRow, ...] = (
    RequestRow("新收", ("一、本年新收政府信息公开申请数量",)),
    RequestRow("上年结转", ("二、上年结转政府信息公开申请数量",)),
    RequestRow("予以公开", (_R, "（一）予以公开")),
    RequestRow("部分公开", (_R, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")),
    RequestRow("不予公开.属于国家秘密", (_R, "（三）不予公开", "1.属于国家秘密")),
    RequestRow("不予公开.其他法律行政法规禁止公开", (_R, "（三）不予公开", "2.其他法律行政法规禁止公开")),
    RequestRow("不予公开.危及三安全一稳定", (_R, "（三）不予公开", "3.危及“三安全一稳定”")),
    RequestRow("不予公开.保护第三方合法权益", (_R, "（三）不予公开", "4.保护第三方合法权益")),
    RequestRow("不予公开.属于三类内部事务信息", (_R, "（三）不予公开", "5.属于三类内部事务信息")),
    RequestRow("不予公开.属于四类过程性信息", (_R, "（三）不予公开", "6.属于四类过程性信息")),
    RequestRow("不予公开.属于行政执法案卷", (_R, "（三）不予公开", "7.属于行政执法案卷")),
    RequestRow("不予公开.属于行政查询事项", (_R, "（三）不予公开", "8.属于行政查询事项")),
    RequestRow("无法提供.本机关不掌握相关政府信息", (_R, "（四）无法提供", "1.本机关不掌握相关政府信息")),
    RequestRow("无法提供.没有现成信息需要另行制作", (_R, "（四）无法提供", "2.没有现成信息需要另行制作")),
    RequestRow("无法提供.补正后申请内容仍不明确", (_R, "（四）无法提供", "3.补正后申请内容仍不明确")),
    RequestRow("不予处理.信访举报投诉类申请", (_R, "（五）不予处理", "1.信访举报投诉类申请")),
    RequestRow("不予处理.重复申请", (_R, "（五）不予处理", "2.重复申请")),
    RequestRow("不予处理.要求提供公开出版物", (_R, "（五）不予处理", "3.要求提供公开出版物")),
    RequestRow("不予处理.无正当理由大量反复申请", (_R, "（五）不予处理", "4.无正当理由大量反复申请")),
    RequestRow("不予处理.要求行政机关确认或重新出具已获取信息", (_R, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息")),
    RequestRow(
        "其他处理.申请人无正当理由逾期不补正",
        (_R, "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ),
    RequestRow(
        "其他处理.申请人逾期未按收费通知要求缴纳费用",
        (_R, "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ),
    RequestRow("其他处理.其他", (_R, "（六）其他处理", "3.其他")),
    RequestRow("办理结果总计", (_R, "（七）总计"), computed=True),
    RequestRow("结转下年度", ("四、结转下年度继续办理",)),
)
TABLE3_DEPTH = max(len(r.labels) for r in TABLE3_ROWS)
ROW_BY_KEY = {r.key: r for r in TABLE3_ROWS}

# the keys an editor writes under one applicant column, in order; a group maps to its sub-keys
REQUEST_FIELDS: dict[str, tuple[str, ...]] = {}
for _row in TABLE3_ROWS:
    if not _row.computed:
        REQUEST_FIELDS.setdefault(_row.path[0], ())
        if len(_row.path) == 2:
            REQUEST_FIELDS[_row.path[0]] += (_row.path[1],)
del _row
# result groups (予以公开 … 其他处理) with their official labels, for charts and narrative checks
RESULT_GROUPS: tuple[tuple[str, str], ...] = tuple(
    dict.fromkeys((r.path[0], r.labels[1]) for r in TABLE3_ROWS if r.is_result)
)

# --- table 四: 政府信息公开行政复议、行政诉讼情况 ---------------------------------------------------


@dataclass(frozen=True)
class AppealKind:
    labels: tuple[str, ...]  # ("行政复议",) or ("行政诉讼", "未经复议直接起诉")

    @property
    def key(self) -> str:
        return self.labels[-1]


REVIEW_LABEL = "行政复议"
LITIGATION_LABEL = "行政诉讼"
APPEAL_KINDS: tuple[AppealKind, ...] = (
    AppealKind((REVIEW_LABEL,)),
    AppealKind((LITIGATION_LABEL, "未经复议直接起诉")),
    AppealKind((LITIGATION_LABEL, "复议后起诉")),
)
APPEAL_RESULTS: tuple[str, ...] = ("结果维持", "结果纠正", "其他结果", "尚未审结")
APPEAL_COLUMNS = APPEAL_RESULTS + (TOTAL,)

# --- the report: block (SPEC §7) ---------------------------------------------------------------

REPORT_KEYS: dict[str, str] = {
    "year": "报告年度",
    "licensing": "行政许可 本年处理决定数量",
    "punishment": "行政处罚 本年处理决定数量",
    "enforcement": "行政强制 本年处理决定数量",
    "fees": "行政事业性收费 本年收费金额（万元）",
    "documents": "规章、行政规范性文件件数（可选，仅用于与目录核对）",
    "requests": "收到和处理政府信息公开申请情况（按申请人类型）",
    "appeals": "政府信息公开行政复议、行政诉讼情况",
}
# what an editor may write instead of a key: only used to suggest the right key
_KEY_ALIASES: dict[str, str] = {
    "年度": "year", "年份": "year", "报告年度": "year",
    "行政许可": "licensing", "许可": "licensing",
    "行政处罚": "punishment", "处罚": "punishment",
    "行政强制": "enforcement", "强制": "enforcement",
    "行政事业性收费": "fees", "收费": "fees", "收费金额": "fees", "fee": "fees",
    "规章": "documents", "规范性文件": "documents", "行政规范性文件": "documents", "文件": "documents",
    "申请": "requests", "依申请公开": "requests", "申请情况": "requests", "request": "requests",
    "复议": "appeals", "诉讼": "appeals", "行政复议": "appeals", "行政诉讼": "appeals", "appeal": "appeals",
}


def official_text_lines() -> list[str]:
    """Returns every label of the format in reading order: section titles and table header cells."""
    lines: list[str] = []
    grids = {g.section.name: g for g in report_grids(None)}
    for section in SECTIONS:
        lines.append(section.title)
        grid = grids.get(section.name)
        if grid:
            lines.extend(cell.text for row in grid.rows for cell in row if cell.header)
    return lines


# ---------------------------------------------------------------------------------------------
# Front-matter line numbers of nested keys
# ---------------------------------------------------------------------------------------------


def front_matter_lines(source: str) -> dict[tuple[str, ...], int]:
    """Returns the file line of every mapping key of the front-matter, by key path.

    ``source`` is the item file's whole text (front-matter between ``---`` lines, then the body),
    or the front-matter YAML alone. Keys are ``str()`` of the YAML scalars.
    """
    text = source.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is None:
            return {}
        yaml_text, offset = "\n".join(lines[1:end]), 2
    else:
        yaml_text, offset = text, 1
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


class _Lines:
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


def _dotted(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path)


# ---------------------------------------------------------------------------------------------
# The body: 一…六 as Markdown headings
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportBody:
    """The body split at the six section headings."""

    preface: str  # text before the first section heading (编制依据, 统计期限, 联系方式 …)
    sections: dict[str, str]  # Section.name → Markdown under its heading (heading removed)
    lines: dict[str, int]  # Section.name → file line of its heading
    duplicates: tuple[tuple[str, int], ...] = ()  # (Section.name, line) of repeated headings

    def get(self, name: str) -> str:
        return self.sections.get(name, "")


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NUMBER_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+|\d+)\s*[、.．,，:：]?\s*")


def _section_of_heading(text: str, *, strict: bool) -> Section | None:
    plain = re.sub(r"[*_`\s]", "", text)
    plain = plain.replace("（", "(").replace("）", ")")
    for section in SECTIONS:
        if plain == section.title.replace("（", "(").replace("）", ")"):
            return section
    if strict:
        return None
    name = _NUMBER_PREFIX.sub("", plain)
    return SECTION_BY_NAME.get(name)


def split_report_body(body: str, body_line: int = 1) -> ReportBody:
    """Returns the body split into the preface and the six sections.

    A section starts at a Markdown heading of any level whose text is the section's title, with
    or without its number (``## 一、总体情况``, ``# 总体情况``), or at a line holding nothing but the
    numbered title (``一、总体情况`` or ``**一、总体情况**``, as pasted from a Word file). Headings
    inside fenced code never count.
    """
    preface: list[str] = []
    sections: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []
    current: list[str] = preface
    fence: str | None = None
    for number, line in enumerate(body.split("\n")):
        found: Section | None = None
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
        elif fence_match:
            fence = fence_match.group(1)
        else:
            atx = _ATX.match(line)
            if atx:
                found = _section_of_heading(atx.group(2), strict=False)
            elif line.strip():
                found = _section_of_heading(line, strict=True)
        if found is None:
            current.append(line)
            continue
        if found.name in sections:
            duplicates.append((found.name, body_line + number))
        else:
            sections[found.name] = []
            lines[found.name] = body_line + number
        current = sections[found.name]
    return ReportBody(
        preface="\n".join(preface).strip("\n"),
        sections={name: "\n".join(text).strip("\n") for name, text in sections.items()},
        lines=lines,
        duplicates=tuple(duplicates),
    )


# ---------------------------------------------------------------------------------------------
# validate_report: the schema of report: and the identity of table 三
# ---------------------------------------------------------------------------------------------


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


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_amount(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


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
        self.line = _Lines(item, source)
        self.problems: list[Problem] = []

    def add(self, path: Sequence[Any], message: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(self.item.path, self.line(path), message, severity))

    def unknown(self, path: Sequence[Any], allowed: Sequence[str], hint: str = "", aliases=None) -> None:
        key = path[-1]
        message = f"{_dotted(path)}: 未知的键“{key}”"
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
        self.add(path, f"{_dotted(path)} 应为映射（{what}），现为{_shown(value)}")
        return False

    def count(self, path: Sequence[Any], value: Any) -> bool:
        if value is None or _is_count(value):
            return True
        self.add(path, f"{_dotted(path)} 应为非负整数，现为{_shown(value)}")
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
    if item.category != REPORT_CATEGORY or not isinstance(report, dict):
        return []

    root = ("report",)
    for key in report:
        if str(key) not in REPORT_KEYS:
            v.unknown(root + (key,), list(REPORT_KEYS), aliases=_KEY_ALIASES)

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

    for key in ("licensing", "punishment", "enforcement"):
        if key in report:
            v.count(root + (key,), report[key])
    if "fees" in report and report["fees"] is not None and not _is_amount(report["fees"]):
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
                    v.add(key_path, f"{_dotted(key_path)} 应按{len(subkeys)}个分项填写（如 {{{example}, …}}），现为{_shown(value)}")
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
    figures = _column_figures(block)
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
    written = sorted(body.lines, key=body.lines.get)
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


# ---------------------------------------------------------------------------------------------
# annual_report_tables: the computed tables 二, 三, 四 and the cross-checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportTables:
    """The figures of tables 二, 三 and 四, every total computed, with the warnings found."""

    year: int
    unit: str
    # table 二: DisclosureRow.key → figures in the order of its block's columns
    disclosure: dict[str, tuple[int | float, ...]]
    # table 三: RequestRow.key → column (APPLICANTS + 总计) → figure
    requests: dict[str, dict[str, int]]
    # table 四: AppealKind.key → APPEAL_COLUMNS → figure
    appeals: dict[str, dict[str, int]]
    problems: tuple[Problem, ...] = ()

    def request(self, row: str, column: str = TOTAL) -> int:
        """Returns one cell of table 三; ``row`` may also be a group (不予公开 …): its sum."""
        if row in self.requests:
            return self.requests[row][column]
        return sum(cells[column] for key, cells in self.requests.items() if key.startswith(row + "."))

    def litigation(self, column: str = TOTAL) -> int:
        """Returns 行政诉讼 (both kinds) for one column of table 四."""
        return sum(self.appeals[k.key][column] for k in APPEAL_KINDS if k.labels[0] == LITIGATION_LABEL)


def _report_block(item: Item) -> Mapping:
    report = item.meta.get("report")
    return report if isinstance(report, dict) else {}


def _count(value: Any) -> int:
    return value if _is_count(value) else 0


def _amount(value: Any) -> int | float:
    return value if _is_amount(value) else 0


def _column_figures(block: Any) -> dict[str, int]:
    """Returns one applicant column of table 三 from its report.requests block (missing = 0)."""
    block = block if isinstance(block, dict) else {}
    figures: dict[str, int] = {}
    for row in TABLE3_ROWS:
        if row.computed:
            continue
        value: Any = block
        for part in row.path:
            value = value.get(part) if isinstance(value, dict) else None
        figures[row.key] = _count(value)
    figures["办理结果总计"] = sum(figures[r.key] for r in TABLE3_ROWS if r.is_result)
    return figures


def _requests_table(report: Mapping) -> dict[str, dict[str, int]]:
    requests = report.get("requests")
    requests = requests if isinstance(requests, dict) else {}
    columns = {column: _column_figures(requests.get(column)) for column in APPLICANTS}
    table = {row.key: {column: columns[column][row.key] for column in APPLICANTS} for row in TABLE3_ROWS}
    for cells in table.values():
        cells[TOTAL] = sum(cells[column] for column in APPLICANTS)
    return table


def _appeals_table(report: Mapping) -> dict[str, dict[str, int]]:
    appeals = report.get("appeals")
    appeals = appeals if isinstance(appeals, dict) else {}
    table = {}
    for kind in APPEAL_KINDS:
        block = appeals.get(kind.key)
        block = block if isinstance(block, dict) else {}
        cells = {result: _count(block.get(result)) for result in APPEAL_RESULTS}
        cells[TOTAL] = sum(cells.values())
        table[kind.key] = cells
    return table


def report_year(item: Item) -> int | None:
    """Returns the year a report item reports on, or None when its block has no valid year."""
    year = _report_block(item).get("year")
    return year if isinstance(year, int) and not isinstance(year, bool) and 2008 <= year <= 2100 else None


def _iso_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def document_counts(catalog_items: Iterable[Item], unit: str, year: int) -> dict[str, tuple[int, int, int]]:
    """Returns 本年制发, 本年废止, 现行有效 for 规章 and 行政规范性文件 of one unit from the catalog.

    制发: ``created`` in the year. 废止: ``validity`` 失效 or 废止 with ``repealed_on`` in the year.
    现行有效: in force on 31 December of the year — created by then and either still 有效 or
    repealed only after that day (so a report rebuilt later keeps its figures).
    """
    year_end = date(year, 12, 31) if year else date.max
    counts = {row: [0, 0, 0] for row in DOCUMENT_CATEGORIES}
    by_category = {category: row for row, category in DOCUMENT_CATEGORIES.items()}
    for item in catalog_items:
        row = by_category.get(item.category)
        if row is None or item.unit != unit:
            continue
        created = _iso_date(item.meta.get("created"))
        if created is None:
            continue
        repealed = _iso_date(item.meta.get("repealed_on")) if item.validity != "有效" else None
        if created.year == year:
            counts[row][0] += 1
        if repealed is not None and repealed.year == year:
            counts[row][1] += 1
        in_force = item.validity == "有效" or (repealed is not None and repealed > year_end)
        if created <= year_end and in_force:
            counts[row][2] += 1
    return {row: tuple(figures) for row, figures in counts.items()}  # type: ignore[misc]


def previous_report(item: Item, report_items: Iterable[Item]) -> Item | None:
    """Returns the same unit's report for the year before ``item``'s, if the portal has one."""
    year = report_year(item)
    if year is None:
        return None
    for other in report_items:
        if other is not item and other.unit == item.unit and report_year(other) == year - 1:
            return other
    return None


def annual_report_tables(
    item: Item,
    catalog_items: Iterable[Item],
    previous: Item | ReportTables | None = None,
    *,
    source: str | Mapping[str, int] | None = None,
) -> ReportTables:
    """Returns tables 二, 三 and 四 of a report item, every total computed, with its warnings.

    ``catalog_items`` are the published items of the portal (any unit, any category): table 二
    counts the 规章 and 规范性文件 of the report's unit. ``previous`` is the same unit's report for
    the year before (an item or its tables), compared column by column: 上年结转 against its
    结转下年度. ``source`` (the file text or the loader's dotted key → line map, as for
    ``validate_report``) lets warnings point at nested keys. Invalid figures count
    as 0 here: ``validate_report`` reports them.
    """
    report = _report_block(item)
    year = report_year(item) or 0
    line = _Lines(item, source)
    problems: list[Problem] = []

    disclosure: dict[str, tuple[int | float, ...]] = {}
    catalog = document_counts(catalog_items, item.unit, year)
    declared = report.get("documents") if isinstance(report.get("documents"), dict) else {}
    for row, figures in catalog.items():
        disclosure[row] = figures
        block = declared.get(row) if isinstance(declared.get(row), dict) else {}
        for (key, label), computed in zip(DOCUMENT_FIGURES, figures):
            typed = block.get(key)
            if _is_count(typed) and typed != computed:
                path = ("report", "documents", row, key)
                problems.append(
                    Problem(
                        item.path,
                        line(path),
                        f"{_dotted(path)}: 填报{row}{label} {typed} 件，但信息公开目录中为 {computed} 件；"
                        f"报告表格采用目录数字 {computed}",
                        WARNING,
                    )
                )
    for key in ("licensing", "punishment", "enforcement"):
        disclosure[key] = (_count(report.get(key)),)
    disclosure["fees"] = (_amount(report.get("fees")),)

    tables = ReportTables(
        year=year,
        unit=item.unit,
        disclosure=disclosure,
        requests=_requests_table(report),
        appeals=_appeals_table(report),
    )
    if previous is not None:
        problems += _carry_over_problems(item, tables, previous, line)
    problems += narrative_problems(item, tables)
    return replace(tables, problems=tuple(sorted(problems)))


def _carry_over_problems(item: Item, tables: ReportTables, previous: Item | ReportTables, line) -> list[Problem]:
    if isinstance(previous, ReportTables):
        prev_year, prev_unit, prev_table = previous.year, previous.unit, previous.requests
    else:
        prev_year, prev_unit = report_year(previous) or 0, previous.unit
        prev_table = _requests_table(_report_block(previous))
    if prev_unit != tables.unit or prev_year != tables.year - 1:
        return []
    problems = []
    for column in APPLICANTS:
        carried = tables.requests["上年结转"][column]
        expected = prev_table["结转下年度"][column]
        if carried != expected:
            path = ("report", "requests", column, "上年结转")
            problems.append(
                Problem(
                    item.path,
                    line(path),
                    f"{column}一栏上年结转 {carried} 件，与{prev_year}年度报告的结转下年度 {expected} 件不一致",
                    WARNING,
                )
            )
    return problems


# --- narrative figures -------------------------------------------------------------------------

_STOP = r"\d。；;，,、和及与！？!?\n"


def _gap(most: int) -> str:
    # a short stretch inside one clause that names no other count and no appeal
    return rf"(?:(?!复议|诉讼|起诉)[^{_STOP}]){{0,{most}}}?"


# a count: digits, or Chinese numerals (never with 起: "一起" also means "together")
_COUNT = r"(?:(\d+)\s*(?:件|起|例|宗)|([〇零一二两三四五六七八九十百千]+)(?:件|例|宗))"
_NEGATION = r"(?:未(?!经)|没有|无(?![法正]))"


@dataclass(frozen=True)
class _NarrativeFigure:
    label: str  # how the warning names the figure
    where: str  # the table cell, for the warning
    value: Callable[[ReportTables], int | float]
    patterns: tuple[re.Pattern, ...]  # ending in _COUNT: group 1 or 2 is the number
    zero_patterns: tuple[re.Pattern, ...] = ()  # a negated mention: the figure is 0


def _rx(*parts: str) -> re.Pattern:
    return re.compile("".join(parts))


NARRATIVE_FIGURES: tuple[_NarrativeFigure, ...] = (
    _NarrativeFigure(
        "本年新收政府信息公开申请", "表三“一、本年新收政府信息公开申请数量”总计",
        lambda t: t.request("新收"),
        (_rx(r"(?:收到|新收|受理|接收)", _gap(12), r"申请", _gap(6), _COUNT),),
        (_rx(_NEGATION, r"(?:收到|受理|接收)", _gap(12), r"申请(?!人)"),),
    ),
    _NarrativeFigure(
        "上年结转政府信息公开申请", "表三“二、上年结转政府信息公开申请数量”总计",
        lambda t: t.request("上年结转"),
        (_rx(r"上一?年度?结转", _gap(12), _COUNT),),
    ),
    _NarrativeFigure(
        "予以公开", "表三“（一）予以公开”总计", lambda t: t.request("予以公开"),
        (_rx(r"予以公开", _gap(4), _COUNT),),
    ),
    _NarrativeFigure(
        "部分公开", "表三“（二）部分公开”总计", lambda t: t.request("部分公开"),
        (_rx(r"部分公开", _gap(4), _COUNT),),
    ),
    _NarrativeFigure(
        "不予公开", "表三“（三）不予公开”各项之和", lambda t: t.request("不予公开"),
        (_rx(r"不予公开", _gap(4), _COUNT),),
    ),
    _NarrativeFigure(
        "无法提供", "表三“（四）无法提供”各项之和", lambda t: t.request("无法提供"),
        (_rx(r"无法提供", _gap(4), _COUNT),),
    ),
    _NarrativeFigure(
        "不予处理", "表三“（五）不予处理”各项之和", lambda t: t.request("不予处理"),
        (_rx(r"不予处理", _gap(4), _COUNT),),
    ),
    _NarrativeFigure(
        "其他处理", "表三“（六）其他处理”各项之和", lambda t: t.request("其他处理"),
        (_rx(r"其他处理", _gap(4), _COUNT),),
    ),
    _NarrativeFigure(
        "办结", "表三“（七）总计”", lambda t: t.request("办理结果总计"),
        (_rx(r"办结", _gap(4), _COUNT),),
    ),
    _NarrativeFigure(
        "结转下年度", "表三“四、结转下年度继续办理”总计", lambda t: t.request("结转下年度"),
        (_rx(r"结转(?:至|到)?下一?年度?", _gap(8), _COUNT),),
    ),
    _NarrativeFigure(
        "行政复议", "表四 行政复议 总计", lambda t: t.appeals[REVIEW_LABEL][TOTAL],
        (_rx(r"行政复议(?!后)", _gap(6), _COUNT),),
        (_rx(_NEGATION, r"[^。；;，,！？!?\n\d]{0,16}?行政复议"),),
    ),
    _NarrativeFigure(
        "行政诉讼", "表四 行政诉讼 两项总计之和", lambda t: t.litigation(TOTAL),
        (_rx(r"行政诉讼", _gap(6), _COUNT),),
        (_rx(_NEGATION, r"[^。；;，,！？!?\n\d]{0,16}?行政诉讼"),),
    ),
    _NarrativeFigure(
        "行政许可", "表二 行政许可 本年处理决定数量", lambda t: t.disclosure["licensing"][0],
        (_rx(r"行政许可", _gap(8), _COUNT),),
    ),
    _NarrativeFigure(
        "行政处罚", "表二 行政处罚 本年处理决定数量", lambda t: t.disclosure["punishment"][0],
        (_rx(r"行政处罚", _gap(8), _COUNT),),
    ),
    _NarrativeFigure(
        "行政强制", "表二 行政强制 本年处理决定数量", lambda t: t.disclosure["enforcement"][0],
        (_rx(r"行政强制", _gap(8), _COUNT),),
    ),
)

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    total = current = 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        else:
            total += (current or 1) * _CN_UNITS[char]
            current = 0
    return total + current


def _fmt(value: int | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def narrative_problems(item: Item, tables: ReportTables) -> list[Problem]:
    """Returns a warning for each figure the body writes next to a row label that the tables contradict.

    "本年度共收到政府信息公开申请26件", "上年结转0件", "予以公开20件", "行政复议1件",
    "未发生行政诉讼" (= 0) … are compared with the totals of tables 二, 三 and 四.
    """
    problems: list[Problem] = []
    body = item.body
    clause_ends = [m.start() for m in re.finditer(r"[。；;！？!?\n]", body)]

    def line_at(offset: int) -> int:
        return item.body_line + body.count("\n", 0, offset)

    for figure in NARRATIVE_FIGURES:
        expected = figure.value(tables)
        numbered_clauses: set[int] = set()
        for pattern in figure.patterns:
            for match in pattern.finditer(body):
                numbered_clauses.add(_clause_of(match.start(), clause_ends))
                if _is_breakdown(body, match.start()):
                    continue
                written = _number(match.group(1) or match.group(2))
                if written != expected:
                    problems.append(
                        Problem(
                            item.path,
                            line_at(match.start()),
                            f"正文写“{match.group(0).strip()}”（{figure.label} {written} 件），"
                            f"但{figure.where}为 {_fmt(expected)} 件",
                            WARNING,
                        )
                    )
        if expected == 0:
            continue
        for pattern in figure.zero_patterns:
            for match in pattern.finditer(body):
                if _clause_of(match.start(), clause_ends) in numbered_clauses:
                    continue
                problems.append(
                    Problem(
                        item.path,
                        line_at(match.start()),
                        f"正文写“{match.group(0).strip()}”（{figure.label} 0 件），但{figure.where}为 {_fmt(expected)} 件",
                        WARNING,
                    )
                )
    return problems


def _is_breakdown(body: str, offset: int) -> bool:
    # "共收到申请24件，其中网上申请11件": a part of the total, not the figure of the row
    start = max(body.rfind(ch, 0, offset) for ch in "。；;！？!?\n，,：:")
    return "其中" in body[start + 1 : offset]


def _clause_of(offset: int, clause_ends: list[int]) -> int:
    return bisect.bisect_left(clause_ends, offset)


# ---------------------------------------------------------------------------------------------
# The tables as grids: one layout read by the HTML, the .xlsx and official_text_lines()
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    header: bool = True  # th (a label) or td (a figure)
    rowspan: int = 1
    colspan: int = 1
    scope: str = ""  # col | colgroup | row | rowgroup, for th
    value: int | float | None = None  # the figure of a td
    total: bool = False  # a computed total


@dataclass(frozen=True)
class Grid:
    section: Section
    caption: str
    width: int
    head: tuple[tuple[Cell, ...], ...]
    bodies: tuple[tuple[tuple[Cell, ...], ...], ...]

    @property
    def rows(self) -> tuple[tuple[Cell, ...], ...]:
        return self.head + tuple(row for body in self.bodies for row in body)


def _figure(value: int | float | None, **kwargs: Any) -> Cell:
    return Cell(_fmt(value), header=False, value=value, **kwargs)


def table2_grid(tables: ReportTables | None) -> Grid:
    """Returns table 二 laid out as the format does: one block per 第二十条 item."""
    bodies = []
    for block in TABLE2:
        rows: list[tuple[Cell, ...]] = [(Cell(block.article, colspan=TABLE2_WIDTH, scope="colgroup"),)]
        spread = len(block.columns) == TABLE2_WIDTH - 1
        span = 1 if spread else TABLE2_WIDTH - 1
        rows.append(
            (Cell(CONTENT_LABEL, scope="col"),) + tuple(Cell(c, colspan=span, scope="col") for c in block.columns)
        )
        for row in block.rows:
            figures = tables.disclosure[row.key] if tables else (None,) * len(block.columns)
            rows.append((Cell(row.label, scope="row"),) + tuple(_figure(f, colspan=span) for f in figures))
        bodies.append(tuple(rows))
    return Grid(SECTIONS[1], SECTIONS[1].name, TABLE2_WIDTH, (), tuple(bodies))


def table3_grid(tables: ReportTables | None) -> Grid:
    """Returns table 三 with the format's merged headers and row groups."""
    label_width = TABLE3_DEPTH
    head = (
        (
            Cell(IDENTITY_NOTE, rowspan=3, colspan=label_width, scope="col"),
            Cell(APPLICANTS_LABEL, colspan=len(COLUMNS), scope="colgroup"),
        ),
        (
            Cell(APPLICANTS[0], rowspan=2, scope="col"),
            Cell(ORGANIZATIONS_LABEL, colspan=len(ORGANIZATIONS), scope="colgroup"),
            Cell(TOTAL, rowspan=2, scope="col"),
        ),
        tuple(Cell(c, scope="col") for c in ORGANIZATIONS),
    )
    rows = []
    for index, row in enumerate(TABLE3_ROWS):
        cells: list[Cell] = []
        previous = TABLE3_ROWS[index - 1].labels if index else ()
        for level, label in enumerate(row.labels):
            if level < len(row.labels) - 1:
                prefix = row.labels[: level + 1]
                if previous[: level + 1] == prefix:
                    continue  # covered by the rowspan of the group's first row
                span = 0
                for later in TABLE3_ROWS[index:]:
                    if later.labels[: level + 1] != prefix:
                        break
                    span += 1
                cells.append(Cell(label, rowspan=span, scope="rowgroup"))
            else:
                cells.append(Cell(label, colspan=label_width - level, scope="row"))
        for column in COLUMNS:
            value = tables.requests[row.key][column] if tables else None
            cells.append(_figure(value, total=row.computed or column == TOTAL))
        rows.append(tuple(cells))
    return Grid(SECTIONS[2], SECTIONS[2].name, label_width + len(COLUMNS), head, (tuple(rows),))


def table4_grid(tables: ReportTables | None) -> Grid:
    """Returns table 四: 行政复议, then 行政诉讼 split into its two kinds, each with five columns."""
    width = len(APPEAL_KINDS) * len(APPEAL_COLUMNS)
    depth = max(len(k.labels) for k in APPEAL_KINDS) + 1
    head: list[list[Cell]] = [[] for _ in range(depth)]
    seen: set[tuple[str, ...]] = set()
    for kind in APPEAL_KINDS:
        for level, label in enumerate(kind.labels):
            prefix = kind.labels[: level + 1]
            if prefix in seen:
                continue
            seen.add(prefix)
            kinds = [k for k in APPEAL_KINDS if k.labels[: level + 1] == prefix]
            head[level].append(Cell(label, colspan=len(kinds) * len(APPEAL_COLUMNS), scope="colgroup"))
        result_level = len(kind.labels)
        for column in APPEAL_COLUMNS:
            head[result_level].append(Cell(column, rowspan=depth - result_level, scope="col"))
    figures = []
    for kind in APPEAL_KINDS:
        for column in APPEAL_COLUMNS:
            figures.append(_figure(tables.appeals[kind.key][column] if tables else None, total=column == TOTAL))
    return Grid(
        SECTIONS[3], SECTIONS[3].name, width, tuple(tuple(r) for r in head if r), ((tuple(figures),),)
    )


def report_grids(tables: ReportTables | None) -> tuple[Grid, Grid, Grid]:
    """Returns the grids of tables 二, 三 and 四 (labels only when ``tables`` is None)."""
    return table2_grid(tables), table3_grid(tables), table4_grid(tables)


def grid_positions(rows: Sequence[Sequence[Cell]]) -> list[tuple[int, int, Cell]]:
    """Returns (row, column, cell) for each cell, placed as an HTML table places spanning cells."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    return placed


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


def _cell_html(cell: Cell) -> str:
    tag = "th" if cell.header else "td"
    attrs = ""
    if cell.header and cell.scope:
        attrs += f' scope="{cell.scope}"'
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    if cell.total:
        attrs += ' class="gk-total"'
    return f"<{tag}{attrs}>{escape(cell.text)}</{tag}>"


def grid_html(grid: Grid, css: str) -> str:
    """Returns one table as HTML without blank lines (a single raw-HTML block in Markdown)."""
    out = ['<div class="gk-report-table-wrap">', f'<table class="gk-report-table {css}">']
    out.append(f'<caption class="gk-report-caption">{escape(grid.caption)}</caption>')
    if grid.head:
        out.append("<thead>")
        out += ["<tr>" + "".join(_cell_html(c) for c in row) + "</tr>" for row in grid.head]
        out.append("</thead>")
    for body in grid.bodies:
        out.append("<tbody>")
        out += ["<tr>" + "".join(_cell_html(c) for c in row) + "</tr>" for row in body]
        out.append("</tbody>")
    out += ["</table>", "</div>"]
    return "\n".join(out)


def bar_chart_svg(chart_id: str, title: str, bars: Sequence[tuple[str, int]], unit: str = "件") -> str:
    """Returns a horizontal bar chart as inline SVG (no script, no external resource)."""
    width, label_width, gap, row_height, bar_height = 640, 120, 10, 30, 18
    value_room = 110
    top = 10
    height = top * 2 + row_height * len(bars)
    largest = max((v for _, v in bars), default=0) or 1
    total = sum(v for _, v in bars)
    scale = (width - label_width - gap - value_room) / largest
    desc = "；".join(f"{label} {value} {unit}" for label, value in bars)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gk-chart" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="14">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for index, (label, value) in enumerate(bars):
        y = top + index * row_height
        middle = y + row_height / 2
        bar = round(value * scale, 1)
        share = f"{value / total:.0%}" if total else "0%"
        out.append(
            f'<text class="gk-chart-label" x="{label_width}" y="{middle:g}" text-anchor="end"'
            f' dominant-baseline="central" fill="#333">{escape(label)}</text>'
        )
        out.append(
            f'<rect class="gk-chart-bar" x="{label_width + gap}" y="{middle - bar_height / 2:g}"'
            f' width="{bar:g}" height="{bar_height}" fill="#2b5f9e"/>'
        )
        out.append(
            f'<text class="gk-chart-value" x="{label_width + gap + bar + 6:g}" y="{middle:g}"'
            f' dominant-baseline="central" fill="#333">{value}（{share}）</text>'
        )
    out.append("</svg>")
    return "".join(out)


def report_charts(tables: ReportTables) -> list[tuple[str, str]]:
    """Returns (chart id, SVG) for the charts worth drawing: results, and applicants when mixed."""
    charts = []
    handled = tables.request("办理结果总计")
    if handled:
        bars = [(group, tables.request(group)) for group, _ in RESULT_GROUPS]
        charts.append(("gk-chart-results", bar_chart_svg("gk-chart-results", f"本年度办理结果（共 {handled} 件）", bars)))
    received = tables.request("新收")
    applicants = [(column, tables.request("新收", column)) for column in APPLICANTS]
    if sum(1 for _, v in applicants if v) >= 2:
        charts.append(
            ("gk-chart-applicants", bar_chart_svg("gk-chart-applicants", f"本年新收申请的申请人类型（共 {received} 件）", applicants))
        )
    return charts


def _figure_html(svg: str, caption: str) -> str:
    return f'<figure class="gk-report-chart">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def render_report_html(
    item: Item,
    tables: ReportTables,
    body_sections: ReportBody | Mapping[str, str],
    *,
    render_markdown: Callable[[str], str] | None = None,
    xlsx_href: str | None = None,
) -> str:
    """Returns the report page body: the six sections in order, with tables 二, 三, 四 and charts.

    Without ``render_markdown`` the result is Markdown for the page: section headings as ``##``
    headings (so the table of contents lists them), the editor's narrative unchanged, and every
    generated part (tables, charts, download link) as a raw-HTML block with all text escaped. With
    ``render_markdown`` (Markdown → HTML) the narrative is converted and the result is pure HTML.
    ``body_sections`` is ``split_report_body(...)`` or a mapping of section name (or title) →
    Markdown, with the text before the first section under ``"preface"``. ``item`` is the report
    item itself (kept in the signature for the page; the figures come from ``tables``).
    """
    if isinstance(body_sections, ReportBody):
        preface, texts = body_sections.preface, body_sections.sections
    else:
        preface = body_sections.get("preface", "")
        texts = {}
        for key, text in body_sections.items():
            section = _section_of_heading(key, strict=False)
            texts[section.name if section else key] = text
    html_mode = render_markdown is not None
    parts: list[str] = []

    def narrative(text: str) -> None:
        if text and text.strip():
            parts.append(render_markdown(text).strip() if html_mode else text.strip("\n"))

    narrative(preface)
    if xlsx_href:
        parts.append(
            f'<p class="gk-report-downloads"><a href="{escape(xlsx_href)}" download>'
            f"下载本报告统计表（Excel）</a></p>"
        )
    grid2, grid3, grid4 = report_grids(tables)
    generated = {
        SECTIONS[1].name: [grid_html(grid2, "gk-report-t2")],
        SECTIONS[2].name: [grid_html(grid3, "gk-report-t3")]
        + [_figure_html(svg, _chart_caption(chart_id)) for chart_id, svg in report_charts(tables)],
        SECTIONS[3].name: [grid_html(grid4, "gk-report-t4")],
    }
    for number, section in enumerate(SECTIONS, start=1):
        if html_mode:
            parts.append(f'<h2 id="gknb-{number}">{escape(section.title)}</h2>')
        else:
            parts.append(f"## {section.title}")
        narrative(texts.get(section.name, ""))
        parts += generated.get(section.name, [])
    return "\n\n".join(parts) + "\n"


def _chart_caption(chart_id: str) -> str:
    return {
        "gk-chart-results": "图：本年度办理结果（数据同上表“三、本年度办理结果”总计列）",
        "gk-chart-applicants": "图：本年新收申请的申请人类型（数据同上表第一行）",
    }.get(chart_id, "")


def write_report_xlsx(tables: ReportTables, path: Any, title: str | None = None) -> None:
    """Writes tables 二, 三 and 四 to an .xlsx laid out as the format (see report_xlsx)."""
    from gongkai.report.xlsx import write_report_xlsx as write

    write(tables, path, title)


# ---------------------------------------------------------------------------------------------
# The list of reports (xxgk/gknb/) and missing reports
# ---------------------------------------------------------------------------------------------


def report_page_path(year: int, unit: str) -> str:
    """Returns the site path of a report page: ``xxgk/gknb/{year}/{unit}/``."""
    return f"xxgk/gknb/{year}/{unit}/"


def report_xlsx_path(year: int, unit: str) -> str:
    """Returns the site path of a report's .xlsx, beside its page."""
    return f"{report_page_path(year, unit)}gknb-{year}-{unit}.xlsx"


@dataclass(frozen=True)
class ReportEntry:
    year: int
    unit: str
    title: str
    index_no: str
    published: str  # ISO date, or ""
    url: str  # site path of the page, xxgk/gknb/{year}/{unit}/
    xlsx: str  # site path of the .xlsx
    item: Item = field(repr=False, compare=False)


@dataclass(frozen=True)
class ReportsIndex:
    by_year: tuple[tuple[int, tuple[ReportEntry, ...]], ...]  # newest year first, units in order
    by_unit: tuple[tuple[str, tuple[ReportEntry, ...]], ...]  # units in order, newest year first
    problems: tuple[Problem, ...] = ()

    @property
    def entries(self) -> tuple[ReportEntry, ...]:
        return tuple(e for _, entries in self.by_year for e in entries)


def reports_index(report_items: Iterable[Item], settings: Settings | None = None) -> ReportsIndex:
    """Returns the reports by year (newest first) and by unit, for the list page ``xxgk/gknb/``.

    Units come in the order of ``settings.units`` when given, else by id. A report without a valid
    ``report.year`` is left out (``validate_report`` names it); a second report for the same unit
    and year is an error, since both would claim one page.
    """
    order = {u.id: i for i, u in enumerate(settings.units)} if settings else {}
    chosen: dict[tuple[int, str], ReportEntry] = {}
    problems: list[Problem] = []
    for item in sorted(report_items, key=lambda i: i.path):
        year = report_year(item)
        if year is None:
            continue
        key = (year, item.unit)
        if key in chosen:
            problems.append(
                Problem(
                    item.path,
                    item.line_of("report"),
                    f"{item.unit} 的{year}年度报告已由 {chosen[key].item.path} 发布，同一机构同一年度只能有一份",
                )
            )
            continue
        chosen[key] = ReportEntry(
            year=year,
            unit=item.unit,
            title=item.title,
            index_no=item.index_no,
            published=str(item.meta.get("published") or ""),
            url=report_page_path(year, item.unit),
            xlsx=report_xlsx_path(year, item.unit),
            item=item,
        )

    def unit_rank(unit: str) -> tuple[int, str]:
        return (order.get(unit, len(order)), unit)

    years = sorted({y for y, _ in chosen}, reverse=True)
    units = sorted({u for _, u in chosen}, key=unit_rank)
    by_year = tuple(
        (y, tuple(chosen[k] for k in sorted((k for k in chosen if k[0] == y), key=lambda k: unit_rank(k[1]))))
        for y in years
    )
    by_unit = tuple(
        (u, tuple(chosen[k] for k in sorted((k for k in chosen if k[1] == u), reverse=True))) for u in units
    )
    return ReportsIndex(by_year, by_unit, tuple(sorted(problems)))


def render_reports_index_html(index: ReportsIndex, settings: Settings | None = None) -> str:
    """Returns the body of ``xxgk/gknb/``: one table per year, links relative to that page."""
    names = {u.id: u.name for u in settings.units} if settings else {}
    if not index.by_year:
        return '<p class="gk-report-none">暂无政府信息公开工作年度报告。</p>\n'
    parts = []
    for year, entries in index.by_year:
        rows = []
        for e in entries:
            href = e.url[len("xxgk/gknb/"):]
            xlsx = e.xlsx[len("xxgk/gknb/"):]
            rows.append(
                "<tr>"
                f'<th scope="row">{escape(names.get(e.unit, e.unit))}</th>'
                f'<td><a href="{escape(href)}">{escape(e.title)}</a></td>'
                f"<td>{escape(e.published)}</td>"
                f'<td><a href="{escape(xlsx)}" download>统计表（Excel）</a></td>'
                "</tr>"
            )
        parts.append(
            f'<h2 id="gknb-{year}">{year}年度</h2>\n'
            f'<table class="gk-report-list">\n<caption>{year}年度政府信息公开工作年度报告</caption>\n'
            '<thead><tr><th scope="col">发布机构</th><th scope="col">报告</th>'
            '<th scope="col">发布日期</th><th scope="col">下载</th></tr></thead>\n'
            "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
        )
    return "\n\n".join(parts) + "\n"


def missing_reports(
    settings: Settings, report_items: Iterable[Item], today: date, *, path: str = "mkdocs.yml"
) -> list[Problem]:
    """Returns a warning for each unit without a report for last year, once 1月31日 has passed.

    ``report_items`` are the reports the portal publishes: one held back for review still counts
    as missing, since the public cannot read it.
    """
    month, day = DEADLINE
    if today <= date(today.year, month, day):
        return []
    year = today.year - 1
    have = {item.unit for item in report_items if report_year(item) == year}
    return [
        Problem(
            path,
            0,
            f"{unit.name}（{unit.id}）尚未发布{year}年政府信息公开工作年度报告"
            f"（条例第四十九条：应于{month}月{day}日前向社会公布）",
            WARNING,
        )
        for unit in settings.units
        if unit.id not in have
    ]


__all__ = [
    "APPEAL_COLUMNS", "APPEAL_KINDS", "APPEAL_RESULTS", "APPLICANTS", "COLUMNS", "Cell",
    "DOCUMENT_CATEGORIES", "DOCUMENT_FIGURES", "Grid", "IDENTITY_NOTE", "REPORT_CATEGORY",
    "REPORT_KEYS", "REQUEST_FIELDS", "RESULT_GROUPS", "ReportBody", "ReportEntry", "ReportTables",
    "ReportsIndex", "SECTIONS", "TABLE2", "TABLE3_ROWS", "TOTAL", "annual_report_tables",
    "bar_chart_svg", "document_counts", "front_matter_lines", "grid_html", "grid_positions",
    "missing_reports", "narrative_problems", "official_text_lines", "previous_report",
    "render_report_html", "render_reports_index_html", "report_charts", "report_grids",
    "report_page_path", "report_xlsx_path", "report_year", "reports_index", "split_report_body",
    "suggest_key", "table2_grid", "table3_grid", "table4_grid", "validate_report",
    "write_report_xlsx",
]
