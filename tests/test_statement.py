"""`gongkai statement`: the auditor runs the printed ssh-keygen command, and OpenSSH alone decides."""
from __future__ import annotations

import os
import subprocess
import sys

REL = "xzf/2025/a.md"
GOOD = 'Good "gongkai-review" signature for'


def export(portal, stage: str, *more: str) -> subprocess.CompletedProcess:
    return portal.run("statement", f"content/{REL}", "--stage", stage, "-o", "审计", *more)


def run_printed(portal, command: str) -> subprocess.CompletedProcess:
    """Runs a printed command in the portal folder as an auditor would (the gongkai of this tree)."""
    assert command.startswith("gongkai allowed-signers > allowed_signers && ssh-keygen -Y verify "), command
    command = command.replace("gongkai ", f"{sys.executable} -m gongkai.cli ", 1)
    return subprocess.run(command, shell=True, cwd=portal.root, capture_output=True, text=True, env=dict(os.environ))


def test_printed_command_verifies_with_ssh_keygen_and_a_tampered_statement_fails(portal):
    portal.item(REL)
    portal.sign(REL)
    result = export(portal, "复审")
    assert result.returncode == 0, result.stderr
    [command] = result.stdout.splitlines()
    assert "-I fu -n gongkai-review -s 审计/a.复审.sig" in command.replace("'", "")
    statement = portal.root / "审计" / "a.复审.statement"
    text = statement.read_text(encoding="utf-8")
    assert text.startswith("gongkai-review-v1\nitem: 11369999MB0000001A/2025-00001\nstage: 复审\nreviewer: fu\nat: ")
    assert (portal.root / "审计" / "a.复审.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----")

    verified = run_printed(portal, command)
    assert verified.returncode == 0 and GOOD in verified.stdout + verified.stderr, verified.stdout + verified.stderr

    statement.write_text(text.replace("stage: 复审", "stage: 终审"), encoding="utf-8")
    refused = run_printed(portal, command)
    assert refused.returncode != 0 and GOOD not in refused.stdout + refused.stderr


def test_an_item_edited_after_signing_exports_a_statement_that_fails(portal):
    path = portal.item(REL)
    portal.sign(REL)
    path.write_text(path.read_text(encoding="utf-8").replace("正文。", "正文被改过。"), encoding="utf-8")
    result = export(portal, "初审")
    assert result.returncode == 0, result.stderr
    refused = run_printed(portal, result.stdout.strip())
    assert refused.returncode != 0 and GOOD not in refused.stdout + refused.stderr


def test_several_signatures_of_a_stage_give_one_pair_each(portal):
    portal.item(REL)
    portal.sign(REL, stages=["初审"])
    # gongkai sign replaces a stage's signature: a second one is written as an editor could by hand.
    portal.forge(REL, "初审", "multi", "multi")
    result = export(portal, "初审")
    assert result.returncode == 0, result.stderr
    commands = result.stdout.splitlines()
    assert len(commands) == 2
    assert sorted(p.name for p in (portal.root / "审计").iterdir()) == ["a.初审.chu.sig", "a.初审.chu.statement", "a.初审.multi.sig", "a.初审.multi.statement"]
    for command, who in zip(commands, ("chu", "multi")):
        assert f"-I {who} " in command
        verified = run_printed(portal, command)
        assert GOOD in verified.stdout + verified.stderr, verified.stderr


def test_a_stage_without_signature_is_a_clear_error(portal):
    portal.item(REL)
    portal.sign(REL, stages=["初审"])
    missing = export(portal, "终审")
    assert missing.returncode == 1
    assert f"content/{REL}:" in missing.stderr and "没有终审签名" in missing.stderr and "已有的签名:初审" in missing.stderr
    assert not (portal.root / "审计").exists()
    bad = export(portal, "终审核")
    assert bad.returncode == 2 and "审核环节" in bad.stderr
