"""What every verb of the `gongkai` command shares: the exit codes, the one rule that turns an
error into a message and an exit code, the MkDocs config and log, the evaluated portal; and
`gongkai build`, which the publishing verbs (cli_publish) run first."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from gongkai.errors import ConfigError, GongkaiError, UsageError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

def _setup_logging(verbose: bool = False) -> None:
    # Lazy, with the glue that only build and serve load: MkDocs' log lines in Chinese, a warning not repeated.
    from gongkai.glue import engine  # (as above): MkDocs or ProperDocs, whose root logger this is
    from gongkai.glue.messages import terminal_handler  # (as above)

    logger = engine.logger()
    if not any(getattr(h, "_gongkai", False) for h in logger.handlers):
        handler = terminal_handler()  # one problem a line, never wrapped: editors and CI grep for `path:line: message`
        handler._gongkai = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def _load_config(args, **overrides):
    # Lazy: importing MkDocs takes a while, and `gongkai --help` or a usage error needs none of it.
    from gongkai.glue import commands

    path = Path(args.config_file)
    if not path.exists():
        raise UsageError(f"找不到配置文件 {path}:请在门户仓库根目录运行,或用 -f 指定 mkdocs.yml")
    try:
        return commands.load_config(path, **overrides)
    except GongkaiError as exc:
        raise GongkaiError(str(exc)) from None


def _guarded(func):
    """Returns the verb with the one exit-code rule: a UsageError is ``gongkai: why`` and exit 2,
    any other GongkaiError its message and exit 1 (the verbs print what is particular to them)."""

    def wrapper(args) -> int:
        try:
            return func(args)
        except UsageError as exc:
            print(f"gongkai: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except GongkaiError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_PROBLEMS

    wrapper.__name__ = func.__name__
    return wrapper


def _portal(args):
    # Lazy, for start-up time: the portal reads and judges every item.
    from gongkai.portal import evaluate

    config = _load_config(args)
    try:
        return config, evaluate(Path(config.config_file_path).parent, Path(config.docs_dir), (config.extra or {}).get("gongkai"), config.site_name)
    except ConfigError as exc:
        raise GongkaiError(str(exc)) from None


def _stdout_may_close(func):
    """Returns the verb quiet when its reader goes away (``gongkai verify … | head``): no traceback."""

    def wrapper(args) -> int:
        try:
            return func(args)
        except BrokenPipeError:
            # Python would complain again when it flushes stdout at exit: point it at /dev/null.
            sys.stdout = open(os.devnull, "w", encoding="utf-8")
            return EXIT_PROBLEMS

    wrapper.__name__ = func.__name__
    return wrapper


@_guarded
def cmd_build(args) -> int:
    # Lazy: importing MkDocs takes a while, and only build and serve need it.
    from gongkai.glue import commands

    _setup_logging()
    overrides = {"strict": bool(args.strict)}
    if args.site_dir:
        overrides["site_dir"] = args.site_dir
    config = _load_config(args, **overrides)
    try:
        commands.build(config, no_cache=bool(getattr(args, "no_cache", False)))
    except commands.Failed as exc:
        print(f"构建失败:{exc}" if str(exc) else "构建失败(原因见上方的错误信息)", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK
