"""The pristine store of a target and the repair of a tampered live release from it.

``TARGET/pristine/ab/abcdef…`` holds one read-only copy of every file of the kept releases,
named by its SHA-256 (a file that is the same in five releases is stored once), manifest.json
included. The web server is never pointed at it; releases are separate copies of these bytes,
never hard links, so a page edited in the live release leaves the store and every other release
untouched. ``gongkai verify --repair`` puts back every changed or deleted file of the live
release from the store and moves what was changed or added into ``TARGET/quarantine/`` (kept as
evidence); the watcher (``gongkai watch``) does the same within a second of a change.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Sequence

from gongkai.publish import journal, signature
from gongkai.publish.manifest import (
    CHANGED,
    EXTRA,
    MANIFEST_NAME,
    MISSING,
    Manifest,
    Mismatch,
    PublishError,
    compare,
    hash_files,
    parse_manifest,
    scan_tree,
)
from gongkai.publish.targets import RELEASES, LocalTarget, Target, live_release, run_rsync

PRISTINE = "pristine"
QUARANTINE = "quarantine"


def object_rel(digest: str) -> str:
    """Returns where the bytes with this SHA-256 live in the store, relative to the target."""
    return f"{PRISTINE}/{digest[:2]}/{digest}"


def upload_objects(dest: Target, site: Path, manifest: Manifest, extra: Sequence[str]) -> None:
    """Adds the site's files (and its manifest.json) to the target's store; objects already there are skipped."""
    wanted = {digest: rel for rel, digest in manifest.files.items()}
    wanted[manifest.digest] = MANIFEST_NAME
    staging = Path(tempfile.mkdtemp(prefix="gongkai-pristine-"))
    try:
        for digest, rel in wanted.items():
            folder = staging / digest[:2]
            folder.mkdir(exist_ok=True)
            os.symlink((site / rel).resolve(), folder / digest)
        argv = ["rsync", "-rL", "--ignore-existing", "--chmod=D755,F444", "--quiet", *extra, *dest.rsync_transport(),
                "--", f"{staging}/", dest.rsync_dest(PRISTINE) + "/"]
        run_rsync(argv, dest.display)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_object(dest: Target, digest: str) -> bytes | None:
    """Returns the stored bytes with this SHA-256, or None when the store lacks them or they were altered."""
    data = dest.read_bytes(object_rel(digest))
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        return None
    return data


def stored_manifest(dest: Target, history: journal.History, name: str) -> Manifest | None:
    """Returns the manifest a release was uploaded with, from the store (None for a release from before the store)."""
    digest = history.manifests.get(name)
    if digest is None:
        return None
    data = read_object(dest, digest)
    if data is None:
        raise PublishError(
            f"{dest.display}/{object_rel(digest)}: 版本 {name} 的原始清单缺失或已被改动",
            "原始副本库遭到破坏:请从构建机重新发布(gongkai publish)",
        )
    return parse_manifest(data, f"{dest.display}/{object_rel(digest)}")


def collect_garbage(dest: Target, keep: Sequence[Manifest]) -> None:
    """Removes the stored objects, and the manifest signatures, no kept release refers to."""
    wanted = {d for m in keep for d in m.files.values()} | {m.digest for m in keep}
    manifests = {m.digest for m in keep}
    listing = dest.sh(
        f"cd -- {dest.q} || exit 90\n"
        f"[ -d {PRISTINE} ] && find {PRISTINE} -type f -printf 'O%f\\n'\n"
        f"[ -d {signature.SIGNATURES} ] && find {signature.SIGNATURES} -type f -name '*.sig' -printf 'S%f\\n'\n"
        "exit 0\n",
        what="列出原始副本",
    )
    stale = []
    for line in listing.decode("ascii", "replace").split():
        kind, name = line[:1], line[1:]
        if kind == "O" and len(name) == 64 and name not in wanted:
            stale.append(object_rel(name))
        elif kind == "S" and len(name) == 68 and name[:64] not in manifests:
            stale.append(signature.manifest_signature_rel(name[:64]))
    if stale:
        dest.sh(f"cd -- {dest.q} || exit 90\nxargs -r rm -f --\n", input="\n".join(stale).encode() + b"\n", what="清理原始副本")


@dataclass(frozen=True)
class Repair:
    """What ``verify --repair`` did to one file of the live release."""

    mismatch: Mismatch
    quarantined: str | None  # where the changed or added file was moved, relative to the target

    def __str__(self) -> str:
        m = self.mismatch
        kept = f",原文件已移到 {self.quarantined} 留作证据" if self.quarantined else ""
        if m.kind == CHANGED:
            return f"{m.path}: 内容被改动,已从原始副本恢复{kept}"
        if m.kind == MISSING:
            return f"{m.path}: 文件被删除,已从原始副本恢复"
        return f"{m.path}: 多出的文件已移除{kept}"


@dataclass(frozen=True)
class RepairResult:
    """The live release, what was wrong with it and what was done."""

    target: str
    release: str
    manifest: Manifest
    repairs: list[Repair] = field(default_factory=list)
    remaining: list[Mismatch] = field(default_factory=list)  # still wrong after the repair (should be empty)


def repair(dest: Target, stamp: str, publishers: Sequence[bytes] = (), only: Collection[str] | None = None) -> RepairResult:
    """Restores the live release of ``dest`` to the bytes it was published with; ``stamp`` names the quarantine folder.

    With ``publishers`` (the pinned publishing keys), the stored manifest must carry a valid signature
    by one of them first: a store an attacker filled is never restored from. ``only`` (paths in
    the release, for a local target) limits the check to those files and folders: the watcher
    passes what inotify reported, so that a repair takes the same time on any size of site.
    """
    state = dest.state()
    name = live_release(dest, state)
    history = journal.read_history(dest, name)
    manifest = stored_manifest(dest, history, name)
    if manifest is None:
        # No journal line for it (a target published before the store, or a journal deleted): the
        # release's own manifest is used only when the store holds the very same bytes.
        raw = dest.read_bytes(f"{RELEASES}/{name}/{MANIFEST_NAME}")
        if raw is not None and read_object(dest, hashlib.sha256(raw).hexdigest()) is not None:
            manifest = parse_manifest(raw, f"{dest.display}/{RELEASES}/{name}/{MANIFEST_NAME}")
    if manifest is None:
        raise PublishError(
            f"{dest.display}: 发布日志 journal 中没有当前版本 {name} 的上传记录,原始副本库中也没有它的清单,无法修复",
            "若这个版本发布于原始副本库启用之前,重新发布一次即可;否则发布日志可能被删改,请保留现场、按应急预案报告,并从构建机重新发布",
        )
    if publishers:
        data = read_object(dest, manifest.digest) or b""
        sig = dest.read_bytes(signature.manifest_signature_rel(manifest.digest))
        signature.check(data, sig.decode("ascii", "replace") if sig is not None else None, publishers,
                        f"{dest.display}/{object_rel(manifest.digest)}")
    rel = f"{RELEASES}/{name}"
    found = _mismatches(dest, rel, manifest, only)
    if not found:
        return RepairResult(dest.display, name, manifest)
    qdir = f"{QUARANTINE}/{stamp}"
    script = [f"cd -- {dest.q} || exit 90", f"r={shlex.quote(rel)}", "find \"$r\" -type d -exec chmod u+w {} + || exit 93"]
    repairs = []
    for m in found:
        quarantined = None
        path = shlex.quote(m.path)
        if m.kind in (CHANGED, EXTRA):
            # The evidence is kept: a changed file is linked (or copied) aside and then replaced in one
            # rename, so that readers never meet a missing page; an added one is moved aside.
            quarantined = posixpath.join(qdir, m.path)
            q = shlex.quote(quarantined)
            keep = f"ln -P -- \"$r\"/{path} {q} 2>/dev/null || cp -P -- \"$r\"/{path} {q}" if m.kind == CHANGED else f"mv -f -- \"$r\"/{path} {q}"
            script.append(f"mkdir -p -- \"$(dirname -- {q})\" && {{ {keep}; }}")
        if m.kind in (CHANGED, MISSING):
            assert m.expected is not None
            obj = object_rel(m.expected)
            tmp = shlex.quote(m.path + ".gongkai-repair")
            script.append(
                f"mkdir -p -- \"$(dirname -- \"$r\"/{path})\" && cp -- {obj} \"$r\"/{tmp} && chmod 444 -- \"$r\"/{tmp}"
                f" && mv -f -T -- \"$r\"/{tmp} \"$r\"/{path}"
            )
        repairs.append(Repair(m, quarantined))
    script.append("find \"$r\" -type d -exec chmod a-w {} +")
    dest.sh("\n".join(script) + "\n", what="修复当前版本")
    return RepairResult(dest.display, name, manifest, repairs, _mismatches(dest, rel, manifest, only))


def _mismatches(dest: Target, rel: str, manifest: Manifest, only: Collection[str] | None = None) -> list[Mismatch]:
    expected = {**manifest.files, MANIFEST_NAME: manifest.digest}
    if only is None or "" in only or not isinstance(dest, LocalTarget):
        _raw, digests, strange = dest.snapshot(rel)
        return compare(expected, digests, strange)
    root = dest.root / rel
    paths: set[str] = set()
    for prefix in only:
        paths.update(r for r in expected if r == prefix or r.startswith(prefix + "/"))
        full = root / prefix
        if full.is_dir() and not full.is_symlink():
            found, strange = scan_tree(full)
            paths.update(f"{prefix}/{r}" for r in [*found, *strange])
        elif os.path.lexists(full):
            paths.add(prefix)
    files: list[str] = []
    others: dict[str, str] = {}
    for path in paths:
        full = root / path
        if full.is_symlink():
            others[path] = "symlink"
        elif full.is_file():
            files.append(path)
        elif os.path.lexists(full) and not full.is_dir():
            others[path] = "special"
    return compare({r: expected[r] for r in paths if r in expected}, hash_files(root, files), others)
