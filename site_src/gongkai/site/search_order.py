"""Puts Pagefind's bundle in one order, so that two builds of one commit write the same bytes.

Pagefind writes the values of each filter (类别, 发布机构, …) and the list of filters in its
metadata in hash-map order, which changes from run to run; the files are named after their
contents, so the names change too. After Pagefind has written the bundle, each filter file is
decoded (gzip, the ``pagefind_dcd`` signature, CBOR), its values sorted, and written again under
a name made from its new contents; the metadata file, which names the filter files, is rewritten
the same way and ``pagefind-entry.json`` pointed at it. The search reads the same data.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import cbor2

_SIGNATURE = b"pagefind_dcd"


def _decode(path: Path):
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(_SIGNATURE):
        return None
    return cbor2.loads(data[len(_SIGNATURE):])


def _encode(value) -> bytes:
    return gzip.compress(_SIGNATURE + cbor2.dumps(value), compresslevel=9, mtime=0)


def _name(prefix: str, data: bytes, length: int) -> str:
    return f"{prefix}_{hashlib.sha256(data).hexdigest()[:length]}"


def normalize_bundle(bundle: Path) -> None:
    """Rewrites the filter and metadata files of a Pagefind bundle in a stable order (in place)."""
    entry_path = bundle / "pagefind-entry.json"
    if not entry_path.is_file():
        return
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language in entry.get("languages", {}).values():
        old_hash = language.get("hash")
        meta_path = bundle / f"pagefind.{old_hash}.pf_meta"
        meta = _decode(meta_path) if meta_path.is_file() else None
        # [version, index chunks, filters [[name, hash], …], sorts, meta fields]: only the filters move.
        if not isinstance(meta, list) or len(meta) < 4 or not isinstance(meta[3], list):
            continue
        prefix = old_hash.rsplit("_", 1)[0]
        filters = []
        for name, filter_hash in meta[3]:
            path = bundle / "filter" / f"{filter_hash}.pf_filter"
            content = _decode(path)
            if isinstance(content, list) and len(content) == 2 and isinstance(content[1], list):
                content[1].sort(key=lambda value: str(value[0]))
                data = _encode(content)
                new_hash = _name(prefix, data, len(filter_hash.rsplit("_", 1)[-1]))
                path.unlink()
                (bundle / "filter" / f"{new_hash}.pf_filter").write_bytes(data)
                filter_hash = new_hash
            filters.append([name, filter_hash])
        meta[3] = sorted(filters, key=lambda pair: str(pair[0]))
        data = _encode(meta)
        new_hash = _name(prefix, data, len(old_hash.rsplit("_", 1)[-1]))
        meta_path.unlink()
        (bundle / f"pagefind.{new_hash}.pf_meta").write_bytes(data)
        language["hash"] = new_hash
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


#: The folders of a bundle whose files are named after their contents, each named by the metadata.
_HASHED_DIRS = ("fragment", "index", "filter", "sort")


def _strings(value, found: set[str]) -> None:
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, (list, tuple)):
        for part in value:
            _strings(part, found)
    elif isinstance(value, dict):
        for key, part in value.items():
            _strings(key, found)
            _strings(part, found)


def prune_bundle(bundle: Path) -> None:
    """Deletes every content-named file of a bundle its index does not name: a bundle kept from
    an earlier build (so that Pagefind skips writing what it finds) loses the fragments, index
    chunks, filters and metadata of pages that have since changed or been withdrawn. The files
    with fixed names (Pagefind's scripts, styles and WebAssembly) are written by every run."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    named: set[str] = set()
    metas = set()
    for language in entry.get("languages", {}).values():
        metas.add(f"pagefind.{language.get('hash')}.pf_meta")
        meta_path = bundle / f"pagefind.{language.get('hash')}.pf_meta"
        meta = _decode(meta_path)
        if meta is None:
            raise ValueError(f"{meta_path}: not a Pagefind metadata file")
        _strings(meta, named)
    for path in bundle.glob("*.pf_meta"):
        if path.name not in metas:
            path.unlink()
    for folder in _HASHED_DIRS:
        for path in (bundle / folder).glob("*") if (bundle / folder).is_dir() else ():
            if path.is_dir() and not path.is_symlink():
                continue
            if path.name.split(".", 1)[0] not in named:
                path.unlink()
