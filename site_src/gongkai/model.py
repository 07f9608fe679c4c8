"""The domain model: frozen dataclasses, no I/O."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gongkai.errors import Problem


class Attribute(str, enum.Enum):
    """公开属性, as declared by the editor (公开属性源头认定)."""

    主动公开 = "主动公开"
    部分公开 = "部分公开"
    依申请公开 = "依申请公开"
    不予公开 = "不予公开"


STAGES = ("初审", "复审", "终审", "保密审查")
# 备案: the 政务公开领导小组办公室 files a 动态调整 of the 标准目录 (a role in reviewers.yml, no stage of an item).
FILING = "备案"
# Not a review stage: the role of a reviewers.yml entry whose keys sign what `gongkai publish` puts live.
PUBLISH_ROLE = "发布"
ROLES = (*STAGES, FILING, PUBLISH_ROLE)
# 三审: the three content reviews must be made by three different people.
THREE_REVIEWS = ("初审", "复审", "终审")
VALIDITIES = ("有效", "失效", "废止")
NOT_CLASSIFIED = "非涉密"


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    code: str
    address: str = ""
    hours: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    postcode: str = ""


@dataclass(frozen=True)
class Review:
    stage: str
    by: str
    at: str
    sig: str
    line: int = 0


@dataclass(frozen=True)
class Stale:
    """A stage whose only signature was made, by a reviewer entitled to make it, over an earlier
    version of the item: it neither counts nor refuses the item, which waits for re-review."""

    stage: str
    by: str  # reviewer id
    name: str  # the reviewer's name in reviewers.yml

    def describe(self) -> str:
        return f"{self.stage}({self.name})"


@dataclass(frozen=True)
class Source:
    name: str
    url: str = ""
    date: str = ""


@dataclass(frozen=True)
class Item:
    """One piece of government information as the editor wrote it."""

    path: str  # POSIX path relative to the repository root, e.g. content/xzf/2025/a.md
    rel: str  # POSIX path relative to docs_dir, e.g. xzf/2025/a.md
    meta: dict[str, Any]  # the front-matter as parsed (dates as ISO strings)
    body: str  # Markdown after the front-matter, LF line endings
    body_line: int  # line number of the first body line
    lines: dict[str, int]  # dotted key path (title, report.requests.自然人.新收, reviews[0]) -> line
    attachment_digests: tuple[tuple[str, str], ...] = ()  # (path, sha256 hex) in declared order
    reviews: tuple[Review, ...] = ()

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))

    @property
    def index_no(self) -> str:
        return str(self.meta.get("index_no", ""))

    @property
    def unit(self) -> str:
        return str(self.meta.get("unit", ""))

    @property
    def co_units(self) -> tuple[str, ...]:
        return tuple(self.meta.get("co_units") or ())

    @property
    def attribute(self) -> Attribute:
        return Attribute(self.meta["attribute"])

    @property
    def category(self) -> str:
        return str(self.meta.get("category", ""))

    @property
    def created(self) -> date:
        return date.fromisoformat(self.meta["created"])

    @property
    def published(self) -> date | None:
        value = self.meta.get("published")
        return date.fromisoformat(value) if value else None

    @property
    def validity(self) -> str:
        return str(self.meta.get("validity") or "有效")

    @property
    def attachments(self) -> tuple[str, ...]:
        return tuple(self.meta.get("attachments") or ())


class Verdict(str, enum.Enum):
    """What the gate decided for one item."""

    PUBLISH = "publish"  # full page (主动公开, or 部分公开 redacted)
    METADATA = "metadata"  # 依申请公开: catalog metadata only
    EXCLUDE = "exclude"  # 不予公开: nothing, anywhere
    HOLD = "hold"  # 待审 or 定时发布: nothing yet
    REFUSE = "refuse"  # invalid item or signature: nothing; an error
    FAIL = "fail"  # classified mark or personal data: the build stops


VERDICT_LABELS = {
    Verdict.PUBLISH: "已发布",
    Verdict.METADATA: "依申请公开(仅目录)",
    Verdict.EXCLUDE: "不予公开",
    Verdict.HOLD: "待发布",
    Verdict.REFUSE: "已拒绝",
    Verdict.FAIL: "构建失败",
}


@dataclass(frozen=True)
class Decision:
    """The gate's verdict on one item, with the published text when there is one."""

    path: str
    verdict: Verdict
    item: Item | None = None
    text: str | None = None  # the Markdown body to publish (redacted for 部分公开)
    missing: tuple[str, ...] = ()  # required review stages without a valid signature (待审), stale ones included
    stale: tuple[Stale, ...] = ()  # stages signed over an earlier version (内容已修改,须重新审核)
    problems: tuple[Problem, ...] = ()
    reason: str = ""  # one line for `gongkai check`
    # The 发布日期 the public sees (PUBLISH and METADATA): the later of the typed `published` and
    # the China-time date of the signature that completed the review (the gate sets it; pages,
    # catalogs, exports, the 20-day check and the ledger all read it, never item.published).
    published: date | None = None

    @property
    def visible(self) -> bool:
        return self.verdict in (Verdict.PUBLISH, Verdict.METADATA)


@dataclass(frozen=True)
class Reviewer:
    id: str
    name: str
    units: tuple[str, ...]
    roles: tuple[str, ...]
    keys: tuple[str, ...]  # authorized_keys-style lines
    valid_until: date | None = None
    line: int = 0

    def covers_unit(self, unit: str) -> bool:
        return "*" in self.units or unit in self.units


@dataclass(frozen=True)
class DeclaredYear:
    """One year's 放假调休安排 as the 国务院办公厅 announced it and a portal wrote it in its settings
    (extra.gongkai.calendar), for a year the installed chinesecalendar does not know yet."""

    year: int
    holidays: frozenset[date]  # 放假 days (weekends inside a holiday included)
    workdays: frozenset[date]  # 调休上班: a Saturday or Sunday worked
    notice: str = ""  # the notice it comes from, e.g. 国办发明电〔2026〕7号
    line: int = 0  # where mkdocs.yml declares it (0: unknown)


@dataclass(frozen=True)
class Settings:
    """extra.gongkai, validated, with the defaults of SPEC §2."""

    agency: str
    units: tuple[Unit, ...]
    site_code: str = ""
    icp: str = ""
    police_record: str = ""
    reviewers_file: str = "reviewers.yml"
    review_default: tuple[str, ...] = STAGES
    review_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    link_allowlist: tuple[str, ...] = ("*.gov.cn",)
    pii_mobile: str = "warn"
    update_cycles: dict = field(default_factory=dict)  # category -> cycle as written (validated by health)
    apply_url: str = ""  # where a request can be made online (https), or ""
    calendar: tuple[DeclaredYear, ...] = ()  # declared 放假调休安排, one per year

    def unit(self, unit_id: str) -> Unit | None:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        return None

    def required_stages(self, category: str) -> tuple[str, ...]:
        return self.review_categories.get(category, self.review_default)
