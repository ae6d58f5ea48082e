"""JSON reaches the pages' scripts only through Jinja's |tojson (it escapes <, >, & and ', so no text, e.g. a
notice containing "</script>", can end the script block early); never a pre-serialised string marked |safe."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "frontend" / "templates"
SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S)
EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)
DATA_ATTR = re.compile(r"""\bdata-[\w-]+\s*=\s*(["'])(.*?)\1""", re.S)


def offending(text: str) -> list[str]:
    found = [
        e.strip()
        for block in SCRIPT.findall(text)
        for e in EXPR.findall(block)
        if not re.search(r"\|\s*tojson\s*$", e.strip())
    ]
    # a data- attribute holding JSON ({...} or [...]) must be made with |tojson too
    for _, value in DATA_ATTR.findall(text):
        for e in EXPR.findall(value):
            if ("json" in e or value.lstrip().startswith(("{{ {", "["))) and not re.search(
                r"\|\s*tojson\s*$", e.strip()
            ):
                found.append(e.strip())
    return found


def test_templates_pass_json_to_scripts_only_through_tojson() -> None:
    bad = {path.name: offending(path.read_text()) for path in sorted(TEMPLATES.rglob("*.html"))}
    assert {name: exprs for name, exprs in bad.items() if exprs} == {}


def test_the_check_sees_a_safe_json_string() -> None:
    assert offending('<script type="application/json" id="x">{{ x_json | safe }}</script>') == ["x_json | safe"]
    assert offending('<div data-config="{{ config_json }}"></div>') == ["config_json"]
    assert offending('<script type="application/json" id="x">{{ x | tojson }}</script>') == []
