"""content/ -> Items: front-matter with line numbers, UTF-8 only, the schema of gongkai/law/schema.py enforced."""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import stat
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from gongkai import escaping
from gongkai.cache import BuildCache
from gongkai.diskcache import key_of
from gongkai.errors import ERROR, WARNING, Problem
from gongkai.law import schema
from gongkai.law.layout import GENERATED_DIRS, GENERATED_FILES
from gongkai.law.taxonomy import ANNUAL_REPORT, category_ids
from gongkai.model import NOT_CLASSIFIED, STAGES, VALIDITIES, Attribute, Item, Review, Settings
from gongkai.read import yamlsafe

# Whole strings only: use fullmatch (the \A…\Z anchors keep a stray .match() whole too). `$` also
# matches before a final newline ("…-00001\n" from a YAML `|` block); `\d` is any Unicode digit.
INDEX_NO = re.compile(r"\A(?P<code>[0-9A-Z]{18}|[0-9A-Z]{8}-?[0-9A-Z])/(?P<year>[0-9]{4})-(?P<seq>[0-9]{5})\Z")
ISO_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# Size limits: a front-matter holds a few dozen short fields and four signatures (a few KB); far
# more is a mistake or an attempt to make every page, catalog and check carry it.
MAX_FRONT_MATTER = 64 * 1024  # characters
MAX_TITLE = 500
MAX_FIELD = 10_000  # any other string value
# Paths the engine writes itself (urls.GENERATED_*): an item there would collide with a generated
# page or file (a folder named like a generated file too: catalog.json/x.md).
RESERVED_DIRS = GENERATED_DIRS + GENERATED_FILES
RESERVED_FILES = ("index.md", "README.md", "404.md") + tuple(f"{name}.md" for name in GENERATED_FILES)
_FENCE = re.compile(r"---[ \t]*")
_FENCE_END = re.compile(r"(---|\.\.\.)[ \t]*")
#: The kind of a file's front-matter, as read and checked, in the cache on disk (BuildCache.store).
FRONT_MATTER = "front-matter"


@dataclass
class Loaded:
    """One content file: the item if it could be read at all, and every problem found in it."""

    path: str
    item: Item | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.item is not None and not any(p.is_error for p in self.problems)


@dataclass
class Tree:
    """Everything under content/: the item files and the problems of files that are not items."""

    files: list[Loaded]
    problems: list[Problem]  # tree-level findings (symlinks, …)


