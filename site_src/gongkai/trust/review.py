"""Review signatures (SPEC §5): item digest, signed statement, reviewers.yml, policy evaluation."""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from gongkai.cache import MAX_VERIFIED, BuildCache
from gongkai.errors import WARNING, Problem
from gongkai.model import FILING, PUBLISH_ROLE, ROLES, STAGES, THREE_REVIEWS, Item, Review, Reviewer, Settings, Stale
from gongkai.read import yamlsafe
from gongkai.trust import sshsig

NAMESPACE = "gongkai-review"
CHINA = timezone(timedelta(hours=8))
REVIEWER_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]*\Z")  # fullmatch: `$` would accept a final newline
# How far a signature's `at` may lie ahead of the build's clock (the reviewer's and the build
# machine's clocks differ a little); anything later is a signature dated in the future.
CLOCK_SKEW = timedelta(minutes=10)
REVIEWER_KEYS = ("id", "name", "units", "roles", "keys", "valid_until")
DEMO_KEYS_FILE = Path(__file__).resolve().parents[1] / "data" / "demo_keys.pub"


def canonical_front_matter(meta: dict[str, Any]) -> bytes:
    """Returns the canonical JSON of the front-matter without `reviews` (sorted keys, no spaces)."""
    unsigned = {k: v for k, v in meta.items() if k != "reviews"}
    return json.dumps(unsigned, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def item_digest(item: Item) -> str:
    """Returns ``sha256:<hex>`` over front-matter, body and declared attachments (SPEC §5)."""
    h = hashlib.sha256()
    h.update(b"gongkai-item-v1\n")
    h.update(canonical_front_matter(item.meta))
    h.update(b"\n")
    h.update(item.body.encode("utf-8"))
    for path, sha in item.attachment_digests:
        h.update(f"\n{path}\0{sha}".encode("utf-8"))
    return "sha256:" + h.hexdigest()


def statement(index_no: str, stage: str, reviewer: str, at: str, digest: str) -> bytes:
    """Returns the UTF-8 statement a reviewer signs, one field a line."""
    return (
        f"gongkai-review-v1\nitem: {index_no}\nstage: {stage}\nreviewer: {reviewer}\nat: {at}\ndigest: {digest}\n"
    ).encode("utf-8")


def parse_at(value: str) -> datetime | None:
    """Returns the aware datetime of an ISO 8601 timestamp with offset, or None."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def signed_on(at: str) -> date | None:
    """Returns the China-time date of a signature's `at`, or None when it does not parse."""
    moment = parse_at(at)
    return moment.astimezone(CHINA).date() if moment is not None else None


def now_at() -> str:
    """Returns the current time as the `at` of a new review (China Standard Time, seconds)."""
    return datetime.now(CHINA).replace(microsecond=0).isoformat()


def key_expiry(reviewer: Reviewer) -> datetime | None:
    """Returns the moment a reviewer's keys stop being valid: 00:00 China time on valid_until."""
    if reviewer.valid_until is None:
        return None
    return datetime.combine(reviewer.valid_until, time(0), CHINA)


@dataclass
class Trust:
    """The reviewers of reviewers.yml, with the key blobs each may sign with."""

    reviewers: dict[str, Reviewer] = field(default_factory=dict)
    blobs: dict[str, list[bytes]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def load_trust(path: Path, display: str, settings: Settings) -> Trust:
    """Returns the trust roots in reviewers.yml; a bad entry is reported and left out."""
    trust = Trust()
    if not path.exists():
        trust.problems.append(Problem(display, 1, f"找不到审核人信任文件 {display}:没有它,任何签名都不能通过,所有信息都不会发布"))
        return trust
    parsed = yamlsafe.parse_file(path, display)
    if isinstance(parsed, Problem):
        trust.problems.append(parsed)
        return trust
    data, lines = parsed.data, parsed.lines
    if not isinstance(data, dict) or not isinstance(data.get("reviewers"), list):
        trust.problems.append(Problem(display, 1, "应以 reviewers: 开头,列出审核人(id、name、units、roles、keys)"))
        return trust
    unit_ids = {u.id for u in settings.units}
    demo = demo_key_blobs()
    owners: dict[tuple, tuple[str, int]] = {}  # key identity -> (first reviewer id, its line)
    shared: set[str] = set()
    for index, entry in enumerate(data["reviewers"]):
        where = f"reviewers[{index}]"
        line = lines.get(where, 1)
        reviewer, blobs = _reviewer(entry, where, line, lines, display, unit_ids, trust.problems)
        if reviewer is None:
            continue
        if reviewer.id in trust.reviewers:
            trust.problems.append(Problem(display, line, f"审核人 id {reviewer.id} 重复"))
            continue
        for key_index, blob in enumerate(blobs):
            identity = sshsig.key_identity(blob)
            owner = owners.setdefault(identity, (reviewer.id, lines.get(f"{where}.keys[{key_index}]", line)))
            if owner[0] != reviewer.id:
                # Whoever holds that key could sign as both: neither reviewer is trusted until fixed.
                shared.update((owner[0], reviewer.id))
                trust.problems.append(
                    Problem(
                        display,
                        lines.get(f"{where}.keys[{key_index}]", line),
                        f"审核人 {reviewer.id} 的公钥 {sshsig.fingerprint(blob)} 与审核人 {owner[0]}(第 {owner[1]} 行)的公钥是同一把密钥:"
                        f"一把密钥只能登记在一位审核人名下,否则持有者一人即可冒充两人签名。请让 {owner[0]} 和 {reviewer.id} 各自用 ssh-keygen -t ed25519 生成自己的密钥并登记;"
                        f"修正前 {owner[0]} 和 {reviewer.id} 的签名都不予承认",
                    )
                )
        for blob in blobs:
            if blob in demo:
                trust.problems.append(
                    Problem(display, line, f"审核人 {reviewer.id} 使用的是 gongkai 示例密钥(私钥公开在仓库中,任何人都能签名):正式上线前必须换成本人的密钥", WARNING)
                )
        trust.reviewers[reviewer.id] = reviewer
        trust.blobs[reviewer.id] = blobs
    for rid in shared:
        del trust.reviewers[rid], trust.blobs[rid]
    return trust


def _reviewer(entry: Any, where: str, line: int, lines: dict, display: str, unit_ids: set[str], problems: list[Problem]):
    def bad(message: str, key: str | None = None) -> None:
        problems.append(Problem(display, lines.get(f"{where}.{key}", line) if key else line, message))

    if not isinstance(entry, dict):
        bad("每个审核人应包含 id、name、units、roles、keys")
        return None, []
    count = len(problems)
    for key in entry:
        if key not in REVIEWER_KEYS:
            bad(f"未知字段 {key};可用字段为 {', '.join(REVIEWER_KEYS)}", key)
    rid = entry.get("id")
    if not isinstance(rid, str) or not REVIEWER_ID.fullmatch(rid):
        bad("审核人 id 必填,只能用字母、数字、_ . -(如 zhangsan)", "id")
    if not isinstance(entry.get("name"), str) or not entry.get("name"):
        bad("审核人姓名 name 必填", "name")
    units = entry.get("units")
    if not isinstance(units, list) or not units or not all(isinstance(u, str) for u in units):
        bad("units 应为该审核人负责的机构 id 列表,负责全部机构写 [\"*\"]", "units")
        units = []
    for unit in units:
        if unit != "*" and unit not in unit_ids:
            bad(f"机构 {unit} 未在 extra.gongkai.units 中定义", "units")
    roles = entry.get("roles")
    if not isinstance(roles, list) or not roles or not all(r in ROLES for r in roles):
        bad(f"roles 应为审核环节列表,只能包含 {'、'.join(STAGES)}(标准目录调整的备案人另加角色 {FILING},发布密钥另加角色 {PUBLISH_ROLE})", "roles")
        roles = []
    keys = entry.get("keys")
    blobs: list[bytes] = []
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        bad("keys 应为 SSH 公钥列表,如 [\"ssh-ed25519 AAAA… zhangsan\"]", "keys")
        keys = []
    for index, key in enumerate(keys):
        try:
            blobs.append(sshsig.key_blob(key))
        except sshsig.SignatureError as exc:
            problems.append(Problem(display, lines.get(f"{where}.keys[{index}]", line), str(exc)))
    valid_until = None
    if "valid_until" in entry:
        try:
            valid_until = date.fromisoformat(str(entry["valid_until"]))
        except ValueError:
            bad("valid_until 应为日期 YYYY-MM-DD", "valid_until")
    if len(problems) > count:
        return None, []
    assert isinstance(rid, str)  # else bad() added a problem and we returned above
    reviewer = Reviewer(rid, entry["name"], tuple(units), tuple(roles), tuple(keys), valid_until, line)
    return reviewer, blobs


def demo_key_blobs() -> set[bytes]:
    """Returns the key blobs of the demo keys shipped with the sample portal."""
    if not DEMO_KEYS_FILE.exists():
        return set()
    return {sshsig.key_blob(line) for line in DEMO_KEYS_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")}


def allowed_signers(trust: Trust) -> str:
    """Returns an OpenSSH allowed_signers file equivalent to the trust roots."""
    out = [
        "# gongkai allowed-signers: 用于 ssh-keygen -Y verify -n gongkai-review 独立核验审核签名",
        "# 核验某条签名时请加 -Overify-time=<签名时间>(UTC,YYYYMMDDHHMMSSZ),使 valid-before 按签名时间判断",
    ]
    for reviewer in trust.reviewers.values():
        options = f'namespaces="{NAMESPACE}"'
        expiry = key_expiry(reviewer)
        if expiry is not None:
            options += f',valid-before="{expiry.astimezone(timezone.utc):%Y%m%d%H%M%S}Z"'
        for key in reviewer.keys:
            out.append(f"{reviewer.id} {options} {key}")
    return "\n".join(out) + "\n"


def _signing_key(armored: str) -> tuple | None:
    """Returns the identity of the key a (verified) signature was made with."""
    try:
        return sshsig.key_identity(sshsig.parse(armored).public_key)
    except sshsig.SignatureError:
        return None


@dataclass(frozen=True)
class ReviewOutcome:
    """Which required stages are validly signed, which are missing, every refused signature, and
    the stages signed only over an earlier version of the item (stale: neither counted nor refused)."""

    valid: dict[str, tuple[str, ...]]  # stage -> reviewer ids
    missing: tuple[str, ...]  # required stages without a valid signature, stale ones included
    refused: tuple[Problem, ...]
    # The valid signature that completed the required stages (the latest of each stage's first
    # valid signature), None while a stage is missing or when none is required: the public
    # 发布日期 is never earlier than its China-time date.
    completed: Review | None = None
    stale: tuple[Stale, ...] = ()


_WINDOW_NOTE = ("gongkai-signing-times",)  # marks the signing times among a worker's entries


def signature_digest(key: tuple[bytes, str, tuple[bytes, ...]]) -> bytes:
    """Returns the digest of a signature check (BuildCache.verified's key: the signed statement,
    the signature, the key blobs its signer may use), under which the portal's cache on disk
    remembers it valid."""
    message, sig, allowed = key
    h = hashlib.sha256(b"gongkai signature check\0" + NAMESPACE.encode() + b"\0")
    for part in (message, sig.encode("utf-8"), *allowed):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.digest()


def valid_signature_digests(cache: BuildCache) -> set[bytes]:
    """Returns the digests of the signature checks this cache holds as valid."""
    return {signature_digest(key) for key, why in cache.verified.items() if why is None}


def verified_mark(cache: BuildCache) -> tuple[int, int]:
    """Returns a mark of the signature cache as it is now, for verified_since."""
    return cache.verified_clears, len(cache.verified)


def verified_since(cache: BuildCache, mark: tuple[int, int]) -> list[tuple[tuple, Any]]:
    """Returns the signature checks cached since the mark, and the signing times seen (for a
    worker process to hand back)."""
    clears, size = mark
    if clears != cache.verified_clears:
        entries = list(cache.verified.items())
    else:
        entries = list(itertools.islice(reversed(cache.verified.items()), len(cache.verified) - size))[::-1]
    window = cache.signing_times
    return entries + [(_WINDOW_NOTE, (window.future, window.latest))]


def remember_verified(cache: BuildCache, entries: list[tuple[tuple, Any]]) -> None:
    """Caches signature checks made in another process, as if they were made here."""
    checks = []
    for key, value in entries:
        if key == _WINDOW_NOTE:
            cache.signing_times.note(*value)
        else:
            checks.append((key, value))
    if len(cache.verified) + len(checks) > MAX_VERIFIED:
        cache.verified.clear()
        cache.verified_clears += 1
    cache.verified.update(checks)


class Verifier:
    """Verifies review signatures against the trust roots, each (statement, signature) once.

    ``now`` is when the build runs (default: the moment the verifier is made, by the wall
    clock, whatever GONGKAI_TODAY says): no signature may be dated later than that (give or take
    CLOCK_SKEW), nor before 00:00 China time of the item's `created` date. ``cache`` keeps the
    results of the cryptography (BuildCache.verified) beyond this verifier: a new one by default."""

    def __init__(self, trust: Trust, now: datetime | None = None, cache: BuildCache | None = None):
        self.trust = trust
        self.cache = cache if cache is not None else BuildCache()
        self.now = now if now is not None else datetime.now(CHINA)
        if self.now.tzinfo is None:
            raise ValueError("Verifier: now must carry a time zone")
        self._cache: dict[tuple[bytes, str, str], str | None] = {}

    def check(self, item: Item, review: Review, digest: str) -> str | None:
        """Returns None when the review is valid for the item, else why not (Chinese)."""
        why, message = self._admissible(item, review, digest)
        if message is None:
            return why
        key = (message, review.sig, review.by)
        if key not in self._cache:
            self._cache[key] = self._verify(*key)
        return self._cache[key]

    def _verify(self, message: bytes, sig: str, by: str) -> str | None:
        verified = self.cache.verified
        allowed = tuple(self.trust.blobs.get(by, []))
        key = (message, sig, allowed)
        if key in verified:
            return verified[key]
        if self.cache.valid_signatures and signature_digest(key) in self.cache.valid_signatures:
            why = None  # found valid by an earlier build, for this very statement, signature and keys
        else:
            try:
                sshsig.verify(sig, message, NAMESPACE, list(allowed))
                why = None
            except sshsig.SignatureError as exc:
                why = str(exc)
        if len(verified) > MAX_VERIFIED:
            verified.clear()
            self.cache.verified_clears += 1
        verified[key] = why
        return why

    def trust_key(self) -> tuple:
        """Returns a value equal for verifiers that decide every signature the same way: the trust
        roots, and the epoch of the signing window (see cache.SigningTimes) at this verifier's clock."""
        roots = tuple((rid, reviewer, tuple(self.trust.blobs.get(rid, []))) for rid, reviewer in self.trust.reviewers.items())
        return roots, self.cache.signing_times.epoch_at(self.now + CLOCK_SKEW)

    def _signing_key(self, review: Review) -> tuple | None:
        """Returns the identity of the key a verified review was signed with: the reviewer's one
        registered key when he has one (a signature verifies only with a key of ``allowed``, and
        a cached check is of these very keys), else the key the signature carries."""
        allowed = self.trust.blobs.get(review.by, [])
        if len(allowed) == 1:
            try:
                return sshsig.key_identity(allowed[0])
            except sshsig.SignatureError:
                return None
        return _signing_key(review.sig)

    def is_stale(self, item: Item, review: Review, digest: str) -> bool:
        """Returns True when a review that does not verify was made over an earlier version of the
        item: everything about it is admissible (reviewer, role, unit, signing time) and it is a
        well-formed gongkai signature carrying a key registered to that reviewer, so only the
        digest can differ. Anything else that fails stays a refusal."""
        why, message = self._admissible(item, review, digest)
        if why is not None or message is None:
            return False
        try:
            sig = sshsig.parse(review.sig)
        except sshsig.SignatureError:
            return False
        return sig.namespace == NAMESPACE and sig.hash_algorithm in ("sha256", "sha512") and sig.public_key in self.trust.blobs.get(review.by, [])

    def _admissible(self, item: Item, review: Review, digest: str) -> tuple[str | None, bytes | None]:
        """Returns (why not, None) when the review is refused before any cryptography, else (None, statement)."""
        reviewer = self.trust.reviewers.get(review.by)
        if reviewer is None:
            return f"审核人 {review.by} 不在 reviewers.yml 中(或其登记有错误)", None
        if review.stage not in reviewer.roles:
            return f"审核人 {review.by}({reviewer.name})无权进行{review.stage},其角色为 {'、'.join(reviewer.roles)}", None
        if not reviewer.covers_unit(item.unit):
            return f"审核人 {review.by}({reviewer.name})不负责发布机构 {item.unit}", None
        moment = parse_at(review.at)
        if moment is None:
            return f"签名时间 {review.at!r} 格式错误:应为带时区的 ISO 8601 时间,如 2025-03-01T10:00:00+08:00", None
        expiry = key_expiry(reviewer)
        if expiry is not None and moment >= expiry:
            return f"审核人 {review.by} 的密钥有效期至 {reviewer.valid_until},签名时间 {review.at} 已过期", None
        why = self._outside_window(item, review, reviewer, moment)
        if why is not None:
            return why, None
        return None, statement(item.index_no, review.stage, review.by, review.at, digest)

    def _outside_window(self, item: Item, review: Review, reviewer: Reviewer, moment: datetime) -> str | None:
        """Returns why the signing time lies outside [created 00:00 China time, now + skew], or None."""
        who = f"{review.by}({reviewer.name})"
        try:
            created = date.fromisoformat(str(item.meta.get("created")))
        except ValueError:
            created = None  # the loader reports the date; the item is refused before this
        if created is not None and moment < datetime.combine(created, time(0), CHINA):
            return (
                f"审核人 {who} 的签名时间 {review.at} 早于成文日期 created {created}:审核不可能发生在信息生成之前。"
                f"请核对 created 是否正确,然后由 {review.by} 用 gongkai sign 重新签名(签名时间取当前时间)"
            )
        if moment > self.now + CLOCK_SKEW:
            self.cache.signing_times.note(future=moment)
            now = self.now.astimezone(CHINA).replace(microsecond=0).isoformat()
            return (
                f"审核人 {who} 的签名时间 {review.at} 晚于本次构建的时间 {now}(允许误差 {int(CLOCK_SKEW.total_seconds() // 60)} 分钟):签名不能预先填写未来的时间。"
                f"请核对签名电脑的时钟,然后由 {review.by} 用 gongkai sign 重新签名"
            )
        self.cache.signing_times.note(latest=moment)
        return None

    def evaluate(self, item: Item, required: tuple[str, ...]) -> ReviewOutcome:
        """Returns the state of the item's reviews against the policy's required stages."""
        digest = item_digest(item)
        valid: dict[str, list[str]] = {}
        verified: list[Review] = []
        refused: list[Problem] = []
        stale: list[Review] = []
        for review in item.reviews:
            why = self.check(item, review, digest)
            if why is None:
                valid.setdefault(review.stage, []).append(review.by)
                verified.append(review)
            elif self.is_stale(item, review, digest):
                stale.append(review)
            else:
                refused.append(Problem(item.path, review.line or item.line_of("reviews"), f"{review.stage}签名无效:{why}"))
        people: dict[str, str] = {}
        keys: dict[tuple, tuple[str, str]] = {}  # key identity -> (stage, reviewer) of its first use
        for stage in THREE_REVIEWS:
            for review in verified:
                if review.stage != stage:
                    continue
                person, line = review.by, review.line or item.line_of("reviews")
                if person in people and people[person] != stage:
                    refused.append(Problem(item.path, line, f"{people[person]}和{stage}不能由同一人({person})完成:三审须由三位不同的审核人签名"))
                people.setdefault(person, stage)
                # load_trust gives no key to two reviewers; this holds even if that ever changed.
                identity = self._signing_key(review)
                first = keys.setdefault(identity, (stage, person)) if identity is not None else (stage, person)
                if first[0] != stage and first[1] != person:
                    refused.append(
                        Problem(item.path, line, f"{first[0]}({first[1]})和{stage}({person})使用了同一把密钥签名:三审须由三位不同的审核人用各自的密钥签名,请由 {person} 用本人登记的密钥重新签名")
                    )
        missing = tuple(stage for stage in required if stage not in valid)
        completed = None if missing else _completing(verified, required)
        # A stale signature beside a valid one of the same stage is superseded; on any other stage
        # (required or not) the reviewer looked at an earlier version, so the item waits for them.
        waiting = sorted((r for r in stale if r.stage not in valid), key=lambda r: STAGES.index(r.stage) if r.stage in STAGES else len(STAGES))
        names = [Stale(r.stage, r.by, self.trust.reviewers[r.by].name) for r in waiting]
        return ReviewOutcome({k: tuple(v) for k, v in valid.items()}, missing, tuple(refused), completed=completed, stale=tuple(dict.fromkeys(names)))


def _completing(verified: list[Review], required: tuple[str, ...]) -> Review | None:
    """Returns the signature with which every required stage had been validly signed: a second
    signature of a stage already signed (an extra reviewer) moves nothing."""
    firsts: list[tuple[datetime, Review]] = []
    for stage in dict.fromkeys(required):
        signed = [(moment, review) for review in verified if review.stage == stage and (moment := parse_at(review.at)) is not None]
        if signed:
            firsts.append(min(signed, key=lambda pair: pair[0]))
    return max(firsts, key=lambda pair: pair[0])[1] if firsts else None
