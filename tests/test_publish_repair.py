"""Pristine copies and self-healing: verify --repair and the watcher restore the exact bytes.

Real rsync, real inotify (watchdog) on a local directory; the SSH variant of --repair is in
tests/integration/test_publish_ssh.py.
"""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gongkai.cli import main
from gongkai.publish.guard import watch
from gongkai.publish.manifest import PublishError
from gongkai.publish.releases import publish
from gongkai.publish.verify import repair_target, verify
from tests.test_publish import child_env, make_site

PAGES = {
    "index.html": "<h1>首页</h1>",
    "xxgk/index.html": "<p>信息公开</p>",
    "xxgk/gkml/附件.pdf": b"%PDF-1.4 \x00\x01\x02",
    "assets/app.js": "console.log(1)",
}


def tamper(current: Path) -> None:
    """What an attacker with write access does: edit, add, delete a file and a whole folder, plant a symlink."""
    (current / "index.html").unlink()  # a fresh file: the release's files are read-only
    (current / "index.html").write_text("<h1>被篡改</h1>", encoding="utf-8")
    (current / "xxgk" / "shell.php").write_text("<?php ?>")
    (current / "xxgk" / "gkml" / "附件.pdf").unlink()
    (current / "xxgk" / "gkml").rmdir()
    (current / "assets" / "app.js").unlink()
    (current / "assets" / "app.js").symlink_to("/etc/passwd")


def test_verify_repair_restores_every_file_and_keeps_the_evidence(tmp_path, capsys):
    target = tmp_path / "www"
    old = publish(str(target), make_site(tmp_path / "v1", {**PAGES, "index.html": "<h1>旧</h1>"}, commit="1111111")).name
    site = make_site(tmp_path / "v2", PAGES, commit="2222222")
    publish(str(target), site)
    old_bytes = {p: p.read_bytes() for p in (target / "releases" / old).rglob("*") if p.is_file()}
    tamper(target / "current")
    assert len(verify(str(target))) == 4

    log = tmp_path / "值班读网.log"
    assert main(["verify", str(target), "--repair", "--log", str(log)]) == 1
    out = capsys.readouterr().out
    assert "index.html: 内容被改动,已从原始副本恢复,原文件已移到 quarantine/" in out
    assert "xxgk/gkml/附件.pdf: 文件被删除,已从原始副本恢复" in out
    assert "xxgk/shell.php: 多出的文件已移除" in out and "已全部恢复为发布时的内容" in out
    assert "内容被改动" in log.read_text(encoding="utf-8")

    for rel, data in PAGES.items():
        path = target / "current" / rel
        assert not path.is_symlink() and path.read_bytes() == (data if isinstance(data, bytes) else data.encode())
        assert path.stat().st_mode & 0o222 == 0 and path.stat().st_nlink == 1
    assert verify(str(target)) == []
    # The other release was never touched (no shared files), and the evidence is kept.
    assert {p: p.read_bytes() for p in (target / "releases" / old).rglob("*") if p.is_file()} == old_bytes
    [stamp] = list((target / "quarantine").iterdir())
    evidence = {p.relative_to(stamp).as_posix(): p for p in stamp.rglob("*") if p.is_file() or p.is_symlink()}
    assert set(evidence) == {"index.html", "xxgk/shell.php", "assets/app.js"}
    assert evidence["index.html"].read_text(encoding="utf-8") == "<h1>被篡改</h1>"

    assert main(["verify", str(target), "--repair"]) == 0
    assert "无需修复" in capsys.readouterr().out


def test_repair_puts_back_a_rewritten_manifest(tmp_path):
    target = tmp_path / "www"
    site = make_site(tmp_path / "s", PAGES)
    publish(str(target), site)
    (target / "current" / "manifest.json").unlink()
    (target / "current" / "manifest.json").write_text("{}")
    result = repair_target(str(target))
    assert [r.mismatch.path for r in result.repairs] == ["manifest.json"] and not result.remaining
    assert (target / "current" / "manifest.json").read_bytes() == (site / "manifest.json").read_bytes()


def wait_for(check, limit: float = 10.0) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, "not repaired in time"
        time.sleep(0.005)
    return time.monotonic() - start


def test_the_watcher_repairs_within_a_second_and_follows_a_switch(tmp_path):
    target = tmp_path / "www"
    site = make_site(tmp_path / "v1", PAGES, commit="1111111")
    publish(str(target), site)
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(str(target), lines.append), kwargs={"stop": stop}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: any(line.startswith("当前版本") for line in lines))
        time.sleep(0.3)
        page = target / "current" / "index.html"
        page.unlink()
        page.write_text("<h1>被篡改</h1>", encoding="utf-8")
        took = wait_for(lambda: page.read_bytes() == PAGES["index.html"].encode())
        print(f"tamper -> repair: {took:.3f} s")
        assert took < 3
        wait_for(lambda: any("已全部恢复" in line for line in lines))
        assert any("index.html: 内容被改动" in line for line in lines)

        # A publish switches current: the watcher follows the new release.
        second = publish(str(target), make_site(tmp_path / "v2", {**PAGES, "new.html": "新"}, commit="2222222")).name
        wait_for(lambda: f"当前版本:{second}" in lines)
        (target / "current" / "new.html").unlink()
        wait_for(lambda: (target / "current" / "new.html").is_file())
        # A whole folder removed, another planted: the watcher checks what inotify reported, folders included.
        shutil.rmtree(target / "current" / "xxgk")
        (target / "current" / "planted").mkdir()
        (target / "current" / "planted" / "shell.php").write_text("<?php ?>")
        wait_for(lambda: (target / "current" / "xxgk" / "gkml" / "附件.pdf").is_file()
                 and not (target / "current" / "planted" / "shell.php").exists())
        wait_for(lambda: verify(str(target)) == [])
    finally:
        stop.set()
        thread.join(10)
    assert lines[-1].startswith("停止值守")


def test_gongkai_watch_writes_the_duty_log_and_stops_on_sigterm(tmp_path):
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "s", PAGES))
    log = tmp_path / "值班读网.log"
    code = "import sys; from gongkai.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", code, "watch", str(target), "--log", str(log)], cwd=tmp_path,
                            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: log.exists() and "当前版本" in log.read_text(encoding="utf-8"), limit=30)
        page = target / "current" / "index.html"
        page.unlink()
        page.write_text("<h1>被篡改</h1>", encoding="utf-8")
        # This test is about the log and SIGTERM; the speed is the in-process test's (a CI machine under load is slow).
        wait_for(lambda: page.read_bytes() == PAGES["index.html"].encode(), limit=60)
        wait_for(lambda: "已全部恢复" in log.read_text(encoding="utf-8"), limit=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    text = log.read_text(encoding="utf-8")
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 开始值守 ", text, re.M)
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d   index.html: 内容被改动,已从原始副本恢复", text, re.M), text
    assert text.rstrip().endswith(f"停止值守 {target}") and "Traceback" not in err.decode()


def test_repair_without_the_journal_uses_the_manifest_the_store_holds(tmp_path):
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "s", PAGES))
    (target / "journal").unlink()
    (target / "current" / "index.html").unlink()
    result = repair_target(str(target))
    assert [r.mismatch.path for r in result.repairs] == ["index.html"] and not result.remaining
    # A manifest the store does not hold is not trusted to repair from.
    (target / "current" / "manifest.json").unlink()
    (target / "current" / "manifest.json").write_text("{}")
    with pytest.raises(PublishError, match="没有它的清单,无法修复"):
        repair_target(str(target))
