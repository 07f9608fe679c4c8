"""The publication gate: Item -> Decision, and the redaction of 部分公开 items.

The scans of an item's texts (密级 marks, ID numbers, mobile numbers, disclosure markers, 表述检查)
and of an attachment's bytes are pure functions of what they read: in a `gongkai build` their
results are kept in the portal's cache on disk (BuildCache.store) under a key holding all of it
(the item's text and fields, the settings, the wording lists; the engine's identity is part of
every key there), so an unchanged portal is not scanned again. Only the ID numbers' check reads the
date (a birth date must be past): a stored scan expires on the earliest birth date ahead of the
day it was made among the numbers it passed over. Signatures, dates and everything else a
decision turns on are judged in every build.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import Any, Callable, Iterable

from gongkai.cache import MAX_ATTACHMENT_TEXTS, BuildCache, Store
from gongkai.diskcache import key_of
from gongkai.errors import WARNING, Problem
from gongkai.gate import scan, visible, wording
from gongkai.law.schema import FIELDS
from gongkai.law.taxonomy import ANNUAL_REPORT
from gongkai.model import NOT_CLASSIFIED, Attribute, Decision, Item, Review, Settings, Stale, Verdict
from gongkai.read.attachments import AttachmentText, attachment_text
from gongkai.read.loader import Loaded, problem_rows, stored_problems
from gongkai.read.wording import Wording
from gongkai.report.validate import validate_report
from gongkai.trust.review import Verifier, signed_on

OPEN, CLOSE = "【不公开】", "【/不公开】"
_MARKER = re.compile(f"{re.escape(OPEN)}|{re.escape(CLOSE)}")
#: The kinds of the gate's values in the cache on disk (BuildCache.store).
SCANS = "scans"
ATTACHMENT_SCANS = "attachment-scans"


def notice(basis: str) -> str:
    """Returns the text that replaces a withheld span."""
    text = f"【此处内容依法不予公开，依据：{escape(basis)}】" if basis else "【此处内容依法不予公开】"
    return f'<span class="gongkai-redacted">{text}</span>'


def redact(body: str, basis: str, path: str, first_line: int) -> tuple[str, list[Problem]]:
    """Returns the body with every 【不公开】…【/不公开】 span replaced by a notice, or the problems."""
    problems = _near_misses(body, path, first_line)
    out: list[str] = []
    position, open_at = 0, None
    line, counted = first_line, 0
    for match in _MARKER.finditer(body):
        line += body.count("\n", counted, match.start())  # from the last marker: one pass over the body
        counted = match.start()
        if match.group(0) == OPEN:
            if open_at is not None:
                problems.append(Problem(path, line, f"【不公开】标记未闭合就再次出现(上一个在第 {open_at[1]} 行):请先写【/不公开】"))
                return body, problems
            out.append(body[position : match.start()])
            open_at = (match.start(), line)
        else:
            if open_at is None:
                problems.append(Problem(path, line, "【/不公开】前面没有对应的【不公开】"))
                return body, problems
            out.append(notice(basis))
            open_at = None
        position = match.end()
    if open_at is not None:
        problems.append(Problem(path, open_at[1], "【不公开】标记没有对应的【/不公开】:不公开内容必须成对标记"))
        return body, problems
    out.append(body[position:])
    return "".join(out), problems


def _near_misses(text: str, path: str, first_line: int) -> list[Problem]:
    """Returns a problem for each line that holds more marker-like text than exact markers, as a
    reader would see it (tags, comments, entities and emphasis inside a marker do not hide it)."""
    problems: list[Problem] = []
    if "不" not in text and "&" not in text:
        return problems
    found: dict[int, int] = {}
    for line, _ in scan.markers(text, first_line) + scan.markers(visible.markdown_text(text), first_line):
        found[line] = found.get(line, 0) + 1
    if not found:
        return problems
    lines = text.split("\n")
    for line, count in sorted(found.items()):
        raw = lines[line - first_line]
        exact = raw.count(OPEN) + raw.count(CLOSE)
        if count > 2 * exact:  # each exact marker is found by both readings
            problems.append(Problem(path, line, "疑似不公开标记写法不规范:只能写【不公开】和【/不公开】(全角方括号,无空格,中间不加任何格式或注释)"))
    return problems


def _body_texts(body: str) -> list[str]:
    """Returns the readings of a Markdown body the scans run on: as written, and as a reader would
    likely see it once rendered (line for line)."""
    return [body, visible.markdown_text(body)]


def published_fields(item: Item) -> Iterable[tuple[int, str]]:
    """Yields (line, text) for every front-matter value a catalog, page, export or URL may show
    (keys of nested blocks, numbers and attachment names included), and the item's own path."""
    yield 1, item.rel
    for key, value in item.meta.items():
        if key in ("reviews",):
            continue
        for text in _strings(value):
            yield item.line_of(key), text


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            yield str(value)
        except ValueError:  # more digits than Python prints: the loader refuses the field
            return
    elif isinstance(value, list):
        for entry in value:
            yield from _strings(entry)
    elif isinstance(value, dict):
        for key, entry in value.items():
            yield str(key)
            yield from _strings(entry)


