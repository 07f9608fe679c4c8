"""Publishing through a real OpenSSH server started on 127.0.0.1 with throwaway keys.

The server runs this machine's /usr/sbin/sshd on a free port; the client is the system ssh with
the test's own key and known_hosts (-F /dev/null: the user's ssh config plays no part). rsync,
sha256sum, flock and mv -T run "on the server" exactly as they would on a government web server.
"""
from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import gongkai
from gongkai.cli import main
from gongkai.publish.manifest import PublishError, read_manifest, sha256_file
from gongkai.publish.releases import Release, publish, rollback
from gongkai.publish.targets import LockBusy, open_target
from gongkai.publish.verify import verify, verify_target
from gongkai.trust import sshsig
from tests.kit import free_port, require  # noqa: E402
from tests.test_publish import make_site  # noqa: E402
from tests.test_publish_journal import bad_rollback_fix, journal_lines  # noqa: E402
from tests.test_publish_signature import forge  # noqa: E402

PACKAGE_ROOT = str(Path(gongkai.__file__).resolve().parent.parent)
pytestmark = pytest.mark.sshd






@dataclass
class Sshd:
    port: int
    options: list[str]  # ssh arguments that reach this server with the test's key
    user: str

    def target(self, path: Path) -> str:
        return f"{self.user}@127.0.0.1:{path}"


SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {d}/host_key
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
MaxStartups 50:30:100
MaxSessions 50
LogLevel ERROR
"""


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    sshd_bin = require("sshd", "/usr/sbin/sshd")
    require("ssh")
    require("rsync")
    require("ssh-keygen")
    d = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"gongkai-test-{name}", "-f", str(d / name)], check=True)
    shutil.copy(d / "user_key.pub", d / "authorized_keys")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    user = getpass.getuser()
    for attempt in range(3):
        port = free_port()
        (d / "sshd_config").write_text(SSHD_CONFIG.format(port=port, d=d), encoding="utf-8")
        host_pub = (d / "host_key.pub").read_text().split()
        (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
        options = [
            "-F", "/dev/null", "-p", str(port), "-i", str(d / "user_key"),
            "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={d / 'known_hosts'}",
            "-o", "StrictHostKeyChecking=yes", "-o", "LogLevel=ERROR",
        ]
        log = open(d / "sshd.log", "ab")
        proc = subprocess.Popen([sshd_bin, "-D", "-e", "-f", str(d / "sshd_config")], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        ready = False
        while time.monotonic() < deadline and proc.poll() is None:
            probe = subprocess.run(["ssh", *options, "-o", "BatchMode=yes", "-o", "ConnectTimeout=2", f"{user}@127.0.0.1", "true"],
                                   capture_output=True)
            if probe.returncode == 0:
                ready = True
                break
            time.sleep(0.1)
        if ready:
            break
        proc.kill()
        proc.wait()
        log.close()
        if attempt == 2:
            pytest.fail("sshd did not come up:\n" + (d / "sshd.log").read_text(errors="replace"))
    try:
        yield Sshd(port, options, user)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()




V1 = {
    "index.html": "<script>var v=1</script><h1>首页 v1</h1>",
    "xxgk/gkml/index.html": "<p>目录</p>",
    "附件/关于 春季防火的通知.pdf": b"%PDF-1.4 \x00\x01",  # a space and Chinese in a file name
    "odd\\name.txt": "backslash",  # sha256sum escapes this one in its output
}


def live(path: Path) -> str:
    return os.readlink(path / "current")


def test_publish_over_ssh_tamper_verify_rollback(sshd, tmp_path):
    www = tmp_path / "www"
    target = sshd.target(www)
    r1 = publish(target, make_site(tmp_path / "v1", V1, commit="1111111aa"), ssh_options=sshd.options)
    assert r1.target == target and live(www) == f"releases/{r1.name}"
    assert verify(target, ssh_options=sshd.options) == []

    v2 = make_site(tmp_path / "v2", {**V1, "index.html": "<script>var v=2</script><h1>首页 v2</h1>"}, commit="2222222bb")
    r2 = publish(target, v2, ssh_options=sshd.options)
    assert r2.previous == r1.name and live(www) == f"releases/{r2.name}"
    assert (www / "current" / "index.html").read_text(encoding="utf-8").endswith("首页 v2</h1>")
    # Unchanged files are copied on the server, never hard-linked: no release shares a file with another.
    assert (www / "releases" / r1.name / "xxgk/gkml/index.html").stat().st_ino != (www / "current/xxgk/gkml/index.html").stat().st_ino
    assert all(p.stat().st_nlink == 1 for p in www.rglob("*") if p.is_file() and not p.is_symlink())
    assert {"csp.txt", "csp-nginx.conf", "csp-apache.conf"} <= set(os.listdir(www))

    (www / "current" / "index.html").write_text("<h1>被篡改</h1>", encoding="utf-8")
    (www / "current" / "附件" / "木马.php").write_text("<?php ?>")
    mismatches = verify(target, ssh_options=sshd.options)
    assert [(m.path, m.kind) for m in mismatches] == [("index.html", "changed"), ("附件/木马.php", "extra")]
    assert mismatches[0].expected == read_manifest(v2).files["index.html"]
    assert mismatches[0].actual == sha256_file(www / "current" / "index.html")

    back = rollback(target, ssh_options=sshd.options)
    assert back.name == r1.name and live(www) == f"releases/{r1.name}"
    assert verify(target, ssh_options=sshd.options) == []


def test_bad_rollback_fix_rollback_over_ssh_follows_the_journal(sshd, tmp_path):
    """Bad B → rollback to A → fix C (the publishing clock a day behind) → rollback lands on A; --keep 2 kept A."""
    www = tmp_path / "www"
    target = sshd.target(www)
    a, b, c = bad_rollback_fix(target, tmp_path, ssh_options=sshd.options)
    assert sorted(os.listdir(www / "releases")) == sorted([a, c])
    back = rollback(target, ssh_options=sshd.options)
    assert back.name == a and live(www) == f"releases/{a}"
    assert verify(target, ssh_options=sshd.options) == []
    assert journal_lines(www)[-2:] == [f"8 remove {b}", f"9 rollback {a} from {c}"]


def test_verify_repair_over_ssh_restores_the_exact_bytes(sshd, tmp_path, capsys):
    www = tmp_path / "www"
    target = sshd.target(www)
    site = make_site(tmp_path / "v1", V1, commit="1111111aa")
    publish(target, site, ssh_options=sshd.options)
    tamper(www / "current")
    assert main(["verify", target, "--repair", "--ssh-option", " ".join(sshd.options)]) == 1
    out = capsys.readouterr().out
    assert "已全部恢复为发布时的内容" in out and "附件/木马.php: 多出的文件已移除" in out
    for rel in V1:
        assert sha256_file(www / "current" / rel) == read_manifest(site).files[rel]
    assert verify(target, ssh_options=sshd.options) == []
    [stamp] = list((www / "quarantine").iterdir())
    assert (stamp / "index.html").read_text(encoding="utf-8") == "<h1>被篡改</h1>"


def test_a_forged_release_over_ssh_fails_the_signature_check(sshd, tmp_path, keys):
    pinned = [sshsig.key_blob(keys["bm"].with_name("bm.pub").read_text())]
    www = tmp_path / "www"
    target = sshd.target(www)
    publish(target, make_site(tmp_path / "v1", V1, commit="1111111aa"), key=keys["bm"], publishers=pinned, ssh_options=sshd.options)
    assert verify_target(target, publishers=pinned, ssh_options=sshd.options).signed_by == sshsig.fingerprint(pinned[0])
    forge(www, tmp_path)
    with pytest.raises(PublishError, match="没有发布签名"):
        verify_target(target, publishers=pinned, ssh_options=sshd.options)


def tamper(current: Path) -> None:
    (current / "index.html").unlink()
    (current / "index.html").write_text("<h1>被篡改</h1>", encoding="utf-8")
    (current / "附件" / "木马.php").write_text("<?php ?>")
    (current / "odd\\name.txt").unlink()


def test_cli_over_ssh_takes_ssh_options_from_the_environment(sshd, tmp_path, capsys, monkeypatch):
    www = tmp_path / "www"
    target = sshd.target(www)
    monkeypatch.setenv("GONGKAI_SSH", " ".join(sshd.options))
    site = make_site(tmp_path / "s", V1, commit="3333333")
    assert main(["publish", target, "--site", str(site), "--keep", "2", "--init"]) == 0
    assert "已发布版本" in capsys.readouterr().out
    assert main(["verify", target]) == 0
    assert "核对通过" in capsys.readouterr().out
    os.remove(www / "current" / "xxgk" / "gkml" / "index.html")
    assert main(["verify", target]) == 1
    assert "xxgk/gkml/index.html: 文件缺失" in capsys.readouterr().out


def test_unreachable_server_is_a_clear_error(sshd, tmp_path):
    closed = free_port()
    options = [*sshd.options, "-o", "ConnectTimeout=3"]
    options[options.index(str(sshd.port))] = str(closed)
    with pytest.raises(PublishError, match="无法通过 SSH 连接") as caught:
        publish(sshd.target(tmp_path / "www"), make_site(tmp_path / "s", V1, commit="4444444"), ssh_options=options)
    assert "--ssh-option" in str(caught.value)


def child_env(sshd: Sshd, **extra) -> dict:
    env = {**os.environ, "GONGKAI_SSH": " ".join(sshd.options), **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env


def publish_retrying(target: str, site: Path, options: list[str], timeout: float = 10) -> Release:
    """Publishes once sshd has noticed the killed client's connection is gone and the lock is free."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return publish(target, site, ssh_options=options)
        except LockBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_publish_killed_mid_upload_over_ssh_leaves_current_verifying(sshd, tmp_path):
    www = tmp_path / "www"
    target = sshd.target(www)
    first = publish(target, make_site(tmp_path / "v1", V1, commit="1111111"), ssh_options=sshd.options)
    big = {**V1, "index.html": "<h1>v2</h1>", **{f"data/{n:03d}.bin": os.urandom(64 * 1024) for n in range(48)}}
    v2 = make_site(tmp_path / "v2", big, commit="2222222")
    code = "import sys; from gongkai.publish.releases import publish; publish(sys.argv[1], sys.argv[2])"
    proc = subprocess.Popen([sys.executable, "-c", code, target, str(v2)], env=child_env(sshd, GONGKAI_RSYNC="--bwlimit=150"),
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while not any(p.is_file() for d in www.glob("releases/*.partial") for p in d.rglob("*")):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the upload never started"
            time.sleep(0.05)
        # Mid-upload, the live site is the old one and it verifies.
        assert live(www) == f"releases/{first.name}"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the publishing machine loses power: ssh, rsync and python die
        proc.wait()
    assert live(www) == f"releases/{first.name}"
    assert verify(target, ssh_options=sshd.options) == []
    again = publish_retrying(target, v2, sshd.options)
    assert live(www) == f"releases/{again.name}"
    assert verify(target, ssh_options=sshd.options) == []
    assert not list(www.glob("releases/*.partial"))


def test_remote_lock_keeps_a_second_publish_out(sshd, tmp_path):
    www = tmp_path / "www"
    target = sshd.target(www)
    site = make_site(tmp_path / "s", V1, commit="5555555")
    remote = open_target(target, sshd.options)
    with remote.lock("测试占用"):
        with pytest.raises(LockBusy, match="测试占用"):
            publish(target, site, ssh_options=sshd.options)
        with pytest.raises(LockBusy):
            publish(str(www), site)  # a local publish on the server itself uses the same flock
        assert not (www / "current").exists()
    release = publish(target, site, ssh_options=sshd.options)
    assert live(www) == f"releases/{release.name}"