def read_text(raw: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """Returns the UTF-8 text with LF line endings, or a problem telling how to convert the file."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        guess = "GBK/GB18030(常见于 Word、WPS 或记事本另存)"
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError:
            guess = "未知编码"
        message = (
            f"文件不是 UTF-8 编码,疑似 {guess}。请转换为 UTF-8 后再提交,例如:"
            f"iconv -f GB18030 -t UTF-8 原文件 > 新文件;或在编辑器中“另存为”时选择 UTF-8 编码"
        )
        return None, [Problem(path, line, message)]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def split_front_matter(text: str, path: str) -> tuple[str, str, int] | Problem:
    """Returns (front-matter text, body, first body line), or a problem."""
    lines = text.split("\n")
    if not lines or not _FENCE.fullmatch(lines[0]):
        return Problem(path, 1, "缺少 front-matter:信息文件必须以一行 --- 开头,写明标题、索引号、公开属性等字段,再以一行 --- 结束")
    for number in range(1, len(lines)):
        if _FENCE_END.fullmatch(lines[number]):
            front = "\n".join(lines[1:number])
            body = "\n".join(lines[number + 1 :])
            return front, body, number + 2
    return Problem(path, 1, "front-matter 没有结束:请在字段之后加一行 ---")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


# A file whose stat (device, inode, size, mtime and ctime in ns) is what it was when its bytes were
# read has those bytes still, unless it was changed again within one tick of the file system's
# clock: a stat is only trusted when the file was last changed RACY_NS before it was read (the
# "racily clean" rule of Git's index), otherwise the file is read and hashed again next time. A
# rename over the file (git pull, editors) changes the inode, any write the ctime, which no program
# can set back (FAT has no ctime: there a rewrite of the same size whose mtime is set back is not
# seen). A stat taken for proof at worst keeps the item parsed from the bytes read then: what is
# shown was read and reviewed, never bytes nobody read. Attachments are hashed every time.
RACY_NS = 3_000_000_000


def stat_key(path: Path | str) -> tuple | None:
    """Returns what identifies the bytes of an unchanged regular file, or None (no such file)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _trusted(key: tuple | None, read_at_ns: int) -> tuple | None:
    """Returns the stat taken before reading, when a later equal stat proves the bytes unchanged."""
    if key is None or read_at_ns - max(key[3], key[4]) < RACY_NS:
        return None
    return key


def load_item(
    abs_path: Path, docs_dir: Path, root: Path, settings: Settings | None, st: os.stat_result | None = None, cache: BuildCache | None = None
) -> Loaded:
    """Returns the item in one Markdown file with every problem of its own (no cross-item checks).

    Without settings only the parsing is checked (enough to compute a digest). ``st``: the file's
    stat, when the caller has just taken it. With a ``cache``, a file read before is parsed again
    only when its bytes, its place, the settings or its attachments changed (BuildCache.read): a
    reused result is exactly what reading the file again would give."""
    if cache is None:
        return _load_item(abs_path.read_bytes(), abs_path, docs_dir, root, settings, [])
    read = cache.read
    name = str(abs_path)
    known = read.get(name)
    before = stat_key(abs_path) if st is None else (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    raw: bytes | None = None
    if known is not None and known[3] is not None and known[3] == before:
        digest = known[0][0]  # the very bytes read then (see RACY_NS)
    else:
        read_at = time.time_ns()
        raw = abs_path.read_bytes()
        digest = hashlib.sha256(raw).digest()
    key = (digest, name, str(docs_dir), str(root), cache.settings_key(settings))
    if known is not None and known[0] == key and known[2].item is not None:
        found: list[Problem] = []
        attachments = _attachments(abs_path, docs_dir, known[2].item.meta, known[2].item.lines, known[2].path, found)
        if (attachments, tuple(found)) == known[1]:
            if raw is not None:  # read again (recently changed, or a new stat): trust the stat from now on if it may be
                read[name] = known[:3] + (_trusted(before, read_at),)
            return Loaded(known[2].path, known[2].item, list(known[2].problems))
    if raw is None:
        before = stat_key(abs_path)
        read_at = time.time_ns()
        raw = abs_path.read_bytes()
        key = (hashlib.sha256(raw).digest(),) + key[1:]
    as_found: list = []
    loaded = _load_item(raw, abs_path, docs_dir, root, settings, as_found, cache, key[0])
    if loaded.item is not None:
        read[name] = (key, as_found[0], Loaded(loaded.path, loaded.item, list(loaded.problems)), _trusted(before, read_at))
    else:
        read.pop(name, None)
    return loaded


def _load_item(
    raw: bytes, abs_path: Path, docs_dir: Path, root: Path, settings: Settings | None, as_found: list, cache: BuildCache | None = None, digest: bytes = b""
) -> Loaded:
    """Returns the item in the bytes ``raw`` of the file at ``abs_path`` (sha256 ``digest``, given
    with a cache). Its front-matter, as parsed and checked, is a function of the bytes, the file's
    place and the settings: with them as key it is kept in the cache on disk (BuildCache.store)
    and taken from there while they stay the same; the attachments are looked at every time."""
    path = abs_path.relative_to(root).as_posix()
    rel = abs_path.relative_to(docs_dir).as_posix()
    text, problems = read_text(raw, path)
    if text is None:
        return Loaded(path, None, problems)
    split = split_front_matter(text, path)
    if isinstance(split, Problem):
        return Loaded(path, None, [split])
    front, body, body_line = split
    store = cache.store if cache is not None and digest else None
    stored_key = ""
    if store is not None:
        assert cache is not None
        stored_key = key_of("front matter 1", digest, path, rel, cache.settings_key(settings))
        data = store.get(FRONT_MATTER, stored_key)
        stored = _stored_front_matter(data) if data is not None else None
        if stored is not None:
            return _finish_item(abs_path, docs_dir, path, rel, body, body_line, *stored, as_found)
        cache.store_misses[FRONT_MATTER] += 1
    if len(front) > MAX_FRONT_MATTER:
        return Loaded(path, None, [Problem(path, 1, f"front-matter 过长(超过 {MAX_FRONT_MATTER // 1024} KB):front-matter 只写标题、索引号等字段,正文请写在第二行 --- 之后")])
    try:
        parsed = yamlsafe.parse(front)
    except yamlsafe.YamlProblem as exc:
        return Loaded(path, None, [Problem(path, exc.line + 1, exc.message)])
    meta = parsed.data
    if not isinstance(meta, dict):
        culprit = yamlsafe.fullwidth_colon(front)
        if culprit is not None:
            return Loaded(path, None, [Problem(path, culprit[0] + 1, f"YAML 格式错误:{yamlsafe.fullwidth_colon_message(culprit[1])}")])
        return Loaded(path, None, [Problem(path, 2, "front-matter 必须是“字段: 值”的列表")])
    lines = {key: line + 1 for key, line in parsed.lines.items()}
    if settings is not None:
        checker = _Checker(path, meta, lines, settings, front)
        checker.check()
        problems = checker.problems
    problems += unshowable_characters(meta, lines, path)
    top = rel.split("/", 1)[0]
    if top in RESERVED_DIRS or rel in RESERVED_FILES or abs_path.name == "README.md":
        problems.append(Problem(path, 1, f"{rel} 是系统生成页面的保留路径({'、'.join(RESERVED_DIRS + RESERVED_FILES)}):请把信息放到机构目录下,如 content/xzf/2025/"))
    if store is not None and _plain(meta):
        store.put(FRONT_MATTER, stored_key, json.dumps([meta, lines, problem_rows(problems)]).encode("ascii"))
    return _finish_item(abs_path, docs_dir, path, rel, body, body_line, meta, lines, problems, as_found)


def _finish_item(
    abs_path: Path, docs_dir: Path, path: str, rel: str, body: str, body_line: int, meta: dict, lines: dict[str, int], problems: list[Problem], as_found: list
) -> Loaded:
    """Returns the item of a checked front-matter, with its attachments as they are now."""
    before = len(problems)
    attachments = _attachments(abs_path, docs_dir, meta, lines, path, problems)
    as_found.append((attachments, tuple(problems[before:])))
    reviews = _reviews(meta, lines, path, problems)
    item = Item(
        path=path,
        rel=rel,
        meta=meta,
        body=body,
        body_line=body_line,
        lines=lines,
        attachment_digests=attachments,
        reviews=reviews,
    )
    return Loaded(path, item, problems)


def problem_rows(problems: list[Problem]) -> list[list]:
    """Returns the problems as JSON rows [path, line, message, severity] (see ``stored_problems``)."""
    return [[p.path, p.line, p.message, p.severity] for p in problems]


def stored_problems(value: Any) -> list[Problem] | None:
    """Returns the problems in rows that ``problem_rows`` made, or None for anything else."""
    if not isinstance(value, list):
        return None
    found = []
    for row in value:
        if not (isinstance(row, list) and len(row) == 4 and isinstance(row[0], str) and type(row[1]) is int and isinstance(row[2], str) and row[3] in (ERROR, WARNING)):
            return None
        found.append(Problem(row[0], row[1], row[2], row[3]))
    return found


def _plain(value: Any) -> bool:
    """Returns True when JSON gives the value back exactly: the same types (str, int, float, bool,
    None, lists, dicts with str keys), in the same order."""
    stack = [value]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            if not all(type(key) is str for key in value):
                return False
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind not in (str, int, bool, type(None)) and not (kind is float and value == value and abs(value) != float("inf")):
            return False
    return True


def _stored_front_matter(data: bytes) -> tuple[dict, dict[str, int], list[Problem]] | None:
    """Returns (meta, lines, problems) as stored by _load_item, or None for anything else."""
    try:
        value = json.loads(data)
    except ValueError:
        return None
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], dict) and isinstance(value[1], dict)):
        return None
    meta, lines, rows = value
    if not all(type(line) is int for line in lines.values()):
        return None
    problems = stored_problems(rows)
    return None if problems is None else (meta, lines, problems)


