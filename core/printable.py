"""What a person may type into text that reaches the record: the characters the record's fonts draw, and nothing
invisible. Every Line and Para (core/types.py) is checked against it, so a name, a title, a vote's label or a
conclusion cannot carry a character that prints as nothing, as a box or in the wrong order in the minutes, the poll
reports or the notices (all drawn with the serif family in minutes/fonts), nor one that makes two texts look alike
while they differ (a zero-width space, a combining grapheme joiner, a right-to-left mark).

Refused, each with its code point and name in the message:
- control, format and invisible characters: Unicode categories Cc (a paragraph keeps its tab and line break), Cf
  (zero-width space and joiners, soft hyphen, left-to-right and right-to-left marks, bidi embeddings, overrides and
  isolates, word joiner, byte order mark, tag characters) and every Default_Ignorable_Code_Point (U+034F combining
  grapheme joiner, variation selectors, Hangul fillers);
- private-use characters (Co), surrogates (Cs), unassigned code points and noncharacters;
- right-to-left scripts (Hebrew, Arabic: the PDF writer draws them in logical order, so they would read reversed);
- every other character the record's fonts have no glyph for (emoji, CJK, ...): it would print as blank space;
- more than two combining marks on one letter (after NFC, Vietnamese needs none; a stack prints as one glyph).

`COVERED` is the code points every face of the family maps (cmap), read from the TTFs with reportlab's TTFontFile
(tests/test_input_record_text.py reads them again and compares: a new font changes this table).
"""

from __future__ import annotations

import re
import unicodedata

from core.i18n import N_, Msg

RECORD_FONTS = (
    "LiberationSerif-Regular.ttf",
    "LiberationSerif-Bold.ttf",
    "LiberationSerif-Italic.ttf",
    "LiberationSerif-BoldItalic.ttf",
)  # minutes/fonts (minutes/fonts.py registers them)

# Code points all four faces map (inclusive ranges).
# fmt: off
COVERED: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E), (0x00A0, 0x036F), (0x0374, 0x0375), (0x037A, 0x037E), (0x0384, 0x038A), (0x038C, 0x038C),
    (0x038E, 0x03A1), (0x03A3, 0x03CE), (0x03D0, 0x0513), (0x051A, 0x051D), (0x0591, 0x05C7), (0x05D0, 0x05EA),
    (0x05F0, 0x05F4), (0x1D00, 0x1DCA), (0x1DFE, 0x1E9B), (0x1E9E, 0x1E9E), (0x1EA0, 0x1EF9), (0x1F00, 0x1F15),
    (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B),
    (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FC4), (0x1FC6, 0x1FD3), (0x1FD6, 0x1FDB),
    (0x1FDD, 0x1FEF), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFE), (0x2000, 0x2010), (0x2012, 0x2022), (0x2026, 0x2026),
    (0x202A, 0x2030), (0x2032, 0x2034), (0x2039, 0x203A), (0x203C, 0x203C), (0x203E, 0x203E), (0x2044, 0x2044),
    (0x205E, 0x205E), (0x206A, 0x206F), (0x2074, 0x2079), (0x207F, 0x2089), (0x2090, 0x2094), (0x20A0, 0x20B5),
    (0x20BF, 0x20BF), (0x20F0, 0x20F0), (0x2105, 0x2105), (0x2113, 0x2113), (0x2116, 0x2117), (0x2122, 0x2122),
    (0x2126, 0x2126), (0x212E, 0x212E), (0x214D, 0x214E), (0x2153, 0x2154), (0x215B, 0x215E), (0x2184, 0x2184),
    (0x2190, 0x2195), (0x21A8, 0x21A8), (0x21D4, 0x21D4), (0x2202, 0x2202), (0x2206, 0x2206), (0x220F, 0x220F),
    (0x2211, 0x2212), (0x2215, 0x2215), (0x2219, 0x221A), (0x221E, 0x221F), (0x2229, 0x2229), (0x222B, 0x222B),
    (0x2248, 0x2248), (0x2260, 0x2262), (0x2264, 0x2265), (0x2302, 0x2302), (0x2310, 0x2310), (0x2320, 0x2321),
    (0x2500, 0x2500), (0x2502, 0x2502), (0x250C, 0x250C), (0x2510, 0x2510), (0x2514, 0x2514), (0x2518, 0x2518),
    (0x251C, 0x251C), (0x2524, 0x2524), (0x252C, 0x252C), (0x2534, 0x2534), (0x253C, 0x253C), (0x2550, 0x256C),
    (0x2580, 0x2580), (0x2584, 0x2584), (0x2588, 0x2588), (0x258C, 0x258C), (0x2590, 0x2593), (0x25A0, 0x25A1),
    (0x25AA, 0x25AC), (0x25B2, 0x25B2), (0x25BA, 0x25BA), (0x25BC, 0x25BC), (0x25C4, 0x25C4), (0x25CA, 0x25CC),
    (0x25CF, 0x25D9), (0x25E6, 0x25E6), (0x263A, 0x263C), (0x2640, 0x2640), (0x2642, 0x2642), (0x2660, 0x2660),
    (0x2663, 0x2663), (0x2665, 0x2666), (0x2669, 0x266C), (0x266F, 0x266F), (0x2C60, 0x2C6D), (0x2C71, 0x2C77),
    (0x2E17, 0x2E17), (0xA717, 0xA721), (0xA788, 0xA78C), (0xF004, 0xF004), (0xFB01, 0xFB02), (0xFB1D, 0xFB36),
    (0xFB38, 0xFB3C), (0xFB3E, 0xFB3E), (0xFB40, 0xFB41), (0xFB43, 0xFB44), (0xFB46, 0xFB4F), (0xFE20, 0xFE23),
    (0xFFFC, 0xFFFC), (0xFFFF, 0xFFFF),
)
# fmt: on

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties): drawn as nothing wherever a font has them.
# fmt: off
IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# fmt: on
_OBJECT = {0xFFFC, 0xFFFD}  # object replacement, replacement character: a box standing for something lost
# Space characters other than U+0020 (NBSP, en/em/thin spaces, ideographic space...): the types turn them into a
# plain space before anything is checked, so they never reach the check.
SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"


