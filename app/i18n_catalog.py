"""The catalogue's upkeep:  python -m app.i18n_catalog update | check

update (make i18n): move legacy key files (web/messages/<area>.py with MESSAGES) into the catalogues
  (app/i18n_import.py), then extract every message with Babel's extractors (python: DomainError raises, N_(), Msg(),
  t(); Jinja2 templates: t(), gettext, ngettext, _, {% trans %}; ES modules: t("key")) and add the new ones to
  both .po files: a service message (a Vietnamese sentence, its own key) gets itself as Vietnamese text, a UI
  key gets an empty text to fill in. Nothing is ever dropped (keys built at run time, e.g. t("att." + state)).
check (make i18n-check): lists, and fails on, messages missing in either language, raises whose message is
  not a literal the extractor sees, and user text outside the catalogue in templates and ES modules.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from jinja2.ext import babel_extract

from app import i18n_import, i18n_po
from infra.paths import STATIC_DIR, TEMPLATES_DIR
from core.i18n import LANGS, is_key

ROOT = Path(__file__).resolve().parent.parent
# Every top-level package of the product (a new domain package is checked without being listed here).
PACKAGES = sorted(
    p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in {"tests", "migrations", "bench"}
)
ERRORS = {
    "DomainError",
    "Unauthenticated",
    "Forbidden",
    "NotFound",
    "Conflict",
    "ValidationFailed",
    "RateLimited",
    "TooLarge",
    "BadRequest",
    "UnsupportedMediaType",
}
MARKERS = {"N_", "Msg", "t", "translate"}
# Helpers that put their argument into an error message ("Không thể {action} cuộc họp..."): argument index.
ACTION_ARGS = {"require_state": 2, "require_vote_state": 2, "_current_item": 1, "_require_state": 2, "require_draft": 2}
JS_CALL = re.compile(r"""\bt\(\s*(["'])([\w.-]+)\1""")
LETTER = re.compile(r"[A-Za-zÀ-ỹĐđ]")
VIETNAMESE = re.compile(r"[À-ỹĐđ]")
# Leaves that are no user text: the brand, a status line, CSS class blocks, a format name, and languages named in
# themselves (a language menu shows "Tiếng Việt" and "English" whatever the page's language).
TEMPLATE_TEXT_OK = re.compile(r"e-Cabinet|HTTP|PDF|Tiếng Việt|English|[a-z]+(-[a-z]+)+")
NOT_A_MESSAGE = {"ActiveContent"}  # its own __init__ writes the message; the argument is the findings


def python_files() -> Iterator[Path]:
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if "demo" not in path.parts:
                yield path


@cache
def error_classes() -> frozenset[str]:
    """DomainError and every subclass the packages define (NoQuorum, MinutesFrozen...)."""
    names = set(ERRORS)
    trees = [ast.parse(p.read_text()) for p in python_files()]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    if any(
                        (b.id if isinstance(b, ast.Name) else getattr(b, "attr", None)) in names for b in node.bases
                    ):
                        names.add(node.name)
                        grew = True
    return frozenset(names)


def extract_python_ids(errors: frozenset[str]) -> dict[str, str]:
    keywords = {name: None for name in (errors - NOT_A_MESSAGE) | MARKERS}
    found: dict[str, str] = {}
    for path in python_files():
        # The syntax tree, not Babel's token scanner: that one also took `t["late"]` (a variable named t) as t("late").
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _name(node.func) in keywords and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
                    found.setdefault(first.value, f"{path.relative_to(ROOT)}:{node.lineno}")
        found.update({m: f"{path.relative_to(ROOT)}:{n}" for m, n in _branches(path, errors)})
    return found


def _branches(path: Path, errors: frozenset[str]) -> Iterator[tuple[str, int]]:
    """What Babel's extractor misses: raise X("a" if c else "b") (both texts), N_()/Msg() nested in another
    call's arguments, and the actions given to the helpers of ACTION_ARGS."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and _name(node.func) in ("N_", "Msg") and node.args:  # nested in a call too
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield first.value, node.lineno
        index = ACTION_ARGS.get(_name(node.func)) if isinstance(node, ast.Call) else None  # type: ignore[arg-type]
        if index is not None and len(node.args) > index:  # type: ignore[attr-defined]
            arg = node.args[index]  # type: ignore[attr-defined]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield arg.value, node.lineno  # type: ignore[attr-defined]
        if (
            isinstance(node, ast.Call)
            and _name(node.func) in errors
            and node.args
            and isinstance(node.args[0], ast.IfExp)
        ):
            for side in (node.args[0].body, node.args[0].orelse):
                if isinstance(side, ast.Constant) and isinstance(side.value, str):
                    yield side.value, node.lineno


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def extract_template_ids() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(TEMPLATES_DIR.glob("*.html")):
        with path.open("rb") as f:
            options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
            for lineno, _f, message, _c in babel_extract(f, ("t", "gettext", "ngettext", "_"), [], options):
                msgid = message[0] if isinstance(message, tuple) else message
                if msgid:
                    found.setdefault(msgid, f"{path.name}:{lineno}")
    return found


def extract_js_ids() -> dict[str, str]:
    """The ES modules' t("key") calls (a small extractor: keys are plain dotted words)."""
    found: dict[str, str] = {}
    for path in sorted((STATIC_DIR / "js").glob("*.js")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            for match in JS_CALL.finditer(line):
                found.setdefault(match.group(2), f"{path.name}:{lineno}")
    return found


@cache
def extract_all() -> dict[str, str]:
    """msgid -> where it is first used (one scan a process: the checks share it)."""
    return {**extract_js_ids(), **extract_template_ids(), **extract_python_ids(error_classes())}


def is_sentence(msgid: str) -> bool:
    return not is_key(msgid)


def legacy_files() -> list[Path]:
    """web/messages/<area>.py files still holding a MESSAGES = {key: (vi, en)} table (from a branch merged)."""
    return [
        p for p in sorted((ROOT / "web" / "messages").glob("*.py")) if re.search(r"^MESSAGES\b", p.read_text(), re.M)
    ]


def update() -> list[str]:
    legacy = legacy_files()
    if legacy and i18n_import.main([str(p) for p in legacy]) != 0:
        raise SystemExit("legacy key files conflict with the catalogue: see above")
    cats = i18n_po.load_all()
    added = []
    for msgid, where in sorted(extract_all().items()):
        if not is_sentence(msgid) and msgid.endswith("."):
            continue  # a key prefix such as t("att." + state)
        if cats["vi"].get(msgid) is None:
            added.append(f"{where}: {msgid}")
        for lang in LANGS:
            if cats[lang].get(msgid) is None:
                cats[lang].add(msgid, msgid if lang == "vi" and is_sentence(msgid) else "", locations=[])
    for lang, cat in cats.items():
        i18n_po.save(lang, cat)
    return added


# --- check ---------------------------------------------------------------------------------------------


def missing_translations() -> list[str]:
    cats = i18n_po.load_all()
    ids = {m.id if isinstance(m.id, str) else m.id[0] for cat in cats.values() for m in cat if m.id}
    problems = []
    for msgid in sorted(ids):
        for lang in LANGS:
            message = cats[lang].get(msgid)
            strings = message.string if message is not None else ""
            if not strings or (isinstance(strings, tuple) and not all(strings)) or (message and message.fuzzy):
                problems.append(f"{lang}: {msgid}")
    return problems


def outside_catalogue() -> list[str]:
    """Extracted messages (python, templates, scripts) that neither .po file has."""
    vi = i18n_po.load("vi")
    return [
        f"{where}: {msgid}"
        for msgid, where in sorted(extract_all().items(), key=lambda kv: kv[1])
        if vi.get(msgid) is None and not (not is_sentence(msgid) and msgid.endswith("."))
    ]


def unmarked_raises() -> list[str]:
    """raise X(message) where the message is neither a literal, a marked constant (N_/Msg) nor a variable
    holding one: an f-string or a concatenation is text the catalogue can never have."""
    errors = error_classes()
    found = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _name(node.func) in errors - NOT_A_MESSAGE and node.args:
                arg = node.args[0]
                if isinstance(arg, (ast.JoinedStr, ast.BinOp)) or (
                    isinstance(arg, ast.Call) and _name(arg.func) not in MARKERS
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(arg)[:100]}")
    return found


class _Text(HTMLParser):
    ATTRS = {"title", "placeholder", "alt", "aria-label", "label"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in self.ATTRS and value:
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._check(data)

    def _check(self, text: str) -> None:
        for part in text.split("\x00"):
            part = part.strip()
            if LETTER.search(part) and not TEMPLATE_TEXT_OK.fullmatch(part):
                self.found.append(part)


def template_text() -> list[str]:
    """Text between tags (and in title/placeholder/aria-label/alt) written in a template, not through t()."""
    return [
        f"{path.name}: {text!r}"
        for path in sorted(TEMPLATES_DIR.glob("*.html"))
        for text in template_text_of(path.read_text())
    ]


def template_text_of(template: str) -> list[str]:
    source = re.sub(
        r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "\x00", template, flags=re.S
    )  # a {% trans %} block is the catalogue's text
    parser = _Text()
    parser.feed(source)
    return parser.found


_JS_STRING = re.compile(r"""(["'`])((?:\\.|(?!\1).)*?)\1""")


def script_text() -> list[str]:
    """Vietnamese written in an ES module's code (comments aside): UI text belongs in the catalogue."""
    found = []
    for path in sorted((STATIC_DIR / "js").glob("*.js")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if "// i18n: data" in line:  # data the record keeps as written (e.g. a vote's default choices)
                continue
            code = line.split("//", 1)[0] if not line.lstrip().startswith(("*", "/*")) else ""
            for match in _JS_STRING.finditer(code):
                if VIETNAMESE.search(match.group(2)):
                    found.append(f"{path.name}:{lineno}: {match.group(0)[:80]}")
    return found


_KEY_LITERAL = re.compile(r"""["'`]([a-z][\w-]*(?:\.[\w-]+)*\.?)(?=["'`]|\$\{)""")


def unused_keys() -> list[str]:
    """UI keys that no code names: neither as a literal anywhere (t("a") or cond ? "a" : "b") nor under a
    prefix the code completes at run time (t("att." + state), t(`weekday.${n}`), "error." + code)."""
    sources = [*(STATIC_DIR / "js").glob("*.js"), *TEMPLATES_DIR.glob("*.html"), *python_files()]
    named: set[str] = set()
    for path in sources:
        named.update(_KEY_LITERAL.findall(path.read_text()))
    prefixes = tuple(n for n in named if n.endswith("."))
    vi = i18n_po.load("vi")
    keys = {m.id if isinstance(m.id, str) else m.id[0] for m in vi if m.id}
    return sorted(k for k in keys if not is_sentence(k) and k not in named and not k.startswith(prefixes))


def check() -> dict[str, list[str]]:
    return {
        "missing a translation (fill it in locale/<lang>/LC_MESSAGES/messages.po)": missing_translations(),
        "not in the catalogue (run make i18n, then translate)": outside_catalogue(),
        "raised with a message built at run time (use a literal with {placeholders} and keyword params)": (
            unmarked_raises()
        ),
        "user text in a template outside t()": template_text(),
        "user text in an ES module outside t()": script_text(),
        "UI keys no code uses (delete them from both .po files)": unused_keys(),
    }


def main(argv: list[str] | None = None) -> int:
    command = (sys.argv[1:] if argv is None else argv) or ["check"]
    if command[0] == "update":
        for line in update():
            print(f"added {line}")
        return 0
    failed = False
    for title, lines in check().items():
        if lines:
            failed = True
            print(f"{title}:")
            print("\n".join(f"  {line}" for line in lines))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
