"""The site layout: every path the engine generates, the nav sections and the page kinds, as data;
and site URLs of source paths, the way MkDocs computes them, and relative links between pages."""
from __future__ import annotations

import posixpath

# --- The pages the engine generates (SPEC §6) -----------------------------------------------------
#: The 政府信息公开 section: its home, and every generated page below it. A unit's own pages lie
#: under ``xxgk/{unit id}/`` (unit ids are lower-case letters, so none is one of the folders below).
XXGK = "xxgk"
GUIDE = f"{XXGK}/gkzn"  # 政府信息公开指南 (条例第十二条); a unit's: xxgk/{unit}/gkzn
CATALOG = f"{XXGK}/gkml"  # 政府信息公开目录; a unit's: xxgk/{unit}/gkml
ON_DEMAND = f"{XXGK}/ysqgk"  # 依申请公开 and its 目录
REPORTS = f"{XXGK}/gknb"  # 政府信息公开工作年度报告: the list, then {year}/{unit}/ for each report
CATALOG_HISTORY = f"{CATALOG}/dtzt"  # 目录动态调整记录
APPLY_FORM = f"{ON_DEMAND}/sqb"  # 政府信息公开申请表: the printable page; the workbook beside it
APPLY_FORM_XLSX = f"{ON_DEMAND}/sqb.xlsx"
RULES = f"{XXGK}/gkzd"  # 政府信息公开制度
MANDATORY = f"{XXGK}/fdzdgk"  # 法定主动公开内容: 条例第二十条's items and the categories holding them
STANDARD = f"{XXGK}/bzml"  # 政务公开事项标准目录, of every unit
STANDARD_CSV = f"{STANDARD}/bzml.csv"  # all units' 标准目录 as one CSV
BY_YEAR = "nd"  # under CATALOG: the catalog by year, nd/{year}
UNIT_ALL = "qb"  # under a unit's catalog: all of the unit's items

#: The nav the engine sets when mkdocs.yml has none, and that the theme falls back to: (title,
#: source path). Never an item (a nav listing every item is rendered into every page: O(N²) output).
NAV: tuple[tuple[str, str], ...] = (
    ("首页", "index.md"),
    ("信息公开", f"{XXGK}/index.md"),
    ("公开指南", f"{GUIDE}/index.md"),
    ("公开目录", f"{CATALOG}/index.md"),
    ("依申请公开", f"{ON_DEMAND}/index.md"),
    ("年度报告", f"{REPORTS}/index.md"),
)

#: Page kinds (``gongkai_kind`` in a generated page's front-matter), read by the theme.
KIND_HOME = "home"
KIND_XXGK = "xxgk"  # the 信息公开 home and a unit's
KIND_GUIDE = "guide"
KIND_CATALOG = "catalog"  # a catalog home or listing page, the 目录动态调整记录
KIND_ON_DEMAND = "ysqgk"
KIND_ITEM = "item"
KIND_REPORT = "report"
KIND_REPORT_INDEX = "report-index"
#: Kinds whose date is the 发布日期 (others show it as 更新日期).
DATED_KINDS = (KIND_ITEM, KIND_REPORT)
#: Kinds whose text the search index takes (catalog listings only repeat titles).
INDEXED_KINDS = (KIND_ITEM, KIND_GUIDE, KIND_ON_DEMAND, KIND_REPORT)


def index_src(folder: str) -> str:
    """Returns the source path of a folder's page (``""`` is the site home)."""
    return f"{folder}/index.md" if folder else "index.md"


def is_guide(src_uri: str) -> bool:
    """Returns whether a source path is a 政府信息公开指南 page, the portal's or a unit's."""
    return f"/{GUIDE.rsplit('/', 1)[1]}/" in f"/{src_uri}"


def unit_folder(unit: str | None, folder: str = XXGK) -> str:
    """Returns ``folder`` (one of XXGK, GUIDE, CATALOG) as it lies for ``unit``, or as it is."""
    return folder if unit is None else f"{XXGK}/{unit}{folder[len(XXGK):]}"


def category_folder(slug: str, unit: str | None = None) -> str:
    """Returns the folder listing one category of the catalog, or of a unit's catalog."""
    return f"{unit_folder(unit, CATALOG)}/{slug}"


def year_folder(year: str) -> str:
    """Returns the folder listing the catalog's items of one year."""
    return f"{CATALOG}/{BY_YEAR}/{year}"


def unit_all_folder(unit: str) -> str:
    """Returns the folder listing all items of one unit."""
    return f"{unit_folder(unit, CATALOG)}/{UNIT_ALL}"


def report_folder(year: int | str, unit: str) -> str:
    """Returns the folder of one annual report page."""
    return f"{REPORTS}/{year}/{unit}"


def template_globals() -> dict:
    """Returns the layout as plain data for the theme's templates: folder URLs (ending in "/"),
    the nav fallback as (title, folder URL) pairs, and the page kinds."""
    return {
        "xxgk": f"{XXGK}/",
        "guide": f"{GUIDE}/",
        "catalog": f"{CATALOG}/",
        "on_demand": f"{ON_DEMAND}/",
        "reports": f"{REPORTS}/",
        "nav": [(title, src[: -len("index.md")]) for title, src in NAV],
        "dated_kinds": list(DATED_KINDS),
        "indexed_kinds": list(INDEXED_KINDS),
    }


