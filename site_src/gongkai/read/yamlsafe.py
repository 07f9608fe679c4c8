"""A strict YAML reader for front-matter and trust files: plain data, line numbers, no surprises.

Dates stay strings (so the digest sees exactly what the editor wrote), anchors, aliases, merge keys,
duplicate keys and tags other than the plain scalar ones are refused: they are how a reviewed value
is made to mean something else to a reader than to the build (and how an alias bomb is built).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import CollectionEndEvent, CollectionStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from gongkai.errors import Problem

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc,valid-type]
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_STR_TAG = "tag:yaml.org,2002:str"
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
# Numbers people type here (counts, amounts in 万元) have a few digits; a longer one is a typo or an
# attack (Python cannot even print an int of 4,300 digits, and an 18-digit number is an ID number).
MAX_NUMBER = 10**15
MAX_DEPTH = 64  # nesting of lists and mappings
# libyaml composes nested nodes by C recursion and crashes the process (SIGSEGV) some ten thousand
# levels down (its parser and scanner do not recurse). Every level of nesting needs one of these
# characters, so a text with fewer of them is composed directly; one with more has its depth
# measured first from the parser's events, stopping at MAX_DEPTH.
_C_NESTING_BUDGET = 2000
_NESTING_CHARS = "[{-?:"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class YamlProblem(Exception):
    """A YAML text that is not plain data; ``line`` is 1-based within the parsed text."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Parsed:
    """The data, with the line of every mapping key and sequence entry (dotted path -> line)."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)


def parse(text: str) -> Parsed:
    """Returns the plain data in ``text`` with line numbers; raises YamlProblem."""
    if sum(text.count(char) for char in _NESTING_CHARS) > _C_NESTING_BUDGET:
        _check_depth(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and (mark is None or mark.line >= text.count("\n")):
            mark = exc.context_mark  # the parser noticed at the end: point at what was left open
        line = mark.line + 1 if mark else 1
        raise YamlProblem(line, f"YAML 格式错误:{_describe(exc)}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"YAML 格式错误:{exc}") from None
    finally:
        loader.dispose()
    parsed = Parsed(None)
    if node is None:
        return parsed
    parsed.data = _build(loader, node, "", parsed.lines, set())
    return parsed


def _check_depth(text: str) -> None:
    """Raises YamlProblem at the first list or mapping nested deeper than MAX_DEPTH (a syntax
    error is left to the parse that follows)."""
    loader = _Loader(text)
    depth = 0
    try:
        while True:
            event = loader.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlProblem(event.start_mark.line + 1 if event.start_mark else 1, f"YAML 嵌套层数过多:列表和字段的嵌套不能超过 {MAX_DEPTH} 层")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            elif event is None or isinstance(event, StreamEndEvent):
                return
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def _describe(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or ""
    hints = {
        "found character '\\t' that cannot start any token": "含有制表符(Tab),请改用空格缩进",
        "mapping values are not allowed here": "此处不能出现冒号;值中含冒号时请用引号括起来",
        "could not find expected ':'": "缺少冒号“:”,或上一行的引号没有闭合",
        "found undefined tag handle": "使用了未定义的标签",
        "did not find expected ',' or ']'": "方括号 [ 没有闭合,或列表项之间缺少逗号",
        "did not find expected ',' or '}'": "花括号 { 没有闭合,或字段之间缺少逗号",
        "found unexpected end of stream": "引号没有闭合",
    }
    for english, chinese in hints.items():
        if english in problem:
            return chinese
    return problem or str(exc)


def _build(loader: Any, node: Any, path: str, lines: dict[str, int], seen: set[int], depth: int = 0) -> Any:
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:
        raise YamlProblem(line, f"YAML 嵌套层数过多:列表和字段的嵌套不能超过 {MAX_DEPTH} 层")
    if id(node) in seen:
        raise YamlProblem(line, "不支持 YAML 别名(*引用):请把内容直接写出")
    seen.add(id(node))
    if getattr(node, "anchor", None):
        raise YamlProblem(line, "不支持 YAML 锚点(&名称):请把内容直接写出")
    if isinstance(node, ScalarNode):
        if node.tag == _STR_TAG:
            return node.value  # what SafeConstructor.construct_yaml_str returns, without its dispatch
        if node.tag not in _SCALAR_TAGS:
            raise YamlProblem(line, f"不支持的 YAML 标签 {node.tag}:只能写文字、数字、是/否")
        if node.tag in _NUMBER_TAGS and len(node.value) > 64:
            raise YamlProblem(line, _TOO_BIG)  # before Python reads it: int("9" * 5000) raises ValueError
        try:
            value = loader.construct_object(node, deep=True)
        except (ValueError, OverflowError):  # "1:2:…" (base 60) beyond a float, …
            raise YamlProblem(line, _TOO_BIG) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise YamlProblem(line, "数值必须是有限数")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= MAX_NUMBER:
            raise YamlProblem(line, _TOO_BIG)
        return value
    if isinstance(node, SequenceNode):
        if node.tag != _SEQ_TAG:
            raise YamlProblem(line, f"不支持的 YAML 标签 {node.tag}")
        items = []
        for index, child in enumerate(node.value):
            child_path = f"{path}[{index}]"
            lines[child_path] = child.start_mark.line + 1
            items.append(_build(loader, child, child_path, lines, seen, depth + 1))
        return items
    if isinstance(node, MappingNode):
        if node.tag != _MAP_TAG:
            raise YamlProblem(line, f"不支持的 YAML 标签 {node.tag}")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem(key_line, "不支持 YAML 合并键(<<)")
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise YamlProblem(key_line, "字段名必须是文字(如 title:)")
            key = key_node.value
            if key in result:
                raise YamlProblem(key_line, f"字段 {key} 重复出现(第 {lines[_join(path, key)]} 行已有):请只保留一处")
            child_path = _join(path, key)
            lines[child_path] = key_line
            result[key] = _build(loader, value_node, child_path, lines, seen, depth + 1)
        return result
    raise YamlProblem(line, "无法识别的 YAML 内容")  # pragma: no cover


_TOO_BIG = f"数字过大或位数过多(不能超过 {len(str(MAX_NUMBER)) - 1} 位):统计数字请写实际数值;编号、证件号等文字请加引号"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse_file(path, display: str, not_utf8: str = "文件不是 UTF-8 编码,请另存为 UTF-8"):
    """Returns the Parsed content of a YAML file, or the Problem (from .errors) that prevents it."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return Problem(display, 1, not_utf8)
    except YamlProblem as exc:
        return Problem(display, exc.line, exc.message)
