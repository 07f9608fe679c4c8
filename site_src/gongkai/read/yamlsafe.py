"""A strict YAML reader for front-matter and trust files: plain data, line numbers, no surprises.

Dates stay strings (so the digest sees exactly what the editor wrote), anchors, aliases, merge keys,
duplicate keys and tags other than the plain scalar ones are refused: they are how a reviewed value
is made to mean something else to a reader than to the build (and how an alias bomb is built).
"""
from __future__ import annotations

import math
import re
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
    except yaml.YAMLError as exc:
        raise YamlProblem(*explain(exc, text)) from None
    finally:
        loader.dispose()
    parsed = Parsed(None)
    if node is None:
        return parsed
    parsed.data = _build(loader, node, "", parsed.lines, set(), text=text)
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
    except yaml.YAMLError as exc:
        # libyaml 0.2.6 (PyYAML 6.0.4's wheels) refuses some thousand levels itself, while scanning
        # ahead: before the events above reach MAX_DEPTH.
        if "nesting depth" in str(exc):
            mark = getattr(exc, "problem_mark", None)
            raise YamlProblem(mark.line + 1 if mark is not None else 1, f"YAML 嵌套层数过多:列表和字段的嵌套不能超过 {MAX_DEPTH} 层") from None
        return
    finally:
        loader.dispose()


# --- YAML errors in Chinese -------------------------------------------------------------------
# PyYAML and libyaml say, in English, what their parser expected, often a line after the mistake.
# An editor needs the line to change and how: explain() gives both, for the mistakes people make
# (a full-width colon typed by a Chinese input method, a Tab, a value starting with a character
# YAML reserves or holding ": ", indentation out of line, an unclosed quote or bracket).

# `title：…`: a key and a full-width colon, which YAML reads as plain text (keys are short, no spaces).
_FULLWIDTH_KEY = re.compile(r"^[ ]*(?:-[ ]+)*(?P<key>[^\s#'\"\[\]{}:：,&*!|>%@`-][^\s:：#'\"]{0,30})[ ]*：")
_QUOTED_THEN_TEXT = re.compile(r"""^\s*(?:-\s+)?[^:#]+:\s+(["']).*?\1\s*[^\s#]""")


def fullwidth_colon(text: str, upto: int | None = None) -> tuple[int, str] | None:
    """Returns (line, key) of the last line (up to line ``upto``) that starts with a key followed
    by a full-width colon `：`, as a Chinese input method types it; None when no line does."""
    found = None
    for number, line in enumerate(text.split("\n"), 1):
        if upto is not None and number > upto:
            break
        match = _FULLWIDTH_KEY.match(line)
        if match:
            found = (number, match.group("key"))
    return found


