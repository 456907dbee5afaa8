"""The package's layout keeps its promises: imports point down, with no circle (not even
through a lazy or a type-checking import), and modules stay readable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "personalization"
MAX_LINES = 420  # "about 400": a module past this is split into a package


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports: at the top, inside a function (a lazy
    import is an import all the same) or for type checkers only (so is that)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module_name(path):
                found.add(name)
    return found


#: The levels, top to bottom: a module imports from its own level and the levels below it,
#: never from one above. A new module or folder at the top of the package gets a line here.
LEVELS = {
    "fronts": ("middleware", "urls", "apps", "testing", "templatetags", "admin", "api",
               "management", "contrib"),
    # Work that reaches several subsystems: the Celery jobs, export and erasure.
    "services": ("jobs", "datarights"),
    "subsystems": ("touchpoints", "messaging", "measurement", "journeys"),
    "engine": ("engine",),
    "privacy": ("privacy",),
    "models": ("models",),
    "rules": ("rules",),
    # The small modules at the top of the package (and the package itself).
    "conf": ("", "conf", "checks", "fields", "widgets", "signals", "adapters", "cache",
             "html", "images", "routers", "breaker", "cookies"),
}
def level_of(name: str) -> str | None:
    """The level of a module: that of its folder, or its own at the top of the package."""
    parts = name.split(".")
    top = parts[1] if len(parts) > 1 else ""
    return next((level for level, names in LEVELS.items() if top in names), None)


def test_every_part_of_the_package_has_a_level():
    assert [name for name in modules() if level_of(name) is None] == []


def test_imports_point_down_from_fronts_to_conf():
    found = modules()
    upward = []
    rank = {level: n for n, level in enumerate(LEVELS)}
    for name, path in sorted(found.items()):
        mine = rank.get(level_of(name), 0)  # (a module without a level fails the test above)
        for dep in sorted(imports_of(path, set(found))):
            if dep.startswith(name + "."):
                continue  # a package's __init__ importing its own modules
            if rank.get(level_of(dep), len(rank)) < mine:
                upward.append(f"{name} ({level_of(name)}) imports {dep} ({level_of(dep)})")
    assert upward == []


def test_there_is_no_import_circle_in_the_package():
    found = modules()
    graph = {name: imports_of(path, set(found)) for name, path in found.items()}
    # A package's __init__ importing its own modules is how packages work, not a circle.
    for name in graph:
        graph[name] = {d for d in graph[name] if not d.startswith(name + ".")}
    circles = []
    state: dict[str, int] = {}

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                circles.append(" -> ".join([*stack[stack.index(dep):], dep]))
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_too_long_to_read_in_one_sitting(name):
    lines = modules()[name].read_text().count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_only_the_context_touches_its_own_state():
    for name, path in modules().items():
        if name == "personalization.engine.context":
            continue
        text = path.read_text()
        for private in ("._given", "._answers", "._errors", "._verdicts", "._memo",
                        "ctx.__dict__", "visitor.__dict__"):
            assert private not in text, f"{name} uses {private}"


def test_the_architecture_doc_has_a_section_for_each_folder_of_the_package():
    import re

    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    sections = set(re.findall(r"^## (\w+)/:", doc, flags=re.M))
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
               and p.name != "migrations"}
    assert sections == folders
