"""The shape of tracker/: its layers, and the rules that keep them.

From the bottom up:

1. Shared infrastructure (INFRASTRUCTURE): errors, settings, the database, Markdown, tokens,
   spreadsheets, imports, reading rows, cleaning typed text. It knows no domain.
2. Every domain's models: the tables are one schema, and a model names another domain's model
   by string only (`Mapped["Sprint"]`), importing it for type checking alone.
3. Every domain's rules (services, queries, labels, read models), in the order of DOMAINS: a
   domain's rules call the rules of the domains before it, and may read any table.
4. The web plumbing every view uses (WEB_PLUMBING): access markers, submit(), the common forms,
   what templates can use, error pages, the import pages' helper, security headers.
5. Every domain's forms, then its views (and what only views use: its blueprints, the academy
   routing, page helpers), in the order of DOMAINS; the site's own pages (tracker.core) last.
6. What puts the application together (ASSEMBLY): the app factory, the models' roll call, the
   commands, the demo.

An import runs downward or stays level; the few that run upward are listed in ACCEPTED_UPWARD
with the reason each is accepted. Imports under `if TYPE_CHECKING:` do not count: they do not
run. Imports inside functions are allowed only in the app factory and the commands, which
assemble the application when it starts (or a command runs); anywhere else they hide a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import tracker

INFRASTRUCTURE = (
    "tracker.errors",
    "tracker.config",
    "tracker.db",
    "tracker.history",
    "tracker.markdown",
    "tracker.formatting",
    "tracker.collation",
    "tracker.tokens",
    "tracker.spreadsheets",
    "tracker.imports",
    "tracker.migrate",
    "tracker.logs",
    "tracker.submissions",
    "tracker.rows",
    "tracker.cleaning",
    "tracker.changes",
)
# Each domain's rules call only the rules of the domains before it:
#   auth       accounts, sessions, the permission rule          (no other domain's rules)
#   mail       the outgoing queue                               (none)
#   academies  academies, members, invitations                  auth, mail
#   webhooks   endpoints, the events' outbox, the sender          mail (the managers' notice)
#   backlog    bricks, paths, needs, definitions of done        academies (a new one's defaults)
#   board      moving cards, stages                             auth, academies, backlog
#   sprints    planning, scope, closing, charts                 academies, backlog
#   feedback   panel, rounds, answers, results, triage          auth, backlog (+ ACCEPTED_UPWARD)
#   releases   go/no-go, notes, feed, roadmap                   mail, backlog, feedback (the gate)
#   api        tokens, service accounts (its views: every domain's rules, as the pages do)
#   learning   LMS/LRS data, learner facts, outcomes            backlog, feedback, releases
#   search     the search documents and the search itself      auth, backlog, feedback, releases
#   attachments files on bricks and feedback items              auth, backlog (history), feedback
#   workspace  "my work", notifications, digests                auth, mail, backlog, feedback,
#                                                               releases
#   vendors    directory, specifications, quotes, scorecard     academies, backlog, feedback,
#                                                               learning (outcomes)
DOMAINS = (
    "auth",
    "mail",
    "academies",
    "webhooks",
    "backlog",
    "board",
    "sprints",
    "feedback",
    "releases",
    "api",
    "learning",
    "search",
    "attachments",
    "workspace",
    "vendors",
)
WEB_PLUMBING = (
    "tracker.web",
    "tracker.forms",
    "tracker.templating",
    "tracker.navigation",
    "tracker.errors_web",
    "tracker.imports_web",
    "tracker.security",
)
# Site-wide pages: the front door, and operations (readiness, metrics, request logs).
SITE_PAGES = ("tracker.core", "tracker.ops")
APP_FACTORY = "tracker"
ASSEMBLY = ("tracker.models", "tracker.commands", "tracker.demo")
# Modules of a domain that serve its views without being views themselves.
VIEW_HELPERS = ("routing", "pages", "presenting")

# Imports that run upward, each accepted for the reason given.
ACCEPTED_UPWARD = {
    # Opening a round puts its release in beta: the release's lifecycle and history belong to
    # releases, whose go/no-go reads the rounds' gates (so releases builds on feedback, not the
    # reverse); the round only triggers the move.
    ("tracker.feedback.rounds", "tracker.releases.services"),
}

# Where a function may import from tracker: what assembles the application when it starts.
LOCAL_IMPORTS_ALLOWED = (APP_FACTORY, "tracker.commands")

INFRA, MODELS, RULES, PLUMBING, WEB, TOP = range(6)
FORMS, VIEWS = range(2)


def layer_of(module: str) -> tuple[int, ...]:
    """The rank of a module: a lower rank may not import a higher one."""

    def within(prefixes: tuple[str, ...]) -> bool:
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    if module == APP_FACTORY or within(ASSEMBLY):
        return (TOP,)
    if within(INFRASTRUCTURE):
        return (INFRA,)
    if within(WEB_PLUMBING):
        return (PLUMBING,)
    if within(SITE_PAGES):
        return (WEB, len(DOMAINS), VIEWS)
    parts = module.split(".")
    assert parts[1] in DOMAINS, f"{module}: place it in a layer (tests/test_architecture.py)"
    domain = DOMAINS.index(parts[1])
    name = parts[2] if len(parts) > 2 else "__init__"  # a package's __init__ declares blueprints
    if name.endswith("models"):
        return (MODELS, domain)
    if name.endswith("forms"):
        return (WEB, domain, FORMS)
    if name.endswith("views") or name in VIEW_HELPERS or name == "__init__":
        return (WEB, domain, VIEWS)
    return (RULES, domain)


@dataclass(frozen=True)
class Import:
    module: str  # the importer
    target: str  # the tracker module imported
    line: int
    in_function: bool
    type_checking: bool


def tracker_modules() -> dict[str, Path]:
    root = Path(tracker.__file__).parent
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    def targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "tracker")
        elif node.module and node.level == 0 and node.module.split(".")[0] == "tracker":
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"  # `from tracker.x import module`
                yield submodule if submodule in modules else node.module

    def walk(node: ast.AST, in_function: bool, type_checking: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in targets(child):
                    yield Import(module, target, child.lineno, in_function, type_checking)
            yield from walk(
                child,
                in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef),
                type_checking
                or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)),
            )

    yield from walk(ast.parse(path.read_text(encoding="utf-8")), False, False)


def all_imports() -> list[Import]:
    modules = tracker_modules()
    return [i for name, path in modules.items() for i in imports_of(name, path, modules)]


def run_time_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in tracker_modules()}
    for i in all_imports():
        if not i.type_checking and i.target != i.module:
            graph[i.module].add(i.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
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


def test_every_module_has_a_layer() -> None:
    for module in tracker_modules():
        layer_of(module)


def test_no_import_cycle() -> None:
    """Run-time imports, those inside functions included (they run too)."""
    assert cycles(run_time_graph()) == []


def test_no_import_inside_a_function_outside_the_assembly() -> None:
    local = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in all_imports()
        if i.in_function and not i.type_checking and i.module not in LOCAL_IMPORTS_ALLOWED
    ]
    assert local == []


def test_imports_run_downward_but_for_the_accepted_ones() -> None:
    upward = {
        (module, target)
        for module, targets in run_time_graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    }
    assert sorted(upward - ACCEPTED_UPWARD) == [], "upward: move the code to its layer"
    assert sorted(ACCEPTED_UPWARD - upward) == [], "no longer upward: drop from ACCEPTED_UPWARD"
    assert len(ACCEPTED_UPWARD) <= 3


def test_models_name_other_domains_models_by_string() -> None:
    """A models module imports, at run time, only the infrastructure and its own domain."""
    crossing = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in all_imports()
        if layer_of(i.module)[0] == MODELS
        and not i.type_checking
        and layer_of(i.target) != (INFRA,)
        and i.target.split(".")[1] != i.module.split(".")[1]
    ]
    assert crossing == []
