"""The gate judged on the output: every built file reduced to the text a reader sees and checked
again for ID numbers, 密级 marks and disclosure markers, and compared with the text that was
withheld. Independent of the checks on the source: what one misses, the other sees."""
from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

import ahocorasick

from gongkai.cache import BuildCache
from gongkai.errors import Problem
from gongkai.gate import scan, visible
from gongkai.gate.decide import attachment_text_of, published_fields
from gongkai.model import Attribute, Decision, Item, Verdict
from gongkai.read.attachments import OOXML_SUFFIXES

# Pieces of withheld text compared with the site: KEY characters of `visible.compact` text, one
# starting every STRIDE characters. Any withheld stretch of KEY + STRIDE - 1 characters or more
# that reaches the site holds a whole piece.
KEY = 12
STRIDE = 6
# More text than this in one file is not read further (a zip bomb among attachments).
MAX_TEXT = 64 * 1024 * 1024
# Files whose text only their reader can get at (zip packages, PDF).
BINARY_SUFFIXES = OOXML_SUFFIXES | {".pdf"}
_SPAN = re.compile("【不公开】(.*?)【/不公开】", re.S)


@dataclass(frozen=True)
class Finding:
    """What a built file shows that it must not: the file, what, and the item it came from."""

    dest: str  # path of the built file, relative to the site
    message: str
    source: str = ""  # the item (content path) whose page or attachment it is, when known
    line: int = 1
    key: str = ""  # the withheld piece found (withheld-text findings only)

    def problem(self) -> Problem:
        where = f"(网站文件 {self.dest})"
        if self.source:
            return Problem(self.source, self.line, self.message + where)
        return Problem(self.dest, 1, self.message)


# ------------------------------------------------------------------ withheld text


def withheld_texts(decision: Decision) -> list[str]:
    """Returns the texts of an item that must reach no output: the withheld spans of a published
    部分公开 item; the body of a 依申请公开 item; the title and body of anything not published."""
    item = decision.item
    if item is None or decision.verdict is Verdict.FAIL:
        return []
    if decision.verdict is Verdict.PUBLISH:
        if item.attribute is Attribute.部分公开:
            return _SPAN.findall(item.body)
        return []
    if decision.verdict is Verdict.METADATA:
        return [item.body]
    return [item.title, item.body]


def published_texts(decision: Decision) -> list[str]:
    """Returns what a published item shows: its published body and every published field."""
    item = decision.item
    if item is None or decision.verdict not in (Verdict.PUBLISH, Verdict.METADATA):
        return []
    texts = [text for _, text in published_fields(item)]
    if decision.verdict is Verdict.PUBLISH:
        texts.append(decision.text or "")
    return texts


def _reading(text: str) -> str:
    return visible.compact(visible.fold(visible.markdown_text(text)))


def _pieces(compact: str) -> Iterable[str]:
    for line in compact.split("\n"):
        if len(line) < KEY:
            continue
        starts = list(range(0, len(line) - KEY + 1, STRIDE))
        if starts[-1] != len(line) - KEY:
            starts.append(len(line) - KEY)
        yield from (line[start : start + KEY] for start in starts)


@dataclass(frozen=True)
class Distinct:
    """The pieces of withheld text found in no published item's texts, with their items; and what
    was found of the candidate pieces (digest ``candidates_key``) in each item's published texts."""

    owners: dict[str, str]
    candidates_key: str = ""
    found_in: dict[str, list[str]] = field(default_factory=dict)


def distinct_pieces(decisions: Iterable[Decision], found: Callable[[str], dict[str, list[str]] | None] | None = None) -> Distinct:
    """Returns the pieces of the decisions' withheld texts that no published item shows (the
    costly part of a Withheld: every published text is read). ``found``: given the digest of the
    candidate pieces, what an earlier call with the same candidates found in each item's published
    texts (its ``found_in``), by their digest; those are not searched again."""
    decisions = list(decisions)
    owners: dict[str, str] = {}
    for decision in decisions:
        for text in withheld_texts(decision):
            for piece in _pieces(_reading(text)):
                owners.setdefault(piece, decision.path)
    if not owners:
        return Distinct({})
    candidates = _automaton(owners)
    candidates_key = hashlib.sha256("\n".join(sorted(owners)).encode("utf-8", "surrogatepass")).hexdigest()
    known = (found(candidates_key) if found is not None else None) or {}
    found_in: dict[str, list[str]] = {}
    shared: set[str] = set()
    for decision in decisions:
        texts = published_texts(decision)
        if not texts:
            continue
        key = _texts_key(texts)
        hits = known.get(key)
        if hits is None:
            hits = sorted({piece for text in texts for _, piece in candidates.iter(_reading(text))})
        found_in[key] = hits
        shared.update(hits)
    return Distinct({piece: owner for piece, owner in owners.items() if piece not in shared}, candidates_key, found_in)


