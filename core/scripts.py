"""Look-alike text: which script a letter is in, a word that mixes scripts, and the skeleton two texts are compared
by where they must differ to a reader (vote option labels, usernames, people's names).

skeleton(text) follows the idea of Unicode's UTS #39 skeleton, for the characters our fonts draw: NFC; what prints as
nothing removed; every space character one plain space; each letter that looks like a Latin one to a reader of
Vietnamese made that letter (Cyrillic а е о р с х у і ј ѕ һ ԁ ԛ ԝ, Greek ο α ι κ ν ρ τ υ χ, and their capitals;
Latin ı ɑ ɡ; the digits 0 and 1 and the capital I beside o and l; "rn" beside "m", "vv" beside "w"); dashes and
quotes one dash and one quote; then case-folded. Two texts with the same skeleton read the same.
"""

from __future__ import annotations

import re
import unicodedata

# fmt: off
_LOOKS_LATIN = {
    # Cyrillic capitals and small letters that are drawn like Latin ones
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
    "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "Ӏ": "l",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "һ": "h",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "к": "k", "п": "n", "ӏ": "l", "ё": "ë", "ї": "ï",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X",
    "α": "a", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    "η": "n", "μ": "u",
    # Latin letters and signs drawn like other Latin letters
    "ı": "i", "ɑ": "a", "ɡ": "g", "ℓ": "l", "Ð": "Đ", "Ɖ": "Đ", "ɗ": "đ", "µ": "u",
    # digits and the capital I beside o and l
    "0": "o", "1": "l", "I": "l", "|": "l",
    # dashes and quotes
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "ʼ": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"',
}
# fmt: on
_TABLE = str.maketrans(_LOOKS_LATIN)
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]"
)
_SPACE = re.compile(r"\s+")


def skeleton(text: str) -> str:
    """The form two texts are compared by where a reader must tell them apart (see the module's docstring)."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    # letter by letter on the decomposed form: a Cyrillic е with a grave accent is a Latin è
    decomposed = unicodedata.normalize("NFD", text).translate(_TABLE)
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", decomposed).casefold())
    return _SPACE.sub(" ", folded.replace("rn", "m").replace("vv", "w")).strip()


def script_of(ch: str) -> str | None:
    """'latin', 'greek' or 'cyrillic' for a letter of those scripts, else None (digits, marks, punctuation...)."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    name = unicodedata.name(ch, "")
    for script in ("LATIN", "GREEK", "CYRILLIC"):
        if name.startswith(script):
            return script.lower()
    return None


_WORD = re.compile(r"[^\W\d_]+")


def mixed_script_word(text: str) -> str | None:
    """The first word (a run of letters) mixing Latin with Greek or Cyrillic letters: a look-alike, never a word."""
    for match in _WORD.finditer(text):
        scripts = {s for s in map(script_of, match.group()) if s is not None}
        if len(scripts) > 1:
            return match.group()
    return None
