"""Rewrite f-string messages of service errors into catalogue messages, in place:
    raise Conflict(f"Cuộc họp “{meeting.title}” chưa có nội dung họp.")
 -> raise Conflict("Cuộc họp “{title}” chưa có nội dung họp.", title=meeting.title)

    python -m app.i18n_fstrings [files or folders]   (default: every package app.i18n_catalog scans)

Placeholders are named after what they show (x -> x, a.b.id -> b_id, a.title -> title, f(x) -> its subject);
a format spec or conversion (!r, :.2f) is left for a person, and listed. Then run `make i18n`."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from app.i18n_catalog import error_classes, python_files


def _name(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.id.lower()
    if isinstance(expr, ast.Attribute):
        parts = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if isinstance(expr, ast.Name):
            parts.append(expr.id)
        if parts[0] == "id" and len(parts) > 1:
            return f"{parts[1]}_id"
        return parts[0].lower()
    if isinstance(expr, ast.Call):
        return _name(expr.func.value) if isinstance(expr.func, ast.Attribute) else "value"
    if isinstance(expr, (ast.BinOp, ast.Subscript)):
        return _name(expr.left if isinstance(expr, ast.BinOp) else expr.value)
    return "value"


def _template(source: str, fstring: ast.JoinedStr) -> tuple[str, dict[str, str]] | None:
    text = ""
    params: dict[str, str] = {}
    for part in fstring.values:
        if isinstance(part, ast.Constant):
            text += str(part.value).replace("{", "{{").replace("}", "}}")
            continue
        assert isinstance(part, ast.FormattedValue)
        if part.conversion != -1 or part.format_spec is not None:
            return None
        expr = ast.get_source_segment(source, part.value) or ""
        name, base, n = _name(part.value), _name(part.value), 2
        while name in params and params[name] != expr:
            name, n = f"{base}{n}", n + 1
        params[name] = expr
        text += "{" + name + "}"
    return text, params


def rewrite(path: Path, errors: frozenset[str]) -> tuple[int, list[str]]:
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:  # ast columns count UTF-8 bytes
        return starts[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode())

    edits, left = [], []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.JoinedStr)):
            continue
        func = node.func
        if (func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)) not in errors:
            continue
        fstring = node.args[0]
        done = _template(source, fstring)
        if done is None:
            left.append(f"{path}:{node.lineno}")
            continue
        text, params = done
        quote = '"' if '"' not in text else "'"
        new = quote + text + quote + "".join(f", {k}={v}" for k, v in params.items())
        edits.append(
            (
                offset(fstring.lineno, fstring.col_offset),
                offset(fstring.end_lineno or 0, fstring.end_col_offset or 0),
                new,
            )
        )
    for start, end, new in sorted(edits, reverse=True):
        source = source[:start] + new + source[end:]
    if edits:
        path.write_text(source)
    return len(edits), left


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [p for a in args for p in (sorted(Path(a).rglob("*.py")) if Path(a).is_dir() else [Path(a)])] or list(
        python_files()
    )
    errors = error_classes()
    left: list[str] = []
    for path in paths:
        count, missed = rewrite(path, errors)
        left += missed
        if count:
            print(f"{path}: {count} message(s) rewritten")
    for where in left:
        print(f"{where}: a format spec or conversion: rewrite by hand", file=sys.stderr)
    return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main())