def field_markers(item: Item) -> list[Problem]:
    """Returns a problem for every disclosure marker, exact or not, in a published field: only
    the body of a 部分公开 item may withhold anything."""
    problems = []
    for _, line_of, text in _readings(item, "")[:2]:
        for line, written in scan.markers(text):
            problems.append(Problem(item.path, line_of(line), f"字段中有不公开标记“{written.lstrip('|')}”:front-matter 的每个字段都会原样公开,不能删节。请改写该字段,不公开的内容只能写在部分公开信息的正文中"))
    return sorted(set(problems))


class Gate:
    """Decides, item by item, what reaches the site."""

    def __init__(self, settings: Settings, verifier: Verifier, today: date, docs_dir: Path | None = None, wording_lists: Wording | None = None):
        self.settings, self.verifier, self.today = settings, verifier, today
        self.docs_dir = docs_dir  # where attachments are read from (None: their text is not checked)
        self.wording = wording_lists  # 表述检查 (None: no wording check)
        self.matcher = wording.matcher_for(wording_lists)
        self.cache: BuildCache = verifier.cache  # one cache for the gate and the signatures it relies on
        self._context: tuple | None = None
        self._scan_context: str | None = None

    def context(self) -> tuple:
        """Returns what every decision depends on besides the file itself (one object per gate)."""
        if self._context is None:
            context = (self.cache.settings_key(self.settings), self.verifier.trust_key(), self.today, self.wording.key if self.wording else "")
            # One comparison here, then identity in the caches' keys: comparing the trust roots
            # field by field for every item was a tenth of a preview rebuild's gate.
            if context == self.cache.context:
                context = self.cache.context
            else:
                self.cache.context = context
            self._context = context
        return self._context

    def decide(self, loaded: Loaded) -> Decision:
        """Returns the decision for one loaded content file (see ``_decide``), with the scans of
        its texts taken from the cache on disk when an earlier build made them, else stored there."""
        scans = Scans(self.cache, self._scan_key(loaded.item) if loaded.item is not None and self.cache.store is not None else None)
        decision = self._decide(loaded, scans)
        scans.save()
        return decision

    def _scan_key(self, item: Item) -> str:
        """Returns the key of the scans of an item's texts: everything they read (the item's path,
        fields, line numbers and body; the settings, the wording lists). Today's date, which the ID
        numbers' check reads, is not in it: see Scans.expires."""
        if self._scan_context is None:
            self._scan_context = key_of("gate scans 1", self.cache.settings_key(self.settings), self.wording.key if self.wording else "")
        return key_of(self._scan_context, item.path, item.rel, str(item.body_line), repr(item.lines), repr(item.meta), item.body)

    def _decide(self, loaded: Loaded, scans: Scans) -> Decision:
        """Returns the decision for one loaded content file.

        The scans run whatever state the item is in, so that the first look (`gongkai check`, the
        summary of a merge request, the pre-commit hook) shows every problem before anyone signs:
        a 密级 mark stops the build in any item; a disclosure marker out of place, or an attachment
        that cannot be read, refuses the item; an unmasked ID number (or a mobile number) stops the
        build in an item that would be published, and is a warning in one that is not yet (pending,
        scheduled, refused), so that the 保密审查 reviewer sees it first."""
        item, problems = loaded.item, list(loaded.problems)
        if item is None:
            return Decision(loaded.path, Verdict.REFUSE, None, problems=tuple(problems), reason=_first_error(problems))
        attribute = _attribute(item)
        # What a reader would get: the attachments of an item whose attribute is not yet valid too.
        shown = attribute not in (Attribute.依申请公开, Attribute.不予公开)
        marks, attachment_ids, refusals = self._attachments(item) if shown else ([], [], [])
        failures = sorted(set(scans.problems("classified", lambda: self._classified(item)) + marks))
        if failures:
            return Decision(item.path, Verdict.FAIL, item, problems=tuple(problems + failures), reason=failures[0].message)
        if item.category == ANNUAL_REPORT and isinstance(item.meta.get("report"), dict):
            problems += validate_report(item, item.lines)
        if attribute is Attribute.不予公开:
            if any(p.is_error for p in problems):
                return Decision(item.path, Verdict.REFUSE, item, problems=tuple(problems), reason=_first_error(problems))
            return Decision(item.path, Verdict.EXCLUDE, item, problems=tuple(problems), reason="不予公开:不发布任何内容")
        text, body_text = item.body, item.body
        if attribute is Attribute.部分公开:
            text, redaction = scans.redacted(lambda: redact(item.body, str(item.meta.get("basis") or ""), item.path, item.body_line), item.body)
            problems += redaction
            if text is item.body and (OPEN in item.body or CLOSE in item.body):
                body_text = ""  # the withheld spans are unknown: an ID number in one is not a reader's
            else:
                body_text = text
            if not redaction and OPEN not in item.body:
                problems.append(Problem(item.path, item.body_line, "公开属性为部分公开,但正文中没有【不公开】…【/不公开】标记:请标出不公开的内容,或核对附件是否已作删节处理", WARNING))
        elif attribute is not None:
            problems += scans.problems("markers", lambda: _misplaced_markers(item, attribute))
        if attribute is Attribute.依申请公开:
            body_text = ""  # only the catalog entry is published
        problems += scans.problems("field markers", lambda: field_markers(item))
        problems += scans.problems("wording", lambda: self._wording(item, body_text))
        ids = scans.problems("ids", lambda: self._id_numbers(item, body_text), lambda: _births_ahead(item, body_text)) + attachment_ids
        mobiles = scans.problems("mobiles", lambda: self._mobiles(item, body_text))
        held, completed = self._held(item, problems)
        if held is not None:
            verdict, reason, missing, who, stale = held
            if refusals and verdict is Verdict.HOLD:
                verdict, reason, missing, stale = Verdict.REFUSE, refusals[0].message, (), ()
            # Not published (yet): what would stop the build then is shown now, as a warning.
            early = [Problem(p.path, p.line, who + p.message, WARNING) for p in ids + mobiles]
            # A stale signature cannot be told apart from one copied from another item (the earlier
            # version it signed is not at hand): a warning, so that a strict build, like CI's on
            # main, stops until it is signed again or cleared.
            early += [
                Problem(item.path, item.line_of("reviews"), f"{s.stage}签名({s.name})针对的不是当前内容(信息在签名后被修改):须由 {s.name} 重新审核签名(gongkai sign 会替换旧签名);如果不是本人所签,请用 gongkai unsign 清除", WARNING)
                for s in stale
            ]
            return Decision(item.path, verdict, item, missing=missing, stale=stale, problems=tuple(problems + refusals + early), reason=reason)
        # A signed item that would publish an ID number stops the build, whatever else refuses it.
        if ids:
            return Decision(item.path, Verdict.FAIL, item, problems=tuple(problems + refusals + ids), reason=ids[0].message)
        problems += refusals + mobiles
        if any(p.is_error for p in problems):
            return Decision(item.path, Verdict.REFUSE, item, problems=tuple(problems), reason=_first_error(problems))
        public = self._public_date(item, completed)
        if attribute is Attribute.依申请公开:
            return Decision(item.path, Verdict.METADATA, item, problems=tuple(problems), reason="依申请公开:仅在依申请公开目录中列出", published=public)
        return Decision(item.path, Verdict.PUBLISH, item, text=text, problems=tuple(problems), reason="已发布", published=public)

    def _held(self, item: Item, problems: list[Problem]) -> tuple[tuple[Verdict, str, tuple[str, ...], str, tuple[Stale, ...]] | None, Review | None]:
        """Returns ((verdict, reason, missing stages, how its findings are named, stale
        signatures) for an item that is not published now: refused (adds the refused signatures
        to ``problems``), pending or scheduled, or None for one that is published; and the
        signature that completed its review)."""
        if any(p.is_error for p in problems):
            return (Verdict.REFUSE, _first_error(problems), (), "未发布的信息", ()), None
        outcome = self.verifier.evaluate(item, self.settings.required_stages(item.category))
        problems += outcome.refused
        if outcome.refused:
            return (Verdict.REFUSE, outcome.refused[0].message, (), "未发布的信息", ()), None
        if outcome.missing or outcome.stale:
            return (Verdict.HOLD, pending_reason(outcome.missing, outcome.stale), outcome.missing, "待审信息", outcome.stale), None
        published = item.published
        if published is not None and published > self.today:
            return (Verdict.HOLD, f"定时发布:{published} 发布", (), f"定时发布({published})的信息", ()), None
        return None, outcome.completed

    def _public_date(self, item: Item, completed: Review | None) -> date | None:
        """Returns the 发布日期 the public sees: the later of the typed one and the China-time date
        of the signature that completed the review.

        An item is public only once its last required signature is made: a typed date before that
        would show a December signature as published on time in September (and the 台账 would say
        未超期). The later date wins, visibly (the page, the catalogs, `gongkai check` show it), and
        without a warning: an editor cannot know the day the last reviewer will sign, and changing
        `published` afterwards would void every signature. A typed date after the signatures
        (定时发布 included) is kept."""
        typed = item.published
        signed = signed_on(completed.at) if completed is not None else None
        if typed is None or signed is None or signed <= typed:
            return typed
        return signed

    def _classified(self, item: Item) -> list[Problem]:
        failures = []
        secrecy = item.meta.get("secrecy")
        if secrecy is not None and secrecy != NOT_CLASSIFIED:
            failures.append(Problem(item.path, item.line_of("secrecy"), f"密级为 {secrecy}:涉密信息严禁进入本仓库和网站。请立即删除此文件并按保密规定处理,构建已停止"))
        for where, line_of, text in _readings(item, item.body):
            for line, mark in scan.secrecy_marks(text, item.body_line if where == "正文" else 1):
                failures.append(Problem(item.path, line_of(line), f"{where}中出现密级标志“{mark}”:涉密信息严禁上网。请立即删除并按保密规定处理,构建已停止"))
        return sorted(set(failures))

    def _id_numbers(self, item: Item, body: str) -> list[Problem]:
        found = []
        for where, line_of, text in _readings(item, body):
            for line, masked in scan.id_numbers(text, item.body_line if where == "正文" else 1):
                hint = "、放入【不公开】标记" if where == "正文" else ""
                found.append(Problem(item.path, line_of(line), f"{where}中有未遮蔽的居民身份证号 {masked}:请遮蔽出生日期等位(如 {masked}){hint}或删除后再发布"))
        return sorted(set(found))

    def _attachments(self, item: Item) -> tuple[list[Problem], list[Problem], list[Problem]]:
        """Returns (密级 marks, ID numbers, what refuses the item) in the text of its attachments:
        a disclosure marker (an attachment is published whole) or an attachment whose text cannot
        be read refuses it."""
        marks: list[Problem] = []
        ids: list[Problem] = []
        refusals: list[Problem] = []
        if self.docs_dir is None:
            return marks, ids, refusals
        folder = (self.docs_dir / item.rel).parent
        for index, (name, digest) in enumerate(item.attachment_digests):
            line = item.lines.get(f"attachments[{index}]", item.line_of("attachments"))
            found = attachment_scan(folder / name, digest, self.cache)
            if found.problem:
                refusals.append(Problem(item.path, line, f"附件 {name}:{found.problem}"))
            for masked in found.ids:
                ids.append(Problem(item.path, line, f"附件 {name} 中有未遮蔽的居民身份证号 {masked}:请在附件中遮蔽或删除后重新导出,再发布"))
            for mark in found.marks:
                marks.append(Problem(item.path, line, f"附件 {name} 中出现密级标志“{mark}”:涉密信息严禁上网。请立即删除并按保密规定处理,构建已停止"))
            for written in found.markers:
                refusals.append(Problem(item.path, line, f"附件 {name} 中有不公开标记“{written}”:附件原样公开,不会删节。请导出已删去不公开内容的附件再发布"))
        return sorted(set(marks)), sorted(set(ids)), refusals

    def _wording(self, item: Item, body: str) -> list[Problem]:
        """Returns the 表述检查 findings in the published fields and the published body (an error
        refuses the item in any state: it must be corrected before anyone can publish it)."""
        if self.matcher is None:
            return []
        return wording.text_problems(self.matcher, item.path, wording_readings(item, body), _created(item))

    def _mobiles(self, item: Item, body: str) -> list[Problem]:
        found = []
        severity = "error" if self.settings.pii_mobile == "error" else WARNING
        for line, masked in scan.mobile_numbers(body, item.body_line):
            found.append(Problem(item.path, line, f"正文有手机号码 {masked}:个人手机号属于个人信息,确需公开请确认已获本人同意", severity))
        return found


