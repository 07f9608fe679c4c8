"""Worker processes read and decide the content files exactly as one process does (portal.evaluate)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from datetime import date

import pytest

from gongkai import portal as P
from gongkai.cache import BuildCache
from gongkai.model import Verdict
from gongkai.trust import review
from tests.corpus import CASES
from tests.kit import Portal, copy_sample

TODAY = date.today()
linux_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker processes are forked on Linux only")


def evaluated(where, **options) -> P.Portal:
    root, extra, site_name = where
    return P.evaluate(root, root / "content", extra, site_name, today=TODAY, **options)


def outcome(portal: P.Portal) -> tuple:
    """Everything evaluate found: decisions in order (items, texts, problems, reasons), files, reports."""
    files = [(f.path, f.item, f.problems) for f in portal.tree.files]
    return portal.decisions, files, portal.tree.problems, portal.problems, portal.reports, portal.trust.problems


def _broken_files(content, index_no: str) -> None:
    """Files no worker can turn into a valid item, and a 索引号 used twice (a cross-file check)."""
    (content / "zz").mkdir(exist_ok=True)
    (content / "zz/badyaml.md").write_text("---\ntitle: [未闭合\n---\n正文\n", encoding="utf-8")
    (content / "zz/gbk.md").write_bytes("---\ntitle: 关于春节放假的通知\n---\n正文\n".encode("gbk"))
    (content / "zz/nofront.md").write_text("正文,没有 front-matter。\n", encoding="utf-8")
    (content / "zz/secret.md").write_text(
        f"---\ntitle: 涉密\nindex_no: \"{index_no[:-5]}99999\"\nunit: xzf\nattribute: 主动公开\ncategory: 通知公告\n"
        "created: \"2025-03-01\"\npublished: \"2025-03-03\"\nsecrecy: 秘密\n---\n正文\n",
        encoding="utf-8",
    )
    os.symlink(content / "zz/badyaml.md", content / "zz/link.md")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The repository's sample portal (annual reports, 政策解读, every verdict) plus broken files."""
    root = tmp_path_factory.mktemp("sample") / "portal"
    config = copy_sample(root)
    first = sorted((root / "content/xzf").rglob("*.md"))[0]
    # The same signed file twice: the copy is refused for the shared 索引号, wherever it is read.
    shutil.copy(first, root / "content/zz-copy.md")
    index_no = next(line.split(":", 1)[1].strip().strip('"') for line in first.read_text(encoding="utf-8").splitlines() if line.startswith("index_no:"))
    _broken_files(root / "content", index_no)
    return root, config["extra"]["gongkai"], config["site_name"]


def _plant_corpus(portal: Portal, failing: bool) -> dict[str, str]:
    canaries = {}
    for number, case in enumerate(c for c in CASES if failing or c.outcome == "hidden"):
        canaries[case.name] = f"CANARY{number}x{uuid.uuid4().hex[:12]}"
        case.plant(portal, f"c{number:02d}", canaries[case.name])
    for name in ("visible", "other"):
        portal.item(f"ok/{name}.md", "一条正常的信息。")
        portal.sign(f"ok/{name}.md")
    portal.item("ok/pending.md", "待审的信息。")
    portal.sign("ok/pending.md", stages=["初审"])
    return canaries


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, keys):
    """Every case of the adversarial corpus (hidden and failing) in one portal, plus broken files."""
    portal = Portal(tmp_path_factory.mktemp("corpus") / "portal", keys)
    _plant_corpus(portal, failing=True)
    portal.item("ok/dup.md", "索引号与 ok/visible.md 相同。", index_no=_index_of(portal, "ok/visible.md"))
    _broken_files(portal.root / "content", _index_of(portal, "ok/visible.md"))
    return portal.root, json.loads((portal.root / "mkdocs.yml").read_text())["extra"]["gongkai"], "测试县"


def _index_of(portal: Portal, rel: str) -> str:
    text = (portal.root / "content" / rel).read_text(encoding="utf-8")
    return next(json.loads(line.split(":", 1)[1]) for line in text.splitlines() if line.startswith("index_no:"))


@pytest.fixture(params=["sample", "corpus"])
def mixed(request):
    return request.getfixturevalue(request.param)


