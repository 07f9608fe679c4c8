"""What a portal takes from the installed gongkai: the `gongkai` MkDocs plugin (mkdocs.yml says
``plugins: [gongkai]``) with the theme the package carries, and the warnings of `gongkai check`
that explain an older portal's copies of the engine's hooks/ and theme/.

A portal repository holds content and configuration only; `pip install -U gongkai` upgrades the
gate, its hooks and the theme at once. A portal may still override a template in its own
theme.custom_dir: that folder comes first, the packaged theme right after it, Material last."""
from __future__ import annotations

import filecmp
import types
from pathlib import Path

from mkdocs.exceptions import PluginError

from gongkai.errors import WARNING, Problem
from gongkai.gate import allowlist
from gongkai.glue.plugin import GongkaiPlugin, after_other_plugins
from gongkai.tools.init import THEME

_MIGRATE = "此后升级只需 pip install -U gongkai(门户仓库只保留 content/、mkdocs.yml、reviewers.yml 和本门户自己修改过的模板)"


class GongkaiPortalPlugin(GongkaiPlugin):
    """``plugins: [gongkai]``: the gate of hooks/gongkai_hooks.py, and the theme of the installed
    package after the portal's own custom_dir (whose templates still win)."""

    def on_config(self, config):
        add_packaged_theme(config)
        return super().on_config(config)

    @after_other_plugins  # Pagefind reads each page once it is written
    def on_post_page(self, output: str, *, page, config) -> str:
        return super().on_post_page(output, page=page, config=config)


def add_packaged_theme(config) -> None:
    """Puts the packaged theme overrides after the portal's custom_dir (or first, without one)."""
    if config.theme.name != "material":
        raise PluginError(f"mkdocs.yml: gongkai 的主题基于 Material for MkDocs,theme.name 应为 material,而不是 {config.theme.name}:请改为 name: material")
    dirs = config.theme.dirs
    if any(Path(folder).resolve() == THEME.resolve() for folder in dirs):
        return  # the engine's own repository: its custom_dir is this theme
    dirs.insert(1 if config.theme.custom_dir else 0, str(THEME))


def layout_problems(config) -> list[Problem]:
    """Returns a warning for each copy of the engine an older portal carries — the hooks file
    through which its mkdocs.yml loads the gate, the gongkai templates in its custom_dir — each
    with how to move to the installed package. The engine's own repository has none."""
    source = Path(config.config_file_path or "mkdocs.yml").name
    line_of = allowlist.line_finder(config.config_file_path)
    problems = []
    hooks = [(name, module) for name, module in config.plugins.items() if isinstance(module, types.ModuleType)]
    engine_hooks = THEME.resolve().parent / "hooks" / "gongkai_hooks.py"  # only in a source checkout
    if hooks and Path(getattr(hooks[0][1], "__file__", "") or "").resolve() != engine_hooks:
        problems.append(Problem(source, line_of("hooks"), (
            f"本门户使用旧的门户布局:{hooks[0][0]} 是 gongkai 钩子文件的副本,升级 gongkai 不会更新它。"
            f"迁移:把 mkdocs.yml 中的 hooks: 一节换成 plugins: 一节,只写一项 - gongkai,然后删除 {Path(hooks[0][0]).parent.as_posix()}/ 目录;{_MIGRATE}"
        ), WARNING))
    custom_dir = config.theme.custom_dir
    if custom_dir and Path(custom_dir).resolve() != THEME.resolve():
        copied = sorted(p.relative_to(THEME).as_posix() for p in THEME.rglob("*") if p.is_file() and (Path(custom_dir) / p.relative_to(THEME)).is_file())
        if copied:
            same = [rel for rel in copied if filecmp.cmp(THEME / rel, Path(custom_dir) / rel, shallow=False)]
            changed = [rel for rel in copied if rel not in same]
            folder = Path(custom_dir).name
            when = "改用 plugins: - gongkai(见 hooks 一行的警告)之后," if hooks else ""
            detail = f"{when}其中 {len(same)} 个与本版本自带的完全相同,可以直接删除" + (f";{len(changed)} 个不同({'、'.join(changed)}):是本门户有意修改的就保留(升级后请对照新版本核对),否则也删除" if changed else "")
            problems.append(Problem(source, line_of("custom_dir"), (
                f"主题目录 {folder}/ 中有 {len(copied)} 个文件与 gongkai 自带的主题文件同名,会遮盖随 gongkai 升级的新版本:{detail}。{_MIGRATE}"
            ), WARNING))
    return problems
