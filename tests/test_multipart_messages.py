"""A form the multipart parser cannot read is refused in our own words, in the user's language (the language
cookie, else Accept-Language, else Vietnamese), with a reason per kind of failure: never the parser's English."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import login

PART = 'Content-Disposition: form-data; name="{name}"{file}\r\n\r\n{value}\r\n'
FORM = "multipart/form-data; boundary=xx"

# kind -> (Content-Type, body, status, reason, Vietnamese words, English words)
CASES = {
    "malformed": (
        FORM,
        b"--xx\r\nheader line without a colon\r\n\r\n%PDF-1.7\r\n--xx--\r\n",
        400,
        "malformed",
        "bị hỏng hoặc không đầy đủ",
        "damaged or incomplete",
    ),
    "missing boundary": (
        "multipart/form-data",
        b"--xx\r\n",
        400,
        "missing_boundary",
        "thiếu tham số boundary",
        "lacks the boundary parameter",
    ),
    "unnamed part": (
        FORM,
        b"--xx\r\nContent-Disposition: form-data\r\n\r\n1\r\n--xx--\r\n",
        400,
        "unnamed_part",
        "không có tên trường",
        "has no field name",
    ),
    "two files": (
        FORM,
        (
            "".join(
                "--xx\r\n" + PART.format(name=n, file=f'; filename="{n}.pdf"', value="%PDF-1.7")
                for n in ("file", "other")
            )
            + "--xx--\r\n"
        ).encode(),
        400,
        "too_many_files",
        "quá nhiều tệp (tối đa 1)",
        "too many files (at most 1)",
    ),
    "huge field": (
        FORM,
        ("--xx\r\n" + PART.format(name="title", file="", value="x" * (1024 * 1024 + 10)) + "--xx--\r\n").encode(),
        413,
        "part_too_large",
        "vượt quá dung lượng",
        "larger than allowed",
    ),
    "file name of 5000 characters": (
        FORM,
        (
            "--xx\r\n"
            + PART.format(name="file", file=f'; filename="{"t" * 5000}.pdf"', value="%PDF-1.7")
            + "--xx--\r\n"
        ).encode(),
        400,
        "part_header_too_large",
        "tên tệp quá dài",
        "file name is too long",
    ),
    "nine headers in a part": (
        FORM,
        (
            "--xx\r\n"
            + "".join(f"X-Extra-{i}: {i}\r\n" for i in range(9))
            + PART.format(name="file", file='; filename="a.pdf"', value="%PDF-1.7")
            + "--xx--\r\n"
        ).encode(),
        400,
        "too_many_part_headers",
        "quá nhiều tiêu đề",
        "too many headers",
    ),
}
PARSER_WORDS = (
    "Invalid multipart",
    "Missing boundary",
    "Content-Disposition header",
    "Too many",
    "exceeded",
    "Maximum header",
)


@pytest.mark.parametrize("kind", CASES)
async def test_a_form_the_parser_refuses_is_explained_in_the_users_language(live_server: LiveServer, kind: str) -> None:
    content_type, body, status, reason, vi, en = CASES[kind]
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    path = f"/api/meetings/{c.meeting_id}/documents"
    try:
        answers = {}
        for lang, headers in (("vi", {}), ("en", {"Accept-Language": "en-GB,en;q=0.9"})):
            r = await staff.post(path, content=body, headers={"Content-Type": content_type, **headers})
            assert r.status_code == status, (kind, lang, r.text)
            answers[lang] = r.json()["error"]
        staff.cookies.set("ecabinet_lang", "en")  # the cookie wins over Accept-Language
        r = await staff.post(path, content=body, headers={"Content-Type": content_type, "Accept-Language": "vi"})
        answers["cookie"] = r.json()["error"]
    finally:
        await staff.aclose()
    assert vi in answers["vi"]["message"] and en in answers["en"]["message"] and en in answers["cookie"]["message"]
    for error in answers.values():
        assert error["details"]["reason"] == reason
        assert not any(words in error["message"] for words in PARSER_WORDS), error


async def test_the_public_minutes_check_explains_a_broken_form_too(live_server: LiveServer) -> None:
    import httpx

    body = CASES["malformed"][1]
    async with httpx.AsyncClient(base_url=live_server.url) as anyone:
        vi = await anyone.post("/api/minutes/verify", content=body, headers={"Content-Type": FORM})
        en = await anyone.post(
            "/api/minutes/verify", content=body, headers={"Content-Type": FORM, "Accept-Language": "en"}
        )
    assert vi.status_code == en.status_code == 400
    assert "bị hỏng hoặc không đầy đủ" in vi.json()["error"]["message"]
    assert en.json()["error"]["message"] == "The upload is not valid: the multipart content is damaged or incomplete."
