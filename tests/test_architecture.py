"""The shape of the code: no import cycles between the portal's modules, and the layer
contracts of pyproject.toml ([tool.importlinter]) hold.

grimp reads every import statement, also those inside functions, so an import that was
moved into a function to dodge a circular import still counts as the cycle it is."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def _strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the groups of modules that all reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = counter
                    counter += 1
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, iter(sorted(graph.find_modules_directly_imported_by(other)))))
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    groups.append(sorted(group))
    return groups


def _shortest_cycle(graph: grimp.ImportGraph, group: list[str]) -> list[str]:
    """A shortest cycle through the first module of a group, as [m, ..., m]."""
    start = group[0]
    best: list[str] | None = None
    for first in sorted(graph.find_modules_directly_imported_by(start) & set(group)):
        back = graph.find_shortest_chain(importer=first, imported=start) if first != start else (start,)
        if back is not None and (best is None or len(back) + 1 < len(best)):
            best = [start, *back]
    assert best is not None, group
    return best


def _describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    """Each import of the cycle with the line(s) that make it."""
    lines = [" -> ".join(cycle)]
    for importer, imported in zip(cycle, cycle[1:], strict=False):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = "; ".join(f"line {d['line_number']}: {d['line_contents']}" for d in details)
        lines.append(f"    {importer} -> {imported}  ({where or 'no details'})")
    return "\n".join(lines)


def import_cycles(graph: grimp.ImportGraph) -> list[str]:
    """One description per group of modules that import each other in a circle."""
    cycles = []
    for group in _strongly_connected(graph):
        if len(group) > 1 or graph.direct_import_exists(importer=group[0], imported=group[0]):
            cycles.append(f"{len(group)} modules: {', '.join(group)}\n"
                          + _describe(graph, _shortest_cycle(graph, group)))
    return cycles


def test_no_import_cycles_between_the_portals_modules():
    graph = grimp.build_graph("portal", include_external_packages=False, cache_dir=None)
    assert len(graph.modules) > 50  # the whole package was read
    cycles = import_cycles(graph)
    assert not cycles, "import cycles in portal:\n\n" + "\n\n".join(cycles)


def test_the_cycle_finder_finds_a_cycle():
    """The check above would catch a cycle, however long, and name its imports."""
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c", "p.d"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b", line_number=3, line_contents="from . import b")
    graph.add_import(importer="p.b", imported="p.c", line_number=5, line_contents="from .c import x")
    graph.add_import(importer="p.c", imported="p.a", line_number=9, line_contents="from . import a")
    graph.add_import(importer="p.c", imported="p.d", line_number=1, line_contents="from . import d")
    cycles = import_cycles(graph)
    assert len(cycles) == 1
    assert "3 modules: p.a, p.b, p.c" in cycles[0]
    assert "p.a -> p.b -> p.c -> p.a" in cycles[0]
    assert "line 9: from . import a" in cycles[0]
    graph.remove_import(importer="p.c", imported="p.a")
    assert import_cycles(graph) == []


def test_import_linter_contracts_hold():
    """`lint-imports`, as dev.py runs it before the tests, with the contracts in pyproject.toml."""
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"lint-imports failed:\n{result.stdout}\n{result.stderr}"
    assert "kept, 0 broken" in result.stdout
