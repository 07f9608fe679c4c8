"""Benchmarks gongkai against plain MkDocs + Material + its built-in search, in one run.

    python bench/run.py --items 10000 [--runs 3] [--seed 7] [--no-serve] [--profile]
    python bench/run.py --table            # one Markdown table of every bench/out/results-*.json

For a portal of N items made by bench/generate.py (generated once, reused while the generator is
unchanged), it times, alternating the order from run to run:

  (a) `gongkai build --strict` on the portal;
  (b) `mkdocs build` of the same published pages (title + published body) with plain Material and
      its built-in search (`plugins: [search: {lang: zh}]`, with jieba when installed), out of the nav;
  (z) when the `zensical` package is installed (`pip install -e ".[bench]"`), `zensical build` of
      those same pages (plain/zensical.yml inherits plain/mkdocs.yml): cold (its site and its cache,
      plain/.cache/, removed) and warm (a second build right after, cache and site kept);

and prints the median wall time, the peak memory (the largest resident set of the process tree,
sampled from /proc, and the largest single process from wait4), site bytes per item, the bytes one
search query downloads, the ratio a/b, and - unless --no-serve - how long `gongkai serve` takes to
show an edit of one item (re-signed, as a reviewed edit arrives) on the same portal.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

SOURCE_DATE_EPOCH = "1782777600"  # 2026-06-30T00:00:00Z: reproducible sitemaps and gzip headers
FRAGMENTS_PER_QUERY = 5  # the Pagefind UI loads the first five results' fragments


TAG = ""
REBUILDS = ("unchanged", "one_edit")  # the rebuilds timed after each clean build of a gongkai engine
ENGINE: Path | None = None  # --engine: another gongkai checkout (site_src/, hooks/, theme/) timed in the same run
SITES = {"zensical": generate.ZENSICAL_SITE}  # a contender's site folder, when not site/


def zensical_version() -> str | None:
    """Returns the installed Zensical's version, or None when it is not installed."""
    try:
        return importlib.metadata.version("zensical")
    except importlib.metadata.PackageNotFoundError:
        return None


