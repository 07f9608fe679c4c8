"""Releases on a target: publish (upload, verify, switch ``current`` atomically, prune) and rollback."""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

from gongkai.publish import journal, pristine, signature
from gongkai.publish.csp import inline_script_hashes, update_csp
from gongkai.publish.journal import History
from gongkai.publish.manifest import MANIFEST_NAME, PublishError, UsageError, check_site, compare, list_mismatches
from gongkai.publish.targets import (
    CSP_FILES,
    CURRENT,
    PARTIAL,
    PREVIOUS,
    RELEASE_RE,
    RELEASES,
    TMP_LINK_PREFIX,
    State,
    Target,
    current_not_a_link,
    live_release,
    open_target,
)
from gongkai.publish.verify import check_tree

DEFAULT_KEEP = 5


@dataclass(frozen=True)
class Release:
    """A release that is now live on a target (after publish or rollback)."""

    target: str
    name: str
    commit: str
    built_at: str
    files: int
    previous: str | None = None
    removed: tuple[str, ...] = ()
    csp_changed: bool = False


def short_commit(commit: str) -> str:
    """Returns the first 7 letters and digits of a commit, as release and package names show it."""
    return re.sub(r"[^0-9A-Za-z]", "", commit)[:7] or "nocommit"


def _new_release_name(commit: str, existing: Iterable[str], now: datetime | None = None) -> str:
    ts = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    same_second = [m for m in map(RELEASE_RE.match, (e.removesuffix(PARTIAL) for e in existing)) if m and m.group("ts") == ts]
    name = f"{ts}-{short_commit(commit)}"
    if same_second:
        name += f"-{max(int(m.group('seq') or 1) for m in same_second) + 1}"
    return name


def _noop(stage: str) -> None:
    pass


def publish(
    target: str,
    site_dir: str | os.PathLike,
    *,
    keep: int = DEFAULT_KEEP,
    ssh_options: Sequence[str] = (),
    rsync_options: Sequence[str] | None = None,
    key: str | os.PathLike | None = None,
    publishers: Sequence[bytes] = (),
    init: bool = True,
    _on_stage: Callable[[str], None] = _noop,
    _now: datetime | None = None,
) -> Release:
    """Returns the release now live on ``target`` after uploading, verifying and atomically switching to ``site_dir``.

    ``rsync_options`` (default: the words of $GONGKAI_RSYNC) are passed to rsync, e.g. ``--bwlimit=2000``.
    ``init`` allows the first publish to a target (the command line asks for --init, so that a
    mistyped path is not created); without it a target without releases/ is refused.
    ``key`` signs manifest.json and the CSP (signature.py); when ``publishers`` (the pinned keys) are
    given, a publish without ``key``, or with a key not among them, is refused before anything moves.
    ``_on_stage`` is called between the steps (tests use it to interrupt a publish at every point);
    ``_now`` stands for the publishing machine's clock, which names the release and decides nothing.
    """
    if not isinstance(keep, int) or keep < 1:
        raise UsageError(f"--keep 必须是不小于 1 的整数(收到 {keep!r})", "例如 --keep 5 保留最近 5 个版本")
    site = Path(site_dir)
    dest = open_target(target, ssh_options)
    manifest = check_site(site)
    manifest_signature = _sign_manifest(site, manifest.digest, key, publishers)
    script_hashes = inline_script_hashes(site)
    if rsync_options is None:
        rsync_options = shlex.split(os.environ.get("GONGKAI_RSYNC", ""))
    expected = {**manifest.files, MANIFEST_NAME: manifest.digest}

    with dest.session(), dest.lock("发布", create=init):
        _on_stage("locked")
        state = dest.state(cleanup=True)
        if state.kind == "other":
            raise current_not_a_link(dest)
        if state.kind == "link" and state.current is None:
            raise PublishError(
                f"{dest.display}/{CURRENT} 指向 {state.link},不在 {RELEASES}/ 之下(可能被手工改过),未发布",
                f"先核实是谁、为什么改的;要交回 gongkai 管理,把它改名保存(mv {CURRENT} {CURRENT}.old)后重新发布,"
                f"或用 gongkai rollback --to 版本名 指回 {RELEASES}/ 中的版本",
            )
        if state.partials:
            dest.remove_releases(state.partials)
        previous = state.current
        history = _history(dest, state)
        copy_dest = previous if previous in state.releases else None
        name = _new_release_name(manifest.commit, state.releases + state.partials + sorted(history.known), _now)
        partial = f"{RELEASES}/{name}{PARTIAL}"
        _on_stage("prepared")
        try:
            dest.upload(site, partial, copy_dest, rsync_options)
            _on_stage("uploaded")
            files, others = dest.hash_tree(partial)
            mismatches = compare(expected, files, others)
            if mismatches:
                raise PublishError(
                    f"上传到 {dest.display} 的文件与 manifest.json 不符,已放弃这次发布,current 未改变:\n"
                    + list_mismatches(mismatches),
                    "检查服务器磁盘空间和目录权限后重新发布",
                )
            _on_stage("verified")
            pristine.upload_objects(dest, site, manifest, rsync_options)
            if manifest_signature:
                signature.write_signatures(dest, {signature.manifest_signature_rel(manifest.digest): manifest_signature})
            journal.append(dest, history, [journal.entry(history, journal.UPLOAD, name, digest=manifest.digest)])
            dest.finish(name)
        except BaseException:
            _best_effort(dest.remove_releases, [name + PARTIAL])
            raise
        _on_stage("finished")
        csp_changed = update_csp(dest, script_hashes, state.csp)
        if key is not None:
            signature.write_signatures(dest, {signature.CSP_SIGNATURE: signature.sign(dest.read_bytes(CSP_FILES[0]) or b"", key)})
        _on_stage("csp")
        dest.switch(name, _on_stage)
        _on_stage("switched")
        journal.append(dest, history, [journal.entry(history, journal.PUBLISH, name, previous)])
        _link_previous(dest, previous if previous in state.releases else None)
        removed = _prune(dest, history, state.releases + [name], name, keep)
        _on_stage("pruned")
    return Release(
        target=dest.display,
        name=name,
        commit=manifest.commit,
        built_at=manifest.built_at,
        files=len(manifest.files),
        previous=previous,
        removed=tuple(removed),
        csp_changed=csp_changed,
    )


