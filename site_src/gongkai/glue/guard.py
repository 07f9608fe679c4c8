"""What mkdocs.yml cannot switch off: a plugin that refuses a build in which the gate did not run
or something changed the files after it, and the allow-lists of extensions, plugins and hooks."""
from __future__ import annotations

import types
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority

from gongkai.errors import Problem
from gongkai.gate import allowlist
from gongkai.glue.preview import session

GATE_GUARD = "gongkai/gate-guard"
_NO_GATE = (
    "mkdocs.yml: 没有加载 gongkai 的发布闸门:mkdocs.yml 中应有\n"
    "plugins:\n  - gongkai\n"
    "(旧的门户布局用的是 hooks:\n  - hooks/gongkai_hooks.py ,且只能有这一个钩子文件)\n"
    "否则未经审核的内容会被直接发布。请加上(或恢复)这几行"
)


def install_gate_guard(config) -> None:
    """Adds the plugin that checks, after every other handler, that this build runs the gate.
    `gongkai build` and `serve` add it before the build starts, so that it refuses a build whose
    mkdocs.yml does not load gongkai's hooks at all."""
    if GATE_GUARD not in config.plugins:
        config.plugins[GATE_GUARD] = _GateGuard()


def check_allowed(config) -> None:
    """Raises PluginError naming every extension, plugin or hooks file off the allow-lists."""
    problems = config_problems(config)
    if problems:
        raise PluginError("\n".join(str(p) for p in problems))


def config_problems(config) -> list[Problem]:
    """Returns the extensions, extension options and plugins off the allow-lists, and any hooks
    file but the one that reaches the glue (a second one would run its code after the gate)."""
    source = Path(config.config_file_path or "mkdocs.yml").name
    line_of = allowlist.line_finder(config.config_file_path)
    plugins = {n: p for n, p in config.plugins.items() if n != GATE_GUARD and not isinstance(p, types.ModuleType)}
    hooks = [n for n, p in config.plugins.items() if isinstance(p, types.ModuleType)]
    problems = allowlist.extension_problems(config.markdown_extensions, dict(config.mdx_configs or {}), source, line_of)
    problems += allowlist.plugin_problems(plugins, source, line_of)
    gates = [n for n, p in plugins.items() if f"{type(p).__module__}:{type(p).__qualname__}" == allowlist.GATE_PLUGIN]
    for extra in gates[1:]:
        problems.append(Problem(source, line_of("gongkai"), f"plugins 中的 gongkai 只能写一次(又出现了 {extra}):请删除重复的一项"))
    if gates:
        for extra in hooks:  # the plugin is the gate: a hooks file, even a copy of gongkai's, runs a second one or code after it
            problems.append(Problem(source, line_of(extra), f"已用 plugins: - gongkai 加载发布闸门,hooks 中不能再有 {extra}:旧布局的 hooks/gongkai_hooks.py 连同 hooks: 一节删除即可,其他钩子是在发布闸门之后运行的代码,也请删除"))
    for extra in hooks[1:] if not gates else []:
        problems.append(Problem(source, line_of(extra), f"hooks 中只能有 gongkai 的钩子文件 hooks/gongkai_hooks.py,不能再有 {extra}:钩子是在发布闸门之后运行的代码,请删除"))
    return problems


def snapshot(files) -> frozenset:
    """Returns what identifies the files the gate let through (any change after it shows)."""
    return frozenset((id(f), f.src_uri, f.dest_uri, f.abs_src_path, id(getattr(f, "_content", None))) for f in files)


class _GateGuard(BasePlugin):
    """Runs after every other handler of its events: refuses a build in which the gate did not
    run, or in which something changed the files after the gate."""

    @event_priority(-1000)
    def on_config(self, config):
        if session().gate_config is not config:
            raise PluginError(_NO_GATE)
        check_allowed(config)  # again: a later on_config may have added to it
        return config

    @event_priority(-1000)
    def on_files(self, files, config):
        self._check_files(files, config)
        return files

    @event_priority(-1000)
    def on_env(self, env, config, files):
        self._check_files(files, config)
        return env

    @event_priority(-1000)
    def on_post_page(self, output, page, config):
        if not getattr(page, "gongkai_sanitised", False):
            raise PluginError(f"{_NO_GATE}\n(页面 {page.file.src_uri} 没有经过 gongkai 的清理)")
        return output

    @staticmethod
    def _check_files(files, config) -> None:
        gate_files = session().gate_files
        if gate_files is None or gate_files[0] is not config:
            raise PluginError(_NO_GATE)
        if snapshot(files) != gate_files[1]:
            raise PluginError("mkdocs.yml: 发布闸门之后,有插件或钩子改动了要发布的文件:只有闸门放行的信息和附件才能发布,请删除该插件或钩子")
