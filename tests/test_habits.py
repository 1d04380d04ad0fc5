"""Development habits (issue 13): no dead code in the package, no function kept alive by
the tests alone (a helper only tests need lives in tests/)."""

from __future__ import annotations

import ast
import importlib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "generator"
# Decorators that leave a function to be called by name; any other decorator registers
# it somewhere (a rule, a click command, a pydantic validator), which is its caller.
PLAIN = {"property", "cached_property", "cache", "staticmethod", "classmethod", "contextmanager"}


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def _used_names() -> set[str]:
    """Every name the package mentions outside a definition, plus what templates and
    clauses call (their tags and conditions reach Python attributes by name)."""
    names: set[str] = set()
    for module in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.alias):
                names.add(node.name.rsplit(".", 1)[-1])
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.update(node.value.replace(".", " ").replace(":", " ").split())
    words = [p.read_text(encoding="utf-8") for p in (ROOT / "clauses").rglob("*.md")]
    for template in (ROOT / "templates").glob("*.docx"):
        with zipfile.ZipFile(template) as z:
            words += [z.read(n).decode("utf-8", "replace") for n in z.namelist()
                      if n.endswith(".xml")]
    for text in words:
        for token in text.replace(".", " ").replace("(", " ").replace("}", " ").split():
            names.add(token.strip("{%|"))
    return names


def _overrides(module: Path, tree: ast.Module) -> set[str]:
    """Methods that override a base class's (their caller is the base class's code)."""
    name = ".".join(module.relative_to(ROOT).with_suffix("").parts)
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.bases:
            cls = getattr(importlib.import_module(name), node.name)
            found |= {attr for attr in vars(cls)
                      if any(hasattr(base, attr) for base in cls.__mro__[1:])}
    return found


def test_every_function_of_the_package_has_a_caller_in_the_package() -> None:
    used = _used_names()
    unused = []
    for module in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        overrides = _overrides(module, tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if node.name in overrides:
                continue
            if node.name.startswith("__") or node.name in ("main",):
                continue
            if any(_decorator_name(d) not in PLAIN for d in node.decorator_list):
                continue
            if node.name not in used:
                unused.append(f"{module.relative_to(ROOT)}:{node.lineno}: {node.name}")
    assert unused == [], "never called by the package (remove it, or move it to tests/):\n" + \
        "\n".join(unused)