def page_url(src_uri: str, directory_urls: bool = True) -> str:
    """Returns the site-relative URL of a Markdown page (``xzf/2025/a.md`` -> ``xzf/2025/a/``)."""
    stem, _ = posixpath.splitext(src_uri)
    folder, name = posixpath.split(stem)
    if name in ("index", "README"):
        return f"{folder}/" if folder else ""
    if directory_urls:
        return f"{stem}/"
    return f"{stem}.html"


def href(from_url: str, to_url: str) -> str:
    """Returns the relative link from the page at ``from_url`` to ``to_url`` (both site-relative)."""
    base = from_url if from_url.endswith("/") or not from_url else posixpath.dirname(from_url)
    base = base.rstrip("/") or "."
    target = to_url.rstrip("/") or "."
    relative = _relpath(target, base)
    if to_url.endswith("/") or not to_url:
        relative = relative.rstrip("/") + "/" if relative != "." else "./"
    return relative


def _relpath(target: str, base: str) -> str:
    """Returns ``posixpath.relpath(target, base)`` for site-relative paths, without its two
    ``abspath`` calls (a catalog of 10,000 items makes 40,000 links)."""
    if target.startswith("/") or base.startswith("/") or not _plain(target) or not _plain(base):
        return posixpath.relpath(target, base)
    to = [] if target == "." else target.split("/")
    start = [] if base == "." else base.split("/")
    common = 0
    for a, b in zip(to, start):
        if a != b:
            break
        common += 1
    parts = [".."] * (len(start) - common) + to[common:]
    return "/".join(parts) if parts else "."


def _plain(path: str) -> bool:
    # No empty, "." or ".." segment (except a lone "."): what posixpath.normpath would leave alone.
    if path == ".":
        return True
    return all(segment not in ("", ".", "..") for segment in path.split("/"))



# --- Who owns which output path --------------------------------------------------------------------
#: Top-level names of the built site that gongkai, MkDocs, the theme and Pagefind write: no item's
#: page or attachment may land on one, or inside one (the loader's reserved paths read these too).
GENERATED_DIRS = (XXGK, "assets", "pagefind", "search", "gongkai")
GENERATED_FILES = ("index.html", "404.html", "sitemap.xml", "sitemap.xml.gz", "catalog.json", "catalog.csv", "feed.xml", "manifest.json")
#: Attachments a browser would open as a document of the portal's own origin, outside the theme and
#: the sanitiser, able to run script (HTML, SVG, XML with a stylesheet, scripts).
ACTIVE_SUFFIXES = (".html", ".htm", ".xhtml", ".xht", ".shtml", ".mht", ".mhtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".js", ".mjs")


def page_dest(src_uri: str, directory_urls: bool = True) -> str:
    """Returns the site path MkDocs writes a Markdown page to (``a/b.md`` -> ``a/b/index.html``)."""
    url = page_url(src_uri, directory_urls)
    return f"{url}index.html" if not url or url.endswith("/") else url


def active_attachment(name: str) -> str | None:
    """Returns why an attachment must not be served as it is, or None."""
    suffix = posixpath.splitext(name.rstrip(". "))[1].lower()
    if suffix in ACTIVE_SUFFIXES:
        return f"附件 {name} 是网页或脚本类文件({suffix}):浏览器会把它当作本网站的页面打开,不经过主题和内容清理,可能运行脚本。请转换为 PDF 后再作为附件发布"
    return None


def output_conflicts(claims: list[tuple[str, str, bool]], generated=()) -> dict[str, tuple[str, str]]:
    """Returns owner -> (the path, why) for every claim (owner, site path, may lie in a generated
    folder) that meets a generated path or another claim: the same path, letter case aside (a site
    may be unpacked onto a case-insensitive disk), or a path that is a folder of the other."""
    owned_dirs = {d.casefold() for d in GENERATED_DIRS}
    owned = {f.casefold() for f in (*GENERATED_FILES, *generated)}
    paths: dict[str, list[tuple[str, str]]] = {}
    folders: dict[str, tuple[str, str]] = {}
    for owner, dest, _ in claims:
        key = dest.casefold()
        paths.setdefault(key, []).append((owner, dest))
        parts = key.split("/")
        for end in range(1, len(parts)):
            folders.setdefault("/".join(parts[:end]), (owner, dest))
    found: dict[str, tuple[str, str]] = {}
    for owner, dest, in_generated in claims:
        key = dest.casefold()
        parts = key.split("/")
        prefixes = ["/".join(parts[:end]) for end in range(1, len(parts))]
        if key in owned or any(p in owned for p in prefixes) or (parts[0] in owned_dirs and not in_generated) or key in owned_dirs:
            why = f"{dest} 是系统生成的页面或文件的位置({'、'.join(GENERATED_DIRS + GENERATED_FILES)})"
        elif any(other != owner for other, _ in paths[key]):
            other = next(f"{o} 的 {d}" for o, d in paths[key] if o != owner)
            why = f"{dest} 与 {other} 是同一个网址(不区分大小写)"
        elif key in folders:
            why = f"{dest} 与 {folders[key][0]} 的 {folders[key][1]} 冲突:同一路径不能既是文件又是目录"
        else:
            clash = next((p for p in prefixes if p in paths), None)
            if clash is None:
                continue
            why = f"{dest} 与 {paths[clash][0][0]} 的 {paths[clash][0][1]} 冲突:同一路径不能既是文件又是目录"
        found.setdefault(owner, (dest, why))
    return found
