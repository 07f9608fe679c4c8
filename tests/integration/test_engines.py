"""The sample portal built by MkDocs 1.6 and by ProperDocs (its maintained continuation, PyPI
`properdocs`) is the same site: every file byte for byte, except the one line in which each HTML
page names its generator, and manifest.json, which records those pages' hashes and the build time.

A fresh virtual environment gets gongkai's dependencies (MkDocs, Material, Pagefind…) from the
environment running the tests through a ``.pth`` file (as in test_wheel.py) and pip installs
ProperDocs alone into it, in the range pyproject.toml's `properdocs` extra gives (its own
dependencies are MkDocs' and are found installed). Material requires the `mkdocs` distribution,
so both engines are installed there; GONGKAI_ENGINE chooses one (glue/engine.py). The builds
render on two processes (GONGKAI_PARALLEL_MIN_PAGES), so the engine's private page-rendering
steps the worker calls are exercised too."""
from __future__ import annotations

import hashlib
import json
import os
import re
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit import REPO

pytestmark = pytest.mark.slow

GENERATOR = re.compile(rb'<meta name="generator" content="mkdocs-([^,"]+), mkdocs-material-[^"]+">')


def run(args: list, env: dict, code: int = 0) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=REPO, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == code, f"{args}\n{result.stdout}\n{result.stderr[-4000:]}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def tree(site_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(site_dir).as_posix(): p.read_bytes() for p in sorted(site_dir.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> tuple[Path, dict]:
    """A virtual environment with ProperDocs installed by pip, the rest taken from the tests'."""
    where = tmp_path_factory.mktemp("engines")
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    [own] = venv.glob("lib/python*/site-packages")
    theirs = site.getsitepackages() + ([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])
    (own / "dependencies-from-the-test-environment.pth").write_text("".join(f"{p}\n" for p in theirs if Path(p).is_dir()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PYTHONHOME", "GONGKAI_ENGINE")}
    env["PYTHONPATH"] = str(REPO / "site_src")  # this checkout's gongkai (the .pth does not reach the editable install)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["GONGKAI_PARALLEL_MIN_PAGES"] = "2"
    [extra] = re.findall(r"^properdocs = (\[.*\])$", (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)
    extra = json.loads(extra)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", *extra], env)
    where_pd = run([python, "-c", "import properdocs; print(properdocs.__file__)"], env).stdout.strip()
    assert Path(where_pd).resolve().is_relative_to(venv.resolve()), where_pd
    return python, env


def build(python: Path, env: dict, engine: str, site_dir: Path, *extra: str, code: int = 0) -> subprocess.CompletedProcess:
    return run([python, "-m", "gongkai.cli", "build", "-d", site_dir, *extra], {**env, "GONGKAI_ENGINE": engine}, code)


def test_mkdocs_and_properdocs_build_the_same_portal(venv, tmp_path):
    python, env = venv
    sites, logs = {}, {}
    for engine in ("mkdocs", "properdocs"):
        logs[engine] = build(python, env, engine, tmp_path / engine).stderr.replace(str(tmp_path / engine), "SITE")
        sites[engine] = tree(tmp_path / engine)
    mk, pd = sites["mkdocs"], sites["properdocs"]
    assert sorted(mk) == sorted(pd)
    assert "页面在 2 个进程中渲染" in logs["properdocs"]
    # What they say differs only in the build's duration.
    timing = re.compile(r"用时 [\d.]+ 秒")
    assert timing.sub("", logs["mkdocs"]) == timing.sub("", logs["properdocs"])

    # Every HTML page names its generator: MkDocs' version, or ProperDocs' (which gives Material
    # "ProperDocs 1.6.7" as mkdocs_version). Otherwise the same bytes.
    pages = [rel for rel in mk if rel.endswith(".html")]
    assert len(pages) > 50
    for rel in pages:
        [mk_generator] = GENERATOR.findall(mk[rel])
        [pd_generator] = GENERATOR.findall(pd[rel])
        assert re.fullmatch(rb"1\.6\.\d+", mk_generator) and re.fullmatch(rb"ProperDocs 1\.6\.\d+", pd_generator), (rel, mk_generator, pd_generator)
        assert GENERATOR.sub(b"", mk[rel]) == GENERATOR.sub(b"", pd[rel]), rel
    differing = sorted(rel for rel in mk if mk[rel] != pd[rel])
    assert differing == sorted(pages + ["manifest.json"]), [rel for rel in differing if rel not in pages]

    # manifest.json: the same files, each hash that of its own site, the same commit; built_at aside.
    manifests = {engine: json.loads(sites[engine]["manifest.json"]) for engine in sites}
    for engine, manifest in manifests.items():
        manifest.pop("built_at")
        for rel, digest in manifest["files"].items():
            assert hashlib.sha256(sites[engine][rel]).hexdigest() == digest, (engine, rel)
    assert sorted(manifests["mkdocs"]["files"]) == sorted(manifests["properdocs"]["files"])
    manifests["mkdocs"].pop("files"), manifests["properdocs"].pop("files")
    assert manifests["mkdocs"] == manifests["properdocs"]


def test_strict_mode_counts_gongkai_warnings_on_both_engines(venv, tmp_path):
    """The sample trusts the demo keys: a strict build stops, on either engine, with the same
    Chinese messages (gongkai's warnings reach ProperDocs' --strict counter, whose loggers are
    named properdocs.*)."""
    python, env = venv
    said = {}
    for engine in ("mkdocs", "properdocs"):
        result = build(python, env, engine, tmp_path / engine, "--strict", code=1)
        said[engine] = result.stderr.replace(str(tmp_path / engine), "SITE")
        assert "构建失败:严格模式下出现" in said[engine], said[engine]
        assert not (tmp_path / engine / "manifest.json").exists()
    assert said["mkdocs"] == said["properdocs"]


def test_properdocs_own_command_runs_the_sample_hooks(venv, tmp_path):
    """`properdocs build` (its own command, which reads mkdocs.yml and runs the sample's hooks) makes
    the pages `gongkai build` makes on ProperDocs. Its search index may differ in bytes: it renders
    in one process, with Pagefind reading the pages beside the build (see README, GONGKAI_WORKERS)."""
    python, env = venv
    build(python, env, "properdocs", tmp_path / "gongkai")
    native = run([python.parent / "properdocs", "build", "-f", "mkdocs.yml", "-d", tmp_path / "native"], env)
    assert "gongkai: 发布" in native.stderr
    ours, theirs = tree(tmp_path / "gongkai"), tree(tmp_path / "native")
    pages = sorted(rel for rel in ours if not rel.startswith("pagefind/") and rel != "manifest.json")
    assert pages == sorted(rel for rel in theirs if not rel.startswith("pagefind/") and rel != "manifest.json")
    assert [rel for rel in pages if ours[rel] != theirs[rel]] == []


def test_properdocs_builds_the_project_docs_strictly(venv, tmp_path):
    """The project's documentation site (docs-site/mkdocs.yml, plain Material) builds on ProperDocs too."""
    python, env = venv
    result = run([python.parent / "properdocs", "build", "-f", "docs-site/mkdocs.yml", "--strict", "-d", tmp_path / "docs"], env)
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
    assert (tmp_path / "docs" / "engine" / "index.html").is_file()
