"""docs/architecture.md walks a newcomer through the code ("one vote's path"): every file it names exists, and
every `file: name` it points at is defined in that file, so a move or a rename that forgets the doc fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
TEXT = re.sub(r"\n\s+", " ", DOC)  # a reference the formatter of the prose broke over two lines
JS = ROOT / "frontend" / "static" / "js"
FILE = r"[\w\-./]+\.(?:py|js)"


def _file(name: str) -> Path | None:
    for candidate in (ROOT / name, JS / name):
        if candidate.is_file():
            return candidate
    return None


def _python_defines(path: Path, dotted: str) -> bool:
    """`name` at module level (def, class, assignment), or `Class.member` inside that class."""
    scope: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    for part in dotted.split("."):
        found = next((node for node in scope if part in _names(node)), None)
        if found is None:
            return False
        scope = found.body if isinstance(found, ast.ClassDef) else []
    return True


def _names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def _js_defines(path: Path, dotted: str) -> bool:
    name = re.escape(dotted.split(".")[-1])
    declared = rf"\b(?:function\*?|class|const|let|var)\s+{name}\b|^\s*(?:async\s+)?{name}\s*\([^)]*\)\s*\{{"
    return re.search(declared, path.read_text(encoding="utf-8"), re.MULTILINE) is not None


def test_every_file_the_guide_names_exists() -> None:
    named = set(re.findall(rf"`({FILE})(?::[^`]*)?`", TEXT))
    assert named, "the guide names no file: the pattern no longer reads it"
    assert sorted(n for n in named if _file(n) is None) == []


def test_every_name_the_guide_points_at_is_defined_there() -> None:
    pointers = re.findall(rf"`({FILE}): ([A-Za-z_][\w.]*)", TEXT)
    assert len(pointers) >= 20, "the vote's path points at fewer names than it did: the pattern no longer reads it"
    missing = []
    for file, name in pointers:
        path = _file(file)
        if path is None:
            continue  # reported by the test above
        defines = _python_defines if path.suffix == ".py" else _js_defines
        if not defines(path, name):
            missing.append(f"{file}: {name}")
    assert missing == []
