"""Constrained input types: every id, number, flag and text that enters through a REST body, a query string,
a path or a socket payload is one of these, so a value the database or a document format cannot hold is
refused at the edge (422 naming the field) instead of failing deep inside (an OverflowError, a NOT NULL
violation, a DOCX that can never be written again).

- Id: a JSON integer 1..2^63-1 (SQLite's and PostgreSQL's BIGINT range); "5", 5.0 and true are refused.
- Int(lo, hi), Flag: strict bounded integers and booleans ("true", 1 and "1" are not booleans).
- Line: one line of text; Para: text that may hold line breaks and tabs. Both are record text, the one validator
  of everything a person types that may end up in the record (names, titles, units, labels, titles of meetings,
  items and documents, questions, reasons, conclusions): NFC; every space character (NBSP, thin, ideographic...)
  made a plain space, a Line's runs of spaces made one; stripped; and refused, naming the code point, whatever
  core/printable.py refuses: control, format and invisible characters (zero-width, bidi marks, overrides and
  isolates, soft hyphen, combining grapheme joiner), private use, surrogates, non-characters, right-to-left
  scripts, characters the record's fonts cannot draw, stacks of combining marks.
- Plain: one line that is searched, never printed (a search query): as a Line, but any script is kept.
- Name: a Line naming a person or a meaning (a full name, a title, a unit, a vote option's label): also refuses a
  word mixing Latin with Greek or Cyrillic letters (a look-alike: "Thành" with a Cyrillic "а").
- Moment: a date-time with its offset, that converts to UTC and back without overflowing; given on in UTC.
- Secret: a password as typed (never normalised or stripped: its hash is of those bytes), refusing only control
  characters and lone surrogates (no keyboard types them; a surrogate cannot even be encoded).
- FormId, FormInt, FormFlag: the same for values that arrive as text (query strings, multipart fields).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from core.i18n import N_, Msg
from core.printable import SPACES, first_invisible, problem, refusal
from core.scripts import mixed_script_word

MAX_ID = 2**63 - 1

# DEL and C1 controls, UTF-16 surrogates, U+FFFE/U+FFFF, the bidi embedding/override/isolate marks, a byte order
# mark, and the tag characters (invisible text a reader never sees but a program reads).
_OTHERS = "\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069\ufeff\U000e0000-\U000e007f"
# every C0 control, line breaks and tabs too, and Unicode's line and paragraph separators (a line break to
# Python's splitlines, to Word and to some readers: one line must stay one line everywhere)
_BAD_LINE = re.compile(f"[\x00-\x1f\u2028\u2029{_OTHERS}]")
_BAD_PARA = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # all but \t and \n (\r\n and \r become \n first)
_BAD_SECRET = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # no keyboard types these
# What a file name may not keep: the above, and every invisible or format character (core/printable.py).
_BAD_NAME = re.compile(f"[\x00-\x1f\u2028\u2029{_OTHERS}\u00ad\u034f\u061c\u200b-\u200f\u2060-\u206f\ufe00-\ufe0f]")
_SPACES = re.compile(f"[{SPACES}]")
_SPACE_RUN = re.compile(" {2,}")


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _check(pattern: re.Pattern[str], value: str, what: str) -> str:
    found = pattern.search(value)
    if found:
        raise ValueError(
            Msg("{what} chứa ký tự không được phép ({char})", what=N_(what), char=_describe(found.group()))
        )
    return value


def _normal_line(value: Any) -> Any:
    """NFC, every space character a plain space, runs of spaces one, stripped: before the length limits apply
    ("   " is not a three-character title) and before any comparison ("Tán\u00a0thành", "Tán  thành" and
    "Tán thành" are one text)."""
    if not isinstance(value, str):
        return value
    return _SPACE_RUN.sub(" ", _SPACES.sub(" ", unicodedata.normalize("NFC", value))).strip()


def _normal_para(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)  # the layout a writer typed with plain spaces is kept
    return text.replace("\u2028", "\n").replace("\u2029", "\n").strip()  # one kind of line break


def _record(value: str, *, para: bool, what: str) -> str:
    refused = problem(value, para=para, what=what)
    if refused is not None:
        raise ValueError(refused)
    return value


def _line(value: str) -> str:
    return _record(value, para=False, what=N_("văn bản một dòng"))


def _para(value: str) -> str:
    return _record(value, para=True, what=N_("văn bản"))


def _plain(value: str) -> str:
    found = first_invisible(value)
    if found is not None:
        raise ValueError(refusal(found, N_("văn bản một dòng")))
    return value


def _name(value: str) -> str:
    word = mixed_script_word(value)
    if word is not None:
        raise ValueError(Msg("“{word}” trộn chữ Latinh với chữ Hy Lạp hoặc Kirin (ký tự trông giống nhau)", word=word))
    return value


# An instant as ISO 8601 with its offset: "2027-01-05T10:00:00+07:00", "…Z". Not a bare date, a wall-clock time
# without its zone (which zone? taken as UTC it would move a meeting by hours), nor a number (pydantic reads one as
# Unix time).
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})")
_INSTANT_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})$"


def _instant(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value  # built in Python (services, tests), already a moment
    if isinstance(value, str) and _ISO_INSTANT.fullmatch(value):
        return value
    raise ValueError(N_("thời điểm phải ghi theo ISO 8601 với giờ và múi giờ, ví dụ 2027-01-05T10:00:00+07:00"))


def _iso_day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise ValueError(N_("ngày phải ghi theo dạng YYYY-MM-DD, ví dụ 2027-01-05"))


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _moment(value: datetime) -> datetime:
    # the year both as written and in UTC: far enough from datetime's ends that a time-zone shift cannot overflow
    if not (1900 <= value.year <= 9998 and 1900 <= value.astimezone(timezone.utc).year <= 9998):
        raise ValueError(N_("thời điểm phải trong khoảng năm 1900 đến 9998"))
    # In UTC from here on: SQLite keeps a date-time's wall clock and drops its offset (a meeting sent as 09:00+07:00
    # was stored as 09:00 and read back as 09:00 UTC, 16:00 in Hà Nội). Every column holds UTC.
    return value.astimezone(timezone.utc)


def _secret(value: str) -> str:
    return _check(_BAD_SECRET, value, N_("mật khẩu"))


def clean_para(value: str) -> str:
    """For text that is stored already (before these types existed): drop what XML 1.0 cannot hold."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return _BAD_PARA.sub("", text)


Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Flag = Annotated[bool, Field(strict=True)]
# The JSON schema states the refused controls and invisible characters too, so generated clients (and schemathesis)
# know them; the characters the record's fonts lack are refused by the validator only (core/printable.py).
_PATTERN = (
    "\\x7f-\\x9f\\u00ad\\u034f\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\ufe00-\\ufe0f"
    "\\ufffe\\uffff\\ufeff\\ue000-\\uf8ff"
)
Line = Annotated[
    str,
    BeforeValidator(_normal_line),
    Field(strict=True, json_schema_extra={"pattern": f"^[^\\x00-\\x1f\\u2028\\u2029{_PATTERN}]*$"}),
    AfterValidator(_line),
]
Para = Annotated[
    str,
    BeforeValidator(_normal_para),
    Field(strict=True, json_schema_extra={"pattern": f"^[^\\x00-\\x08\\x0b-\\x1f{_PATTERN}]*$"}),
    AfterValidator(_para),
]
# One line that is searched, never printed (a search query): folded and refused as a Line, but any script kept.
Plain = Annotated[
    str,
    BeforeValidator(_normal_line),
    Field(strict=True, json_schema_extra={"pattern": f"^[^\\x00-\\x1f\\u2028\\u2029{_PATTERN}]*$"}),
    AfterValidator(_plain),
]
# A person's name, title or unit, a vote option's label: a Line whose words are each in one script.
Name = Annotated[Line, AfterValidator(_name)]
Secret = Annotated[
    str, Field(strict=True, json_schema_extra={"pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}), AfterValidator(_secret)
]
Moment = Annotated[
    datetime,
    BeforeValidator(_instant),
    Field(json_schema_extra={"pattern": _INSTANT_PATTERN}),
    AfterValidator(_moment),
]

# A calendar day as "YYYY-MM-DD" (not a date-time, not a number).
Day = Annotated[
    date, BeforeValidator(_iso_day), Field(json_schema_extra={"pattern": r"^\d{4}-\d{2}-\d{2}$", "maxLength": 10})
]


def Int(lo: int, hi: int) -> Any:
    """A strict JSON integer in [lo, hi]. Built at run time, so mypy cannot read `x: Int(0, 9)` as a type: those
    annotations carry `# type: ignore[valid-type]` (pydantic reads them; to the checker the field is untyped)."""
    return Annotated[int, Field(strict=True, ge=lo, le=hi)]


def _from_text(value: Any) -> Any:
    """Query strings and multipart fields carry text: '12' -> 12; anything else is left for the strict check
    to refuse."""
    if isinstance(value, str) and _TEXT_INT.fullmatch(value):
        return int(value)  # '-1' too: then the range check says what is wrong, not "must be an integer"
    return value


_TEXT_INT = re.compile(r"-?[0-9]{1,20}")


def _flag_from_text(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return value


# The same types for values that arrive as text: query strings and multipart form fields.
FormId = Annotated[Id, BeforeValidator(_from_text)]
FormFlag = Annotated[Flag, BeforeValidator(_flag_from_text)]


def FormInt(lo: int, hi: int) -> Any:
    return Annotated[Int(lo, hi), BeforeValidator(_from_text)]


def clean_filename(name: str | None, default: str = "tai-lieu") -> str:
    """An uploaded file's name as shown and stored: its last path segment, one NFC line, at most 200 characters."""
    base = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _BAD_NAME.sub("", base).strip().lstrip(".")
    return base[:200] or default


def path_text_problem(value: str) -> str | None:
    """A text path segment (a section key...): one short line, or the reason it is refused."""
    if len(value) > 200:
        return Msg("Tối đa {max_length} ký tự.", max_length=200)
    found = _BAD_LINE.search(value)
    return Msg("Chứa ký tự không được phép ({char}).", char=_describe(found.group())) if found else None
