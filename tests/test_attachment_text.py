"""attachment_text: what a reader of an attachment can see, for every format the gate checks.

Each test plants a distinct 居民身份证号 (valid check digit) where a reader could find it — a table
cell, a footer, a comment, a second sheet, a PDF page, an entity, a JSON escape — and asserts it
is in the text. The files are made here: python-docx and openpyxl write Office files, the PDFs are
written by hand (or by pypdf, for encryption).
"""
from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from gongkai.read.attachments import CORRUPT, ENCRYPTED, MAX_TEXT_BYTES, TOO_COMPLEX, TOO_LARGE, AttachmentText, attachment_text, decode_text
from tests.kit import make_pdf

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(seventeen: str) -> str:
    """Returns the 18-digit 居民身份证号 with its GB 11643 check digit."""
    total = sum(int(d) * w for d, w in zip(seventeen, _WEIGHTS))
    return seventeen + "10X98765432"[total % 11]


IDS = {name: id_number(f"1101011990030{n:04d}") for n, name in enumerate(
    ["body", "cell", "nested", "footer", "header", "comment", "title", "deleted", "sheet", "sheetname", "number", "cellnote",
     "page", "page2", "info", "annot", "html", "xml", "json", "csv", "text"]
)}


# ------------------------------------------------------------------ plain text and encodings


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("gb18030", b"")])
def test_text_and_csv_in_each_encoding(tmp_path, encoding, bom):
    for suffix in (".txt", ".csv"):
        path = tmp_path / f"a{suffix}"
        path.write_bytes(bom + f"姓名,身份证号\n张三,{IDS['csv']}\n".encode(encoding))
        result = attachment_text(path)
        assert result.problem is None and IDS["csv"] in result.text and "张三" in result.text, (encoding, result)


def test_decode_falls_back_to_gb18030_and_keeps_utf8_cut_at_the_limit():
    assert decode_text("关于春节放假的通知".encode("gb18030")) == "关于春节放假的通知"
    assert decode_text("通知".encode("utf-8")[:-1], complete=False) == "通"


def test_html_text_as_rendered_and_as_written(tmp_path):
    number = IDS["html"]
    hidden = f"{number[:6]}&#{ord(number[6])};{number[7:12]}<b></b>{number[12:]}"  # an entity and a tag inside
    path = tmp_path / "a.html"
    path.write_text(f"<html><body><p>身份证号 {hidden}</p><!-- 备注 --><img alt=\"图片说明\"></body></html>", encoding="utf-8")
    result = attachment_text(path)
    assert result.problem is None
    assert number in result.text and "备注" in result.text and "图片说明" in result.text
    assert hidden in result.text  # the source, as a "view source" shows it


def test_xml_entities_decoded_without_expanding_a_dtd(tmp_path):
    number = IDS["xml"]
    encoded = "".join(f"&#x{ord(c):x};" for c in number)
    path = tmp_path / "a.xml"
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?><r note="说明"><n>{encoded}</n><![CDATA[原文]]></r>', encoding="utf-8")
    result = attachment_text(path)
    assert number in result.text and "说明" in result.text and "原文" in result.text
    laughs = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lollollollol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9)
    ) + "]><l>&j;</l>"
    (tmp_path / "bomb.xml").write_text(laughs, encoding="utf-8")
    start = time.monotonic()
    result = attachment_text(tmp_path / "bomb.xml")
    assert time.monotonic() - start < 5 and len(result.text) < 10 * len(laughs)


def test_json_escapes_are_decoded(tmp_path):
    number = IDS["json"]
    path = tmp_path / "a.json"
    escaped = "".join(f"\\u{ord(c):04x}" for c in number)
    path.write_text('{"名单": [{"证件": "' + escaped + '"}], "n": ' + number[:17] + "}", encoding="utf-8")
    assert number not in path.read_text()
    result = attachment_text(path)
    assert result.problem is None and number in result.text and "名单" in result.text
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": "' + "".join(f"\\u{ord(c):04x}" for c in number) + '", ', encoding="utf-8")
    assert number in attachment_text(broken).text


