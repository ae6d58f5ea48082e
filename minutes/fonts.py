"""The embedded serif family. Registered as ONE family so <b>/<i> never fall back to Helvetica, whose
glyphs turn ả, ộ, ư into boxes. The TTFs ship with the project (minutes/fonts, SIL OFL)."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "VNSerif"
_FILES = {
    (0, 0): ("VNSerif", "LiberationSerif-Regular.ttf"),
    (1, 0): ("VNSerif-Bold", "LiberationSerif-Bold.ttf"),
    (0, 1): ("VNSerif-Italic", "LiberationSerif-Italic.ttf"),
    (1, 1): ("VNSerif-BoldItalic", "LiberationSerif-BoldItalic.ttf"),
}


def register() -> str:
    """Idempotent; returns the family name to use in styles."""
    if FAMILY in pdfmetrics.getRegisteredFontNames():
        return FAMILY
    for (bold, italic), (name, filename) in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        addMapping(FAMILY, bold, italic, name)
    pdfmetrics.registerFontFamily(
        FAMILY, normal="VNSerif", bold="VNSerif-Bold", italic="VNSerif-Italic", boldItalic="VNSerif-BoldItalic"
    )
    return FAMILY
