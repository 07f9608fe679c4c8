"""`gongkai sign`: check the reviewer may sign, sign with OpenSSH, write the review into the item."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gongkai.errors import ContentError, GongkaiError, UsageError
from gongkai.law.standard import FILING_ROLE
from gongkai.model import STAGES, Item, Review, Settings
from gongkai.read import yamlsafe
from gongkai.read.loader import load_item, split_front_matter
from gongkai.read.standard import load_records, load_standards
from gongkai.trust import sshsig
from gongkai.trust.adjust import record_item
from gongkai.trust.review import NAMESPACE, Trust, Verifier, item_digest, now_at, parse_at, statement


def public_key_line(key_path: Path) -> str:
    """Returns the public key of a key file: the file itself when it is a public key (ssh-agent
    holds its private half), else KEY.pub if present, else `ssh-keygen -y`."""
    if key_path.suffix == ".pub":
        return key_path.read_text(encoding="utf-8", errors="replace").strip()
    pub = key_path.with_name(key_path.name + ".pub")
    if pub.exists():
        return pub.read_text().strip()
    result = subprocess.run(["ssh-keygen", "-y", "-f", str(key_path)], capture_output=True, text=True)
    if result.returncode != 0:
        raise GongkaiError(f"无法读取私钥 {key_path} 的公钥:{result.stderr.strip()}")
    return result.stdout.strip()


@dataclass(frozen=True)
class Removed:
    """A signature taken out of an item, and what it was worth at that moment (Chinese)."""

    review: Review
    state: str


@dataclass(frozen=True)
class Signed:
    """What `gongkai sign` wrote: the new review, and the signatures of that stage it replaced."""

    review: Review
    replaced: tuple[Removed, ...] = ()


def _signable(root: Path, docs_dir: Path, settings: Settings, item_path: Path, doing: str = "签名") -> tuple[Item, str]:
    """Returns the item and its display path; raises GongkaiError when it has errors."""
    loaded = load_item(item_path.resolve(), docs_dir.resolve(), root.resolve(), settings)
    errors = [p for p in loaded.problems if p.is_error]
    if loaded.item is None or errors:
        raise GongkaiError(f"信息有错误,请先修正再{doing}:\n" + "\n".join(str(p) for p in loaded.problems))
    return loaded.item, loaded.path


def _state(verifier: Verifier, item: Item, review: Review, digest: str) -> str | None:
    """Returns None for a review valid for the item as it is now, else what it is (Chinese)."""
    why = verifier.check(item, review, digest)
    if why is None:
        return None
    if verifier.is_stale(item, review, digest):
        return "内容已修改,签名针对的是此前的版本"
    return f"无效:{why}"


def sign_item(root: Path, docs_dir: Path, settings: Settings, trust: Trust, item_path: Path, stage: str, reviewer_id: str, key_path: Path, at: str | None = None, env: dict[str, str] | None = None) -> Signed:
    """Returns what it signed: the new review written into the item file in place of every earlier
    signature of that stage (re-signing is deliberate: one signature a stage); raises
    GongkaiError with the reason. ``env`` is the environment of ssh-keygen (default: this process's).
    The 备案 of a 动态调整 record (standards/adjustments/*.md) goes to sign_record."""
    if stage == FILING_ROLE:
        return Signed(sign_record(root, settings, trust, item_path, reviewer_id, key_path, at, env))
    item, display = _signable(root, docs_dir, settings, item_path)
    if stage not in STAGES:
        raise GongkaiError(f"审核环节 {stage} 无效:只能是 {'、'.join(STAGES)}")
    reviewer = trust.reviewers.get(reviewer_id)
    if reviewer is None:
        raise GongkaiError(f"审核人 {reviewer_id} 不在 {settings.reviewers_file} 中")
    if stage not in reviewer.roles:
        raise GongkaiError(f"审核人 {reviewer_id}({reviewer.name})无权进行{stage},其角色为 {'、'.join(reviewer.roles)}")
    if not reviewer.covers_unit(item.unit):
        raise GongkaiError(f"审核人 {reviewer_id}({reviewer.name})不负责发布机构 {item.unit}")
    at = _registered_key_and_time(settings, trust, reviewer_id, key_path, at)
    digest = item_digest(item)
    message = statement(item.index_no, stage, reviewer_id, at, digest)
    try:
        signature = sshsig.sign_with_ssh_keygen(message, key_path, NAMESPACE, env)
    except sshsig.SignatureError as exc:
        raise GongkaiError(str(exc)) from None
    review = Review(stage, reviewer_id, at, signature.strip() + "\n")
    verifier = Verifier(trust)
    why = verifier.check(item, review, digest)
    if why is not None:
        raise GongkaiError(f"新签名未能通过核验,未写入文件:{why}")
    replaced = tuple(Removed(r, _state(verifier, item, r, digest) or "仍然有效") for r in item.reviews if r.stage == stage)
    _rewrite(item_path, display, digest, root, docs_dir, settings, lambda entries: _put(entries, review))
    return Signed(review, replaced)


def clear_reviews(root: Path, docs_dir: Path, settings: Settings, trust: Trust, item_path: Path, stage: str | None = None) -> list[Removed]:
    """Returns the signatures it took out of the item file: those of ``stage`` whatever their state,
    or without a stage every signature that does not verify for the item as it is now (stale or
    refused). Raises UsageError for an unknown stage, GongkaiError when the item has errors."""
    if stage is not None and stage not in STAGES:
        raise UsageError(f"审核环节 {stage} 无效:只能是 {'、'.join(STAGES)}")
    item, display = _signable(root, docs_dir, settings, item_path, "清除签名")
    digest = item_digest(item)
    verifier = Verifier(trust)
    removed: list[Removed] = []
    for review in item.reviews:
        state = _state(verifier, item, review, digest)
        if stage is not None and review.stage == stage:
            removed.append(Removed(review, state or "仍然有效"))
        elif stage is None and state is not None:
            removed.append(Removed(review, state))
    if removed:
        gone = {(r.review.stage, r.review.by, r.review.at, r.review.sig.strip()) for r in removed}
        _rewrite(item_path, display, digest, root, docs_dir, settings, lambda entries: [e for e in entries if (e.stage, e.by, e.at, e.sig.strip()) not in gone])
    return removed


def _put(entries: list[Review], review: Review) -> list[Review]:
    """Returns the reviews with ``review`` in place of the first of its stage (appended when
    there is none) and no other of that stage."""
    out: list[Review] = []
    for entry in entries:
        if entry.stage != review.stage:
            out.append(entry)
        elif review not in out:
            out.append(review)
    return out if review in out else out + [review]


def _rewrite(item_path: Path, display: str, digest: str, root: Path, docs_dir: Path, settings: Settings, change: Callable[[list[Review]], list[Review]]) -> None:
    """Rewrites the item's reviews through ``change``; restores the file and raises GongkaiError
    when the item would read differently afterwards (its digest must not move)."""
    original = item_path.read_bytes()
    item_path.write_bytes(write_reviews(original.decode("utf-8-sig"), change, display).encode("utf-8"))
    reloaded = load_item(item_path.resolve(), docs_dir.resolve(), root.resolve(), settings)
    if reloaded.item is None or any(p.is_error for p in reloaded.problems) or item_digest(reloaded.item) != digest:
        item_path.write_bytes(original)
        raise GongkaiError(f"{display}: 写入签名时无法保持内容不变,文件已恢复原状;请检查 reviews 字段的格式")


def add_review(text: str, review: Review, display: str) -> str:
    """Returns the file text with the review appended to `reviews:` (other lines untouched)."""
    return write_reviews(text, lambda entries: entries + [review], display)


def write_reviews(text: str, change: Callable[[list[Review]], list[Review]], display: str) -> str:
    """Returns the file text with the `reviews:` block replaced by ``change`` of its entries, in
    the one shape gongkai writes (the comment above the block and every other line untouched)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    text = text.replace("\r\n", "\n")
    split = split_front_matter(text, display)
    if not isinstance(split, tuple):
        raise ContentError(split.path, split.line, split.message)
    front, _, body_line = split
    lines = text.split("\n")
    front_lines = lines[1 : body_line - 2]
    try:
        parsed = yamlsafe.parse(front)
    except yamlsafe.YamlProblem as exc:
        raise ContentError(display, exc.line + 1, exc.message) from None
    existing = list((parsed.data or {}).get("reviews") or [])
    if "reviews" in parsed.lines:
        start = parsed.lines["reviews"] - 1
        later = sorted(line - 1 for key, line in parsed.lines.items() if "." not in key and "[" not in key and line - 1 > start)
        end = later[0] if later else len(front_lines)
        while end > start + 1 and (not front_lines[end - 1].strip() or front_lines[end - 1].startswith("#")):
            end -= 1
        front_lines = front_lines[:start] + front_lines[end:]
        insert_at = start
    else:
        insert_at = len(front_lines)
    entries = [Review(e["stage"], e["by"], e["at"], e["sig"]) for e in existing if isinstance(e, dict) and all(k in e for k in ("stage", "by", "at", "sig"))]
    block = _reviews_block(change(entries))
    front_lines = front_lines[:insert_at] + block + front_lines[insert_at:]
    rebuilt = [lines[0], *front_lines, lines[body_line - 2], *lines[body_line - 1 :]]
    return newline.join(rebuilt)


def _reviews_block(reviews: list[Review]) -> list[str]:
    if not reviews:
        return ["reviews: []"]
    out = ["reviews:"]
    for review in reviews:
        out.append(f"  - stage: {json.dumps(review.stage, ensure_ascii=False)}")
        out.append(f"    by: {json.dumps(review.by, ensure_ascii=False)}")
        out.append(f"    at: {json.dumps(review.at, ensure_ascii=False)}")
        out.append("    sig: |")
        out.extend(f"      {line}" for line in review.sig.strip().split("\n"))
    return out


def _registered_key_and_time(settings: Settings, trust: Trust, reviewer_id: str, key_path: Path, at: str | None) -> str:
    """Returns the `at` of a new signature (now unless given); raises GongkaiError unless the key
    is one registered to the reviewer and `at` is an ISO 8601 time with an offset."""
    try:
        blob = sshsig.key_blob(public_key_line(key_path))
    except sshsig.SignatureError as exc:
        raise GongkaiError(f"{key_path}: {exc}") from None
    if blob not in trust.blobs.get(reviewer_id, []):
        raise GongkaiError(f"密钥 {key_path}({sshsig.fingerprint(blob)})不是审核人 {reviewer_id} 在 {settings.reviewers_file} 中登记的密钥")
    at = at or now_at()
    if parse_at(at) is None:
        raise GongkaiError(f"签名时间 {at} 格式错误:应为带时区的 ISO 8601 时间")
    return at


def sign_record(root: Path, settings: Settings, trust: Trust, path: Path, reviewer_id: str, key_path: Path, at: str | None = None, env: dict[str, str] | None = None) -> Review:
    """Signs the 备案 of the record at ``path`` and writes it into the file; raises GongkaiError."""
    standards = load_standards(root, settings)
    records, problems = load_records(root, settings, standards)
    display = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    record = next((r for r in records if r.path == display), None)
    if record is None:
        found = [str(p) for p in problems if p.path == display]
        raise GongkaiError("动态调整记录有错误,请先修正再签名:\n" + "\n".join(found) if found else f"{display} 不是 standards/adjustments/ 下的动态调整记录")
    reviewer = trust.reviewers.get(reviewer_id)
    if reviewer is None:
        raise GongkaiError(f"审核人 {reviewer_id} 不在 {settings.reviewers_file} 中")
    if FILING_ROLE not in reviewer.roles:
        raise GongkaiError(f"审核人 {reviewer_id}({reviewer.name})无权{FILING_ROLE},其角色为 {'、'.join(reviewer.roles)}")
    at = _registered_key_and_time(settings, trust, reviewer_id, key_path, at)
    item = record_item(record)
    digest = item_digest(item)
    try:
        signature = sshsig.sign_with_ssh_keygen(statement(item.index_no, FILING_ROLE, reviewer_id, at, digest), key_path, NAMESPACE, env)
    except sshsig.SignatureError as exc:
        raise GongkaiError(str(exc)) from None
    review = Review(FILING_ROLE, reviewer_id, at, signature.strip() + "\n")
    why = Verifier(trust).check(item, review, digest)
    if why is not None:
        raise GongkaiError(f"新签名未能通过核验,未写入文件:{why}")
    text = Path(path).read_text(encoding="utf-8-sig")
    Path(path).write_text(write_reviews(text, lambda entries: [e for e in entries if e.stage != FILING_ROLE] + [review], display), encoding="utf-8")
    return review
