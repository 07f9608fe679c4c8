"""The publishing signature: manifest.json and the CSP in force, signed with a key pinned in reviewers.yml.

``gongkai publish --key FILE`` signs the bytes of the site's manifest.json with ``ssh-keygen -Y
sign -n gongkai-manifest`` and writes ``TARGET/signatures/<sha256 of manifest.json>.sig``; it
signs ``csp.txt`` (the policy the nginx and Apache snippets are generated from) the same way into
``TARGET/signatures/csp.txt.sig``. The keys that may sign are those of the reviewers.yml entries
whose roles include 发布 (reviewers.yml is the repository's CODEOWNERS-protected trust root),
or an allowed_signers / public key file given with ``--signers`` on a server without the
repository. ``verify`` refuses a live release whose manifest carries no valid signature by one of
them, so a release an attacker assembled with a matching manifest fails without ``--manifest``.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Sequence

from gongkai.errors import describe_os_error
from gongkai.model import PUBLISH_ROLE
from gongkai.publish.csp import csp_config_texts
from gongkai.publish.manifest import PublishError, UsageError
from gongkai.publish.targets import CSP_FILES, Target
from gongkai.trust import sshsig

NAMESPACE = "gongkai-manifest"
SIGNATURES = "signatures"
CSP_SIGNATURE = f"{SIGNATURES}/csp.txt.sig"


def publisher_keys(trust) -> list[bytes]:
    """Returns the keys of the reviewers.yml entries whose roles include 发布 (a trust.review.Trust)."""
    return [blob for rid, reviewer in trust.reviewers.items() if PUBLISH_ROLE in reviewer.roles for blob in trust.blobs[rid]]


def manifest_signature_rel(digest: str) -> str:
    """Returns where the signature of the manifest with this SHA-256 lives, relative to the target."""
    return f"{SIGNATURES}/{digest}.sig"


def sign(data: bytes, key: str | os.PathLike) -> str:
    """Returns the armored SSHSIG of ``data`` made by ssh-keygen with the publishing key."""
    try:
        return sshsig.sign_with_ssh_keygen(data, os.fspath(key), NAMESPACE)
    except sshsig.SignatureError as exc:
        raise PublishError(f"{key}: 无法用发布密钥签名清单:{exc}", "检查 --key 指向的私钥文件和口令(或 ssh-agent)") from None


def check(data: bytes, armored: str | None, publishers: Sequence[bytes], what: str) -> bytes:
    """Returns the key that signed ``data``; raises PublishError unless ``armored`` is a valid signature by a publisher."""
    if armored is None:
        raise PublishError(
            f"{what} 没有发布签名",
            "这个版本不是用登记的发布密钥发布的,可能是伪造的:请从构建机用 gongkai publish --key 重新发布",
        )
    try:
        sig = sshsig.parse(armored)
        if sig.public_key not in publishers:
            raise PublishError(
                f"{what} 的签名密钥 {sshsig.fingerprint(sig.public_key)} 不是登记的发布密钥",
                "reviewers.yml 中角色含“发布”的密钥(或 --signers 文件)才能签名发布;这个版本可能是伪造的,请从构建机重新发布",
            )
        return sshsig.verify(armored, data, NAMESPACE, list(publishers))
    except sshsig.SignatureError as exc:
        raise PublishError(f"{what} 的发布签名无效:{exc}", "清单或签名被改动过,这个版本可能是伪造的:请从构建机重新发布") from None


def write_signatures(dest: Target, texts: dict[str, str]) -> None:
    """Writes signature files (paths relative to the target) atomically."""
    lines = [f"cd -- {dest.q} || exit 90", "umask 022", f"mkdir -p -- {SIGNATURES} || exit 93"]
    for rel, text in texts.items():
        q = shlex.quote(rel)
        lines.append(f"printf '%s' {shlex.quote(text)} > {q}.$$.tmp && mv -f -- {q}.$$.tmp {q} || exit 93")
    dest.sh("\n".join(lines) + "\n", what="写入发布签名")


def check_csp(dest: Target, publishers: Sequence[bytes]) -> list[str]:
    """Returns what is wrong with the CSP files beside ``current`` (empty: as gongkai wrote and signed them)."""
    policy = dest.read_bytes(CSP_FILES[0])
    if policy is None:
        return []
    problems = []
    expected = csp_config_texts(policy.decode("utf-8", "replace").strip())
    for name, text in expected.items():
        found = dest.read_bytes(name)
        if found is not None and found != text.encode("utf-8"):
            problems.append(f"{dest.display}/{name}: 与 csp.txt 中的策略不一致(被手工改动过):Web 服务器实际使用的内容安全策略不可信")
    if publishers:
        try:
            check(policy, _text(dest.read_bytes(CSP_SIGNATURE)), publishers, f"{dest.display}/{CSP_FILES[0]}")
        except PublishError as exc:
            problems.append(exc.message)
    return problems


def _text(data: bytes | None) -> str | None:
    return data.decode("ascii", "replace") if data is not None else None


def read_signers(path: str | Path) -> list[bytes]:
    """Returns the public keys of an allowed_signers or authorized_keys-style file (``--signers``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"无法读取发布公钥文件 {describe_os_error(exc, path)}", "--signers 应指向每行一个公钥的文件") from None
    blobs = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        for start in range(len(words) - 1):
            if words[start].startswith(("ssh-", "ecdsa-", "sk-")):
                try:
                    blobs.append(sshsig.key_blob(" ".join(words[start:start + 2])))
                except sshsig.SignatureError as exc:
                    raise UsageError(f"{path}:{number}: 错误: {exc}") from None
                break
        else:
            raise UsageError(f"{path}:{number}: 错误: 不是 SSH 公钥行", "每行写一个公钥,如 ssh-ed25519 AAAA… 发布")
    if not blobs:
        raise UsageError(f"{path}: 没有任何公钥", "每行写一个公钥,如 ssh-ed25519 AAAA… 发布")
    return blobs
