"""The signed manifest: real ssh-keygen signatures, keys pinned in reviewers.yml (role 发布) or --signers.

A release an attacker assembles with a matching manifest (even with the journal and the pristine
store made to agree) fails verify without --manifest; the CSP files nginx and Apache include are checked.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from gongkai.cli import main
from gongkai.publish import pristine
from gongkai.publish.csp import csp_config_texts
from gongkai.publish.manifest import PublishError, UsageError, write_manifest
from gongkai.publish.releases import publish
from gongkai.publish.signature import read_signers
from gongkai.publish.verify import repair_target, verify_target
from gongkai.trust import sshsig
from tests.test_publish import make_site


@pytest.fixture
def publisher(keys) -> tuple[Path, list[bytes]]:
    key = keys["bm"]
    return key, [sshsig.key_blob(key.with_name("bm.pub").read_text())]


def test_a_signed_publish_verifies_and_an_unsigned_or_foreign_one_is_refused(tmp_path, keys, publisher):
    key, pinned = publisher
    target = tmp_path / "www"
    site = make_site(tmp_path / "s")
    with pytest.raises(UsageError, match="必须用 --key"):
        publish(str(target), site, publishers=pinned)
    with pytest.raises(PublishError, match="不是登记的发布密钥"):
        publish(str(target), site, key=keys["stranger"], publishers=pinned)
    assert not (target / "current").exists()
    publish(str(target), site, key=key, publishers=pinned)
    result = verify_target(str(target), publishers=pinned)
    assert result.mismatches == [] and result.problems == []
    assert result.signed_by == sshsig.fingerprint(pinned[0])


def forge(target: Path, tmp_path: Path) -> None:
    """An attacker with write access builds a release whose manifest matches it, and makes the journal
    and the pristine store agree: everything but a signature by the pinned key."""
    site = make_site(tmp_path / "evil", {"index.html": "<h1>伪造的首页</h1>"}, commit="deadbee")
    name = "20991231T000000Z-deadbee"
    shutil.copytree(site, target / "releases" / name)
    digest = hashlib.sha256((site / "manifest.json").read_bytes()).hexdigest()
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            obj = target / pristine.object_rel(hashlib.sha256(data).hexdigest())
            obj.parent.mkdir(parents=True, exist_ok=True)
            obj.write_bytes(data)
    with open(target / "journal", "a", encoding="utf-8") as f:
        f.write(f"90 upload {name} manifest {digest}\n91 publish {name} from -\n")
    os.symlink(f"releases/{name}", target / "forged")
    os.replace(target / "forged", target / "current")


def test_a_forged_release_fails_verify_without_manifest(tmp_path, publisher):
    key, pinned = publisher
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "s"), key=key, publishers=pinned)
    forge(target, tmp_path)
    # Without pinned keys the forgery is self-consistent…
    assert verify_target(str(target)).mismatches == []
    # …with them it is refused, and never restored from.
    with pytest.raises(PublishError, match="没有发布签名"):
        verify_target(str(target), publishers=pinned)
    with pytest.raises(PublishError, match="没有发布签名"):
        repair_target(str(target), publishers=pinned)


def test_the_csp_files_are_checked(tmp_path, publisher):
    key, pinned = publisher
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "s"), key=key, publishers=pinned)
    nginx = target / "csp-nginx.conf"
    original = nginx.read_text(encoding="utf-8")
    nginx.write_text(original.replace("script-src 'self'", "script-src 'self' https://evil.example"), encoding="utf-8")
    problems = verify_target(str(target), publishers=pinned).problems
    assert len(problems) == 1 and "csp-nginx.conf: 与 csp.txt 中的策略不一致" in problems[0]
    nginx.write_text(original, encoding="utf-8")
    # Weakening the policy itself, consistently in all three files, breaks its signature.
    policy = (target / "csp.txt").read_text(encoding="utf-8").strip() + "; script-src-elem *"
    for name, text in csp_config_texts(policy).items():
        (target / name).write_text(text, encoding="utf-8")
    problems = verify_target(str(target), publishers=pinned).problems
    assert len(problems) == 1 and "csp.txt 的发布签名无效" in problems[0]


def test_cli_pins_the_keys_of_reviewers_with_the_publish_role(portal, keys, tmp_path, capsys, monkeypatch):
    portal.write_reviewers(bm={"roles": ["保密审查", "发布"]})
    monkeypatch.chdir(portal.root)
    target = tmp_path / "www"
    site = make_site(tmp_path / "s")
    assert main(["publish", str(target), "--site", str(site)]) == 2
    assert "必须用 --key" in capsys.readouterr().err
    assert main(["publish", str(target), "--site", str(site), "--key", str(keys["bm"]), "--init"]) == 0
    capsys.readouterr()
    assert main(["verify", str(target)]) == 0
    assert "发布签名有效" in capsys.readouterr().out
    # A server without the repository pins the same key with --signers (an allowed_signers file works too).
    signers = tmp_path / "publishers"
    signers.write_text(f'bm namespaces="gongkai-manifest" {keys["bm"].with_name("bm.pub").read_text()}', encoding="utf-8")
    assert read_signers(signers) == [sshsig.key_blob(keys["bm"].with_name("bm.pub").read_text())]
    monkeypatch.chdir(tmp_path)
    forge(target, tmp_path)
    assert main(["verify", str(target), "--signers", str(signers)]) == 1
    assert "没有发布签名" in capsys.readouterr().err
    assert main(["verify", str(target)]) == 0  # no pinned key here: only the files are checked…
    assert "未核对发布签名" in capsys.readouterr().err  # …and it says so


def test_a_rewritten_manifest_with_its_signature_file_still_fails(tmp_path, publisher):
    key, pinned = publisher
    target = tmp_path / "www"
    publish(str(target), make_site(tmp_path / "s"), key=key, publishers=pinned)
    current = target / "current"
    (current / "index.html").unlink()
    (current / "index.html").write_text("<h1>被篡改</h1>", encoding="utf-8")
    (current / "manifest.json").unlink()
    write_manifest(current, commit="0123456789abcdef", built_at="2025-03-01T08:00:00+08:00", strict=True)
    result = verify_target(str(target), publishers=pinned)
    assert {m.path for m in result.mismatches} == {"index.html", "manifest.json"}


def test_pruning_removes_the_signatures_of_removed_releases(tmp_path, publisher):
    key, pinned = publisher
    target = tmp_path / "www"
    digests = []
    for n in range(3):
        site = make_site(tmp_path / f"s{n}", {"index.html": f"v{n}"}, commit=f"{n}abcdef")
        publish(str(target), site, key=key, publishers=pinned, keep=2)
        digests.append(hashlib.sha256((site / "manifest.json").read_bytes()).hexdigest())
    assert sorted(os.listdir(target / "signatures")) == sorted([f"{d}.sig" for d in digests[1:]] + ["csp.txt.sig"])
    assert verify_target(str(target), publishers=pinned).signed_by
