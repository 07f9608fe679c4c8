"""What MkDocs says, in Chinese: its log lines (building, serving, links, settings), its aborts, and
the errors of loading mkdocs.yml with the line they are about; and the terminal's log handler, which
shows a warning once while it stays the same. gongkai's own messages pass through untouched."""
from __future__ import annotations

import logging
import re
from pathlib import Path

from gongkai.errors import Problem
from gongkai.glue import engine
from gongkai.read import yamlsafe

_TIME = re.compile(r"^(\[\d\d:\d\d:\d\d\] )")  # MkDocs' live-reload server stamps its lines

# MkDocs' English (as its source writes it, matched whole) -> the Chinese shown instead.
_LINES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.DOTALL), zh)
    for p, zh in [
        (r"Cleaning site directory", "清空输出目录"),
        (r"Building documentation to directory: (?P<a>.+)", "正在构建网站,输出到 {a}"),
        (r"Building documentation\.\.\.", "正在构建网站……"),
        (r"Documentation built in (?P<a>[\d.]+) seconds", "网站构建完成,用时 {a} 秒"),
        (r"A 'dirty' build is being performed.*", "预览只重新生成改动过的页面(增量构建),个别导航或链接可能与完整构建不同;发布前请用 gongkai build --strict 完整构建"),
        (r"The directory contains stale files\..*", "输出目录中留有以前构建的文件"),
        (r"Watching paths for changes: (?P<a>.+)", "正在监视这些文件的改动:{a}"),
        (r"Serving on (?P<a>\S+)(?: and opening it in a browser)?", "预览地址:{a}(按 Ctrl+C 停止)"),
        (r"Detected file changes", "发现文件改动,重新构建"),
        (r"Reloading browsers", "刷新浏览器中的页面"),
        (r"Browser connected: (?P<a>.+)", "浏览器已打开 {a}"),
        (r"Shutting down\.\.\.", "正在停止预览……"),
        (r"Doc file '(?P<f>[^']+)' contains a link '(?P<b>[^']+)', but the target(?: '[^']*')? is not found among documentation files\.(?P<c>.*)", "{f}: 链接 {b} 指向的文件不存在(或尚未发布):请检查链接"),
        (r"Doc file '(?P<f>[^']+)' contains a link '(?P<b>[^']+)', but the doc '(?P<c>[^']+)' does not contain an anchor '(?P<d>[^']+)'\..*", "{f}: 链接 {b} 指向的 {c} 中没有 {d} 这个位置:请检查链接"),
        (r"Doc file '(?P<f>[^']+)' contains an absolute link '(?P<b>[^']+)', it was left as is\..*", "{f}: 链接 {b} 是绝对路径,未作转换"),
        (r"Doc file '(?P<f>[^']+)' contains an unrecognized relative link '(?P<b>[^']+)', it was left as is\..*", "{f}: 无法识别的相对链接 {b},未作转换"),
        (r"Excluding '(?P<f>[^']+)' from the site because it conflicts with '(?P<b>[^']+)'\.", "{f} 与 {b} 生成同一个网页,{f} 未放入网站"),
        (r"Template skipped: '(?P<a>[^']+)' not found in (?:theme directories|docs_dir)\.", "找不到模板 {a},已跳过"),
        (r"Template skipped: '(?P<a>[^']+)' generated empty output\.", "模板 {a} 没有输出内容,已跳过"),
        (r"Page skipped: '(?P<f>[^']+)'\. Generated empty output\.", "页面 {f} 没有输出内容,已跳过"),
        (r"Error reading page '(?P<f>[^']+)':\s*(?P<b>.*)", "读取页面 {f} 时出错:{b}"),
        (r"Error building page '(?P<f>[^']+)':\s*(?P<b>.*)", "生成页面 {f} 时出错:{b}"),
        (r"A reference to '(?P<a>[^']+)' is included in the 'nav' configuration, which is not found in the documentation files\.", "mkdocs.yml 的 nav 中列出了 {a},但内容目录中没有这个文件"),
        (r"The following pages exist in the docs directory, but are not included in the \"nav\" configuration:(?P<a>.*)", "这些页面不在 mkdocs.yml 的 nav 中:{a}"),
        (r"Aborted with a BuildError!", "构建已停止(原因见上)"),
        (r"An error happened during the rebuild\..*", "重新构建失败(原因见上):改正后保存,预览会再次构建;在此之前浏览器中仍是上一次的页面"),
    ]
]
_CONFIG = re.compile(r"Config value '(?P<name>[^']*)': (?P<message>.*)", re.DOTALL)
_TYPES = {"str": "文字", "int": "整数", "float": "数字", "bool": "true 或 false", "list": "列表", "dict": "字段表(键: 值)", "NoneType": "空值"}

