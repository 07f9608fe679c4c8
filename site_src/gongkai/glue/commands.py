"""What `gongkai build` and `gongkai serve` ask of MkDocs: load a config, build, serve a preview.
The CLI calls these and prints; this module is the only one of the CLI's that imports MkDocs."""
from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path

from mkdocs.commands import serve as mkdocs_serve
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config as mkdocs_load_config
from mkdocs.exceptions import Abort, BuildError, ConfigurationError

from gongkai.errors import GongkaiError, Problem, describe_os_error
from gongkai.gate.allowlist import yaml_code_problems
from gongkai.glue import engine, messages
from gongkai.glue.guard import install_gate_guard
from gongkai.glue.preview import session
from gongkai.glue.watch import Watcher
from gongkai.read import yamlsafe


class Failed(GongkaiError):
    """MkDocs stopped the build or the preview; ``str()`` is its reason, or empty when it logged
    the reason as an ERROR already."""


def load_config(path: Path, **overrides):
    """Returns the MkDocs config of ``path``, refusing a file whose YAML would run code."""
    # MkDocs' YAML loader would run a !!python/object/apply tag while reading the file.
    code = yaml_code_problems(path)
    if code:
        raise GongkaiError("\n".join(str(p) for p in code))
    said = _Said()
    config_log = engine.logger("config")
    config_log.addHandler(said)
    propagate, config_log.propagate = config_log.propagate, False
    try:
        config = mkdocs_load_config(str(path), **overrides)
    except ConfigurationError as exc:
        raise GongkaiError(_not_loaded(path, exc)) from None
    except Abort as exc:
        found = [str(p) for p in _setting_problems(path, said.records)]
        raise GongkaiError("\n".join(found + [f"{path}: {messages.abort_reason(str(exc))}"])) from None
    except OSError as exc:
        raise GongkaiError(f"无法读取配置文件 {describe_os_error(exc, path)}") from None
    finally:
        config_log.removeHandler(said)
        config_log.propagate = propagate
    for problem in _setting_problems(path, said.records):
        _log.warning(str(problem))
    docs = Path(config.docs_dir)
    root = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
    messages.set_docs_dir(docs.relative_to(root).as_posix() if docs.is_relative_to(root) else str(docs))
    return config


_log = logging.getLogger("mkdocs.plugins.gongkai")


class _Said(logging.Handler):
    """Keeps what MkDocs logs while it loads mkdocs.yml, to be said in Chinese with its line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _setting_problems(path: Path, records: list[logging.LogRecord]) -> list[Problem]:
    """Returns MkDocs' complaints about the settings in mkdocs.yml, in Chinese, at their lines."""
    found = []
    for record in records:
        severity = "error" if record.levelno >= logging.ERROR else "warning"
        match = re.fullmatch(r"Config value '([^']*)': (.*)", record.getMessage(), re.DOTALL)
        if match:
            found.append(Problem(str(path), messages.key_line(path, match.group(1)), messages.setting_message(match.group(1), match.group(2)), severity))
        else:
            found.append(Problem(str(path), 1, messages.translate(record.getMessage()), severity))
    return found


def _not_loaded(path: Path, exc: ConfigurationError) -> str:
    """Returns why MkDocs could not read mkdocs.yml (or the file it INHERITs), in Chinese."""
    problem = messages.yaml_problem(exc.__context__, str(path)) if exc.__context__ is not None else None
    if problem is not None:
        return str(problem)
    message = str(exc)
    inherited = re.fullmatch(r"Inherited config file '(.*)' does not exist at '(.*)'\.", message)
    if inherited:
        return f"{path}:{messages.key_line(path, 'INHERIT')}: INHERIT 指定的文件 {inherited.group(1)} 不存在({inherited.group(2)}):请检查路径"
    if "Expected a key-value mapping" in message:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        culprit = yamlsafe.fullwidth_colon(text)
        if culprit is not None:
            return f"{path}:{culprit[0]}: YAML 格式错误:{yamlsafe.fullwidth_colon_message(culprit[1])}"
        return f"{path}:1: mkdocs.yml 必须是“设置名: 值”的列表,如 site_name: 示例县人民政府信息公开"
    return f"{path}: 配置错误:{messages.translate(message)}"


def quiet() -> None:
    """Has the engine log only problems (warnings and errors) from here on."""
    engine.logger().setLevel(logging.WARNING)


def build(config, no_cache: bool = False) -> None:
    """Builds the site of ``config``, its pages rendered on two cores; raises Failed. ``no_cache``:
    without the portal's cache on disk, from an empty site directory."""
    install_gate_guard(config)  # refuses to build unless mkdocs.yml loads the gate
    # Pages are rendered on two cores (Session.parallel_render): MkDocs runs a "dirty" build so that
    # it skips the pages the worker renders; the plugin empties the site first, as a clean build.
    state = session()
    state.parallel_render = True
    state.drafts = False  # a build never shows pending items, whatever this process ran before
    state.no_cache = no_cache
    dirty_notice = _DropDirtyNotice()
    build_log = engine.logger("commands.build")
    build_log.addFilter(dirty_notice)
    try:
        mkdocs_build(config, dirty=True)
    except (Abort, BuildError, ConfigurationError) as exc:
        raise Failed(_reason(exc)) from None
    finally:
        build_log.removeFilter(dirty_notice)
        state.parallel_render = False
        state.no_cache = False