def test_json_nesting_and_long_numbers_do_not_raise(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    assert attachment_text(path).problem is None
    path.write_text("[" + "9" * 5000 + "]", encoding="utf-8")
    assert "9" * 5000 in attachment_text(path).text


# ------------------------------------------------------------------ Word


def make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph(f"正文 {IDS['body']}")
    table = document.add_table(rows=2, cols=2)
    table.cell(1, 1).text = IDS["cell"]
    inner = table.cell(0, 0).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = IDS["nested"]
    section = document.sections[0]
    section.footer.paragraphs[0].text = f"页脚 {IDS['footer']}"
    section.header.paragraphs[0].text = f"页眉 {IDS['header']}"
    paragraph = document.add_paragraph("有批注的段落")
    document.add_comment(paragraph.runs, text=f"批注 {IDS['comment']}", author="审稿人")
    document.core_properties.title = IDS["title"]
    document.save(path)
    # A deleted revision: Word keeps the text (w:delText), python-docx's paragraphs do not show it.
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    body = parts["word/document.xml"].decode("utf-8")
    deleted = f'<w:p><w:del w:id="9" w:author="x"><w:r><w:delText>{IDS["deleted"][:9]}</w:delText></w:r><w:r><w:delText>{IDS["deleted"][9:]}</w:delText></w:r></w:del></w:p>'
    parts["word/document.xml"] = body.replace("<w:sectPr", deleted + "<w:sectPr", 1).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_docx_body_tables_headers_footers_comments_properties_and_revisions(tmp_path):
    path = tmp_path / "通知.docx"
    make_docx(path)
    result = attachment_text(path)
    assert result.problem is None
    for name in ("body", "cell", "nested", "footer", "header", "comment", "title", "deleted"):
        assert IDS[name] in result.text, name


def test_corrupt_truncated_and_encrypted_office_files_are_a_problem(tmp_path):
    good = tmp_path / "good.docx"
    make_docx(good)
    cases = {
        "random.docx": b"not a zip at all" * 100,
        "truncated.docx": good.read_bytes()[: good.stat().st_size // 2],
        "empty.xlsx": b"",
        "wrongparts.docx": _zip({"hello.txt": b"hi"}),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert attachment_text(tmp_path / name) == AttachmentText(None, CORRUPT), name
    (tmp_path / "locked.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)  # how Office saves a password-protected file
    assert attachment_text(tmp_path / "locked.docx") == AttachmentText(None, ENCRYPTED)
    assert "请重新导出后再发布" in CORRUPT


def _zip(parts: dict[str, bytes]) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_is_refused_quickly(tmp_path):
    """A part of 60 MB of zeros (60 KB compressed) inside a .docx: the reading stops at the cap."""
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1 << 20)
            for _ in range(MAX_TEXT_BYTES // len(chunk) + 10):
                part.write(chunk)
    assert path.stat().st_size < 1_000_000
    start = time.monotonic()
    assert attachment_text(path) == AttachmentText(None, TOO_LARGE)
    assert time.monotonic() - start < 10


def test_huge_text_file_is_read_up_to_the_cap_and_said_so(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.write(f"{IDS['text']}\n".encode())
        handle.truncate(1 << 30)  # 1 GB, sparse
    start = time.monotonic()
    result = attachment_text(path)
    assert time.monotonic() - start < 10
    assert result.problem == TOO_LARGE and IDS["text"] in result.text and len(result.text) <= MAX_TEXT_BYTES


# ------------------------------------------------------------------ Excel


def test_xlsx_every_sheet_every_cell_sheet_names_and_notes(tmp_path):
    import openpyxl
    from openpyxl.comments import Comment

    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "汇总"
    first["A1"] = "说明"
    second = workbook.create_sheet(f"名单{IDS['sheetname']}")
    second["C7"] = IDS["sheet"]
    second["D9"] = 13812345678  # a number cell: its digits, not 1.38e+10 (an 18-digit ID cannot be one: 15 digits at most)
    second["A2"] = "备注"
    second["A2"].comment = Comment(f"批注 {IDS['cellnote']}", "审稿人")
    workbook.create_sheet("隐藏").sheet_state = "hidden"
    workbook["隐藏"]["B2"] = "隐藏工作表的内容"
    path = tmp_path / "名单.xlsx"
    workbook.save(path)
    result = attachment_text(path)
    assert result.problem is None
    for needle in (IDS["sheet"], IDS["sheetname"], IDS["cellnote"], "汇总", "隐藏工作表的内容"):
        assert needle in result.text, needle
    assert "13812345678" in result.text


def test_corrupt_xlsx_is_a_problem(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook><broken"}))
    assert attachment_text(path) == AttachmentText(None, CORRUPT)


# ------------------------------------------------------------------ PDF


def test_pdf_pages_document_info_and_annotations(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf([f"ID {IDS['page']}", f"page two {IDS['page2']}"], info_title=IDS["info"], compress=True, annotation=IDS["annot"]))
    result = attachment_text(path)
    assert result.problem is None
    for name in ("page", "page2", "info", "annot"):
        assert IDS[name] in result.text, (name, result.text)


def test_encrypted_pdf_is_a_problem_unless_it_opens_without_a_password(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    plain.write_bytes(make_pdf([f"ID {IDS['page']}"]))
    for user, expected in (("secret", None), ("", IDS["page"])):
        writer = PdfWriter()
        for page in PdfReader(plain).pages:
            writer.add_page(page)
        writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-128")
        path = tmp_path / f"locked-{bool(user)}.pdf"
        with open(path, "wb") as handle:
            writer.write(handle)
        result = attachment_text(path)
        if expected is None:
            assert result == AttachmentText(None, ENCRYPTED)
        else:
            assert result.problem is None and expected in result.text


@pytest.mark.parametrize("data", [b"%PDF-1.4\n garbage", b"", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"])
def test_corrupt_pdf_is_a_problem_not_an_exception(tmp_path, data):
    path = tmp_path / "a.pdf"
    path.write_bytes(data)
    result = attachment_text(path)
    assert result.text is None and result.problem == CORRUPT


def test_pdf_page_with_megabytes_of_drawing_instructions_is_refused_quickly(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["x" + ") Tj (a" * 700_000], compress=True))  # 5.6 MB on one page: a minute of pypdf
    start = time.monotonic()
    assert attachment_text(path) == AttachmentText(None, TOO_COMPLEX)
    assert time.monotonic() - start < 5


def test_truncated_pdf_is_a_problem_or_its_text(tmp_path):
    full = make_pdf([f"ID {IDS['page']}"], compress=True)
    path = tmp_path / "a.pdf"
    for cut in range(20, len(full), 97):
        path.write_bytes(full[:cut])
        result = attachment_text(path)  # must not raise
        assert (result.problem == CORRUPT and result.text is None) or result.problem is None


# ------------------------------------------------------------------ other files


@pytest.mark.parametrize("name,data", [("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100), ("a.zip", b"PK\x05\x06" + b"\0" * 18), ("a.jpg", b"\xff\xd8\xff")])
def test_binary_formats_have_no_text(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    assert attachment_text(tmp_path / name) == AttachmentText(None, None)


def test_missing_file_is_a_problem_not_an_exception(tmp_path):
    result = attachment_text(tmp_path / "gone.pdf")
    assert result.text is None and result.problem
    assert attachment_text(tmp_path / "gone.txt").problem
