"""Publishing to a local directory: manifest, atomic releases, tamper check, rollback, lock, packages.

Real rsync, real processes killed with SIGKILL: nothing is mocked.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

import gongkai
from gongkai.cli import main
from gongkai.errors import GongkaiError
from gongkai.publish.csp import content_security_policy, csp_config_texts, inline_script_hashes
from gongkai.publish.journal import parse_journal, prune_plan, replay
from gongkai.publish.manifest import CHANGED, EXTRA, MISSING, PublishError, UsageError, read_manifest, sha256_file, verify_tree, write_manifest
from gongkai.publish.package import package, verify_archive
from gongkai.publish.releases import publish, rollback
from gongkai.publish.targets import LocalTarget, LockBusy, SshTarget, open_target, release_key
from gongkai.publish.verify import verify
from tests.kit import require  # noqa: E402

PACKAGE_ROOT = str(Path(gongkai.__file__).resolve().parent.parent)

INDEX_V1 = '<!doctype html><html><head><meta charset="utf-8"><script>var a=1</script></head><body>首页 v1</body></html>'
INDEX_V2 = '<!doctype html><html><head><meta charset="utf-8"><script>var a=2</script></head><body>首页 v2</body></html>'


@pytest.fixture(autouse=True)
def _rsync():
    require("rsync")


def make_site(root: Path, pages: dict | None = None, *, commit: str = "0123456789abcdef", strict: bool = True,
              built_at: str = "2025-03-01T08:00:00+08:00") -> Path:
    """Writes a small built site (or ``pages``) into root and its manifest.json."""
    if pages is None:
        pages = {
            "index.html": INDEX_V1,
            "xxgk/index.html": "<p>信息公开</p>",
            "xxgk/gkml/通知公告/附件.pdf": b"%PDF-1.4 \x00\x01\x02",
            "assets/app.0123abcd.min.js": "console.log(1)",
            "catalog.csv": "\ufeffindex_no,title\n",
        }
    for rel, data in pages.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    write_manifest(root, commit=commit, built_at=built_at, strict=strict)
    return root


def live(target: Path) -> str:
    return os.readlink(target / "current")


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env


# ----------------------------------------------------------------------------- manifest


def test_manifest_lists_every_other_file_sorted_and_is_deterministic(tmp_path):
    a = make_site(tmp_path / "a")
    b = make_site(tmp_path / "b")
    (a / "link.html").symlink_to("index.html")
    write_manifest(a, commit="c1", built_at="2025-03-01T08:00:00+08:00", strict=True)
    write_manifest(b, commit="c1", built_at="2025-03-01T08:00:00+08:00", strict=True)
    text = (a / "manifest.json").read_text(encoding="utf-8")
    assert text == (b / "manifest.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert list(doc) == ["generator", "version", "built_at", "commit", "strict", "files"]
    assert doc["generator"] == "gongkai" and doc["version"] == 1 and doc["strict"] is True
    assert list(doc["files"]) == sorted(doc["files"])
    assert "manifest.json" not in doc["files"] and "link.html" not in doc["files"]
    assert "xxgk/gkml/通知公告/附件.pdf" in text  # UTF-8, not \u escapes
    assert text.startswith('{\n "generator": "gongkai",')  # indent 1
    assert doc["files"]["index.html"] == sha256_file(a / "index.html")


def test_manifest_of_ten_thousand_files_is_fast(tmp_path):
    site = tmp_path / "big"
    for d in range(100):
        folder = site / f"d{d:03d}"
        folder.mkdir(parents=True)
        for f in range(100):
            (folder / f"{f}.html").write_bytes(b"<p>%d/%d</p>" % (d, f) * 50)
    started = time.monotonic()
    write_manifest(site, commit="x", built_at="2025-01-01T00:00:00Z", strict=True)
    elapsed = time.monotonic() - started
    assert len(read_manifest(site).files) == 10_000
    assert elapsed < 20, f"manifest of 10,000 files took {elapsed:.1f} s"


def test_read_manifest_explains_what_is_wrong(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PublishError, match="不是有效的 UTF-8 JSON"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"generator": "other"}', encoding="utf-8")
    with pytest.raises(PublishError, match="不是 gongkai 生成的清单"):
        read_manifest(tmp_path)
    bad = {"generator": "gongkai", "version": 1, "built_at": "x", "commit": "y", "strict": True, "files": {"../etc/passwd": "0" * 64}}
    (tmp_path / "manifest.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(PublishError, match="不合法"):
        read_manifest(tmp_path)
    with pytest.raises(PublishError, match="缺少 manifest.json"):
        read_manifest(tmp_path / "nowhere")


def test_verify_tree_reports_changed_missing_extra_and_symlinks(tmp_path):
    site = make_site(tmp_path / "s")
    manifest = read_manifest(site)
    assert verify_tree(site, manifest) == []
    (site / "index.html").write_text("篡改", encoding="utf-8")
    (site / "catalog.csv").unlink()
    (site / "xxgk" / "evil.html").write_text("x")
    (site / "assets" / "app.0123abcd.min.js").unlink()
    (site / "assets" / "app.0123abcd.min.js").symlink_to("/etc/hostname")
    found = {m.path: m for m in verify_tree(site, manifest)}
    assert found["index.html"].kind == CHANGED
    assert found["index.html"].expected == manifest.files["index.html"]
    assert found["index.html"].actual == sha256_file(site / "index.html")
    assert found["catalog.csv"].kind == MISSING
    assert found["xxgk/evil.html"].kind == EXTRA
    assert found["assets/app.0123abcd.min.js"].actual == "symlink"
    assert "内容与清单不符" in str(found["index.html"]) and "文件缺失" in str(found["catalog.csv"])


# ----------------------------------------------------------------------------- publish, verify, rollback


def test_publish_verify_tamper_rollback_local(tmp_path):
    target = tmp_path / "www"
    v1 = make_site(tmp_path / "v1", commit="1111111aaaa")
    r1 = publish(str(target), v1)
    assert live(target) == f"releases/{r1.name}"
    assert r1.name.endswith("-1111111") and r1.previous is None and r1.files == 5
    assert (target / "current" / "index.html").read_text(encoding="utf-8") == INDEX_V1
    assert verify(str(target)) == []

    v2 = make_site(tmp_path / "v2", commit="2222222bbbb")
    (v2 / "index.html").write_text(INDEX_V2, encoding="utf-8")
    write_manifest(v2, commit="2222222bbbb", built_at="2025-03-02T08:00:00+08:00", strict=True)
    r2 = publish(str(target), v2)
    assert live(target) == f"releases/{r2.name}" and r2.previous == r1.name
    # No two releases share a file (copies, never hard links), nor a release and the pristine store;
    # a complete release is read-only.
    old, new = target / "releases" / r1.name, target / "releases" / r2.name
    assert (old / "catalog.csv").stat().st_ino != (new / "catalog.csv").stat().st_ino
    assert all(p.stat().st_nlink == 1 for p in target.rglob("*") if p.is_file() and not p.is_symlink())
    assert oct((new / "index.html").stat().st_mode & 0o777) == "0o444"
    assert oct(new.stat().st_mode & 0o777) == "0o555"

    (target / "current" / "index.html").write_text("<h1>被篡改</h1>", encoding="utf-8")
    (target / "current" / "xxgk" / "shell.php").write_text("<?php ?>")
    mismatches = verify(str(target))
    assert [(m.path, m.kind) for m in mismatches] == [("index.html", "changed"), ("xxgk/shell.php", "extra")]
    assert mismatches[0].expected == read_manifest(v2).files["index.html"]

    back = rollback(str(target))
    assert back.name == r1.name and back.previous == r2.name
    assert live(target) == f"releases/{r1.name}"
    assert verify(str(target)) == []
    # The tampered release is refused as a rollback target: nothing unverified goes live.
    with pytest.raises(PublishError, match="拒绝回滚"):
        rollback(str(target), to=r2.name)
    assert live(target) == f"releases/{r1.name}"
    with pytest.raises(PublishError, match="没有比当前版本"):
        rollback(str(target))
    with pytest.raises(PublishError, match="没有名为"):
        rollback(str(target), to="20000101T000000Z-nope")


def test_verify_with_trusted_manifest_catches_a_rewritten_manifest(tmp_path):
    target = tmp_path / "www"
    site = make_site(tmp_path / "s")
    publish(str(target), site)
    trusted = tmp_path / "trusted.json"
    shutil.copy(site / "manifest.json", trusted)
    # An attacker who changes a page and rewrites the server's manifest to match it…
    current = target / "current"
    (current / "index.html").write_text("<h1>被篡改</h1>", encoding="utf-8")
    write_manifest(current, commit="0123456789abcdef", built_at="2025-03-01T08:00:00+08:00", strict=True)
    # …is caught against the manifest the release was uploaded with (the pristine store, named in the journal)…
    assert {m.path for m in verify(str(target))} == {"index.html", "manifest.json"}
    # …and against the copy kept off the server.
    found = {m.path for m in verify(str(target), manifest=trusted)}
    assert found == {"index.html", "manifest.json"}


def test_keep_prunes_old_releases_but_never_the_live_one(tmp_path):
    target = tmp_path / "www"
    names = []
    for n in range(4):
        site = make_site(tmp_path / f"s{n}", {"index.html": f"v{n}"}, commit=f"{n}abcdef")
        names.append(publish(str(target), site, keep=2).name)
    assert sorted(os.listdir(target / "releases")) == sorted(names[-2:])
    assert names == sorted(names, key=release_key)  # several in one second still sort in publish order
    # Pruning follows the journal, not the names: c went live, then a again (a rollback), then b.
    history = replay(parse_journal(b"1 publish c from -\n2 publish a from c\n3 publish b from a\n4 upload x manifest " + b"0" * 64 + b"\n"), "b")
    assert prune_plan(history, ["a", "b", "c", "x", "by-hand"], "b", 1) == ["c", "x"]
    assert prune_plan(history, ["a", "b", "c", "x", "by-hand"], "b", 3) == ["x"]


def test_publish_refuses_what_must_not_go_live(tmp_path):
    target = tmp_path / "www"
    with pytest.raises(PublishError, match="缺少 manifest.json"):
        publish(str(target), tmp_path)
    loose = make_site(tmp_path / "loose", strict=False)
    with pytest.raises(PublishError, match="不是严格模式构建"):
        publish(str(target), loose)
    edited = make_site(tmp_path / "edited")
    (edited / "index.html").write_text("构建后手改", encoding="utf-8")
    with pytest.raises(PublishError, match="构建后被改动") as caught:
        publish(str(target), edited)
    assert "index.html" in str(caught.value) and "gongkai build --strict" in str(caught.value)
    with pytest.raises(UsageError):
        publish(str(target), make_site(tmp_path / "ok"), keep=0)
    assert not (target / "current").exists()
    assert not list((target / "releases").glob("*")) if (target / "releases").exists() else True

    hand = tmp_path / "hand"
    (hand / "current").mkdir(parents=True)
    with pytest.raises(PublishError, match="不是 gongkai 管理的符号链接"):
        publish(str(hand), make_site(tmp_path / "ok2"))
    assert (hand / "current").is_dir() and not (hand / "current").is_symlink()


def test_remote_target_syntax_is_checked(tmp_path):
    with pytest.raises(UsageError, match="没有写服务器上的目录"):
        open_target("deploy@web01:")
    with pytest.raises(UsageError, match="空格或特殊字符"):
        open_target("deploy@web01:/srv/my site")
    with pytest.raises(UsageError, match="主机名不合法"):
        open_target("-oProxyCommand=x:/srv")
    assert isinstance(open_target(str(tmp_path)), LocalTarget)
    remote = open_target("deploy@web01:/srv/gongkai/", ["-p", "2222"])
    assert isinstance(remote, SshTarget) and remote.rel == "/srv/gongkai" and remote.ssh[1:3] == ["-p", "2222"]


# ----------------------------------------------------------------------------- interruption and lock

STAGES_BEFORE_SWITCH = ["locked", "prepared", "uploaded", "verified", "finished", "csp", "linked"]
STAGES_AFTER_SWITCH = ["switched", "pruned"]

KILL_AT_STAGE = """
import os, signal, sys
from gongkai.publish.releases import publish
def hook(stage):
    if stage == sys.argv[3]:
        os.kill(os.getpid(), signal.SIGKILL)
