"""The portal's cache on disk: content-addressed values, checked on reading; the engine's identity
in every key; annual-report workbooks keyed by their tables; signature checks by statement,
signature and keys."""
from __future__ import annotations

from pathlib import Path

import pytest

from gongkai import diskcache
from gongkai.cache import BuildCache
from gongkai.diskcache import DiskCache
from gongkai.glue import preview
from gongkai.trust.review import signature_digest, valid_signature_digests


@pytest.fixture
def engine(monkeypatch):
    """Makes the engine's identity settable (as if the engine's files had changed)."""
    current = {"id": "engine-a"}
    monkeypatch.setattr(diskcache, "engine_id", lambda: current["id"])
    return current


def test_a_value_is_read_back_only_whole_and_only_by_the_same_engine(tmp_path, engine):
    cache = DiskCache(tmp_path)
    cache.put("xlsx", "k", b"workbook bytes")
    assert cache.get("xlsx", "k") == b"workbook bytes"
    assert cache.get("xlsx", "other") is None and cache.get("other", "k") is None
    engine["id"] = "engine-b"
    assert cache.get("xlsx", "k") is None  # another engine: another key
    engine["id"] = "engine-a"
    (path,) = [p for p in (tmp_path / diskcache.CACHE_DIR / "xlsx").rglob("*") if p.is_file()]
    data = path.read_bytes()
    for garbled in (data[:-3], data[:10], b"", data[:-1] + b"X", b"\xff" * len(data)):
        path.write_bytes(garbled)
        assert cache.get("xlsx", "k") is None


def test_digest_sets_survive_garbage_without_a_false_hit(tmp_path, engine):
    cache = DiskCache(tmp_path)
    good = {bytes([i]) * 32 for i in range(3)}
    cache.put_digests("signatures", good)
    assert cache.digests("signatures") == good
    (path,) = (tmp_path / diskcache.CACHE_DIR).glob("signatures-*.bin")
    path.write_bytes(path.read_bytes()[:50])  # truncated mid-digest
    assert cache.digests("signatures") == {bytes([0]) * 32}
    engine["id"] = "engine-b"
    assert cache.digests("signatures") == set()
    cache.put_digests("signatures", good)
    assert len(list((tmp_path / diskcache.CACHE_DIR).glob("signatures-*.bin"))) == 1  # the old engine's set is gone


def test_no_cache_stores_nothing(tmp_path):
    cache = DiskCache(None)
    cache.put("xlsx", "k", b"x")
    cache.put_digests("signatures", {b"a" * 32})
    assert cache.get("xlsx", "k") is None and cache.digests("signatures") == set()
    assert not cache.enabled and list(tmp_path.iterdir()) == []


def test_the_engine_identity_covers_its_files():
    first = diskcache.engine_id()
    assert len(first) == 64 and first == diskcache.engine_id()


def test_a_workbook_is_made_once_per_tables_and_kept_on_disk(tmp_path, engine, monkeypatch):
    made = []

    def fake_writer(tables, target, title):
        made.append((tables, title))
        Path(target).write_bytes(f"xlsx of {tables!r} {title}".encode())

    monkeypatch.setattr(preview.report_xlsx, "write_report_xlsx", fake_writer)
    disk = DiskCache(tmp_path)
    first = preview.Session().xlsx_bytes(("table", 1), "报告", disk)
    assert made == [(("table", 1), "报告")]
    # A new process (a new Session) reads it from the disk.
    assert preview.Session().xlsx_bytes(("table", 1), "报告", disk) == first and len(made) == 1
    preview.Session().xlsx_bytes(("table", 2), "报告", disk)  # another table: made
    preview.Session().xlsx_bytes(("table", 1), "另一标题", disk)  # another title: made
    assert len(made) == 3
    engine["id"] = "engine-b"
    preview.Session().xlsx_bytes(("table", 1), "报告", disk)  # another engine: made
    assert len(made) == 4


def test_a_signature_check_is_keyed_by_statement_signature_and_keys():
    key = (b"statement", "sig", (b"key-a",))
    assert signature_digest(key) == signature_digest((b"statement", "sig", (b"key-a",)))
    others = [(b"statement2", "sig", (b"key-a",)), (b"statement", "sig2", (b"key-a",)),
              (b"statement", "sig", (b"key-b",)), (b"statement", "sig", (b"key-a", b"key-b")), (b"statement", "sig", ())]
    assert len({signature_digest(k) for k in [key, *others]}) == 1 + len(others)
    cache = BuildCache()
    cache.verified[key] = None
    cache.verified[others[0]] = "签名无效"
    assert valid_signature_digests(cache) == {signature_digest(key)}  # a failed check is never kept as valid


def test_a_verifier_skips_the_cryptography_of_a_check_found_valid_before(monkeypatch):
    from types import SimpleNamespace

    from gongkai.trust import review, sshsig

    calls = []

    def verify(sig, message, namespace, allowed):
        calls.append(sig)
        raise sshsig.SignatureError("签名与公钥不符")

    monkeypatch.setattr(sshsig, "verify", verify)
    cache = BuildCache()
    cache.valid_signatures = {signature_digest((b"statement", "sig", (b"key-a",)))}
    verifier = review.Verifier(SimpleNamespace(blobs={"chu": [b"key-a"], "fu": [b"key-b"]}), cache=cache)
    assert verifier._verify(b"statement", "sig", "chu") is None and calls == []
    # The same statement and signature under another signer's keys (reviewers.yml changed): checked.
    assert verifier._verify(b"statement", "sig", "fu") == "签名与公钥不符" and calls == ["sig"]


def test_another_engines_values_are_removed_when_this_one_stores(tmp_path, engine):
    cache = DiskCache(tmp_path)
    cache.put("scans", "k", b"engine a")
    engine["id"] = "engine-b"
    assert cache.get("scans", "k") is None
    DiskCache(tmp_path).put("scans", "other", b"engine b")  # a new build of the upgraded engine
    folders = [p.name for p in (tmp_path / diskcache.CACHE_DIR / "scans").iterdir()]
    assert folders == ["engine-b"[:16]]
    engine["id"] = "engine-a"
    assert cache.get("scans", "k") is None
