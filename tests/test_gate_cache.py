"""The gate's work kept in the portal's cache on disk (BuildCache.store): a file's front-matter as
read and checked, the scans of an item's texts, the scans of an attachment's bytes. An unchanged
portal is taken from the cache; whatever changes what a scan reads (the item, an attachment, the
wording lists, a setting) is scanned again; a garbled cache or none decides exactly the same."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date, timedelta

import pytest

from gongkai.cache import BuildCache
from gongkai.diskcache import CACHE_DIR, DiskCache
from gongkai.gate.decide import ATTACHMENT_SCANS, SCANS
from gongkai.gate.scan import id_check_digit
from gongkai.model import Verdict
from gongkai.portal import evaluate
from gongkai.read.loader import FRONT_MATTER

ID = "11010519491231002" + id_check_digit("11010519491231002")  # a valid 居民身份证号


def _evaluate(portal, store: bool = True):
    """Returns the portal evaluated in this process as `gongkai build` does (with the cache on
    disk, or as --no-cache), and the look-ups of the cache that missed."""
    config = json.loads((portal.root / "mkdocs.yml").read_text(encoding="utf-8"))
    cache = BuildCache()
    disk = DiskCache(portal.root if store else None)
    cache.store = disk if disk.enabled else None
    result = evaluate(portal.root, portal.root / "content", config["extra"]["gongkai"], config["site_name"], cache=cache, workers=1)
    return result, cache.store_misses


def _outcome(result):
    return [(d.path, d.verdict, d.problems, d.text, d.reason, d.published, d.item and d.item.meta) for d in result.decisions]


def _by_path(result):
    return {d.path: d for d in result.decisions}


def _attach(portal, rel, name, data: bytes):
    folder = (portal.root / "content" / rel).parent / "files"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return f"files/{name}"


def _portal(portal):
    """A small portal of every kind of item: signed notices, one with an attachment, a 部分公开
    item with a withheld span, one pending, one 依申请公开, one 不予公开."""
    for i in range(4):
        portal.item(f"xzf/a{i}.md", f"第{i}条信息的正文,关于道路养护。", index_no=f"11369999MB0000001A/2025-{i + 1:05d}")
        portal.sign(f"xzf/a{i}.md")
    portal.item("xzf/att.md", "附件见下。", index_no="11369999MB0000001A/2025-00011", attachments=[_attach(portal, "xzf/att.md", "说明.txt", "附件的说明文字。".encode())])
    portal.sign("xzf/att.md")
    portal.item("xzf/part.md", "公开的部分。\n【不公开】申请人王五的住址【/不公开】\n其余内容。", index_no="11369999MB0000001A/2025-00012", attribute="部分公开", basis="条例第十五条 个人隐私")
    portal.sign("xzf/part.md")
    portal.item("xzf/pending.md", "尚未审核的正文。", index_no="11369999MB0000001A/2025-00013")
    portal.item("xzf/ask.md", "依申请公开的正文。", index_no="11369999MB0000001A/2025-00014", attribute="依申请公开", basis="条例第二十七条")
    portal.sign("xzf/ask.md")
    portal.item("xzf/no.md", "不予公开。", index_no="11369999MB0000001A/2025-00015", attribute="不予公开", basis="条例第十四条")
    return 9


def test_an_unchanged_portal_is_read_and_scanned_from_the_cache(portal):
    count = _portal(portal)
    first, misses = _evaluate(portal)
    assert misses[FRONT_MATTER] == count and misses[SCANS] == count and misses[ATTACHMENT_SCANS] == 1
    verdicts = {d.path: d.verdict for d in first.decisions}
    assert verdicts["content/xzf/part.md"] is Verdict.PUBLISH and verdicts["content/xzf/pending.md"] is Verdict.HOLD
    second, misses = _evaluate(portal)
    assert sum(misses.values()) == 0  # every read and scan came from the cache
    assert _outcome(second) == _outcome(first) == _outcome(_evaluate(portal, store=False)[0])
    assert "王五" not in _by_path(second)["content/xzf/part.md"].text  # the redacted text, as stored


def _edit_body(portal, rel, new):
    """Replaces the body of content/<rel>, leaving its front-matter (and signatures) as they are."""
    path = portal.root / "content" / rel
    head, _, _ = path.read_text(encoding="utf-8").rpartition("\n---\n")
    path.write_text(f"{head}\n---\n{new}\n", encoding="utf-8")


def test_a_mark_an_id_number_or_a_canary_planted_between_cached_builds_is_found(portal):
    _portal(portal)
    _evaluate(portal)
    assert sum(_evaluate(portal)[1].values()) == 0
    # Only the bodies change: the front-matter, its signatures included, is byte for byte the same.
    _edit_body(portal, "xzf/a1.md", "正文。秘密★一年")
    _edit_body(portal, "xzf/a2.md", f"联系人身份证号 {ID}。")
    _edit_body(portal, "xzf/a3.md", "新的正文:金丝雀甲乙丙。")
    result, misses = _evaluate(portal)
    assert misses[SCANS] == 3 and misses[FRONT_MATTER] == 3
    decided = _by_path(result)
    assert decided["content/xzf/a1.md"].verdict is Verdict.FAIL and "秘密★" in decided["content/xzf/a1.md"].reason
    # Signed before the edit: held for review, with the ID number shown to the reviewer.
    assert decided["content/xzf/a2.md"].verdict is Verdict.HOLD and any("居民身份证号" in p.message for p in decided["content/xzf/a2.md"].problems)
    assert decided["content/xzf/a3.md"].verdict is Verdict.HOLD
    portal.sign("xzf/a2.md")
    portal.sign("xzf/a3.md")
    result, misses = _evaluate(portal)
    assert misses[SCANS] == 2
    decided = _by_path(result)
    assert decided["content/xzf/a2.md"].verdict is Verdict.FAIL and "居民身份证号" in decided["content/xzf/a2.md"].reason
    assert decided["content/xzf/a3.md"].verdict is Verdict.PUBLISH and "金丝雀甲乙丙" in decided["content/xzf/a3.md"].text
    # The same again from the cache: the findings are kept, not only the clean results.
    again, misses = _evaluate(portal)
    assert sum(misses.values()) == 0 and _outcome(again) == _outcome(result) == _outcome(_evaluate(portal, store=False)[0])


def test_an_attachment_changed_or_read_as_another_format_is_scanned_again(portal):
    text = f"申请人身份证号 {ID}".encode()
    # The same bytes: an image's are not text (nothing to check), a .txt file's are read.
    portal.item("xzf/a.md", "图片附件。", index_no="11369999MB0000001A/2025-00001", attachments=[_attach(portal, "xzf/a.md", "x.bin", text)])
    portal.item("xzf/b.md", "文字附件。", index_no="11369999MB0000001A/2025-00002", attachments=[_attach(portal, "xzf/b.md", "x.txt", text)])
    portal.item("xzf/c.md", "说明附件。", index_no="11369999MB0000001A/2025-00003", attachments=[_attach(portal, "xzf/c.md", "c.txt", "干净的说明。".encode())])
    for rel in ("xzf/a.md", "xzf/b.md", "xzf/c.md"):
        portal.sign(rel)
    for _ in range(2):  # scanned, then from the cache
        decided = _by_path(_evaluate(portal)[0])
        assert decided["content/xzf/a.md"].verdict is Verdict.PUBLISH
        assert decided["content/xzf/b.md"].verdict is Verdict.FAIL and "附件 files/x.txt 中有未遮蔽的居民身份证号" in decided["content/xzf/b.md"].reason
        assert decided["content/xzf/c.md"].verdict is Verdict.PUBLISH
    _attach(portal, "xzf/c.md", "c.txt", "机密★ 附件".encode())  # the item's own file is unchanged
    result, misses = _evaluate(portal)
    assert misses[ATTACHMENT_SCANS] == 1 and misses[SCANS] == 0
    assert _by_path(result)["content/xzf/c.md"].verdict is Verdict.FAIL and "机密★" in _by_path(result)["content/xzf/c.md"].reason


def test_the_wording_lists_and_the_settings_shape_the_cached_scans(portal):
    portal.item("xzf/a.md", "本县即示列县,联系电话 13812345678。", index_no="11369999MB0000001A/2025-00001")
    portal.sign("xzf/a.md")
    for _ in range(2):
        decision = _evaluate(portal)[0].decisions[0]
        assert decision.verdict is Verdict.PUBLISH and not any("示列县" in p.message for p in decision.problems)
        assert [p.severity for p in decision.problems if "手机号码" in p.message] == ["warning"]
    (portal.root / "wording.yml").write_text("terms:\n  - word: 示列县\n    correct: 示例县\n    kind: 地名\n    level: error\n", encoding="utf-8")
    result, misses = _evaluate(portal)
    assert misses[SCANS] == 1 and misses[FRONT_MATTER] == 0  # the front-matter does not depend on the lists
    decision = result.decisions[0]
    assert decision.verdict is Verdict.REFUSE and any("示列县" in p.message and p.is_error for p in decision.problems)
    (portal.root / "wording.yml").unlink()
    assert _evaluate(portal)[0].decisions[0].verdict is Verdict.PUBLISH
    portal.write_settings(pii={"mobile": "error"})
    result, misses = _evaluate(portal)
    assert misses[SCANS] == 1 and misses[FRONT_MATTER] == 1
    decision = result.decisions[0]
    assert decision.verdict is Verdict.REFUSE and "手机号码" in decision.reason
    assert _outcome(result) == _outcome(_evaluate(portal, store=False)[0])


@pytest.mark.parametrize("garble", ["truncated", "checked nonsense"])
def test_a_garbled_cache_decides_as_no_cache(portal, garble):
    _portal(portal)
    portal.item("xzf/id.md", f"身份证号 {ID}", index_no="11369999MB0000001A/2025-00020")
    portal.sign("xzf/id.md")
    expected = _outcome(_evaluate(portal, store=False)[0])
    assert _outcome(_evaluate(portal)[0]) == expected
    values = [p for p in (portal.root / CACHE_DIR).rglob("*") if p.is_file() and p.parent.name != "gongkai"]
    assert len(values) >= 20
    nonsense = [b"", b"[]", b"{}", b'"x"', b"[1, 2, 3]", b'{"classified": [[1]], "ids": [["a", "1", "b", "error"]], "redacted": [1, []]}',
                b'[{"title": 1}, {"title": "x"}, []]', b"[[], [], []]", b"\xff\xfe"]
    for index, path in enumerate(values):
        data = path.read_bytes()
        if garble == "truncated":
            path.write_bytes(data[: len(data) // 2] + b"\x00garbage")
        else:  # the checksum holds: the JSON itself must be recognised as no value of ours
            payload = nonsense[index % len(nonsense)]
            path.write_bytes(hashlib.sha256(payload).digest() + payload)
    result, misses = _evaluate(portal)
    assert misses[SCANS] == 10 and misses[FRONT_MATTER] == 10
    assert _outcome(result) == expected
    assert _by_path(result)["content/xzf/id.md"].verdict is Verdict.FAIL


def test_a_file_name_that_is_not_utf8_is_cached_too(portal):
    portal.item("xzf/a.md", "正文。", index_no="11369999MB0000001A/2025-00001")
    folder = portal.root / "content" / "xzf"
    os.rename(folder / "a.md", os.fsencode(folder) + b"/\xff\xfe.md")  # a name a key must still hash
    first, misses = _evaluate(portal)
    assert misses[FRONT_MATTER] == 1
    second, misses = _evaluate(portal)
    assert sum(misses.values()) == 0 and _outcome(first) == _outcome(second) == _outcome(_evaluate(portal, store=False)[0])


def test_a_stored_scan_expires_when_a_birth_date_in_it_comes(portal, monkeypatch):
    from gongkai.gate import decide, scan

    tomorrow = date.today() + timedelta(days=1)
    first17 = f"110105{tomorrow:%Y%m%d}002"
    number = first17 + id_check_digit(first17)  # an ID number from tomorrow on: a birth date must be past
    portal.item("xzf/a.md", f"编号 {number}。", index_no="11369999MB0000001A/2025-00001")
    portal.item("xzf/b.md", "附件。", index_no="11369999MB0000001A/2025-00002", attachments=[_attach(portal, "xzf/b.md", "b.txt", f"编号 {number}".encode())])
    portal.item("xzf/c.md", "没有数字。", index_no="11369999MB0000001A/2025-00003")
    for rel in ("xzf/a.md", "xzf/b.md", "xzf/c.md"):
        portal.sign(rel)
    _evaluate(portal)
    result, misses = _evaluate(portal)
    assert sum(misses.values()) == 0 and {d.verdict for d in result.decisions} == {Verdict.PUBLISH}

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return tomorrow

    monkeypatch.setattr(scan, "date", Tomorrow)
    monkeypatch.setattr(decide, "date", Tomorrow)
    result, misses = _evaluate(portal)
    assert misses[SCANS] == 1 and misses[ATTACHMENT_SCANS] == 1  # c.md's scans hold on any day
    decided = _by_path(result)
    assert decided["content/xzf/a.md"].verdict is Verdict.FAIL and decided["content/xzf/b.md"].verdict is Verdict.FAIL
    assert _outcome(result) == _outcome(_evaluate(portal, store=False)[0])
