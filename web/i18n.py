"""UI strings from the gettext catalogues (core/i18n.py): t(key, **params) for pages, the same keys as a
JSON catalogue for the ES modules (web/i18n_routes.py).

A legacy key file (web/messages/<area>.py with MESSAGES = {key: (vi, en)}) still works while a branch
that added one is merged: it is read here as a fallback until `python -m app.i18n_import` moves it into
the catalogues.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from http.cookies import CookieError, SimpleCookie
from typing import Any, Callable

from starlette.requests import HTTPConnection

import web.messages
from core.i18n import DEFAULT_LANG, LANGS, catalogue, is_key, lookup, negotiate, translate as _translate

__all__ = ["LANGS", "LANG_COOKIE", "request_lang", "translate", "table", "t_for", "known"]
LANG_COOKIE = "ecabinet_lang"


def request_lang(conn: HTTPConnection) -> str:
    """The user's language: the language cookie, else Accept-Language, else Vietnamese."""
    return negotiate(conn.cookies.get(LANG_COOKIE), conn.headers.get("accept-language"))


def environ_lang(environ: dict[str, Any]) -> str:
    """The same for a socket, from its handshake (the WSGI-style environ python-socketio passes to connect)."""
    cookie = None
    try:
        jar: SimpleCookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        cookie = jar[LANG_COOKIE].value if LANG_COOKIE in jar else None
    except CookieError:
        pass
    return negotiate(cookie, environ.get("HTTP_ACCEPT_LANGUAGE"))


@cache
def legacy() -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(web.messages.__path__):
        table_ = getattr(importlib.import_module(f"web.messages.{info.name}"), "MESSAGES", None)
        if isinstance(table_, dict):
            found.update(table_)
    return found


def known(key: str) -> bool:
    return lookup(key, DEFAULT_LANG) is not None or key in legacy()


def translate(key: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    if lookup(key, DEFAULT_LANG) is None and key in legacy():
        pair = legacy()[key]
        return _translate(pair[1] if lang == "en" else pair[0], lang, **params)
    return _translate(key, lang, **params)


def t_for(lang: str) -> Callable[..., str]:
    """The templates' t('key', n=3): the text in `lang`, the plural form for n (or count) when it has forms."""
    return lambda key, **params: translate(key, lang, **params)


@cache
def table(lang: str) -> dict[str, Any]:
    """Every UI key (not the service errors: those reach the scripts already translated) -> its text, or its
    plural forms as a list (i18n.js picks one with the language's rule)."""
    cat = catalogue(lang)
    out: dict[str, Any] = {}
    for key, (vi, en) in legacy().items():
        out[key] = en if lang == "en" else vi
    for key in catalogue(DEFAULT_LANG).singular.keys() | catalogue(DEFAULT_LANG).plural.keys():
        if not is_key(key):
            continue
        forms = cat.plural.get(key) or catalogue(DEFAULT_LANG).plural.get(key)
        out[key] = list(forms) if forms else lookup(key, lang)
    return dict(sorted(out.items()))


def plural_expr(lang: str) -> str:
    return catalogue(lang).plural_expr if lang in LANGS else "0"
