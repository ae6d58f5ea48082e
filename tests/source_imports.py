"""The absolute imports of a Python file, read from its syntax tree (tests/test_layers.py, test_dependencies.py):
those inside functions and under TYPE_CHECKING too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module name) of every `import x.y` and `from x.y import z` (relative ones left out)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
