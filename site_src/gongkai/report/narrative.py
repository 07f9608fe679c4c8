"""The figures the narrative of a report writes next to a row label, checked against its tables."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Callable

from gongkai.errors import WARNING, Problem
from gongkai.model import Item
from gongkai.report.figures import ReportTables, format_figure
from gongkai.report.labels import REVIEW_LABEL, TOTAL

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
                            f"但{figure.where}为 {format_figure(expected)} 件",
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
                        f"正文写“{match.group(0).strip()}”（{figure.label} 0 件），但{figure.where}为 {format_figure(expected)} 件",
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
