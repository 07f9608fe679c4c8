"""动态调整 records (standards/adjustments/*.md): validated against the rule's reasons, filed (备案)
with a real SSH signature by a reviewer holding the 备案 role, and shown on the 目录动态调整 page
only when filed: nothing of Git, no tool names."""
from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import date

import pytest

from gongkai import portal as P
from gongkai.errors import GongkaiError
from gongkai.law import standard as law
from gongkai.site import generated
from gongkai.site.standard import adjustment_problems
from gongkai.trust.signing import sign_item, sign_record
from tests.kit import REPO, copy_sample, require

RECORD = """\
---
id: "2026-009"
kind: {kind}
target: 事项
unit: fgj
name: {name}
reason: {reason}
basis: 《中华人民共和国价格法》
date: "2026-05-06"
---
说明。
"""


@pytest.fixture
def sample(tmp_path):
    """A copy of the sample portal, its demo keys usable by ssh-keygen."""
    require("ssh-keygen")
    root = tmp_path / "portal"
    config = copy_sample(root)
    shutil.copytree(REPO / "demo" / "keys", root / "keys")
    for key in (root / "keys").iterdir():
        if not key.name.endswith(".pub"):
            key.chmod(0o600)
    return root, config


def evaluate(root, config):
    return P.evaluate(root, root / "content", config["extra"]["gongkai"], config["site_name"], today=date(2026, 6, 30))


def page_of(portal, root, config) -> str:
    site = generated.Site(config["site_name"], "https://www.example.gov.cn/", True, root / "mkdocs.yml")
    return next(f.content for f in generated.generated_files(portal, site) if f.src == "xxgk/gkml/dtzt/index.md")


def test_the_sample_has_one_filed_record_of_each_kind_on_the_page(sample):
    root, config = sample
    portal = evaluate(root, config)
    assert portal.adjustment_problems == []
    assert sorted(f.record.get("kind") for f in portal.adjustments) == ["取消", "变更", "增加"]
    assert all(f.review.stage == "备案" and f.review.by == "wumin" for f in portal.adjustments)
    page = page_of(portal, root, config)
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', page)
    assert [r[0] for r in rows] == ["2026-002", "2026-001", "2025-001"]  # newest first
    assert "法律法规颁布、修订、废止，导致原事项依据失效的" in rows[0][1] and "粮食收购资格许可" in rows[0][1]
    text = re.sub(r"<[^>]+>", "", page.split("---", 2)[2])  # what a reader reads
    for word in ("Git", "git", "提交", "commit", "gongkai", "sign", "wumin", "SSH"):
        assert word not in text, word
    assert adjustment_problems(portal.adjustments, portal.standards, ()) == []


def test_a_reason_outside_the_rule_is_an_error_with_its_line(sample):
    root, config = sample
    (root / "standards/adjustments/2026-009.md").write_text(RECORD.format(kind="增加", name="价格听证", reason="领导要求"), encoding="utf-8")
    (root / "standards/adjustments/2026-010.md").write_text(RECORD.format(kind="撤销", name="价格听证", reason="领导要求").replace('"2026-009"', '"2026-010"'), encoding="utf-8")
    portal = evaluate(root, config)
    messages = {str(p) for p in portal.problems if p.path.startswith("standards/adjustments/")}
    assert any(m.startswith("standards/adjustments/2026-009.md:7: 增加的理由应为《政务公开标准目录动态调整制度》第四条所列情形之一:“法律法规颁布、修订需增加事项的”") for m in messages), messages
    assert any(m.startswith("standards/adjustments/2026-010.md:3: 调整方式 '撤销' 无效:只能是 增加、变更、取消") for m in messages), messages
    assert all(p.is_error for p in portal.problems if p.path.startswith("standards/adjustments/"))