def _sign_manifest(site: Path, digest: str, key: str | os.PathLike | None, publishers: Sequence[bytes]) -> str | None:
    """Returns the signature of the site's manifest.json (None without a key); a key not pinned is refused."""
    if key is None:
        if publishers:
            raise UsageError(
                "reviewers.yml 登记了发布密钥(角色“发布”),发布时必须用 --key 指定发布私钥为清单签名",
                "例如 gongkai publish 目标 --key ~/.ssh/gongkai_publish",
            )
        return None
    data = (site / MANIFEST_NAME).read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise PublishError(f"{site}/{MANIFEST_NAME}: 在核对之后被改动", "请重新构建后再发布")
    signed = signature.sign(data, key)
    if publishers:
        signature.check(data, signed, publishers, f"{site}/{MANIFEST_NAME}")
    return signed


def _best_effort(func, *args) -> None:
    try:
        func(*args)
    except Exception:  # the original error matters more than a failed cleanup
        pass


def rollback(target: str, to: str | None = None, *, ssh_options: Sequence[str] = ()) -> Release:
    """Returns the release made live again: the one before the live release, or the one named ``to``."""
    dest = open_target(target, ssh_options)
    with dest.session():
        return _rollback(dest, to)


def _rollback(dest: Target, to: str | None) -> Release:
    with dest.lock("回滚", create=False):
        state = dest.state(cleanup=True)
        # With --to, a current pointing outside releases/ (changed by hand) can be pointed back.
        live = None if to and state.kind == "link" and state.current is None else live_release(dest, state)
        history = _history(dest, state)
        if to:
            name = posixpath.basename(to.rstrip("/"))
            if name not in state.releases:
                raise PublishError(
                    f"{dest.display} 上没有名为 {name} 的版本",
                    "现有版本:" + (", ".join(state.releases) or "(无)"),
                )
            if name == live:
                raise PublishError(f"{name} 已经是当前版本,无需回滚")
        else:
            found = history.previous(live, state.releases)
            if found is None:
                raise PublishError(
                    f"{dest.display}: 没有比当前版本 {live} 更早上线过的版本可以回滚",
                    "用 --to 指定版本,或重新发布正确的站点",
                )
            name = found
        manifest, mismatches = check_tree(dest, f"{RELEASES}/{name}", pristine.stored_manifest(dest, history, name))
        if mismatches:
            raise PublishError(
                f"版本 {name} 的文件与它的 manifest.json 不符,拒绝回滚到它:\n" + list_mismatches(mismatches),
                "各版本互不共享文件,只有这个版本被改动过;请用 --to 选择其他版本,或从构建机重新发布(gongkai publish)",
            )
        dest.switch(name, _noop)
        journal.append(dest, history, [journal.entry(history, journal.CHOOSE if to else journal.ROLLBACK, name, live)])
        _link_previous(dest, live)
    return Release(
        target=dest.display,
        name=name,
        commit=manifest.commit,
        built_at=manifest.built_at,
        files=len(manifest.files),
        previous=live,
    )


def _link_previous(dest: Target, previous: str | None) -> None:
    """Points ``TARGET/previous`` at the release live until this switch (after a publish, the one
    rollback goes to, which pruning keeps).

    The web server serves from there the search files that a page opened before the switch asks
    for (deploy/nginx.conf, deploy/apache.conf): Pagefind names them by content, so the new
    release lacks them. The grace period lasts until the next switch.
    """
    tmp = f"{TMP_LINK_PREFIX}p$$"
    link = f"ln -s -- {RELEASES}/{previous} {tmp} && mv -T -- {tmp} {PREVIOUS} || exit 95" if previous else f"rm -f -- {PREVIOUS}"
    _best_effort(dest.sh, f"cd -- {dest.q} || exit 90\nrm -f -- {tmp}\n{link}\n")


def _history(dest: Target, state: State) -> History:
    """Returns the target's journal replayed, first adopting the releases of a target that has none."""
    history = journal.read_history(dest, state.current)
    adopted = journal.adopt_lines(history, state.releases, state.current)
    if adopted:
        journal.append(dest, history, adopted)
        history = journal.replay(history.entries, state.current)
    return history


def _prune(dest: Target, history: History, releases: list[str], live: str, keep: int) -> list[str]:
    """Removes what the journal says is stale (and its stored copies); returns the releases removed."""
    removed = journal.prune_plan(history, releases, live, keep)
    if removed:
        dest.remove_releases(removed)
        journal.append(dest, history, [journal.entry(history, journal.REMOVE, r, offset=i) for i, r in enumerate(removed)])
    # The stored copies only the removed releases used go too; when a kept release's stored manifest cannot
    # be read, nothing is collected (the release is already live: a failed cleanup must not fail the publish).
    try:
        manifests = [pristine.stored_manifest(dest, history, r) for r in releases if r not in removed and r in history.manifests]
        pristine.collect_garbage(dest, [m for m in manifests if m is not None])
    except PublishError:
        pass
    return removed
