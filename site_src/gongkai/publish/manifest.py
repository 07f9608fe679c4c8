"""manifest.json: the SHA-256 of every file of a built site, and the comparison of a tree with it.

Every other publishing module starts here: a site is publishable only once ``check_site`` has
found it a strict build whose files all match its manifest, and every target, release and package
is judged against the same manifest. ``PublishError`` is the error all of them raise.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from gongkai import errors
from gongkai.errors import GongkaiError, describe_os_error

MANIFEST_NAME = "manifest.json"
GENERATOR = "gongkai"
MANIFEST_VERSION = 1

CHANGED = "changed"
MISSING = "missing"
EXTRA = "extra"

# \Z, not $: $ also matches before a final newline (a name or digest read from elsewhere).
_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
_MANIFEST_TMP = re.compile(r"^\.manifest\.json\.\d+\.tmp\Z")
_HASH_WORKERS = 4


class PublishError(GongkaiError):
    """A publish, verify, rollback or package that cannot go on; ``str()`` says what and how to fix it."""

    def __init__(self, message: str, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(f"{message}\n  处理办法:{hint}" if hint else message)


class UsageError(PublishError, errors.UsageError):
    """The command was called wrongly (exit code 2)."""


@dataclass(frozen=True, order=True)
class Mismatch:
    """One file whose bytes differ from what the manifest promises."""

    path: str
    kind: str  # CHANGED | MISSING | EXTRA
    expected: str | None = None  # sha256 hex from the manifest
    actual: str | None = None  # sha256 hex found, or "symlink" / "special" for a non-regular file

    def __str__(self) -> str:
        actual = _describe_actual(self.actual)
        if self.kind == CHANGED:
            return f"{self.path}: 内容与清单不符(清单 sha256 {self.expected},实际 {actual})"
        if self.kind == MISSING:
            return f"{self.path}: 文件缺失(清单 sha256 {self.expected})"
        return f"{self.path}: 清单中没有这个文件(实际 {actual})"

    def as_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "expected": self.expected, "actual": self.actual}


def _describe_actual(actual: str | None) -> str:
    if actual == "symlink":
        return "是符号链接"
    if actual == "special":
        return "不是普通文件"
    if actual == "unsafe":
        return "路径不安全(绝对路径或含 ..)"
    return f"sha256 {actual}"


@dataclass(frozen=True)
class Manifest:
    """A parsed ``manifest.json``."""

    built_at: str
    commit: str
    strict: bool
    files: Mapping[str, str]
    source: str = MANIFEST_NAME
    digest: str = ""  # sha256 of the manifest file's own bytes
    generator: str = GENERATOR
    version: int = MANIFEST_VERSION


def write_manifest(site_dir: str | os.PathLike, *, commit: str, built_at: str, strict: bool, known: Mapping[str, str] | None = None) -> Path:
    """Returns the path of the ``manifest.json`` written into ``site_dir``: SHA-256 of every other
    regular file (``known``: digests of files the caller knows unchanged, not read again)."""
    root = Path(site_dir)
    if not root.is_dir():
        raise PublishError(f"{root}: 站点目录不存在", "先运行 gongkai build --strict 构建站点")
    files, _others = scan_tree(root)
    # Also skip what an interrupted earlier write_manifest may have left behind.
    files = [f for f in files if f != MANIFEST_NAME and not _MANIFEST_TMP.match(f)]
    for rel in files:
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise PublishError(f"{root}/{shown}: 文件名不是 UTF-8 编码", "请把文件改为 UTF-8 编码的名称后重新构建") from None
    known = known or {}
    digests = hash_files(root, [f for f in files if f not in known])
    digests.update((f, known[f]) for f in files if f in known)
    document = {
        "generator": GENERATOR,
        "version": MANIFEST_VERSION,
        "built_at": built_at,
        "commit": commit,
        "strict": bool(strict),
        "files": {rel: digests[rel] for rel in sorted(files)},
    }
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    path = root / MANIFEST_NAME
    for leftover in root.glob(f".{MANIFEST_NAME}.*.tmp"):
        leftover.unlink()
    tmp = root / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_manifest(path_or_dir: str | os.PathLike) -> Manifest:
    """Returns the manifest in a file, or in ``<dir>/manifest.json``; a broken one raises PublishError."""
    path = Path(path_or_dir)
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PublishError(
            f"{path}: 缺少 manifest.json,这不是 gongkai 构建出的站点",
            "请用 gongkai build --strict 重新构建,构建成功后会生成 manifest.json",
        ) from None
    except OSError as e:
        raise PublishError(f"无法读取 {describe_os_error(e, path)}") from None
    return parse_manifest(data, str(path))


def parse_manifest(data: bytes, source: str = MANIFEST_NAME) -> Manifest:
    """Returns the manifest in ``data`` (the bytes of a manifest.json), checked field by field."""
    broken = "请重新构建站点;若清单是从服务器取回的,说明它已被改动,应视为篡改处理"
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PublishError(f"{source}: 不是有效的 UTF-8 JSON({e})", broken) from None
    if not isinstance(doc, dict) or doc.get("generator") != GENERATOR:
        raise PublishError(f"{source}: 不是 gongkai 生成的清单(generator 应为 \"gongkai\")", broken)
    if doc.get("version") != MANIFEST_VERSION:
        raise PublishError(f"{source}: 清单版本 {doc.get('version')!r} 不受支持", "请升级 gongkai,或用当前版本重新构建")
    files = doc.get("files")
    if not isinstance(files, dict):
        raise PublishError(f"{source}: 缺少 files", broken)
    for rel, digest in files.items():
        if not safe_relpath(rel) or rel == MANIFEST_NAME:
            raise PublishError(f"{source}: 清单中的路径 {rel!r} 不合法", broken)
        if not isinstance(digest, str) or not _HEX64.match(digest):
            raise PublishError(f"{source}: {rel} 的 sha256 {digest!r} 不合法", broken)
    for key, kind in (("built_at", str), ("commit", str), ("strict", bool)):
        if not isinstance(doc.get(key), kind):
            raise PublishError(f"{source}: 字段 {key} 缺失或类型不对", broken)
    return Manifest(
        built_at=doc["built_at"],
        commit=doc["commit"],
        strict=doc["strict"],
        files=dict(files),
        source=source,
        digest=hashlib.sha256(data).hexdigest(),
    )


def verify_tree(root: str | os.PathLike, manifest: Manifest | Mapping) -> list[Mismatch]:
    """Returns every changed, missing or extra file under ``root`` compared with ``manifest``."""
    manifest = _coerce_manifest(manifest)
    files, others = scan_tree(Path(root))
    files = [f for f in files if f != MANIFEST_NAME]
    return compare(manifest.files, hash_files(Path(root), files), others)


def compare(expected: Mapping[str, str], actual: Mapping[str, str], others: Mapping[str, str] = {}) -> list[Mismatch]:
    """Returns the mismatches between the manifest's files and the regular files (and non-regular entries) found."""
    found: list[Mismatch] = []
    for rel, digest in expected.items():
        if rel in actual:
            if actual[rel] != digest:
                found.append(Mismatch(rel, CHANGED, digest, actual[rel]))
        elif rel in others:
            found.append(Mismatch(rel, CHANGED, digest, others[rel]))
        else:
            found.append(Mismatch(rel, MISSING, digest, None))
    for rel, digest in actual.items():
        if rel not in expected:
            found.append(Mismatch(rel, EXTRA, None, digest))
    for rel, kind in others.items():
        if rel not in expected:
            found.append(Mismatch(rel, EXTRA, None, kind))
    return sorted(found)


