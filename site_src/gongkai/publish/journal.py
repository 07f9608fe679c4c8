"""The journal of a target: what was uploaded, what went live, in which order.

``TARGET/journal`` is a text file of appended lines, one event a line, numbered 1, 2, 3, … under
the target's lock::

    1 upload 20261207T010203Z-1a2b3c4 manifest <sha256 of its manifest.json>
    2 publish 20261207T010203Z-1a2b3c4 from -
    3 upload 20261207T020304Z-5d6e7f8 manifest <sha256>
    4 publish 20261207T020304Z-5d6e7f8 from 20261207T010203Z-1a2b3c4
    5 rollback 20261207T010203Z-1a2b3c4 from 20261207T020304Z-5d6e7f8
    6 remove 20261207T020304Z-5d6e7f8

Rollback, pruning and the cleaning of releases that never went live are decided from this order
only: never from a clock (the publishing machine's or the server's) nor from release names.
The releases that went live form a chain: a publish adds to it, a rollback steps back along it
(``rollback --to`` steps back to a release in the chain, or adds one that is not), so after
bad B → rollback to A → fix C, ``rollback`` goes to A again.

A target published before the journal existed is adopted once: its releases are written as
``adopt`` lines in name order (the only order the old layout kept), the live one last.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from gongkai.publish.manifest import PublishError
from gongkai.publish.targets import RELEASE_RE, Target, release_key

JOURNAL_NAME = "journal"
UPLOAD, PUBLISH, ROLLBACK, CHOOSE, REMOVE, ADOPT = "upload", "publish", "rollback", "to", "remove", "adopt"
_SWITCHES = (PUBLISH, ROLLBACK, CHOOSE)
_NAME = r"[^\s/]+"
_LINE_RE = re.compile(
    rf"^(?P<seq>\d+) (?:(?P<switch>publish|rollback|to) (?P<name>{_NAME}) from (?P<prev>{_NAME})"
    rf"|upload (?P<up>{_NAME}) manifest (?P<digest>[0-9a-f]{{64}})"
    rf"|(?P<other>remove|adopt) (?P<oname>{_NAME}))\Z"
)


@dataclass(frozen=True)
class Entry:
    """One line of the journal."""

    seq: int
    verb: str
    name: str
    previous: str | None = None  # for publish, rollback and to: what was live before ("-": nothing)
    digest: str | None = None  # for upload: the sha256 of the release's manifest.json

    def line(self) -> str:
        if self.verb in _SWITCHES:
            return f"{self.seq} {self.verb} {self.name} from {self.previous or '-'}"
        if self.verb == UPLOAD:
            return f"{self.seq} {UPLOAD} {self.name} manifest {self.digest}"
        return f"{self.seq} {self.verb} {self.name}"


@dataclass
class History:
    """The journal replayed: the chain of live releases and what each release is."""

    entries: list[Entry] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)  # releases that went live, the live one last
    last_live: dict[str, int] = field(default_factory=dict)  # release -> seq of the last time it went live
    manifests: dict[str, str] = field(default_factory=dict)  # release -> sha256 of its manifest.json
    known: set[str] = field(default_factory=set)  # every release the journal ever named

    def apply(self, entry: Entry) -> None:
        """Adds one entry to the history."""
        chain = self.chain
        self.entries.append(entry)
        self.known.add(entry.name)
        if entry.verb == UPLOAD and entry.digest:
            self.manifests[entry.name] = entry.digest
        elif entry.verb == REMOVE:
            chain[:] = [n for n in chain if n != entry.name]
            self.last_live.pop(entry.name, None)
            self.manifests.pop(entry.name, None)
        elif entry.verb in (PUBLISH, ADOPT):
            if entry.name in chain:
                chain.remove(entry.name)
            chain.append(entry.name)
            self.last_live[entry.name] = entry.seq
        elif entry.verb in (ROLLBACK, CHOOSE):
            if entry.name in chain:
                del chain[chain.index(entry.name) + 1:]
            else:
                chain.append(entry.name)
            self.last_live[entry.name] = entry.seq

    @property
    def next_seq(self) -> int:
        return self.entries[-1].seq + 1 if self.entries else 1

    def previous(self, live: str | None, existing: Iterable[str]) -> str | None:
        """Returns the release that was live before ``live`` and still exists (what rollback goes to)."""
        present = set(existing)
        chain = self.chain[:-1] if self.chain and self.chain[-1] == live else self.chain
        for name in reversed(chain):
            if name in present and name != live:
                return name
        return None

    def never_live(self, releases: Iterable[str], live: str | None) -> list[str]:
        """Returns the releases uploaded completely but never switched to (e.g. a publish killed before its switch)."""
        return [r for r in releases if r in self.manifests and r not in self.last_live and r != live]


def parse_journal(data: bytes | None, source: str = JOURNAL_NAME) -> list[Entry]:
    """Returns the entries of a journal file; a damaged line raises PublishError naming it."""
    if not data:
        return []
    entries: list[Entry] = []
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, 1):
        match = _LINE_RE.match(raw)
        if match is None or (entries and int(match.group("seq")) <= entries[-1].seq):
            if number == len(lines) and not text.endswith("\n"):
                break  # the tail of an append cut short by a crash: it never happened
            raise PublishError(
                f"{source}:{number}: 错误: 发布日志这一行无法识别或序号没有递增:{raw[:120]!r}",
                "发布日志只应由 gongkai 追加;请核对服务器上是否有人改动过它,修正或删去这一行后重试",
            )
        seq = int(match.group("seq"))
        if match.group("switch"):
            prev = match.group("prev")
            entries.append(Entry(seq, match.group("switch"), match.group("name"), None if prev == "-" else prev))
        elif match.group("up"):
            entries.append(Entry(seq, UPLOAD, match.group("up"), digest=match.group("digest")))
        else:
            entries.append(Entry(seq, match.group("other"), match.group("oname")))
    return entries


def replay(entries: Sequence[Entry], live: str | None) -> History:
    """Returns the history the entries tell, reconciled with where ``current`` points now.

    A switch whose journal line was never written (the publisher died between the two) shows as a
    ``current`` that is not the end of the chain: it is then counted as switched from that end.
    """
    history = History()
    for entry in entries:
        history.apply(entry)
    chain = history.chain
    if live is not None and (not chain or chain[-1] != live):
        if live in chain:
            chain.remove(live)
        chain.append(live)
        history.last_live[live] = history.next_seq
    return history


def prune_plan(history: History, releases: Sequence[str], live: str | None, keep: int) -> list[str]:
    """Returns the releases to delete, keeping the ``keep`` most recently live ones.

    Never the live release nor the one rollback would go to; always the releases that were
    uploaded but never went live; never a release the journal does not know (made by hand).
    """
    protected = {live, history.previous(live, releases)}
    live_ones = sorted((r for r in releases if r in history.last_live), key=lambda r: history.last_live[r], reverse=True)
    kept = set(live_ones[:keep]) | protected
    stale = [r for r in live_ones if r not in kept]
    return stale + [r for r in history.never_live(releases, live) if r not in protected]


def read_history(dest: Target, live: str | None) -> History:
    """Returns the target's history from its journal (adopting a target published before the journal)."""
    return replay(parse_journal(dest.read_bytes(JOURNAL_NAME), f"{dest.display}/{JOURNAL_NAME}"), live)


