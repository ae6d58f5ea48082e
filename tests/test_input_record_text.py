"""Record text (core/types.py Line, Para, Name; core/printable.py; core/scripts.py): one validator for everything a
person types that may end up in the record. Invisible and format characters, private use, right-to-left scripts and
characters the record's fonts cannot draw are refused with the code point named; spaces are folded; look-alike
letters are compared away. And the class guard: every text field of every request body and socket payload is one of
these types, or exempted here with its reason."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from reportlab.pdfbase.ttfonts import TTFontFile

from app.domains import openapi_operations
from app.factory import create_app
from core import printable
from core.scripts import mixed_script_word, skeleton
from core.types import Line, Name, Para
from infra.settings import Settings


class Shape(BaseModel):
    line: Line = ""
    para: Para = ""
    name: Name = ""


def _refusal(field: str, value: str) -> str:
    with pytest.raises(ValidationError) as err:
        Shape.model_validate({field: value})
    first = err.value.errors()[0]
    assert first["loc"] == (field,)
    return str(first["msg"])


INVISIBLE = [
    "\u200b",  # zero width space
    "\u2060",  # word joiner
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner (also blocks NFC composition)
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # arabic letter mark
    "\u2066",  # left-to-right isolate
    "\u202e",  # right-to-left override
    "\ufe0f",  # variation selector 16
    "\u3164",  # hangul filler: a letter that draws as nothing
    "\U000e0041",  # tag latin capital letter a
]
UNDRAWABLE = [
    "\U0001f600",  # emoji
    "\ue000",  # private use
    "\U000f0000",  # supplementary private use
    "\u0627",  # arabic
    "\u05d0",  # hebrew: drawn in logical order, it would read reversed
    "\u4e2d",  # CJK
    "\ufffc",  # object replacement character
    "\ufdd0",  # noncharacter
]


@pytest.mark.parametrize("field", ["line", "para", "name"])
@pytest.mark.parametrize("ch", INVISIBLE + UNDRAWABLE)
def test_what_prints_as_nothing_a_box_or_reversed_is_refused_naming_its_code_point(field: str, ch: str) -> None:
    message = _refusal(field, f"Nguyễn Văn Thành{ch}")
    assert f"U+{ord(ch):04X}" in message, message


def test_a_stack_of_combining_marks_is_refused() -> None:
    assert "U+0301" in _refusal("line", "Tha" + "\u0301" * 60 + "nh")
    assert Shape.model_validate({"line": "Tha\u0300nh"}).line == "Thành"  # a decomposed Vietnamese letter: NFC


def test_spaces_are_folded_and_the_text_kept() -> None:
    s = Shape.model_validate(
        {"line": " Tán\u00a0 thành\u2003 ", "para": "Dòng\u00a01\n\tthụt  lề", "name": "Nguyễn  Văn\u202fThành"}
    )
    assert (s.line, s.para, s.name) == ("Tán thành", "Dòng 1\n\tthụt  lề", "Nguyễn Văn Thành")
    # Greek and Cyrillic words are text like any other; a name's word mixing them with Latin letters is not
    assert Shape.model_validate({"line": "Vắc-xin Спутник V, hệ số α"}).line == "Vắc-xin Спутник V, hệ số α"
    assert "Тhành" in _refusal("name", "Nguyễn Văn Тhành")  # Cyrillic Т


def test_look_alikes_share_a_skeleton() -> None:
    same = [
        "Tán thành",
        "TÁN THÀNH",
        "Tán\u00a0thành",
        "Tán  thành",
        "Tán thành\u200b",
        "Tán th\u0430\u0300nh",
        "Tán thành ",
    ]
    assert {skeleton(s) for s in same} == {"tán thành"}
    assert skeleton("Nguyễn Văn Тhành") == skeleton("Nguyễn Văn Thành")  # Cyrillic Т
    assert skeleton("Ηoàng") == skeleton("Hoàng")  # Greek Η
    assert skeleton("thanhvien0l") == skeleton("thanhvien01") != skeleton("thanhvien10")
    assert skeleton("Tán thành") != skeleton("Tàn thành") and skeleton("Thành") != skeleton("Thanh")
    assert mixed_script_word("Nguyễn Văn Тhành") == "Тhành" and mixed_script_word("Спутник V") is None


def test_the_font_table_is_what_the_record_fonts_draw() -> None:
    """core/printable.py COVERED is read from minutes/fonts: a new or changed font changes it (regenerate it)."""
    fonts = Path(__file__).resolve().parents[1] / "minutes" / "fonts"
    sets = [set(TTFontFile(str(fonts / name)).charToGlyph) for name in printable.RECORD_FONTS]
    covered = {cp for lo, hi in printable.COVERED for cp in range(lo, hi + 1)}
    assert covered == set.intersection(*sets)
    from minutes import fonts as registered

    assert {filename for _, filename in registered._FILES.values()} == set(printable.RECORD_FONTS)
    assert all(cp in covered for cp in map(ord, "Nguyễn Văn Thành, Thủ tướng Chính phủ; Đ đ Ư ư Ơ ơ"))


# --- the class guard -------------------------------------------------------------------------------------------

# Text fields that are not record text, each with its reason. Every other str field must be Line, Para or Name.
EXEMPT = {
    "password": "a password as typed (core.types.Secret)",
    "current": "a password as typed (core.types.Secret)",
    "new": "a password as typed (core.types.Secret)",
    "UserCreate.username": "ASCII by its pattern ^[a-z0-9_.-]+$; look-alikes refused by accounts/namesakes.py",
    "EmailConfirm.token": "an opaque token",
    "DecideIn.report_sha256": "a hex digest",
    "ReportSignIn.report_digest": "a hex digest",
    "NoteData.color": "a colour by its pattern",
    "Stroke.color": "a colour by its pattern",
    "Candidate.candidate": "WebRTC ICE (realtime/media/sdpcheck.py)",
    "Candidate.sdpMid": "WebRTC",
    "Candidate.usernameFragment": "WebRTC",
    "Offer.sdp": "WebRTC SDP (realtime/media/sdpcheck.py)",
    "TrusteeEnrolRequest.public_key": "a key (hex)",
    "TrusteeEnrolRequest.sealed_key": "a sealed key (base64)",
    "ContributionRequest.commitments": "ballot cryptography (hex)",
    "ContributionRequest.proofs": "ballot cryptography (hex)",
    "ContributionRequest.shares": "ballot cryptography (base64)",
    "PartialRequest.shares": "ballot cryptography (hex)",
}
_HEX_MODELS = {"CipherIn", "RangeProofIn", "SumProofIn", "SecretBallotIn"}  # ballot cryptography: Hex32 only
_RECORD = {"_line", "_para"}


def _models(tmp: Path) -> dict[str, type[BaseModel]]:
    app = create_app(Settings(data_dir=tmp / "data"))
    found: dict[str, type[BaseModel]] = {f"{op.method} {op.path}": op.body for op in openapi_operations() if op.body}
    for name, handler in app.state.sio.handlers["/"].items():
        if getattr(handler, "payload_model", None) is not None:
            found[f"socket {name}"] = handler.payload_model
    return found


def _validators(annotation: Any, metadata: list[Any]) -> set[str]:
    names = {getattr(getattr(m, "func", None), "__name__", "") for m in metadata}
    for arg in typing.get_args(annotation):
        names |= _validators(arg, list(getattr(arg, "__metadata__", ())))
    return names


def _has_str(annotation: Any) -> bool:
    return annotation is str or any(_has_str(a) for a in typing.get_args(annotation))


def _nested(annotation: Any) -> list[type[BaseModel]]:
    out = [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    for arg in typing.get_args(annotation):
        out += _nested(arg)
    return out


def test_every_text_field_of_every_input_is_record_text_or_exempted(tmp_path: Path) -> None:
    """The class, not the examples: a new body or payload field typed `str` (or a constrained str that is not Line,
    Para or Name) fails here until it uses the shared type or is exempted above with its reason."""
    seen: set[type[BaseModel]] = set()
    todo = list(_models(tmp_path).values())
    assert len(todo) > 40
    checked, wrong = 0, []
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            todo += _nested(info.annotation)
            if not _has_str(info.annotation) or model.__name__ in _HEX_MODELS:
                continue
            validators = _validators(info.annotation, list(info.metadata))
            if validators & _RECORD or "_secret" in validators:
                checked += 1
                continue
            if name in EXEMPT or f"{model.__name__}.{name}" in EXEMPT:
                continue
            wrong.append(f"{model.__module__}.{model.__name__}.{name}")
    assert not wrong, f"text fields that are neither Line/Para/Name nor exempted: {wrong}"
    assert checked > 50