@linux_fork
def test_workers_decide_exactly_as_one_process(mixed):
    serial = evaluated(mixed, workers=1)
    parallel = evaluated(mixed, workers=2, min_files=1)
    assert (serial.workers, parallel.workers) == (1, 2)
    assert outcome(parallel) == outcome(serial)
    # Workers that inherit warm caches (a second build in the same process) decide the same too.
    again = evaluated(mixed, workers=2, min_files=1, cache=parallel.cache)
    assert again.workers == 2 and outcome(again) == outcome(serial)
    # The portal is the mix the test is about.
    verdicts = {d.verdict for d in serial.decisions}
    assert {Verdict.PUBLISH, Verdict.HOLD, Verdict.REFUSE, Verdict.FAIL, Verdict.EXCLUDE, Verdict.METADATA} <= verdicts
    messages = [str(p) for p in serial.problems]
    # One file keeps the shared 索引号, the other is refused (which one: gate/unique.py).
    assert sum("索引号" in m and "已由" in m for m in messages) == 1
    assert any(m.startswith("content/zz/gbk.md:2: 文件不是 UTF-8 编码") for m in messages)
    assert any(m.startswith("content/zz/link.md:1: 警告: 符号链接") for m in messages)


@linux_fork
def test_this_process_reads_slices_beside_the_worker(sample, monkeypatch, tmp_path):
    # The worker takes slices from the end, this process from the start: every file is read once,
    # by one of the two, and the outcome is that of one process.
    noted = tmp_path / "slices"
    real = P._read_slice

    def noting(paths):
        with open(noted, "a", encoding="ascii") as handle:
            handle.write(f"{os.getpid()} {len(paths)}\n")
        return real(paths)

    monkeypatch.setattr(P, "_read_slice", noting)
    parallel = evaluated(sample, workers=2, min_files=1)
    rows = [line.split() for line in noted.read_text(encoding="ascii").splitlines()]
    assert {int(pid) for pid, _ in rows} - {os.getpid()} and os.getpid() in {int(pid) for pid, _ in rows}
    root = sample[0]
    assert sum(int(n) for _, n in rows) == len(P.content_files(root / "content", root)[0])
    monkeypatch.setattr(P, "_read_slice", real)
    assert outcome(parallel) == outcome(evaluated(sample, workers=1))


@linux_fork
def test_sample_reports_and_relations_are_computed_on_all_items(sample):
    parallel = evaluated(sample, workers=2, min_files=1)
    assert parallel.workers == 2
    assert len(parallel.reports) >= 3  # one annual report per unit, each checked against the others
    assert any(d.item is not None and "interprets" in d.item.meta for d in parallel.by_verdict(Verdict.PUBLISH))


@linux_fork
def test_caches_are_filled_in_this_process(sample, monkeypatch):
    parallel = evaluated(sample, workers=2, min_files=1)
    # `gongkai serve` rebuilds in this process with the same cache: the same files give the very
    # same objects back.
    rebuilt = evaluated(sample, workers=1, cache=parallel.cache)
    assert rebuilt.workers == 1
    pairs = [(a, b) for a, b in zip(parallel.decisions, rebuilt.decisions) if a.item is not None]
    assert len(pairs) > 30 and all(a is b for a, b in pairs)
    # Read and decided again (e.g. after an edit to mkdocs.yml), no signature is verified twice.
    known = BuildCache(verified=parallel.cache.verified)

    def no_crypto(*args, **kwargs):
        raise AssertionError("signature verified again")

    monkeypatch.setattr(review.sshsig, "verify", no_crypto)
    assert outcome(evaluated(sample, workers=1, cache=known)) == outcome(parallel)


def test_gongkai_workers_1_stays_serial(sample, monkeypatch):
    monkeypatch.setenv("GONGKAI_WORKERS", "1")
    assert P.worker_count(100_000) == 1
    assert P.worker_count(100_000, workers=4) == 1
    assert evaluated(sample, workers=2, min_files=1).workers == 1
    for value in ("0", "-3", "zwei", "1.5"):
        monkeypatch.setenv("GONGKAI_WORKERS", value)
        assert P.worker_count(100_000, workers=4) == 1, value


@linux_fork
def test_when_workers_are_used(monkeypatch):
    monkeypatch.delenv("GONGKAI_WORKERS", raising=False)
    assert P.worker_count(P.PARALLEL_MIN_FILES - 1, workers=2) == 1
    assert P.worker_count(P.PARALLEL_MIN_FILES, workers=2) == 2
    assert P.worker_count(5, workers=2, min_files=1) == 2
    assert P.worker_count(1, workers=2, min_files=1) == 1
    monkeypatch.setenv("GONGKAI_WORKERS", "3")
    assert P.worker_count(100_000, workers=8) == 3
    monkeypatch.setattr(P, "_cpus", lambda: 1)
    monkeypatch.delenv("GONGKAI_WORKERS")
    assert P.worker_count(100_000) == 1
    # Another thread alive (`gongkai serve`'s server): never fork.
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert P.worker_count(100_000, workers=2) == 1
    finally:
        stop.set()
        thread.join()
    assert P.worker_count(100_000, workers=2) == 2


