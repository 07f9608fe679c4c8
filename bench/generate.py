"""Generates a realistic gongkai portal of N items, deterministic for a seed, with valid signatures.

    python bench/generate.py --items 10000 [--seed 7] [--out bench/out/portal-10000]

Writes OUT/ with mkdocs.yml (eight units), reviewers.yml (ed25519 keys derived from the seed;
private keys in OUT/keys/, outside content/), content/{unit}/{year}/*.md (every category, all four
公开属性: ~80% 主动公开, some 部分公开 with 【不公开】 spans, 依申请公开, 不予公开, some 待审 and a few
定时发布; Chinese bodies of 300-2000 characters from a phrase bank; attachments on some items;
one annual report per unit and year), signed for every required stage.

Signing 4 x N statements with `ssh-keygen -Y sign` would take hours at 50,000 items, so the SSHSIG
blobs are built in-process with `cryptography` (PROTOCOL.sshsig: namespace gongkai-review, sha512),
and a sample is then verified with the real `ssh-keygen -Y verify` to prove they are genuine.

It also writes OUT/plain/: the same published pages (title + published body, redacted, no
front-matter reviews) as a plain MkDocs + Material site with Material's search (lang: zh), kept
out of the nav, the baseline bench/run.py compares against, and OUT/plain/zensical.yml, which
builds the same site with Zensical (into OUT/plain/site-zensical/).

Nothing here imports gongkai: the digest and the signatures follow SPEC §5 independently, so a
build that accepts them is also a check of the engine against the spec.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

REPO = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = "1"
NAMESPACE = "gongkai-review"
STAGES = ("初审", "复审", "终审", "保密审查")
TODAY = date(2026, 6, 30)  # the build date bench/run.py passes as GONGKAI_TODAY
FIRST_YEAR, LAST_YEAR = 2021, 2026
BASIS_PARTIAL = ("条例第十五条 个人隐私", "条例第十五条 商业秘密", "条例第十六条 内部事务信息")
BASIS_ON_DEMAND = ("条例第十六条 过程性信息", "条例第十五条 第三方合法权益", "条例第十六条 行政执法案卷")
BASIS_WITHHELD = ("条例第十四条 危及公共安全", "条例第十六条 内部事务信息", "条例第十五条 商业秘密")

UNITS = [
    ("xzf", "示范县人民政府办公室", "示范县人民路1号县政府大楼三楼"),
    ("fgj", "示范县发展和改革局", "示范县建设大道88号"),
    ("jyj", "示范县教育局", "示范县文化路12号"),
    ("czj", "示范县财政局", "示范县财富路6号"),
    ("wjw", "示范县卫生健康委员会", "示范县健康路20号"),
    ("zjj", "示范县住房和城乡建设局", "示范县城建路3号"),
    ("rsj", "示范县人力资源和社会保障局", "示范县民生路15号"),
    ("scj", "示范县市场监督管理局", "示范县市场路9号"),
]
SHORT = {"xzf": "示府办", "fgj": "示发改", "jyj": "示教", "czj": "示财", "wjw": "示卫健", "zjj": "示建", "rsj": "示人社", "scj": "示市监"}

# (category, weight, genres, topic)
CATEGORIES = [
    ("机构职能", 2, ("公告",), "综合政务"),
    ("规章", 1, ("令",), "综合政务"),
    ("规范性文件", 8, ("通知", "办法", "意见"), "综合政务"),
    ("其他文件", 8, ("通知", "批复", "函"), "综合政务"),
    ("规划信息", 3, ("规划", "方案"), "国民经济管理"),
    ("统计信息", 4, ("公报", "分析"), "统计"),
    ("行政许可", 6, ("公示", "决定"), "市场监管"),
    ("行政处罚", 6, ("决定书", "公示"), "市场监管"),
    ("行政强制", 2, ("决定", "公告"), "市场监管"),
    ("财政信息", 6, ("公开", "报告"), "财政"),
    ("行政事业性收费", 2, ("目录", "公示"), "财政"),
    ("政府采购", 6, ("公告", "意向"), "财政"),
    ("重大建设项目", 4, ("公示", "公告"), "城乡建设"),
    ("民生保障", 7, ("通知", "公示"), "民政、扶贫、救灾"),
    ("应急管理", 3, ("预案", "通知"), "公共安全"),
    ("监督检查", 4, ("通报", "结果"), "市场监管"),
    ("人事信息", 3, ("公告", "公示"), "人事"),
    ("政策解读", 4, ("解读",), "综合政务"),
    ("通知公告", 10, ("通知", "公告"), "综合政务"),
    ("工作动态", 12, ("信息",), "综合政务"),
    ("其他", 2, ("公告",), "综合政务"),
]
REPORT_CATEGORY = "年度报告"

SUBJECTS = [
    "城乡居民临时救助", "防汛抗旱应急", "春季农业生产", "农村人居环境整治", "城区老旧小区改造", "义务教育招生入学",
    "学前教育普惠发展", "医疗保障待遇", "基层医疗卫生服务", "公共卫生应急", "食品安全监督抽检", "特种设备安全检查",
    "安全生产大检查", "森林防火", "道路交通安全", "生态环境保护督察整改", "大气污染防治", "河湖长制",
    "高标准农田建设", "乡村振兴衔接资金", "产业园区基础设施", "重点项目建设", "营商环境优化", "政务服务“一网通办”",
    "“放管服”改革", "行政审批事项清单", "涉企收费清单", "政府采购意向", "部门预算", "部门决算", "财政专项资金",
    "城乡最低生活保障", "特困人员救助供养", "残疾人两项补贴", "就业创业补贴", "职业技能提升培训", "农民工工资支付",
    "城乡居民养老保险", "住房公积金", "保障性住房分配", "城市管理综合执法", "物业服务管理", "燃气安全专项整治",
    "消防安全", "防灾减灾", "文明城市创建", "全民健身设施", "公共文化服务", "历史文化街区保护", "旅游市场秩序",
    "价格监测", "粮食安全", "耕地保护", "土地征收", "国有土地使用权出让", "不动产登记", "农村集体经济组织",
    "政务公开工作要点", "政府信息公开指南", "人大代表建议办理", "政协提案办理", "公务员招录", "事业单位公开招聘",
    "教师招聘", "干部任免", "校外培训机构治理", "课后服务", "学生资助", "疫苗接种", "家庭医生签约服务",
    "市场主体年报", "广告监测", "药品安全", "计量器具检定", "知识产权保护", "节能审查", "固定资产投资项目备案",
]
PLACES = ["城关镇", "东山乡", "西河镇", "南湖乡", "北岭镇", "清水乡", "石桥镇", "白沙乡", "新田镇", "龙口乡", "县经济开发区", "高新技术产业园"]
SENTENCES = [
    "为深入贯彻落实党中央、国务院和省委、省政府关于{s}工作的决策部署，进一步提升工作质量和水平，结合本县实际，制定本{g}。",
    "各乡镇人民政府、县直各有关单位要充分认识{s}工作的重要意义，切实加强组织领导，明确责任分工，确保各项任务落到实处。",
    "{p}结合辖区实际，建立了部门联动、上下协同的工作机制，{s}工作取得阶段性成效。",
    "截至{y}年{m}月底，全县累计完成{s}相关项目{n}个，完成投资{k}万元，惠及群众{q}人次。",
    "县直有关部门要按照职责分工，加强业务指导和监督检查，及时研究解决工作中遇到的困难和问题。",
    "对工作推进不力、群众反映强烈的单位，将予以通报批评，并纳入年度综合考核。",
    "坚持以人民为中心的发展思想，聚焦群众急难愁盼问题，持续推动{s}工作提质增效。",
    "申请人可通过县政务服务中心窗口或者网上办事大厅提交申请材料，承诺办理时限为{d}个工作日。",
    "本{g}自印发之日起施行。此前有关规定与本{g}不一致的，以本{g}为准。",
    "{p}共排查各类隐患{n}处，已整改到位{r}处，其余隐患均已落实整改责任和整改时限。",
    "县财政安排专项资金{k}万元，用于支持{s}，资金使用情况按规定向社会公开，接受社会监督。",
    "各单位要严格落实政府信息公开有关规定，及时、准确公开{s}相关信息，主动回应社会关切。",
    "通过召开座谈会、入户走访等方式，广泛听取群众和企业的意见建议，共收集意见建议{n}条，已全部研究办理。",
    "下一步，我们将继续加大工作力度，健全长效机制，推动{s}工作常态化、规范化、制度化。",
    "{y}年，全县{s}工作总体平稳，主要指标完成情况好于预期，同比增长{c}个百分点。",
    "各有关单位要于{m}月{dd}日前将工作开展情况书面报送县{o}，逾期未报送的视为未开展相关工作。",
    "严格执行“首问负责、一次性告知、限时办结”等制度，进一步压缩办理时限，减少办事环节和申请材料。",
    "加强宣传引导，充分利用政府网站、政务新媒体等平台，广泛宣传{s}的政策措施和典型经验，营造良好氛围。",
    "本次检查共抽取样品{n}批次，检验合格{r}批次，对不合格产品已依法责令相关经营主体下架处理。",
    "建立健全工作台账，实行清单化管理、项目化推进，做到底数清、情况明、责任实。",
    "依据《中华人民共和国行政处罚法》第二十八条的规定，责令当事人改正违法行为，并处罚款{k}元。",
    "经审查，该项目符合有关规划和产业政策要求，同意予以备案，项目总投资{k}万元，建设期{v}年。",
    "对符合条件的困难群众，做到应保尽保、应救尽救，确保其基本生活不受影响。",
    "强化部门协作和信息共享，推动数据多跑路、群众少跑腿，不断提升群众满意度和获得感。",
    "会议强调，要压实属地管理责任、部门监管责任和企业主体责任，坚决守住不发生重大安全事故的底线。",
    "本项目采购预算{k}万元，采购方式为公开招标，预计采购时间为{y}年{m}月。",
    "参加考试人员须携带本人有效证件和准考证，按规定时间进入考场，迟到{d}分钟以上的不得入场。",
    "如对本公示内容有异议，请于公示期内以书面形式向县{o}反映，联系电话0799-{t}。",
]
OFFICES = ["政府办公室", "发展和改革局", "财政局", "政务服务管理办公室", "应急管理局", "市场监督管理局", "教育局"]
HEADINGS = ["一、总体要求", "二、主要任务", "三、工作措施", "四、保障措施", "五、工作要求", "一、基本情况", "二、主要做法", "三、存在问题", "四、下一步工作"]
WITHHELD = [
    "涉及的当事人姓名、住址及家庭成员情况等个人信息",
    "第三方企业的报价明细和技术方案",
    "内部讨论过程中的不同意见及其记录",
    "举报人的身份信息和联系方式",
]
REPORT_BODY = """\
本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》要求编制。报告所列数据统计期限为{year}年1月1日至{year}年12月31日。本报告电子版可在示范县人民政府信息公开专栏查阅，如对本报告有疑问，请与{name}联系。

