"""Which file keeps a 索引号 that several files share: the others are refused.

A 索引号 is public once its item is published: readers cite it, the catalog lists it, the signatures
are made over it. When a second file holds the same number (a copy that kept the front-matter, two
branches that took the same number), the file that was there first keeps it and the newcomer is the
error, so that a copy never takes the published item off the site. In this order:

1. the file whose required signatures all verify (it is, or can be, published) over one whose do not;
2. the file Git saw first (the commit that added it; a file no commit holds is the newest);
3. the path that sorts first, so that the outcome never depends on the order the files were read.

Only files that share a number are looked at, and Git is asked only when the signatures leave a tie.
"""
from __future__ import annotations

from pathlib import Path

from gongkai import gitrepo
from gongkai.errors import Problem
from gongkai.model import Item, Settings
from gongkai.read.loader import Loaded
from gongkai.trust.review import Verifier

NEVER = float("inf")  # when Git saw a file no commit holds: after every commit


def shared_numbers(files: list[Loaded]) -> dict[str, list[Loaded]]:
    """Returns the files of every 索引号 held by more than one file, in path order."""
    holders: dict[str, list[Loaded]] = {}
    for loaded in files:
        item = loaded.item
        if item is not None and isinstance(item.meta.get("index_no"), str):
            holders.setdefault(item.index_no, []).append(loaded)
    return {number: sorted(group, key=lambda f: f.path) for number, group in holders.items() if len(group) > 1}


def settle_duplicates(files: list[Loaded], verifier: Verifier, settings: Settings, root: Path) -> None:
    """Adds an error at the index_no line of every file that must give up its 索引号 (see the
    module docstring); the file that keeps it is left to be judged as any other."""
    for number, group in shared_numbers(files).items():
        keeper, why = _keeper(group, verifier, settings, root)
        assert keeper.item is not None
        for loaded in group:
            if loaded is keeper:
                continue
            assert loaded.item is not None
            loaded.problems.append(
                Problem(
                    loaded.path,
                    loaded.item.line_of("index_no"),
                    f"索引号 {number} 已由 {keeper.path} 使用({why}):本文件如是新信息,请用 gongkai new 新建信息文件"
                    f"(它会分配新的索引号),把本文件的内容移过去后删除本文件;如是误复制,请删除本文件",
                )
            )


def _keeper(group: list[Loaded], verifier: Verifier, settings: Settings, root: Path) -> tuple[Loaded, str]:
    """Returns the file that keeps the number, and why (as the refusal of the others says it)."""
    signed = [f for f in group if f.item is not None and _signed(f.item, verifier, settings)]
    if len(signed) == 1:
        return signed[0], "已公开的信息保留原索引号"
    candidates = signed or group
    seen = {f.path: gitrepo.first_seen(root, f.path) for f in candidates}
    first = min(candidates, key=lambda f: (NEVER if seen[f.path] is None else seen[f.path], f.path))
    tied = [f for f in candidates if seen[f.path] == seen[first.path]]
    if len(tied) > 1:
        when = "在同一次提交中加入 Git" if seen[first.path] is not None else "都未提交到 Git"
        return first, f"这些文件{when},按路径排序在前的保留原索引号"
    return first, "签名都有效,先提交到 Git 的保留原索引号" if signed else "先提交到 Git 的保留原索引号"


def _signed(item: Item, verifier: Verifier, settings: Settings) -> bool:
    outcome = verifier.evaluate(item, settings.required_stages(item.category))
    return not outcome.refused and not outcome.missing
