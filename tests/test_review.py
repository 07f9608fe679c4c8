"""Signatures: digest, statement, real OpenSSH interop both ways, and every refusal reason."""
from __future__ import annotations

import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gongkai.model import Verdict
from gongkai.portal import evaluate
from gongkai.read.loader import load_item
from gongkai.trust import sshsig
from gongkai.trust.review import NAMESPACE, allowed_signers, canonical_front_matter, item_digest, statement


def decision(portal, rel):
    import json

    extra = json.loads((portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"]
    result = evaluate(portal.root, portal.root / "content", extra, "测试县")
    return next(d for d in result.decisions if d.path == f"content/{rel}")


def loaded(portal, rel):
    return load_item(portal.root / "content" / rel, portal.root / "content", portal.root, None).item


def test_canonical_json_is_sorted_compact_utf8_without_reviews():
    meta = {"title": "标题", "created": "2025-01-02", "reviews": [{"x": 1}], "a": {"z": 1, "b": [1, 2.5]}}
    assert canonical_front_matter(meta) == '{"a":{"b":[1,2.5],"z":1},"created":"2025-01-02","title":"标题"}'.encode()


def test_statement_is_one_field_a_line():
    text = statement("X/2025-00001", "初审", "chu", "2025-03-01T10:00:00+08:00", "sha256:ab")
    assert text.decode() == "gongkai-review-v1\nitem: X/2025-00001\nstage: 初审\nreviewer: chu\nat: 2025-03-01T10:00:00+08:00\ndigest: sha256:ab\n"


def test_digest_changes_with_front_matter_body_and_attachment_but_not_reviews_or_crlf(portal):
    path = portal.item("xzf/a.md", "第一行\n第二行", attachments=["a.pdf"])
    (portal.root / "content/xzf/a.pdf").write_bytes(b"one")
    first = item_digest(loaded(portal, "xzf/a.md"))
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", first)
    cli = portal.run("digest", "content/xzf/a.md")
    assert cli.returncode == 0 and cli.stdout.strip() == first
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert item_digest(loaded(portal, "xzf/a.md")) == first  # line endings do not matter
    portal.sign("xzf/a.md", stages=["初审"])
    assert item_digest(loaded(portal, "xzf/a.md")) == first  # adding reviews does not change it
    (portal.root / "content/xzf/a.pdf").write_bytes(b"two")
    assert item_digest(loaded(portal, "xzf/a.md")) != first
    (portal.root / "content/xzf/a.pdf").write_bytes(b"one")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("第二行", "第二行。"), encoding="utf-8")
    assert item_digest(loaded(portal, "xzf/a.md")) != first
    path.write_text(text.replace("测试信息1", "测试信息一"), encoding="utf-8")
    assert item_digest(loaded(portal, "xzf/a.md")) != first


def test_signature_made_by_ssh_keygen_is_accepted(portal, keys, tmp_path):
    portal.item("xzf/a.md")
    item = loaded(portal, "xzf/a.md")
    at = "2025-03-02T09:00:00+08:00"
    reviews = []
    for stage, who in (("初审", "chu"), ("复审", "fu"), ("终审", "zhong"), ("保密审查", "bm")):
        message = tmp_path / f"{who}.txt"
        message.write_bytes(statement(item.index_no, stage, who, at, item_digest(item)))
        subprocess.run(["ssh-keygen", "-Y", "sign", "-q", "-n", NAMESPACE, "-f", str(keys[who]), str(message)], check=True, capture_output=True)
        sig = Path(str(message) + ".sig").read_text()
        reviews.append(f"  - stage: {stage}\n    by: {who}\n    at: \"{at}\"\n    sig: |\n" + "".join(f"      {line}\n" for line in sig.strip().split("\n")))
    path = portal.root / "content/xzf/a.md"
    text = path.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    path.write_text(head + "\nreviews:\n" + "".join(reviews) + "---\n" + body, encoding="utf-8")
    assert decision(portal, "xzf/a.md").verdict is Verdict.PUBLISH


def test_gongkai_signatures_verify_with_ssh_keygen_and_allowed_signers(portal, tmp_path):
    portal.write_reviewers(chu={"valid_until": "2030-01-01"})
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md", stages=["初审", "保密审查"], at="2025-03-02T09:00:00+08:00")
    allowed = portal.run("allowed-signers")
    assert allowed.returncode == 0
    assert 'chu namespaces="gongkai-review",valid-before="20291231160000Z" ssh-ed25519 ' in allowed.stdout
    signers = tmp_path / "allowed_signers"
    signers.write_text(allowed.stdout)
    item = loaded(portal, "xzf/a.md")
    for review in item.reviews:
        sig = tmp_path / "sig"
        sig.write_text(review.sig)
        message = statement(item.index_no, review.stage, review.by, review.at, item_digest(item))
        when = datetime.fromisoformat(review.at).astimezone(timezone.utc).strftime("%Y%m%d%H%M%SZ")
        ok = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(signers), "-I", review.by, "-n", NAMESPACE, "-s", str(sig), f"-Overify-time={when}"],
                            input=message, capture_output=True)
        assert ok.returncode == 0, ok.stderr
        bad = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(signers), "-I", review.by, "-n", NAMESPACE, "-s", str(sig), f"-Overify-time={when}"],
                             input=message.replace(b"stage: ", b"stage: x"), capture_output=True)
        assert bad.returncode != 0