publish(sys.argv[1], sys.argv[2], keep=1, _on_stage=hook)
"""


@pytest.mark.parametrize("stage", STAGES_BEFORE_SWITCH + STAGES_AFTER_SWITCH)
def test_publish_killed_at_any_stage_leaves_a_verifying_live_site(tmp_path, stage):
    target = tmp_path / "www"
    first = publish(str(target), make_site(tmp_path / "v1", commit="1111111"))
    v2 = make_site(tmp_path / "v2", {"index.html": INDEX_V2, "new.html": "新"}, commit="2222222")
    proc = subprocess.run([sys.executable, "-c", KILL_AT_STAGE, str(target), str(v2), stage], env=child_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if stage in STAGES_BEFORE_SWITCH:
        assert live(target) == f"releases/{first.name}"
        assert (target / "current" / "index.html").read_text(encoding="utf-8") == INDEX_V1
    else:
        assert live(target) != f"releases/{first.name}"
        assert (target / "current" / "index.html").read_text(encoding="utf-8") == INDEX_V2
    assert verify(str(target)) == []
    # The lock died with the process; the next publish cleans what was left and goes live.
    again = publish(str(target), v2, keep=1)
    assert live(target) == f"releases/{again.name}" and verify(str(target)) == []
    leftovers = [p.name for p in target.iterdir() if p.name.startswith(".gongkai-current.")]
    leftovers += [p.name for p in (target / "releases").iterdir() if p.name.endswith(".partial")]
    assert leftovers == []


def big_site(root: Path, commit: str) -> Path:
    pages = {f"data/{n:03d}.bin": os.urandom(64 * 1024) for n in range(48)}
    pages["index.html"] = INDEX_V2
    return make_site(root, pages, commit=commit)


def slow_publish(target: Path, site: Path) -> subprocess.Popen:
    """Starts a publish in its own process group, throttled so that it is caught mid-upload."""
    code = "import sys; from gongkai.publish.releases import publish; publish(sys.argv[1], sys.argv[2])"
    env = {**child_env(), "GONGKAI_RSYNC": "--bwlimit=150"}
    return subprocess.Popen([sys.executable, "-c", code, str(target), str(site)], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_upload(target: Path, proc: subprocess.Popen, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        partials = list((target / "releases").glob("*.partial")) if (target / "releases").exists() else []
        if partials and any(p.is_file() for p in partials[0].rglob("*")):
            return
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.05)
    pytest.fail("the upload never started")


def test_publish_killed_mid_rsync_leaves_current_unchanged(tmp_path):
    target = tmp_path / "www"
    first = publish(str(target), make_site(tmp_path / "v1", commit="1111111"))
    proc = slow_publish(target, big_site(tmp_path / "v2", "2222222"))
    try:
        wait_for_upload(target, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert live(target) == f"releases/{first.name}"
    assert verify(str(target)) == []
    assert list((target / "releases").glob("*.partial"))  # the half upload is there, but not live
    again = publish(str(target), tmp_path / "v2")
    assert live(target) == f"releases/{again.name}" and verify(str(target)) == []
    assert not list((target / "releases").glob("*.partial"))


def test_two_publishes_cannot_interleave(tmp_path):
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "v1", commit="1111111"))
    proc = slow_publish(target, big_site(tmp_path / "v2", "2222222"))
    try:
        wait_for_upload(target, proc)
        before = live(target)
        with pytest.raises(LockBusy) as caught:
            publish(str(target), make_site(tmp_path / "v3", commit="3333333"))
        assert f"进程 {proc.pid}" in str(caught.value) and "正在被另一个发布或回滚使用" in str(caught.value)
        with pytest.raises(LockBusy):
            rollback(str(target))
        assert live(target) == before
        # flock(1) on the server side sees the same lock (that is what the SSH target uses).
        held = subprocess.run(["flock", "-n", str(target / ".gongkai.lock"), "true"])
        assert held.returncode != 0
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    publish(str(target), tmp_path / "v3")
    assert verify(str(target)) == []


# ----------------------------------------------------------------------------- packages


def test_package_is_reproducible_and_verifiable(tmp_path):
    site = make_site(tmp_path / "s")
    one = package(site, tmp_path / "one.tar.gz")
    os.utime(site / "index.html", (1, 1))
    os.chmod(site / "catalog.csv", 0o600)
    two = package(site, tmp_path / "two.tar.gz")
    assert one.read_bytes() == two.read_bytes()
    with tarfile.open(one) as tar:
        names = tar.getnames()
        assert "manifest.json" in names and "xxgk/gkml/通知公告/附件.pdf" in names
        assert all(m.uid == 0 and m.mode in (0o644, 0o755) for m in tar.getmembers())
    assert verify_archive(one) == []

    zipped = package(site, tmp_path / "site.zip")
    assert zipped.read_bytes() == package(site, tmp_path / "again.zip").read_bytes()
    assert verify_archive(zipped) == []

    # Rewrite one member: verify --archive names it.
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(one) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "index.html":
                data = "被篡改".encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
        evil = tarfile.TarInfo("../evil.sh")
        dst.addfile(evil, io.BytesIO(b""))
    found = {m.path: m for m in verify_archive(tampered)}
    assert found["index.html"].kind == CHANGED and found["../evil.sh"].actual == "unsafe"
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(PublishError, match="不是完整的"):
        verify_archive(tmp_path / "junk.tar.gz")
    with pytest.raises(PublishError, match="不是严格模式构建"):
        package(make_site(tmp_path / "loose", strict=False), tmp_path / "loose.tar.gz")


def test_a_package_unpacked_into_a_document_root_verifies(tmp_path):
    archive = package(make_site(tmp_path / "s"), tmp_path / "site.tar.gz")
    docroot = tmp_path / "docroot"
    docroot.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(docroot, filter="data")
    assert verify(str(docroot)) == []
    (docroot / "index.html").write_text("改", encoding="utf-8")
    assert [m.path for m in verify(str(docroot))] == ["index.html"]


# ----------------------------------------------------------------------------- Content-Security-Policy


def test_inline_script_hashes_cover_executable_inline_scripts_only(tmp_path):
    site = tmp_path / "s"
    site.mkdir()
    (site / "index.html").write_text(
        '<script>var a=1</script><script src="x.js"></script><script id="__config" type="application/json">{}</script>'
        "<SCRIPT type='module'>import './m.js'</SCRIPT><script>\r\nvar b\r\n</script>",
        encoding="utf-8",
    )
    import base64
    import hashlib

    def h(text: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert inline_script_hashes(site) == sorted([h("var a=1"), h("import './m.js'"), h("\nvar b\n")])
    policy = content_security_policy(inline_script_hashes(site))
    assert f"'{h('var a=1')}'" in policy and "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    texts = csp_config_texts(policy)
    assert texts["csp-nginx.conf"].strip().endswith(f'add_header Content-Security-Policy "{policy}" always;')
    assert f'Header always set Content-Security-Policy "{policy}"' in texts["csp-apache.conf"]


def test_publish_writes_csp_snippets_that_keep_older_releases_working(tmp_path):
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "v1"))
    first = (target / "csp.txt").read_text(encoding="utf-8")
    v2 = make_site(tmp_path / "v2", {"index.html": INDEX_V2}, commit="2222222")
    r2 = publish(str(target), v2)
    assert r2.csp_changed
    second = (target / "csp.txt").read_text(encoding="utf-8")
    for h in inline_script_hashes(tmp_path / "v1") + inline_script_hashes(v2):
        assert h in second
    assert first != second
    assert not publish(str(target), v2).csp_changed


# ----------------------------------------------------------------------------- command line


def test_cli_prints_chinese_and_returns_exit_codes(tmp_path, capsys, monkeypatch):
    target = tmp_path / "www"
    site = make_site(tmp_path / "s")
    assert main(["publish", str(target), "--site", str(site), "--keep", "3", "--init"]) == 0
    out = capsys.readouterr().out
    assert "已发布版本" in out and "逐一核对" in out

    assert main(["verify", str(target)]) == 0
    assert "核对通过" in capsys.readouterr().out

    (target / "current" / "index.html").write_text("改", encoding="utf-8")
    assert main(["verify", str(target)]) == 1
    out = capsys.readouterr().out
    assert "核对不通过" in out and "index.html: 内容与清单不符" in out

    assert main(["publish", str(target), "--site", str(site), "--keep", "0"]) == 2
    assert "错误:--keep 必须是不小于 1 的整数" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)  # no mkdocs.yml here: without --site the strict build fails first
    assert main(["publish", str(target)]) == 1
    assert "严格构建失败,未发布任何内容" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "nowhere")]) == 1
    assert main(["rollback", str(target)]) == 1
    err = capsys.readouterr().err
    assert "回滚失败" in err and "Traceback" not in err

    out_path = tmp_path / "pkg.tar.gz"
    assert main(["package", "--site", str(site), "-o", str(out_path)]) == 0
    out = capsys.readouterr().out
    assert "已生成" in out and "Content-Security-Policy" in out and sha256_file(out_path) in out
    assert main(["verify", "--archive", str(out_path)]) == 0
    capsys.readouterr()
    assert main(["package", "--site", str(site), "-o", "/proc/no/such/dir/site.tar.gz"]) == 1
    err = capsys.readouterr().err
    assert "打包失败" in err and "Traceback" not in err
    assert issubclass(PublishError, GongkaiError)


def test_docs_show_the_deploy_files_verbatim():
    repo = Path(__file__).resolve().parent.parent
    docs = (repo / "docs" / "publish.md").read_text(encoding="utf-8")
    for name in ("nginx.conf", "apache.conf", "gongkai-verify.service", "gongkai-verify.timer", "gongkai-watch.service"):
        assert (repo / "deploy" / name).read_text(encoding="utf-8") in docs, f"docs/publish.md is out of date with deploy/{name}"
