"""The import graph keeps one direction (issue 21): no cycles, and no view imports another
feature's view. Read from the code by grimp (import-linter's graph), type-only imports aside."""

from __future__ import annotations

import grimp
import pytest

PACKAGE = "surveyapp"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=True, cache_dir=None)


def strongly_connected(graph) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_strongly_connected_finds_a_cycle():
    """The check itself can fail: a graph with a cycle is reported."""
    cyclic = grimp.ImportGraph()
    for module in ("a", "a.b", "a.c", "a.d"):
        cyclic.add_module(module)
    cyclic.add_import(importer="a.b", imported="a.c")
    cyclic.add_import(importer="a.c", imported="a.b")
    cyclic.add_import(importer="a.d", imported="a.b")
    assert strongly_connected(cyclic) == [["a.b", "a.c"]]


def test_no_import_cycles(graph):
    assert {"surveyapp.reporting.store", "surveyapp.assessments.operations"} <= graph.modules
    cycles = strongly_connected(graph)
    for group in cycles:
        for module in group:
            inside = sorted(set(group) & graph.find_modules_directly_imported_by(module))
            print(f"{module} imports {', '.join(inside)}")
    assert cycles == [], "modules that import each other (printed above)"


#: Modules that hold a blueprint's request handlers.
VIEW_MODULES = ("views", "pages")


def test_only_the_app_factory_imports_a_view(graph):
    """A view never imports another view (nor does anything else): what two pages share lives
    in a page helper (e.g. reviews.page, reporting.serve) or a macro."""
    views = {m for m in graph.modules if m.rsplit(".", 1)[-1] in VIEW_MODULES}
    assert len(views) >= 10, sorted(views)
    importers = {
        (importer, view)
        for view in views
        for importer in graph.find_modules_that_directly_import(view)
        if importer != PACKAGE  # create_app registers the blueprints
    }
    assert importers == set()
