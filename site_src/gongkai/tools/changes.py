"""`gongkai check --changed BASE`: the items a branch changed, as a Markdown summary for a PR comment.

The change set is ``git diff BASE...HEAD`` (what the branch did since it left BASE) plus what is
staged, modified or untracked in the work tree (so the same command serves a pre-commit hook).
Besides each changed item's state, missing review stages and problems, it finds what only shows when
two branches meet: a 索引号 taken on both sides, the counter advanced on both sides, and a change
to the trust file or the settings in the same change set as the signatures it would make valid.
"""
from __future__ import annotations

import posixpath
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from gongkai import gitrepo
from gongkai.errors import ERROR, WARNING, Problem
from gongkai.escaping import md_code, md_text
from gongkai.gitrepo import GitError
from gongkai.model import VERDICT_LABELS, Decision, Stale, Verdict
from gongkai.read import yamlsafe
from gongkai.read.counter import COUNTER_FILE, counter_problems
from gongkai.read.loader import read_text, split_front_matter
from gongkai.read.wording import PORTAL_FILE as WORDING_FILE
from gongkai.site import health
from gongkai.trust.review import Verifier, load_trust

STATE_ICONS = {
    Verdict.PUBLISH: "✅",
    Verdict.METADATA: "📇",
    Verdict.EXCLUDE: "🚫",
    Verdict.HOLD: "⏳",
    Verdict.REFUSE: "❌",
    Verdict.FAIL: "⛔",
}


@dataclass
class Change:
    status: str  # A added, M modified, D deleted, R renamed
    path: str  # relative to the portal root
    old_path: str = ""


@dataclass
class ItemReport:
    path: str
    status: str
    title: str = ""
    index_no: str = ""
    state: str = ""
    verdict: str = ""
    missing: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    stale: tuple[Stale, ...] = ()  # stages signed over an earlier version: to be reviewed again


@dataclass
class Summary:
    base: str
    merge_base: str
    items: list[ItemReport]
    conflicts: list[Problem]  # what only shows when the branch meets BASE
    flags: list[str]  # Markdown lines about trust file and settings changes
    other_files: list[str]

    @property
    def problems(self) -> list[Problem]:
        found = list(self.conflicts)
        for item in self.items:
            found += item.problems
        return found

    @property
    def errors(self) -> int:
        return sum(p.is_error for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(not p.is_error for p in self.problems)


# ------------------------------------------------------------------ git


def _git(root: Path, *args: str) -> str:
    return gitrepo.run(root, *args, check=True)


def _show(root: Path, commit: str, path: str) -> str | None:
    return gitrepo.show(root, commit, path, from_root=True)


def resolve_base(root: Path, base: str) -> tuple[str, str]:
    """Returns (BASE commit, merge base of BASE and HEAD); raises GitError with what to do."""
    try:
        _git(root, "rev-parse", "--show-toplevel")
    except GitError:
        raise GitError(f"{root} 不是 Git 仓库:check --changed 需要在门户的 Git 仓库中运行") from None
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}").strip()
    except GitError:
        commit = ""
    if not commit:
        raise GitError(f"找不到提交 {base}:CI 中请先 git fetch origin 目标分支(或检出时 fetch-depth: 0),本地请确认分支名")
    try:
        merge_base = _git(root, "merge-base", commit, "HEAD").strip()
    except GitError:
        raise GitError(f"{base} 与 HEAD 没有共同的历史:浅克隆时请加深(git fetch --unshallow)") from None
    return commit, merge_base


def changed_files(root: Path, merge_base: str) -> list[Change]:
    """Returns what HEAD and the work tree changed since the merge base, paths relative to root."""
    changes: dict[str, Change] = {}

    def take(output: str) -> None:
        for line in output.splitlines():
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            status = parts[0][:1]
            if status == "R" and len(parts) >= 3:
                changes[parts[2]] = Change("R", parts[2], parts[1])
            elif status in "ACMTD":
                previous = changes.get(parts[1])
                if status == "D" or previous is None:
                    changes[parts[1]] = Change("D" if status == "D" else ("A" if status == "A" else "M"), parts[1])

    take(_git(root, "diff", "--name-status", "--relative", "-M", merge_base, "HEAD"))
    # Staged and unstaged work on top of HEAD (empty in CI): the pre-commit hook sees it too.
    take(_git(root, "diff", "--name-status", "--relative", "-M", "HEAD"))
    for path in _git(root, "ls-files", "--others", "--exclude-standard").splitlines():
        changes.setdefault(path, Change("A", path))
    for path, change in list(changes.items()):
        if change.status != "D" and not (root / path).exists():
            changes[path] = Change("D", path)
    return sorted(changes.values(), key=lambda c: c.path)