def serve(config_file: str, dev_addr: str, drafts: bool = False) -> None:
    """Serves a live preview of the portal at ``dev_addr`` until interrupted, with the pages of
    pending items marked as drafts when ``drafts``; raises Failed."""
    root = Path(config_file).resolve().parent
    # Signatures depend on the trust file, findings on the wording list, pages on the theme and the
    # 标准目录 (standards/): a change to any of them rebuilds too.
    watch = [str(p) for p in (root / "reviewers.yml", root / "wording.yml", root / "theme", root / "standards") if p.exists()]
    # Dirty rebuilds: after an edit only the pages whose Markdown changed are rendered again
    # (the plugin marks the others unmodified); the gate's caches make re-evaluating the portal cheap.
    state = session()
    state.preview, state.drafts = True, drafts
    try:
        with _gongkai_serving():
            mkdocs_serve.serve(config_file=config_file, livereload=True, watch=watch, build_type="dirty", dev_addr=dev_addr)
    except (Abort, BuildError, ConfigurationError) as exc:
        raise Failed(_reason(exc)) from None


def build_preview(config_file: str, site_dir: Path, *, file_urls: bool = False, wait: bool = False) -> str | None:
    """Builds the review preview of the portal (pending items marked 审核预览·未发布, as
    `gongkai serve --drafts` shows them) into ``site_dir``, a folder of the review desk or of
    `gongkai preview` that is never the site; returns None, or why it failed (Chinese).
    ``file_urls`` links pages as NAME.html (opened from disk, without a server); ``wait`` waits
    for the search index, which a preview otherwise makes in the background."""
    overrides: dict = {"site_dir": str(site_dir)}
    if file_urls:
        overrides["use_directory_urls"] = False
    try:
        config = load_config(Path(config_file), **overrides)
    except GongkaiError as exc:
        return str(exc)
    install_gate_guard(config)
    state = session()
    state.preview, state.drafts = True, True
    try:
        mkdocs_build(config, dirty=True)
    except (Abort, BuildError, ConfigurationError) as exc:
        return _reason(exc) or "构建预览失败(原因见终端中的 ERROR)"
    if wait and state.indexing is not None:
        state.indexing.join()
    return None


def _reason(exc: Exception) -> str:
    message = str(exc)
    return messages.abort_reason(message) if message and "Aborted with a BuildError" not in message else ""


@contextlib.contextmanager
def _gongkai_serving():
    """Has MkDocs' serve() watch with glue.watch.Watcher, read mkdocs.yml with load_config (errors
    in Chinese) and install the gate guard before each build, for the time of the block. serve()
    makes its server, reads its config and calls build() itself, with no way to pass any of them
    in: its module's names are replaced, and put back afterwards."""
    server_class, build, load = mkdocs_serve.LiveReloadServer, mkdocs_serve.build, mkdocs_serve.load_config

    class LiveReloadServer(server_class):
        """MkDocs' live-reload server watching with kernel events for folders on a local disk
        instead of polling 10,000 files every 0.5 s (see glue.watch)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.observer = Watcher(self.observer)

    def guarded_build(config, **options):
        install_gate_guard(config)  # each rebuild reads mkdocs.yml again
        messages.new_build()  # a warning the build before showed is not repeated
        try:
            return build(config, **options)
        except Abort as exc:  # the server prints its text as it is: in Chinese
            raise Abort(messages.abort_reason(str(exc))) from None
        finally:
            repeated = messages.repeated_warnings()
            if repeated:
                _log.info("另有 %d 条警告与上次构建相同,不再重复显示", repeated)

    def chinese_load_config(config_file=None, **overrides):
        """mkdocs.yml read again for each rebuild, its errors said as `gongkai build` says them (an
        Abort: the server prints it without a traceback and waits for the next edit)."""
        try:
            return load_config(Path(config_file or "mkdocs.yml"), **overrides)
        except GongkaiError as exc:
            raise Abort(str(exc)) from None

    mkdocs_serve.LiveReloadServer, mkdocs_serve.build, mkdocs_serve.load_config = LiveReloadServer, guarded_build, chinese_load_config
    try:
        yield
    finally:
        mkdocs_serve.LiveReloadServer, mkdocs_serve.build, mkdocs_serve.load_config = server_class, build, load


class _DropDirtyNotice(logging.Filter):
    """Drops MkDocs' warning about dirty builds: `gongkai build` is a clean build (see build)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.WARNING and "'dirty' build" in record.getMessage())
