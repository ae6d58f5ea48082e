"""Reading and writing locale/<lang>/LC_MESSAGES/messages.po for the catalogue tools (app/i18n_import.py,
app/i18n_catalog.py): one place that knows the header, the order and the line width."""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from core.i18n import LANGS, po_path


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="e-Cabinet", domain="messages", fuzzy=False)  # Plural-Forms from the locale
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def save(lang: str, cat: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, cat, width=0, sort_output=True, omit_header=False, ignore_obsolete=True)


def load_all() -> dict[str, Catalog]:
    return {lang: load(lang) for lang in LANGS}
