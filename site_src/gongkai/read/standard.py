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
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gongkai.errors import WARNING, Problem
from gongkai.law import standard
from gongkai.model import Settings
from gongkai.read import yamlsafe

FILE_KEYS = ("unit", "effective", "matters")


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
            units.append(found)
    return Standards(tuple(units), tuple(problems))


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
    unknown = [h for h in header if h and h not in standard.BY_LABEL]
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