def adopt_lines(history: History, releases: Sequence[str], live: str | None) -> list[Entry]:
    """Returns the ``adopt`` entries for a target whose releases predate its journal (empty otherwise)."""
    if history.entries or not releases:
        return []
    legacy = sorted((r for r in releases if RELEASE_RE.match(r) and r != live), key=release_key)
    if live is not None:
        legacy.append(live)
    return [Entry(history.next_seq + i, ADOPT, name) for i, name in enumerate(legacy)]


def append(dest: Target, history: History, entries: Sequence[Entry]) -> None:
    """Appends the entries to the target's journal (under its lock) and to ``history``'s."""
    if not entries:
        return
    text = "".join(e.line() + "\n" for e in entries)
    dest.sh(
        f"cd -- {dest.q} || exit 90\numask 022\n"
        f"printf '%s' {shlex.quote(text)} >> {JOURNAL_NAME} || exit 93\n"
        f"sync {JOURNAL_NAME} 2>/dev/null || true\n",
        what="写入发布日志",
    )
    for e in entries:
        history.apply(e)


def entry(history: History, verb: str, name: str, previous: str | None = None, digest: str | None = None,
          offset: int = 0) -> Entry:
    """Returns the next entry of the journal (``offset`` more when several are appended at once)."""
    return Entry(history.next_seq + offset, verb, name, previous, digest)
