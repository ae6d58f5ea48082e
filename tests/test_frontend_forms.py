"""Every form this app's JavaScript handles goes through forms.js (onSubmit): until then the browser does not
submit it (form-guard.js) and its button takes no taps (app.css). A handler attached another way would leave
its form's button dead; only forms with method="dialog" (the browser's own dialog submission) are exempt."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "frontend" / "static" / "js"
TEMPLATES = ROOT / "frontend" / "templates"
# The files whose own submit listener serves a <form method="dialog">, and where that form is written.
DIALOG_FORMS = {
    "minutes.js": "minutes.html",
    "viewer-ink.js": "viewer.html",
    "password-dialog.js": "password-dialog.js",
    "passphrase-dialog.js": "passphrase-dialog.js",
}
SUBMIT_LISTENER = re.compile(r"""addEventListener\(\s*["']submit["']""")


def test_submit_handlers_go_through_on_submit() -> None:
    stray = []
    for path in sorted(JS.glob("*.js")):
        text = path.read_text()
        if path.name not in ("forms.js", "form-guard.js") and SUBMIT_LISTENER.search(text):
            if path.name not in DIALOG_FORMS:
                stray.append(path.name)
        if re.search(r"\bonsubmit\b", text):  # h("form", {onsubmit: …}) or form.onsubmit = …
            stray.append(f"{path.name} (onsubmit)")
    assert not stray, f"submit handlers not attached with forms.js onSubmit: {stray}"


def test_the_exempt_forms_are_dialog_forms() -> None:
    for script, where in DIALOG_FORMS.items():
        source = (TEMPLATES / where) if where.endswith(".html") else (JS / where)
        assert 'method="dialog"' in source.read_text() or 'method: "dialog"' in source.read_text(), (script, where)


def test_every_handled_form_in_a_page_is_taken_by_a_module() -> None:
    """Each <form> without a method in a template is named by id (or data-search) in some module that calls
    onSubmit, so none keeps a dead button."""
    modules = {p.name: p.read_text() for p in JS.glob("*.js")}
    users = "\n".join(text for text in modules.values() if "onSubmit(" in text)
    missing = []
    for page in sorted(TEMPLATES.glob("*.html")):
        for tag in re.findall(r"<form\b[^>]*>", page.read_text()):
            if "method=" in tag:
                continue
            ident = re.search(r'\bid="([^"]+)"', tag)
            name = ident.group(1) if ident else ("[data-search]" if "data-search" in tag else tag)
            if name.strip("[]") not in users:
                missing.append(f"{page.name}: {name}")
    assert not missing, f"forms no module takes with onSubmit: {missing}"
