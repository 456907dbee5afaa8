"""The package's layout keeps its promises: imports point one way, modules stay readable."""

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
    """The package's modules that ``path`` imports, at the top or inside a function (a
    lazy import is an import all the same); not those only read by type checkers."""
    tree = ast.parse(path.read_text())
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
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
