"""The 政务公开事项标准目录: reading standards/{unit}.yml or .csv with path:line problems, the 公开时限
check, and the generated pages."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from gongkai import portal as P
from gongkai.law import standard as law
from gongkai.model import Settings, Unit
from gongkai.read.standard import load_standards
from gongkai.site import generated
from gongkai.site.standard import standard_problems
from tests.kit import REPO, copy_sample

SETTINGS = Settings("示例县人民政府办公室", (Unit("xzf", "示例县人民政府办公室", "11369999MB0000001A"), Unit("fgj", "示例县发展和改革局", "11369999MB0000002B")))
MATTER = """\
  - domain: 价格
    first: 价格监测
    second: 重要民生商品价格监测信息
    content: 价格监测及分析
    basis: 《中华人民共和国价格法》第二十八条
    deadline: 每季度
    subject: 示例县发展和改革局
    channels: 政府网站
    audience: 全社会
    mode: 主动
    level: 县级
"""


def write(root: Path, name: str, text: str | bytes) -> None:
    folder = root / "standards"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def test_the_sample_portal_has_a_catalog_for_each_unit_in_yaml_and_csv():
    config = __import__("yaml").safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    from gongkai.settings import load_settings

    settings = load_settings(config["extra"]["gongkai"], config["site_name"])
    found = load_standards(REPO, settings)
    assert found.problems == ()
    assert {u.unit: u.path for u in found.units} == {"xzf": "standards/xzf.yml", "fgj": "standards/fgj.yml", "jyj": "standards/jyj.csv"}
    for unit in found.units:
        assert len(unit.matters) >= 5
        for matter in unit.matters:
            for column in law.COLUMNS:
                assert matter.get(column.key) or not column.required, (matter.name, column.key)
    admission = found.find("jyj", "义务教育招生入学方案")
    assert admission.get("deadline") == "每年5月底前" and admission.line == 2 and admission.path == "standards/jyj.csv"


def test_yaml_problems_name_the_file_and_line(tmp_path):
    write(tmp_path, "fgj.yml", "matters:\n" + MATTER + MATTER + "  - domain: 价格\n    first: 价格监测\n    second: 另一事项\n    mode: 主动公开\n    deadline: 看情况\n    colour: 红\n")
    write(tmp_path, "nobody.yml", "matters: []\n")
    found = load_standards(tmp_path, SETTINGS)
    messages = [str(p) for p in found.problems]
    assert "standards/nobody.yml:1: 文件名应为发布机构的 id" in messages[0] or any(m.startswith("standards/nobody.yml:1: 文件名应为发布机构的 id") for m in messages)
    assert any(m.startswith("standards/fgj.yml:13: 二级事项 重要民生商品价格监测信息 与第 2 行重复") for m in messages), messages
    assert any(m.startswith("standards/fgj.yml:29: 未知字段 colour") for m in messages), messages
    assert any(m.startswith("standards/fgj.yml:27: 公开方式应为 主动 或 依申请") for m in messages), messages
    assert any(m.startswith("standards/fgj.yml:24: 缺少公开内容(content)") for m in messages), messages
    assert len(found.matters("fgj")) == 1
    (tmp_path / "standards/nobody.yml").unlink()
    write(tmp_path, "fgj.yml", "matters:\n" + MATTER + "    category: 统计信",)
    (problem,) = load_standards(tmp_path, SETTINGS).problems
    assert str(problem) == "standards/fgj.yml:2: 事项 重要民生商品价格监测信息 的目录类别 统计信 不存在,是否应为 统计信息?"


def test_csv_from_excel_with_chinese_headers_in_gb18030(tmp_path):
    header = ",".join(c.label for c in law.COLUMNS if c.key != "category")
    row = "价格,价格监测,重要民生商品价格监测信息,价格监测及分析,《价格法》,每季度,示例县发展和改革局,政府网站,全社会,主动,县级"
    bad = "价格,价格监测,价格监测报告,内容,依据,随时,示例县发展和改革局,政府网站,全社会,主动,县级"
    write(tmp_path, "fgj.csv", (header + ",备注\r\n" + row + ",\r\n\r\n" + bad + ",\r\n").encode("gb18030"))
    found = load_standards(tmp_path, SETTINGS)
    assert [m.name for m in found.matters("fgj")] == ["重要民生商品价格监测信息"]
    messages = [str(p) for p in found.problems]
    assert messages[0].startswith("standards/fgj.csv:1: 表头中的 备注 不是标准目录的列")
    assert messages[1].startswith("standards/fgj.csv:4: 公开时限 '随时' 无法识别")
    write(tmp_path, "xzf.csv", header + "\n" + row + "\n")
    write(tmp_path, "xzf.yml", "matters:\n" + MATTER)
    assert any(str(p).startswith("standards/xzf.yml:1: xzf 的标准目录已在 standards/xzf.csv 中") for p in load_standards(tmp_path, SETTINGS).problems)


@pytest.mark.parametrize("text, months, days, month", [
    ("信息形成(变更)之日起20个工作日内", 0, 20, 0),
    ("作出决定之日起7个工作日内", 0, 7, 0),
    ("每季度", 3, 20, 0),
    ("每年", 12, 20, 0),
    ("每年5月底前", 12, 20, 5),
    ("每年三月底前", 12, 20, 3),
    ("每半年", 6, 20, 0),
    ("每月", 1, 20, 0),
])
def test_deadlines(text, months, days, month):
    assert law.parse_deadline(text) == law.Deadline(months, days, month)


def test_deadline_periods():
    quarterly = law.Deadline(3)
    # on 2026-06-30 the 1st quarter (due 20 working days after 03-31) is the latest one due
    assert quarterly.last_due_period(date(2026, 6, 30)) == (date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 29))
    assert law.Deadline(12, 20, 5).last_due_period(date(2026, 6, 30)) == (date(2026, 1, 1), date(2026, 12, 31), date(2026, 5, 31))
    assert law.Deadline(12, 20, 5).last_due_period(date(2026, 5, 30))[0] == date(2025, 1, 1)
    assert law.parse_deadline("随时") is None


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("standard") / "portal"
    config = copy_sample(root)
    portal = P.evaluate(root, root / "content", config["extra"]["gongkai"], config["site_name"], today=date(2026, 6, 30))
    site = generated.Site(config["site_name"], "https://www.example.gov.cn/", True, root / "mkdocs.yml")
    return portal, {f.src: f.content for f in generated.generated_files(portal, site)}


def test_overdue_matters_and_unknown_matters_are_warnings(sample):
    portal, _ = sample
    found = {(p.path, p.line): p for p in standard_problems(portal.standards, portal.decisions, date(2026, 6, 30))}
    assert all(not p.is_error for p in found.values())
    # the 1st quarter's price report is still waiting for its reviews: the 事项 is overdue
    price = found[("standards/fgj.yml", 41)]
    assert "重要民生商品价格监测信息" in price.message and "2026-01-01 至 2026-03-31" in price.message and "2026-04-29" in price.message
    # the year's plan was published in February 2026: not overdue; the 2026 admission plan in May
    assert not any("年度重大建设项目计划" in p.message for p in found.values())
    assert not any("义务教育招生入学方案" in p.message for p in found.values())
    # the event-driven 事项 with items are fine; without one since 2025-01-01 + 20 working days not
    assert not any("社会救助政策文件" in p.message for p in found.values())


def test_an_item_naming_a_matter_its_unit_lacks_is_warned(sample, tmp_path):
    import dataclasses

    portal, _ = sample
    decision = next(d for d in portal.decisions if d.item is not None and d.item.meta.get("matter") == "部门预算")
    item = dataclasses.replace(decision.item, meta={**decision.item.meta, "matter": "部门预算(错字)"})
    found = [p for p in standard_problems(portal.standards, [dataclasses.replace(decision, item=item)], date(2026, 6, 30)) if p.path.startswith("content/")]
    assert [p.path for p in found] == [item.path]
    assert "部门预算(错字) 不在本单位的政务公开事项标准目录(standards/xzf.yml)中" in found[0].message


def test_generated_pages_list_each_matter_with_its_latest_items(sample):
    _, files = sample
    home = files["xxgk/bzml/index.md"]
    for unit in ("示例县人民政府办公室", "示例县发展和改革局", "示例县教育局"):
        assert unit in home
    assert re.search(r'<a href="\.\./fgj/bzml/">示例县发展和改革局</a></th><td>5</td>', home)
    page = files["xxgk/fgj/bzml/index.md"]
    head = re.findall(r'<th scope="col">([^<]+)</th>', page)[:11]
    assert head == ["一级事项", "二级事项", "公开内容", "公开依据", "公开时限", "公开主体", "公开渠道和载体", "公开对象", "公开方式", "公开层级", "最新信息"]
    row = re.search(r"<tr>.*?年度重大建设项目计划.*?</tr>", page).group(0)
    assert row.index("2026年") < row.index("2024年")  # newest first
    assert 'href="../../../fgj/2026/zhongda-xiangmu-2026/"' in row
    domains = [src for src in files if re.fullmatch(r"xxgk/bzml/ly\d+/index.md", src)]
    assert len(domains) == len({m.get("domain") for m in sample[0].standards.matters()})
    assert any("义务教育" in files[src] and "示例县教育局" in files[src] for src in domains)


def test_invisible_characters_secrecy_marks_and_id_numbers_never_reach_the_pages(tmp_path):
    from gongkai.portal import screened_standards

    bidi = MATTER.replace("content: 价格监测及分析", "content: 价格\u202e监测")
    secret = MATTER.replace("second: 重要民生商品价格监测信息", "second: 价格监测二").replace("content: 价格监测及分析", "content: 机密★5年 价格预案")
    person = MATTER.replace("second: 重要民生商品价格监测信息", "second: 价格监测三").replace("subject: 示例县发展和改革局", "subject: 张三 360999198603140467")
    write(tmp_path, "fgj.yml", "matters:\n" + bidi + secret + person)
    loaded = load_standards(tmp_path, SETTINGS)
    assert any(str(p).startswith("standards/fgj.yml:5: 公开内容含有不可见的") for p in loaded.problems), loaded.problems
    found = screened_standards(loaded)
    assert found.matters("fgj") == ()
    messages = [str(p) for p in found.problems]
    assert any(m.startswith("standards/fgj.yml:13: 含有密级标志 机密★") for m in messages), messages
    assert any(m.startswith("standards/fgj.yml:24: 含有居民身份证号码") and "360999198603140467" not in m for m in messages), messages


def test_the_download_lists_every_matter_and_a_units_rows_read_back(sample, tmp_path):
    import csv
    import io

    portal, files = sample
    raw = files["xxgk/bzml/bzml.csv"]
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["发布机构", *(c.label for c in law.COLUMNS)]
    assert len(rows) - 1 == len(portal.standards.matters())
    assert 'href="bzml.csv"' in files["xxgk/bzml/index.md"]
    # an office saves its own rows as standards/fgj.csv: the same 事项 read back
    own = [rows[0]] + [r for r in rows[1:] if r[0] == "示例县发展和改革局"]
    text = "".join(",".join(f'"{c}"' for c in r) + "\r\n" for r in own)
    write(tmp_path, "fgj.csv", text)
    again = load_standards(tmp_path, portal.settings)
    assert again.problems == ()
    assert [m.values for m in again.matters("fgj")] == [m.values for m in portal.standards.matters("fgj")]


def test_each_units_home_links_to_its_own_catalog(sample):
    _, files = sample
    assert '<a href="bzml/">政务公开标准目录</a>' in files["xxgk/index.md"]
    assert '<a href="bzml/">政务公开标准目录</a>' in files["xxgk/fgj/index.md"]  # xxgk/fgj/bzml/
