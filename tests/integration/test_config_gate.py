"""mkdocs.yml cannot switch the gate off: the hooks must reach the glue, extensions and plugins
are allow-listed by what they resolve to, and no file the gate did not review changes a page."""
from __future__ import annotations

import json
import uuid

import pytest


def _config(portal) -> dict:
    return json.loads((portal.root / "mkdocs.yml").read_text(encoding="utf-8"))


def _write(portal, config: dict, tail: str = "") -> None:
    (portal.root / "mkdocs.yml").write_text(json.dumps(config, ensure_ascii=False, indent=1) + tail, encoding="utf-8")


def _canary() -> str:
    return f"CANARY{uuid.uuid4().hex[:12]}"


def _unsigned(portal, canary: str) -> None:
    """A signed item beside one that is not: the second must never reach the site."""
    portal.item("xzf/ok.md", "已审核的正文。")
    portal.sign("xzf/ok.md")
    portal.item("xzf/pending.md", f"未经审核的正文 {canary}。", title=f"待审 {canary}")


def _refused(portal, result, canary: str | None = None, *words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    if canary is not None and portal.site.exists():
        assert portal.leaks(canary) == []
    assert not (portal.site / "manifest.json").exists()


# ---------------------------------------------------------------- the hooks


def test_the_gate_hook_is_required(portal):
    canary = _canary()
    _unsigned(portal, canary)
    config = _config(portal)
    del config["hooks"]
    _write(portal, config)
    _refused(portal, portal.build(), canary, "mkdocs.yml", "hooks/gongkai_hooks.py")


def test_hooks_pointing_at_another_file_are_refused(portal):
    canary = _canary()
    _unsigned(portal, canary)
    (portal.root / "hooks" / "other.py").write_text("def on_files(files, config):\n    return files\n", encoding="utf-8")
    config = _config(portal)
    config["hooks"] = ["hooks/other.py"]
    _write(portal, config)
    _refused(portal, portal.build(), canary, "mkdocs.yml", "发布闸门")


def test_a_second_hooks_file_is_refused(portal):
    (portal.root / "hooks" / "extra.py").write_text("def on_page_markdown(markdown, page, config, files):\n    return markdown\n", encoding="utf-8")
    portal.item("xzf/ok.md")
    portal.sign("xzf/ok.md")
    config = _config(portal)
    config["hooks"] = ["hooks/gongkai_hooks.py", "hooks/extra.py"]
    _write(portal, config)
    _refused(portal, portal.build(), None, "hooks/extra.py")


def test_files_added_after_the_gate_are_refused(portal):
    """A hook that lets the gate run, then puts a file back: the build stops."""
    canary = _canary()
    (portal.root / "content" / "draft.txt").write_text(f"草稿 {canary}", encoding="utf-8")
    hooks = portal.root / "hooks" / "gongkai_hooks.py"
    source = hooks.read_text(encoding="utf-8").replace(
        "def on_files(files, config):\n    return plugin.on_files(files, config=config)",
        "def on_files(files, config):\n"
        "    from mkdocs.structure.files import File\n"
        "    result = plugin.on_files(files, config=config)\n"
        "    result.append(File('draft.txt', config.docs_dir, config.site_dir, config.use_directory_urls))\n"
        "    return result",
    )
    assert "draft.txt" in source
    hooks.write_text(source, encoding="utf-8")
    portal.item("xzf/ok.md")
    portal.sign("xzf/ok.md")
    _refused(portal, portal.build(), canary, "改动了要发布的文件")


def test_a_page_the_sanitiser_did_not_see_is_refused(portal):
    hooks = portal.root / "hooks" / "gongkai_hooks.py"
    source = hooks.read_text(encoding="utf-8")
    start = source.index("def on_page_content")
    end = source.index("\n\n\n", start)
    hooks.write_text(source[:start] + source[end + 3:], encoding="utf-8")
    portal.item("xzf/x.md", "<script>alert(1)</script>")
    portal.sign("xzf/x.md")
    _refused(portal, portal.build(), "alert(1)", "没有经过 gongkai 的清理")


def test_serve_and_publish_refuse_without_the_gate(portal, tmp_path):
    canary = _canary()
    _unsigned(portal, canary)
    config = _config(portal)
    del config["hooks"]
    _write(portal, config)
    import subprocess
    import sys

    from tests.kit import free_port

    try:  # refused before it listens; without the check it would serve until killed
        served = subprocess.run([sys.executable, "-m", "gongkai.cli", "serve", "-a", f"127.0.0.1:{free_port()}"],
                                cwd=portal.root, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("gongkai serve ran without the gate")
    assert served.returncode == 1 and "hooks/gongkai_hooks.py" in served.stderr, served.stderr
    target = tmp_path / "live"
    published = portal.run("publish", str(target))
    assert published.returncode == 1 and "hooks/gongkai_hooks.py" in published.stderr, published.stderr
    assert not target.exists() or not any(canary.encode() in p.read_bytes() for p in target.rglob("*") if p.is_file())


# ---------------------------------------------------------------- extensions


@pytest.mark.parametrize("spelling", ["pymdownx.snippets", "pymdownx.snippets:SnippetExtension", "pymdownx.b64"])
def test_extensions_off_the_allow_list_are_refused_however_spelled(portal, spelling):
    canary = _canary()
    (portal.root / "secret.txt").write_text(f"仓库里的文件 {canary}\n", encoding="utf-8")
    portal.item("xzf/x.md", '正文\n\n--8<-- "secret.txt"\n')
    portal.sign("xzf/x.md")
    config = _config(portal)
    config["markdown_extensions"] = [{spelling: {"base_path": [str(portal.root)]}} if "snippets" in spelling else spelling]
    _write(portal, config)
    _refused(portal, portal.build(), canary, spelling.split(":")[0], "允许")


@pytest.mark.parametrize("spelling", ["markdown.extensions.tables:TableExtension", "markdown.extensions.admonition", "pymdownx.details"])
def test_allowed_extensions_pass_however_spelled(portal, spelling):
    portal.item("xzf/x.md", "| a | b |\n|---|---|\n| 1 | 2 |\n")
    portal.sign("xzf/x.md")
    config = _config(portal)
    config["markdown_extensions"] = [spelling, "attr_list"]
    _write(portal, config)
    result = portal.build()
    assert result.returncode == 0, result.stderr


def test_extension_options_that_are_code_are_refused(portal):
    portal.item("xzf/x.md")
    portal.sign("xzf/x.md")
    config = _config(portal)
    tail = (
        "\nmarkdown_extensions:\n  - pymdownx.superfences:\n      custom_fences:\n        - name: mermaid\n"
        "          class: mermaid\n          format: !!python/name:pymdownx.superfences.fence_code_format\n"
    )
    (portal.root / "mkdocs.yml").write_text(_as_yaml(config) + tail, encoding="utf-8")
    _refused(portal, portal.build(), None, "pymdownx.superfences", "Python 代码")


def test_yaml_tags_that_run_code_are_refused_before_mkdocs_reads_the_file(portal, tmp_path):
    marker = tmp_path / "ran"
    portal.item("xzf/x.md")
    portal.sign("xzf/x.md")
    config = _config(portal)
    tail = f"\nsite_description: !!python/object/apply:os.system ['touch {marker}']\n"
    (portal.root / "mkdocs.yml").write_text(_as_yaml(config) + tail, encoding="utf-8")
    for command in ("build", "check"):
        result = portal.run(command)
        assert result.returncode == 1 and "!!python/object/apply" in result.stderr and "mkdocs.yml:" in result.stderr, result.stderr
    assert not marker.exists()


def test_heading_slugs_may_name_their_function(portal):
    portal.item("xzf/x.md", "## 第一节\n\n正文。\n")
    portal.sign("xzf/x.md")
    tail = "\nmarkdown_extensions:\n  - toc:\n      slugify: !!python/object/apply:pymdownx.slugs.slugify {kwds: {case: lower}}\n"
    (portal.root / "mkdocs.yml").write_text(_as_yaml(_config(portal)) + tail, encoding="utf-8")
    result = portal.build()
    assert result.returncode == 0, result.stderr
    assert 'id="第一节"' in (portal.site / "xzf/x/index.html").read_text(encoding="utf-8")


def _as_yaml(config: dict) -> str:
    import yaml

    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


# ---------------------------------------------------------------- plugins and unreviewed files


@pytest.mark.parametrize("plugin", ["material/meta", "meta", "/material/tags", "material/offline"])
def test_plugins_off_the_allow_list_are_refused(portal, plugin):
    canary = _canary()
    (portal.root / "content" / "xzf").mkdir(parents=True)
    (portal.root / "content" / "xzf" / ".meta.yml").write_text(f"description: {canary}\ntemplate: canary.html\n", encoding="utf-8")
    portal.item("xzf/x.md")
    portal.sign("xzf/x.md")
    config = _config(portal)
    config["plugins"] = ["search", plugin]
    _write(portal, config)
    _refused(portal, portal.build(), canary, "插件", "允许")


def test_a_meta_file_or_a_template_key_cannot_change_a_page(portal):
    canary = _canary()
    (portal.root / "theme" / "canary.html").write_text(f"<html>{canary}</html>", encoding="utf-8")
    (portal.root / "content" / "xzf").mkdir(parents=True)
    (portal.root / "content" / "xzf" / ".meta.yml").write_text(f"description: {canary}\ntemplate: canary.html\ntitle: {canary}\n", encoding="utf-8")
    (portal.root / "content" / ".meta.yml").write_text(f"description: {canary}\ntemplate: canary.html\n", encoding="utf-8")
    portal.item("xzf/x.md")
    portal.sign("xzf/x.md")
    portal.item("xzf/t.md", template="canary.html", description=canary)
    check = portal.run("check")
    assert check.returncode == 1 and "content/xzf/t.md:" in check.stdout and "未知字段 template" in check.stdout, check.stdout
    result = portal.build()
    assert result.returncode == 0, result.stderr
    assert (portal.site / "xzf/x/index.html").exists() and not (portal.site / "xzf/t").exists()
    assert portal.leaks(canary) == []


def test_check_names_the_line_and_plain_mkdocs_build_refuses_too(portal):
    import subprocess
    import sys

    canary = _canary()
    _unsigned(portal, canary)
    (portal.root / "mkdocs.yml").write_text(_as_yaml({**_config(portal), "plugins": ["search", "material/tags"]}), encoding="utf-8")
    line = next(n for n, text in enumerate((portal.root / "mkdocs.yml").read_text(encoding="utf-8").splitlines(), 1) if "material/tags" in text)
    check = portal.run("check")
    assert check.returncode == 1 and f"mkdocs.yml:{line}: plugins 中的插件 material/tags" in check.stdout, check.stdout
    plain = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=portal.root, capture_output=True, text=True)
    assert plain.returncode == 1 and "material/tags" in plain.stderr, plain.stderr
    assert not portal.site.exists() or portal.leaks(canary) == []
