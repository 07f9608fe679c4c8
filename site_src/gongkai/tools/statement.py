"""`gongkai statement`: an item's signed statements and signatures as files, for auditors.

An auditor who trusts nothing of gongkai checks a review with stock OpenSSH alone: the statement
(rebuilt from the item as it is now, so an edit after signing shows as a failed verification),
the armored signature exactly as the reviewer made it, and the allowed_signers file of
`gongkai allowed-signers`. Nothing here judges the signature: ssh-keygen does.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from gongkai.errors import GongkaiError, UsageError
from gongkai.model import STAGES, Item, Review
from gongkai.trust.review import NAMESPACE, item_digest, parse_at, statement

ALLOWED_SIGNERS = "allowed_signers"  # the file name the printed command writes and reads


@dataclass(frozen=True)
class Exported:
    review: Review
    statement: Path
    signature: Path
    command: str  # the shell command that verifies it, run from the portal's folder


def export_statements(item: Item, stage: str, out_dir: Path, config_file: str | None = None) -> list[Exported]:
    """Returns one Exported per signature of ``stage`` on the item, after writing its
    ``<stem>.<stage>[.<reviewer>].statement`` and ``.sig`` into ``out_dir``; raises UsageError
    (no such stage) or GongkaiError (the item has no signature of that stage, a file cannot be written)."""
    if stage not in STAGES:
        raise UsageError(f"审核环节 {stage!r} 无效:只能是 {'、'.join(STAGES)}")
    reviews = [r for r in item.reviews if r.stage == stage]
    if not reviews:
        signed = "、".join(dict.fromkeys(r.stage for r in item.reviews)) or "无"
        raise GongkaiError(f"{item.path}:{item.line_of('reviews')}: 这条信息没有{stage}签名(已有的签名:{signed});请先由{stage}审核人用 gongkai sign 签署")
    digest = item_digest(item)
    stem = Path(item.path).stem
    names = _names(stem, stage, reviews)
    exported = []
    for review, name in zip(reviews, names):
        statement_path, signature_path = out_dir / f"{name}.statement", out_dir / f"{name}.sig"
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            statement_path.write_bytes(statement(item.index_no, review.stage, review.by, review.at, digest))
            signature_path.write_text(review.sig.strip() + "\n", encoding="ascii", errors="replace")
        except OSError as exc:
            raise GongkaiError(f"无法写入 {exc.filename or out_dir}:{exc.strerror or exc};请检查目录是否存在、可写(-o 指定另一目录)") from None
        exported.append(Exported(review, statement_path, signature_path, verify_command(review, statement_path, signature_path, config_file)))
    return exported


def _names(stem: str, stage: str, reviews: list[Review]) -> list[str]:
    """Returns a file name (without suffix) per review: one signature keeps the short name, several
    are told apart by reviewer id (and a number when one reviewer signed twice)."""
    if len(reviews) == 1:
        return [f"{stem}.{stage}"]
    names: list[str] = []
    for review in reviews:
        name = f"{stem}.{stage}.{_safe(review.by)}"
        if name in names:
            name = f"{name}.{len(names) + 1}"
        names.append(name)
    return names


def _safe(text: str) -> str:
    """Returns the text usable in a file name (a reviewer id is checked only by reviewers.yml)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text) or "_"


def verify_command(review: Review, statement_path: Path, signature_path: Path, config_file: str | None = None) -> str:
    """Returns the shell command that checks one signature with OpenSSH alone. verify-time is the
    signing time, so a key's valid-before is judged then, as gongkai does."""
    allowed = "gongkai allowed-signers" + (f" -f {shlex.quote(config_file)}" if config_file else "")
    words = ["ssh-keygen", "-Y", "verify", "-f", ALLOWED_SIGNERS, "-I", review.by, "-n", NAMESPACE, "-s", str(signature_path)]
    moment = parse_at(review.at)
    if moment is not None:
        words.append(f"-Overify-time={moment.astimezone(timezone.utc):%Y%m%d%H%M%S}Z")
    verify = " ".join(shlex.quote(w) for w in words)
    return f"{allowed} > {ALLOWED_SIGNERS} && {verify} < {shlex.quote(str(statement_path))}"
