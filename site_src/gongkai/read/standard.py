"""standards/{unit}.yml or standards/{unit}.csv -> each unit's 政务公开事项标准目录, checked field by
field with ``path:line`` problems, as items are.

The YAML file::

    unit: fgj              # optional; the file name is the unit id
    effective: 2025-01-01  # optional: since when the catalog applies (the event-driven 时限 count from it)
    matters:
      - domain: 价格
        first: 价格监测
        second: 重要商品和服务价格监测信息
        ...                # the keys of law/standard.COLUMNS

The CSV file (what an office exports from Excel, UTF-8 with or without BOM, or GB18030): a header
row of the Chinese column names (领域, 一级事项, 二级事项, …), one 事项 a row.
"""
from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gongkai import escaping
from gongkai.errors import WARNING, Problem
from gongkai.law import standard
from gongkai.law.taxonomy import category_ids
from gongkai.model import Review, Settings
from gongkai.read import yamlsafe
from gongkai.read.loader import split_front_matter, unshowable_characters

FILE_KEYS = ("unit", "effective", "matters")
UNIT_HEADER = "发布机构"  # the column the portal's download (xxgk/bzml/bzml.csv) adds: ignored here


@dataclass(frozen=True)
class Matter:
    """One 事项 of a unit's 标准目录."""

    unit: str
    values: tuple[tuple[str, str], ...]  # (key of law/standard.COLUMNS, text)
    path: str
    line: int

    def get(self, key: str) -> str:
        return dict(self.values).get(key, "")

    @property
    def name(self) -> str:
        return self.get("second")

    @property
    def active(self) -> bool:
        return self.get("mode") == "主动"


@dataclass(frozen=True)
class UnitStandard:
    unit: str
    path: str
    matters: tuple[Matter, ...]
    effective: date | None = None


@dataclass(frozen=True)
class Standards:
    units: tuple[UnitStandard, ...] = ()
    problems: tuple[Problem, ...] = field(default=())

    def matters(self, unit: str | None = None) -> tuple[Matter, ...]:
        return tuple(m for u in self.units if unit is None or u.unit == unit for m in u.matters)

    def find(self, unit: str, name: str) -> Matter | None:
        return next((m for m in self.matters(unit) if m.name == name), None)


def load_standards(root: Path, settings: Settings) -> Standards:
    """Returns every unit's 标准目录 under ``root``/standards, and what is wrong in them."""
    folder = Path(root) / standard.FOLDER
    if not folder.is_dir():
        return Standards()
    units, problems = [], []
    known = {u.id for u in settings.units}
    seen: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in (".yml", ".yaml", ".csv"):
            continue
        display = f"{standard.FOLDER}/{path.name}"
        unit = path.stem
        if unit not in known:
            problems.append(Problem(display, 1, f"文件名应为发布机构的 id(如 {next(iter(known), 'xzf')}.yml):{unit} 不在 extra.gongkai.units 中"))
            continue
        if unit in seen:
            problems.append(Problem(display, 1, f"{unit} 的标准目录已在 {seen[unit]} 中:每个机构只用一个文件(.yml 或 .csv)"))
            continue
        seen[unit] = display
        found = _read_csv(path, display, unit, problems) if path.suffix.lower() == ".csv" else _read_yaml(path, display, unit, problems)
        if found is not None:
            found = _known_categories(found, category_ids(settings.categories), problems)
        if found is not None:
            units.append(found)
    return Standards(tuple(units), tuple(problems))


def _known_categories(found: UnitStandard, known: tuple[str, ...], problems: list[Problem]) -> UnitStandard:
    """Returns the catalog without the 事项 whose 目录类别 is no category of the portal (an error each)."""
    kept = []
    for matter in found.matters:
        category = matter.get("category")
        if category and category not in known:
            close = difflib.get_close_matches(category, known, n=1)
            hint = f",是否应为 {close[0]}?" if close else f";可用的类别为 {'、'.join(known)}"
            problems.append(Problem(found.path, matter.line, f"事项 {matter.name} 的目录类别 {category} 不存在{hint}"))
            continue
        kept.append(matter)
    return UnitStandard(found.unit, found.path, tuple(kept), found.effective)


def _read_yaml(path: Path, display: str, unit: str, problems: list[Problem]) -> UnitStandard | None:
    parsed = yamlsafe.parse_file(path, display)
    if isinstance(parsed, Problem):
        problems.append(parsed)
        return None
    data, lines = parsed.data, parsed.lines
    if not isinstance(data, dict) or not isinstance(data.get("matters"), list):
        problems.append(Problem(display, 1, "标准目录应以 matters: 开头,逐条列出公开事项(domain、first、second、content … 见文档)"))
        return None
    for key in data:
        if key not in FILE_KEYS:
            problems.append(Problem(display, lines.get(str(key), 1), f"未知字段 {key};可用字段为 {', '.join(FILE_KEYS)}"))
    if data.get("unit") not in (None, unit):
        problems.append(Problem(display, lines.get("unit", 1), f"unit 为 {data.get('unit')},与文件名 {unit} 不符"))
    effective = _date(data.get("effective"), display, lines.get("effective", 1), problems)
    rows = []
    for index, entry in enumerate(data["matters"]):
        where = f"matters[{index}]"
        line = lines.get(where, 1)
        if not isinstance(entry, dict):
            problems.append(Problem(display, line, "每个公开事项应为字段列表(domain、first、second …)"))
            continue
        rows.append((line, {str(k): v for k, v in entry.items()}, {k: lines.get(f"{where}.{k}", line) for k in map(str, entry)}))
    return UnitStandard(unit, display, _matters(rows, display, unit, problems, labels=False), effective)