def _fullwidth_culprit(text: str, upto: int) -> tuple[int, str] | None:
    """Returns (line, key) of the line up to ``upto`` whose full-width colon, made half-width, lets
    the text parse past the error at ``upto``: the mistake itself, not a line that only looks like it."""
    lines = text.split("\n")
    candidates = [(n, m.group("key")) for n in range(1, min(upto, len(lines)) + 1) if (m := _FULLWIDTH_KEY.match(lines[n - 1]))]

    def parses_past(numbers: set[int]) -> bool:
        fixed = [line.replace("：", ": ", 1) if n in numbers else line for n, line in enumerate(lines, 1)]
        try:
            yaml.compose("\n".join(fixed), Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            return mark is not None and mark.line + 1 > upto
        except yaml.YAMLError:
            return False
        return True

    for number, key in reversed(candidates):  # the nearest line whose fix alone is enough
        if parses_past({number}):
            return number, key
    if len(candidates) > 1 and parses_past({n for n, _ in candidates}):
        return candidates[0]  # several typed so: the first of them
    return None


def fullwidth_colon_message(key: str) -> str:
    return f"“{key}：”用的是全角冒号“：”(中文输入法),YAML 只认半角冒号:请改为“{key}: ”(半角冒号后加一个空格)"


def _quote_how(line: str) -> str:
    """How to quote the value of ``line``, shown on that value."""
    key, colon, value = line.strip().partition(": ")
    value = value.strip()
    if not colon or not value:
        return '请把整个值用英文引号括起来,如 title: "*重要通知"'
    quote = "'" if '"' in value else '"'
    return f"请把整个值用英文引号括起来,如 {key}: {quote}{value}{quote}"


def _text_after_brackets(value: str) -> bool:
    """Whether text follows the bracket that closes the one ``value`` starts with (`[转发]关于…`)."""
    depth = 0
    for index, char in enumerate(value):
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
        if depth == 0:
            rest = value[index + 1 :].strip()
            return bool(rest) and not rest.startswith("#")
    return False


def explain(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """Returns (line, message) of a PyYAML or libyaml error in ``text``: the line to fix (1-based
    within ``text``), what is wrong there and how to fix it, in Chinese."""
    lines = text.split("\n")

    def line_at(number: int) -> str:
        return lines[number - 1] if 0 < number <= len(lines) else ""

    if not isinstance(exc, yaml.MarkedYAMLError):
        position = getattr(exc, "position", None)  # a ReaderError: a character YAML does not allow
        character = getattr(exc, "character", None)
        code = character if isinstance(character, int) else ord(character) if isinstance(character, str) and len(character) == 1 else None
        what = f"(U+{code:04X})" if code is not None else ""
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
        return line, f"YAML 格式错误:这一行含有 YAML 不允许的不可见控制字符{what}:请删除它(在编辑器中打开“显示不可见字符”)"
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    opened = exc.context_mark.line + 1 if exc.context_mark else line
    here = line_at(line)
    column = mark.column if mark else 0
    found = here[column : column + 1]

    def at(number: int, message: str) -> tuple[int, str]:
        return number, f"YAML 格式错误:{message}"

    if "tab" in problem or "\\t" in problem or found == "\t":
        tab = next((n for n in range(line, 0, -1) if "\t" in line_at(n)), line)
        return at(tab, "这一行用了制表符(Tab):YAML 只能用空格缩进,请把 Tab 换成空格(可在编辑器中设置“用空格代替 Tab”)")
    if "cannot start any token" in problem:
        if found in ("@", "`", "%"):
            return at(line, f"值不能以 {found} 开头(YAML 保留了这个字符):{_quote_how(here)}")
        return at(line, f"第 {column + 1} 个字符“{found}”不能出现在这里;如果它是值的一部分,{_quote_how(here)}")
    if "alias" in context or "undefined alias" in problem:
        return at(opened, f"值以 * 开头,YAML 把它当作引用(别名):{_quote_how(line_at(opened))}")
    if "anchor" in context:
        return at(opened, f"值以 & 开头,YAML 把它当作锚点:{_quote_how(line_at(opened))}")
    if "tag" in context or "tag" in problem:
        return at(opened, f"值以 ! 开头,YAML 把它当作标签:{_quote_how(line_at(opened))}")
    culprit = _fullwidth_culprit(text, max(line, opened))
    if culprit is not None:
        return at(culprit[0], fullwidth_colon_message(culprit[1]))
    if "mapping values are not allowed" in problem:
        value = here.strip().partition(": ")[2]
        if ":" in value:
            return at(line, f"值中含有“冒号+空格”,YAML 把它当作又一个字段:{_quote_how(here)}")
        return at(line, "这一行比上一行多缩进了,YAML 把它当成上一行的值的延续:同一层的字段左边的空格数必须相同,请对齐")
    if "sequence entries are not allowed" in problem:
        return at(line, f"值以“- ”开头,YAML 把它当作列表:{_quote_how(here)}")
    if "could not find expected ':'" in problem:
        return at(opened, "这一行缺少冒号:字段名后要写半角冒号和一个空格,如“title: 标题”;如果它是上一行的值的延续,请把整个值写在一行,或用引号括起来")
    if "flow sequence" in context or "',' or ']'" in problem:
        return at(opened, f"方括号 [ 没有闭合(YAML 把以 [ 开头的值当作列表,列表写作 [a, b]);如果 [ 是文字的一部分,{_quote_how(line_at(opened))}")
    if "flow mapping" in context or "',' or '}'" in problem:
        return at(opened, f"花括号 {{ 没有闭合(YAML 把以 {{ 开头的值当作字段表,写作 {{a: 1, b: 2}});如果 {{ 是文字的一部分,{_quote_how(line_at(opened))}")
    if "escape" in problem:
        return at(line, "双引号中的反斜杠 \\ 是转义符:含反斜杠的文字(如 Windows 路径)请改用英文单引号括起来,或把 \\ 写成 \\\\")
    if "quoted scalar" in context or "end of stream" in problem:
        return at(opened, "引号没有闭合:请在值的末尾补上对应的英文引号")
    if "block end" in problem or "expected key" in problem or "'-' indicator" in problem:
        if _QUOTED_THEN_TEXT.match(here):
            return at(line, "引号闭合后还有文字:请把整个值放在一对引号之内")
        value = here.strip().partition(": ")[2].strip()
        if value[:1] in ("[", "{") and _text_after_brackets(value):
            kind = "列表" if value[0] == "[" else "字段表"
            return at(line, f"值以 {value[0]} 开头,YAML 把它当作{kind}:如果 {value[0]} 是文字的一部分,{_quote_how(here)}")
        layer = "列表项(-)" if "collection" in context or "'-'" in problem else "字段"
        before = next((text for text in reversed(lines[: line - 1]) if text.strip() and not text.lstrip().startswith("#")), "")
        spaces, above = len(here) - len(here.lstrip(" ")), len(before) - len(before.lstrip(" "))
        if spaces == above and before.lstrip().startswith("-") != here.lstrip().startswith("-"):
            return at(line, "同一层里既有列表项(以 - 开头)又有字段:请把这一行缩进到它所属的字段之下,或都写成列表项")
        return at(line, f"缩进不一致:这一行前面有 {spaces} 个空格,上一行有 {above} 个,与上面同一层的{layer}对不齐:同一层左边的空格数必须相同")
    if "document" in context or "document" in problem:
        return at(line, "出现了第二个文档(--- 分隔线):一个文件只能有一个 YAML 文档,请删除多余的 --- 行")
    return at(line, "这一行无法解析:请检查本行和上一行的冒号(半角“: ”)、引号和缩进")

def _build(loader: Any, node: Any, path: str, lines: dict[str, int], seen: set[int], depth: int = 0, text: str = "") -> Any:
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:
        raise YamlProblem(line, f"YAML 嵌套层数过多:列表和字段的嵌套不能超过 {MAX_DEPTH} 层")
    if id(node) in seen:
        raise YamlProblem(line, "不支持 YAML 别名(*引用):请把内容直接写出;如果 * 是文字的一部分,请把整个值用英文引号括起来")
    seen.add(id(node))
    # PyYAML's nodes keep no anchor: a node starts at its anchor's "&" when it has one.
    if getattr(node, "anchor", None) or text[node.start_mark.index : node.start_mark.index + 1] == "&":
        raise YamlProblem(line, "不支持 YAML 锚点(&名称):请把内容直接写出;如果 & 是文字的一部分,请把整个值用英文引号括起来")
    if isinstance(node, ScalarNode):
        if node.tag == _STR_TAG:
            return node.value  # what SafeConstructor.construct_yaml_str returns, without its dispatch
        if node.tag not in _SCALAR_TAGS:
            raise YamlProblem(line, f"不支持的 YAML 标签 {node.tag}:只能写文字、数字、是/否;如果 ! 是文字的一部分,请把整个值用英文引号括起来")
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
            items.append(_build(loader, child, child_path, lines, seen, depth + 1, text))
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
            result[key] = _build(loader, value_node, child_path, lines, seen, depth + 1, text)
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