def _index_no(text: str | None) -> str:
    if text is None:
        return ""
    body, _ = read_text(text.encode("utf-8"), "")
    split = split_front_matter(body or "", "")
    if not isinstance(split, tuple):
        return ""
    try:
        meta = yamlsafe.parse(split[0]).data
    except yamlsafe.YamlProblem:
        return ""
    value = meta.get("index_no") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


# ------------------------------------------------------------------ the summary


def _docs_prefix(portal) -> str:
    try:
        return Path(portal.docs_dir).resolve().relative_to(Path(portal.root).resolve()).as_posix().rstrip("/") + "/"
    except ValueError:
        return "content/"


def _is_item(path: str, prefix: str) -> bool:
    if not path.startswith(prefix) or not path.endswith(".md"):
        return False
    return not any(part.startswith(".") for part in path[len(prefix):].split("/"))


def summarize(portal, base: str, config=None) -> Summary:
    """Returns the review of what the branch changed relative to BASE."""
    root = Path(portal.root)
    base_commit, merge_base = resolve_base(root, base)
    changes = changed_files(root, merge_base)
    prefix = _docs_prefix(portal)
    counter_rel = prefix + COUNTER_FILE
    config_name = Path(getattr(config, "config_file_path", None) or "mkdocs.yml").name
    trust_rel = portal.settings.reviewers_file

    decisions = {d.path: d for d in portal.decisions}
    by_index = health._by_index(portal.decisions)
    published = {d.item.rel for d in portal.decisions if d.verdict is Verdict.PUBLISH and d.item is not None}
    assets = health.published_assets(portal.decisions)
    allowlist = portal.settings.link_allowlist
    site_host = urlsplit(str(getattr(config, "site_url", "") or "")).hostname or ""

    # An attachment is signed with its item: a changed attachment puts its item under review.
    owners: dict[str, str] = {}
    for decision in portal.decisions:
        if decision.item is not None:
            folder = posixpath.dirname(decision.item.path)
            for attachment in decision.item.attachments:
                if isinstance(attachment, str):
                    owners.setdefault(posixpath.normpath(posixpath.join(folder, attachment)), decision.item.path)
    changed_items = {c.path for c in changes}
    for change in list(changes):
        owner = owners.get(change.path)
        if owner and owner not in changed_items:
            changes.append(Change("M", owner))
            changed_items.add(owner)
    attachment_of = {c.path: owners[c.path] for c in changes if c.path in owners}

    items: list[ItemReport] = []
    other: list[str] = []
    for change in sorted(changes, key=lambda c: c.path):
        if not _is_item(change.path, prefix):
            if change.path in attachment_of:
                continue  # reported with its item
            if not (change.old_path and _is_item(change.old_path, prefix)):
                other.append(change.path)
            continue
        if change.status == "D":
            items.append(_deleted(root, merge_base, change))
            continue
        decision = decisions.get(change.path)
        if decision is None:
            continue
        problems = list(decision.problems) + health.item_health(decision, portal.today, allowlist, site_host, by_index, published, assets)
        item = decision.item
        state = VERDICT_LABELS[decision.verdict]
        if decision.verdict is Verdict.HOLD or decision.verdict in (Verdict.REFUSE, Verdict.FAIL):
            state += f"({decision.reason})"
        items.append(
            ItemReport(
                change.path,
                change.status,
                item.title if item else "",
                item.index_no if item else "",
                state,
                decision.verdict.value,
                decision.missing,
                sorted(set(problems)),
                decision.stale,
            )
        )
        attachments = sorted(a for a, owner in attachment_of.items() if owner == change.path)
        if attachments and decision.verdict in (Verdict.REFUSE, Verdict.HOLD):
            items[-1].problems.append(Problem(change.path, item.line_of("attachments") if item else 1, f"附件有改动:{'、'.join(attachments)}。附件与信息一起签名,改动后须重新审核", WARNING))
        if change.status == "R" and change.old_path:
            items[-1].problems.append(Problem(change.path, 1, f"由 {change.old_path} 改名而来:网址随之改变,原网址将失效", WARNING))

    conflicts: list[Problem] = []
    by_path = {r.path: r for r in items}
    for problem in _collisions(root, base, base_commit, merge_base, items, prefix):
        by_path[problem.path].problems.append(problem)  # shown on the item's row too
    if counter_rel in [c.path for c in changes]:
        conflicts += _counter_conflicts(root, base, base_commit, merge_base, counter_rel)
        conflicts += counter_problems(portal.docs_dir, root, portal.settings)
    flags = []
    changed_names = {c.path for c in changes}
    if trust_rel in changed_names:
        flags += _trust_flags(portal, root, base, base_commit, trust_rel, items, decisions)
        conflicts += [p for p in portal.trust.problems if p.is_error]
    if config_name in changed_names:
        flags += _settings_flags(root, base, base_commit, config_name)
    if WORDING_FILE in changed_names:
        # What the list now finds is in the items' rows; what it no longer finds is not.
        flags.append(f"本次改动修改了表述检查词表 {md_code(WORDING_FILE)}:哪些表述被报告或拒绝发布因此改变,须经政务公开办审核同意(见 CODEOWNERS)。")
        conflicts += list(portal.wording.problems)
    other = [p for p in other if p not in (counter_rel,)]
    return Summary(base, merge_base, items, sorted(set(conflicts)), flags, other)


