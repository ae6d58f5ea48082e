"""The catalogues (locale/*/LC_MESSAGES/messages.po) are whole: every message in both languages, every text a
user can see is in them, and the tools that keep them so work (make i18n-check runs the same checks)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import core.i18n
from app import i18n_catalog, i18n_import, i18n_po
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import Msg, catalogue, localize, negotiate, translate


def test_every_message_has_a_vietnamese_and_an_english_text() -> None:
    assert i18n_catalog.missing_translations() == []


def test_every_message_the_code_uses_is_in_the_catalogue() -> None:
    assert i18n_catalog.outside_catalogue() == []


def test_no_service_error_is_built_at_run_time() -> None:
    """An f-string message can never be in the catalogue: messages are literals with keyword parameters."""
    assert i18n_catalog.unmarked_raises() == []


def test_templates_write_no_user_text_outside_t() -> None:
    assert i18n_catalog.template_text() == []


def test_es_modules_write_no_vietnamese_outside_t() -> None:
    assert i18n_catalog.script_text() == []


def test_no_ui_key_is_left_unused() -> None:
    assert i18n_catalog.unused_keys() == []


def test_the_checks_see_what_they_are_for() -> None:
    """The scanners are not vacuous: they find the service errors, the template keys, the scripts' keys."""
    found = i18n_catalog.extract_all()
    assert "Không tìm thấy cuộc họp." in found and "minutes.link" in found and "vote.close" in found
    assert "Không thể {action} cuộc họp “{title}”: cuộc họp {state}." in found  # one with parameters
    assert "Đang ở nội dung cuối cùng của chương trình." in found  # one branch of a conditional message
    assert "sửa chương trình của" in found  # an action a helper puts into "Không thể {action} cuộc họp ..."
    assert i18n_catalog.template_text_of("<p>{% trans %}minutes.link{% endtrans %} {{ t('x.y') }}</p><b>Chữ</b>") == [
        "Chữ"
    ]
    parser = i18n_catalog._Text()
    parser.feed('<p class="x">Biên bản</p><input placeholder="Tìm kiếm"><span>\x00</span>')
    assert parser.found == ["Biên bản", "Tìm kiếm"]


def test_plural_forms_follow_each_language() -> None:
    assert catalogue("vi").plural_expr.strip() == "0" and "n != 1" in catalogue("en").plural_expr
    assert [translate("docs.pages", "en", n=n) for n in (1, 2)] == ["1 page", "2 pages"]
    assert [translate("docs.pages", "vi", n=n) for n in (1, 2)] == ["1 trang", "2 trang"]
    assert translate("search.count", "en", n=1) == "1 result"
    assert (
        translate("Tài liệu có {count} trang; không có trang {page}.", "en", count=1, page=3)
        == "The document has 1 page; there is no page 3."
    )


def test_a_service_error_reads_vietnamese_and_answers_in_the_users_language() -> None:
    exc = Conflict("Cuộc họp “{title}” chưa có nội dung họp.", title="Phiên họp thường kỳ")
    assert str(exc) == exc.message == "Cuộc họp “Phiên họp thường kỳ” chưa có nội dung họp."  # logs and tests
    assert exc.to_dict("en") == {
        "code": "invalid_state",
        "message": "Meeting “Phiên họp thường kỳ” has no agenda items.",
    }
    assert exc.to_dict() == {"code": "invalid_state", "message": "Cuộc họp “Phiên họp thường kỳ” chưa có nội dung họp."}
    assert NotFound("Không tìm thấy cuộc họp.").to_dict("en") == {"code": "not_found", "message": "Meeting not found."}
    # an action and a state put into a message are translated too (a title, the user's own text, is not)
    nested = Conflict(
        "Không thể {action} cuộc họp “{title}”: cuộc họp {state}.",
        action=Msg("bắt đầu"),
        title="Phiên họp thường kỳ",
        state=Msg("đã kết thúc"),
    )
    assert nested.to_dict("en")["message"] == "Cannot start meeting “Phiên họp thường kỳ”: the meeting has ended."
    # field errors in details are translated with the message
    failed = ValidationFailed(
        "Dữ liệu gửi lên không hợp lệ.",
        details=[{"field": "title", "message": Msg("Cần ít nhất {min_length} ký tự.", min_length=3)}],
    )
    assert failed.to_dict("en")["details"] == [{"field": "title", "message": "At least 3 characters needed."}]