def _births_ahead(item: Item, body: str) -> date | None:
    """Returns the earliest day from which the ID numbers' scan of the item may find more."""
    days = [day for _, _, text in _readings(item, body) if (day := scan.births_ahead(text)) is not None]
    return min(days, default=None)


def _misplaced_markers(item: Item, attribute: Attribute) -> list[Problem]:
    """Returns the disclosure markers, exact or not, in the body of an item that may not withhold
    anything (主动公开, 依申请公开, 不予公开 are never redacted)."""
    markers = _near_misses(item.body, item.path, item.body_line)
    for offset, line in enumerate(item.body.split("\n") if OPEN in item.body or CLOSE in item.body else ()):
        if OPEN in line or CLOSE in line:
            markers.append(Problem(item.path, item.body_line + offset, f"正文含有【不公开】标记,但公开属性为{attribute.value}:需要删节发布时请把 attribute 改为 部分公开 并写明 basis"))
    return markers


class Scans:
    """The results of the scans of one item's texts, by the name of the scan: those an earlier
    build stored under ``key`` in the cache on disk, and those computed now (stored by ``save``).

    The key holds everything the scans read (Gate._scan_key), and the gate makes the same scans,
    on the same texts, for the same item: a name found is the result of the same scan. A value
    that does not decode as one is a miss. ``key`` None: nothing is looked up or stored."""

    def __init__(self, cache: BuildCache, key: str | None):
        self.cache = cache
        self.store: Store | None = cache.store if key is not None else None
        self.key = key or ""
        self.found: dict[str, Any] = {}
        self.changed = False
        data = self.store.get(SCANS, self.key) if self.store is not None else None
        if data is not None:
            try:
                found = json.loads(data)
            except ValueError:
                found = None
            if isinstance(found, dict) and _unexpired(found.get("until")):
                self.found = found

    def problems(self, name: str, compute: Callable[[], list[Problem]], ahead: Callable[[], date | None] | None = None) -> list[Problem]:
        """Returns the problems the scan ``name`` finds (``compute`` makes it; ``ahead`` returns
        the day from which it may find more, see ``expires``)."""
        known = stored_problems(self.found.get(name))
        if known is not None:
            return known
        result = compute()
        if ahead is not None and self.store is not None:
            self.expires(ahead())
        self.found[name] = problem_rows(result)
        self.changed = True
        return result

    def redacted(self, compute: Callable[[], tuple[str, list[Problem]]], body: str) -> tuple[str, list[Problem]]:
        """Returns what ``redact`` returns for the body (the body itself, when it returns that)."""
        known = self.found.get("redacted")
        if isinstance(known, list) and len(known) == 2 and (known[0] is None or isinstance(known[0], str)):
            problems = stored_problems(known[1])
            if problems is not None:
                return (body if known[0] is None else known[0]), problems
        text, problems = compute()
        self.found["redacted"] = [None if text is body else text, problem_rows(problems)]
        self.changed = True
        return text, problems

    def expires(self, day: date | None) -> None:
        """Notes that the scans may find more from ``day`` on (None: never): stored with them,
        it makes them a miss from that day."""
        if day is not None:
            until = self.found.get("until")
            if not isinstance(until, str) or day.isoformat() < until:
                self.found["until"] = day.isoformat()

    def save(self) -> None:
        """Stores the scans when some were made now (the cache missed: counted in store_misses)."""
        if self.store is not None and self.changed:
            self.cache.store_misses[SCANS] += 1
            self.store.put(SCANS, self.key, json.dumps(self.found).encode("ascii"))