def _deleted(root: Path, merge_base: str, change: Change) -> ItemReport:
    index_no = _index_no(_show(root, merge_base, change.path))
    message = "信息文件被删除:已公开的政府信息一般不删除,失效的请把 validity 改为 失效 或 废止;它的索引号不再分配"
    return ItemReport(change.path, "D", "", index_no, "已删除", "deleted", (), [Problem(change.path, 1, message, WARNING)])


def _collisions(root: Path, base: str, base_commit: str, merge_base: str, items: list[ItemReport], prefix: str) -> list[Problem]:
    """Returns an error for every 索引号 this branch uses that BASE took meanwhile for another file."""
    mine = {r.index_no: r.path for r in items if r.index_no and r.status != "D"}
    if not mine:
        return []
    theirs: dict[str, str] = {}
    for line in _git(root, "diff", "--name-only", "--relative", "--diff-filter=ACMR", merge_base, base_commit).splitlines():
        if _is_item(line, prefix):
            index_no = _index_no(_show(root, base_commit, line))
            if index_no:
                theirs.setdefault(index_no, line)
    found = []
    for index_no, path in sorted(mine.items()):
        other = theirs.get(index_no)
        if other and other != path:
            found.append(
                Problem(
                    path,
                    1,
                    f"索引号冲突:{index_no} 在 {base} 上已被 {other} 使用(两个分支各自取了同一个号)。"
                    f"请先合并 {base},再用 gongkai new 为本信息重新分配索引号(已签名的须重新审核)",
                    ERROR,
                )
            )
    return found


def _counter_at(root: Path, commit: str, path: str) -> dict[str, int]:
    text = _show(root, commit, path)
    if not text:
        return {}
    try:
        data = yamlsafe.parse(text).data
    except yamlsafe.YamlProblem:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool)}


