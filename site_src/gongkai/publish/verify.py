"""The tamper check: the live release on a target (or a plain site directory) against its manifest."""
from __future__ import annotations

import hashlib
import os
import posixpath
from dataclasses import dataclass, field
from typing import Sequence

from gongkai.publish import journal, pristine, signature
from gongkai.publish.manifest import MANIFEST_NAME, Manifest, Mismatch, PublishError, UsageError, compare, parse_manifest, read_manifest
from gongkai.publish.targets import CURRENT, RELEASES, Target, live_release, open_target
from gongkai.trust import sshsig


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` looked at and what it found."""

    target: str
    release: str | None  # None: TARGET is a plain site directory (e.g. unpacked from a package)
    manifest: Manifest
    checked: int
    mismatches: list[Mismatch] = field(default_factory=list)
    signed_by: str | None = None  # fingerprint of the publishing key that signed the manifest (checked)
    problems: list[str] = field(default_factory=list)  # the CSP files beside current, when not as published


def check_tree(dest: Target, rel: str, trusted: Manifest | None = None) -> tuple[Manifest, list[Mismatch]]:
    """Returns the manifest of the tree at ``rel`` and its mismatches (against ``trusted`` when given)."""
    raw, files, others = dest.snapshot(rel)
    where = posixpath.join(rel, MANIFEST_NAME)
    manifest = trusted
    if manifest is None:
        if raw is None:
            raise PublishError(f"{dest.display}/{where} 不存在", "清单被删除,应视为篡改:请重新发布,或回滚到其他版本")
        manifest = parse_manifest(raw, f"{dest.display}/{where}")
    expected = dict(manifest.files)
    if trusted is not None:
        expected[MANIFEST_NAME] = trusted.digest
    else:
        files.pop(MANIFEST_NAME, None)
    return manifest, compare(expected, files, others)


def verify(target: str, *, manifest: str | os.PathLike | None = None, ssh_options: Sequence[str] = (),
           publishers: Sequence[bytes] = ()) -> list[Mismatch]:
    """Returns every file of the live release on ``target`` that differs from its manifest (empty: intact)."""
    return verify_target(target, manifest=manifest, ssh_options=ssh_options, publishers=publishers).mismatches


def verify_target(target: str, *, manifest: str | os.PathLike | None = None, ssh_options: Sequence[str] = (),
                  publishers: Sequence[bytes] = ()) -> VerifyResult:
    """Returns what ``verify`` checked on ``target`` and what it found.

    ``manifest`` is a trusted copy of manifest.json kept off the server (e.g. from the build machine):
    with it, an attacker who rewrote the server's manifest too is still caught.
    ``publishers`` are the pinned publishing keys: the live manifest must carry a valid signature by one.
    """
    dest = open_target(target, ssh_options)
    if manifest and not os.path.isfile(manifest):
        raise UsageError(
            f"{manifest}: --manifest 指定的文件不存在",
            "检查路径;它应是从构建机另存的 manifest.json 副本(gongkai build 把它写在站点目录中)",
        )
    trusted = read_manifest(manifest) if manifest else None
    with dest.session():
        return _verify(dest, trusted, publishers)


def _verify(dest: Target, trusted: Manifest | None, publishers: Sequence[bytes] = ()) -> VerifyResult:
    state = dest.state()
    if state.kind == "none":
        # Perhaps a site unpacked from `gongkai package` straight into a document root.
        raw, _, _ = dest.snapshot("", hashes=False)
        if raw is None:
            live_release(dest, state)  # raises: nothing published here
        found, mismatches = check_tree(dest, "", trusted)
        return VerifyResult(dest.display, None, found, len(found.files), mismatches)
    name = live_release(dest, state)
    if name not in state.releases:
        raise PublishError(
            f"{dest.display}/{CURRENT} 指向的版本 {name} 不存在",
            "live 站点已损坏:请立即重新发布,或用 gongkai rollback --to 指定现存的版本",
        )
    if trusted is None:
        # The manifest the release was uploaded with, from the store the web server cannot write to:
        # a manifest.json rewritten on the live site to match a defaced page is caught without --manifest.
        trusted = pristine.stored_manifest(dest, journal.read_history(dest, name), name)
    found, mismatches = check_tree(dest, f"{RELEASES}/{name}", trusted)
    signer = check_manifest_signature(dest, name, found, publishers) if publishers else None
    problems = signature.check_csp(dest, publishers)
    return VerifyResult(dest.display, name, found, len(found.files), mismatches, signer, problems)


def check_manifest_signature(dest: Target, name: str, found: Manifest, publishers: Sequence[bytes]) -> str:
    """Returns the fingerprint of the pinned key that signed the release's manifest; raises PublishError otherwise."""
    where = f"{dest.display}/{RELEASES}/{name}/{MANIFEST_NAME}"
    data = pristine.read_object(dest, found.digest)
    if data is None:
        data = dest.read_bytes(f"{RELEASES}/{name}/{MANIFEST_NAME}")
    if data is None or hashlib.sha256(data).hexdigest() != found.digest:
        raise PublishError(f"{where} 缺失或已被改动,无法核对发布签名", "请从构建机重新发布(gongkai publish --key)")
    sig = dest.read_bytes(signature.manifest_signature_rel(found.digest))
    signer = signature.check(data, sig.decode("ascii", "replace") if sig is not None else None, publishers, where)
    return sshsig.fingerprint(signer)


def repair_target(target: str, *, ssh_options: Sequence[str] = (), publishers: Sequence[bytes] = ()) -> pristine.RepairResult:
    """Returns what ``verify --repair`` found on the live release of ``target`` and put back from the pristine store."""
    # The quarantine folder is named by the time (for a person to read): the guard module names it.
    from gongkai.publish.guard import quarantine_stamp  # guard loads watchdog's helpers only when used

    dest = open_target(target, ssh_options)
    with dest.session():
        return pristine.repair(dest, quarantine_stamp(), publishers)
