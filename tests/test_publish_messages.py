"""What the publishing verbs say when something is off: Chinese, with the fix, and never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys

from gongkai.cli import main
from gongkai.publish.releases import publish
from gongkai.publish.targets import SshTarget, _rsync_error
from tests.test_publish import child_env, make_site


def test_a_mistyped_target_is_not_created_without_init(tmp_path, capsys):
    site = make_site(tmp_path / "s")
    typo = tmp_path / "srv" / "gongkia"
    assert main(["publish", str(typo), "--site", str(site)]) == 2
    err = capsys.readouterr().err
    assert "目录不存在" in err and "--init" in err and not typo.exists()
    existing = tmp_path / "srv"  # a folder that exists but was never published to: nothing is written into it
    existing.mkdir()
    assert main(["publish", str(existing), "--site", str(site)]) == 2
    assert "还没有用 gongkai 发布过" in capsys.readouterr().err and os.listdir(existing) == []
    assert main(["publish", str(typo), "--site", str(site), "--init"]) == 0
    capsys.readouterr()
    assert main(["publish", str(typo), "--site", str(site)]) == 0  # later publishes need no flag
    assert main(["rollback", str(existing)]) == 1
    assert "还没有用 gongkai 发布过" in capsys.readouterr().err


def test_a_missing_manifest_file_is_named(tmp_path, capsys):
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "s"))
    assert main(["verify", str(target), "--manifest", str(tmp_path / "manifest.json")]) == 2
    err = capsys.readouterr().err
    assert "--manifest 指定的文件不存在" in err and "构建机" in err and "Traceback" not in err


def test_a_current_pointing_outside_releases(tmp_path, capsys):
    target = tmp_path / "www"
    first = publish(str(target), make_site(tmp_path / "s")).name
    (target / "elsewhere").mkdir()
    os.unlink(target / "current")
    os.symlink("elsewhere", target / "current")
    assert main(["publish", str(target), "--site", str(make_site(tmp_path / "s2", commit="2222222"))]) == 1
    err = capsys.readouterr().err
    assert "current 指向 elsewhere,不在 releases/ 之下" in err and "mv current current.old" in err
    assert main(["verify", str(target)]) == 1
    assert "不在 releases/ 之下" in capsys.readouterr().err
    assert main(["rollback", str(target), "--to", first]) == 0  # --to points it back
    assert os.readlink(target / "current") == f"releases/{first}"


def test_a_closed_pipe_ends_quietly(tmp_path):
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "s"))
    for n in range(3000):
        (target / "current" / f"planted-{n}.html").write_text("x")
    code = "import sys; from gongkai.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", code, "verify", str(target)], cwd=tmp_path, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_dropped_connection_gets_its_own_hint():
    ssh = SshTarget("deploy@web01", "/srv/gongkai", [])
    dropped = ssh._error(255, b"client_loop: send disconnect: Broken pipe", "计算远程文件的 SHA-256")
    assert "SSH 连接在计算远程文件的 SHA-256时中断" in str(dropped) and "重新运行同一条命令" in str(dropped)
    refused = ssh._error(255, b"ssh: connect to host web01 port 22: Connection refused", "")
    assert "无法通过 SSH 连接" in str(refused) and "端口" in str(refused)
    upload = _rsync_error(subprocess.CompletedProcess([], 255, b"", b"rsync: connection unexpectedly closed (0 bytes received so far) [sender]"), "web01:/srv/gongkai")
    assert "SSH 连接中断" in str(upload) and "live 站点(current)未受影响" in str(upload)
    timeout = _rsync_error(subprocess.CompletedProcess([], 30, b"", b"rsync error: timeout in data send/receive (code 30)"), "web01:/srv/gongkai")
    assert "传输超时" in str(timeout)