def _ignorable(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in IGNORABLE)


def _noncharacter(cp: int) -> bool:
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def _allowed(cp: int) -> bool:
    ch = chr(cp)
    return not (
        unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp")
        or (unicodedata.category(ch) == "Zs" and cp != 0x20)
        or _ignorable(cp)
        or _noncharacter(cp)
        or unicodedata.bidirectional(ch) in ("R", "AL", "AN")
        or cp in _OBJECT
    )


ALLOWED: frozenset[int] = frozenset(cp for lo, hi in COVERED for cp in range(lo, hi + 1) if _allowed(cp))


def _char_class(codes: set[int] | frozenset[int]) -> str:
    out: list[str] = []
    run: list[int] = []
    for cp in sorted(codes):
        if run and cp == run[-1] + 1:
            run.append(cp)
            continue
        if run:
            out.append(_span(run[0], run[-1]))
        run = [cp]
    if run:
        out.append(_span(run[0], run[-1]))
    return "".join(out)


def _span(lo: int, hi: int) -> str:
    return f"\\u{lo:04x}" if lo == hi else f"\\u{lo:04x}-\\u{hi:04x}"


ALLOWED_CLASS = _char_class(ALLOWED)  # for a regular expression's [...] (Python's and ECMAScript's alike)
REFUSED_LINE = re.compile(f"[^{ALLOWED_CLASS}]")
REFUSED_PARA = re.compile(f"[^\\t\\n{ALLOWED_CLASS}]")
_MARKS = {cp for cp in ALLOWED if unicodedata.category(chr(cp)) in ("Mn", "Me")}
MARK_STACK = re.compile(f"[{_char_class(_MARKS)}]{{3,}}")


def describe(ch: str) -> str:
    """'U+200B ZERO WIDTH SPACE': the code point, and its name where Unicode gives one."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def refusal(ch: str, what: str) -> Msg:
    """Why `ch` (a character REFUSED_* found) is refused in `what` (a field's kind, N_ marked)."""
    cp = ord(ch)
    category = unicodedata.category(ch)
    char = describe(ch)
    if category in ("Cc", "Cf", "Zl", "Zp") or _ignorable(cp):
        return Msg("{what} chứa ký tự ẩn hoặc ký tự điều khiển ({char})", what=N_(what), char=char)
    if category in ("Co", "Cs", "Cn") or _noncharacter(cp) or cp in _OBJECT:
        return Msg("{what} chứa ký tự không được phép ({char})", what=N_(what), char=char)
    if unicodedata.bidirectional(ch) in ("R", "AL", "AN"):
        return Msg(
            "{what} chứa chữ viết từ phải sang trái ({char}): văn bản in ra sẽ đảo ngược", what=N_(what), char=char
        )
    return Msg(
        "{what} chứa ký tự mà phông chữ của văn bản in ra (biên bản, báo cáo, thông báo) không có ({char})",
        what=N_(what),
        char=char,
    )


def first_invisible(value: str) -> str | None:
    """The first control, format, invisible, private-use or unassigned character of `value` (any script is kept: for
    text that is searched, never printed), or None. Character by character: for short texts."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp") or _ignorable(ord(ch)):
            return ch
    return None


def problem(value: str, *, para: bool, what: str) -> Msg | None:
    """The first reason `value` (NFC, spaces already plain) cannot be record text, or None."""
    found = (REFUSED_PARA if para else REFUSED_LINE).search(value)
    if found:
        return refusal(found.group(), what)
    stack = MARK_STACK.search(value)
    if stack:
        return Msg("{what} có quá nhiều dấu chồng lên một chữ ({char})", what=N_(what), char=describe(stack.group()[2]))
    return None
