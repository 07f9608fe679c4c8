"""`gongkai review`: the review desk of one reviewer — who they are (their key in reviewers.yml),
what waits for their stages, and what the desk does for them: sign with their key (a key file,
with its passphrase given on the page, or ssh-agent), commit the signatures and push the branch.

The web page is tools.deskweb; this module holds no HTML. Nothing here publishes anything: a
signature only counts once it is merged and built like any other."""
from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gongkai import gitrepo
from gongkai.errors import GongkaiError, Problem, UsageError
from gongkai.gitrepo import GitError
from gongkai.model import VERDICT_LABELS, Decision, Reviewer, Verdict
from gongkai.portal import Portal
from gongkai.site.generated import page_sources
from gongkai.trust import signing, sshsig
from gongkai.trust.review import Verifier, item_digest

#: The key files tried, in this order, when no --key is given (after the keys ssh-agent holds).
DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")
#: Branches tried as the base of the change shown for each item, when no --base is given.
DEFAULT_BASES = ("origin/main", "main", "origin/master", "master")
#: The askpass program ssh-keygen runs for the passphrase (SSH_ASKPASS_REQUIRE=force): it prints
#: what the desk put in its environment, so no terminal is ever asked and nothing is written to disk.
ASKPASS = '#!/bin/sh\nprintf \'%s\\n\' "$GONGKAI_PASSPHRASE"\n'
MAX_DIFF_LINES = 400


@dataclass(frozen=True)
class Identity:
    """The reviewer at the desk and the key they sign with."""

    reviewer: Reviewer
    key: Path  # a private key file, or a public key file whose private half ssh-agent holds
    agent: bool  # the key is in ssh-agent: no passphrase is asked
    encrypted: bool  # the private key file has a passphrase
    fingerprint: str


@dataclass(frozen=True)
class StageState:
    """One required review stage of an item, as the desk shows it."""

    stage: str
    state: str  # 已签署 / 待审核 / 须重新审核
    by: str = ""  # the signer's name (signed or stale)
    by_id: str = ""
    at: str = ""
    mine: bool = False  # the reviewer at the desk may sign it now


@dataclass
class Entry:
    """One item on the desk."""

    decision: Decision
    path: str  # as `gongkai check` prints it (relative to the portal)
    title: str
    index_no: str
    unit: str  # the unit's name
    attribute: str
    category: str
    label: str  # the verdict in Chinese
    stages: list[StageState]
    problems: list[Problem]
    src: str  # the page's source path in the site (the preview's URL derives from it)

    @property
    def signable(self) -> list[str]:
        return [s.stage for s in self.stages if s.mine]

    @property
    def stale(self) -> bool:
        return any(s.state == "须重新审核" for s in self.stages)


@dataclass
class Outcome:
    """What one action of the desk did, in Chinese, for the page's status line."""

    ok: bool
    message: str
    details: list[str] = field(default_factory=list)


