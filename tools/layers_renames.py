"""Rewrites imports and mentions of the modules the `layers` branch moved (issue 16, point 1) to their new names.

Idempotent: run it again after merging a branch that still imports the old names (python tools/layers_renames.py,
from the repository root); it prints the files it changed. What it rewrites:
- whole modules (`app.context` -> `infra.context`, `audit.chain` -> `ledger.chain`, ...): dotted names anywhere in
  Python, Markdown, TOML and Makefile text (imports, strings, comments), and their file paths (`app/http.py`, JS too);
- `from PKG import MOD` of a moved module (`from app import openapi` -> `from web import openapi`);
- names that left a module still in place: the page helpers of `app.pages` (some renamed public), and, in the
  domain packages only, what their socket modules take from `realtime` (now `web.sockets`).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

MODULES = {
    "app.background": "infra.background",
    "app.cluster": "infra.cluster",
    "app.context": "infra.context",
    "app.draining": "infra.draining",
    "app.gctune": "infra.gctune",
    "app.groupcommit": "infra.groupcommit",
    "app.outbox": "infra.outbox",
    "app.paths": "infra.paths",
    "app.ratelimit": "infra.ratelimit",
    "app.settings": "infra.settings",
    "app.auth": "web.auth",
    "app.http": "web.http",
    "app.i18n": "web.i18n",
    "app.i18n_routes": "web.i18n_routes",
    "app.messages": "web.messages",
    "app.multipart": "web.multipart",
    "app.openapi": "web.openapi",
    "app.redirects": "web.redirects",
    "app.security_headers": "web.security_headers",
    "accounts.actor": "core.actor",
    "audit.chain": "ledger.chain",
    "audit.keys": "ledger.keys",
    "audit.models": "ledger.models",
    "minutes.keystore": "ledger.keystore",
    "display.models": "meetings.display_tokens",
}
# (module, name) -> (new module, new name): names that moved out of a module that stays.
NAMES = {
    ("app.pages", "render"): ("web.pages", "render"),
    ("app.pages", "refused"): ("web.pages", "refused"),
    ("app.pages", "lang_of"): ("web.pages", "lang_of"),
    ("app.pages", "local_time"): ("web.pages", "local_time"),
    ("app.pages", "_env"): ("web.pages", "_env"),
    ("app.pages", "_actor"): ("web.pages", "page_actor"),
    ("app.pages", "_to_login"): ("web.pages", "to_login"),
    ("app.pages", "_meeting_page"): ("meetings.pages", "meeting_page"),
    ("app.pages", "PageCheck"): ("meetings.pages", "PageCheck"),
}
# Only in the domain packages (realtime itself and the tests keep the concrete classes).
DOMAIN_NAMES = {
    ("realtime.actions", "SocketActions"): ("web.sockets", "SocketActions"),
    ("realtime.actions", "Handler"): ("web.sockets", "Handler"),
    ("realtime.actions", "INTERNAL"): ("web.sockets", "INTERNAL"),
    ("realtime.broadcast", "room"): ("web.sockets", "room"),
    ("realtime.payloads", "MeetingRef"): ("web.sockets", "MeetingRef"),
}
# Imports below app/ only (app/, the tests and the benches keep app.db: the Database with the domains' hooks wired).
BELOW_APP_MODULES = {"app.db": "infra.db"}
BELOW_APP = {"core", "infra", "web", "realtime"}
# Literal spellings of a moved path the patterns above do not see.
LITERALS = {'ROOT / "app" / "messages"': 'ROOT / "web" / "messages"'}
NOT_DOMAIN = {"app", "core", "infra", "web", "realtime", "tests", "bench", "migrations", "tools", "docs", "frontend"}
SKIP_DIRS = {".venv", ".git", "node_modules", "var", "vendor", "ecabinet.egg-info", "__pycache__"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".js", ".ini", ".cfg", ".txt"}
SELF = {Path("tools/layers_renames.py"), Path("tests/test_layers.py"), Path("docs/architecture.md")}  # name the old

_DOTTED = re.compile(r"(?<![\w.])(" + "|".join(re.escape(m) for m in sorted(MODULES, key=len, reverse=True)) + r")\b")
_PATHS = {m.replace(".", "/"): n.replace(".", "/") for m, n in MODULES.items()}
_PATH = re.compile(
    r"(?<![\w/.])(" + "|".join(re.escape(p) for p in sorted(_PATHS, key=len, reverse=True)) + r")(?=\.py\b|/)"
)


def _is_domain(path: Path) -> bool:
    return len(path.parts) > 1 and path.parts[0] not in NOT_DOMAIN


def _import_lines(node: ast.ImportFrom, moves: dict[tuple[str, str], tuple[str, str]], indent: str) -> list[str] | None:
    """The statements that replace `node` (None: nothing of it moved)."""
    module = node.module or ""
    groups: dict[str, list[str]] = {}
    touched = False
    for alias in node.names:
        target = moves.get((module, alias.name))
        if target is None and f"{module}.{alias.name}" in MODULES:  # from app import openapi
            new_pkg, _, new_name = MODULES[f"{module}.{alias.name}"].rpartition(".")
            target = (new_pkg, new_name)
        if target is None:
            target = (module, alias.name)
        else:
            touched = True
        new_module, new_name = target
        text = new_name if alias.asname is None else f"{new_name} as {alias.asname}"
        if alias.asname is None and new_name != alias.name and (module, alias.name) not in moves:
            text = f"{new_name} as {alias.name}"  # a module renamed on the way (none today): keep the local name
        groups.setdefault(new_module, []).append(text)
    if not touched:
        return None
    return [f"{indent}from {mod} import {', '.join(names)}\n" for mod, names in groups.items()]


def rewrite_python(path: Path, text: str) -> str:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    moves = dict(NAMES)
    if _is_domain(path):
        moves.update(DOMAIN_NAMES)
    lines = text.splitlines(keepends=True)
    renamed: dict[str, str] = {}
    edits: list[tuple[int, int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            start, end = node.lineno - 1, (node.end_lineno or node.lineno)
            first = lines[start]
            indent = first[: len(first) - len(first.lstrip())]
            new = _import_lines(node, moves, indent)
            if new is None:
                continue
            tail = lines[end - 1].rstrip("\n")
            comment = re.search(r"\s+#.*$", tail) if end - 1 == start else None
            if comment and not new[-1].rstrip("\n").endswith(comment.group(0).strip()):
                new[-1] = new[-1].rstrip("\n") + comment.group(0) + "\n"
            edits.append((start, end, new))
            for alias in node.names:
                target = moves.get((node.module, alias.name))
                if target and alias.asname is None and target[1] != alias.name:
                    renamed[alias.name] = target[1]
    for start, end, new in sorted(edits, reverse=True):
        lines[start:end] = new
    text = "".join(lines)
    for old, new_name in renamed.items():
        text = re.sub(rf"(?<![\w.]){re.escape(old)}\b", new_name, text)
    return text


def rewrite_text(text: str, *, dotted: bool = True) -> str:
    if dotted:
        text = _DOTTED.sub(lambda m: MODULES[m.group(1)], text)
    return _PATH.sub(lambda m: _PATHS[m.group(1)], text)


def files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS for part in rel.parts) or not path.is_file() or rel in SELF:
            continue
        if path.suffix in TEXT_SUFFIXES or path.name == "Makefile":
            found.append(rel)
    return sorted(found)


def main(root: Path = Path(".")) -> int:
    changed = 0
    for rel in files(root):
        path = root / rel
        try:
            old = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new = rewrite_python(rel, old) if rel.suffix == ".py" else old
        new = rewrite_text(new, dotted=rel.suffix != ".js")  # in JS, "audit.chain" is a catalogue key
        if rel.suffix == ".py" and (_is_domain(rel) or rel.parts[0] in BELOW_APP):
            for old_module, new_module in BELOW_APP_MODULES.items():
                new = re.sub(
                    rf"^(\s*(?:from|import) ){re.escape(old_module)}\b", rf"\g<1>{new_module}", new, flags=re.M
                )
        for old_literal, new_literal in LITERALS.items():
            new = new.replace(old_literal, new_literal)
        if new != old:
            path.write_text(new, encoding="utf-8")
            print(rel)
            changed += 1
    print(f"{changed} files rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
