"""The official format of the 政府信息公开工作年度报告 (国办公开办函〔2021〕30号): sections, row labels, columns.

One table of official labels (``SECTIONS``, ``TABLE2``, ``TABLE3_ROWS``, ``APPEAL_KINDS`` …) is
read by the validator, the HTML tables, the charts, the .xlsx writer and the docs. Every total is
computed from it; an editor types only the figures nobody can derive (SPEC §7).
"""
from __future__ import annotations

from dataclasses import dataclass

from gongkai.law.taxonomy import NORMATIVE_DOCUMENT, RULES

FORMAT_NAME = "国办公开办函〔2021〕30号"
FIRST_FORMAT_YEAR = 2021  # reports for earlier years used the 2019 format (国办公开办函〔2019〕60号)
DEADLINE = (1, 31)  # 条例第四十九条: 每年1月31日前公布上一年度报告


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
DOCUMENT_CATEGORIES = {"规章": RULES, "行政规范性文件": NORMATIVE_DOCUMENT}  # table 二 row -> catalog category

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
    "aggregate": "汇总报告:所汇总的机构 id 列表(各项数字为这些机构同年度报告之和,不再填写数字)",
    "licensing": "行政许可 本年处理决定数量",
    "punishment": "行政处罚 本年处理决定数量",
    "enforcement": "行政强制 本年处理决定数量",
    "fees": "行政事业性收费 本年收费金额（万元）",
    "documents": "规章、行政规范性文件件数（可选；填报的数字进入表二，并与目录核对）",
    "requests": "收到和处理政府信息公开申请情况（按申请人类型）",
    "appeals": "政府信息公开行政复议、行政诉讼情况",
}