@dataclass(frozen=True)
class AttachmentScan:
    """What the gate finds in an attachment's text: why it could not be read (or None), the ID
    numbers (masked) and 密级 marks in it, and its first disclosure marker (as written)."""

    problem: str | None
    ids: tuple[str, ...]
    marks: tuple[str, ...]
    markers: tuple[str, ...]


def attachment_scan(path: Path, digest: str, cache: BuildCache) -> AttachmentScan:
    """Returns the scan of the attachment at ``path``, whose bytes have the sha256 ``digest``:
    from the cache on disk when an earlier build scanned the same bytes, read as the same format
    (the suffix), until a birth date ahead among its numbers comes (see Scans.expires); a scan
    that found the file unreadable (perhaps for a moment: a file being written, a time limit) is
    made again each time."""
    key = key_of("attachment scan 1", digest, path.suffix.lower())
    store = cache.store
    if store is not None:
        data = store.get(ATTACHMENT_SCANS, key)
        known = _attachment_scan(data) if data is not None else None
        if known is not None:
            return known
        cache.store_misses[ATTACHMENT_SCANS] += 1
    read = attachment_text_of(path, digest, cache)
    text = read.text or ""
    found = AttachmentScan(
        read.problem,
        tuple(masked for _, masked in scan.id_numbers(text)),
        tuple(mark for _, mark in scan.secrecy_marks(text)),
        tuple(written for _, written in scan.markers(text)[:1]),
    )
    if store is not None and found.problem is None:
        ahead = scan.births_ahead(text)
        until = ahead.isoformat() if ahead is not None else None
        store.put(ATTACHMENT_SCANS, key, json.dumps([found.ids, found.marks, found.markers, until]).encode("ascii"))
    return found


