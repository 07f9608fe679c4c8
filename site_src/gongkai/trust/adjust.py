"""The 备案 of a 动态调整 record: signed like an item (SSHSIG over the record's digest) by a reviewer
whose roles include 备案 (the 政务公开领导小组办公室). A record counts, and appears on the
目录动态调整 page, only with a valid 备案 signature."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gongkai.errors import WARNING, Problem
from gongkai.law.standard import FILING_ROLE
from gongkai.model import Item, Review, Settings
from gongkai.read.standard import Record, Standards, load_records
from gongkai.trust.review import Verifier, item_digest, signed_on

ALL_UNITS = "*"  # the unit of a 目录类别 adjustment: only a reviewer of every unit may file it


@dataclass(frozen=True)
class Filed:
    """A record with its valid 备案 signature."""

    record: Record
    review: Review

    @property
    def filed_on(self) -> str:
        day = signed_on(self.review.at)
        return day.isoformat() if day else ""


def record_item(record: Record) -> Item:
    """Returns the record as the item its signatures are made over: its fields (the statement's
    `item` is 动态调整/{id}), its 说明 as the body, no attachments."""
    meta = {k: v for k, v in record.meta.items() if k != "reviews"}
    view = {**meta, "index_no": f"动态调整/{record.get('id')}", "unit": record.get("unit") or ALL_UNITS, "created": record.get("date")}
    return Item(record.path, record.path, view | {"reviews": record.meta.get("reviews")}, record.body, 1, record.lines, (), record.reviews)


def filed_records(root: Path, settings: Settings, verifier: Verifier, standards: Standards) -> tuple[list[Filed], list[Problem]]:
    """Returns the records with a valid 备案 signature, oldest first, and the problems: malformed
    records (errors), records not yet filed or with a bad signature (warnings: they wait). The
    ``verifier`` is the gate's: its cache knows the signatures checked before."""
    records, problems = load_records(root, settings, standards)
    filed = []
    for record in records:
        item = record_item(record)
        digest = item_digest(item)
        valid = None
        for review in record.reviews:
            if review.stage != FILING_ROLE:
                problems.append(Problem(record.path, review.line or 1, f"动态调整记录只需{FILING_ROLE}签名,{review.stage}签名不起作用", WARNING))
                continue
            why = verifier.check(item, review, digest)
            if why is None:
                valid = valid or review
            else:
                problems.append(Problem(record.path, review.line or 1, f"{FILING_ROLE}签名无效:{why}", WARNING))
        if valid is None:
            problems.append(Problem(record.path, 1, f"尚未{FILING_ROLE}:须由政务公开领导小组办公室的审核人(角色含“{FILING_ROLE}”)用 gongkai sign --stage {FILING_ROLE} 签名后生效并公布", WARNING))
            continue
        filed.append(Filed(record, valid))
    return filed, problems
