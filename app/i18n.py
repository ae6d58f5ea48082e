"""UI strings, Vietnamese first; English second. Pages get t(key); scripts get the same table as JSON."""
from __future__ import annotations

from app.messages import ballots, documents, general, records, search, session

LANGS = ("vi", "en")



def _merge(*parts: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        if twice:  # one key, two texts: which one a page shows would depend on the order above
            raise ValueError(f"UI strings defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


MESSAGES = _merge(general.MESSAGES, session.MESSAGES, documents.MESSAGES, records.MESSAGES, search.MESSAGES,
                  ballots.MESSAGES)


def translate(key: str, lang: str = "vi") -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def table(lang: str) -> dict[str, str]:
    return {key: translate(key, lang) for key in MESSAGES}