def test_only_a_filed_untampered_record_is_shown(sample):
    root, config = sample
    path = root / "standards/adjustments/2026-009.md"
    path.write_text(RECORD.format(kind="增加", name="价格听证", reason="法律法规颁布、修订需增加事项的"), encoding="utf-8")
    portal = evaluate(root, config)
    assert [p.message[:6] for p in portal.adjustment_problems if p.path.endswith("2026-009.md")] == ["尚未备案:须"]
    assert "价格听证" not in page_of(portal, root, config)
    # a reviewer without the 备案 role may not file it
    with pytest.raises(GongkaiError, match="无权备案"):
        sign_record(root, portal.settings, portal.trust, path, "zhouqiang", root / "keys/zhouqiang", at="2026-05-06T15:00:00+08:00")
    # gongkai sign --stage 备案 files it
    sign_item(root, root / "content", portal.settings, portal.trust, path, "备案", "wumin", root / "keys/wumin", at="2026-05-06T15:00:00+08:00")
    portal = evaluate(root, config)
    assert not [p for p in portal.adjustment_problems if p.path.endswith("2026-009.md")]
    assert "价格听证" in page_of(portal, root, config)
    # the catalog does not have the 事项 the record adds: check says so
    found = adjustment_problems(portal.adjustments, portal.standards, ())
    assert [p.path for p in found] == ["standards/adjustments/2026-009.md"] and "standards/fgj.yml中没有它" in found[0].message
    # a record changed after its 备案 is no longer filed
    path.write_text(path.read_text(encoding="utf-8").replace("《中华人民共和国价格法》", "《中华人民共和国价格法》第二十三条"), encoding="utf-8")
    portal = evaluate(root, config)
    assert any(p.message.startswith("备案签名无效") for p in portal.adjustment_problems if p.path.endswith("2026-009.md"))
    assert "价格听证" not in page_of(portal, root, config)


def test_a_cancelled_matter_still_in_the_catalog_is_warned(sample):
    root, config = sample
    catalog = (root / "standards/fgj.yml").read_text(encoding="utf-8")
    extra = catalog.split("matters:\n", 1)[1].split("  - domain:")[1]
    (root / "standards/fgj.yml").write_text(catalog + "  - domain:" + extra.replace("年度重大建设项目计划", "粮食收购资格许可"), encoding="utf-8")
    portal = evaluate(root, config)
    found = adjustment_problems(portal.adjustments, portal.standards, ())
    assert [p.path for p in found] == ["standards/adjustments/2026-002.md"]
    assert "已备案取消事项 粮食收购资格许可,但它仍在standards/fgj.yml中" in found[0].message


def test_the_reasons_are_the_rules_words():
    assert law.KINDS["增加"][1][:2] == ("法律法规颁布、修订需增加事项的", "政务公开有关工作职能调整需增加事项的")
    assert law.KINDS["取消"][1][0] == "法律法规颁布、修订、废止，导致原事项依据失效的"
    assert len(law.KINDS["变更"][1]) == 3 and len(law.KINDS["取消"][1]) == 4


def test_a_record_carrying_an_id_number_is_not_published(sample):
    from gongkai.portal import screened_records

    root, config = sample
    portal = evaluate(root, config)
    entry = portal.adjustments[0]
    leaky = dataclasses.replace(entry, record=dataclasses.replace(entry.record, meta={**entry.record.meta, "basis": "申请人 360999198603140467 的来信"}))
    kept, problems = screened_records([leaky, *portal.adjustments[1:]], [])
    assert kept == portal.adjustments[1:]
    assert [p.path for p in problems] == [entry.record.path] and "居民身份证号码" in problems[0].message


def test_gongkai_sign_files_a_record_from_the_command_line(sample):
    import subprocess
    import sys

    root, _ = sample
    for folder in ("theme", "hooks"):  # mkdocs.yml names them
        shutil.copytree(REPO / folder, root / folder)
    path = root / "standards/adjustments/2026-009.md"
    path.write_text(RECORD.format(kind="增加", name="价格听证", reason="法律法规颁布、修订需增加事项的"), encoding="utf-8")

    def sign(who: str):
        return subprocess.run([sys.executable, "-m", "gongkai.cli", "sign", "standards/adjustments/2026-009.md", "--stage", "备案", "--as", who, "--key", f"keys/{who}"],
                              cwd=root, capture_output=True, text=True)

    refused = sign("zhouqiang")
    assert refused.returncode == 1 and "无权备案" in refused.stderr
    done = sign("wumin")
    assert done.returncode == 0, done.stderr
    assert "已签署:standards/adjustments/2026-009.md 备案 wumin" in done.stdout
    assert 'stage: "备案"' in path.read_text(encoding="utf-8")