def _unexpired(until: Any) -> bool:
    """Returns True for a stored scan that holds today: no expiry (None) or one still ahead."""
    if until is None:
        return True
    try:
        return isinstance(until, str) and date.today() < date.fromisoformat(until)
    except ValueError:
        return False


def _attachment_scan(data: bytes) -> AttachmentScan | None:
    try:
        value = json.loads(data)
    except ValueError:
        return None
    if not (isinstance(value, list) and len(value) == 4 and all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in value[:3])):
        return None
    if not _unexpired(value[3]):
        return None  # a birth date among its numbers has come
    return AttachmentScan(None, tuple(value[0]), tuple(value[1]), tuple(value[2]))


def _readings(item: Item, body: str) -> list[tuple[str, Callable[[int], int], str]]:
    """Returns (where, scan line -> file line, text) for every text of the item a reader may see:
    the published fields (one scan: field k on line k, each behind a "|" that no number, mark or
    marker spans) and the body, each as written and as rendered."""
    fields = list(published_fields(item))
    lines = [line for line, _ in fields]
    joined = "\n".join("|" + text.replace("\n", " ") for _, text in fields)
    of_field = lambda k: lines[k - 1] if 0 < k <= len(lines) else 1  # noqa: E731
    of_body = lambda k: k  # noqa: E731
    readings = [("字段", of_field, joined), ("字段", of_field, visible.markdown_text(joined))]
    return readings + [("正文", of_body, reading) for reading in _body_texts(body)]


