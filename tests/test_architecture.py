"""The house rules of docs/architecture.md, checked on the source: arrows one way, no cycle, no
printing or argument parsing below the CLI, MkDocs only in the glue, modules a reader can hold."""
from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "site_src" / "gongkai"

# Lowest first: a module may import modules of its own layer or of a layer below, never above.
# The first pattern that matches a module decides its layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("gongkai", "gongkai.cache", "gongkai.diskcache", "gongkai.errors", "gongkai.model", "gongkai.escaping", "gongkai.gitrepo")),
    ("law", ("gongkai.law", "gongkai.law.*")),
    ("settings", ("gongkai.settings",)),
    ("read", ("gongkai.read", "gongkai.read.*")),
    # The annual report's official format, its validation and its tables: read before the gate.
    ("report", ("gongkai.report", "gongkai.report.labels", "gongkai.report.validate", "gongkai.report.body", "gongkai.report.figures", "gongkai.report.tables", "gongkai.report.narrative")),
    ("trust", ("gongkai.trust", "gongkai.trust.*")),
    ("gate", ("gongkai.gate", "gongkai.gate.*")),
    ("portal", ("gongkai.portal",)),
    ("site", ("gongkai.site", "gongkai.site.*", "gongkai.report.*")),
    ("publish", ("gongkai.publish", "gongkai.publish.*")),
    ("tools", ("gongkai.tools", "gongkai.tools.*")),
    ("glue", ("gongkai.glue", "gongkai.glue.*")),
    ("cli", ("gongkai.cli", "gongkai.cli_text", "gongkai.cli_base", "gongkai.cli_publish")),
]
MAX_LINES = 800
#: The command line: the only modules that print, parse arguments or choose exit codes.
CLI_MODULES = ("gongkai.cli", "gongkai.cli_text", "gongkai.cli_base", "gongkai.cli_publish")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def layer_of(module: str) -> int:
    for index, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(module, p) for p in patterns):
            return index
    raise AssertionError(f"{module}: no layer in tests/test_architecture.py LAYERS; add it (and to docs/architecture.md)")


def _resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """Returns the gongkai modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "gongkai"]
    if node.level:
        base = module.split(".")
        if MODULES[module].name != "__init__.py":
            base = base[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "gongkai":
        return []
    found = []
    for alias in node.names:
        candidate = f"{target}.{alias.name}"
        found.append(candidate if candidate in MODULES else target)
    return found


def _imports(module: str) -> list[tuple[int, str, bool]]:
    """Returns (line, imported gongkai module, inside a function) of every import of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    result = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _resolve(module, child):
                    result.append((child.lineno, target, nested))
            visit(child, inner)

    visit(tree, False)
    return result


def _all_imports(node: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    return [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_arrows_point_down():
    wrong = []
    for module in MODULES:
        mine = layer_of(module)
        for line, target, _ in _imports(module):
            if target in MODULES and layer_of(target) > mine:
                wrong.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {module} ({LAYERS[mine][0]}) imports {target} ({LAYERS[layer_of(target)][0]})")
    assert not wrong, "imports against the arrows:\n" + "\n".join(wrong)


def test_no_import_cycle():
    graph = {m: sorted({t for _, t, _ in _imports(m) if t in MODULES and t != m}) for m in MODULES}
    # A package's __init__ is imported before its modules: importing gongkai.x.y loads gongkai.x.
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for module in graph:
        if module not in state:
            walk(module)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_imports_inside_functions_say_why():
    """An import inside a function is allowed only with a comment on its line or the line above
    (start-up time of the CLI, an optional dependency, a forked worker)."""
    silent = []
    for path in MODULES.values():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for node in _all_imports(function):
                here, above = lines[node.lineno - 1], lines[node.lineno - 2] if node.lineno > 1 else ""
                if "#" not in here and not above.strip().startswith("#"):
                    silent.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {here.strip()}")
    assert not silent, "imports inside functions without a comment saying why:\n" + "\n".join(sorted(set(silent)))


@pytest.mark.parametrize("forbidden", ["print", "input"])
def test_only_the_cli_talks_to_the_terminal(forbidden):
    found = []
    for module, path in MODULES.items():
        if module in CLI_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == forbidden:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not found, f"{forbidden}() outside cli.py:\n" + "\n".join(found)


def test_only_the_cli_parses_arguments():
    found = []
    for module, path in MODULES.items():
        if module in CLI_MODULES:  # cli_text: argparse's Chinese; cli_base, cli_publish: the verbs' shared rule and the publishing verbs
            continue
        text = path.read_text(encoding="utf-8")
        if "argparse" in text or "sys.argv" in text or "sys.exit" in text:
            found.append(str(path.relative_to(PACKAGE.parent)))
    assert not found, "argument parsing or exit codes outside cli.py: " + ", ".join(found)


def test_only_the_glue_knows_mkdocs():
    found = []
    for module, path in MODULES.items():
        if module.startswith("gongkai.glue"):
            continue
        for node in _all_imports(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n.split(".")[0] in ("mkdocs", "properdocs", "material") for n in names):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not found, "MkDocs imported outside gongkai/glue/:\n" + "\n".join(found)


def test_modules_a_reader_can_hold():
    long = [f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in MODULES.values() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"modules over {MAX_LINES} lines:\n" + "\n".join(long)