# The errors of MkDocs' settings validation -> Chinese ({name} is the setting).
_SETTINGS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.DOTALL), zh)
    for p, zh in [
        (r"Unrecognised configuration name: .*", "MkDocs 没有 {name} 这项设置:请检查拼写,或删除这一项"),
        (r"Required configuration not provided\.", "缺少必需的设置 {name}"),
        (r"Expected type: <class '(?P<a>\w+)'> but received: <class '(?P<b>\w+)'>", "{name} 的值应为 {a},实际写的是 {b}"),
        (r"Expected a list of items, but a <class '(?P<b>\w+)'> was given\.", "{name} 的值应为列表(每项一行,以 - 开头),实际写的是 {b}"),
        (r"Expected a dict of items, but a <class '(?P<b>\w+)'> was given\.", "{name} 的值应为字段表(键: 值),实际写的是 {b}"),
        (r"Expected one of: (?P<a>.+) but received: (?P<b>.+)", "{name} 只能是 {a} 之一,实际写的是 {b}"),
        (r"The path '(?P<a>[^']*)' isn't an existing directory\.", "{name} 指定的目录 {a} 不存在"),
        (r"The path '(?P<a>[^']*)' isn't an existing file\.", "{name} 指定的文件 {a} 不存在"),
        (r"The path set in custom_dir \('(?P<a>[^']*)'\) does not exist\.", "theme.custom_dir 指定的目录 {a} 不存在"),
        (r"Unrecognised theme name: '(?P<a>[^']*)'\. The available installed themes are: (?P<b>.*)", "没有安装名为 {a} 的主题(已安装:{b}):gongkai 门户用 material"),
        (r"Failed to load extension '(?P<a>[^']*)'\..*", "无法加载 Markdown 扩展 {a}:请检查名称是否写对"),
        (r"'(?P<a>[^']*)' is not a valid Markdown Extension name\.", "{a} 不是有效的 Markdown 扩展名称"),
        (r"Invalid config options for Markdown Extension '(?P<a>[^']*)'\.", "Markdown 扩展 {a} 的选项写法不对"),
        (r"The \"(?P<a>[^\"]*)\" plugin is not installed", "没有安装插件 {a}"),
        (r"Invalid config options for the '(?P<a>[^']*)' plugin\.", "插件 {a} 的选项写法不对"),
        (r"The URL isn't valid, it should include the http:// \(scheme\)", "{name} 应为完整网址,以 https:// 或 http:// 开头"),
        (r"Must be a string of format 'IP:PORT'", "{name} 应写作 地址:端口,如 127.0.0.1:8000"),
        (r"'(?P<a>[^']*)' is not a valid port", "{name} 的端口 {a} 无效"),
    ]
]


# The docs folder as mkdocs.yml names it ("content"): MkDocs names a page by its path inside it,
# gongkai by its path in the repository, as an editor opens it. Set by glue.commands on each config load.
_docs = {"dir": ""}


def set_docs_dir(folder: str) -> None:
    _docs["dir"] = folder.strip("/")


def _fill(template: str, match: re.Match, **more: str) -> str:
    values = {k: (_TYPES.get(v, v) if k in ("a", "b") else v) for k, v in match.groupdict(default="").items()}
    if values.get("f") and _docs["dir"]:
        values["f"] = f"{_docs['dir']}/{values['f']}"
    return template.format(**values, **more)


def setting_message(name: str, message: str) -> str:
    """Returns MkDocs' complaint ``message`` about the setting ``name`` in Chinese (its English
    detail kept in brackets when it is not one MkDocs is known to say)."""
    for pattern, template in _SETTINGS:
        match = pattern.fullmatch(message.strip())
        if match:
            return _fill(template, match, name=name)
    detail = message.strip().splitlines()[0] if message.strip() else ""
    return f"设置 {name} 有误(MkDocs 的说明:{detail})"


def key_line(config_file: Path | str, name: str) -> int:
    """Returns the line of mkdocs.yml where the setting ``name`` (dotted for a nested one) is written;
    the line of its first part, or 1."""
    try:
        lines = Path(config_file).read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return 1
    top = name.split(".", 1)[0]
    pattern = re.compile(rf"^['\"]?{re.escape(top)}['\"]?\s*:")
    return next((number for number, text in enumerate(lines, 1) if pattern.match(text)), 1)