def test_parameters_may_be_named_like_the_arguments() -> None:
    """{key}, {message}, {lang} in a message are parameters like any other (positional-only signatures)."""
    inner = NotFound("Biên bản không có mục “{key}” được phép sửa.", key="x")
    outer = Conflict("Dữ liệu tải lên không hợp lệ ({message}).", message=inner.message)
    assert outer.to_dict("en")["message"] == "The upload is not valid (The minutes have no editable section “x”.)."
    assert translate("{key}/{lang}", "en", key=1, lang=2) == "1/2"


def test_a_new_literal_message_not_yet_in_the_catalogue_still_answers() -> None:
    """A branch merged with a plain Vietnamese raise: shown as written until `make i18n` adds it."""
    exc = Conflict("Một thông điệp mới chưa có trong danh mục.")
    assert exc.to_dict("en")["message"] == "Một thông điệp mới chưa có trong danh mục."
    assert localize({"a": [Msg("x {n}", n=1)]}, "en") == {"a": ["x 1"]}


@pytest.mark.parametrize(
    ("cookie", "header", "lang"),
    [
        (None, None, "vi"),
        ("en", None, "en"),
        ("vi", "en-US,en;q=0.9", "vi"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, vi;q=0.8", "vi"),
        (None, "de, fr", "vi"),
        ("xx", "en", "en"),
        (None, "en;q=0", "vi"),
    ],
)
def test_the_language_is_the_cookie_else_accept_language_else_vietnamese(
    cookie: str | None, header: str | None, lang: str
) -> None:
    assert negotiate(cookie, header) == lang


@pytest.fixture
def locale_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "locale"
    shutil.copytree(core.i18n.LOCALE_DIR, target)
    monkeypatch.setattr(core.i18n, "LOCALE_DIR", target)
    return target


def _text(lang: str, key: str) -> object:
    """The catalogue's text of `key` (its forms for a plural key); the key must be there."""
    message = i18n_po.load(lang).get(key)
    assert message is not None, key
    return message.string


def test_a_legacy_key_file_moves_into_both_catalogues_and_is_deleted(tmp_path: Path, locale_copy: Path) -> None:
    legacy = tmp_path / "tablet.py"
    legacy.write_text(
        'MESSAGES = {"tablet.fit": ("Vừa khổ", "Fit width"), "live.agenda": ("Chương trình họp", "Agenda"),'
        ' "docs.pages": ("{n} trang", "{n} pages")}\n'
    )  # an old plural key: one of its forms
    assert i18n_import.main([str(legacy)]) == 0 and not legacy.exists()
    assert _text("vi", "tablet.fit") == "Vừa khổ" and _text("en", "tablet.fit") == "Fit width"
    clash = tmp_path / "clash.py"
    clash.write_text('MESSAGES = {"live.agenda": ("Chương trình", "Programme")}\n')
    assert i18n_import.main([str(clash)]) == 1 and clash.exists()  # one key, two texts: nothing written
    assert _text("en", "live.agenda") == "Agenda"
    assert i18n_import.main(["--replace", str(clash)]) == 0 and not clash.exists()  # an edited old key file wins
    assert _text("en", "live.agenda") == "Programme"
    assert _text("en", "docs.pages") == ("{n} page", "{n} pages")


def test_templates_have_t_and_jinjas_trans_in_the_pages_language() -> None:
    from web.pages import _env

    template = _env.from_string(
        "{{ t('docs.pages', n=2) }}|{% trans %}minutes.link{% endtrans %}|{{ _('nav.logout') }}|"
        "{{ ngettext('search.count', 'search.count|plural', 1) }}|{{ t('no.such.key') }}"
    )
    assert (
        template.render(lang="en", t=lambda key, **kw: translate(key, "en", **kw))
        == "2 pages|Minutes|Log out|1 result|no.such.key"
    )
    assert (
        template.render(lang="vi", t=lambda key, **kw: translate(key, "vi", **kw))
        == "2 trang|Biên bản|Đăng xuất|1 kết quả|no.such.key"
    )


def test_an_f_string_raise_is_rewritten_into_a_catalogue_message(tmp_path: Path) -> None:
    from app import i18n_fstrings

    source = tmp_path / "service.py"
    source.write_text(
        'def f(meeting, items):\n    raise NotFound(f"Không thấy {meeting.id}: “{items[0]}”.", details=1)\n'
        'def g(x):\n    raise Conflict(f"Sai {x!r}.")\n'
    )
    assert i18n_fstrings.main([str(source)]) == 1  # g() is left for a person
    assert (
        'raise NotFound("Không thấy {meeting_id}: “{items}”.", meeting_id=meeting.id, items=items[0], details=1)'
        in source.read_text()
    )
    assert 'raise Conflict(f"Sai {x!r}.")' in source.read_text()