@pytest.mark.parametrize("kind,bits", [("ecdsa", "256"), ("ecdsa", "384"), ("ecdsa", "521"), ("rsa", "3072")])
def test_other_openssh_key_types_verify(tmp_path, kind, bits):
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-b", bits, "-N", "", "-f", str(key)], check=True)
    blob = sshsig.key_blob((tmp_path / "k.pub").read_text())
    message = b"gongkai-review-v1\nitem: x\n"
    armored = sshsig.sign_with_ssh_keygen(message, key, NAMESPACE)
    assert sshsig.verify(armored, message, NAMESPACE, [blob]) == blob
    with pytest.raises(sshsig.SignatureError):
        sshsig.verify(armored, message + b"x", NAMESPACE, [blob])
    with pytest.raises(sshsig.SignatureError):
        sshsig.verify(armored, message, "other-namespace", [blob])


def test_security_key_signature_format_verifies(tmp_path):
    """sk-ssh-ed25519 (FIDO) signatures: built here as a token would, checked by ssh-keygen too."""
    import base64
    import hashlib
    import struct

    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def s(b: bytes) -> bytes:
        return struct.pack(">I", len(b)) + b

    private = ed25519.Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    kind = b"sk-ssh-ed25519@openssh.com"
    blob = s(kind) + s(raw) + s(b"ssh:")
    message = b"statement\n"
    data = sshsig.signed_data(NAMESPACE, "sha512", message)
    flags, counter = b"\x01", struct.pack(">I", 7)
    signature = private.sign(hashlib.sha256(b"ssh:").digest() + flags + counter + hashlib.sha256(data).digest())
    sig_blob = s(kind) + s(signature) + flags + counter
    body = b"SSHSIG" + struct.pack(">I", 1) + s(blob) + s(NAMESPACE.encode()) + s(b"") + s(b"sha512") + s(sig_blob)
    encoded = base64.b64encode(body).decode()
    armored = "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(encoded[i:i + 70] for i in range(0, len(encoded), 70)) + "\n-----END SSH SIGNATURE-----\n"
    assert sshsig.verify(armored, message, NAMESPACE, [blob]) == blob
    line = f"sk-ssh-ed25519@openssh.com {base64.b64encode(blob).decode()} token"
    (tmp_path / "allowed").write_text(f'who namespaces="{NAMESPACE}" {line}\n')
    (tmp_path / "sig").write_text(armored)
    result = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(tmp_path / "allowed"), "-I", "who", "-n", NAMESPACE, "-s", str(tmp_path / "sig")],
                            input=message, capture_output=True)
    assert result.returncode == 0, result.stderr
    without_presence = armored  # a signature without the user-presence flag must be refused
    sig_blob = s(kind) + s(private.sign(hashlib.sha256(b"ssh:").digest() + b"\x00" + counter + hashlib.sha256(data).digest())) + b"\x00" + counter
    body = b"SSHSIG" + struct.pack(">I", 1) + s(blob) + s(NAMESPACE.encode()) + s(b"") + s(b"sha512") + s(sig_blob)
    encoded = base64.b64encode(body).decode()
    without_presence = "-----BEGIN SSH SIGNATURE-----\n" + encoded + "\n-----END SSH SIGNATURE-----\n"
    with pytest.raises(sshsig.SignatureError):
        sshsig.verify(without_presence, message, NAMESPACE, [blob])


def test_item_edited_after_signing_waits_for_re_review(portal):
    path = portal.item("xzf/a.md", "原文")
    portal.sign("xzf/a.md")
    assert decision(portal, "xzf/a.md").verdict is Verdict.PUBLISH
    path.write_text(path.read_text(encoding="utf-8").replace("原文", "改文"), encoding="utf-8")
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.HOLD  # not refused: every signature is by its entitled reviewer, over the earlier text
    assert d.reason == "待审:内容已修改,须重新审核:初审(初审员)、复审(复审员)、终审(终审员)、保密审查(保密员)"
    # One warning per stale signature: a copied signature looks the same, so a strict build stops.
    assert [p.message.split("(")[0] for p in d.problems] == ["初审签名", "复审签名", "终审签名", "保密审查签名"]
    assert all(not p.is_error and "针对的不是当前内容" in p.message for p in d.problems)


