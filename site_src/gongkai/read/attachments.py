"""The text in an attachment, as whoever downloads it could read it, for the gate's checks.

An attachment is served as a file: its reader sees the characters in it (a text editor, "view
source") and what its program shows (a browser renders entities, Word shows every table, header
and footer, Excel every sheet). So the text returned holds both: for the plain-text formats the
file's characters as they are and, where the format encodes text (HTML and XML entities, JSON
`\\u` escapes, text split by tags), the decoded form after them; for .docx and .xlsx what Word or
Excel shows, then the text of every XML part of the package (comments, footnotes, deleted
revisions, document properties, formulas); for .pdf the text of every page, with the document
information, annotations, form fields and outline titles.

Nothing here raises on a file's content: a file that cannot be read returns a problem the caller
reports (in Chinese, for the editor), and the work is bounded (MAX_TEXT_BYTES of decompressed
text, MAX_ZIP_ENTRIES parts, MAX_PDF_PAGES pages) so that no zip bomb or 1 GB file stalls a build.
"""
from __future__ import annotations

import json
import logging
import re
import time
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from lxml import etree
from lxml import html as lxml_html

MAX_TEXT_BYTES = 50 * 1024 * 1024  # of text read or decompressed, per attachment
MAX_ZIP_ENTRIES = 10_000
MAX_PDF_PAGES = 5_000
# pypdf reads a page's drawing instructions in Python, some 0.5 MB a second: a page with more than
# MAX_PDF_PAGE_CONTENT of them is no page of text, and all pages together get MAX_PDF_SECONDS.
MAX_PDF_PAGE_CONTENT = 4 * 1024 * 1024
MAX_PDF_SECONDS = 30

