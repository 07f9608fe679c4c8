"""Which engine builds the portal: MkDocs 1.6, or ProperDocs, its maintained continuation (the
same code under the name `properdocs`, reading mkdocs.yml and running MkDocs plugins).

ProperDocs' own command imports `properdocs.replacement`, which makes every `mkdocs.*` import
return the `properdocs.*` module: Material, the gongkai plugin and the glue then all run on
ProperDocs. The glue does the same in the `gongkai` command when ProperDocs is installed (or
GONGKAI_ENGINE=properdocs), before anything imports MkDocs; GONGKAI_ENGINE=mkdocs keeps MkDocs.
Under `mkdocs build` or `properdocs build` the engine is the one already running.

The glue keeps writing `mkdocs.*` imports and logger names: ProperDocs logs to `properdocs.*`,
and its `mkdocs` logger is a child of `properdocs` (as ProperDocs' own command makes it), so the
terminal handler and the --strict counter sit on the logger ``ROOT`` names."""
from __future__ import annotations

import importlib.util
import logging
import os
import sys

from gongkai.errors import GongkaiError


def _choose() -> str:
    running = sys.modules.get("mkdocs")
    if running is not None:  # under `mkdocs build` / `properdocs build`: the engine already running
        return "properdocs" if running.__name__ == "properdocs" else "mkdocs"
    wanted = os.environ.get("GONGKAI_ENGINE", "").strip().lower()
    if wanted not in ("", "mkdocs", "properdocs"):
        raise GongkaiError(f"环境变量 GONGKAI_ENGINE={wanted} 无效:只能是 mkdocs 或 properdocs(不设置时,安装了 ProperDocs 就用 ProperDocs)")
    installed = importlib.util.find_spec("properdocs") is not None
    if wanted == "properdocs" and not installed:
        raise GongkaiError("环境变量 GONGKAI_ENGINE=properdocs,但没有安装 ProperDocs:请运行 pip install 'gongkai[properdocs]'")
    if wanted == "mkdocs" or not installed:
        return "mkdocs"
    import properdocs.replacement  # noqa: F401 - from here on `import mkdocs.x` is properdocs.x

    return "properdocs"


#: "mkdocs" or "properdocs": the engine of this process, and the name of its root logger.
NAME = _choose()
ROOT = NAME

if NAME == "properdocs":
    _legacy = logging.getLogger("mkdocs")
    _legacy.parent = logging.getLogger("properdocs")
    _legacy.setLevel(logging.NOTSET)
    _legacy.propagate = True


def logger(suffix: str = "") -> logging.Logger:
    """Returns the engine's logger ``suffix`` ("config", "commands.build"; "" for its root)."""
    return logging.getLogger(f"{ROOT}.{suffix}" if suffix else ROOT)

