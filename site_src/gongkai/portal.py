"""One portal, evaluated: settings, trust roots, every content file and the gate's decisions.

Reading and deciding the content files (UTF-8, YAML, the schema, signatures, the scans) is most
of a build. On a large portal worker processes share it with this one: the files are cut into
slices, the workers take them from the end and this process from the start until they meet (what
this process reads is not sent through a pipe); each worker hands back what it found. Everything
that looks at more than one file (duplicate 索引号 and the decisions they change, relations
between items, annual reports) then runs here on all of them, so the result is exactly that of
reading every file here. The portal's BuildCache is filled here with what the workers read,
decided and verified (`gongkai serve` rebuilds rely on it).

The files are read here, one by one, when:
- there are fewer than PARALLEL_MIN_FILES of them (starting the workers would cost more);
- only one CPU is available;
- the environment variable GONGKAI_WORKERS is 1 (GONGKAI_WORKERS=N: at most N processes read,
  this one and N-1 workers; anything but a positive integer means 1);
- other threads are running (`gongkai serve`'s server: a forked child would inherit their locks
  mid-use) or the platform cannot fork safely;
- the workers fail (one dies, a result cannot be sent back): everything is then read here again.
"""
from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gongkai.cache import BuildCache
from gongkai.errors import Problem
from gongkai.gate.decide import Gate, decide_all, decide_each, remember
from gongkai.gate.scan import id_numbers, secrecy_marks
from gongkai.gate.unique import settle_duplicates
from gongkai.law.taxonomy import ANNUAL_REPORT
from gongkai.model import Decision, Settings, Verdict
from gongkai.read.loader import Loaded, Tree, content_files, finish_tree, load_item, put_cached, take_cached
from gongkai.read.standard import Standards, load_standards
from gongkai.read.wording import Wording, load_wording
from gongkai.report.figures import ReportTables, aggregate_units, report_year
from gongkai.report.labels import DOCUMENT_CATEGORIES
from gongkai.report.tables import aggregate_report_tables, annual_report_tables, previous_report
from gongkai.settings import load_settings
from gongkai.trust.adjust import Filed, filed_records
from gongkai.trust.review import Trust, Verifier, load_trust, remember_verified, verified_mark, verified_since

PARALLEL_MIN_FILES = 300  # below this, the files are read in this process
MAX_WORKERS = 8
CHUNKS_PER_WORKER = 16  # slices per worker: small ones keep the workers busy until the end


@dataclass
class Portal:
    root: Path
    docs_dir: Path
    settings: Settings
    trust: Trust
    tree: Tree
    decisions: list[Decision]
    today: date
    reports: dict[str, ReportTables] = field(default_factory=dict)  # item path -> tables
    workers: int = 1  # processes that read and decided the content files
    cache: BuildCache = field(default_factory=BuildCache)  # what the next evaluate() of this portal may reuse
    standards: Standards = field(default_factory=Standards)  # each unit's 政务公开事项标准目录 (standards/)
    adjustments: list[Filed] = field(default_factory=list)  # the 动态调整 records with a valid 备案, oldest first
    adjustment_problems: list[Problem] = field(default_factory=list)
    wording: Wording = field(default_factory=Wording)  # 表述检查: the built-in list and the portal's wording.yml

    @property
    def problems(self) -> list[Problem]:
        """Returns every problem of the portal, sorted by path and line, each once."""
        found = set(self.trust.problems) | set(self.tree.problems) | set(self.standards.problems) | set(self.adjustment_problems) | set(self.wording.problems)
        for decision in self.decisions:
            found.update(decision.problems)
        for tables in self.reports.values():
            found.update(tables.problems)
        return sorted(found)

    def by_verdict(self, *verdicts: Verdict) -> list[Decision]:
        return [d for d in self.decisions if d.verdict in verdicts]

    def counts(self) -> Counter:
        return Counter(d.verdict for d in self.decisions)


def build_date() -> date:
    """Returns the date the build publishes for: today, or GONGKAI_TODAY=YYYY-MM-DD for previews."""
    value = os.environ.get("GONGKAI_TODAY")
    return date.fromisoformat(value) if value else date.today()


def load_context(root: Path, extra: Any, site_name: str) -> tuple[Settings, Trust]:
    """Returns the validated settings and the trust roots they point to."""
    settings = load_settings(extra, site_name, "mkdocs.yml", source=Path(root) / "mkdocs.yml")
    trust_path = Path(root) / settings.reviewers_file
    return settings, load_trust(trust_path, _display(trust_path, Path(root)), settings)


