"""The package graph is layered (docs/architecture.md "Layers"): every import between top-level packages goes
down the declared order, the domain packages import one another without a cycle, and only app/ (the
composition root) knows every domain. Imports inside functions and under TYPE_CHECKING count as any other."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from tests.source_imports import imported_modules

ROOT = Path(__file__).resolve().parent.parent
# Lowest first. A package imports only from its own layer or the layers before it; within the domain layer any
# order without a cycle. A new top-level package must be placed here.
LAYERS: list[tuple[str, set[str]]] = [
    ("core", {"core"}),
    ("infra", {"infra"}),
    ("web", {"web"}),
    (
        "domain",
        {
            "accounts",
            "annotations",
            "audit",
            "display",
            "documents",
            "ledger",
            "meetings",
            "minutes",
            "notices",
            "notifications",
            "polls",
            "search",
            "speakers",
            "votes",
            "workdays",
        },
    ),
    ("realtime", {"realtime"}),
    ("app", {"app"}),
]
# May import anything, app included; nothing imports them.
OUTSIDE = {"tests", "bench", "migrations", "tools"}
SKIP = {".venv", ".git", "node_modules", "var", "frontend", "docs", "deploy", "locale", "requirements"}

Edge = tuple[str, str, str]  # (file:line, importing package, imported module)


def top_packages() -> set[str]:
    return {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name not in SKIP | OUTSIDE}


def imports(packages: set[str]) -> list[Edge]:
    """Every absolute import in the packages' modules of another top-level package (plus `app` anywhere)."""
    edges: list[Edge] = []
    for package in sorted(packages):
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, name in imported_modules(path):
                target = name.split(".")[0]
                if target != package and (target in packages or target in OUTSIDE):
                    edges.append((f"{path.relative_to(ROOT)}:{line}", package, name))
    return edges


def cycles(edges: list[Edge]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for _, source, module in edges:
        graph[source].add(module.split(".")[0])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def shortest_cycle(edges: list[Edge], component: list[str]) -> list[str]:
    """The shortest loop of packages within `component` ([a, b, ..., a])."""
    graph: dict[str, set[str]] = defaultdict(set)
    for _, source, module in edges:
        if source in component and module.split(".")[0] in component:
            graph[source].add(module.split(".")[0])
    best: list[str] = []
    for start in component:
        paths, seen = [[start]], {start}
        while paths and not (best and len(paths[0]) >= len(best)):
            path = paths.pop(0)
            for nxt in sorted(graph[path[-1]]):
                if nxt == start and (not best or len(path) + 1 < len(best)):
                    best = [*path, start]
                elif nxt not in seen:
                    seen.add(nxt)
                    paths.append([*path, nxt])
    return best


def layer_of(package: str) -> int:
    return next(i for i, (_, members) in enumerate(LAYERS) if package in members)


def show(edges: list[Edge]) -> str:
    return "\n".join(f"  {where}: {source} imports {module}" for where, source, module in edges)


def test_every_package_has_a_layer() -> None:
    placed = set().union(*(members for _, members in LAYERS))
    assert top_packages() - placed == set(), "place the new top-level packages in LAYERS (tests/test_layers.py)"
    assert placed - top_packages() == set(), "LAYERS names packages that are gone"


def test_no_cycle_between_packages() -> None:
    edges = imports(top_packages())
    found = cycles(edges)
    report = []
    for component in found:
        loop = shortest_cycle(edges, component)
        steps = [e for a, b in zip(loop, loop[1:]) for e in edges if e[1] == a and e[2].split(".")[0] == b]
        report.append(
            f"packages {', '.join(component)} import one another; the shortest loop {' -> '.join(loop)}:\n{show(steps)}"
        )
    assert not found, "import cycles between top-level packages:\n" + "\n".join(report)


def test_only_app_imports_app() -> None:
    wrong = [e for e in imports(top_packages()) if e[2].split(".")[0] == "app"]
    assert not wrong, "app/ is the composition root: only app/ (and tests, bench, migrations) import it:\n" + show(
        wrong
    )


def test_nothing_imports_tests_or_tools() -> None:
    wrong = [e for e in imports(top_packages()) if e[2].split(".")[0] in OUTSIDE]
    assert not wrong, "the product imports none of tests/, bench/, migrations/, tools/:\n" + show(wrong)


def test_imports_go_down_the_layers() -> None:
    order = " -> ".join(name for name, _ in LAYERS)
    wrong = []
    for edge in imports(top_packages()):
        _, source, module = edge
        target = module.split(".")[0]
        if target in OUTSIDE:
            continue
        below, above = layer_of(target), layer_of(source)
        if below > above or (below == above and LAYERS[above][0] != "domain"):
            wrong.append(edge)
    detail = "\n".join(
        f"  {where}: {source} ({LAYERS[layer_of(source)][0]}) imports {module} "
        f"({LAYERS[layer_of(module.split('.')[0])][0]})"
        for where, source, module in wrong
    )
    assert not wrong, f"imports may only go down the layers {order} (lowest first):\n{detail}"


def test_the_checks_see_a_cycle_and_an_upward_import() -> None:
    """The checker itself: a made-up pair of edges is reported."""
    edges = [("a.py:1", "meetings", "votes.models"), ("b.py:2", "votes", "meetings.access"), ("c.py:3", "web", "polls")]
    assert cycles(edges) == [["meetings", "votes"]]
    assert shortest_cycle(edges, ["meetings", "votes"]) == ["meetings", "votes", "meetings"]
    assert layer_of("web") < layer_of("polls")
