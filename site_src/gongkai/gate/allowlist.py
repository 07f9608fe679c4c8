"""What mkdocs.yml may switch on: Markdown extensions, MkDocs plugins, Python names. Allow-lists,
compared on what a name resolves to (a module, a class), never on how it is spelled."""
from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Callable

import yaml

from gongkai.errors import Problem

#: Markdown extensions a portal may use, as mkdocs.yml spells them; compared by the class each
#: resolves to. None of them reads a file, fetches a URL or runs configured code. Left out on
#: purpose: pymdownx.snippets and pymdownx.b64 (read files), emoji and magiclink (links and images
#: on other hosts), critic (a "deletion" stays in the page), meta, legacy_attrs and wikilinks
#: (nothing a portal needs), blocks.html (raw HTML has its own path, through the sanitiser).
EXTENSIONS = (
    "abbr", "admonition", "attr_list", "codehilite", "def_list", "extra", "fenced_code", "footnotes",
    "md_in_html", "nl2br", "sane_lists", "smarty", "tables", "toc",
    "pymdownx.arithmatex", "pymdownx.betterem", "pymdownx.caret", "pymdownx.details", "pymdownx.extra",
    "pymdownx.fancylists", "pymdownx.highlight", "pymdownx.inlinehilite", "pymdownx.keys", "pymdownx.mark",
    "pymdownx.progressbar", "pymdownx.saneheaders", "pymdownx.smartsymbols", "pymdownx.striphtml",
    "pymdownx.superfences", "pymdownx.tabbed", "pymdownx.tasklist", "pymdownx.tilde",
    "pymdownx.blocks.admonition", "pymdownx.blocks.caption", "pymdownx.blocks.definition",
    "pymdownx.blocks.details", "pymdownx.blocks.tab",
)

#: The gate itself as a plugin (mkdocs.yml: `plugins: [gongkai]`, the engine and theme of the installed package).
GATE_PLUGIN = "gongkai.glue.installed:GongkaiPortalPlugin"

#: MkDocs plugins, by class: the gate, and the built-in searches (MkDocs' or ProperDocs', and Material's), which the glue unregisters
#: (Pagefind replaces them). Every other plugin runs code on every page after the gate, and a
#: portal needs none: tags, blog and meta add pages or page data the gate never saw, offline and
#: privacy rewrite or fetch assets, macros and include plugins insert repository files.
PLUGINS = (GATE_PLUGIN, "mkdocs.contrib.search:SearchPlugin", "properdocs.contrib.search:SearchPlugin", "material.plugins.search.plugin:SearchPlugin")

#: Python callables an extension's options may name (`!!python/name:`): heading slugs only.
CALLABLES = (
    "markdown.extensions.toc.slugify", "markdown.extensions.toc.slugify_unicode",
    "pymdownx.slugs.slugify", "pymdownx.slugs._uslugify",  # slugify(case=…) returns a partial of _uslugify
)

_HOW = "如确需使用,请在 gongkai 项目中提出申请,说明用途,经安全评审后加入 gongkai/allowlist.py 的允许清单"
_PYTHON_TAG = "tag:yaml.org,2002:python/"


def identity(extension, configs: dict | None = None) -> str | None:
    """Returns ``module:Class`` of the extension a name (or an Extension object) stands for; None
    when Python-Markdown cannot load it."""
    import markdown  # only a build names extensions: `gongkai check` and the tools need not load Markdown

    if isinstance(extension, markdown.extensions.Extension):
        cls = type(extension)
    else:
        try:
            cls = type(markdown.Markdown().build_extension(str(extension), dict(configs or {})))
        except Exception:  # noqa: BLE001 - any failure: not a known extension
            return None
    return f"{cls.__module__}:{cls.__qualname__}"


@functools.lru_cache(maxsize=1)
def allowed_extensions() -> frozenset[str]:
    return frozenset(filter(None, (identity(name) for name in EXTENSIONS)))


def line_finder(config_file) -> Callable[[str], int]:
    """Returns name -> the first line of the settings file that mentions it (1 if none does)."""
    try:
        lines = Path(config_file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError, TypeError):
        lines = []

    def line_of(name: str) -> int:
        return next((number for number, text in enumerate(lines, 1) if name and name in text), 1)

    return line_of


