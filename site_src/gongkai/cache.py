"""The caches of one portal's evaluations and pages, kept from one build to the next.

A build makes a BuildCache (portal.evaluate) and hands it to the loader, the gate, the verifier
and the page generators; `gongkai serve` gives every rebuild the same one, so that an edit reads,
decides, verifies and writes again only what it changed. Each cache's key holds everything its
value depends on: a hit with an incomplete key would show a stale page or publish what the gate
refused, so a key is compared in full (or the value is compared by identity with what made it).

The values of higher layers (Loaded, AttachmentText, Entry, GeneratedPage) are named in the
annotations but typed as Any here: the base layer imports nothing above it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol, Sequence, TypeAlias, TypeVar

from gongkai.model import Decision, Item, Settings

# Values of higher layers (read.loader, read.attachments, site.catalog): named, not imported.
Loaded: TypeAlias = Any
AttachmentText: TypeAlias = Any
Entry: TypeAlias = Any
GeneratedPage: TypeAlias = Any

# Bounds: past them a cache is emptied and fills again (a long preview, many portals in one process).
MAX_SETTINGS_KEYS = 4
MAX_ATTACHMENT_TEXTS = 4096
MAX_VERIFIED = 1_000_000
MAX_PAGES = 200_000
MAX_LISTED = 100_000

Made = TypeVar("Made")


class Store(Protocol):
    """Values kept between builds by key (diskcache.DiskCache, the portal's cache on disk): a
    miss is None, never an error; a value read back is the very bytes stored under that key."""

    def get(self, kind: str, key: str) -> bytes | None: ...

    def put(self, kind: str, key: str, data: bytes) -> None: ...


class Memo:
    """The results of pure functions, found by the function and the very arguments it was called
    with, kept from one build to the next (the glue stores them in the portal's cache on disk).

    Only a function that reads nothing but its arguments may be memoised, and its arguments are
    plain values (str, bool and tuples of them, each position always of one type: True == 1): the
    arguments are the key, compared in full, so no input can be left out of it and a hit is the
    result of exactly these inputs. The
    engine's identity is part of the key on disk (diskcache): another version of a function never
    reads this one's results. ``used`` holds the results this build asked for, the ones to keep;
    a function whose results cost less to compute than to read back is memoised for this build
    only (``keep=False``: one result for each distinct call, as when an entry is listed twice)."""

    def __init__(self, known: dict[str, dict[tuple, Any]] | None = None) -> None:
        self.known = known or {}
        self.used: dict[str, dict[tuple, Any]] = {}
        self.transient: dict[str, dict[tuple, Any]] = {}
        self.made = 0  # results computed in this build that are to be kept (not found in ``known``)

    def of(self, function: Callable[..., Made], keep: bool = True) -> Callable[..., Made]:
        """Returns ``function`` memoised: called with the same arguments, it returns the result
        found for them (none of the function's results is None); ``keep``: kept for the next build."""
        name = f"{function.__module__}.{function.__qualname__}"
        known = (self.known.get(name) or {}) if keep else {}
        used = (self.used if keep else self.transient).setdefault(name, {})

        def call(*args: Any) -> Made:
            value = used.get(args)
            if value is None:
                value = known.get(args)
                if value is None:
                    value = function(*args)
                    self.made += keep
                used[args] = value
            return value

        return call

    @property
    def changed(self) -> bool:
        """Returns whether what to keep differs from what was known (a result made or one unused)."""
        return self.made > 0 or sum(map(len, self.used.values())) != sum(map(len, self.known.values()))


def memoised(memo: Memo | None, function: Callable[..., Made], keep: bool = True) -> Callable[..., Made]:
    """Returns ``function`` memoised by ``memo`` (see Memo.of), or ``function`` itself without one."""
    return function if memo is None else memo.of(function, keep)


class SigningTimes:
    """The signing times the window of earlier signature checks turned on.

    Whether a signature's `at` is "not later than now" depends on the clock: cached decisions
    (the gate's, in `gongkai serve`) hold only while every `at` still falls on the same side of
    it. `future` is the earliest `at` refused for lying ahead of the clock, `latest` the latest
    one accepted; once the clock has passed the first (or gone back before the second) the epoch
    changes, and with it the key of every cached decision."""

    def __init__(self) -> None:
        self.epoch = 0
        self.future: datetime | None = None
        self.latest: datetime | None = None

    def note(self, future: datetime | None = None, latest: datetime | None = None) -> None:
        if future is not None and (self.future is None or future < self.future):
            self.future = future
        if latest is not None and (self.latest is None or latest > self.latest):
            self.latest = latest

    def epoch_at(self, limit: datetime) -> int:
        """Returns the epoch for a verifier that accepts signing times up to ``limit`` (its clock
        plus the skew allowed)."""
        if (self.future is not None and self.future <= limit) or (self.latest is not None and self.latest > limit):
            self.epoch += 1
            self.future = self.latest = None
        return self.epoch


@dataclass(eq=False)
class BuildCache:
    """What earlier evaluations of a portal found, by the complete key of each result."""

    # read.loader: absolute path -> (digest of the bytes, the path, docs_dir, root, settings_key;
    # attachments and their problems as found then; the Loaded; the file's stat when its bytes
    # were read, or None while that stat cannot prove them unchanged, see loader.RACY_NS). Reused
    # only when the key is equal and every attachment still hashes the same.
    read: dict[str, tuple[tuple, tuple, Loaded, tuple | None]] = field(default_factory=dict)
    # settings_key(): the last few Settings objects -> their repr. By identity: a Settings is
    # frozen, and an equal copy merely gets its own (equal) key.
    settings_keys: list[tuple[Settings, str]] = field(default_factory=list)

    # gate.decide: sha256 of an attachment's bytes and its suffix (the format it is read as) -> its
    # text (a pure function of the two).
    attachment_texts: dict[str, AttachmentText] = field(default_factory=dict)
    # gate.decide: item path -> ((gate context, the file's problems), the Item, its Decision). The
    # loader hands out the very same Item for an unchanged file: with an equal context (settings,
    # trust roots, signing epoch, date) and equal problems the decision is the same.
    decided: dict[str, tuple[tuple, Item, Decision]] = field(default_factory=dict)
    # gate.decide: the last gate context, so that equal contexts are one object and the key of
    # `decided` compares by identity first (comparing the trust roots for every item was slow).
    context: tuple = ()

    # The portal's cache on disk (diskcache.DiskCache) in a `gongkai build`, None otherwise: where
    # the gate finds the scans of an item's texts (gate.decide.Gate.scans) and of an attachment's
    # bytes (gate.decide.attachment_scan) an earlier build made, under keys holding all they read.
    store: Store | None = None
    # Look-ups in `store` that missed, by kind (this process's: a worker's are not counted here).
    store_misses: Counter = field(default_factory=Counter)

    # trust.review: (signed statement, signature, the key blobs the signer may use) -> None when
    # valid, else why not: the result of the cryptography, a pure function of its key.
    verified: dict[tuple[bytes, str, tuple[bytes, ...]], str | None] = field(default_factory=dict)
    # trust.review: the digests (review.signature_digest) of the checks an earlier build found
    # valid, read from the portal's cache on disk (diskcache): such a check is not made again.
    valid_signatures: set[bytes] = field(default_factory=set)
    # How often `verified` was emptied: a mark (clears, size) tells a worker which entries are new.
    verified_clears: int = 0
    # trust.review: where the clock stood for the signing times checked (part of the gate context).
    signing_times: SigningTimes = field(default_factory=SigningTimes)

    # site.pages: (id of the Decision, page src, settings_key, title and src of each linked item)
    # -> (the Decision, the page's Markdown). The Decision is compared by identity too: an id is
    # reused once its object is gone.
    pages: dict[tuple, tuple[Decision, str]] = field(default_factory=dict)

    # site.catalog, the last build's entries: item path -> (Decision, unit name, page URL, Entry).
    # An Entry is a pure function of the three (the Decision by identity), so the same Entry object
    # is handed out again and the listings and export rows below recognise it by identity.
    entries: dict[str, tuple[Decision, str, str, Entry]] = field(default_factory=dict)
    # site.catalog: listing page src -> (everything the page shows but its entries, its entries,
    # the page). Reused when the key is equal and the entries are the very same Entry objects.
    listed: dict[str, tuple[tuple, Sequence[Entry], GeneratedPage]] = field(default_factory=dict)
    # site.catalog, the last export's rows: item path -> (the Entry, site_url, its catalog.json
    # row), and the same for catalog.csv. Reused for the very same Entry and site_url.
    json_rows: dict[str, tuple[Entry, str, str]] = field(default_factory=dict)
    csv_rows: dict[str, tuple[Entry, str, str]] = field(default_factory=dict)
    # site.catalog and site.pages: the results of the pure functions that make the catalog's
    # summaries and rows and the items' metadata tables, by their arguments (a `gongkai build`
    # reads and keeps some in the portal's cache on disk, see glue.memo); None: none memoised.
    memo: Memo | None = None

    def settings_key(self, settings: Settings | None) -> str:
        """Returns a string that is equal for equal settings (cached for the last few objects)."""
        if settings is None:
            return ""
        for known, key in self.settings_keys:
            if known is settings:
                return key
        key = repr(settings)
        self.settings_keys[:] = [(settings, key)] + self.settings_keys[: MAX_SETTINGS_KEYS - 1]
        return key