def _coerce_manifest(manifest: Manifest | Mapping) -> Manifest:
    if isinstance(manifest, Manifest):
        return manifest
    return parse_manifest(json.dumps(dict(manifest), ensure_ascii=False).encode("utf-8"))


def safe_relpath(rel: object) -> bool:
    """Returns whether ``rel`` is a relative path that stays inside its root (no /, no .., no empty part)."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\0" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def scan_tree(root: Path) -> tuple[list[str], dict[str, str]]:
    """Returns the regular files under root (posix relative paths) and every other non-directory entry."""
    files: list[str] = []
    others: dict[str, str] = {}
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            listing = os.scandir(root / rel_dir if rel_dir else root)
        except FileNotFoundError:
            if not rel_dir:
                raise
            continue  # removed while the tree was read (a repair, a switch): it is not there
        with listing as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_symlink():
                    others[printable(rel)] = "symlink"
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(rel)
                elif entry.is_file(follow_symlinks=False):
                    files.append(rel)
                else:
                    others[printable(rel)] = "special"
    return files, others


def printable(rel: str) -> str:
    """Returns a file name as text that can be shown and stored: bytes that are not UTF-8 become \\x escapes."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def sha256_file(path: Path) -> str:
    """Returns the SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def hash_files(root: Path, rels: Sequence[str]) -> dict[str, str]:
    """Returns {rel: sha256} for the files; hashing runs on a few threads (hashlib and reads release
    the GIL). A file removed after it was listed (a repair's temporary file renamed, a release
    switched) is left out: it is not there."""
    if len(rels) < 64:
        found = {printable(rel): _sha256_if_there(root / rel) for rel in rels}
    else:
        with ThreadPoolExecutor(max_workers=_HASH_WORKERS) as pool:
            digests = pool.map(lambda rel: _sha256_if_there(root / rel), rels, chunksize=64)
            found = {printable(rel): d for rel, d in zip(rels, digests)}
    return {rel: digest for rel, digest in found.items() if digest is not None}


def _sha256_if_there(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None


# --------------------------------------------------------------------------- the site to publish


def check_site(site_dir: str | os.PathLike) -> Manifest:
    """Returns the site's manifest once the site is a strict gongkai build whose files all match it."""
    root = Path(site_dir)
    if not root.is_dir():
        raise PublishError(f"{root}: 站点目录不存在", "先运行 gongkai build --strict,或用 --site 指向已构建的站点目录")
    manifest = read_manifest(root)
    if not manifest.strict:
        raise PublishError(
            f"{manifest.source}: 这个站点不是严格模式构建的(\"strict\": false),不能发布",
            "请用 gongkai build --strict 重新构建:严格模式下任何警告或未通过的审核签名都会使构建失败",
        )
    mismatches = verify_tree(root, manifest)
    if mismatches:
        raise PublishError(
            f"{root}: 站点目录在构建后被改动过,与 manifest.json 不符:\n" + list_mismatches(mismatches),
            "不要手工修改构建结果;请重新运行 gongkai build --strict 后再发布",
        )
    return manifest


def list_mismatches(mismatches: Sequence[Mismatch], limit: int = 20) -> str:
    """Returns the first ``limit`` mismatches as indented lines for an error message."""
    lines = [f"    {m}" for m in mismatches[:limit]]
    if len(mismatches) > limit:
        lines.append(f"    ……另有 {len(mismatches) - limit} 处")
    return "\n".join(lines)