def build_env(engine: Path | None = None) -> dict:
    """Returns the build environment; with ``engine``, gongkai is imported from its site_src/."""
    env = {**os.environ, "GONGKAI_TODAY": generate.TODAY.isoformat(), "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    if engine is not None:
        env["PYTHONPATH"] = str(engine / "site_src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def engine_portal(portal: Path, engine: Path) -> Path:
    """Returns a copy of the portal (content hard-linked) carrying the other engine's hooks/ and theme/."""
    copy = portal.parent / f"{portal.name}-engine"
    shutil.rmtree(copy, ignore_errors=True)
    skip = shutil.ignore_patterns("site", "plain", "hooks", "theme", "__pycache__")
    shutil.copytree(portal, copy, ignore=skip, copy_function=os.link)
    for name in ("hooks", "theme"):
        shutil.copytree(engine / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


# --------------------------------------------------------------------------- measuring


def _tree_rss(root: int) -> int:
    """Returns the summed resident set (bytes) of ``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(stat[1]), []).append(pid)
        rss[pid] = int(stat[21]) * page
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(command: list[str], cwd: Path, env: dict, log: Path) -> dict:
    """Runs ``command``; returns wall seconds, exit code, peak tree RSS and the largest process RSS."""
    with open(log, "wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss(process.pid))
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": wall,
        "returncode": process.returncode,
        "peak_tree_mb": peak[0] / 2**20,
        "peak_process_mb": usage.ru_maxrss / 1024,  # KiB on Linux: the largest of the process and its reaped descendants
    }


def tree_bytes(folder: Path) -> tuple[int, int]:
    total = files = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            total += os.lstat(os.path.join(dirpath, name)).st_size
            files += 1
    return total, files


def pagefind_query_bytes(site: Path) -> dict:
    """Returns the bytes one search downloads from the Pagefind bundle, by part, as the server of
    deploy/nginx.conf sends them (JS and CSS gzip'ed; the .pf_* files and the WASM are gzip'ed
    already).

    Entry JSON, the JS API, its web worker and the UI, the Chinese WASM, the metadata, every filter
    chunk (the UI loads them to show the filters), one word-index chunk (a one-word query loads one:
    the largest for "max", the median for "typical") and five result fragments (the largest five
    for "max", five of median size for "typical"). An index in shards (pagefind/2/, …, named by
    pagefind/gongkai-shards.json): the scripts and WASM once, each shard's entry, metadata, filters
    and one word-index chunk, the fragments from all."""
    bundle = site / "pagefind"
    if not bundle.is_dir():
        return {}

    def size(paths) -> int:
        return sum(p.stat().st_size for p in paths)

    shards = [bundle]
    names = bundle / "gongkai-shards.json"
    if names.is_file():
        shards += [bundle / name.rstrip("/") for name in json.loads(names.read_text(encoding="utf-8")).get("bundles", [])]
    fragments = sorted((p.stat().st_size for b in shards for p in (b / "fragment").glob("*.pf_fragment")), reverse=True)
    wasm = [p for p in bundle.glob("wasm.*.pagefind")]
    zh = [p for p in wasm if ".zh" in p.name] or wasm[:1]
    code_names = ["pagefind.js", "pagefind-ui.js", "pagefind-ui.css"]
    if "pagefind-worker.js" in (bundle / "pagefind.js").read_text(encoding="utf-8", errors="replace"):
        code_names.append("pagefind-worker.js")  # Pagefind 1.5 searches in a web worker
    code = [(bundle / name).read_bytes() for name in code_names if (bundle / name).is_file()]
    chunk_max = chunk_median = 0
    all_chunks: list[int] = []
    for b in shards:
        chunks = sorted(p.stat().st_size for p in (b / "index").glob("*.pf_index"))
        all_chunks += chunks
        chunk_max += chunks[-1] if chunks else 0
        chunk_median += int(statistics.median(chunks)) if chunks else 0
    parts = {
        "shards": len(shards),
        "entry": sum(size(b.glob("pagefind-entry.json")) for b in shards) + (names.stat().st_size if names.is_file() else 0),
        "js_raw": sum(len(c) for c in code),
        "js": sum(len(gzip.compress(c, 6)) for c in code),
        "wasm": size(zh),
        "meta": sum(max((p.stat().st_size for p in b.glob("*.pf_meta")), default=0) for b in shards),
        "filters": sum(size((b / "filter").glob("*.pf_filter")) for b in shards if (b / "filter").is_dir()),
        "index_chunk": chunk_max,
        "fragments": sum(fragments[:FRAGMENTS_PER_QUERY]),
    }
    fixed = parts["entry"] + parts["js"] + parts["wasm"] + parts["meta"] + parts["filters"]
    parts["total"] = fixed + parts["index_chunk"] + parts["fragments"]
    median_fragment = int(statistics.median(fragments)) if fragments else 0
    parts["typical"] = fixed + chunk_median + FRAGMENTS_PER_QUERY * median_fragment
    all_chunks.sort()
    parts["index_chunks"] = len(all_chunks)
    parts["index_chunk_median"] = int(statistics.median(all_chunks)) if all_chunks else 0
    parts["index_chunk_p90"] = all_chunks[int(len(all_chunks) * 0.9)] if all_chunks else 0
    parts["bundle_bytes"] = tree_bytes(bundle)[0]
    return parts


def material_query_bytes(site: Path) -> dict:
    """Returns the bytes one search downloads with Material's search: the whole index and its worker."""
    index = site / "search" / "search_index.json"
    if not index.is_file():
        return {}
    data = index.read_bytes()
    worker = sum(p.stat().st_size for p in (site / "assets" / "javascripts" / "workers").glob("search.*.js"))
    lunr = sum(p.stat().st_size for p in (site / "assets" / "javascripts" / "lunr").rglob("*zh*.js"))
    index_gzip = len(gzip.compress(data, 6))
    return {"index": len(data), "index_gzip": index_gzip, "worker": worker, "lunr_zh": lunr, "total": len(data) + worker + lunr, "typical": index_gzip + worker // 3 + lunr}


def zensical_query_bytes(site: Path) -> dict:
    """Returns the bytes one search downloads with Zensical's search: its whole index (search.json)
    and the search worker, raw and gzip'ed."""
    index = site / "search.json"
    if not index.is_file():
        return {}
    data = index.read_bytes()
    workers = [p.read_bytes() for p in (site / "assets" / "javascripts" / "workers").glob("search.*.js")]
    index_gzip = len(gzip.compress(data, 6))
    worker, worker_gzip = sum(len(w) for w in workers), sum(len(gzip.compress(w, 6)) for w in workers)
    return {"index": len(data), "index_gzip": index_gzip, "worker": worker, "worker_gzip": worker_gzip,
            "total": len(data) + worker, "typical": index_gzip + worker_gzip}


# --------------------------------------------------------------------------- preview


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, body
    except (OSError, http.client.HTTPException):
        return 0, ""


def _wait_for_page(server, port: int, url: str, shows, started: float, limit: float, interval: float,
                   exited: str, late: str) -> str:
    """Polls url until it answers 200 with a body `shows` accepts; returns "" or what went wrong
    (`exited` with {code} for the server's exit status, or `late` after `limit` seconds)."""
    while True:
        status, body = _get(port, url)
        if status == 200 and shows(body):
            return ""
        if server.poll() is not None:
            return exited.format(code=server.returncode)
        if time.monotonic() - started > limit:
            return late
        time.sleep(interval)


def measure_preview(portal: Path, seed: int, rel: str, edits: int, startup_limit: float, edit_limit: float) -> dict:
    """Starts `gongkai serve` on a free loopback port, edits one item ``edits`` times (each edit
    re-signed), and returns the seconds until the served page showed each edit."""
    from gongkai.law.layout import page_url

    port = _free_port()
    url = "/" + page_url(rel)
    item = portal / "content" / rel
    original = item.read_bytes()
    log = OUT / f"serve-{portal.name}.log"
    handle = open(log, "wb")
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "gongkai.cli", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=portal, env=build_env(), stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    result: dict = {"url": url, "edits_s": []}
    try:
        error = _wait_for_page(server, port, url, lambda body: True, started, startup_limit, 0.5,
                               f"gongkai serve exited with {{code}} (see {log})",
                               f"the first page was not served within {startup_limit:.0f} s")
        if error:
            result["error"] = error
            return result
        result["startup_s"] = time.monotonic() - started
        time.sleep(2)  # let the watcher settle after the first build
        for number in range(1, edits + 1):
            marker = f"预览标记{number}号{int(time.time() * 1000) % 100000}"
            begun = time.monotonic()
            generate.resign(portal, rel, seed, marker)
            error = _wait_for_page(server, port, url, lambda body, marker=marker: marker in body, begun, edit_limit, 0.05,
                                   f"gongkai serve exited with {{code}} during edit {number} (see {log})",
                                   f"edit {number} was not shown within {edit_limit:.0f} s")
            if error:
                result["error"] = error
                return result
            result["edits_s"].append(time.monotonic() - begun)
            time.sleep(1.5)
        return result
    finally:
        try:
            # Ctrl-C to the session this runner started for it: MkDocs then removes its temporary
            # site folder (SIGTERM left ~250 MB in /tmp per run of 10,000 items).
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.wait()
        handle.close()
        item.write_bytes(original)
        if result["edits_s"]:
            result["median_s"] = statistics.median(result["edits_s"])


# --------------------------------------------------------------------------- profile


def profile_path(portal: Path) -> Path:
    """bench/out/profile-portal-N{--tag}.txt: a before/after pair is kept with --tag=-before."""
    return OUT / f"profile-{portal.name}{TAG}.txt"


def profile(portal: Path, top: int = 30) -> str:
    """Returns the cProfile top entries (cumulative and own time) of one clean `gongkai build
    --strict`, and writes them to profile_path() (the raw stats beside it, .prof)."""
    import io
    import pstats

    target = profile_path(portal).with_suffix(".prof")
    # A clean build (no site, no build cache), as the timed clean builds.
    shutil.rmtree(portal / "site", ignore_errors=True)
    shutil.rmtree(portal / ".cache", ignore_errors=True)
    started = time.monotonic()
    # One process: cProfile sees only the process it runs in, not the workers that read the files.
    run = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(target), "-m", "gongkai.cli", "build", "--strict"],
        cwd=portal, env={**build_env(), "GONGKAI_WORKERS": "1"}, capture_output=True, text=True,
    )
    if run.returncode != 0:
        return f"profiled build failed ({run.returncode}):\n{run.stderr[-3000:]}"
    text = io.StringIO()
    text.write(f"cProfile of one clean `gongkai build --strict` of {portal.name} (GONGKAI_WORKERS=1), tag {TAG or '(none)'}, "
               f"{time.strftime('%Y-%m-%d %H:%M')}, {time.monotonic() - started:.1f} s with the profiler; top {top} by cumulative, then by own time\n")
    stats = pstats.Stats(str(target), stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    report = text.getvalue()
    profile_path(portal).write_text(report, encoding="utf-8")
    return report


# --------------------------------------------------------------------------- main


def ensure_portal(items: int, seed: int) -> tuple[Path, dict]:
    portal = OUT / f"portal-{items}" if seed == 7 else OUT / f"portal-{items}-s{seed}"
    info_path = portal / "bench.json"
    if info_path.is_file():
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if info.get("generator") == generate.GENERATOR_VERSION and info.get("items") == items and info.get("seed") == seed:
            generate.refresh_engine_files(portal)
            return portal, info
    print(f"generating a portal of {items} items in {portal} …", flush=True)
    info = generate.generate(items, seed, portal)
    print(f"  {info['signatures']} signatures, {info['ssh_keygen_verified']} cross-checked with ssh-keygen -Y verify, {info['seconds']} s", flush=True)
    return portal, info


def run(args) -> dict:
    OUT.mkdir(exist_ok=True)
    portal, info = ensure_portal(args.items, args.seed)
    gongkai_cmd = [sys.executable, "-m", "gongkai.cli", "build", "--strict"]
    plain_cmd = [sys.executable, "-m", "mkdocs", "build", "-q"]
    runs: dict[str, list[dict]] = {"gongkai": [], "plain": []}
    contenders = [("gongkai", portal, gongkai_cmd, build_env()), ("plain", portal / "plain", plain_cmd, build_env())]
    if ENGINE is not None:
        runs["other"] = []
        contenders.insert(1, ("other", engine_portal(portal, ENGINE), gongkai_cmd, build_env(ENGINE)))
    version = zensical_version() if args.zensical else None
    if args.zensical and version is None:
        print("  zensical is not installed: its builds are skipped (pip install -e \".[bench]\")", flush=True)
    if version is not None:
        # The same plain pages, read through plain/zensical.yml (INHERIT: mkdocs.yml), into plain/site-zensical/.
        generate.write_zensical_config(portal / "plain")
        runs["zensical"], runs["zensical_warm"] = [], []
        zensical_cmd = [sys.executable, "-m", "zensical", "build", "-f", generate.ZENSICAL_CONFIG]
        contenders.append(("zensical", portal / "plain", zensical_cmd, build_env()))
    engines = [name for name, *_ in contenders if name not in ("plain", "zensical")]
    if args.rebuilds:
        for name in engines:
            for kind in REBUILDS:
                runs[f"{name}_{kind}"] = []
    for number in range(args.runs):
        order = contenders[::-1] if number % 2 else list(contenders)
        for name, cwd, command, env in order:
            # A clean build: no site, no build cache (.cache/gongkai/; Zensical's .cache/) of an earlier one.
            shutil.rmtree(cwd / SITES.get(name, "site"), ignore_errors=True)
            if name != "plain":  # MkDocs keeps no cache; plain/.cache/ is Zensical's
                shutil.rmtree(cwd / ".cache", ignore_errors=True)
            runs[name].append(_timed(name, "cold" if name == "zensical" else "clean", cwd, command, env, number, args.items))
            if name == "zensical":
                # Warm: the same build again right after, its on-disk cache (and its site) kept.
                runs["zensical_warm"].append(_timed(name, "warm", cwd, command, env, number, args.items))
            if args.rebuilds and name in engines:
                # Right after its clean build, into the same site: nothing changed, then one item
                # edited and re-signed (as a reviewed edit arrives with git pull), then put back.
                runs[f"{name}_unchanged"].append(_timed(name, "unchanged", cwd, command, env, number, args.items))
                item = cwd / "content" / info["edit_candidate"]
                original = item.read_bytes()
                generate.resign(cwd, info["edit_candidate"], args.seed, f"基准测试修改标记{number + 1}号")
                try:
                    runs[f"{name}_one_edit"].append(_timed(name, "one_edit", cwd, command, env, number, args.items))
                finally:
                    tmp = item.with_name("." + item.name + ".restore")
                    tmp.write_bytes(original)
                    os.replace(tmp, item)  # a new file: the --engine copy hard-links the original
    summary: dict = {
        "items": args.items,
        "published_pages": info["publishes"],
        "runs": args.runs,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "load_before": os.getloadavg()[0],
    }
    places = {name: cwd for name, cwd, _, _ in contenders if name != "zensical"}
    for name in places:
        site = places[name] / "site"
        size, files = tree_bytes(site)
        summary[name] = {
            "wall_s": statistics.median(r["wall_s"] for r in runs[name]),
            "wall_all_s": [round(r["wall_s"], 2) for r in runs[name]],
            "peak_tree_mb": max(r["peak_tree_mb"] for r in runs[name]),
            "peak_process_mb": max(r["peak_process_mb"] for r in runs[name]),
            "site_bytes": size,
            "site_files": files,
            "bytes_per_item": size / args.items,
            "search": material_query_bytes(site) if name == "plain" else pagefind_query_bytes(site),
        }
    summary["ratio"] = summary["gongkai"]["wall_s"] / summary["plain"]["wall_s"]
    summary["ratio_clean"] = summary["ratio"]
    summary["ratio_clean_spread"] = _spread([a["wall_s"] / b["wall_s"] for a, b in zip(runs["gongkai"], runs["plain"])])
    if args.rebuilds:
        for name in engines:
            for kind in REBUILDS:
                walls = [r["wall_s"] for r in runs[f"{name}_{kind}"]]
                summary[name][f"rebuild_{kind}"] = {
                    "wall_s": statistics.median(walls),
                    "wall_all_s": [round(w, 2) for w in walls],
                    "peak_tree_mb": max(r["peak_tree_mb"] for r in runs[f"{name}_{kind}"]),
                    # Per round, over that round's clean build of the same engine.
                    "over_clean": _spread([r["wall_s"] / c["wall_s"] for r, c in zip(runs[f"{name}_{kind}"], runs[name])]),
                }
        for kind in REBUILDS:
            summary[f"ratio_rebuild_{kind}"] = summary["gongkai"][f"rebuild_{kind}"]["wall_s"] / summary["gongkai"]["wall_s"]
    summary["zensical"] = zensical_summary(runs, portal / "plain", version, args) if version else {"skipped": "not installed" if args.zensical else "--no-zensical"}
    if version:
        for kind, key in (("cold", "zensical"), ("warm", "zensical_warm")):
            summary[f"ratio_zensical_{kind}"] = summary["zensical"][kind]["wall_s"] / summary["plain"]["wall_s"]
            summary[f"ratio_zensical_{kind}_spread"] = _spread([z["wall_s"] / b["wall_s"] for z, b in zip(runs[key], runs["plain"])])
    if "other" in runs:
        summary["engine_path"] = str(ENGINE)
        summary["engine_ratio"] = summary["other"]["wall_s"] / summary["plain"]["wall_s"]
        # Per interleaved round: this engine's time over the other engine's, so that noise shared by
        # one round cancels; the median and range of those ratios is the comparison.
        pairs = [a["wall_s"] / b["wall_s"] for a, b in zip(runs["gongkai"], runs["other"])]
        summary["new_over_engine"] = {"median": statistics.median(pairs), "min": min(pairs), "max": max(pairs)}
    try:
        import jieba  # noqa: F401

        summary["plain_search_segmentation"] = "jieba"
    except ImportError:
        summary["plain_search_segmentation"] = "none (jieba not installed: Material indexes Chinese unsegmented)"
    if args.serve:
        print("  preview: starting gongkai serve …", flush=True)
        summary["preview"] = measure_preview(portal, args.seed, info["edit_candidate"], args.edits, args.startup_limit, args.edit_limit)
    if args.profile:
        print("  profiling one gongkai build --strict (cProfile) …", flush=True)
        report = profile(portal)
        summary["profile"] = str(profile_path(portal))
        print(report[:6000])
        print(f"  (all of it in {profile_path(portal)})")
    summary["engine"] = "installed"
    if args.label:
        summary["label"] = args.label
    (OUT / f"results-{args.items}{args.tag}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return summary


def _walls(results: list[dict]) -> dict:
    """The median wall time, every run's, and the peak memory of a list of measure() results."""
    return {
        "wall_s": statistics.median(r["wall_s"] for r in results),
        "wall_all_s": [round(r["wall_s"], 2) for r in results],
        "peak_tree_mb": max(r["peak_tree_mb"] for r in results),
        "peak_process_mb": max(r["peak_process_mb"] for r in results),
    }


def zensical_summary(runs: dict, plain: Path, version: str, args) -> dict:
    """Zensical's cold and warm builds of the plain pages: medians, every run, peak memory, its site
    and its search download."""
    site = plain / generate.ZENSICAL_SITE
    size, files = tree_bytes(site)
    cold, warm = runs["zensical"], runs["zensical_warm"]
    return {
        "version": version,
        "command": f"zensical build -f {generate.ZENSICAL_CONFIG}",
        "config": f"plain/{generate.ZENSICAL_CONFIG} (INHERIT: mkdocs.yml, site_dir: {generate.ZENSICAL_SITE})",
        "cache": "plain/.cache/",
        # reported_all_s: what Zensical itself prints ("Build finished in …"), without starting Python and loading the config.
        "cold": {**_walls(cold), "reported_all_s": [r.get("reported_s") for r in cold]},
        # Per round, over that round's cold build.
        "warm": {**_walls(warm), "reported_all_s": [r.get("reported_s") for r in warm], "over_cold": _spread([w["wall_s"] / c["wall_s"] for w, c in zip(warm, cold)])},
        "site_bytes": size,
        "site_files": files,
        "bytes_per_item": size / args.items,
        "search": zensical_query_bytes(site),
    }


def _timed(name: str, kind: str, cwd: Path, command: list[str], env: dict, number: int, items: int) -> dict:
    """Times one build (measure) and stops the run if it failed."""
    log = OUT / f"build-{name}-{kind}-{items}.log"
    result = measure(command, cwd, env, log)
    if name == "zensical":
        reported = re.search(r"Build finished in ([0-9.]+)(m?s)", log.read_text(errors="replace"))
        if reported:
            result["reported_s"] = float(reported.group(1)) / (1000 if reported.group(2) == "ms" else 1)
    print(f"  run {number + 1}: {name:8s} {kind:9s} {result['wall_s']:7.1f} s  peak {result['peak_tree_mb']:6.0f} MB  exit {result['returncode']}", flush=True)
    if result["returncode"] != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise SystemExit(f"{name} {kind} build failed (exit {result['returncode']}):\n{tail}")
    return result


def _spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _size(value: float) -> str:
    return f"{value / 2**20:,.1f} MB" if value >= 2**20 else f"{value / 1024:,.0f} KB"


def _mb(value: float) -> str:
    return f"{value:,.0f} MB"


TABLE_HEAD = (
    "| 信息条数 | 原生 MkDocs + Material + 搜索 | gongkai 清空后构建 | 与原生之比 | 未变重建,占清空后构建 | 改一条后重建,占清空后构建 "
    "| Zensical 冷构建,与原生之比 | Zensical 热构建,与原生之比 | gongkai 峰值内存(进程树) | 每次搜索下载(典型 / 最多) |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def table(results: list[dict]) -> str:
    """One Markdown table (the README's 性能 table), a row per results file, and a line on linearity.
    Medians; in brackets the range (min–max) over the runs, or over the rounds for a ratio."""
    rows = [TABLE_HEAD]
    ordered = sorted(results, key=lambda r: (r["items"], r.get("label", "")))
    for r in ordered:
        a, b = r["gongkai"], r["plain"]
        name = f"{r['items']:,}" + (f" {r['label']}" if r.get("label") else "")
        rows.append(
            f"| {name} | {_secs(b)} | {_secs(a)} | {_ratio(r['ratio'], r.get('ratio_clean_spread'))} "
            f"| {_share(a.get('rebuild_unchanged'))} | {_share(a.get('rebuild_one_edit'))} "
            f"| {_zensical(r, 'cold')} | {_zensical(r, 'warm')} | {_mb(a['peak_tree_mb'])} "
            f"| {a['search'].get('typical', 0) / 1024:,.0f} KB / {a['search'].get('total', 0) / 1024:,.0f} KB{_shards(a['search'])} |"
        )
    sizes = [r for r in ordered if not r.get("label")]
    if sizes:
        per = ",".join(f"{r['items']:,} 条 {r['gongkai']['wall_s'] / r['items'] * 1000:.1f} s" for r in sizes)
        plain = "、".join(f"{r['plain']['wall_s'] / r['items'] * 1000:.1f}" for r in sizes)
        rows.append(f"\n线性(清空后构建,每 1,000 条信息的秒数):gongkai {per};原生 MkDocs 依次为 {plain} s。")
    return "\n".join(rows)


def _shards(search: dict) -> str:
    """ "(n 个分片)" when the index is in shards."""
    return f"({search['shards']} 个分片)" if search.get("shards", 1) > 1 else ""


def _range(values: list[float], shown) -> str:
    """ "(min–max)" of values as `shown` writes them, or nothing for one run or no spread."""
    if len(values) < 2 or shown(min(values)) == shown(max(values)):
        return ""
    return f"({shown(min(values))}–{shown(max(values))})"


def _secs(block: dict) -> str:
    return f"{block['wall_s']:.1f} s" + _range(block.get("wall_all_s", []), lambda v: f"{v:.1f}")


def _ratio(median: float, spread: dict | None) -> str:
    values = [spread["min"], spread["max"]] if spread else []
    return f"{median:.2f}" + _range(values, lambda v: f"{v:.2f}")


def _share(rebuild: dict | None) -> str:
    """A rebuild's seconds and, per round, its share of that round's clean build (median, range)."""
    if not rebuild:
        return "—"
    over = rebuild["over_clean"]

    def percent(value: float) -> str:
        return f"{value * 100:.0f}"

    spread = _range([over["min"], over["max"]], percent)
    return f"{_secs(rebuild)},{percent(over['median'])}%" + (spread.replace(")", "%)") if spread else "")


def _zensical(result: dict, kind: str) -> str:
    zensical = result.get("zensical") or {}
    if kind not in zensical:
        return "未测" if zensical.get("skipped") else "—"
    return f"{_secs(zensical[kind])},{_ratio(result[f'ratio_zensical_{kind}'], result.get(f'ratio_zensical_{kind}_spread'))}"


def results_files(tag: str) -> list[Path]:
    """The results-N{tag}.json files, one per portal size (N digits; untagged by default)."""
    files = []
    for path in OUT.glob(f"results-*{tag}.json"):
        if path.name[len("results-") : -len(f"{tag}.json")].isdigit():
            files.append(path)
    return files


def print_summary(summary: dict) -> None:
    a, b = summary["gongkai"], summary["plain"]
    print()
    print(f"items {summary['items']:,} ({summary['published_pages']:,} published pages), {summary['runs']} run(s), medians; {summary['machine']}")
    print(f"  (a) gongkai build --strict      {a['wall_s']:8.1f} s   runs {a['wall_all_s']}")
    print(f"  (b) MkDocs + Material + search  {b['wall_s']:8.1f} s   runs {b['wall_all_s']}   segmentation: {summary['plain_search_segmentation']}")
    print(f"  a/b                             {summary['ratio']:8.2f} (per round {summary['ratio_clean_spread']['min']:.2f}-{summary['ratio_clean_spread']['max']:.2f})")
    for name in ("gongkai", "other"):
        for kind in REBUILDS:
            rebuild = summary.get(name, {}).get(f"rebuild_{kind}")
            if rebuild:
                spread = rebuild["over_clean"]
                print(f"  {'(a)' if name == 'gongkai' else '(e)'} rebuild, {kind:9s}         {rebuild['wall_s']:8.1f} s   runs {rebuild['wall_all_s']}   / its clean build {spread['median']:.2f} ({spread['min']:.2f}-{spread['max']:.2f})")
    z = summary.get("zensical") or {}
    if "cold" in z:
        cold, warm = z["cold"], z["warm"]
        print(f"  (z) zensical {z['version']} cold       {cold['wall_s']:8.1f} s   runs {cold['wall_all_s']}   z/b {summary['ratio_zensical_cold']:.2f}   peak {cold['peak_tree_mb']:.0f} MB")
        print(f"  (z) zensical warm (cache kept) {warm['wall_s']:8.1f} s   runs {warm['wall_all_s']}   z/b {summary['ratio_zensical_warm']:.2f}   peak {warm['peak_tree_mb']:.0f} MB   / cold {warm['over_cold']['median']:.2f}")
        print(f"      site {z['site_bytes'] / 2**20:.1f} MB in {z['site_files']:,} files; search download {_size(z['search'].get('typical', 0))} gzip'ed, {_size(z['search'].get('total', 0))} raw")
    elif z.get("skipped"):
        print(f"  (z) zensical: skipped ({z['skipped']})")
    if "other" in summary:
        e = summary["other"]
        n = summary["new_over_engine"]
        print(f"  (e) --engine {summary['engine_path']}\n                                  {e['wall_s']:8.1f} s   runs {e['wall_all_s']}   e/b {summary['engine_ratio']:.2f}")
        print(f"  a/e per round                   {n['median']:8.2f} (range {n['min']:.2f}-{n['max']:.2f})")
    print(f"  peak memory (process tree)      {a['peak_tree_mb']:8.0f} MB / {b['peak_tree_mb']:.0f} MB   (largest process {a['peak_process_mb']:.0f} / {b['peak_process_mb']:.0f} MB)")
    print(f"  site                            {a['site_bytes'] / 2**20:8.1f} MB in {a['site_files']:,} files / {b['site_bytes'] / 2**20:.1f} MB in {b['site_files']:,} files")
    print(f"  site bytes per item             {a['bytes_per_item']:8.0f} / {b['bytes_per_item']:.0f}")
    sa, sb = a["search"], b["search"]
    print(f"  search download per query       {sa.get('typical', 0) / 1024:8.1f} KB typical, {sa.get('total', 0) / 1024:.1f} KB at most / Material {_size(sb.get('typical', 0))} gzip'ed, {_size(sb.get('total', 0))} raw")
    print(f"    Pagefind: {json.dumps({k: v for k, v in sa.items()}, ensure_ascii=False)}")
    print(f"    Material: {json.dumps(sb, ensure_ascii=False)}")
    preview = summary.get("preview")
    if preview:
        if preview.get("edits_s"):
            print(f"  preview of an edit (serve)      {preview['median_s']:8.1f} s   edits {[round(x, 2) for x in preview['edits_s']]}, first build served after {preview.get('startup_s', 0):.0f} s")
        if preview.get("error"):
            print(f"  preview: {preview['error']}")
    print()
    print(table([summary]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gongkai vs plain MkDocs + Material + search, in one run")
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-serve", dest="serve", action="store_false", help="skip the preview measurement")
    parser.add_argument("--no-rebuilds", dest="rebuilds", action="store_false", help="skip the unchanged and one-edit rebuilds")
    parser.add_argument("--no-zensical", dest="zensical", action="store_false", help="skip Zensical's cold and warm builds (skipped anyway when it is not installed)")
    parser.add_argument("--serve-only", action="store_true", help="only measure the preview (no builds)")
    parser.add_argument("--rescan", action="store_true", help="recompute the search figures of results-N.json from the sites on disk")
    parser.add_argument("--edits", type=int, default=3, help="edits timed in the preview (median)")
    parser.add_argument("--startup-limit", type=float, default=1800, help="seconds to wait for serve's first build")
    parser.add_argument("--edit-limit", type=float, default=600, help="seconds to wait for one edit to show")
    parser.add_argument("--profile", action="store_true", help="also profile one gongkai build --strict with cProfile")
    parser.add_argument("--profile-only", action="store_true", help="only profile one gongkai build --strict (cProfile)")
    parser.add_argument("--table", action="store_true", help="print the table of bench/out/results-N.json (results-N{--tag}.json) and exit")
    parser.add_argument("--engine", default=None, help="another gongkai checkout (its site_src/, hooks/ and theme/), timed in the same interleaved runs")
    parser.add_argument("--tag", default="", help="suffix of the results file, e.g. -patched")
    parser.add_argument("--label", default="", help="how the table names an --engine run, e.g. \"(glue patch)\"")
    args = parser.parse_args(argv)
    global ENGINE, TAG
    ENGINE = Path(args.engine).resolve() if args.engine else None
    TAG = args.tag
    if args.rescan:
        path = OUT / f"results-{args.items}{args.tag}.json"
        summary = json.loads(path.read_text(encoding="utf-8"))
        portal = OUT / f"portal-{args.items}"
        summary["gongkai"]["search"] = pagefind_query_bytes(portal / "site")
        summary["plain"]["search"] = material_query_bytes(portal / "plain" / "site")
        if "cold" in summary.get("zensical", {}):
            summary["zensical"]["search"] = zensical_query_bytes(portal / "plain" / generate.ZENSICAL_SITE)
        path.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print_summary(summary)
        return 0
    if args.table:
        print(table([json.loads(path.read_text(encoding="utf-8")) for path in results_files(args.tag)]))
        return 0
    if args.profile_only:
        portal, _ = ensure_portal(args.items, args.seed)
        print(profile(portal)[:8000])
        print(f"  (all of it in {profile_path(portal)})")
        return 0
    if args.serve_only:
        portal, info = ensure_portal(args.items, args.seed)
        preview = measure_preview(portal, args.seed, info["edit_candidate"], args.edits, args.startup_limit, args.edit_limit)
        print(json.dumps(preview, ensure_ascii=False))
        (OUT / f"preview-{args.items}{args.tag}.json").write_text(json.dumps(preview, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return 0
    print_summary(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