def extension_problems(extensions, configs: dict, source: str = "mkdocs.yml", line_of=lambda name: 1) -> list[Problem]:
    """Returns a problem for each extension not on the allow-list, and for each extension option
    that is code rather than data."""
    problems = []
    allowed = allowed_extensions()
    for extension in extensions:
        name = extension if isinstance(extension, str) else type(extension).__name__
        if identity(extension, configs.get(name) if isinstance(extension, str) else None) not in allowed:
            problems.append(Problem(source, line_of(name), f"markdown_extensions 中的 {name} 不在 gongkai 允许的 Markdown 扩展清单中(可能读取仓库文件、访问外部网站或执行代码,绕过发布闸门):请删除。{_HOW}"))
    for name, options in configs.items():
        for path, value in _code_in(options, name):
            problems.append(Problem(source, line_of(path.rsplit(".", 1)[-1].split("[")[0]), f"markdown_extensions 中 {path} 的值 {_describe(value)} 是 Python 代码而不是数据,不允许配置:请删除"))
    return problems


def plugin_problems(plugins: dict, source: str = "mkdocs.yml", line_of=lambda name: 1) -> list[Problem]:
    """Returns a problem for each plugin (name -> instance) whose class is not on the allow-list."""
    problems = []
    for name, plugin in plugins.items():
        cls = type(plugin)
        if f"{cls.__module__}:{cls.__qualname__}" not in PLUGINS:
            problems.append(Problem(source, line_of(name.lstrip("/")), f"plugins 中的插件 {name}({cls.__module__}.{cls.__qualname__})不在 gongkai 允许的插件清单中:插件在发布闸门之后处理每个页面,可能加入未经审核的内容,请删除。{_HOW}"))
    return problems


def _callable_allowed(value) -> bool:
    if isinstance(value, functools.partial):
        return _callable_allowed(value.func)
    if getattr(value, "keeps_slugs", False) and hasattr(value, "__wrapped__"):  # the glue's wrapper (sanitize.keep_slugs)
        return _callable_allowed(value.__wrapped__)
    return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}" in CALLABLES


def _code_in(value, path: str):
    """Yields (path, value) of every value in extension options that is not plain data."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _code_in(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _code_in(item, f"{path}[{index}]")
    elif value is None or isinstance(value, (str, int, float, bool, date)):
        return
    elif not _callable_allowed(value):
        yield path, value


def _describe(value) -> str:
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    return f"{getattr(value, '__module__', '') or ''}.{name}".lstrip(".")


def yaml_code_problems(config_file: Path) -> list[Problem]:
    """Returns a problem for each Python tag (``!!python/object/apply:…`` and the like) in the
    settings file and the files it INHERITs: MkDocs' YAML loader runs them while reading it, before
    any check could. Only the heading-slug functions of CALLABLES may be named."""
    problems: list[Problem] = []
    seen: set[Path] = set()
    path: Path | None = Path(config_file)
    while path is not None and path.resolve() not in seen:
        seen.add(path.resolve())
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return problems  # MkDocs reports an unreadable file itself, without running anything
        inherit = None
        for node in _nodes(root):
            tag = node.tag or ""
            if tag.startswith(_PYTHON_TAG) and not _tag_allowed(tag[len(_PYTHON_TAG):]):
                problems.append(Problem(path.name, node.start_mark.line + 1, f"YAML 标签 !!python/{tag[len(_PYTHON_TAG):]} 会在读取配置时执行 Python 代码,不允许使用:请删除"))
        if isinstance(root, yaml.MappingNode):
            for key, value in root.value:
                if isinstance(key, yaml.ScalarNode) and key.value == "INHERIT" and isinstance(value, yaml.ScalarNode):
                    inherit = path.parent / value.value
        path = inherit
    return problems


def _tag_allowed(rest: str) -> bool:
    kind, _, name = rest.partition(":")
    if kind == "name":
        return name in CALLABLES
    return kind == "object/apply" and name == "pymdownx.slugs.slugify"


def _nodes(root):
    stack, seen = [root] if root is not None else [], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += (key, value)
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