def unshowable_characters(value: Any, lines: dict[str, int], path: str, key: str = "") -> list[Problem]:
    """Returns an error for each front-matter string (or key) holding a control character or a
    bidirectional control: such text reads differently from what is stored (or breaks the feed,
    the catalog, the ledger), wherever it is shown. Refused here, with the line, not cleaned later."""
    found: list[Problem] = []
    if isinstance(value, dict):
        for name, child in value.items():
            found += unshowable_characters(name, lines, path, key) + unshowable_characters(child, lines, path, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += unshowable_characters(child, lines, path, f"{key}[{index}]")
    elif isinstance(value, str):
        char = escaping.unshowable(value)
        if char is not None:
            found.append(Problem(path, lines.get(key, 1) if key else 1, f"字段 {key or repr(value)} 含有不可见的 {escaping.describe(char)}:它会让显示的文字与实际内容不同,或使目录、订阅源、台账无法读取。请删除它(在编辑器中显示不可见字符;YAML 中也不要写 \\u{ord(char):04x} 这样的转义)"))
    return found


def load_tree(docs_dir: Path, root: Path, settings: Settings, cache: BuildCache | None = None) -> Tree:
    """Returns every item under docs_dir with its problems (a 索引号 shared by several files is
    settled later, by gate/unique.py: which file keeps it depends on signatures and Git)."""
    docs_dir, root = Path(docs_dir).resolve(), Path(root).resolve()
    paths, problems = content_files(docs_dir, root)
    return finish_tree(docs_dir, [load_item(path, docs_dir, root, settings, cache=cache) for path in paths], problems, cache)


def content_files(docs_dir: Path, root: Path) -> tuple[list[Path], list[Problem]]:
    """Returns the Markdown files under docs_dir (resolved) in walk order, and what was skipped."""
    paths: list[Path] = []
    problems: list[Problem] = []
    for dirpath, dirnames, filenames in os.walk(docs_dir):
        dirnames.sort()
        here = Path(dirpath)
        for name in list(dirnames):
            if (here / name).is_symlink():
                problems.append(Problem(_rel(here / name, root), 1, "符号链接目录不会被发布,也不会被检查", WARNING))
                dirnames.remove(name)
            elif name.startswith("."):
                dirnames.remove(name)
        for name in sorted(filenames):
            if not name.endswith(".md") or name.startswith("."):
                continue
            abs_path = here / name
            if not stat.S_ISREG(os.lstat(abs_path).st_mode):
                problems.append(Problem(_rel(abs_path, root), 1, "符号链接或特殊文件不会被发布:请改为普通文件", WARNING))
                continue
            paths.append(abs_path)
    return paths, problems


def finish_tree(docs_dir: Path, files: list[Loaded], problems: list[Problem], cache: BuildCache | None = None) -> Tree:
    """Returns the tree of the files loaded from docs_dir (resolved), and forgets in the cache the
    files that are gone."""
    if cache is not None:
        seen = {str(docs_dir / f.item.rel) for f in files if f.item is not None}
        # Forget the files of this tree that are gone (those of other trees stay: tests build many).
        prefix = str(docs_dir) + os.sep
        for stale in [p for p in cache.read if p.startswith(prefix) and p not in seen]:
            del cache.read[stale]
    return Tree(files, problems)


def take_cached(abs_path: Path, cache: BuildCache) -> tuple | None:
    """Removes and returns what the read cache holds for a file (for a worker process to hand back)."""
    return cache.read.pop(str(abs_path), None)


def put_cached(abs_path: Path, entry: tuple | None, cache: BuildCache) -> None:
    """Stores an entry that take_cached returned in another process: as if the file was read here."""
    if entry is not None:
        cache.read[str(abs_path)] = entry


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


class _Checker:
    """Applies the front-matter schema (gongkai/law/schema.py) to one front-matter, collecting problems at the line of each key."""

    def __init__(self, path: str, meta: dict[str, Any], lines: dict[str, int], settings: Settings, front: str = ""):
        self.path, self.meta, self.lines, self.settings = path, meta, lines, settings
        self.front_lines = front.split("\n")
        self.problems: list[Problem] = []

    def _commented(self, key: str) -> str:
        """Returns a hint when the value of ``key`` is empty because it starts with #: YAML reads
        `title: #3号文件` as an empty title and a comment."""
        line = self.lines.get(key)
        text = self.front_lines[line - 2] if line and 2 <= line <= len(self.front_lines) + 1 else ""
        if self.meta.get(key) is None and re.match(rf"\s*{re.escape(key)}\s*:\s+#", text):
            return f":以 # 开头的值被 YAML 当作注释,请把整个值用英文引号括起来,如 {key}: \"{text.split('#', 1)[1].strip()}\""
        return ""

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.lines.get(key, 1), message))

    def warn(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.lines.get(key, 1), message, WARNING))

    def check(self) -> None:
        meta = self.meta
        for key in meta:
            if key not in schema.KEYS:
                self.error(key, _unknown_key(key))
        for key in ("title", "index_no", "unit", "attribute", "category", "created"):
            if key not in meta or meta[key] in (None, ""):
                self.problems.append(Problem(self.path, self.lines.get(key, 1), f"缺少必填字段 {key}({_label(key)}){self._commented(key)}"))
        for key in schema.TEXT_KEYS:
            if key in meta and meta[key] is not None and not isinstance(meta[key], str):
                self.error(key, f"字段 {key}({_label(key)})应为文字,请加引号")
        self._check_sizes()
        self._check_attribute()
        self._check_unit()
        self._check_category()
        self._check_dates()
        self._check_index_no()
        self._check_validity()
        self._check_source()
        if "interprets" in meta and isinstance(meta["interprets"], str) and not INDEX_NO.fullmatch(meta["interprets"]):
            self.error("interprets", f"interprets 应为被解读文件的索引号(如 {self._example_index()}),实际为 {_shown(meta['interprets'])}")
        if "replaced_by" in meta and isinstance(meta["replaced_by"], str) and not INDEX_NO.fullmatch(meta["replaced_by"]):
            self.error("replaced_by", f"replaced_by 应为取代本文件的新文件的索引号(如 {self._example_index()}),实际为 {_shown(meta['replaced_by'])}")
        if "secrecy" in meta and isinstance(meta["secrecy"], str) and meta["secrecy"] != NOT_CLASSIFIED:
            pass  # the gate fails the build for this; reported there once
        if meta.get("category") == ANNUAL_REPORT and "report" not in meta:
            self.error("category", "年度报告必须有 report: 数据块(写法见 docs/report.md)")
        if "report" in meta and meta.get("category") != ANNUAL_REPORT:
            self.error("report", "只有 category: 年度报告 的信息才能有 report: 数据块")
        if "report" in meta and not isinstance(meta["report"], dict):
            self.error("report", "report: 应为字段列表(year、requests …)")

    def _check_sizes(self) -> None:
        title = self.meta.get("title")
        if isinstance(title, str) and len(title) > MAX_TITLE:
            self.error("title", f"标题过长({len(title)} 字,不能超过 {MAX_TITLE} 字):请精简标题,详细内容写在正文或内容概述 summary 中")
        for key, value in self.meta.items():
            for where, text in _strings_in(value, key):
                if len(text) > MAX_FIELD:
                    line = self.lines.get(where, self.lines.get(key, 1))
                    self.problems.append(Problem(self.path, line, f"字段 {where} 过长({len(text)} 字,不能超过 {MAX_FIELD} 字):长篇内容请写在正文中"))

    def _check_attribute(self) -> None:
        meta = self.meta
        value = meta.get("attribute")
        if value is None:
            return
        if not isinstance(value, str) or value not in {a.value for a in Attribute}:
            self.error("attribute", f"公开属性 {_shown(value)} 无效:只能是 主动公开、部分公开、依申请公开、不予公开")
            return
        if value != "主动公开" and not meta.get("basis"):
            self.error("attribute", f"公开属性为{value}时必须写明法定理由 basis(如:条例第十五条 个人隐私)")
        if value in ("主动公开", "部分公开") and not meta.get("published"):
            self.error("attribute", f"公开属性为{value}时必须写明发布日期 published(YYYY-MM-DD)")

    def _check_unit(self) -> None:
        known = [u.id for u in self.settings.units]
        unit = self.meta.get("unit")
        if unit is not None and unit not in known:
            self.error("unit", f"发布机构 {_shown(unit)} 未在 mkdocs.yml 的 extra.gongkai.units 中定义{_suggest(str(unit), known)}")
        co_units = self.meta.get("co_units")
        if co_units is None:
            return
        if not isinstance(co_units, list) or not all(isinstance(u, str) for u in co_units):
            self.error("co_units", "co_units 应为机构 id 列表,如 [fgj, jyj]")
            return
        for other in co_units:
            if other not in known:
                self.error("co_units", f"联合发文机构 {_shown(other)} 未在 extra.gongkai.units 中定义{_suggest(other, known)}")
            elif other == unit:
                self.error("co_units", f"联合发文机构 {other} 与发布机构相同")

    def _check_category(self) -> None:
        category = self.meta.get("category")
        if category is None:
            return
        known = category_ids(self.settings.categories)
        if category not in known:
            self.error("category", f"目录类别 {_shown(category)} 不存在{_suggest(str(category), list(known))};可用类别:{'、'.join(known)};也可在 mkdocs.yml 的 extra.gongkai.categories 中增加")

    def _check_dates(self) -> None:
        for key in ("created", "published", "repealed_on"):
            if key in self.meta and self.meta[key] is not None:
                self._date(key, self.meta[key])
        created, published = self._date_or_none("created"), self._date_or_none("published")
        if created and published and published < created:
            self.warn("published", f"发布日期 {published} 早于成文日期 {created}")

    def _date(self, key: str, value: Any) -> date | None:
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(key, f"日期 {key}({_label(key)})格式错误:{_shown(value)},应为 YYYY-MM-DD 形式的有效日期,如 2025-03-01")
        return None

    def _date_or_none(self, key: str) -> date | None:
        value = self.meta.get(key)
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return None
        return None

    def _example_index(self) -> str:
        units = self.settings.units
        return f"{units[0].code}/2025-00001" if units else "机构代码/2025-00001"

    def _check_index_no(self) -> None:
        value = self.meta.get("index_no")
        if value is None or value == "":
            return
        match = INDEX_NO.fullmatch(value) if isinstance(value, str) else None
        if not match:
            self.error("index_no", f"索引号 {_shown(value)} 格式错误:应为 {{机构代码}}/{{年份}}-{{五位序号}},如 {self._example_index()}")
            return
        unit = self.settings.unit(str(self.meta.get("unit")))
        if unit is not None and match["code"] != unit.code:
            self.error("index_no", f"索引号前缀 {match['code']} 与发布机构 {unit.name} 的机构代码 {unit.code} 不一致")

    def _check_validity(self) -> None:
        validity = self.meta.get("validity")
        if validity is not None and validity not in VALIDITIES:
            self.error("validity", f"有效性 {_shown(validity)} 无效:只能是 有效、失效、废止")
        if "repealed_on" in self.meta and (validity in (None, "有效")):
            self.error("repealed_on", "写了废止日期 repealed_on,但有效性仍为有效:请把 validity 改为 失效 或 废止")
        if "replaced_by" in self.meta and (validity in (None, "有效")):
            self.error("replaced_by", "写了替代文件 replaced_by,但有效性仍为有效:请把 validity 改为 失效 或 废止,或删去 replaced_by")

    def _check_source(self) -> None:
        source = self.meta.get("source")
        if source is None:
            return
        if not isinstance(source, dict):
            self.error("source", "source 应写明转载来源:name(来源名称)、url(原文链接)、date(原文日期)")
            return
        for key in source:
            if key not in schema.SOURCE_KEYS:
                self.error(f"source.{key}", f"source 中的未知字段 {key}{_suggest(key, list(schema.SOURCE_KEYS))}")
        if not source.get("name"):
            self.error("source", "转载信息必须写明来源名称 source.name")
        if "date" in source:
            self._date("source.date", source["date"])