def distinct_key(decisions: Iterable[Decision]) -> str:
    """Returns the SHA-256 of everything `distinct_pieces` is made of: each item's path, withheld
    texts and published texts."""
    h = hashlib.sha256()
    for decision in decisions:
        h.update(f"\2{decision.path}\0".encode("utf-8"))
        for text in withheld_texts(decision):
            h.update(f"\3{len(text)}\0{text}".encode("utf-8", "surrogatepass"))
        for text in published_texts(decision):
            h.update(f"\4{len(text)}\0{text}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class Withheld:
    """The distinctive pieces of withheld text: those found in no published item, no setting and
    no page of fixed wording (boilerplate a pending item may share with the site)."""

    def __init__(
        self,
        decisions: Iterable[Decision],
        boilerplate: Iterable[str] = (),
        attachments: Callable[[], Iterable[tuple[str, str]]] | None = None,
        found: Callable[[str], dict[str, list[str]] | None] | None = None,
        distinct: Distinct | None = None,
    ):
        """``attachments``: yields (item path, text) of every published attachment; read only once a
        piece is found somewhere (attachments are published, reviewed text too, but slow to read).
        ``distinct``: the decisions' `distinct_pieces` (then neither ``decisions`` nor ``found`` is
        read), else found with ``found``; the pieces the boilerplate shows are taken out of them."""
        self._attachments = attachments
        self._in_attachments: dict[str, set[str]] | None = None
        self._line_hits: dict[str, tuple] = {}
        distinct = distinct or distinct_pieces(decisions, found)
        self.candidates_key = distinct.candidates_key  # the digest of the candidate pieces (found_in is valid for them)
        self.found_in = distinct.found_in  # digest of an item's published texts -> candidates in them
        owners = dict(distinct.owners)
        if owners:
            # Every piece is KEY characters of one line: those of the boilerplate, each once.
            for text in boilerplate:
                reading = _reading(text)
                for start in range(len(reading) - KEY + 1):
                    owners.pop(reading[start : start + KEY], None)
        self.owners = owners
        self._automaton = _automaton(owners) if owners else None

    def __bool__(self) -> bool:
        return self._automaton is not None

    def find(self, compact: str) -> list[tuple[str, str]]:
        """Returns (piece, item path) for every distinctive withheld piece in compact text: not in
        a published attachment either, unless that attachment is its own item's."""
        if self._automaton is None:
            return []
        found = [(piece, self.owners[piece]) for _, piece in self._automaton.iter(compact)]
        return [(piece, owner) for piece, owner in found if not (self._attached(piece) - {owner})]

    def find_lines(self, compact: str) -> list[tuple[str, str]]:
        """Returns ``find`` of compact text line by line, each distinct line once (pieces never
        span two lines): the lines every page shares are looked up, not searched."""
        if self._automaton is None:
            return []
        found: list[tuple[str, str]] = []
        for line in compact.split("\n"):
            if len(line) >= KEY:
                hits = self._line_hits.get(line)
                if hits is None:
                    hits = self._line_hits[line] = tuple(self.find(line))
                    if len(self._line_hits) > 1 << 16:
                        self._line_hits.clear()
                found.extend(hits)
        return found

    def _attached(self, piece: str) -> set[str]:
        """Returns the items whose published attachments hold the piece."""
        if self._in_attachments is None:
            found_in: dict[str, set[str]] = {}  # whole before it is kept: another thread may ask meanwhile
            automaton = self._automaton
            assert automaton is not None  # _attached is asked only when pieces were found by it
            for owner, text in self._attachments() if self._attachments else ():
                for _, found in automaton.iter(_reading(text)):
                    found_in.setdefault(found, set()).add(owner)
            self._in_attachments = found_in
        return self._in_attachments.get(piece, set())


def _texts_key(texts: list[str]) -> str:
    h = hashlib.sha256()
    for text in texts:
        h.update(f"{len(text)}\0{text}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _automaton(words: Iterable[str]):
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


# ------------------------------------------------------------------ the checks


def check_text(dest: str, text: str, withheld: Withheld | None, source: Item | None = None) -> list[Finding]:
    """Returns what the text a reader sees of one built file shows that it must not."""
    return _check_folded(dest, visible.fold_page(text), withheld, source, None)


def _check_folded(dest: str, folded: str, withheld: Withheld | None, source: Item | None, reading: list[str] | None) -> list[Finding]:
    """check_text of folded text; the compact text is appended to ``reading`` when given."""
    path = source.path if source is not None else ""
    found: list[Finding] = []
    for _, masked in scan.id_numbers_in(folded):
        found.append(Finding(dest, f"网站上可以看到未遮蔽的居民身份证号 {masked}:请在信息中遮蔽或删除后再构建", path, _line_of(source, masked[:6])))
    if "★" in folded:
        for match in scan.SECRECY_MARK.finditer(folded):
            found.append(Finding(dest, f"网站上可以看到密级标志“{match.group(1)}密★”:涉密信息严禁上网,构建已停止。请立即删除并按保密规定处理", path, _line_of(source, match.group(1))))
    if "不" in folded:
        for match in scan.MARKER_LIKE.finditer(folded):
            found.append(Finding(dest, f"网站上可以看到不公开标记“{match.group(0)}”:不公开标记只能成对写在部分公开信息的正文中,发布时被删去。请检查该标记的写法", path, _line_of(source, "不")))
    if withheld or reading is not None:
        compact = visible.compact_page(folded)
        found += withheld_findings(dest, compact, withheld, source)
        if reading is not None:
            reading.append(compact)
    return found


def withheld_findings(dest: str, compact: str, withheld: Withheld | None, source: Item | None = None) -> list[Finding]:
    """Returns the findings of withheld text in the compact text a reader sees of one built file
    (one per item the text came from)."""
    if not withheld:
        return []
    path = source.path if source is not None else ""
    found: list[Finding] = []
    reported: set[str] = set()
    for piece, owner in withheld.find_lines(compact):
        if owner not in reported:
            reported.add(owner)
            found.append(Finding(dest, f"网站上出现了不应公开的内容(来自 {owner},如“{piece}”):构建已停止。请检查该内容是如何进入此文件的", path, 1, piece))
    return found


def _line_of(item: Item | None, needle: str) -> int:
    """Returns the line of the item's file where the folded needle first appears (else its body)."""
    if item is None:
        return 1
    for offset, line in enumerate(scan.normalized_lines(item.body)):
        if needle in re.sub(r"\D", "", line) or needle in line:
            return item.body_line + offset
    return item.body_line


def check_page(dest: str, html: str, withheld: Withheld | None, source: Item | None = None) -> list[Finding]:
    """Returns the findings of one rendered HTML page."""
    return check_text(dest, visible.html_text(html), withheld, source)


def check_page_reading(dest: str, html: str, withheld: Withheld | None, source: Item | None = None) -> tuple[list[Finding], str]:
    """Returns ``check_page`` and the compact text a reader sees of the page, as withheld text is
    looked for in it (``withheld_findings``): what a page cache keeps, to check a page it does not
    render again against the text withheld by a later build."""
    reading: list[str] = []
    found = _check_folded(dest, visible.fold_page(visible.html_text(html)), withheld, source, reading)
    return found, reading[0]


def withheld_identity(withheld: Withheld | None, attachments: Iterable[tuple[str, str, str]]) -> str:
    """Returns what the withheld-text findings of a given text depend on: every distinctive piece
    with its owner, and the published attachments (item, name, digest) that excuse a piece."""
    h = hashlib.sha256()
    for piece, owner in sorted(withheld.owners.items()) if withheld else ():
        h.update(f"{piece}\0{owner}\n".encode("utf-8"))
    h.update(b"\1")
    for entry in sorted(attachments):
        h.update(("\0".join(entry) + "\n").encode("utf-8"))
    return h.hexdigest()


def check_file(
    dest: str, data: bytes, withheld: Withheld | None, source: Item | None = None, path: Path | None = None, cache: BuildCache | None = None
) -> list[Finding]:
    """Returns the findings of one built file that is not a rendered page: exports, feed, sitemap,
    search index, attachments (their text through `attachment_text`, from ``path``, kept in
    ``cache``: the gate read most of them already)."""
    name = dest.rsplit("/", 1)[-1].lower()
    if path is not None and (source is not None or PurePosixPath(name).suffix in BINARY_SUFFIXES):
        read = attachment_text_of(path, hashlib.sha256(data).hexdigest(), cache)
        found = check_text(dest, read.text or "", withheld, source)
        if read.problem:
            found.append(Finding(dest, f"网站文件 {dest} 无法检查:{read.problem}", source.path if source else ""))
        return found
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data)
        name = name[:-3] if name.endswith(".gz") else name
        if data.startswith(b"pagefind_dcd"):
            data = data[len(b"pagefind_dcd"):]
    if name.endswith((".pf_index", ".pf_filter", ".pf_meta")):
        return _index_words(dest, data)
    return check_text(dest, visible.data_text(name, data), withheld, source)


# Pagefind's word index: every word of every page, lower case, as CBOR. The pages and their
# fragments are read whole; here a number is the one thing a word can show on its own.
_NUMBER_WORD = re.compile(rb"[0-9][0-9xX]{16,}")


def _index_words(dest: str, data: bytes) -> list[Finding]:
    found = []
    for word in _NUMBER_WORD.findall(data):
        for _, masked in scan.id_numbers_in(word.decode("ascii").upper()):
            found.append(Finding(dest, f"网站搜索索引中有未遮蔽的居民身份证号 {masked}:请在信息中遮蔽或删除后再构建"))
    return found


def _gunzip(data: bytes) -> bytes:
    """Returns the decompressed bytes, at most MAX_TEXT of them (a corrupt stream: what it held)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return decompressor.decompress(data, MAX_TEXT)
    except zlib.error:
        try:
            return gzip.decompress(data[: MAX_TEXT])
        except (OSError, EOFError, zlib.error):
            return data
