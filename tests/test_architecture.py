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


# --- no reach into private names ------------------------------------------------------------

#: Underscored names that their library documents for use from outside: Werkzeug's proxies
#: (``current_app._get_current_object()``, as Flask's documentation shows) and WTForms' field
#: protocol (``Field._value()``, which its documentation has custom widgets call).
DOCUMENTED = {"_get_current_object", "_value"}


def private_reaches(source: str) -> list[tuple[int, str]]:
    """Where ``source`` imports an underscored name, reads an underscored attribute of anything
    but ``self``/``cls``, reads an object's ``__dict__``, or names an underscored key of Flask's
    ``g`` or session (a library's state kept there)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [
                (node.lineno, f"import {node.module}.{alias.name}")
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            dunder = node.attr.startswith("__") and node.attr.endswith("__")
            private = node.attr.startswith("_") and not dunder and node.attr not in DOCUMENTED
            if (private or node.attr == "__dict__") and owner not in ("self", "cls"):
                found.append((node.lineno, f"{owner or '...'}.{node.attr}"))
        elif isinstance(node, ast.Call) and node.args:
            func, key = node.func, node.args[0]
            reads_state = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in ("g", "session")
            ) or (isinstance(func, ast.Name) and func.id in ("getattr", "hasattr"))
            if reads_state and isinstance(key, ast.Constant) and str(key.value).startswith("_"):
                found.append((node.lineno, f"{ast.unparse(func)}({key.value!r})"))
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
            names = [c.id for c in node.comparators if isinstance(c, ast.Name)]
            if str(node.left.value).startswith("_") and {"g", "session"} & set(names):
                found.append((node.lineno, f"{node.left.value!r} in {names[0]}"))
    return found


def test_private_reaches_are_found():
    """The check itself can fail: each kind of reach is reported."""
    source = (
        "from flask_wtf.csrf import _FlaskFormCSRF\n"
        "state = g._flask_babel\n"
        "memo = request_ctx.__dict__\n"
        "user = g.get('_login_user')\n"
        "signed_in = '_user_id' in session\n"
        "self._mine = current_app._get_current_object()\n"
    )
    assert [line for line, _ in private_reaches(source)] == [1, 2, 3, 4, 5]


def test_no_private_api_is_used():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / PACKAGE
    reaches = [
        f"{path.relative_to(root.parent)}:{line}: {what}"
        for path in sorted(root.rglob("*.py"))
        for line, what in private_reaches(path.read_text())
    ]
    assert reaches == []


def test_no_view_writes_an_audit_event(graph):
    """State changes and their audit events live in operations, which pages, the CLI and the
    API share: no view imports the audit log's writer (or the report store's invalidation)."""
    views = {m for m in graph.modules if m.rsplit(".", 1)[-1] in VIEW_MODULES}
    writers = {"surveyapp.audit.operations"}
    assert {
        (view, writer)
        for view in views
        for writer in writers & graph.find_modules_directly_imported_by(view)
    } == set()


def test_each_features_commands_live_in_its_own_cli_module(app):
    """``flask <group> <command>``: every command of the app is defined in the ``cli`` module
    of one feature package (surveyapp.<feature>.cli), none in a shared top-level module."""
    import click

    ours = {}
    for name, command in app.cli.commands.items():
        commands = command.commands.values() if isinstance(command, click.Group) else [command]
        modules = {sub.callback.__module__ for sub in commands if sub.callback is not None}
        if any(module.startswith("surveyapp") for module in modules):
            ours[name] = modules
    assert {"questionnaires", "regions", "users", "rounds", "demo", "reports", "export"} <= set(
        ours
    )
    for name, modules in ours.items():
        for module in modules:
            parts = module.split(".")
            assert len(parts) == 3 and parts[2] == "cli", f"flask {name}: defined in {module}"
        assert len({module.split(".")[1] for module in modules}) == 1, f"flask {name}: {modules}"


def test_the_web_app_starts_without_pandas_or_weasyprint(tmp_path):
    """pandas (about 45 MB) and WeasyPrint load where figures are computed or a PDF renders,
    not when the app starts: a gunicorn worker, a render pool's worker and every CLI command
    start from create_app. (Closing a round once imported pandas through the record it keeps,
    and a render pool worker's peak grew from 203 to 249 MB.)"""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "from surveyapp import create_app\n"
        "create_app('development')\n"
        "print(sorted(m for m in ('pandas', 'weasyprint') if m in sys.modules))\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}"}
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


#: Where the code may read the posted form itself, and why: which of a form's buttons was
#: pressed (WTForms has no field for it), whether an item was on the page that posted, and the
#: error handler that keeps what was sent when the session ended. Every field a person fills is
#: read through a WTForms form.
FORM_READS = {
    "surveyapp/errors.py": 2,  # the stash of a post refused for an ended session
    "surveyapp/assessments/views.py": 3,  # "then" (which save button), an item's version field
    "surveyapp/auth/views.py": 1,  # "action" (which two-factor button)
}


def test_every_field_is_read_through_a_wtforms_form():
    """The submit page read its consent and evidence check boxes from request.form, and the
    API token page its name and lifetime: each now has its form."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    reads = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        count = len(re.findall(r"\brequest\.form\b", path.read_text()))
        if count:
            reads[str(path.relative_to(root))] = count
    assert reads == FORM_READS
