"""Full-text search of the built portal: Pagefind (extended build, Chinese segmentation).

Pagefind reads the published HTML only, after the gate and the build: what a refused or held
item would have said never reaches the index, because its page was never written. The theme
marks what is indexed (``data-pagefind-body`` on item, guide, 依申请公开 and report pages), so
catalog listings do not show up as search results.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .errors import GongkaiError

#: The folder of the site the search bundle is written to; the theme loads its UI from here.
BUNDLE_DIR = "pagefind"
#: Every page is Chinese: one index, segmented as Chinese, whatever ``lang`` a page declares.
LANGUAGE = "zh"
_TIMEOUT_S = 900
_STAT = re.compile(r"Indexed (\d+) (language|page|word|filter|sort)s?\b")


def pagefind_binary() -> Path:
    """Returns the path of the Pagefind *extended* binary shipped by ``pagefind[extended]``.

    ``PAGEFIND_BINARY_PATH`` overrides it (as for Pagefind's own Python API). The plain
    binary is refused: without the extended build Chinese text is not segmented into words,
    and a search for 收费 would not find 涉企收费.
    """
    override = os.environ.get("PAGEFIND_BINARY_PATH")
    if override:
        path = Path(override)
        if not path.is_file():
            raise GongkaiError(f"环境变量 PAGEFIND_BINARY_PATH 指向的文件不存在:{override}")
        return path
    try:
        from pagefind_bin_extended import get_executable
    except ImportError as exc:
        raise GongkaiError(
            "未安装 Pagefind 扩展版(支持中文分词):请执行 pip install 'pagefind[extended]'"
        ) from exc
    try:
        return Path(get_executable())
    except (FileNotFoundError, OSError) as exc:
        raise GongkaiError(f"Pagefind 扩展版安装不完整,找不到可执行文件:{exc}") from exc


def index_site(site_dir: Path, background: bool = False) -> dict:
    """Returns the statistics of the search index Pagefind wrote into ``site_dir/pagefind/``.

    Keys: ``pages``, ``words``, ``languages``, ``filters`` (as Pagefind counted them),
    ``files`` and ``bytes`` (the whole bundle), ``index_chunk_max_bytes`` (the largest word-index
    chunk: a one-word query downloads one chunk) and ``fragments``.
    Raises GongkaiError (in Chinese) when the site is missing or Pagefind fails.
    ``background``: run Pagefind at the lowest CPU priority (`nice`), e.g. beside a preview.
    """
    site_dir = Path(site_dir)
    if not site_dir.is_dir():
        raise GongkaiError(f"无法建立搜索索引:网站目录 {site_dir} 不存在")
    bundle = site_dir / BUNDLE_DIR
    if bundle.exists():
        strays = [p for p in bundle.rglob("*.html") if "playground" not in p.relative_to(bundle).parts]
        if strays:
            raise GongkaiError(
                f"无法建立搜索索引:{BUNDLE_DIR}/ 是搜索索引的保留目录,网站中已有页面 "
                f"{strays[0].relative_to(site_dir).as_posix()};请勿在 content/ 中使用名为 {BUNDLE_DIR} 的目录"
            )
        # A bundle left by an earlier build holds fragments of pages that may since have been
        # withdrawn: it is rebuilt from nothing, never patched.
        shutil.rmtree(bundle)
    command = [
        str(pagefind_binary()),
        "--site", str(site_dir),
        "--output-subdir", BUNDLE_DIR,
        "--force-language", LANGUAGE,
    ]
    nice = shutil.which("nice") if background else None
    if nice:
        command = [nice, "-n", "19", *command]
    try:
        run = subprocess.run(
            command, capture_output=True, text=True, encoding="utf-8", errors="replace",
            timeout=_TIMEOUT_S, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise GongkaiError(f"建立搜索索引超时(超过 {_TIMEOUT_S} 秒):{site_dir}") from exc
    except OSError as exc:
        raise GongkaiError(f"无法运行 Pagefind:{exc}") from exc
    if run.returncode != 0:
        detail = "\n".join((run.stderr or run.stdout or "").strip().splitlines()[-8:])
        raise GongkaiError(f"建立搜索索引失败(Pagefind 退出码 {run.returncode}):\n{detail}")
    if not (bundle / "pagefind-entry.json").is_file() or not (bundle / "pagefind-ui.js").is_file():
        raise GongkaiError(f"建立搜索索引失败:Pagefind 没有在 {bundle} 中写出索引文件")
    return _stats(run.stdout, bundle)


def _stats(output: str, bundle: Path) -> dict:
    counts = {"languages": 0, "pages": 0, "words": 0, "filters": 0}
    for number, noun in _STAT.findall(output):
        key = noun + "s"
        if key in counts:
            counts[key] = int(number)
    files = [p for p in bundle.rglob("*") if p.is_file()]
    chunks = [p.stat().st_size for p in (bundle / "index").glob("*.pf_index")]
    return {
        **counts,
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "index_chunk_max_bytes": max(chunks, default=0),
        "fragments": sum(1 for _ in (bundle / "fragment").glob("*.pf_fragment")),
    }