def evaluate(
    root: Path,
    docs_dir: Path,
    extra: Any,
    site_name: str,
    today: date | None = None,
    *,
    workers: int | None = None,
    min_files: int | None = None,
    cache: BuildCache | None = None,
) -> Portal:
    """Returns the evaluated portal; raises ConfigError when the settings are unusable.

    `workers` asks for that many reading processes, this one included (default: one per CPU, at
    most MAX_WORKERS) and `min_files` is the fewest content files worth them (default
    PARALLEL_MIN_FILES); the rules of the module docstring (GONGKAI_WORKERS, threads) apply in
    any case. `cache` is what earlier evaluations found (the portal's `cache`, given back on a
    rebuild); a new one by default."""
    root, docs_dir = Path(root).resolve(), Path(docs_dir).resolve()
    cache = cache if cache is not None else BuildCache()
    settings, trust = load_context(root, extra, site_name)
    today = today or build_date()
    wording = load_wording(root)
    gate = Gate(settings, Verifier(trust, cache=cache), today, docs_dir, wording)
    paths, skipped = content_files(docs_dir, root)
    count = worker_count(len(paths), workers, min_files)
    files = _read_in_workers(paths, docs_dir, root, settings, gate, count) if count > 1 else None
    if files is None:
        count = 1
        files = [load_item(path, docs_dir, root, settings, cache=cache) for path in paths]
    tree = finish_tree(docs_dir, files, skipped, cache)
    settle_duplicates(tree.files, gate.verifier, settings, root)
    decisions = decide_all(tree.files, gate)
    standards = screened_standards(load_standards(root, settings))
    filed, record_problems = filed_records(root, settings, gate.verifier, standards)
    filed, record_problems = screened_records(filed, record_problems)
    return Portal(root, docs_dir, settings, trust, tree, decisions, today, annual_reports(decisions), count, cache, standards, filed, record_problems, wording)


def worker_count(files: int, workers: int | None = None, min_files: int | None = None) -> int:
    """Returns how many processes should read this many content files (1: this one, alone)."""
    if files < max(PARALLEL_MIN_FILES if min_files is None else min_files, 2):
        return 1
    count = workers if workers is not None else min(_cpus(), MAX_WORKERS)
    limit = os.environ.get("GONGKAI_WORKERS", "").strip()
    if limit:
        try:
            count = min(count, max(int(limit), 1))
        except ValueError:
            count = 1
    if count <= 1 or not _fork_is_safe():
        return 1
    return min(count, files)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on (containers, taskset)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _fork_is_safe() -> bool:
    # A forked child gets a copy of every lock, held or not, but only the thread that forked: no
    # other Python thread may run. (Native pools such as OpenBLAS's, which numpy starts when
    # openpyxl imports it, reset themselves at fork; the workers never use them anyway.)
    return threading.active_count() == 1 and sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


# What the workers need: docs_dir, root, settings, and the gate (with the portal's cache). Set here
# before the workers are forked, and found here by them: a forked process inherits the module as
# it was, while the pool can only send a function by name and its arguments pickled (the cache
# would be copied whole into every slice's task).
_job: tuple[Path, Path, Settings, Gate] | None = None