class Desk:
    """The desk of one reviewer on one portal checkout. ``evaluate()`` returns the portal as it is
    on disk now (the caller's, so that the desk knows nothing of MkDocs)."""

    def __init__(self, root: Path, docs_dir: Path, evaluate, identity: Identity, base: str | None, workdir: Path) -> None:
        self.root, self.docs_dir = root, docs_dir
        self.evaluate = evaluate
        self.identity = identity
        self.base = base
        self.workdir = workdir  # private (0700): the askpass program and ssh-agent's public keys
        self.signed: list[str] = []  # item paths (relative to root) signed here and not yet committed
        self.portal: Portal = evaluate()

    # --- What the desk shows ---------------------------------------------------------------------

    def refresh(self) -> Portal:
        self.portal = self.evaluate()
        return self.portal

    def entries(self) -> tuple[list[Entry], list[Entry]]:
        """Returns (the items waiting for this reviewer's stages, the items this reviewer signed
        that still wait for other stages), each sorted by path."""
        portal = self.portal
        src_of = page_sources(portal)
        problems: dict[str, list[Problem]] = {}
        for problem in portal.problems:
            problems.setdefault(problem.path, []).append(problem)
        waiting: list[Entry] = []
        done: list[Entry] = []
        verifier = Verifier(portal.trust)
        me = self.identity.reviewer
        for decision in portal.decisions:
            item = decision.item
            if item is None or decision.verdict is not Verdict.HOLD:
                continue
            entry = self._entry(decision, verifier, problems.get(decision.path, []), src_of(item))
            if entry.signable:
                waiting.append(entry)
            elif any(s.by_id == me.id and s.state == "已签署" for s in entry.stages):
                done.append(entry)
        return waiting, done

    def entry(self, path: str) -> Entry | None:
        """Returns the desk's entry of the item at ``path`` (as listed), or None."""
        waiting, done = self.entries()
        for entry in waiting + done:
            if entry.path == path:
                return entry
        return None

    def _entry(self, decision: Decision, verifier: Verifier, problems: list[Problem], src: str) -> Entry:
        item = decision.item
        assert item is not None  # entries() passes items only
        settings = self.portal.settings
        me = self.identity.reviewer
        digest = item_digest(item)
        stale = {s.stage: s for s in decision.stale}
        stages: list[StageState] = []
        for stage in settings.required_stages(item.meta.get("category", "")):
            mine = stage in me.roles and me.covers_unit(item.unit)
            signer = self.portal.trust.reviewers
            if stage in stale:
                old = stale[stage]
                review = next((r for r in item.reviews if r.stage == stage and r.by == old.by), None)
                stages.append(StageState(stage, "须重新审核", old.name, old.by, review.at if review else "", mine))
            elif stage in decision.missing:
                stages.append(StageState(stage, "待审核", mine=mine))
            else:
                review = next((r for r in item.reviews if r.stage == stage and verifier.check(item, r, digest) is None), None)
                name = signer[review.by].name if review is not None and review.by in signer else (review.by if review else "")
                stages.append(StageState(stage, "已签署", name, review.by if review else "", review.at if review else ""))
        unit = next((u.name for u in settings.units if u.id == item.unit), item.unit)
        return Entry(
            decision, decision.path, item.title, item.index_no, unit, str(item.meta.get("attribute", "")),
            str(item.meta.get("category", "")), VERDICT_LABELS[decision.verdict], stages, problems, src,
        )

    def change(self, entry: Entry) -> tuple[str, list[str]]:
        """Returns (what the lines compare, the unified diff lines) of the item's file against the
        base branch: the item as it is on disk, committed or not."""
        path = self.root / entry.path
        try:
            new = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
        except OSError:
            new = []
        base = self.base_commit()
        if base is None:
            return ("找不到可比较的基准分支(可用 --base 指定,如 origin/main)", [])
        top = gitrepo.toplevel(self.root) or self.root
        rel = path.resolve().relative_to(top).as_posix() if path.resolve().is_relative_to(top) else entry.path
        old_text = gitrepo.show(self.root, base[1], rel)
        title = f"与 {base[0]} 比较" + ("(新增的信息)" if old_text is None else "")
        old = (old_text or "").splitlines()
        lines = list(difflib.unified_diff(old, new, f"{base[0]}:{entry.path}", entry.path, lineterm="", n=3))
        if len(lines) > MAX_DIFF_LINES:
            lines = lines[:MAX_DIFF_LINES] + [f"……(还有 {len(lines) - MAX_DIFF_LINES} 行未显示)"]
        return title, lines

    def base_commit(self) -> tuple[str, str] | None:
        """Returns (the base branch's name, the commit where this branch left it), or None."""
        for name in ([self.base] if self.base else list(DEFAULT_BASES)):
            fork = gitrepo.run(self.root, "merge-base", name, "HEAD").strip()
            if fork:
                return name, fork
        return None

    def branch(self) -> str:
        return gitrepo.run(self.root, "rev-parse", "--abbrev-ref", "HEAD").strip() or "(不在 Git 仓库中)"

    # --- What the desk does ----------------------------------------------------------------------

    def sign(self, path: str, stage: str, passphrase: str = "") -> Outcome:
        """Signs ``stage`` of the item at ``path`` with the reviewer's key, in place of any earlier
        signature of that stage."""
        entry = self.entry(path)
        if entry is None:
            return Outcome(False, f"{path} 不在待审核列表中(可能已签署、已发布或已被修改),请刷新页面")
        if stage not in entry.signable:
            return Outcome(False, f"{entry.title}:您不能签署{stage}(只能签署 {'、'.join(entry.signable) or '无'})")
        me = self.identity.reviewer
        env = dict(os.environ)
        env.update({"SSH_ASKPASS": str(self.workdir / "askpass"), "SSH_ASKPASS_REQUIRE": "force", "GONGKAI_PASSPHRASE": passphrase})
        env.setdefault("DISPLAY", ":0")  # OpenSSH before 8.4 ignores SSH_ASKPASS without one
        try:
            signed = signing.sign_item(
                self.root, self.docs_dir, self.portal.settings, self.portal.trust, self.root / path, stage, me.id, self.identity.key, env=env,
            )
        except GongkaiError as exc:
            message = str(exc)
            if "口令" in message and self.identity.encrypted and not passphrase:
                message = "您的密钥设有口令:请在“密钥口令”框中输入后再签署"
            return Outcome(False, f"签署失败:{message}")
        finally:
            env.pop("GONGKAI_PASSPHRASE", None)
        if path not in self.signed:
            self.signed.append(path)
        self.refresh()
        details = [f"已替换原有的{old.review.stage}签名({old.state})" for old in signed.replaced]
        return Outcome(True, f"已签署{stage}:{entry.title}({signed.review.at})", details)

    def uncommitted(self) -> list[str]:
        """Returns the files signed here that differ from HEAD (what `commit` would record)."""
        if not self.signed:
            return []
        status = gitrepo.run(self.root, "status", "--porcelain", "--untracked-files=all", "--", *self.signed)
        changed = {line[3:].strip() for line in status.splitlines() if len(line) > 3}
        top = gitrepo.toplevel(self.root) or self.root
        out = []
        for path in self.signed:
            full = (self.root / path).resolve()
            rel = full.relative_to(top).as_posix() if full.is_relative_to(top) else path
            if rel in changed or path in changed:
                out.append(path)
        return out

    def commit(self) -> Outcome:
        """Commits the signatures made at the desk (only those files), with the reviewer as author
        unless Git knows who the user is."""
        files = self.uncommitted()
        if not files:
            return Outcome(False, "没有需要提交的签名")
        me = self.identity.reviewer
        identity: list[str] = []
        if not gitrepo.run(self.root, "config", "user.email").strip():
            identity += ["-c", f"user.email={me.id}@reviewers.invalid"]
        if not gitrepo.user_name(self.root):
            identity += ["-c", f"user.name={me.name}"]
        try:
            added = gitrepo.write(self.root, "add", "--", *files)
            if added.returncode != 0:
                return Outcome(False, f"提交失败:{_last_line(added.stderr)}")
            summary = f"审核签名:{me.name}签署 {len(files)} 条信息"
            body = "\n".join(files)
            done = gitrepo.write(self.root, *identity, "commit", "-m", summary, "-m", body, "--", *files)
        except GitError as exc:
            return Outcome(False, f"提交失败:{exc}")
        if done.returncode != 0:
            return Outcome(False, f"提交失败:{_last_line(done.stderr or done.stdout)}")
        self.signed = [p for p in self.signed if p not in files]
        commit = gitrepo.run(self.root, "rev-parse", "--short", "HEAD").strip()
        return Outcome(True, f"已提交 {len(files)} 个文件的签名(提交 {commit})", files)

    def push(self) -> Outcome:
        """Pushes the current branch to its upstream (or to origin under its own name)."""
        branch = self.branch()
        upstream = gitrepo.run(self.root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}").strip()
        args = ["push"] if upstream else ["push", "--set-upstream", "origin", "HEAD"]
        try:
            pushed = gitrepo.write(self.root, *args, timeout=120)
        except GitError as exc:
            return Outcome(False, f"推送失败:{exc}")
        if pushed.returncode != 0:
            reason = _last_line(pushed.stderr)
            hint = ""
            if "rejected" in pushed.stderr or "fetch first" in pushed.stderr:
                hint = ";远程分支已有新的提交,请联系信息联络员更新分支后再推送"
            elif "terminal prompts disabled" in pushed.stderr or "Authentication" in pushed.stderr or "Permission denied" in pushed.stderr:
                hint = ";Git 未能登录远程仓库:请按一次性设置说明配置 Git 凭据或 SSH 密钥"
            elif "does not appear to be a git repository" in pushed.stderr or "No configured push destination" in pushed.stderr:
                hint = ";本仓库没有远程仓库 origin"
            return Outcome(False, f"推送失败:{reason}{hint}")
        return Outcome(True, f"已推送分支 {branch}" + (f" 到 {upstream}" if upstream else " 到 origin"))


    def branches(self) -> list[tuple[str, str]]:
        """Returns the branches of origin a reviewer may switch to (name, its last commit's subject),
        the base and the current branch left out."""
        current = self.branch()
        base = (self.base_commit() or ("", ""))[0]
        listed = gitrepo.run(self.root, "for-each-ref", "--sort=-committerdate", "--format=%(refname:short)\t%(subject)", "refs/remotes/origin")
        out = []
        for line in listed.splitlines():
            name, _, subject = line.partition("\t")
            short = name.removeprefix("origin/")
            if short in ("HEAD", current, base.removeprefix("origin/")) or name in (base, "origin"):
                continue
            out.append((short, subject))
        return out

    def update(self) -> Outcome:
        """Fetches origin and brings the current branch up to date (fast-forward only)."""
        try:
            fetched = gitrepo.write(self.root, "fetch", "--prune", "origin", timeout=120)
            if fetched.returncode != 0:
                return Outcome(False, f"更新失败:{_last_line(fetched.stderr)}")
            upstream = gitrepo.run(self.root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}").strip()
            if upstream:
                merged = gitrepo.write(self.root, "merge", "--ff-only", upstream)
                if merged.returncode != 0:
                    return Outcome(False, f"已取得最新的合并请求,但本分支无法直接更新:{_last_line(merged.stderr)}(本机有未推送的签名时,请先推送)")
        except GitError as exc:
            return Outcome(False, f"更新失败:{exc}")
        self.refresh()
        return Outcome(True, "已取得最新内容")

    def switch(self, name: str) -> Outcome:
        """Switches the checkout to origin's branch ``name`` (the pull request to review)."""
        if name not in {b for b, _ in self.branches()}:
            return Outcome(False, f"没有合并请求分支 {name},请先点“取得最新内容”")
        if self.uncommitted():
            return Outcome(False, "本分支上还有未提交的签名:请先提交并推送,再切换")
        dirty = gitrepo.run(self.root, "status", "--porcelain", "--untracked-files=no").strip()
        if dirty:
            return Outcome(False, "本机有未提交的修改,不能切换分支:请联系信息联络员或政务公开办处理")
        try:
            switched = gitrepo.write(self.root, "switch", name)
        except GitError as exc:
            return Outcome(False, f"切换失败:{exc}")
        if switched.returncode != 0:
            return Outcome(False, f"切换失败:{_last_line(switched.stderr)}")
        self.signed = []
        self.refresh()
        return Outcome(True, f"已切换到合并请求分支 {name}")


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "Git 没有说明原因"


