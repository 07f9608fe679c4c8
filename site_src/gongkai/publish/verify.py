"""The tamper check: the live release on a target (or a plain site directory) against its manifest."""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from typing import Sequence

from gongkai.publish import journal, pristine
from gongkai.publish.manifest import MANIFEST_NAME, Manifest, Mismatch, PublishError, compare, parse_manifest, read_manifest
from gongkai.publish.targets import CURRENT, RELEASES, Target, live_release, open_target


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` looked at and what it found."""

    target: str
    release: str | None  # None: TARGET is a plain site directory (e.g. unpacked from a package)
    manifest: Manifest
    checked: int
    mismatches: list[Mismatch] = field(default_factory=list)


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


def verify(target: str, *, manifest: str | os.PathLike | None = None, ssh_options: Sequence[str] = ()) -> list[Mismatch]:
    """Returns every file of the live release on ``target`` that differs from its manifest (empty: intact)."""
    return verify_target(target, manifest=manifest, ssh_options=ssh_options).mismatches


def verify_target(target: str, *, manifest: str | os.PathLike | None = None, ssh_options: Sequence[str] = ()) -> VerifyResult:
    """Returns what ``verify`` checked on ``target`` and what it found.

    ``manifest`` is a trusted copy of manifest.json kept off the server (e.g. from the build machine):
    with it, an attacker who rewrote the server's manifest too is still caught.
    """
    dest = open_target(target, ssh_options)
    trusted = read_manifest(manifest) if manifest else None
    with dest.session():
        return _verify(dest, trusted)


def _verify(dest: Target, trusted: Manifest | None) -> VerifyResult:
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
    return VerifyResult(dest.display, name, found, len(found.files), mismatches)


def repair_target(target: str, *, ssh_options: Sequence[str] = ()) -> pristine.RepairResult:
    """Returns what ``verify --repair`` found on the live release of ``target`` and put back from the pristine store."""
    # The quarantine folder is named by the time (for a person to read): the guard module names it.
    from gongkai.publish.guard import quarantine_stamp  # guard loads watchdog's helpers only when used

    dest = open_target(target, ssh_options)
    with dest.session():
        return pristine.repair(dest, quarantine_stamp())