def wording_readings(item: Item, body: str) -> list[wording.Reading]:
    """Returns the readings 表述检查 runs on: the published fields (as in ``_readings``: the same
    folded text, computed once), each line labelled with its field, and the body."""
    fields = list(published_fields(item))
    labels = list(field_labels(item))
    written = ["|" + text.replace("\n", " ") for _, text in fields]
    joined = "\n".join(written)
    line_of = lambda k: fields[k][0] if 0 <= k < len(fields) else 1  # noqa: E731
    readings: list[wording.Reading] = [(visible.markdown_text(joined), written, line_of, labels), (joined, written, line_of, labels)]
    return readings + (wording.body_readings(body, item.body_line) if body else [])


_FIELD_NAMES = {f.key: f.label for f in FIELDS}


def field_labels(item: Item) -> Iterable[str]:
    """Yields, for each text of ``published_fields``, how a finding in it is introduced."""
    yield "路径"
    for key, value in item.meta.items():
        if key in ("reviews",):
            continue
        label = "标题" if key == "title" else f"{_FIELD_NAMES.get(key, '字段')}({key})"
        for _ in _strings(value):
            yield label


def _created(item: Item) -> date | None:
    try:
        return item.created
    except (KeyError, TypeError, ValueError):
        return None


def attachment_text_of(path: Path, digest: str, cache: BuildCache | None = None) -> AttachmentText:
    """Returns the text of an attachment whose bytes have the sha256 ``digest``, read once per
    cache for the same bytes."""
    if cache is None:
        return attachment_text(path)
    texts = cache.attachment_texts
    key = f"{digest} {path.suffix.lower()}"  # the same bytes are read as the format the name says
    known = texts.get(key)
    if known is None:
        if len(texts) > MAX_ATTACHMENT_TEXTS:
            texts.clear()
        known = texts[key] = attachment_text(path)
    return known