def _read_in_workers(paths: list[Path], docs_dir: Path, root: Path, settings: Settings, gate: Gate, count: int) -> list[Loaded] | None:
    """Returns the files read by `count` processes (this one and count-1 workers), with their
    decisions, signature checks and reads cached in the gate's cache; None when the workers failed (the cache then holds only
    correct results)."""
    global _job
    size = -(-len(paths) // (count * CHUNKS_PER_WORKER))
    chunks = [paths[start : start + size] for start in range(0, len(paths), size)]
    files: list[Loaded] = []
    _job = (docs_dir, root, settings, gate)
    try:
        executor = ProcessPoolExecutor(count - 1, mp_context=multiprocessing.get_context("fork"), initializer=_worker_started)
    except (OSError, ValueError):
        _job = None
        return None
    # Unpickling the results creates the portal's objects here: the collector would walk all of
    # them again and again (cycles are rare; it runs again afterwards).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for chunk, (loaded, decisions, reads, verified) in zip(chunks, _shared(chunks, executor, count - 1)):
            for path, entry in zip(chunk, reads):
                put_cached(path, entry, gate.cache)
            remember(loaded, decisions, gate)
            remember_verified(gate.cache, verified)
            files.extend(loaded)
    except Exception:  # a worker died (BrokenProcessPool), failed, or its result did not pickle
        executor.shutdown(wait=True, cancel_futures=True)
        return None
    except BaseException:  # Ctrl-C: stop the workers now rather than after their slice
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _job = None
        if collecting:
            _age_all()
            gc.enable()
    executor.shutdown(wait=True)
    return files


def _shared(chunks: list[list[Path]], executor: ProcessPoolExecutor, workers: int) -> list[tuple]:
    """Returns what `_read_and_decide` gives for each slice: the workers take slices from the end
    (two each at a time, so that none waits for the next), this process from the start, until
    none is left; then it waits for the workers' last ones."""
    results: list[Any] = [None] * len(chunks)
    left = deque(range(len(chunks)))
    running: dict[Future, int] = {}
    while left or running:
        while left and len(running) < 2 * workers:
            index = left.pop()
            running[executor.submit(_read_and_decide, chunks[index])] = index
        if left:
            index = left.popleft()
            results[index] = _read_slice(chunks[index])
        else:
            wait(running, return_when=FIRST_COMPLETED)
        for future in [f for f in running if f.done()]:
            results[running.pop(future)] = future.result()
    return results


def _age_all() -> None:
    """Moves every object the collector tracks into its oldest generation without walking them.

    The objects unpickled while the collector was off (the whole portal) would otherwise be
    walked by the next young collections, which find nothing to free among them: 0.3-0.7 s at
    10,000 items. A full collection still looks at them. (gc.freeze then gc.unfreeze merges the
    generations; not when something froze objects on purpose: they would be unfrozen.)"""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _worker_started() -> None:
    # Ctrl-C reaches every process of the terminal: the parent stops the workers itself, and a
    # worker interrupted on its own would print a traceback. The collector stays off, as it was
    # at the fork: reading and deciding makes next to no cyclic garbage, and a worker lives for
    # one evaluation (nor does it then touch, and copy, the pages of the parent's objects).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _read_and_decide(paths: list[Path]) -> tuple[list[Loaded], list[Decision], list[tuple | None], list]:
    """In a worker: `_read_slice` (what the pool runs, by name)."""
    return _read_slice(paths)


def _read_slice(paths: list[Path]) -> tuple[list[Loaded], list[Decision], list[tuple | None], list]:
    """Reads and decides some files; returns them with the cache entries they made."""
    assert _job is not None
    docs_dir, root, settings, gate = _job
    cache = gate.cache
    mark = verified_mark(cache)
    files = [load_item(path, docs_dir, root, settings, cache=cache) for path in paths]
    decisions = decide_each(files, gate)
    # Handed back, not kept: one pickle keeps each Item one object in files, decisions and reads,
    # as the caches need; and the worker does not hold its share of the portal until it exits.
    reads = [take_cached(path, cache) for path in paths]
    return files, decisions, reads, verified_since(cache, mark)


def annual_reports(decisions: list[Decision]) -> dict[str, ReportTables]:
    """Returns the tables of every published annual report, with their cross-checks (SPEC §7)."""
    published = [d.item for d in decisions if d.verdict is Verdict.PUBLISH and d.item is not None]
    reports = [item for item in published if item.category == ANNUAL_REPORT]
    # Table 二 counts only the unit's own 规章 and 规范性文件: each report gets those items rather
    # than scanning the whole portal again (40 reports x 10,000 items was a tenth of a rebuild).
    documents = set(DOCUMENT_CATEGORIES.values())
    by_unit: dict[str, list] = {}
    if reports:
        for item in published:
            if item.category in documents:
                by_unit.setdefault(item.unit, []).append(item)
    result = {}
    units = [item for item in reports if aggregate_units(item) is None]
    for item in units:
        previous = previous_report(item, units)
        result[item.path] = annual_report_tables(item, by_unit.get(item.unit, []), previous, source=item.lines)
    for item in reports:
        listed = aggregate_units(item)
        if listed is None:
            continue
        year = report_year(item)
        found = {(other.unit, report_year(other)): result[other.path] for other in units}
        result[item.path] = aggregate_report_tables(item, {unit: found.get((unit, year)) for unit in listed})
    return result


def _withheld(text: str, path: str, line: int) -> list[Problem]:
    """Returns an error for each 密级 mark or 居民身份证号 in text the portal would publish as it is."""
    found = [Problem(path, line, f"含有密级标志 {mark}:涉密信息不得上网,此内容不予公布") for _, mark in secrecy_marks(text)]
    found += [Problem(path, line, f"含有居民身份证号码 {masked}:此内容不予公布,请删除") for _, masked in id_numbers(text)]
    return found


def screened_standards(standards: Standards) -> Standards:
    """Returns the 标准目录 without the 事项 whose text carries a 密级 mark or an ID number (errors)."""
    problems = list(standards.problems)
    units = []
    for unit in standards.units:
        kept = []
        for matter in unit.matters:
            found = _withheld("\n".join(value for _, value in matter.values), matter.path, matter.line)
            problems += found
            if not found:
                kept.append(matter)
        units.append(dataclasses.replace(unit, matters=tuple(kept)))
    return Standards(tuple(units), tuple(problems))


def screened_records(filed: list[Filed], problems: list[Problem]) -> tuple[list[Filed], list[Problem]]:
    """Returns the filed 动态调整 records without those whose fields carry a 密级 mark or an ID number."""
    kept, found = [], list(problems)
    for entry in filed:
        record = entry.record
        text = "\n".join(str(v) for k, v in record.meta.items() if k != "reviews")
        withheld = _withheld(text, record.path, 1)
        found += withheld
        if not withheld:
            kept.append(entry)
    return kept, found


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
