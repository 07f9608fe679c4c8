"""Reviews that mean what they say: each way around a review, closed, with real OpenSSH keys.

- a signature dated before the item existed, or after the build ran (beyond the clock skew);
- a verdict cached by the gate outliving the signing window (`gongkai serve` keeps decisions);
- one key registered under two reviewer ids (whatever its comment or encoding);
- 初审/复审/终审 made with one key;
- 索引号, interprets, reviewer ids, unit codes and slugs that match only up to a final newline.
"""
from __future__ import annotations

import base64
import json
import struct
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from gongkai.cache import BuildCache
from gongkai.errors import ConfigError, GongkaiError
from gongkai.gate.decide import Gate, decide_all
from gongkai.model import Verdict
from gongkai.portal import evaluate, load_context
from gongkai.read.loader import load_item, load_tree
from gongkai.settings import load_settings
from gongkai.trust import sshsig
from gongkai.trust.review import CHINA, CLOCK_SKEW, NAMESPACE, Review, Verifier, item_digest, statement
from gongkai.trust.signing import add_review


def extra_of(portal) -> dict:
    return json.loads((portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"]


def decision(portal, rel):
    result = evaluate(portal.root, portal.root / "content", extra_of(portal), "测试县")
    return next(d for d in result.decisions if d.path == f"content/{rel}")


def loaded(portal, rel):
    return load_item(portal.root / "content" / rel, portal.root / "content", portal.root, None).item


def write_review(portal, rel, stage, who, at, key=None):
    """Signs `stage` as `who` at the given time with ssh-keygen, bypassing `gongkai sign`'s checks."""
    item = loaded(portal, rel)
    armored = sshsig.sign_with_ssh_keygen(statement(item.index_no, stage, who, at, item_digest(item)), key or portal.keys[who], NAMESPACE)
    path = portal.root / "content" / rel
    path.write_text(add_review(path.read_text(encoding="utf-8"), Review(stage, who, at, armored), rel), encoding="utf-8")


def at_offset(delta: timedelta) -> str:
    return (datetime.now(CHINA) + delta).replace(microsecond=0).isoformat()


# ------------------------------------------------------------------ the signing window


def test_signature_dated_in_the_future_is_refused_with_stage_reviewer_and_fix(portal):
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md", stages=["复审", "终审", "保密审查"])
    write_review(portal, "xzf/a.md", "初审", "chu", at_offset(timedelta(days=2)))
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE
    problem = next(p for p in d.problems if "晚于本次构建的时间" in p.message)
    text = (portal.root / "content/xzf/a.md").read_text(encoding="utf-8").split("\n")
    assert text[problem.line - 1].lstrip().startswith("- stage:") and "初审" in text[problem.line - 1]
    assert problem.message.startswith("初审签名无效:") and "chu(初审员)" in problem.message and "gongkai sign" in problem.message
    assert problem.is_error


def test_signature_within_the_clock_skew_is_accepted(portal):
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md", stages=["复审", "终审", "保密审查"])
    write_review(portal, "xzf/a.md", "初审", "chu", at_offset(CLOCK_SKEW - timedelta(minutes=3)))
    assert decision(portal, "xzf/a.md").verdict is Verdict.PUBLISH


def test_signature_dated_before_the_item_was_created_is_refused(portal):
    portal.item("xzf/a.md", created="2025-03-01")
    portal.sign("xzf/a.md", stages=["复审", "终审", "保密审查"])
    write_review(portal, "xzf/a.md", "初审", "chu", "2025-02-28T23:59:59+08:00")
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE
    assert any("早于成文日期 created 2025-03-01" in p.message and "chu" in p.message and "gongkai sign" in p.message for p in d.problems), d.problems


@pytest.mark.parametrize("at", ["2025-03-01T00:00:00+08:00", "2025-02-28T16:00:00+00:00", "2025-03-01T09:30:00+08:00"])
def test_signature_from_00_00_china_time_of_the_created_date_is_accepted(portal, at):
    portal.item("xzf/a.md", created="2025-03-01")
    portal.sign("xzf/a.md", at=at)
    assert decision(portal, "xzf/a.md").verdict is Verdict.PUBLISH


def test_gongkai_sign_refuses_to_write_a_signature_outside_the_window(portal):
    portal.item("xzf/a.md", created="2025-03-01")
    for at in ("2025-02-27T10:00:00+08:00", at_offset(timedelta(hours=1))):
        with pytest.raises(GongkaiError, match="未能通过核验"):
            portal.sign("xzf/a.md", stages=["初审"], at=at)
    assert "reviews:" not in (portal.root / "content/xzf/a.md").read_text(encoding="utf-8")
    portal.sign("xzf/a.md", stages=["初审"])  # now: always inside
    assert len(loaded(portal, "xzf/a.md").reviews) == 1


def test_cached_decision_does_not_outlive_the_signing_window(portal):
    """`gongkai serve` keeps the gate's decisions between rebuilds: a signature refused as dated
    ahead of the clock must count once the clock has passed it, and the reverse if the clock goes back."""
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md", stages=["复审", "终审", "保密审查"])
    now = datetime.now(CHINA).replace(microsecond=0)
    write_review(portal, "xzf/a.md", "初审", "chu", (now + timedelta(hours=1)).isoformat())
    settings, trust = load_context(portal.root, extra_of(portal), "测试县")
    cache = BuildCache()  # one for every rebuild, as `gongkai serve` keeps
    tree = load_tree(portal.root / "content", portal.root, settings, cache)

    def verdict(clock: datetime) -> Verdict:
        (d,) = decide_all(tree.files, Gate(settings, Verifier(trust, now=clock, cache=cache), date(2025, 6, 1)))
        return d.verdict

    assert verdict(now) is Verdict.REFUSE
    assert verdict(now + timedelta(minutes=5)) is Verdict.REFUSE
    assert verdict(now + timedelta(hours=2)) is Verdict.PUBLISH
    assert verdict(now + timedelta(hours=3)) is Verdict.PUBLISH
    assert verdict(now) is Verdict.REFUSE  # a clock set back


class _Clock(datetime):
    """The wall clock as review.py reads it, set by a test (module level: worker results pickle it)."""

    moment: datetime = datetime.min

    @classmethod
    def now(cls, tz=None):
        return cls.moment


def test_signing_window_seen_in_worker_processes_reaches_the_cache_here(portal, monkeypatch):
    """Worker processes decide the items; the parent keeps their decisions. A refusal for a
    signature dated ahead of the clock, made in a worker, must not outlive the clock here either."""
    from gongkai.trust import review

    for rel in ("xzf/a.md", "xzf/b.md", "xzf/c.md"):
        portal.item(rel)
    portal.sign("xzf/a.md", stages=["复审", "终审", "保密审查"])
    portal.sign("xzf/b.md")
    portal.sign("xzf/c.md")
    now = datetime.now(CHINA).replace(microsecond=0)
    write_review(portal, "xzf/a.md", "初审", "chu", (now + timedelta(hours=1)).isoformat())
    monkeypatch.setattr(_Clock, "moment", now)
    monkeypatch.setattr(review, "datetime", _Clock)
    first = evaluate(portal.root, portal.root / "content", extra_of(portal), "测试县", workers=2, min_files=1)
    if first.workers == 1 and not sys.platform.startswith("linux"):
        pytest.skip("worker processes are forked on Linux only")
    assert first.workers == 2
    assert next(d for d in first.decisions if d.path == "content/xzf/a.md").verdict is Verdict.REFUSE
    monkeypatch.setattr(_Clock, "moment", now + timedelta(hours=2))
    second = evaluate(portal.root, portal.root / "content", extra_of(portal), "测试县", workers=1, cache=first.cache)
    assert [d.verdict for d in second.decisions] == [Verdict.PUBLISH] * 3


# ------------------------------------------------------------------ one key, one reviewer


def test_one_key_under_two_reviewer_ids_is_an_error_in_reviewers_yml(portal):
    chu_key = portal.keys["chu"].with_name("chu.pub").read_text().split()
    portal.write_reviewers(fu={"keys": [f"{chu_key[0]} {chu_key[1]} another-comment"]})
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md", stages=["终审", "保密审查"])
    write_review(portal, "xzf/a.md", "初审", "chu", at_offset(timedelta(0)))
    write_review(portal, "xzf/a.md", "复审", "fu", at_offset(timedelta(0)), key=portal.keys["chu"])
    result = evaluate(portal.root, portal.root / "content", extra_of(portal), "测试县")
    problems = [p for p in result.trust.problems if p.path == "reviewers.yml"]
    assert len(problems) == 1 and problems[0].is_error
    assert "fu" in problems[0].message and "chu" in problems[0].message and "同一把密钥" in problems[0].message
    lines = (portal.root / "reviewers.yml").read_text(encoding="utf-8").split("\n")
    assert chu_key[1] in lines[problems[0].line - 1]  # the line of fu's key
    d = next(d for d in result.decisions if d.path == "content/xzf/a.md")
    assert d.verdict is Verdict.REFUSE  # neither chu nor fu is trusted until it is fixed


def _ssh_string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def test_key_identity_sees_one_key_through_other_encodings(tmp_path):
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_ssh_public_key

    subprocess.run(["ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", str(tmp_path / "ec")], check=True)
    blob = sshsig.key_blob((tmp_path / "ec.pub").read_text())
    key = load_ssh_public_key((tmp_path / "ec.pub").read_bytes())
    compressed = _ssh_string(b"ecdsa-sha2-nistp256") + _ssh_string(b"nistp256") + _ssh_string(key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint))
    assert compressed != blob
    line = "ecdsa-sha2-nistp256 " + base64.b64encode(compressed).decode()
    assert sshsig.key_blob(line) == compressed  # accepted as a key of its own
    assert sshsig.key_identity(compressed) == sshsig.key_identity(blob)

    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(tmp_path / "rsa")], check=True)
    blob = sshsig.key_blob((tmp_path / "rsa.pub").read_text())
    numbers = load_ssh_public_key((tmp_path / "rsa.pub").read_bytes()).public_numbers()
    e = numbers.e.to_bytes(4, "big")  # 00 01 00 01: a non-minimal mpint of 65537
    padded = _ssh_string(b"ssh-rsa") + _ssh_string(b"\x00" + e) + _ssh_string(b"\x00" + numbers.n.to_bytes((numbers.n.bit_length() + 8) // 8, "big"))
    assert padded != blob and sshsig.key_identity(padded) == sshsig.key_identity(blob)
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    assert sshsig.key_identity(sshsig.key_blob(Path(f"{other}.pub").read_text())) != sshsig.key_identity(blob)


def test_three_reviews_need_three_keys_even_if_the_trust_roots_shared_one(portal):
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md", stages=["初审", "终审", "保密审查"])
    write_review(portal, "xzf/a.md", "复审", "fu", at_offset(timedelta(0)), key=portal.keys["chu"])
    settings, trust = load_context(portal.root, extra_of(portal), "测试县")
    trust.blobs["fu"] = trust.blobs["fu"] + trust.blobs["chu"]  # as if load_trust let it through
    tree = load_tree(portal.root / "content", portal.root, settings)
    outcome = Verifier(trust).evaluate(tree.files[0].item, settings.required_stages("通知公告"))
    assert outcome.missing == ()
    assert any("使用了同一把密钥" in p.message for p in outcome.refused), outcome.refused


# ------------------------------------------------------------------ whole strings only


def test_index_no_with_a_final_newline_or_other_digits_is_refused_not_a_second_number(portal):
    portal.item("xzf/a.md", index_no="11369999MB0000001A/2025-00042")
    portal.item("xzf/b.md", index_no="11369999MB0000001A/2025-00042\n")  # from a YAML | block
    portal.item("xzf/c.md", index_no="11369999MB0000001A/２０２５-00042")
    result = evaluate(portal.root, portal.root / "content", extra_of(portal), "测试县")
    by_path = {d.path: d for d in result.decisions}
    for rel in ("b", "c"):
        d = by_path[f"content/xzf/{rel}.md"]
        assert d.verdict is Verdict.REFUSE and "索引号" in d.reason and "格式错误" in d.reason, d.reason
        assert any(p.line == 3 for p in d.problems)


def test_index_no_from_a_literal_block_is_refused(portal):
    path = portal.item("xzf/a.md")
    text = path.read_text(encoding="utf-8").replace('index_no: "11369999MB0000001A/2025-00001"', "index_no: |\n  11369999MB0000001A/2025-00001")
    path.write_text(text, encoding="utf-8")
    assert loaded(portal, "xzf/a.md").index_no == "11369999MB0000001A/2025-00001\n"
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE and "格式错误" in d.reason


@pytest.mark.parametrize("key,value", [("interprets", "11369999MB0000001A/2025-00001\n"), ("created", "2025-03-01\n"), ("published", "2025-03-03\n")])
def test_other_pattern_fields_must_match_as_a_whole(portal, key, value):
    # For the dates date.fromisoformat refuses the newline as well: these two guard a regression only.
    portal.item("xzf/a.md", **{key: value})
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE and any(key in p.message or "索引号" in p.message for p in d.problems if p.is_error), d.problems


def test_reviewer_id_with_a_final_newline_is_refused(portal):
    portal.write_reviewers(chu={"id": "chu\n"})
    result = evaluate(portal.root, portal.root / "content", extra_of(portal), "测试县")
    assert any("审核人 id 必填" in p.message for p in result.trust.problems)
    assert "chu\n" not in result.trust.reviewers


@pytest.mark.parametrize("field,value", [("code", "11369999MB0000001A\n"), ("id", "xzf\n")])
def test_unit_code_and_id_with_a_final_newline_are_refused(field, value):
    unit = {"id": "xzf", "name": "办公室", "code": "11369999MB0000001A", field: value}
    with pytest.raises(ConfigError, match=f"units\\[0\\].{field}"):
        load_settings({"units": [unit]}, "测试县")


def test_slug_with_a_final_newline_is_refused(portal):
    from gongkai.errors import UsageError
    from gongkai.tools import new as newitem

    settings, _ = load_context(portal.root, extra_of(portal), "测试县")
    with pytest.raises(UsageError, match="文件名"):
        newitem.create_item(portal.root, portal.root / "content", settings, "xzf", "通知公告", "标题", created=date(2025, 2, 8), today=date(2025, 2, 8), slug="chunjie\n")
    assert not [p for p in (portal.root / "content").rglob("*") if "\n" in p.name]


def test_other_patterns_of_outside_input_match_whole_strings():
    from gongkai.publish.manifest import MANIFEST_VERSION, PublishError, parse_manifest
    from gongkai.publish.targets import RELEASE_RE
    from gongkai.tools import ledger

    with pytest.raises(ValueError):
        ledger.parse_month("2025-10\n")
    assert ledger.parse_month("2025-10") == (2025, 10)
    good = {"generator": "gongkai", "version": MANIFEST_VERSION, "built_at": "x", "commit": "c", "strict": True}
    digest = "0" * 64
    assert parse_manifest(json.dumps({**good, "files": {"a.html": digest}}).encode()).files == {"a.html": digest}
    with pytest.raises(PublishError, match="sha256"):
        parse_manifest(json.dumps({**good, "files": {"a.html": digest + "\n"}}).encode())
    assert RELEASE_RE.match("20250301T000000Z-abc123") and not RELEASE_RE.match("20250301T000000Z-abc123\n")