TEXT_SUFFIXES = frozenset({".txt", ".text", ".csv", ".tsv", ".md", ".log"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
XML_SUFFIXES = frozenset({".xml", ".svg"})
JSON_SUFFIXES = frozenset({".json", ".geojson"})
OOXML_SUFFIXES = frozenset({".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".xltx", ".pptx"})

CORRUPT = "附件无法读取(文件已损坏或加密):请重新导出后再发布"
ENCRYPTED = "附件已加密,无法检查其内容:请去除密码保护后重新导出再发布"
TOO_LARGE = f"附件内容超过 {MAX_TEXT_BYTES // (1024 * 1024)} MB(解压后),未能全部检查:请拆分或压缩后再发布"
TOO_MANY_PARTS = f"附件包含的部件超过 {MAX_ZIP_ENTRIES} 个,未能全部检查:请重新导出后再发布"
TOO_MANY_PAGES = f"附件超过 {MAX_PDF_PAGES} 页,未能全部检查:请拆分后再发布"
TOO_COMPLEX = f"附件内容过于复杂,未能在 {MAX_PDF_SECONDS} 秒内读完(或某页的绘图指令过多):请重新导出(如另存为 PDF/A)或拆分后再发布"


@dataclass(frozen=True)
class AttachmentText:
    """The readable text of an attachment, and what kept it from being read completely.

    text None and problem None: a format with no text to read (an image, an archive…).
    problem set: the file could not be read, or only in part (text then holds what was read);
    the caller must not treat the attachment as checked."""

    text: str | None
    problem: str | None = None


class _TooLarge(Exception):
    pass


class _Budget:
    """Counts the bytes of text read or decompressed for one attachment."""

    def __init__(self, limit: int = MAX_TEXT_BYTES):
        self.left = limit

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _TooLarge()


def attachment_text(path: Path) -> AttachmentText:
    """Returns the text a reader of the file could see (see the module docstring), never raising
    on what the file holds."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            raw, complete = _read_head(path)
            return _partial(decode_text(raw, complete), complete)
        if suffix in HTML_SUFFIXES or suffix in XML_SUFFIXES:
            raw, complete = _read_head(path)
            text = decode_text(raw, complete)
            return _partial(text + "\n" + markup_text(text, xml=suffix in XML_SUFFIXES), complete)
        if suffix in JSON_SUFFIXES:
            raw, complete = _read_head(path)
            text = decode_text(raw, complete)
            return _partial(text + "\n" + json_text(text), complete)
        if suffix in OOXML_SUFFIXES:
            return _ooxml(path, suffix)
        if suffix == ".pdf":
            return _pdf(path)
    except _TooLarge:
        return AttachmentText(None, TOO_LARGE)
    except OSError as exc:
        return AttachmentText(None, f"附件无法打开({exc.strerror or exc}):请检查文件后再发布")
    except (ValueError, RecursionError, MemoryError):  # a reader's limit met: unreadable, not a crash
        return AttachmentText(None, CORRUPT)
    return AttachmentText(None, None)


def _partial(text: str, complete: bool) -> AttachmentText:
    return AttachmentText(text, None if complete else TOO_LARGE)


def _read_head(path: Path) -> tuple[bytes, bool]:
    """Returns at most MAX_TEXT_BYTES of the file, and whether that is all of it."""
    with open(path, "rb") as handle:
        raw = handle.read(MAX_TEXT_BYTES + 1)
    return raw[:MAX_TEXT_BYTES], len(raw) <= MAX_TEXT_BYTES


# ------------------------------------------------------------------ text encodings

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_text(raw: bytes, complete: bool = True) -> str:
    """Returns the text of bytes in UTF-8 (with or without BOM), UTF-16/32 with a BOM, or else GB18030."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(raw) - 3:
            return raw[: exc.start].decode("utf-8")  # cut inside a character at the read limit
    return raw.decode("gb18030", "replace")


# ------------------------------------------------------------------ markup and JSON

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li "
    "main nav ol option p pre section summary table tbody td tfoot th thead title tr ul".split()
)


def markup_text(text: str, xml: bool = False) -> str:
    """Returns the text of HTML (or XML) as rendered (tags removed, entities decoded, block
    elements on lines of their own), then every attribute value, comment and processing
    instruction. No entity of a DTD is expanded, nothing is fetched.

    libxml2 reads it (linear, whatever the input): the standard library's HTMLParser takes
    minutes on an unclosed comment followed by many `<`."""

    data = text.encode("utf-8", "surrogatepass")
    if xml:
        parser = etree.XMLParser(encoding="utf-8", recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    else:
        parser = lxml_html.HTMLParser(encoding="utf-8", recover=True, no_network=True, remove_comments=False, remove_pis=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError):
        root = None
    if root is None:  # nothing an XML or HTML reader makes sense of: the characters are all there is
        return text
    return _tree_text(root, _BLOCK_TAGS)


def _tree_text(root: Any, blocks: frozenset[str], tabs: frozenset[str] = frozenset()) -> str:
    """Returns the text nodes of a tree (block elements on lines of their own), then its attribute
    values, comments and processing instructions. libxml2 walks the tree (a Word package's styles
    hold tens of thousands of elements): Python touches only the block elements."""

    for names, mark in ((blocks, "\n"), (tabs, "\t")):
        if names:
            for element in root.iter(*(f"{{*}}{name}" for name in names)):
                element.tail = mark + (element.tail or "")
    extra = [str(value) for value in root.xpath("//@*")]
    extra += [node.text or "" for node in root.xpath("//comment() | //processing-instruction()")]
    text = etree.tostring(root, method="text", encoding="unicode", with_tail=False)
    return text + "\n" + "\n".join(extra)


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def json_text(text: str) -> str:
    """Returns every key, string and number of a JSON document, one a line, escapes decoded
    (for a document that does not parse: its `\\uXXXX` escapes decoded)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, a number too long for Python, nesting too deep
        return _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    out: list[str] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            out.extend(str(key) for key in value)
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, str):
            out.append(value)
        elif value is not None and not isinstance(value, bool):
            out.append(_number(value))
    return "\n".join(out)


def _number(value: Any) -> str:
    # An ID number typed into a number cell comes back as a float: show its digits, not 1.1e+17.
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


# ------------------------------------------------------------------ Office Open XML


def _ooxml(path: Path, suffix: str) -> AttachmentText:
    with open(path, "rb") as handle:
        data = handle.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        return AttachmentText(None, TOO_LARGE)
    return _ooxml_data(data, suffix, _Budget(), 0)


MAX_EMBEDDING = 2  # a document in a workbook in a document: what Office makes; deeper is a trap


def _ooxml_data(data: bytes, suffix: str, budget: _Budget, depth: int) -> AttachmentText:
    """Returns the text of a .docx/.xlsx/.pptx: what Word or Excel shows, then every XML part,
    then the text of the documents embedded in it."""
    try:
        parts = _zip_parts(data, budget)
    except _TooLarge:
        return AttachmentText(None, TOO_LARGE)
    except _TooManyParts:
        return AttachmentText(None, TOO_MANY_PARTS)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError, RuntimeError, OSError):
        # RuntimeError: an encrypted entry; NotImplementedError: an unknown compression method.
        return AttachmentText(None, _ooxml_unreadable(data))
    # What Word and Excel show is all in the package's XML parts (below): body, tables, headers,
    # footers, comments, cells, shared strings, sheet names, properties. python-docx and openpyxl
    # read the same text again, at 50 and 10 ms a file.
    names = {name for name, _ in parts}
    if suffix in (".docx", ".docm", ".dotx") and "word/document.xml" not in names:
        return AttachmentText(None, CORRUPT)  # a zip, but no Word document
    if suffix in (".xlsx", ".xlsm", ".xltx") and "xl/workbook.xml" not in names:
        return AttachmentText(None, CORRUPT)  # a zip, but no workbook
    main = {".docx": "word/document.xml", ".docm": "word/document.xml", ".dotx": "word/document.xml"}.get(suffix, "xl/workbook.xml")
    if suffix != ".pptx" and not _well_formed(dict(parts).get(main, b"")):
        return AttachmentText(None, CORRUPT)  # what Word or Excel would refuse to open
    shown: list[str] = []
    raw = []
    for name, content in parts:
        inner_suffix = PurePosixPath(name).suffix.lower()
        if _STYLES.search(name):
            # Style and theme definitions: hundreds of KB a package, and only their names show
            # (Word's style gallery): read with a pattern, not parsed.
            raw.append("\n".join(v.decode("utf-8", "replace") for v in _STYLE_NAME.findall(content)))
        elif inner_suffix in (".xml", ".rels", ".vml"):
            raw.append(xml_part_text(content))
        elif inner_suffix in OOXML_SUFFIXES:  # an embedded workbook or document
            if depth >= MAX_EMBEDDING:
                return AttachmentText(None, CORRUPT)
            inner = _ooxml_data(content, inner_suffix, budget, depth + 1)
            if inner.problem:
                return inner
            raw.append(inner.text or "")
    return AttachmentText("\n".join(shown + raw))


_STYLES = re.compile(r"(^|/)(styles\w*|theme\d*|stylesWithEffects)\.xml$|/theme/[^/]+\.xml$", re.I)
_STYLE_NAME = re.compile(rb'<(?:\w+:)?name\s+(?:\w+:)?val="([^"]*)"')


def _well_formed(content: bytes) -> bool:

    try:
        etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except (etree.LxmlError, ValueError):
        return False
    return True


class _TooManyParts(Exception):
    pass


def _ooxml_unreadable(data: bytes) -> str:
    # An encrypted Office file is an OLE2 compound file holding the encrypted package.
    return ENCRYPTED if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") else CORRUPT


def _zip_parts(data: bytes, budget: _Budget) -> list[tuple[str, bytes]]:
    """Returns every entry of the zip, decompressed within the budget (sizes are not trusted)."""
    parts = []
    with zipfile.ZipFile(BytesIO(data)) as archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise _TooManyParts()
        for entry in entries:
            if entry.is_dir():
                continue
            chunks = []
            with archive.open(entry) as handle:
                while True:
                    chunk = handle.read(1 << 20)
                    if not chunk:
                        break
                    budget.take(len(chunk))
                    chunks.append(chunk)
            parts.append((entry.filename, b"".join(chunks)))
    return parts


_PART_BLOCKS = frozenset({"p", "tc", "c", "si", "br", "cr", "row", "tr"})
_PART_TABS = frozenset({"tab"})


def xml_part_text(content: bytes) -> str:
    """Returns the text nodes of an Office XML part (paragraphs and cells on lines of their own,
    runs joined as Word joins them), then its attribute values; no entity or DTD is resolved."""

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(content, parser)
    except (etree.LxmlError, ValueError):
        root = None
    if root is None:
        return markup_text(decode_text(content), xml=True)
    return _tree_text(root, _PART_BLOCKS, _PART_TABS)


def _pdf(path: Path) -> AttachmentText:
    # pypdf takes ~85 ms to import: only portals with PDF attachments pay for it.
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError  # with pypdf, for the same reason

    # pypdf logs each repair of a damaged file ("EOF marker not found"): the problem returned says
    # what matters to the editor, and the core prints nothing.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    budget = _Budget()
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            return AttachmentText(None, TOO_LARGE)
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):  # permissions-only encryption opens with no password
                    return AttachmentText(None, ENCRYPTED)
            except (FileNotDecryptedError, NotImplementedError, PyPdfError):
                return AttachmentText(None, ENCRYPTED)
        if len(reader.pages) > MAX_PDF_PAGES:
            return AttachmentText(None, TOO_MANY_PAGES)
        out: list[str] = []
        deadline = time.monotonic() + MAX_PDF_SECONDS
        for page in reader.pages:
            contents = page.get_contents()
            if contents is not None and len(contents.get_data()) > MAX_PDF_PAGE_CONTENT:
                return AttachmentText(None, TOO_COMPLEX)
            if time.monotonic() > deadline:
                return AttachmentText(None, TOO_COMPLEX)
            text = page.extract_text() or ""
            budget.take(len(text))
            out.append(text)
            out.extend(_annotations(page))
        out.extend(_pdf_extras(reader))
    except _TooLarge:
        return AttachmentText(None, TOO_LARGE)
    except FileNotDecryptedError:
        return AttachmentText(None, ENCRYPTED)
    except Exception:  # pypdf raises many kinds on a damaged file (PdfReadError, KeyError, ValueError, RecursionError…)
        return AttachmentText(None, CORRUPT)
    return AttachmentText("\n".join(out))


def _annotations(page: Any) -> Iterable[str]:
    for annotation in page.get("/Annots") or []:
        annotation = annotation.get_object()
        for key in ("/Contents", "/T", "/TU", "/V"):
            value = annotation.get(key)
            if value:
                yield str(value)


def _pdf_extras(reader: Any) -> Iterable[str]:
    for value in (reader.metadata or {}).values():
        yield str(value)
    for field in (reader.get_fields() or {}).values():
        for key in ("/V", "/TU", "/T"):
            value = field.get(key)
            if value:
                yield str(value)
    stack = list(reader.outline or [])
    while stack:
        entry = stack.pop()
        if isinstance(entry, list):
            stack.extend(entry)
        elif getattr(entry, "title", None):
            yield str(entry.title)