def abort_reason(message: str) -> str:
    """Returns MkDocs' reason for stopping (Abort) in Chinese."""
    message = message.strip()
    match = re.fullmatch(r"Aborted with (?P<counts>.+) in strict mode!", message)
    if match:
        counts = re.sub(r"(\d+) (\w+?)s?\b", lambda m: f"{m.group(1)} 个{'错误' if m.group(2).startswith('error') else '警告'}", match.group("counts"))
        return f"严格模式下出现 {counts.replace(', ', '、')}(见上方),构建已停止:请逐条处理后重新构建"
    match = re.fullmatch(r"Aborted with (?P<n>\d+) configuration warnings in 'strict' mode!", message)
    if match:
        return f"严格模式下有 {match.group('n')} 个设置警告(见上方),已停止"
    if message == "Aborted with a configuration error!":
        return "设置有误(见上方),已停止"
    return translate(message)


def translate(message: str) -> str:
    """Returns one of MkDocs' log lines in Chinese; any other text as it is."""
    stamp = _TIME.match(message)
    body = message[stamp.end():] if stamp else message
    config = _CONFIG.fullmatch(body)
    if config:
        return f"mkdocs.yml: {setting_message(config.group('name'), config.group('message'))}"
    for pattern, template in _LINES:
        match = pattern.fullmatch(body)
        if match:
            return (stamp.group(1) if stamp else "") + _fill(template, match)
    return message


def yaml_problem(error: BaseException, display: str) -> Problem | None:
    """Returns the problem of a YAML error MkDocs met reading ``display`` (or the file it INHERITs),
    at its line, in Chinese; None for another error."""
    import yaml  # only a broken mkdocs.yml needs PyYAML's error classes here

    if not isinstance(error, yaml.YAMLError):
        return None
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    name = getattr(mark, "name", None) or getattr(error, "name", None) or display
    path = Path(str(name))
    shown = display if path.name == Path(display).name or not path.exists() else str(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    except OSError:
        text = ""
    if getattr(error, "encoding", None):  # a ReaderError decoding the bytes
        return Problem(shown, 1, "文件不是 UTF-8 编码(疑似 GBK):请在编辑器中“另存为”UTF-8 编码")
    line, message = yamlsafe.explain(error, text)  # type: ignore[arg-type]
    return Problem(shown, line, message)


_LABELS = {logging.WARNING: "警告", logging.ERROR: "错误", logging.CRITICAL: "错误", logging.DEBUG: "调试"}
_LABELLED = re.compile(r"(^|: )(警告|错误)[::]")
_FILE_FIRST = re.compile(r"^([^\s:]+\.(?:md|yml|yaml|html)): ")


class ChineseFormatter(logging.Formatter):
    """One line a message, in Chinese: MkDocs' English translated, a 警告/错误 label in front of a
    message that has none (gongkai's `path:line: 警告: …` keep theirs)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not record.name.startswith("mkdocs.plugins.gongkai"):
            message = translate(message)
        label = _LABELS.get(record.levelno)
        if label and not _LABELLED.search(message):
            where = _FILE_FIRST.match(message)  # `path: 警告: …`, as gongkai's own problems
            message = f"{where.group(1)}: {label}: {message[where.end():]}" if where else f"{label}: {message}"
        if record.exc_info and record.levelno <= logging.DEBUG:
            message += "\n" + self.formatException(record.exc_info)
        return message


class OncePerRun(logging.Filter):
    """Lets a warning through only when the build before did not show it already: a preview that
    rebuilds after every edit repeats only what is new (the counter of --strict counts them all)."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: set[str] = set()  # the warnings of this build
        self.before: set[str] = set()  # those of the build before
        self.repeated = 0  # warnings of this build not shown again

    def new_build(self) -> None:
        self.before, self.shown, self.repeated = self.shown, set(), 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        message = _TIME.sub("", record.getMessage())
        self.shown.add(message)
        if message in self.before:
            self.repeated += 1
            return False
        return True


def terminal_handler() -> logging.Handler:
    """Returns the handler that shows MkDocs' and gongkai's log on standard error."""
    handler = logging.StreamHandler()
    handler.setFormatter(ChineseFormatter())
    handler.addFilter(OncePerRun())
    return handler


def _filters() -> list[OncePerRun]:
    return [f for h in engine.logger().handlers for f in h.filters if isinstance(f, OncePerRun)]


def new_build() -> None:
    """Marks the start of a build for the terminal's repeated-warning filter."""
    for kept in _filters():
        kept.new_build()


def repeated_warnings() -> int:
    """Returns how many warnings of this build were not shown, being those of the build before."""
    return max((f.repeated for f in _filters()), default=0)