# --- Who is at the desk -----------------------------------------------------------------------------


def make_workdir() -> Path:
    """Returns a new private folder with the askpass program in it (removed by close_workdir)."""
    workdir = Path(tempfile.mkdtemp(prefix="gongkai-review-"))
    askpass = workdir / "askpass"
    askpass.write_text(ASKPASS)
    askpass.chmod(0o700)
    return workdir


def close_workdir(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)


def find_identity(portal: Portal, workdir: Path, key: str | None = None, reviewer_id: str | None = None) -> Identity:
    """Returns the reviewer whose key registered in reviewers.yml is ``key`` (a key file), or else
    one that ssh-agent holds, or else ~/.ssh/id_ed25519 (id_ecdsa, id_rsa); ``reviewer_id`` picks
    among several. Raises UsageError in Chinese saying what was tried."""
    trust = portal.trust
    owners: dict[bytes, str] = {}
    for rid, blobs in trust.blobs.items():
        for blob in blobs:
            owners[blob] = rid
    candidates: list[tuple[Path, bool]] = []
    if key:
        path = Path(key).expanduser()
        if not path.is_file():
            raise UsageError(f"找不到密钥文件 {key}")
        candidates.append((path, False))
    else:
        candidates += _agent_keys(workdir)
        home = Path.home() / ".ssh"
        candidates += [(home / name, False) for name in DEFAULT_KEYS if (home / name).is_file()]
    tried: list[str] = []
    found: list[Identity] = []
    for path, agent in candidates:
        try:
            blob = sshsig.key_blob(signing.public_key_line(path))
        except (GongkaiError, sshsig.SignatureError, OSError) as exc:
            tried.append(f"{path}(无法读取:{exc})")
            continue
        owner = owners.get(blob)
        fingerprint = sshsig.fingerprint(blob)
        if owner is None or (reviewer_id and owner != reviewer_id):
            tried.append(f"{'ssh-agent 中的密钥' if agent else path} {fingerprint}")
            continue
        found.append(Identity(trust.reviewers[owner], path, agent, not agent and _encrypted(path), fingerprint))
    if not found:
        where = portal.settings.reviewers_file
        detail = ";".join(tried) if tried else "没有找到任何 SSH 密钥(ssh-agent 为空,~/.ssh 中没有 id_ed25519)"
        who = f"审核人 {reviewer_id} " if reviewer_id else ""
        raise UsageError(f"没有找到{who}登记在 {where} 中的密钥:{detail}。请用 --key 指定您的私钥文件,或请政务公开办把您的公钥登记到 {where}")
    ids = sorted({i.reviewer.id for i in found})
    if len(ids) > 1:
        raise UsageError(f"找到多位审核人的密钥({'、'.join(ids)}):请用 --as 指定您的审核人 id")
    return found[0]


def _agent_keys(workdir: Path) -> list[tuple[Path, bool]]:
    """Returns the public keys ssh-agent holds, each written to a file ssh-keygen can sign with."""
    if not os.environ.get("SSH_AUTH_SOCK"):
        return []
    try:
        listed = subprocess.run(["ssh-add", "-L"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return []
    if listed.returncode != 0:
        return []
    out = []
    for n, line in enumerate(line for line in listed.stdout.splitlines() if line.strip()):
        path = workdir / f"agent-{n}.pub"
        path.write_text(line.strip() + "\n")
        out.append((path, True))
    return out


def _encrypted(path: Path) -> bool:
    """Returns whether the private key file has a passphrase (asking none: -P '')."""
    try:
        result = subprocess.run(["ssh-keygen", "-y", "-P", "", "-f", str(path)], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode != 0 and "passphrase" in result.stderr