def _swap_signer(portal, rel, stage, who):
    """Signs `stage` as `who` regardless of roles, by writing the review directly."""
    from gongkai.trust.review import Review, now_at
    from gongkai.trust.signing import add_review

    item = loaded(portal, rel)
    at = now_at()
    armored = sshsig.sign_with_ssh_keygen(statement(item.index_no, stage, who, at, item_digest(item)), portal.keys[who], NAMESPACE)
    path = portal.root / "content" / rel
    path.write_text(add_review(path.read_text(encoding="utf-8"), Review(stage, who, at, armored), rel), encoding="utf-8")


@pytest.mark.parametrize(
    "stage,who,reason",
    [
        ("复审", "chu", "无权进行复审"),  # wrong role
        ("初审", "fgjonly", "不负责发布机构 xzf"),  # wrong unit
        ("初审", "stranger", "不在 reviewers.yml 中"),  # unknown key
    ],
)
def test_signature_by_the_wrong_person_is_refused(portal, stage, who, reason):
    portal.item("xzf/a.md")
    _swap_signer(portal, "xzf/a.md", stage, who)
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE
    assert any(reason in p.message for p in d.problems), d.problems


def test_key_not_registered_for_that_reviewer_is_refused(portal, keys):
    from gongkai.trust.review import Review, now_at
    from gongkai.trust.signing import add_review

    portal.item("xzf/a.md")
    item = loaded(portal, "xzf/a.md")
    at = now_at()
    armored = sshsig.sign_with_ssh_keygen(statement(item.index_no, "初审", "chu", at, item_digest(item)), keys["stranger"], NAMESPACE)
    path = portal.root / "content/xzf/a.md"
    path.write_text(add_review(path.read_text(encoding="utf-8"), Review("初审", "chu", at, armored), "a"), encoding="utf-8")
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE and "不是该审核人在 reviewers.yml 中登记的密钥" in d.reason


def test_one_person_cannot_sign_two_of_the_three_reviews(portal):
    portal.item("xzf/a.md")
    portal.sign("xzf/a.md", stages=["初审", "复审", "终审", "保密审查"], signer={"初审": "multi", "复审": "multi", "终审": "zhong"})
    d = decision(portal, "xzf/a.md")
    assert d.verdict is Verdict.REFUSE
    assert "三审须由三位不同的审核人签名" in d.reason


def test_key_past_valid_until_is_refused_and_earlier_signature_kept(portal):
    portal.write_reviewers(chu={"valid_until": "2025-06-01"})
    portal.item("xzf/early.md")
    portal.sign("xzf/early.md", at="2025-05-31T23:59:59+08:00")
    assert decision(portal, "xzf/early.md").verdict is Verdict.PUBLISH
    portal.item("xzf/late.md")
    portal.sign("xzf/late.md", stages=["复审", "终审", "保密审查"])
    _swap_signer(portal, "xzf/late.md", "初审", "chu")  # now, after 2025-06-01
    d = decision(portal, "xzf/late.md")
    assert d.verdict is Verdict.REFUSE and "已过期" in d.reason


def test_signature_copied_from_another_item_or_stage_never_counts(portal):
    portal.item("xzf/a.md", "甲")
    portal.item("xzf/b.md", "乙")
    portal.sign("xzf/a.md")
    a = (portal.root / "content/xzf/a.md").read_text(encoding="utf-8")
    b = (portal.root / "content/xzf/b.md").read_text(encoding="utf-8")
    reviews = a[a.index("reviews:"):a.rindex("---")]
    head, body = b.split("\n---\n", 1)
    (portal.root / "content/xzf/b.md").write_text(head + "\n" + reviews + "---\n" + body, encoding="utf-8")
    # Made by the entitled reviewers' registered keys over another text: without that text nobody
    # can tell it from a signature of b's earlier version, so b waits for re-review; none counts.
    copied = decision(portal, "xzf/b.md")
    assert copied.verdict is Verdict.HOLD and len(copied.stale) == 4 and not copied.visible
    # the 初审 signature relabelled as 复审 (by a reviewer who holds both roles) fails too
    (portal.root / "content/xzf/a.md").write_text(a.replace("stage: \"初审\"", "stage: \"复审\"", 1), encoding="utf-8")
    assert decision(portal, "xzf/a.md").verdict is Verdict.REFUSE


def test_sign_refuses_a_reviewer_without_the_role(portal):
    portal.item("xzf/a.md")
    result = portal.run("sign", "content/xzf/a.md", "--stage", "复审", "--as", "chu", "--key", str(portal.keys["chu"]))
    assert result.returncode == 1
    assert "无权进行复审" in result.stderr and "Traceback" not in result.stderr


def test_allowed_signers_lists_every_key_for_ssh_keygen(portal):
    import json

    from gongkai.portal import load_context

    extra = json.loads((portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"]
    _, trust = load_context(portal.root, extra, "x")
    text = allowed_signers(trust)
    assert text.count('namespaces="gongkai-review"') == 6