def _attribute(item: Item) -> Attribute | None:
    """Returns the item's 公开属性, or None when it is not one (the loader reports it)."""
    try:
        return Attribute(item.meta.get("attribute"))
    except (ValueError, TypeError):
        return None


def _first_error(problems: list[Problem]) -> str:
    for problem in problems:
        if problem.is_error:
            return problem.message
    return ""


def decide_all(loaded: Iterable[Loaded], gate: Gate) -> list[Decision]:
    """Returns the decisions for every content file, in path order."""
    ordered = sorted(loaded, key=lambda entry: entry.path)
    decisions = decide_each(ordered, gate)
    if len(gate.cache.decided) > 4 * len(ordered) + 1000:
        gate.cache.decided.clear()  # many portals with one cache: keep it to about one
    remember(ordered, decisions, gate)
    return decisions


def decide_each(loaded: list[Loaded], gate: Gate) -> list[Decision]:
    """Returns the decision for each file in turn, reusing those recorded for them as they are now
    (BuildCache.decided: `gongkai serve` evaluates the portal after every edit)."""
    context = gate.context()
    decided = gate.cache.decided
    decisions = []
    for entry in loaded:
        known = decided.get(entry.path)
        if known is not None and entry.item is not None and known[1] is entry.item and known[0] == (context, tuple(entry.problems)):
            decisions.append(known[2])
        else:
            decisions.append(gate.decide(entry))
    return decisions


def remember(loaded: Iterable[Loaded], decisions: Iterable[Decision], gate: Gate) -> None:
    """Records decisions made for these files as they are now (by decide_all, here or in another process)."""
    context = gate.context()
    decided = gate.cache.decided
    for entry, decision in zip(loaded, decisions):
        if entry.item is not None:
            decided[entry.path] = ((context, tuple(entry.problems)), entry.item, decision)


def pending_reason(missing: tuple[str, ...], stale: tuple[Stale, ...]) -> str:
    """Returns the one line `gongkai check` shows for an item waiting for review: the stages to be
    reviewed again (content changed after signing) first, then those never signed."""
    if not stale:
        return f"待审:缺少{'、'.join(missing)}"
    again = {s.stage for s in stale}
    reason = f"待审:内容已修改,须重新审核:{'、'.join(s.describe() for s in stale)}"
    never = [stage for stage in missing if stage not in again]
    return reason + (f";另缺少{'、'.join(never)}" if never else "")
