"""The folder tree is the design: every import points down the layers, and no module imports itself back.

    config -> rdf -> artifacts -> build -> store -> sparql -> web -> app, cli, server -> testing

The import graph is read from the source with `ast`, imports inside functions included (the cycles this codebase
once had hid behind exactly those), so a lazy import cannot sneak an upward dependency in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
# Lower rank = lower layer. A module may import modules of its own layer or of lower layers only.
LAYERS = [
    ("config", ("kg", "kg.config")),
    ("rdf", ("kg.rdf",)),
    ("artifacts", ("kg.artifacts",)),
    ("build", ("kg.build",)),
    ("store", ("kg.store",)),
    ("sparql", ("kg.sparql",)),
    ("web", ("kg.web",)),
    ("app", ("kg.app", "kg.cli", "kg.server", "kg.frontend", "kg.deploy", "kg.mcp_server")),
    ("testing", ("kg.testing",)),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted((SRC / "kg").rglob("*.py"))}


def layer_of(module: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank is not None, f"{module} is in no layer: add it to LAYERS"
    return rank


def resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The project modules an import statement names (a `from package import submodule` names the submodule)."""
    out = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == "kg":
                out.append(alias.name)
        return out
    if node.level:  # relative import
        is_package = MODULES[module].name == "__init__.py"
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "kg":
        return out
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        out.append(sub if sub in MODULES else target)
    return out


def imports_of(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):  # every import, at module level and inside functions
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(t for t in resolve(module, node) if t in MODULES and t != module)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    upward = [t for t in sorted(GRAPH[module]) if layer_of(t) > layer_of(module)]
    assert not upward, f"{module} ({LAYERS[layer_of(module)][0]}) imports a higher layer: {upward}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checks_catch_what_they_are_for() -> None:
    """The checker itself: an upward import and a cycle, in a made-up graph, are found."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_of("kg.store.remote") > layer_of("kg.rdf.terms")
    assert layer_of("kg.web.pages.home") > layer_of("kg.sparql.service")
    lazy = ast.parse("def f():\n    from kg.web import rendering\n")
    assert resolve("kg.store.base", next(n for n in ast.walk(lazy) if isinstance(n, ast.ImportFrom))) == [
        "kg.web.rendering"
    ]


def test_interfaces_know_no_backend() -> None:
    """store/base.py is the interface: it imports neither backend (the factory in store/__init__ knows both)."""
    assert not GRAPH["kg.store.base"] & {"kg.store.embedded", "kg.store.remote"}


def test_the_dataset_index_knows_no_page() -> None:
    parts = [m for m in GRAPH if m == "kg.web.dataset_index" or m.startswith("kg.web.dataset_index.")]
    assert len(parts) > 1
    for part in parts:
        assert not {m for m in GRAPH[part] if m.startswith(("kg.web.pages", "kg.web.models"))}, part


MAX_FUNCTION_LINES = 80
# Packages held to MAX_FUNCTION_LINES: all of them. A longer function is several steps, each with a name.
SHORT_FUNCTIONS = ("kg",)


def long_functions(modules: dict[str, Path], limit: int) -> list[str]:
    """`module.function (n lines)` for every function or method longer than the limit (nested ones too)."""
    found = []
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno
                if length > limit:
                    found.append(f"{module}.{node.name} ({length} lines)")
    return found


def test_functions_are_short() -> None:
    held = {m: p for m, p in MODULES.items() if any(m == x or m.startswith(x + ".") for x in SHORT_FUNCTIONS)}
    assert held
    assert not long_functions(held, MAX_FUNCTION_LINES), "split these into named steps"


def test_the_length_check_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    (tmp_path / "long.py").write_text(f"def short():\n    pass\n\n\nclass A:\n    def long(self):\n{body}\n")
    assert long_functions({"long": tmp_path / "long.py"}, MAX_FUNCTION_LINES) == [
        f"long.long ({MAX_FUNCTION_LINES + 1} lines)"
    ]