def _attachments(abs_path: Path, docs_dir: Path, meta: dict, lines: dict, path: str, problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    declared = meta.get("attachments")
    if declared is None:
        return ()
    line = lines.get("attachments", 1)
    if not isinstance(declared, list):
        problems.append(Problem(path, line, "attachments 应为附件路径列表,如 [files/附件1.pdf]"))
        return ()
    result = []
    for index, entry in enumerate(declared):
        entry_line = lines.get(f"attachments[{index}]", line)
        problem = _attachment_problem(abs_path.parent, docs_dir, entry)
        if problem:
            problems.append(Problem(path, entry_line, problem))
            continue
        result.append((entry, file_sha256(abs_path.parent / entry)))
    return tuple(result)


def _attachment_problem(item_dir: Path, docs_dir: Path, entry: Any) -> str | None:
    if not isinstance(entry, str) or not entry.strip():
        return "附件路径应为文字"
    if any(ord(char) < 32 or ord(char) == 127 for char in entry):
        return f"附件路径 {_shown(entry)} 含有控制字符"
    if "\\" in entry:
        return f"附件路径 {entry} 含反斜杠:请用 / 分隔目录"
    pure = PurePosixPath(entry)
    if pure.is_absolute() or ".." in pure.parts or entry.startswith("~"):
        return f"附件路径 {entry} 必须是本信息所在目录之内的相对路径(不能以 / 开头,不能含 ..)"
    if pure.suffix.lower() == ".md":
        return f"附件 {entry} 是 Markdown 文件:信息页面不能作为附件"
    current = item_dir
    for part in pure.parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return f"附件 {entry} 不存在(注意文件名大小写)"
        except (OSError, ValueError) as exc:
            return f"附件 {entry} 无法读取:{exc}"
        if stat.S_ISLNK(mode):
            return f"附件 {entry} 是符号链接:附件必须是普通文件"
    if not stat.S_ISREG(os.lstat(current).st_mode):
        return f"附件 {entry} 不是普通文件"
    try:
        current.resolve().relative_to(docs_dir)
    except ValueError:
        return f"附件 {entry} 不在 content/ 目录内"
    return None


def _reviews(meta: dict, lines: dict, path: str, problems: list[Problem]) -> tuple[Review, ...]:
    declared = meta.get("reviews")
    if declared is None:
        return ()
    line = lines.get("reviews", 1)
    if not isinstance(declared, list):
        problems.append(Problem(path, line, "reviews 应为审核签名列表(由 gongkai sign 写入)"))
        return ()
    result = []
    for index, entry in enumerate(declared):
        entry_path = f"reviews[{index}]"
        entry_line = lines.get(entry_path, line)
        if not isinstance(entry, dict):
            problems.append(Problem(path, entry_line, "每条审核签名应包含 stage、by、at、sig"))
            continue
        bad = False
        for key in entry:
            if key not in schema.REVIEW_KEYS:
                problems.append(Problem(path, lines.get(f"{entry_path}.{key}", entry_line), f"审核签名中的未知字段 {key}{_suggest(key, list(schema.REVIEW_KEYS))}"))
                bad = True
        for key in schema.REVIEW_KEYS:
            if not isinstance(entry.get(key), str) or not entry.get(key):
                problems.append(Problem(path, entry_line, f"审核签名缺少 {key} 或其值不是文字"))
                bad = True
        if not bad and entry["stage"] not in STAGES:
            problems.append(Problem(path, lines.get(f"{entry_path}.stage", entry_line), f"审核环节 {_shown(entry['stage'])} 无效:只能是 {'、'.join(STAGES)}"))
            bad = True
        if not bad:
            result.append(Review(entry["stage"], entry["by"], entry["at"], entry["sig"], entry_line))
    return tuple(result)


def _strings_in(value: Any, where: str) -> list[tuple[str, str]]:
    """Returns (dotted path, text) for every string in a front-matter value (keys included)."""
    found: list[tuple[str, str]] = []
    stack = [(where, value)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            found.append((where, value))
        elif isinstance(value, list):
            stack.extend((f"{where}[{index}]", entry) for index, entry in enumerate(value))
        elif isinstance(value, dict):
            for key, entry in value.items():
                found.append((f"{where}.{key}", str(key)))
                stack.append((f"{where}.{key}", entry))
    return found


def _shown(value: Any, limit: int = 60) -> str:
    """Returns the repr of a value as quoted in a message, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(key: str) -> str:
    for f in schema.FIELDS:
        if f.key == key:
            return f.label
    return key


def _suggest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    return f",是否应为 {close[0]}?" if close else ""


def _unknown_key(key: str) -> str:
    if key in schema.LABELS:
        target = schema.LABELS[key]
        return f"未知字段 {key}:字段名请用英文,是否应为 {target}({key})?"
    close = difflib.get_close_matches(key, schema.KEYS, n=1, cutoff=0.6)
    if close:
        return f"未知字段 {key},是否应为 {close[0]}({_label(close[0])})?"
    return f"未知字段 {key}:可用字段为 {', '.join(schema.KEYS)}"
