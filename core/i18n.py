"""Gettext catalogues (locale/<lang>/LC_MESSAGES/messages.po), read with Babel when first used: no build step.

Vietnamese is the source and the default. UI strings are keyed ("live.quorum"); service errors are keyed on
their Vietnamese text with {placeholders} ("Cuộc họp “{title}” chưa có nội dung họp."), the same text the code
raises, so a message keeps reading well in logs and tests and is translated only at the edge (localize()).
"""

from __future__ import annotations

import gettext as _gettext
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Callable

from babel.messages.pofile import read_po

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


_KEY = re.compile(r"[a-z][\w-]*(\.[\w-]+)+")


def is_key(msgid: str) -> bool:
    """A UI key ('live.quorum'), not a service message (a Vietnamese sentence, its own key)."""
    return bool(_KEY.fullmatch(msgid))


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@dataclass(frozen=True)
class Catalogue:
    lang: str
    singular: dict[str, str]
    plural: dict[str, tuple[str, ...]]
    plural_form: Callable[[int], int]
    plural_expr: str


@cache
def catalogue(lang: str) -> Catalogue:
    with po_path(lang).open("rb") as f:
        po = read_po(f, locale=lang)
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        if message.pluralizable:
            forms = tuple(message.string or ())
            if all(forms):
                plural[message.id[0]] = forms
        elif isinstance(message.id, str) and isinstance(message.string, str) and message.string:
            singular[message.id] = message.string
    return Catalogue(lang, singular, plural, _gettext.c2py(po.plural_expr), po.plural_expr)


def load_all() -> None:
    """At start-up: a broken catalogue stops the server, not a page."""
    for lang in LANGS:
        catalogue(lang)


def known(key: str) -> bool:
    return any(key in catalogue(lang).singular or key in catalogue(lang).plural for lang in LANGS)


def lookup(key: str, lang: str, n: int | None = None) -> str | None:
    """The text of `key` in `lang` (its plural form for `n` when it has forms), falling back to Vietnamese."""
    for code in (lang, DEFAULT_LANG) if lang != DEFAULT_LANG else (DEFAULT_LANG,):
        cat = catalogue(code)
        forms = cat.plural.get(key)
        if forms is not None:
            index = cat.plural_form(int(n)) if n is not None else 0
            return forms[min(index, len(forms) - 1)]
        text = cat.singular.get(key)
        if text is not None:
            return text
    return None


class _Keep(dict):  # type: ignore[type-arg]
    def __missing__(self, name: str) -> str:  # a placeholder without a value stays visible, never a 500
        return "{" + name + "}"


def fill(text: str, params: dict[str, Any]) -> str:
    if not params:
        return text
    params = {k: " ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for k, v in params.items()}  # sentences
    try:
        return text.format_map(_Keep(params))
    except (ValueError, IndexError, AttributeError):
        return text


def translate(key: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    """`key` in `lang` with its {placeholders} filled; n= (or count=) picks the plural form. Unknown: the key."""
    n = params.get("n", params.get("count"))
    text = lookup(key, lang, n if isinstance(n, int) else None)
    return fill(key if text is None else text, {k: localize(v, lang) for k, v in params.items()})


class Msg(str):
    """A user-facing message that reads as Vietnamese everywhere (str) and remembers its catalogue key and
    parameters, so the edge can answer it in the user's language (localize)."""

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, /, **params: Any) -> "Msg":
        self = super().__new__(cls, fill(key, params))
        self.key = key
        self.params = params
        return self

    def __reduce__(self) -> Any:  # survives pickling (multi-node relays) as itself
        return (_rebuild, (self.key, self.params))


def _rebuild(key: str, params: dict[str, Any]) -> Msg:
    return Msg(key, **params)


def N_(key: str) -> Msg:
    """Marks a message text written apart from its raise (a constant, a table of reasons) for extraction."""
    return Msg(key)


def localize(value: Any, lang: str) -> Any:
    """`value` with every Msg in it (nested in dicts, lists, parameters) in `lang`."""
    if isinstance(value, Msg):
        return translate(value.key, lang, **value.params)
    if isinstance(value, dict):
        return {k: localize(v, lang) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [localize(v, lang) for v in value]
    return value


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language cookie, else the first language of Accept-Language we speak (by q), else Vietnamese."""
    if cookie in LANGS:
        return str(cookie)
    best, best_q = DEFAULT_LANG, -1.0
    for i, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, rest = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                q = 0.0
        if code in LANGS and q > best_q and q > 0:
            best, best_q = code, q - i * 1e-6  # ties: the first listed wins
    return best
