"""Every notification reads as a sentence in both languages whatever optional parameter is missing (finding F9: an
invitation to a meeting without time or place read "lúc , tại ."). Every event is rendered with all its
parameters, with each optional one missing (absent, None, empty) and with all of them missing; the bell, the
e-mail and the page all use this rendering (notifications/services.py)."""

from __future__ import annotations

import re
from string import Formatter
from typing import Any

import pytest

from notifications import texts
from notifications.services import _mail_body

FULL: dict[str, Any] = {
    "title": "Họp Chính phủ thường kỳ tháng 6",
    "what": "Xây dựng đề án chuyển đổi số, trình Thủ tướng.",
    "unit": "Bộ Tài chính",
    "old_unit": "Bộ Tư pháp",
    "deadline_at": "2026-06-05T02:00:00Z",
    "deadline": "2026-06-05",
    "scheduled_at": "2026-06-12T01:30:00Z",
    "place": "Phòng họp số 1, Trụ sở Chính phủ",
    "reason": "Chờ ý kiến Bộ Tư pháp.",
    "adopted": 0,
    "questions": 3,
    "number": "12/TB-VPCP",
    "signer": "Bộ trưởng, Chủ nhiệm Nguyễn Văn A",
    "changes": ["time", "place"],
    "at": "2026-06-01T03:04:00Z",
    "expires_at": "2026-06-02T03:04:00Z",
    "old_email": "cu@example.gov.vn",
    "new_email": "moi@example.gov.vn",
}
# the placeholders the texts use -> the parameters they come from
SOURCE = {"deadline": ("deadline_at", "deadline"), "scheduled": ("scheduled_at",), "expires": ("expires_at",)}
# what a missing parameter used to leave: a space before punctuation, two marks in a row, empty brackets or quotes,
# "lúc" / "tại" / "at" with nothing after them, a placeholder or segment left over
ARTEFACTS = re.compile(r", ,|\s[,.;:)]|\(\s|\(\)|[:;,] ?[.;,]|\s\s|“”|\b(lúc|tại|at)\s*[,.;]|[{}\[\]|]|None")


def _params_of(event: str) -> list[str]:
    names = {
        name
        for lang in ("vi", "en")
        for template in texts.TEXTS[event][lang]
        for _, name, _, _ in Formatter().parse(template)
        if name
    }
    return sorted({p for name in names for p in SOURCE.get(name, (name,))})


def _optional(event: str) -> list[str]:
    return [p for p in _params_of(event) if p not in texts.NAMES]


CASES = [
    (event, lang, label, params)
    for event in texts.TEXTS
    for lang in ("vi", "en")
    for label, params in [
        ("all given", dict(FULL)),
        ("all optional absent", {k: v for k, v in FULL.items() if k not in _optional(event)}),
        ("all optional None", {**FULL, **{k: None for k in _optional(event)}}),
        *[
            (f"{missing} {how}", {**FULL, missing: blank})
            for missing in _optional(event)
            for how, blank in (("empty", ""), ("None", None), ("blank", "  "))
        ],
        *[(f"{missing} [] ", {**FULL, missing: []}) for missing in ("changes",) if missing in _optional(event)],
    ]
]


@pytest.mark.parametrize(("event", "lang", "label", "params"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_every_event_reads_naturally_with_any_optional_parameter_missing(
    event: str, lang: str, label: str, params: dict[str, Any]
) -> None:
    subject, body = texts.render(event, params, lang, "Asia/Ho_Chi_Minh")
    for text in (subject, body):
        assert text and text == text.strip(), (subject, body)
        assert not ARTEFACTS.search(text), (ARTEFACTS.search(text), text)
    assert body.endswith((".", "”")), body
    assert not ARTEFACTS.search(_mail_body(body, "/meetings/1", "https://ecabinet.example.gov.vn").split("\n\n")[0])


def test_what_the_checks_look_at() -> None:
    """Every event has optional parameters the cases above take away, the names are never among them, and the
    artefact pattern catches what the invitation used to say."""
    assert all(_params_of(e) for e in texts.TEXTS) and "place" in _optional("meeting.published")
    assert not set(texts.NAMES) & {p for e in texts.TEXTS for p in _optional(e)}
    for old in ("Đồng chí được mời dự “X” lúc , tại .", "You are invited to “X” at , .", "đến . Lý do: ."):
        assert ARTEFACTS.search(old)


@pytest.mark.parametrize(
    ("params", "vi", "en"),
    [
        (
            {"title": "Họp", "scheduled_at": "2026-06-12T01:30:00Z", "place": "Phòng họp số 1"},
            "Đồng chí được mời dự “Họp”. Thời gian: 08:30 12/06/2026; địa điểm: Phòng họp số 1.",
            "You are invited to “Họp”. Time: 08:30, 12/06/2026; place: Phòng họp số 1.",
        ),
        (
            {"title": "Họp", "scheduled_at": None, "place": ""},
            "Đồng chí được mời dự “Họp”. Thời gian: sẽ thông báo sau; địa điểm: sẽ thông báo sau.",
            "You are invited to “Họp”. Time: to be announced; place: to be announced.",
        ),
        (
            {"title": "Họp", "place": "Phòng họp số 1"},
            "Đồng chí được mời dự “Họp”. Thời gian: sẽ thông báo sau; địa điểm: Phòng họp số 1.",
            "You are invited to “Họp”. Time: to be announced; place: Phòng họp số 1.",
        ),
    ],
)
def test_an_invitation_without_time_or_place_says_they_will_be_announced(
    params: dict[str, Any], vi: str, en: str
) -> None:
    assert texts.render("meeting.published", params, "vi", "Asia/Ho_Chi_Minh") == ("Giấy mời họp: Họp", vi)
    assert texts.render("meeting.published", params, "en", "Asia/Ho_Chi_Minh") == ("Meeting invitation: Họp", en)


def test_a_missing_part_drops_its_words_and_a_user_text_keeps_its_brackets() -> None:
    subject, body = texts.render("notice.issued", {"title": "Họp [bổ sung] {x}", "number": ""}, "vi")
    assert subject == "Thông báo kết luận: Họp [bổ sung] {x}"
    assert body == "Thông báo kết luận về “Họp [bổ sung] {x}” đã được ban hành."
    _, body = texts.render("poll.extended", {"title": "P", "deadline_at": "2026-06-05T02:00:00Z", "reason": ""}, "en")
    assert body == "The poll “P” is extended to 09:00, 05/06/2026."
    _, body = texts.render("task.overdue", {"what": "Báo cáo.", "unit": "Bộ Y tế"}, "en")
    assert body == "The task of Bộ Y tế: Báo cáo is overdue."
