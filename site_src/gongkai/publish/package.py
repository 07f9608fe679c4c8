"""Packages: a reproducible .tar.gz or .zip of a site for a site-group platform to upload, and the
check of such a package against the manifest.json inside it."""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import posixpath
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from gongkai.publish.csp import content_security_policy, inline_script_hashes
from gongkai.publish.manifest import MANIFEST_NAME, Mismatch, PublishError, check_site, compare, parse_manifest, printable, safe_relpath, sha256_file
from gongkai.publish.releases import short_commit
from gongkai.publish.verify import VerifyResult


@dataclass(frozen=True)
class Package:
    """A package written for a site-group platform, and what to hand over with it."""

    path: Path
    files: int  # members, manifest.json included
    sha256: str  # of the package file itself
    policy: str  # the Content-Security-Policy header the platform must send for this site


def package_site(site_dir: str | os.PathLike, out_path: str | os.PathLike | None = None) -> Package:
    """Returns the package written for the strictly built site (default name: gongkai-site-DATE-COMMIT.tar.gz)."""
    manifest = check_site(site_dir)
    name = out_path or f"gongkai-site-{datetime.now(timezone.utc):%Y%m%d}-{short_commit(manifest.commit)}.tar.gz"
    path = package(site_dir, name)
    policy = content_security_policy(inline_script_hashes(site_dir))
    return Package(path, len(manifest.files) + 1, sha256_file(path), policy)


def _epoch(built_at: str) -> int:
    try:
        moment = datetime.fromisoformat(built_at.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0, int(moment.timestamp()))


class _HashingReader(io.RawIOBase):
    def __init__(self, f):
        self.f = f
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.f.readinto(buffer)
        if n:
            self.sha.update(memoryview(buffer)[:n])
        return n


def package(site_dir: str | os.PathLike, out_path: str | os.PathLike) -> Path:
    """Returns the path of a reproducible archive (.tar.gz, or .zip) of the site and its manifest.json.

    Same site bytes, same archive bytes: entries sorted, times set to the build time, owners and
    permissions fixed, gzip header without name or time.
    """
    site = Path(site_dir)
    manifest = check_site(site)
    out = Path(out_path)
    names = sorted(manifest.files) + [MANIFEST_NAME]
    parents = {posixpath.dirname(n) for n in names} - {""}
    dirs = sorted({"/".join(d.split("/")[: i + 1]) for d in parents for i in range(d.count("/") + 1)})
    entries = sorted([(n, False) for n in names] + [(d, True) for d in dirs], key=lambda e: e[0].split("/"))
    mtime = _epoch(manifest.built_at)
    expected = {**manifest.files, MANIFEST_NAME: manifest.digest}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as raw:
            if out.name.endswith(".zip"):
                _write_zip(raw, site, entries, mtime, expected)
            else:
                _write_tar(raw, site, entries, mtime, expected)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def _changed_while_packing(rel: str) -> PublishError:
    return PublishError(f"{rel}: 打包过程中文件被改动", "请勿在打包时修改站点目录,重新构建后再打包")


def _write_tar(raw, site: Path, entries, mtime: int, expected: Mapping[str, str]) -> None:
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:
            for rel, is_dir in entries:
                info = tarfile.TarInfo(rel)
                info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
                if is_dir:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                    continue
                info.mode = 0o644
                path = site / rel
                info.size = path.stat().st_size
                with open(path, "rb") as f:
                    reader = _HashingReader(f)
                    tar.addfile(info, io.BufferedReader(reader))
                if reader.sha.hexdigest() != expected[rel]:
                    raise _changed_while_packing(rel)


def _write_zip(raw, site: Path, entries, mtime: int, expected: Mapping[str, str]) -> None:
    stamp = datetime.fromtimestamp(max(mtime, 315532800), timezone.utc).timetuple()[:6]
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for rel, is_dir in entries:
            info = zipfile.ZipInfo(rel + "/" if is_dir else rel, date_time=stamp)
            info.create_system = 3  # unix: the permission bits below mean what they say
            info.external_attr = ((0o40755 if is_dir else 0o100644) << 16) | (0x10 if is_dir else 0)
            if is_dir:
                zf.writestr(info, b"")
                continue
            info.compress_type = zipfile.ZIP_DEFLATED
            data = (site / rel).read_bytes()
            if hashlib.sha256(data).hexdigest() != expected[rel]:
                raise _changed_while_packing(rel)
            zf.writestr(info, data)


def verify_archive(path: str | os.PathLike) -> list[Mismatch]:
    """Returns every member of a package that differs from the manifest.json inside it (empty: intact)."""
    return verify_archive_result(path).mismatches


def verify_archive_result(path: str | os.PathLike) -> VerifyResult:
    """Returns what ``verify_archive`` checked and found."""
    archive = Path(path)
    if not archive.is_file():
        raise PublishError(f"{archive}: 文件不存在", "检查包的路径是否写对")
    files: dict[str, str] = {}
    others: dict[str, str] = {}
    manifest_bytes: bytes | None = None

    def member(rel: str, kind: str, stream) -> None:
        nonlocal manifest_bytes
        rel = rel[2:] if rel.startswith("./") else rel
        if not safe_relpath(rel):
            others[printable(rel)] = "unsafe"
        elif kind != "file":
            others[rel] = kind
        elif rel == MANIFEST_NAME:
            manifest_bytes = stream.read()
        else:
            digest = hashlib.sha256()
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
            files[rel] = digest.hexdigest()

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    mode = (info.external_attr >> 16) & 0o170000
                    kind = "file" if mode in (0, 0o100000) else ("symlink" if mode == 0o120000 else "special")
                    with zf.open(info) as stream:
                        member(info.filename, kind, stream)
        else:
            with tarfile.open(archive, "r:*") as tar:
                for tinfo in tar:
                    if tinfo.isdir():
                        continue
                    if tinfo.isfile():
                        member(tinfo.name, "file", tar.extractfile(tinfo))
                    else:
                        member(tinfo.name, "symlink" if tinfo.issym() else "special", None)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
        raise PublishError(f"{archive}: 不是完整的 .tar.gz 或 .zip 包({e})", "重新用 gongkai package 生成,或重新下载") from None
    if manifest_bytes is None:
        raise PublishError(f"{archive}: 包里没有 manifest.json", "这不是 gongkai package 生成的包,或清单被删除")
    manifest = parse_manifest(manifest_bytes, f"{archive}:{MANIFEST_NAME}")
    mismatches = compare(manifest.files, files, others)
    return VerifyResult(str(archive), None, manifest, len(manifest.files), mismatches)
