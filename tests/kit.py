"""A throwaway portal in tmp_path: settings, real SSH keys, items, real builds, byte scans."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def copy_sample(root: Path) -> dict:
    """Copies the repository's sample portal (content, settings, trust file, 标准目录) to ``root``;
    returns its mkdocs.yml as data."""
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "standards", root / "standards")
    for name in ("mkdocs.yml", "reviewers.yml"):
        shutil.copy(REPO / name, root / name)
    return yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
IN_CI = os.environ.get("CI") == "true"


def require(name: str, fallback: str | None = None) -> str:
    """Returns a binary's path; skips locally, fails in CI (where .ci/run installs it), when missing."""
    import pytest

    fallback = fallback or f"/usr/sbin/{name}"
    path = shutil.which(name) or (fallback if os.access(fallback, os.X_OK) else None)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required in CI (.ci/run installs it)")
        pytest.skip(f"{name} not installed")
    return path


def make_pdf(pages: list[str], info_title: str = "", compress: bool = False, annotation: str = "") -> bytes:
    """Returns a minimal valid PDF: one Helvetica text object per page, an xref with true offsets."""
    objects: list[bytes] = []
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    font_id = 3 + 2 * count
    annot_id = font_id + 1
    for i, text in enumerate(pages):
        annots = f" /Annots [{annot_id} 0 R]" if annotation and i == 0 else ""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {4 + 2 * i} 0 R{annots} >>".encode()
        )
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        if compress:
            stream = zlib.compress(stream)
            objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        else:
            objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(f"<< /Type /Annot /Subtype /Text /Rect [0 0 10 10] /Contents ({annotation}) >>".encode())
    info_id = len(objects) + 1
    objects.append(f"<< /Title ({info_title}) >>".encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {info_id} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_bytes(text: str = "attachment") -> bytes:
    """Returns a minimal valid one-page PDF showing ``text`` (ASCII): gongkai reads the text of
    every published attachment and refuses one it cannot read."""
    return make_pdf([text])


def wait_until(check, server: subprocess.Popen, limit: float = 60) -> None:
    """Waits until ``check()`` is true, failing if the server exits or ``limit`` seconds pass."""
    import time

    started = time.monotonic()
    while not check():
        assert server.poll() is None, "gongkai serve exited"
        assert time.monotonic() - started < limit
        time.sleep(0.2)


def free_port() -> int:
    """Returns a TCP port free on the loopback interface."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
REVIEWERS = {
    # id: (name, units, roles)
    "chu": ("初审员", ["xzf", "fgj"], ["初审"]),
    "fu": ("复审员", ["xzf", "fgj"], ["复审"]),
    "zhong": ("终审员", ["xzf", "fgj"], ["终审"]),
    "bm": ("保密员", ["*"], ["保密审查"]),
    "multi": ("多面手", ["xzf"], ["初审", "复审", "终审"]),
    "fgjonly": ("发改初审", ["fgj"], ["初审"]),
}
UNITS = [
    {"id": "xzf", "name": "测试县人民政府办公室", "code": "11369999MB0000001A", "address": "测试县人民路1号", "phone": "0799-1234567"},
    {"id": "fgj", "name": "测试县发展和改革局", "code": "11369999MB0000002B"},
]
ALL_STAGES = ["初审", "复审", "终审", "保密审查"]
STAGE_SIGNER = {"初审": "chu", "复审": "fu", "终审": "zhong", "保密审查": "bm"}


def make_keys(folder: Path, names) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    keys = {}
    for name in names:
        key = folder / name
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@test", "-f", str(key)], check=True)
        keys[name] = key
    return keys


@dataclass
class Portal:
    root: Path
    keys: dict[str, Path]
    extra: dict = field(default_factory=dict)
    reviewers_extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.root / "content").mkdir(parents=True, exist_ok=True)
        (self.root / "hooks").mkdir(exist_ok=True)
        (self.root / "theme").mkdir(exist_ok=True)
        shutil.copy(REPO / "hooks" / "gongkai_hooks.py", self.root / "hooks" / "gongkai_hooks.py")
        self.write_settings()
        self.write_reviewers()

    # ------------------------------------------------------------- setup

    def write_settings(self, **gongkai) -> None:
        settings = {"units": UNITS, **self.extra, **gongkai}
        config = {
            "site_name": "测试县政府信息公开",
            "site_url": "https://www.example.gov.cn/",
            "docs_dir": "content",
            "theme": {"name": "material", "custom_dir": "theme", "language": "zh"},
            "hooks": ["hooks/gongkai_hooks.py"],
            "extra": {"gongkai": settings},
        }
        # JSON is YAML: no quoting surprises in the test settings.
        (self.root / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")

    def write_reviewers(self, **overrides) -> None:
        entries = []
        for rid, (name, units, roles) in REVIEWERS.items():
            pub = self.keys[rid].with_name(rid + ".pub").read_text().strip()
            entry = {"id": rid, "name": name, "units": units, "roles": roles, "keys": [pub]}
            entry.update(overrides.get(rid, {}))
            entries.append(entry)
        (self.root / "reviewers.yml").write_text(json.dumps({"reviewers": entries}, ensure_ascii=False, indent=1), encoding="utf-8")

    def item(self, rel: str, body: str = "正文。", **meta) -> Path:
        """Writes content/<rel> with front-matter from meta (defaults for a valid 主动公开 notice)."""
        seq = len(list((self.root / "content").rglob("*.md"))) + 1
        defaults = {
            "title": f"测试信息{seq}",
            "index_no": f"11369999MB0000001A/2025-{seq:05d}",
            "unit": "xzf",
            "attribute": "主动公开",
            "category": "通知公告",
            "created": "2025-03-01",
            "published": "2025-03-03",
        }
        defaults.update(meta)
        lines = ["---"]
        for key, value in defaults.items():
            if value is None:
                continue
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        lines.append("---")
        path = self.root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8")
        return path

    def sign(self, rel: str, stages=ALL_STAGES, signer: dict | None = None, at: str | None = None) -> None:
        """Signs the item for each stage; by default on the day it says it is published (09:00
        China time) when that day has come, else now: the public date is never earlier than the
        last signature, so a test portal signed today would publish everything today."""
        from gongkai.portal import load_context
        from gongkai.trust.signing import sign_item

        settings, trust = load_context(self.root, json.loads((self.root / "mkdocs.yml").read_text())["extra"]["gongkai"], "测试县")
        at = at or self._signing_time(rel)
        for stage in stages:
            who = (signer or {}).get(stage, STAGE_SIGNER[stage])
            sign_item(self.root, self.root / "content", settings, trust, self.root / "content" / rel, stage, who, self.keys[who], at=at)

    def _signing_time(self, rel: str) -> str | None:
        text = (self.root / "content" / rel).read_text(encoding="utf-8")
        meta = yaml.safe_load(text.split("---", 2)[1]) if text.startswith("---") else None
        if not isinstance(meta, dict):
            return None
        try:
            published = date.fromisoformat(str(meta.get("published")))
            created = date.fromisoformat(str(meta.get("created")))
        except ValueError:
            return None
        today = datetime.now(timezone(timedelta(hours=8))).date()
        if not created <= published < today:
            return None  # 定时发布, or dates a test means to be odd: sign now
        return f"{published}T09:00:00+08:00"

    def forge(self, rel: str, stage: str, who: str, key: str, at: str | None = None) -> None:
        """Appends a review of ``stage`` that claims ``who`` but is signed with ``self.keys[key]``
        over the item as it is now (gongkai sign would refuse a key not registered to who)."""
        from gongkai.model import Review
        from gongkai.read.loader import load_item
        from gongkai.trust import sshsig
        from gongkai.trust.review import NAMESPACE, item_digest, now_at, statement
        from gongkai.trust.signing import add_review

        path = self.root / "content" / rel
        item = load_item(path, self.root / "content", self.root, None).item
        assert item is not None
        at = at or now_at()
        armored = sshsig.sign_with_ssh_keygen(statement(item.index_no, stage, who, at, item_digest(item)), self.keys[key], NAMESPACE)
        path.write_text(add_review(path.read_text(encoding="utf-8"), Review(stage, who, at, armored), rel), encoding="utf-8")

    # ------------------------------------------------------------- run

    def run(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        environment = {**os.environ, **(env or {})}
        return subprocess.run([sys.executable, "-m", "gongkai.cli", *args], cwd=self.root, capture_output=True, text=True, env=environment)

    def build(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return self.run("build", *args, env=env)

    @property
    def site(self) -> Path:
        return self.root / "site"

    def site_files(self) -> list[Path]:
        return [p for p in self.site.rglob("*") if p.is_file()]

    def leaks(self, canary: str) -> list[str]:
        """Returns every built file whose bytes contain the canary (UTF-8, or its JSON/HTML escapes)."""
        return site_leaks(self.site, canary)


def site_leaks(site: Path, canary: str) -> list[str]:
    """Returns every file of the built site whose bytes contain the canary (UTF-8, or its JSON/HTML
    escapes), gzip-compressed files (sitemap.xml.gz, search fragments) read uncompressed too."""
    needles = {canary.encode("utf-8"), json.dumps(canary).strip('"').encode("ascii")}
    found = []
    for path in (p for p in site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # sitemap.xml.gz, search fragments
            try:
                data += gzip.decompress(data)
            except (OSError, EOFError):
                pass
        # Pagefind separates segmented Chinese words with zero-width spaces.
        data = data.replace("\u200b".encode(), b"")
        if any(n in data for n in needles):
            found.append(str(path.relative_to(site)))
    return found


def http_get(port: int, path: str) -> tuple[int, str]:
    """Returns (status, body) of a GET on 127.0.0.1:port; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def stop_server(server: subprocess.Popen) -> None:
    """Stops a `gongkai serve` started in its own session with Ctrl-C, as a user does (MkDocs then
    removes its temporary site folder); kills it when it does not stop."""
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@dataclass
class Desk:
    """A `gongkai review` running in its own session, as a reviewer starts it."""

    process: subprocess.Popen
    url: str  # the link it printed, with its token

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]


def start_desk(root: Path, *args: str, env: dict | None = None) -> Desk:
    """Starts `gongkai review --no-browser ARGS` in ``root`` and returns it once it printed its link."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gongkai.cli", "review", "--no-browser", *args],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})}, start_new_session=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "http://127.0.0.1:" in line:
            return Desk(process, line[line.index("http://") :].strip())
    process.wait(timeout=30)
    raise AssertionError(f"gongkai review did not start (exit {process.returncode}):\n{process.stderr.read() if process.stderr else ''}")


def git(root: Path, *args: str) -> str:
    """Runs git in root as a test user; returns its output (fails the test when git does)."""
    run = subprocess.run(["git", "-c", "user.name=测试", "-c", "user.email=t@example.invalid", "-C", str(root), *args], capture_output=True, text=True)
    assert run.returncode == 0, f"git {' '.join(args)}: {run.stderr}"
    return run.stdout