# Stand-ins for the workers' function (module level: the pool sends functions by name).
def _raises(paths):
    raise RuntimeError("boom in a worker")


def _dies(paths):
    os._exit(3)


def _unpicklable(paths):
    return lambda: paths


@linux_fork
@pytest.mark.parametrize("failure", [_raises, _dies, _unpicklable], ids=["raises", "dies", "unpicklable"])
def test_failing_workers_fall_back_to_this_process(corpus, failure, monkeypatch, capfd):
    serial = evaluated(corpus, workers=1)
    capfd.readouterr()
    monkeypatch.setattr(P, "_read_and_decide", failure)
    fallback = evaluated(corpus, workers=2, min_files=1)
    assert fallback.workers == 1
    assert outcome(fallback) == outcome(serial)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "boom" not in out + err


_REAL_READ_AND_DECIDE = P._read_and_decide
_LET_THROUGH: list = []  # the first file of the one slice _first_slice_only reads


def _first_slice_only(paths):
    if paths[0] == _LET_THROUGH[0]:
        return _REAL_READ_AND_DECIDE(paths)
    raise RuntimeError("a later slice fails")


@linux_fork
def test_workers_failing_after_some_slices_fall_back_to_the_same(sample, monkeypatch):
    # The slice handed back before the failure filled the caches (with the copy whose 索引号 is a
    # duplicate, decided before that was known): the files read again here must still agree.
    serial = evaluated(sample, workers=1)
    root = sample[0]
    first = P.content_files(root / "content", root)[0][0]
    assert first.name == "zz-copy.md"
    _LET_THROUGH[:] = [first]
    monkeypatch.setattr(P, "_read_and_decide", _first_slice_only)
    fallback = evaluated(sample, workers=2, min_files=1)
    assert fallback.workers == 1
    assert outcome(fallback) == outcome(serial)


def _site_digest(site) -> dict[str, str]:
    """Returns every file's sha256 by path; manifest.json's without the time of the build.

    The search bundle is summed up by its page count: with GONGKAI_WORKERS=1 the pages are also
    rendered in one process and Pagefind reads them in another order (same pages, other bytes)."""
    digests = {
        str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*"))
        if p.is_file() and not str(p.relative_to(site)).startswith("pagefind/")
    }
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("built_at")
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith("pagefind/")}
    digests["manifest.json"] = json.dumps(manifest, sort_keys=True)
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    digests["pagefind pages"] = str(sum(language["page_count"] for language in entry["languages"].values()))
    return digests


FORCE_WORKERS = """
import sys
import gongkai.portal as p
p.PARALLEL_MIN_FILES = 1
real = p._read_in_workers
def spy(*args):
    files = real(*args)
    print(f"gongkai-test: {args[-1]} workers, {'ok' if files is not None else 'failed'}", file=sys.stderr)
    return files
p._read_in_workers = spy
from gongkai.cli import main
sys.exit(main(sys.argv[1:]))
"""


@linux_fork
def test_a_build_with_workers_is_the_same_site(tmp_path, keys):
    portal = Portal(tmp_path / "portal", keys)
    canaries = _plant_corpus(portal, failing=False)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1740000000"}
    env.pop("GONGKAI_WORKERS", None)
    serial = portal.build("-d", str(tmp_path / "serial"), env={**env, "GONGKAI_WORKERS": "1"})
    assert serial.returncode == 0, serial.stderr
    parallel = subprocess.run(
        [sys.executable, "-c", FORCE_WORKERS, "build", "-d", str(tmp_path / "parallel")], cwd=portal.root, capture_output=True, text=True, env=env
    )
    assert parallel.returncode == 0, parallel.stderr
    assert "gongkai-test: " in parallel.stderr and " workers, ok" in parallel.stderr
    assert "Traceback" not in parallel.stderr
    assert _site_digest(tmp_path / "parallel") == _site_digest(tmp_path / "serial")
    portal_site = portal.root / "site"
    shutil.copytree(tmp_path / "parallel", portal_site)
    for name, canary in canaries.items():
        assert portal.leaks(canary) == [], name