def _counter_conflicts(root: Path, base: str, base_commit: str, merge_base: str, counter_rel: str) -> list[Problem]:
    old = _counter_at(root, merge_base, counter_rel)
    ours = _counter_at(root, "HEAD", counter_rel)
    if (root / counter_rel).exists():
        try:
            data = yamlsafe.parse((root / counter_rel).read_text(encoding="utf-8")).data
            ours = {str(k): v for k, v in (data or {}).items() if isinstance(v, int)}
        except (yamlsafe.YamlProblem, UnicodeDecodeError, AttributeError):
            pass
    theirs = _counter_at(root, base_commit, counter_rel)
    found = []
    for key in sorted(set(ours) & set(theirs)):
        before = old.get(key, 0)
        if ours[key] > before and theirs[key] > before:
            found.append(
                Problem(
                    counter_rel,
                    1,
                    f"计数器 {key} 在两个分支上都增加了(分叉时 {before},{base} 上 {theirs[key]},本分支 {ours[key]}):"
                    f"两边分配的索引号可能重复。合并时计数器取两边较大的值 {max(ours[key], theirs[key])},重复的索引号用 gongkai new 重新分配",
                    WARNING,
                )
            )
    return found


def _trust_flags(portal, root: Path, base: str, base_commit: str, trust_rel: str, items: list[ItemReport], decisions: dict[str, Decision]) -> list[str]:
    flags = [f"本次改动修改了审核人信任文件 {md_code(trust_rel)}:谁可以签署哪个审核环节因此改变,须经政务公开办审核同意(见 CODEOWNERS)。"]
    text = _show(root, base_commit, trust_rel)
    if text is None:
        flags.append(f"{md_code(trust_rel)} 在 {md_code(base)} 上不存在。")
        return flags
    with tempfile.TemporaryDirectory(prefix="gongkai-trust-") as tmp:
        path = Path(tmp) / "reviewers.yml"
        path.write_text(text, encoding="utf-8")
        old_trust = load_trust(path, trust_rel, portal.settings)
    added = sorted(set(portal.trust.reviewers) - set(old_trust.reviewers))
    removed = sorted(set(old_trust.reviewers) - set(portal.trust.reviewers))
    changed = sorted(r for r in set(portal.trust.reviewers) & set(old_trust.reviewers) if portal.trust.reviewers[r] != old_trust.reviewers[r])
    for label, ids in (("新增审核人", added), ("删除审核人", removed), ("修改审核人", changed)):
        if ids:
            flags.append(f"{label}:{'、'.join(md_code(i) for i in ids)}")
    verifier = Verifier(old_trust, cache=portal.cache)
    depends = []
    for report in items:
        decision = decisions.get(report.path)
        if decision is None or decision.item is None or decision.verdict not in (Verdict.PUBLISH, Verdict.METADATA, Verdict.EXCLUDE, Verdict.HOLD):
            continue
        outcome = verifier.evaluate(decision.item, portal.settings.required_stages(decision.item.category))
        if outcome.refused or set(outcome.missing) - set(decision.missing):
            depends.append(report.path)
            report.problems.append(
                Problem(report.path, decision.item.line_of("reviews"), f"本信息的审核签名只有按本次修改后的 {trust_rel} 才有效:请政务公开办先单独审核信任文件的修改", WARNING)
            )
    if depends:
        flags.append(f"**同一改动中的签名依赖这次信任文件修改**:{'、'.join(md_code(p) for p in depends)}。建议把 {md_code(trust_rel)} 的修改单独提交、单独审核。")
    return flags


def _settings_flags(root: Path, base: str, base_commit: str, config_name: str) -> list[str]:
    flags = [f"本次改动修改了站点设置 {md_code(config_name)}:须经政务公开办审核同意(见 CODEOWNERS)。"]

    def gongkai_of(text: str | None) -> dict:
        if not text:
            return {}
        try:
            data = yaml.load(text, Loader=health.TolerantLoader)  # noqa: S506 - a SafeLoader subclass
            value = data["extra"]["gongkai"]
        except (yaml.YAMLError, TypeError, KeyError):
            return {}
        return value if isinstance(value, dict) else {}

    before = gongkai_of(_show(root, base_commit, config_name))
    after = gongkai_of((root / config_name).read_text(encoding="utf-8") if (root / config_name).exists() else None)
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if keys:
        flags.append(f"改动的门户设置:{'、'.join(md_code(f'extra.gongkai.{k}') for k in keys)}")
    if "categories" in keys:
        flags.append("目录类别有调整:按目录动态调整制度,须报政务公开领导小组办公室备案。")
    return flags


# ------------------------------------------------------------------ output


