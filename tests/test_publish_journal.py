"""The journal of switches: rollback and pruning follow what was live, never a clock or a name.

Real rsync on a local directory; the SSH variants are in tests/integration/test_publish_ssh.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gongkai.publish.journal import parse_journal
from gongkai.publish.manifest import PublishError, read_manifest
from gongkai.publish.releases import publish, rollback
from gongkai.publish.verify import verify
from tests.test_publish import child_env, make_site

NOW = datetime.now(timezone.utc)
BEHIND = NOW - timedelta(days=1)  # the publishing machine's clock one day behind


def site(tmp_path: Path, tag: str) -> Path:
    return make_site(tmp_path / tag, {"index.html": f"<h1>{tag}</h1>", "same.html": "不变的页面"}, commit=f"{tag}0000")


def live(target: Path) -> str:
    return os.path.basename(os.readlink(target / "current"))


def journal_lines(target: Path) -> list[str]:
    return [e.line() for e in parse_journal((target / "journal").read_bytes())]


def bad_rollback_fix(target: str, tmp_path: Path, **options) -> tuple[str, str, str]:
    """Publishes good A, bad B (with the clock a day behind), rolls back, publishes the fix C (clock behind too)."""
    a = publish(target, site(tmp_path, "aaaaaaa"), _now=NOW, **options).name
    b = publish(target, site(tmp_path, "bbbbbbb"), _now=BEHIND, **options).name
    assert rollback(target, **options).name == a
    c = publish(target, site(tmp_path, "ccccccc"), _now=BEHIND + timedelta(seconds=1), keep=2, **options).name
    return a, b, c


def test_bad_rollback_fix_then_rollback_lands_on_the_fix_predecessor(tmp_path):
    target = tmp_path / "www"
    a, b, c = bad_rollback_fix(str(target), tmp_path)
    assert b < a and c < a  # the names (clock one day behind) sort the other way round: they decide nothing
    # --keep 2 after C kept A (what was live before C), not B (newer by the journal's upload order).
    assert sorted(os.listdir(target / "releases")) == sorted([a, c])
    back = rollback(str(target))
    assert back.name == a and back.previous == c and live(target) == a
    assert verify(str(target)) == []
    # Nothing was live before A: a second rollback refuses instead of guessing from names.
    with pytest.raises(PublishError, match="没有比当前版本"):
        rollback(str(target))
    lines = journal_lines(target)
    assert [line.split(" ", 2)[1] for line in lines] == [
        "upload", "publish", "upload", "publish", "rollback", "upload", "publish", "remove", "rollback"
    ]
    assert lines[-1] == f"9 rollback {a} from {c}" and lines[-2] == f"8 remove {b}"


def test_rollback_twice_steps_back_along_what_was_live(tmp_path):
    target = tmp_path / "www"
    names = [publish(str(target), site(tmp_path, f"{n}{n}{n}{n}{n}{n}{n}"), _now=NOW - timedelta(hours=n)).name for n in range(1, 5)]
    assert names == sorted(names, reverse=True)  # every publish had an earlier clock than the one before
    assert rollback(str(target)).name == names[2]
    assert rollback(str(target)).name == names[1]
    # --to a release rolled back from puts it live again, and rollback then returns to where it was.
    assert rollback(str(target), to=names[3]).name == names[3]
    assert rollback(str(target)).name == names[1]


def test_keep_never_removes_the_live_or_the_previous_release(tmp_path):
    target = tmp_path / "www"
    first = publish(str(target), site(tmp_path, "1111111")).name
    second = publish(str(target), site(tmp_path, "2222222"), keep=1)
    assert second.removed == () and sorted(os.listdir(target / "releases")) == sorted([first, second.name])
    third = publish(str(target), site(tmp_path, "3333333"), keep=1)
    assert third.removed == (first,)
    assert sorted(os.listdir(target / "releases")) == sorted([second.name, third.name])
    # The stored copies of the removed release went with it (those it shared with the kept ones stay).
    stored = {p.name for p in (target / "pristine").rglob("*") if p.is_file()}
    wanted = set()
    for tag in ("2222222", "3333333"):
        m = read_manifest(tmp_path / tag)
        wanted |= set(m.files.values()) | {m.digest}
    assert stored == wanted


KILL_BEFORE_SWITCH = """
import os, signal, sys
from gongkai.publish.releases import publish
def hook(stage):
    if stage == "csp":
        os.kill(os.getpid(), signal.SIGKILL)
publish(sys.argv[1], sys.argv[2], _on_stage=hook)
"""


def test_a_release_that_never_went_live_is_cleaned_and_never_rolled_back_to(tmp_path):
    target = tmp_path / "www"
    a = publish(str(target), site(tmp_path, "aaaaaaa")).name
    proc = subprocess.run([sys.executable, "-c", KILL_BEFORE_SWITCH, str(target), str(site(tmp_path, "bbbbbbb"))],
                          env=child_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode < 0, proc.stderr
    orphan = [n for n in os.listdir(target / "releases") if n != a]
    assert len(orphan) == 1 and live(target) == a
    c = publish(str(target), site(tmp_path, "ccccccc"))
    assert orphan[0] in c.removed and not (target / "releases" / orphan[0]).exists()
    assert rollback(str(target)).name == a


def test_a_target_published_before_the_journal_is_adopted(tmp_path):
    target = tmp_path / "www"
    a = publish(str(target), site(tmp_path, "aaaaaaa")).name
    b = publish(str(target), site(tmp_path, "bbbbbbb")).name
    (target / "journal").unlink()
    assert rollback(str(target)).name == a
    assert journal_lines(target) == [f"1 adopt {a}", f"2 adopt {b}", f"3 rollback {a} from {b}"]


def test_a_damaged_journal_line_is_named(tmp_path):
    target = tmp_path / "www"
    publish(str(target), site(tmp_path, "aaaaaaa"))
    with open(target / "journal", "a", encoding="utf-8") as f:
        f.write("7 publish x from y\n3 oops\n")
    with pytest.raises(PublishError, match=r"journal:4: 错误: 发布日志这一行无法识别"):
        publish(str(target), site(tmp_path, "bbbbbbb"))
