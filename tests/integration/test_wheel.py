"""The package as it would go to PyPI: a wheel built from this checkout, installed in a fresh
virtual environment, makes a portal with `gongkai init` that builds strict once a reviewer's key
is in reviewers.yml and the examples are signed with ssh-keygen (issue 18's done-when).

The environment gets gongkai's dependencies (MkDocs, Material, Pagefind…) from the environment
running the tests, where ``pip install -e '.[test]'`` put them, and the wheel is installed with
``--no-deps``: the test downloads nothing but what pip needs to build a wheel (setuptools and
wheel in its isolated build environment, from its cache after the first run). Rather than
``venv --system-site-packages`` (which would reach the base interpreter's packages, not those of
a virtual environment the tests may themselves run in), a ``.pth`` file lists the running
environment's site-packages. Its .pth files are not read, so the editable install of this
checkout stays out, and the test checks it: everything that is gongkai — the code, the theme,
the CI templates, the MkDocs plugin entry point, the console script — comes from the wheel."""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.kit import REPO, require, site_leaks

pytestmark = pytest.mark.slow

SOURCES = ("pyproject.toml", "README.md", "site_src", "theme", "ci")


def run(args: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def build_wheel(tmp_path: Path) -> Path:
    """Returns the wheel built from a copy of this checkout (links kept, as Git keeps them)."""
    source = tmp_path / "source"
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy(REPO / name, source / name)
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source], tmp_path, dict(os.environ))
    [wheel] = dist.glob("gongkai-*.whl")
    return wheel


def test_a_portal_made_by_init_builds_strict_from_the_wheel_in_a_fresh_venv(tmp_path):
    keygen = require("ssh-keygen")
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path, dict(os.environ))
    [own] = venv.glob("lib/python*/site-packages")
    theirs = site.getsitepackages() + ([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])
    (own / "dependencies-from-the-test-environment.pth").write_text("".join(f"{p}\n" for p in theirs if Path(p).is_dir()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SOURCE_DATE_EPOCH", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    python, gongkai = venv / "bin" / "python", venv / "bin" / "gongkai"
    run([python, "-m", "pip", "install", "--no-deps", "-q", wheel], tmp_path, env)
    where = run([python, "-c", "import gongkai; print(gongkai.__file__)"], tmp_path, env).stdout.strip()
    assert Path(where).resolve().is_relative_to(venv.resolve()), where
    version = wheel.name.split("-")[1]
    assert run([gongkai, "--version"], tmp_path, env).stdout.strip() == f"gongkai {version}"

    run([gongkai, "init", "portal", "--name", "测试县人民政府信息公开", "--unit", "id=xzf,name=测试县人民政府办公室,code=11369999MB0000001A", "--forge", "gitlab"], tmp_path, env)
    root = tmp_path / "portal"
    assert not (root / "hooks").exists() and not (root / "theme").exists()
    run([gongkai, "build"], root, env)  # at once, the examples held as 待审

    # The first reviewer's key: the portal builds strict at once, the examples wait for review.
    people = {"zhangsan": ("张三", ["初审"]), "lisi": ("李四", ["复审"]), "wangwu": ("王五", ["终审", "保密审查"])}
    keys = {}
    entries = []
    for rid, (name, roles) in people.items():
        keys[rid] = tmp_path / rid
        run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", keys[rid]], tmp_path, env)
        public = keys[rid].with_suffix(".pub").read_text().strip()
        entries.append(f'  - id: {rid}\n    name: {name}\n    units: ["xzf"]\n    roles: [{", ".join(roles)}]\n    keys:\n      - "{public}"\n')
    trust = (root / "reviewers.yml").read_text(encoding="utf-8")
    assert "reviewers: []\n" in trust
    (root / "reviewers.yml").write_text(trust.replace("reviewers: []\n", "reviewers:\n" + entries[0]), encoding="utf-8")

    canaries = {name: f"CANARY{name.upper()}{uuid.uuid4().hex[:10]}" for name in ("zhudong", "bufen", "yishenqing", "buyu")}
    examples = {path.stem.removeprefix("shili-"): path for path in (root / "content").rglob("shili-*.md")}
    assert sorted(examples) == sorted(canaries)
    plant = {
        "zhudong": lambda text, c: text + f"\n公开的正文 {c}。\n",
        "bufen": lambda text, c: text + f"\n【不公开】删去的内容 {c}。【/不公开】\n",
        "yishenqing": lambda text, c: text + f"\n依申请公开的正文 {c}。\n",
        "buyu": lambda text, c: text.replace("title: 示例:不予公开的信息", f"title: 不予公开的示例 {c}") + f"\n不予公开的正文 {c}。\n",
    }
    for name, path in examples.items():
        path.write_text(plant[name](path.read_text(encoding="utf-8"), canaries[name]), encoding="utf-8")
        run([gongkai, "sign", path.relative_to(root), "--stage", "初审", "--as", "zhangsan", "--key", keys["zhangsan"]], root, env)
    first = run([gongkai, "build", "--strict"], root, env)
    assert "WARNING" not in first.stderr, first.stderr
    for canary in canaries.values():  # three-level review incomplete: nothing published yet
        assert site_leaks(root / "site", canary) == [], canary

    # Two more reviewers: 复审, then 终审 and 保密审查 (三级审核 by three people).
    (root / "reviewers.yml").write_text(trust.replace("reviewers: []\n", "reviewers:\n" + "".join(entries)), encoding="utf-8")
    for path in examples.values():
        for stage, rid in (("复审", "lisi"), ("终审", "wangwu"), ("保密审查", "wangwu")):
            run([gongkai, "sign", path.relative_to(root), "--stage", stage, "--as", rid, "--key", keys[rid]], root, env)

    built = run([gongkai, "build", "--strict"], root, env)
    assert "WARNING" not in built.stderr, built.stderr
    output = root / "site"
    assert (output / "manifest.json").is_file()
    assert site_leaks(output, canaries["zhudong"]), "the public example is published"
    assert site_leaks(output, "示例:依申请公开的信息"), "依申请公开: listed in its catalog"
    for name in ("bufen", "yishenqing", "buyu"):
        assert site_leaks(output, canaries[name]) == [], name
    assert (output / "assets" / "gongkai" / "gongkai.css").is_file()  # the theme the wheel carries
