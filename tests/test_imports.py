"""The project's modules import each other without cycles, the packages depend one way, and no
function outside `defs/` runs past MAX_FUNCTION_LINES. The packages depend one way:
batchvideo_media (ffmpeg, text, pictures) ← batchvideo_resources (settings, specs, Dagster resources)
← batchvideo_assets (the code location) ← batchvideo_app (the CLI).

The graph is read from the source (no module is imported), from every import statement: those at
the top of a module and also those inside functions and under `if TYPE_CHECKING:`. A deferred import
does not fail at import time, but the two modules still need each other: a cycle hidden that way is
the one that breaks first when someone moves the import up, and it blurs which module is the lower
layer. So a deferred import counts like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("batchvideo_media", "batchvideo_resources", "batchvideo_assets", "batchvideo_app")
# What each package may not import (itself a prefix of module names).
FORBIDDEN = {
    "batchvideo_media": ("batchvideo_resources", "batchvideo_assets", "batchvideo_app", "dagster"),
    "batchvideo_resources": ("batchvideo_assets", "batchvideo_app"),
    "batchvideo_assets": ("batchvideo_app",),
}


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:  # Alembic loads these by path; nothing imports them
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_names(module: str, path: Path) -> list[str]:
    """Every name an import statement of the module reaches for, relative imports made absolute;
    `from a import b` gives `a.b` (a submodule, or a name defined in `a`)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def import_graph() -> dict[str, set[str]]:
    """module → the project modules it imports."""
    modules = project_modules()

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    return {module: {target for name in imported_names(module, path)
                     if (target := owner(name)) is not None and target != module}
            for module, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a set of modules that
    all reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_the_sources():
    """The reader sees what it must: a deferred import and a TYPE_CHECKING import count, so a cycle
    through either would be found."""
    graph = import_graph()
    assert len(graph) > 60
    assert "batchvideo_media.compose.tracker" in graph["batchvideo_media.compose.mastering"]
    assert "batchvideo_resources.script_spec" in graph["batchvideo_resources.catalog_spec"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    found = cycles(import_graph())
    assert found == [], "modules that import each other: " + "; ".join(" ↔ ".join(c) for c in found)


def test_packages_depend_one_way():
    wrong = []
    for module, path in project_modules().items():
        forbidden = FORBIDDEN.get(module.partition(".")[0], ())
        wrong += [f"{module} imports {name}" for name in imported_names(module, path)
                  if name.partition(".")[0] in forbidden]
    assert wrong == []


def test_the_application_does_not_reach_into_the_code_location():
    """`batchvideo_app` shares the job name, run tags, priority mapping and facet observation with the
    sensor through modules outside `defs/` (video_runs, facet_events); it imports nothing from `defs/`."""
    graph = import_graph()
    reaching = [f"{module} imports {target}" for module, targets in graph.items() if module.startswith("batchvideo_app")
                for target in targets if target.startswith("batchvideo_assets.defs")]
    assert reaching == []
    assert "batchvideo_assets.video_runs" in graph["batchvideo_app.render"]


# A function longer than this is split where a name explains the part (the asset bodies in defs/ are
# held to "read, call one stage function, store" instead, which is shorter still).
MAX_FUNCTION_LINES = 60


def test_no_function_outside_defs_is_longer_than_a_screen():
    long = []
    for module, path in project_modules().items():
        if ".defs" in module:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{module}.{node.name}: {lines} lines")
    assert long == []
