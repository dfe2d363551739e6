"""Import rules `make lint` checks (ruff has no rule for them):

1. No module of hybridfw imports a private name (``_name``: a function, class, constant or
   module) from another package of hybridfw, nor reaches into one (``AddressSet._raw``). A
   package is a top-level package or module: ``hybridfw.audit``, ``hybridfw.addresses``,
   ``hybridfw.topology``. Inside one package, private names are shared freely.
2. No test module imports another test module: shared helpers live in ``tests/_support/``.

Prints one line per violation (``path:line: what``) and exits 1 if there is any.
Usage: python tools/check_imports.py [REPO]
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT_PACKAGE = "hybridfw"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(module: str) -> str:
    """The package a dotted module name belongs to: its component after `hybridfw`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == ROOT_PACKAGE else ""


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def src_violations(src: Path) -> Iterator[str]:
    for path in sorted((src / ROOT_PACKAGE).rglob("*.py")):
        importer = _module_name(path, src)
        own = _package(importer)
        tree = ast.parse(path.read_text(), str(path))
        foreign: set[str] = set()  # local names bound to another package's modules or objects
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _absolute(node, importer, path.name == "__init__.py")
                if not target.startswith(ROOT_PACKAGE):
                    continue
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    package = _package(target) or _package(full)
                    if package == own:
                        continue
                    hidden = [p for p in full.split(".")[1:] if _private(p)]
                    if hidden:
                        yield f"{path}:{node.lineno}: imports {full} (private {hidden[0]!r} of " \
                              f"package {package!r})"
                    foreign.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.name
                    if not name.startswith(ROOT_PACKAGE) or _package(name) == own:
                        continue
                    hidden = [p for p in name.split(".")[1:] if _private(p)]
                    if hidden:
                        yield f"{path}:{node.lineno}: imports {name} (private {hidden[0]!r})"
                    if alias.asname:
                        foreign.add(alias.asname)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _private(node.attr)
                    and isinstance(node.value, ast.Name) and node.value.id in foreign):
                yield f"{path}:{node.lineno}: uses {node.value.id}.{node.attr} (private, another package)"


def test_violations(tests: Path) -> Iterator[str]:
    for path in sorted(tests.rglob("*.py")):
        if "data" in path.relative_to(tests).parts[:1]:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
                names += [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                last = name.rsplit(".", 1)[-1]
                if last.startswith("test_") or last == "conftest":
                    yield f"{path}:{node.lineno}: imports the test module {name} (move what it " \
                          "shares to tests/_support/)"
                    break


def main(argv: list[str]) -> int:
    repo = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1]
    problems = [*src_violations(repo / "src"), *test_violations(repo / "tests")]
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