## 一、总体情况

{year}年，{name}认真贯彻落实《条例》和上级关于政务公开工作的部署要求，坚持以公开为常态、不公开为例外，持续推进决策、执行、管理、服务、结果公开。

（一）主动公开。围绕群众关注事项，及时在信息公开专栏发布政府信息，规范性文件均按规定在印发后二十个工作日内公开，并同步发布政策解读。

（二）依申请公开。依法依规办理政府信息公开申请，所有申请均在法定期限内答复。

（三）政府信息管理。严格落实公开属性源头认定和“三审”、保密审查制度，所有信息经初审、复审、终审和保密审查后方可发布。

（四）平台建设。信息公开专栏按照目录系统实施指引统一栏目设置，专栏内容全部支持全文检索。

（五）监督保障。将政务公开工作纳入年度综合考核，定期组织政务公开业务培训。

## 五、存在的主要问题及改进情况

本机关政府信息公开工作取得一定成效，但仍存在政策解读形式较为单一、公开属性认定把握不够精准等不足。下一步将丰富政策解读形式，加强业务培训，持续优化信息公开专栏。

## 六、其他需要报告的事项

本机关本年度未收取信息处理费。人大代表建议和政协提案办理结果均已按规定公开。
"""


# --------------------------------------------------------------------------- SSHSIG


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


@dataclass
class Signer:
    id: str
    name: str
    units: list[str]
    roles: list[str]
    key: ed25519.Ed25519PrivateKey = field(repr=False)

    @property
    def public_blob(self) -> bytes:
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return _string(b"ssh-ed25519") + _string(raw)

    @property
    def public_line(self) -> str:
        return "ssh-ed25519 " + base64.b64encode(self.public_blob).decode() + f" {self.id}@bench"

    def sign(self, message: bytes) -> str:
        """Returns the armored SSHSIG signature `ssh-keygen -Y sign -n gongkai-review` would write."""
        signed = b"SSHSIG" + _string(NAMESPACE.encode()) + _string(b"") + _string(b"sha512") + _string(hashlib.sha512(message).digest())
        signature = _string(b"ssh-ed25519") + _string(self.key.sign(signed))
        blob = b"SSHSIG" + struct.pack(">I", 1) + _string(self.public_blob) + _string(NAMESPACE.encode()) + _string(b"") + _string(b"sha512") + _string(signature)
        text = base64.b64encode(blob).decode()
        lines = [text[i : i + 70] for i in range(0, len(text), 70)]
        return "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"


def make_signers(seed: int) -> dict[str, Signer]:
    """Returns the reviewers: 初审/复审/终审 per unit, two 保密审查 for every unit; keys derived from the seed."""

    def key(rid: str) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"gongkai-bench:{seed}:{rid}".encode()).digest())

    signers = {}
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
    given = "明芳伟静强敏军丽磊洋勇艳杰娟涛霞斌平刚桂"
    n = 0
    for unit, _, _ in UNITS:
        for stage, prefix in (("初审", "chu"), ("复审", "fu"), ("终审", "zhong")):
            rid = f"{prefix}-{unit}"
            signers[rid] = Signer(rid, surnames[n % len(surnames)] + given[(n * 7) % len(given)], [unit], [stage], key(rid))
            n += 1
    for rid in ("bm-a", "bm-b"):
        signers[rid] = Signer(rid, surnames[n % len(surnames)] + given[(n * 7) % len(given)], ["*"], ["保密审查"], key(rid))
        n += 1
    return signers


def stage_signer(unit: str, stage: str, index: int) -> str:
    return {"初审": f"chu-{unit}", "复审": f"fu-{unit}", "终审": f"zhong-{unit}"}.get(stage) or ("bm-a" if index % 2 else "bm-b")


# --------------------------------------------------------------------------- items


def canonical(meta: dict) -> bytes:
    unsigned = {k: v for k, v in meta.items() if k != "reviews"}
    return json.dumps(unsigned, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def attachment_file(ext: str, title: str, text: str) -> bytes:
    """Returns a real .pdf, .xlsx or .docx holding the title and some text (the gate reads their
    text), the same bytes for the same input (fixed document dates)."""
    import io
    from datetime import datetime

    lines = [line for line in text.split("\n") if line.strip()][:12]
    out = io.BytesIO()
    if ext == "docx":
        import docx

        document = docx.Document()
        document.core_properties.created = document.core_properties.modified = datetime(2020, 1, 1)
        document.add_heading(title, level=1)
        table = document.add_table(rows=len(lines), cols=2)
        for row, line in zip(table.rows, lines):
            row.cells[0].text, row.cells[1].text = str(len(line)), line
        document.save(out)
    elif ext == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.properties.created = book.properties.modified = datetime(2020, 1, 1)
        sheet = book.active
        sheet.append([title])
        for number, line in enumerate(lines, 1):
            sheet.append([number, line])
        book.save(out)
    else:
        return _pdf([f"Attachment {len(lines)} lines, {len(text)} characters"] * max(1, len(lines) // 4))
    return _fixed_zip(out.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """Returns the zip package with every member dated 1980-01-01 (python-docx and openpyxl date
    them now)."""
    import io
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl dates "modified" at save time
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2020-01-01T00:00:00Z", content)
            target.writestr(member, content)
    return out.getvalue()


def _pdf(pages: list[str]) -> bytes:
    """Returns a minimal valid PDF with one line of text a page (an xref with true offsets)."""
    count = len(pages)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{' '.join(f'{3 + 2 * i} 0 R' for i in range(count))}] /Count {count} >>".encode()]
    font = 3 + 2 * count
    for i, text in enumerate(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode())
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode() + b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def digest(meta: dict, body: str, attachments: list[tuple[str, str]]) -> str:
    h = hashlib.sha256(b"gongkai-item-v1\n")
    h.update(canonical(meta))
    h.update(b"\n")
    h.update(body.encode("utf-8"))
    for path, sha in attachments:
        h.update(f"\n{path}\0{sha}".encode("utf-8"))
    return "sha256:" + h.hexdigest()


def statement(index_no: str, stage: str, reviewer: str, at: str, item_digest: str) -> bytes:
    return f"gongkai-review-v1\nitem: {index_no}\nstage: {stage}\nreviewer: {reviewer}\nat: {at}\ndigest: {item_digest}\n".encode("utf-8")


def _fill(rng: random.Random, template: str, subject: str, genre: str, year: int) -> str:
    n = rng.randint(3, 300)
    return template.format(
        s=subject, g=genre, p=rng.choice(PLACES), y=year, m=rng.randint(1, 12), dd=rng.randint(1, 28), n=n,
        r=max(1, n - rng.randint(0, n // 3 + 1)), k=rng.randint(5, 9800), q=rng.randint(100, 9999), d=rng.choice((3, 5, 7, 10, 15, 20)),
        v=rng.choice((2, 3, 5)), c=round(rng.uniform(0.5, 12.5), 1), o=rng.choice(OFFICES), t=rng.randint(1000000, 8999999),
    )


def make_body(rng: random.Random, subject: str, genre: str, year: int, partial: bool, category: str) -> tuple[str, str]:
    """Returns (body as written, body as published) of 300-2000 characters."""
    target = int(rng.triangular(300, 2000, 700))
    blocks: list[str] = []
    published: list[str] = []
    size = 0
    heading = 0
    spans = rng.randint(1, 2) if partial else 0
    while size < target:
        if size and rng.random() < 0.18 and heading < len(HEADINGS):
            text = f"## {HEADINGS[heading]}"
            heading += 1
            blocks.append(text)
            published.append(text)
            continue
        if category == "统计信息" and rng.random() < 0.12:
            rows = "\n".join(f"| {rng.choice(PLACES)} | {rng.randint(10, 9000)} | {round(rng.uniform(-5, 15), 1)}% |" for _ in range(rng.randint(3, 8)))
            text = "| 地区 | 数量 | 同比增长 |\n| --- | ---: | ---: |\n" + rows
            blocks.append(text)
            published.append(text)
            size += len(text) // 3
            continue
        if rng.random() < 0.12:
            text = "\n".join(f"{i}. {_fill(rng, rng.choice(SENTENCES), subject, genre, year)}" for i in range(1, rng.randint(3, 5)))
            blocks.append(text)
            published.append(text)
            size += len(text)
            continue
        text = "".join(_fill(rng, rng.choice(SENTENCES), subject, genre, year) for _ in range(rng.randint(2, 5)))
        if spans and rng.random() < 0.35:
            withheld = rng.choice(WITHHELD)
            blocks.append(text + f"【不公开】{withheld}：{rng.choice(PLACES)}某某，详见内部材料。【/不公开】")
            published.append(text + "\x00")  # the notice is the engine's business; the baseline drops the span
            spans -= 1
        else:
            blocks.append(text)
            published.append(text)
        size += len(text)
    if spans:  # the span the random walk did not place
        withheld = rng.choice(WITHHELD)
        blocks.append(f"【不公开】{withheld}。【/不公开】")
    body = "\n\n".join(blocks) + "\n"
    plain = "\n\n".join(p.replace("\x00", "【此处内容依法不予公开】") for p in published) + "\n"
    return body, plain


def _yaml_scalar(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def front_matter(meta: dict, reviews: list[dict]) -> str:
    lines = ["---"]
    for key, value in meta.items():
        lines.append(f"{key}: {_yaml_scalar(value)}")
    if reviews:
        lines.append("reviews:")
        for review in reviews:
            lines.append(f"  - stage: {_yaml_scalar(review['stage'])}")
            lines.append(f"    by: {_yaml_scalar(review['by'])}")
            lines.append(f"    at: {_yaml_scalar(review['at'])}")
            lines.append("    sig: |")
            lines.extend(f"      {line}" for line in review["sig"].strip().split("\n"))
    lines.append("---")
    return "\n".join(lines) + "\n"


@dataclass
class Planned:
    rel: str
    meta: dict
    body: str
    plain: str
    attachments: list[tuple[str, bytes]]
    stages: tuple[str, ...]  # the stages to sign
    publishes: bool  # gets a page on the gongkai site


def plan_items(count: int, seed: int) -> list[Planned]:
    rng = random.Random(seed)
    units = [u[0] for u in UNITS]
    names = {u[0]: u[1] for u in UNITS}
    code = {u[0]: f"1136999{n + 1}MB000000{n + 1}{'ABCDEFGH'[n]}" for n, u in enumerate(UNITS)}
    weights = [c[1] for c in CATEGORIES]
    seq: dict[tuple[str, int], int] = {}
    planned: list[Planned] = []
    published_policies: dict[str, list[str]] = {u: [] for u in units}

    def next_index(unit: str, year: int) -> str:
        seq[(unit, year)] = seq.get((unit, year), 0) + 1
        return f"{code[unit]}/{year}-{seq[(unit, year)]:05d}"

    # One annual report per unit and year (published in January of the next year).
    for year in range(FIRST_YEAR, LAST_YEAR):
        for unit in units:
            new = rng.randint(5, 60)
            meta = {
                "title": f"{names[unit]}{year}年政府信息公开工作年度报告",
                "index_no": next_index(unit, year + 1),
                "unit": unit,
                "attribute": "主动公开",
                "category": REPORT_CATEGORY,
                "topic": "综合政务",
                "genre": "报告",
                "created": f"{year + 1}-01-15",
                "published": f"{year + 1}-01-20",
                "report": {
                    "year": year, "licensing": rng.randint(0, 900), "punishment": rng.randint(0, 80), "enforcement": rng.randint(0, 9), "fees": 0,
                    "requests": {"自然人": {"新收": new, "上年结转": 0, "予以公开": new - 2, "部分公开": 1, "无法提供": {"本机关不掌握相关政府信息": 1}, "结转下年度": 0}},
                    "appeals": {"行政复议": {"结果维持": 1, "结果纠正": 0, "其他结果": 0, "尚未审结": 0}},
                },
            }
            body = REPORT_BODY.format(year=year, name=names[unit])
            planned.append(Planned(f"{unit}/{year + 1}/gknb-{year}.md", meta, body, body, [], STAGES, True))
    total_days = (date(LAST_YEAR, 6, 25) - date(FIRST_YEAR, 1, 4)).days
    while len(planned) < count:
        n = len(planned)
        unit = units[min(int(rng.paretovariate(1.6)) - 1, len(units) - 1)] if rng.random() < 0.5 else rng.choice(units)
        category, _, genres, topic = rng.choices(CATEGORIES, weights)[0]
        last = n >= count - 3  # the newest items: 工作动态 is a column that must move every two weeks
        if last:
            category, _, genres, topic = next(c for c in CATEGORIES if c[0] == "工作动态")
        created = date(FIRST_YEAR, 1, 4) + timedelta(days=int(total_days * n / count) + rng.randint(0, 6))
        if category == "政策解读" and not published_policies[unit]:
            category, _, genres, topic = next(c for c in CATEGORIES if c[0] == "通知公告")
        created = min(created, TODAY - timedelta(days=1))
        year = created.year
        published = min(created + timedelta(days=rng.randint(1, 7)), TODAY)
        genre = rng.choice(genres)
        subject = rng.choice(SUBJECTS)
        roll = rng.random()
        attribute = "主动公开"
        if roll < 0.08:
            attribute = "部分公开"
        elif roll < 0.14:
            attribute = "依申请公开"
        elif roll < 0.18:
            attribute = "不予公开"
        title = {
            "政策解读": f"《示范县{subject}实施办法》政策解读",
            "工作动态": f"{rng.choice(PLACES)}扎实推进{subject}工作",
            "统计信息": f"{year}年{created.month}月示范县{subject}统计数据",
            "行政处罚": f"{names[unit]}行政处罚决定书（{SHORT[unit]}罚〔{year}〕{n % 97 + 1}号）",
            "政府采购": f"{names[unit]}{year}年{subject}项目政府采购意向公开",
            "人事信息": f"{names[unit]}{year}年{subject}公告",
        }.get(category, f"{names[unit]}关于{subject}的{genre}")
        meta: dict = {
            "title": title,
            "index_no": next_index(unit, year),
            "unit": unit,
            "attribute": attribute,
            "category": category,
            "topic": topic,
            "genre": genre,
        }
        if category in ("规范性文件", "规章", "其他文件", "通知公告", "行政处罚") and rng.random() < 0.8:
            meta["doc_no"] = f"{SHORT[unit]}{'发' if category != '行政处罚' else '罚'}〔{year}〕{seq[(unit, year)]}号"
        meta["created"] = created.isoformat()
        if attribute in ("主动公开", "部分公开"):
            meta["published"] = published.isoformat()
        if attribute == "部分公开":
            meta["basis"] = rng.choice(BASIS_PARTIAL)
        elif attribute == "依申请公开":
            meta["basis"] = rng.choice(BASIS_ON_DEMAND)
        elif attribute == "不予公开":
            meta["basis"] = rng.choice(BASIS_WITHHELD)
        if rng.random() < 0.03:
            meta["co_units"] = [rng.choice([u for u in units if u != unit])]
        # A 规范性文件 is valid for five years at most: older ones, and a few others, are repealed.
        if category in ("规范性文件", "规章") and attribute in ("主动公开", "部分公开") and (published < TODAY - timedelta(days=4 * 365) or (year < 2025 and rng.random() < 0.2)):
            meta["validity"] = rng.choice(("失效", "废止"))
            meta["repealed_on"] = min(published + timedelta(days=rng.randint(200, 4 * 365)), TODAY - timedelta(days=1)).isoformat()
        if category == "政策解读" and published_policies[unit]:
            meta["interprets"] = rng.choice(published_policies[unit][-20:])
        if category in ("工作动态", "通知公告") and rng.random() < 0.05:
            meta["source"] = {"name": "江西省人民政府", "url": f"https://www.jiangxi.gov.cn/art/{year}/{created.month}/{created.day}/art_{n % 900 + 100}.html", "date": created.isoformat()}
        if attribute == "依申请公开" or rng.random() < 0.3:
            meta["summary"] = f"{title}，涉及{subject}的有关事项。"
        body, plain = make_body(rng, subject, genre, year, attribute == "部分公开", category)
        attachments = []
        if rng.random() < 0.06:
            for k in range(1, rng.randint(1, 2) + 1):
                ext = rng.choice(("pdf", "xlsx", "docx"))
                data = attachment_file(ext, title, make_body(random.Random(f"{seed}:{n}:{k}"), subject, genre, year, False, category)[1])
                attachments.append((f"files/{created:%m%d}-{n}-附件{k}.{ext}", data))
            meta["attachments"] = [path for path, _ in attachments]
        stages: tuple[str, ...] = STAGES
        recent = TODAY - timedelta(days=20) < created <= TODAY and not last
        if recent and rng.random() < 0.5:
            stages = STAGES[: rng.randint(0, 2)]  # 待审 (only recent ones: older would be 超期未公开)
        if attribute in ("主动公开", "部分公开") and recent and len(stages) == 4 and rng.random() < 0.3:
            meta["published"] = (TODAY + timedelta(days=rng.randint(1, 4))).isoformat()  # 定时发布
        publishes = attribute in ("主动公开", "部分公开") and len(stages) == 4 and meta["published"] <= TODAY.isoformat()
        if publishes and category in ("规范性文件", "规章") and "validity" not in meta:
            published_policies[unit].append(meta["index_no"])
        slug = {c[0]: f"c{i:02d}" for i, c in enumerate(CATEGORIES)}[category]
        planned.append(Planned(f"{unit}/{year}/{slug}-{n:06d}.md", meta, body, plain, attachments, stages, publishes))
    return planned


def write_index_counter(out: Path, planned: list[Planned]) -> None:
    """Writes content/.gongkai-index.yml as `gongkai new` keeps it: the highest 索引号 per code and year."""
    highest: dict[str, int] = {}
    unit_of: dict[str, str] = {}
    for item in planned:
        prefix, _, number = item.meta["index_no"].rpartition("-")
        highest[prefix] = max(highest.get(prefix, 0), int(number))
        unit_of[prefix] = item.meta["unit"]
    names = {u[0]: u[1] for u in UNITS}
    lines = ["# gongkai 索引号计数器:由 gongkai new 维护,请与新建的信息文件一起提交。"]
    lines += [f"{prefix}: {highest[prefix]}  # {names[unit_of[prefix]]}({unit_of[prefix]})" for prefix in sorted(highest)]
    (out / "content" / ".gongkai-index.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- writing


def write_settings(out: Path) -> None:
    units = []
    for n, (uid, name, address) in enumerate(UNITS):
        units.append({
            "id": uid, "name": name, "code": f"1136999{n + 1}MB000000{n + 1}{'ABCDEFGH'[n]}", "address": address,
            "hours": "工作日 上午8:30-12:00 下午14:30-17:30", "phone": f"0799-{n + 2}234567", "fax": f"0799-{n + 2}234568",
            "email": f"{uid}@example.gov.cn", "postcode": "339900",
        })
    config = {
        "site_name": "示范县人民政府信息公开",
        "site_url": "https://www.example.gov.cn/",
        "site_description": "gongkai 性能基准门户(内容由 bench/generate.py 生成,均为虚构)",
        "docs_dir": "content",
        "site_dir": "site",
        "use_directory_urls": True,
        "theme": {"name": "material", "custom_dir": "theme", "language": "zh", "font": False},
        "hooks": ["hooks/gongkai_hooks.py"],
        "markdown_extensions": ["tables", "attr_list", "admonition", {"toc": {"permalink": False}}],
        "extra": {"gongkai": {
            "agency": "示范县人民政府办公室", "site_code": "3609990002", "icp": "示ICP备00000002号",
            "units": units,
            "review_policy": {"default": list(STAGES), "categories": {"工作动态": ["初审", "终审", "保密审查"]}},
        }},
    }
    # JSON is YAML: no quoting surprises.
    (out / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def refresh_engine_files(out: Path) -> None:
    """Copies the repository's hooks/ and theme/ into the portal (they change while the engine does)."""
    for name in ("hooks", "theme"):
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        if (REPO / name).exists():
            shutil.copytree(REPO / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.mkdir()


def write_reviewers(out: Path, signers: dict[str, Signer]) -> None:
    entries = [{"id": s.id, "name": s.name, "units": s.units, "roles": s.roles, "keys": [s.public_line]} for s in signers.values()]
    (out / "reviewers.yml").write_text("# bench/generate.py: keys derived from the seed, private keys in keys/\n" + json.dumps({"reviewers": entries}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    keys = out / "keys"
    keys.mkdir(exist_ok=True)
    for signer in signers.values():
        path = keys / signer.id
        path.write_bytes(signer.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
        path.chmod(0o600)
        (keys / f"{signer.id}.pub").write_text(signer.public_line + "\n")


def sign_and_write(out: Path, planned: list[Planned], signers: dict[str, Signer]) -> list[tuple[str, bytes, str]]:
    """Writes every item, signed; returns a sample of (reviewer, statement, signature) for ssh-keygen."""
    content = out / "content"
    sample: list[tuple[str, bytes, str]] = []
    for n, item in enumerate(planned):
        path = content / item.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shas = []
        for rel, data in item.attachments:
            target = path.parent / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            shas.append((rel, hashlib.sha256(data).hexdigest()))
        item_digest = digest(item.meta, item.body, shas)
        reviews = []
        day = item.meta["created"]
        for k, stage in enumerate(item.stages):
            by = stage_signer(item.meta["unit"], stage, n)
            at = f"{day}T{9 + k}:30:00+08:00" if 9 + k >= 10 else f"{day}T0{9 + k}:30:00+08:00"
            message = statement(item.meta["index_no"], stage, by, at, item_digest)
            sig = signers[by].sign(message)
            reviews.append({"stage": stage, "by": by, "at": at, "sig": sig})
            step = max(1, len(planned) // 16)
            if n % step == 0 and k == (n // step) % len(STAGES):
                sample.append((by, message, sig))
        path.write_text(front_matter(item.meta, reviews) + item.body, encoding="utf-8")
    return sample


def verify_with_ssh_keygen(sample: list[tuple[str, bytes, str]], signers: dict[str, Signer]) -> int:
    """Returns how many sample signatures stock `ssh-keygen -Y verify` accepted (all, or it raises)."""
    if not shutil.which("ssh-keygen"):
        print("ssh-keygen not found: sample signatures not cross-checked", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="gongkai-bench-") as tmp:
        allowed = Path(tmp) / "allowed_signers"
        allowed.write_text("".join(f'{s.id} namespaces="{NAMESPACE}" {s.public_line}\n' for s in signers.values()))
        for n, (by, message, sig) in enumerate(sample):
            sig_path = Path(tmp) / f"{n}.sig"
            sig_path.write_text(sig)
            result = subprocess.run(
                ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", by, "-n", NAMESPACE, "-s", str(sig_path)],
                input=message, capture_output=True,
            )
            if result.returncode != 0:
                raise SystemExit(f"ssh-keygen rejected a generated signature of {by}: {result.stderr.decode(errors='replace')}")
    return len(sample)


def write_plain(out: Path, planned: list[Planned]) -> int:
    """Writes OUT/plain/: the published pages as plain MkDocs + Material + search (lang: zh), out of the nav."""
    plain = out / "plain"
    if plain.exists():
        shutil.rmtree(plain)
    docs = plain / "docs"
    docs.mkdir(parents=True)
    config = {
        "site_name": "示范县人民政府信息公开(对照:MkDocs + Material + 内置搜索)",
        "site_url": "https://www.example.gov.cn/",
        "docs_dir": "docs",
        "site_dir": "site",
        "use_directory_urls": True,
        "theme": {"name": "material", "language": "zh", "font": False},
        "plugins": [{"search": {"lang": "zh"}}],
        "markdown_extensions": ["tables", "attr_list", "admonition", {"toc": {"permalink": False}}],
        "nav": [{"首页": "index.md"}],
        "not_in_nav": "/*/**\n",
    }
    (plain / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    write_zensical_config(plain)
    (docs / "index.md").write_text("# 示范县人民政府信息公开\n\n对照站点。\n", encoding="utf-8")
    pages = 0
    for item in planned:
        if not item.publishes:
            continue
        path = docs / item.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        title = item.meta["title"]
        path.write_text(f"---\ntitle: {_yaml_scalar(title)}\n---\n\n# {title}\n\n{item.plain}", encoding="utf-8")
        pages += 1
    return pages


ZENSICAL_CONFIG = "zensical.yml"  # in OUT/plain/, beside mkdocs.yml
ZENSICAL_SITE = "site-zensical"  # its own site folder: plain MkDocs' site/ stays as MkDocs built it


def write_zensical_config(plain: Path) -> None:
    """Writes OUT/plain/zensical.yml: Zensical reads MkDocs' format, so the baseline's own mkdocs.yml
    is inherited as it is (same pages, nav, theme, search) and only the site folder differs. Zensical
    keeps its cache in .cache/ beside the file it reads."""
    text = f"# bench/generate.py: the baseline's mkdocs.yml, built by Zensical\nINHERIT: mkdocs.yml\nsite_dir: {ZENSICAL_SITE}\n"
    path = plain / ZENSICAL_CONFIG
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate(count: int, seed: int, out: Path) -> dict:
    started = time.monotonic()
    if out.exists():
        shutil.rmtree(out)
    (out / "content").mkdir(parents=True)
    signers = make_signers(seed)
    write_settings(out)
    refresh_engine_files(out)
    write_reviewers(out, signers)
    planned = plan_items(count, seed)
    sample = sign_and_write(out, planned, signers)
    write_index_counter(out, planned)
    checked = verify_with_ssh_keygen(sample, signers)
    plain_pages = write_plain(out, planned)
    attributes: dict[str, int] = {}
    for item in planned:
        attributes[item.meta["attribute"]] = attributes.get(item.meta["attribute"], 0) + 1
    info = {
        "generator": GENERATOR_VERSION,
        "items": len(planned),
        "seed": seed,
        "today": TODAY.isoformat(),
        "attributes": attributes,
        "pending": sum(1 for i in planned if len(i.stages) < 4),
        "signatures": sum(len(i.stages) for i in planned),
        "ssh_keygen_verified": checked,
        "attachments": sum(len(i.attachments) for i in planned),
        "publishes": plain_pages,
        "seconds": round(time.monotonic() - started, 1),
        "edit_candidate": next(i.rel for i in reversed(planned) if i.publishes and not i.attachments and i.meta["category"] != REPORT_CATEGORY),
    }
    (out / "bench.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return info


def resign(out: Path, rel: str, seed: int, marker: str) -> None:
    """Rewrites one item with ``marker`` added to its body and fresh valid signatures (an edit that
    went through review), atomically, as a `git pull` of the signed edit would."""
    import yaml

    path = out / "content" / rel
    text = path.read_text(encoding="utf-8")
    end = text.index("\n---\n", 3)  # the closing fence (a signature's last line ends in "-----")
    front, body = text[4 : end + 1], text[end + 5 :]
    meta = yaml.load(front, Loader=yaml.BaseLoader)  # only for the reviews: stage, by, at
    # The other values exactly as written: the generator writes each on one line, as JSON.
    stored = {}
    for line in front.splitlines():
        if line.startswith((" ", "reviews:")):
            continue
        key, _, value = line.partition(": ")
        stored[key] = json.loads(value)
    body = body.rstrip("\n") + f"\n\n{marker}\n"
    signers = make_signers(seed)
    item_digest = digest(stored, body, [])
    reviews = []
    for review in meta.get("reviews") or []:
        message = statement(stored["index_no"], review["stage"], review["by"], review["at"], item_digest)
        reviews.append({**review, "sig": signers[review["by"]].sign(message)})
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(front_matter(stored, reviews) + body, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="default: bench/out/portal-N")
    args = parser.parse_args(argv)
    out = args.out or REPO / "bench" / "out" / f"portal-{args.items}"
    info = generate(args.items, args.seed, out)
    print(json.dumps(info, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
