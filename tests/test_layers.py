"""The layers of fs-lint, read from its own imports: what each package may import, and no circles.

``syntax`` (reading Python source) is the bottom; the program and library models (``model``)
read code through it; the ``analysis`` asks both; ``rules`` and ``codemods`` sit beside each other
on top of the analysis; the fix engine, the checker and the front ends above them. An import inside
a function counts as much as one at the top: a lazy import still ties the two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fs_lint"

# package -> the fs_lint packages and modules it may import (besides itself)
MAY_IMPORT = {
    "syntax": set(),
    "model": {"syntax"},
    "analysis": {"syntax", "model", "settings", "test_files"},
    "rules": {"syntax", "model", "analysis", "findings", "settings"},
    "codemods": {"syntax", "model", "analysis", "findings", "settings", "rules", "project", "line_matching"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """The fs_lint modules ``path`` imports, anywhere in the file, as dotted names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("fs_lint")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("fs_lint"):
                found.add(target)
                found |= {f"{target}.{alias.name}" for alias in node.names}
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in found if m in modules} - {name}


GRAPH = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_a_layer_imports_only_what_lies_beneath_it(layer: str) -> None:
    prefix = f"fs_lint.{layer}"
    allowed = {f"fs_lint.{below}" for below in MAY_IMPORT[layer]} | {prefix, "fs_lint"}
    wrong = sorted(f"{module} imports {target}" for module, targets in GRAPH.items()
                   if module == prefix or module.startswith(prefix + ".")
                   for target in targets
                   if not any(target == a or target.startswith(a + ".") for a in allowed))
    assert not wrong, "\n".join(wrong)


def test_no_import_circles() -> None:
    """Tarjan's strongly connected components over the module graph: each must be one module.

    A package's ``__init__`` importing its own submodules (to register them) is how the rules
    are registered; an edge from a submodule back to its own package ``__init__`` is then left
    out, since it only reaches a name the package defines before those imports.
    """
    def edges(module: str) -> set[str]:
        return {t for t in GRAPH[module] if not module.startswith(t + ".")}

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges(module):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert not circles, circles