STATUS_LABELS = {"A": "新增", "M": "修改", "D": "删除", "R": "改名"}


def render_markdown(summary: Summary) -> str:
    """Returns the summary as Markdown for a PR / MR comment."""
    counts = {k: sum(r.status == k for r in summary.items) for k in STATUS_LABELS}
    parts = ",".join(f"{STATUS_LABELS[k]} {v}" for k, v in counts.items() if v)
    out = ["## gongkai 检查结果\n"]
    verdict = "❌" if summary.errors else ("⚠️" if summary.warnings else "✅")
    out.append(
        f"{verdict} 相对于 {md_code(summary.base)}(分叉点 {md_code(summary.merge_base[:10])}):本次改动涉及 **{len(summary.items)}** 条信息"
        + (f"({parts})" if parts else "")
        + f";错误 **{summary.errors}** 处,警告 **{summary.warnings}** 处。\n"
    )
    if summary.flags:
        out.append("")
        for flag in summary.flags:
            out.append(f"> ⚠️ {flag}")
        out.append("")
    if summary.items:
        out.append("| | 信息 | 索引号 | 改动 | 状态 | 缺少的审核环节 | 问题 |")
        out.append("|---|---|---|---|---|---|---|")
        for r in summary.items:
            icon = STATE_ICONS.get(Verdict(r.verdict), "") if r.verdict in {v.value for v in Verdict} else "🗑️"
            errors = sum(p.is_error for p in r.problems)
            warnings = len(r.problems) - errors
            issues = " ".join(x for x in (f"❌ {errors}" if errors else "", f"⚠️ {warnings}" if warnings else "") if x) or "—"
            title = f"{md_text(r.title)}<br>" if r.title else ""
            out.append(
                f"| {icon} | {title}{md_code(r.path, table=True)} | {md_code(r.index_no, table=True)} | {STATUS_LABELS.get(r.status, r.status)} "
                f"| {md_text(r.state)} | {md_text(_missing_cell(r)) or '—'} | {issues} |"
            )
    else:
        out.append("本次改动没有涉及信息文件。")
    problems = sorted(set(summary.problems))
    if problems:
        out.append("\n### 问题\n")
        for p in problems:
            icon = "❌" if p.is_error else "⚠️"
            out.append(f"- {icon} {md_code(f'{p.path}:{p.line}' if p.line > 0 else p.path)} {md_text(p.message)}")
    if summary.other_files:
        shown = summary.other_files[:20]
        more = f" 等 {len(summary.other_files)} 个" if len(summary.other_files) > len(shown) else ""
        out.append(f"\n其他改动的文件:{'、'.join(md_code(p) for p in shown)}{more}")
    out.append("\n<sub>由 `gongkai check --changed` 生成:只检查本分支改动的信息;全站检查请运行 `gongkai check`。</sub>")
    return "\n".join(out) + "\n"


def _missing_cell(report: ItemReport) -> str:
    """Returns the stages an item still needs, each stale one with who must review it again."""
    again: dict[str, list[str]] = {}
    for stale in report.stale:
        again.setdefault(stale.stage, []).append(stale.name)
    shown = [f"{stage}(须{'、'.join(again.pop(stage))}重新审核)" if stage in again else stage for stage in report.missing]
    shown += [f"{stage}(须{'、'.join(names)}重新审核)" for stage, names in again.items()]
    return "、".join(shown)


def as_json(summary: Summary) -> dict:
    """Returns the summary as the JSON object `gongkai check --changed --json` prints."""
    return {
        "base": summary.base,
        "merge_base": summary.merge_base,
        "items": [
            {
                "path": r.path,
                "change": r.status,
                "title": r.title,
                "index_no": r.index_no,
                "state": r.verdict,
                "label": r.state,
                "missing": list(r.missing),
                "stale": [{"stage": s.stage, "by": s.by, "name": s.name} for s in r.stale],
                "problems": [p.as_dict() for p in r.problems],
            }
            for r in summary.items
        ],
        "conflicts": [p.as_dict() for p in summary.conflicts],
        "flags": summary.flags,
        "other_files": summary.other_files,
        "summary": {"errors": summary.errors, "warnings": summary.warnings},
    }