def _read_csv(path: Path, display: str, unit: str, problems: list[Problem]) -> UnitStandard | None:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        problems.append(Problem(display, 1, "文件既不是 UTF-8 也不是 GB18030 编码:请在 Excel 中另存为“CSV UTF-8(逗号分隔)”"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        table = list(reader)
    except csv.Error as exc:
        problems.append(Problem(display, reader.line_num or 1, f"CSV 格式错误:{exc}"))
        return None
    if not table:
        problems.append(Problem(display, 1, "文件是空的:第一行应为表头(领域、一级事项、二级事项 …)"))
        return None
    header = [h.strip() for h in table[0]]
    unknown = [h for h in header if h and h not in standard.BY_LABEL and h != UNIT_HEADER]
    if unknown:
        problems.append(Problem(display, 1, f"表头中的 {'、'.join(unknown)} 不是标准目录的列;可用的列为 {'、'.join(standard.BY_LABEL)}"))
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        entry = {header[i]: cells[i] for i in range(min(len(header), len(cells))) if header[i] in standard.BY_LABEL}
        rows.append((number, entry, {k: number for k in entry}))
    return UnitStandard(unit, display, _matters(rows, display, unit, problems, labels=True))


def _matters(rows: list[tuple[int, dict[str, Any], dict[str, int]]], display: str, unit: str, problems: list[Problem], labels: bool) -> tuple[Matter, ...]:
    """Returns the valid 事项 of the rows (line, {key or label: value}, {key or label: line})."""
    names: dict[str, int] = {}
    found = []
    for line, entry, lines in rows:
        values: dict[str, str] = {}
        bad = False
        for key, value in entry.items():
            column = standard.BY_LABEL.get(key) if labels else (key if key in standard.KEYS else None)
            if column is None:
                problems.append(Problem(display, lines.get(key, line), f"未知字段 {key};可用字段为 {', '.join(standard.KEYS)}"))
                continue
            if value is None:
                continue
            if not isinstance(value, str) or isinstance(value, bool):
                problems.append(Problem(display, lines.get(key, line), f"{standard.LABELS[column]}({column})应为文字;数字、日期请加引号"))
                bad = True
                continue
            char = escaping.unshowable(value)
            if char is not None:
                problems.append(Problem(display, lines.get(key, line), f"{standard.LABELS[column]}含有不可见的 {escaping.describe(char)}:它会让显示的文字与实际内容不同,请删除"))
                bad = True
                continue
            values[column] = value.strip()
        name_of = (lambda k: standard.LABELS[k]) if labels else (lambda k: f"{standard.LABELS[k]}({k})")
        for required in standard.COLUMNS:
            if required.required and not values.get(required.key):
                problems.append(Problem(display, line, f"缺少{name_of(required.key)}:{required.help}"))
                bad = True
        where = {k: lines.get(standard.LABELS[k] if labels else k, line) for k in values}
        if values.get("mode") and values["mode"] not in standard.MODES:
            problems.append(Problem(display, where["mode"], f"公开方式应为 主动 或 依申请,实际为 {values['mode']!r}"))
            bad = True
        if values.get("audience") and values["audience"] not in standard.AUDIENCES:
            problems.append(Problem(display, where["audience"], f"公开对象应为 全社会 或 特定群体,实际为 {values['audience']!r}", WARNING))
        if values.get("deadline") and values.get("mode") == "主动" and standard.parse_deadline(values["deadline"]) is None:
            problems.append(Problem(display, where["deadline"], f"公开时限 {values['deadline']!r} 无法识别:请写“信息形成(变更)之日起20个工作日内”“每季度”“每年”“每年6月底前”等"))
            bad = True
        name = values.get("second", "")
        if name in names:
            problems.append(Problem(display, line, f"二级事项 {name} 与第 {names[name]} 行重复:同一机构的事项名称不能重复"))
            bad = True
        if bad:
            continue
        names[name] = line
        found.append(Matter(unit, tuple((c.key, values.get(c.key, "")) for c in standard.COLUMNS), display, line))
    return tuple(found)


def _date(value: Any, display: str, line: int, problems: list[Problem]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(display, line, f"日期 {value!r} 格式错误,应为 YYYY-MM-DD"))
        return None


# ------------------------------------------------------------------ 动态调整 records

RECORD_KEYS = ("id", "kind", "target", "unit", "name", "reason", "basis", "date", "change", "reviews")
REQUIRED_RECORD_KEYS = ("id", "kind", "target", "name", "reason", "basis", "date")


@dataclass(frozen=True)
class Record:
    """One 动态调整 record (standards/adjustments/*.md): what changed, why, and its 备案 signatures."""

    path: str
    meta: dict[str, Any]  # the front-matter as parsed, `reviews` included
    body: str  # the 调整说明, Markdown
    lines: dict[str, int]
    reviews: tuple[Review, ...] = ()

    def get(self, key: str) -> str:
        value = self.meta.get(key)
        return "" if value is None else str(value)


def load_records(root: Path, settings: Settings, standards: Standards) -> tuple[list[Record], list[Problem]]:
    """Returns the well-formed 动态调整 records under standards/adjustments/, oldest first, and the
    problems of the others (path:line): each names its kind, a reason of the rule, its 依据 and date."""
    folder = Path(root) / standard.FOLDER / standard.ADJUSTMENTS
    records: list[Record] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return records, problems
    ids: dict[str, str] = {}
    units = {u.id for u in settings.units}
    for path in sorted(folder.glob("*.md")):
        display = f"{standard.FOLDER}/{standard.ADJUSTMENTS}/{path.name}"
        record = _record(path, display, units, problems)
        if record is None:
            continue
        if record.get("id") in ids:
            problems.append(Problem(display, record.lines.get("id", 1), f"备案编号 {record.get('id')} 与 {ids[record.get('id')]} 重复"))
            continue
        ids[record.get("id")] = display
        records.append(record)
    records.sort(key=lambda r: (r.get("date"), r.get("id")))
    return records, problems


def _record(path: Path, display: str, units: set[str], problems: list[Problem]) -> Record | None:
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        problems.append(Problem(display, 1, "文件不是 UTF-8 编码,请另存为 UTF-8"))
        return None
    split = split_front_matter(text, display)
    if isinstance(split, Problem):
        problems.append(split)
        return None
    front, body, _ = split
    try:
        parsed = yamlsafe.parse(front)
    except yamlsafe.YamlProblem as exc:
        problems.append(Problem(display, exc.line + 1, exc.message))
        return None
    meta, lines = parsed.data, {k: v + 1 for k, v in parsed.lines.items()}  # +1: the opening ---
    if not isinstance(meta, dict):
        problems.append(Problem(display, 1, "动态调整记录应以字段开头:id、kind、target、name、reason、basis、date"))
        return None
    count = len(problems)
    problems += unshowable_characters(meta, lines, display)

    def bad(key: str, message: str) -> None:
        problems.append(Problem(display, lines.get(key, 1), message))

    for key in meta:
        if key not in RECORD_KEYS:
            bad(str(key), f"未知字段 {key};可用字段为 {', '.join(RECORD_KEYS)}")
    for key in REQUIRED_RECORD_KEYS:
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            bad(key, f"缺少 {key}({_RECORD_LABELS[key]}),应为文字")
    kind, target = meta.get("kind"), meta.get("target")
    if isinstance(kind, str) and kind not in standard.KINDS:
        bad("kind", f"调整方式 {kind!r} 无效:只能是 {'、'.join(standard.KINDS)}")
    elif isinstance(kind, str) and isinstance(meta.get("reason"), str):
        article, reasons = standard.KINDS[kind]
        if _plain_commas(meta["reason"]) not in {_plain_commas(r) for r in reasons}:
            listed = ";".join(f"“{r}”" for r in reasons)
            bad("reason", f"{kind}的理由应为《政务公开标准目录动态调整制度》{article}所列情形之一:{listed}")
    if isinstance(target, str) and target not in standard.TARGETS:
        bad("target", f"调整对象 {target!r} 无效:只能是 {'、'.join(standard.TARGETS)}")
    if target == "事项" and meta.get("unit") not in units:
        bad("unit", f"事项的调整须写明 unit(发布机构 id,{'、'.join(sorted(units))} 之一)")
    if isinstance(meta.get("date"), str):
        try:
            date.fromisoformat(meta["date"])
        except ValueError:
            bad("date", f"日期 {meta['date']!r} 格式错误,应为 YYYY-MM-DD")
    reviews = []
    for index, entry in enumerate(meta.get("reviews") or []):
        if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("stage", "by", "at", "sig")):
            reviews.append(Review(entry["stage"], entry["by"], entry["at"], entry["sig"], lines.get(f"reviews[{index}]", 1)))
        else:
            bad(f"reviews[{index}]", "签名应包含 stage、by、at、sig(由 gongkai sign 写入)")
    if len(problems) > count:
        return None
    return Record(display, meta, body, lines, tuple(reviews))


_RECORD_LABELS = {"id": "备案编号", "kind": "调整方式:增加、变更或取消", "target": "调整对象:事项或目录类别", "name": "事项名称或目录类别", "reason": "调整理由", "basis": "调整依据", "date": "调整日期 YYYY-MM-DD"}


def _plain_commas(text: str) -> str:
    return text.replace(",", "，").strip()
