"""The public check (/api/minutes/verify) says whether a file is one this server issued, which document it is, and
whether each signature block was signed by the person it belongs to (minutes/verdict.py, minutes/issued.py).

Before: a signature verifying was all that counted, so the minutes signed by the secretary, with their CHỦ TỌA block
then filled offline by the secretary herself (or by anyone holding a certificate the server trusts) under the
chair's name, were "valid"; so was a file signed entirely elsewhere. Now only a file the server issued, signed
through it by the right people, is valid: a block signed by someone else is `wrong_signer`, a file the server did not
issue is `not_issued`, even when its signatures verify. The signatures' /M dates carry the organisation's offset."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pikepdf
import pytest
from sqlmodel import select

from core.clock import pdf_date
from ledger.keystore import CA, KeyStore, create_demo_ca, ensure_demo_signers, issue_certificate
from minutes import routes as minutes_routes
from minutes import signing
from minutes.pdf import render_pdf
from minutes.schemas import VerifyReport
from notices import issuing
from notices.models import NoticeFile
from tests.conftest import LiveServer
from tests.factories import PASSWORD, call
from tests.live import login
from app.db import Database
from minutes import issued
from minutes import services as minutes_services
from minutes.models import MinutesFile
from notices import issued as notice_issued
from polls import closing, reporting
from polls import issued as poll_issued
from polls.pdf import REPORT_FIELD
from tests.poll_helpers import in_, make_board, make_office, make_poll
from tests.notice_helpers import approved_notice, held_meeting, signed_by
from tests.test_minutes_pdf import sample

VERIFY = "/api/minutes/verify"


@pytest.fixture(autouse=True)
def _more_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(minutes_routes, "VERIFY_LIMIT", (60, 60))  # more files than a person checks a minute


async def _verify(pdf: bytes, url: str, lang: str = "vi") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=120, headers={"Accept-Language": lang}) as anonymous:
        r = await anonymous.post(VERIFY, files={"file": ("x.pdf", pdf, "application/pdf")})
    assert r.status_code == 200, r.text[:500]
    report: dict[str, Any] = r.json()
    VerifyReport.model_validate(report)  # the answer the OpenAPI document promises
    return report


def _offline(pdf: bytes, store: KeyStore, who: str, field: str, name: str, title: str = "") -> bytes:
    """Signed outside the server, with the product's own appearance naming `name`: the probe's forgery."""
    return signing.sign_pdf(
        pdf,
        store=store,
        user_id=who,
        password=PASSWORD,
        field_name=field,
        reason="Chủ tọa ký biên bản cuộc họp",
        location="Hà Nội",
        signer_name=name,
        signer_title=title,
    )


def _signature_dates(pdf: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return [str(f.V.M) for f in doc.Root.AcroForm.Fields if f.get("/FT") == "/Sig" and "/V" in f]


def _stranger(data_dir: Path, tmp_path: Path, name: str) -> KeyStore:
    """A certificate from the server's own trusted CA, named as `name`, that the server's key store does not hold."""
    ca = create_demo_ca(data_dir / "keys")
    issue_certificate(CA(ca.cert, ca.key, tmp_path / "elsewhere"), "stranger", name, "Thủ tướng Chính phủ", PASSWORD)
    return KeyStore(tmp_path / "elsewhere")


async def test_the_chair_block_signed_by_someone_else_is_not_valid_and_the_issued_minutes_are(
    live_server: LiveServer, tmp_path: Path
) -> None:
    h = held_meeting(live_server.db)
    c, mid, data_dir = h.cabinet, h.meeting_id, live_server.settings.data_dir
    ensure_demo_signers(
        data_dir / "keys",
        [(u.username, u.full_name, "") for u in (c.secretary, c.chair, c.members[0])],
        PASSWORD,
    )
    store = KeyStore.for_data_dir(data_dir)
    staff, secretary, chair = [await login(live_server.url, a.username) for a in (c.staff, c.secretary, c.chair)]
    base, url = f"/api/meetings/{mid}/minutes", live_server.url
    try:
        assert (await staff.post(f"{base}/finalise")).json()["state"] == "final"
        final = (await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content
        subject = next(s["effective"] for s in (await staff.get(base)).json()["sections"] if s["key"] == "subject")
        signed = await secretary.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})
        assert signed.json()["state"] == "secretary_signed"
        half = (await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content

        # the secretary-signed minutes, as issued: not complete, named, the secretary's block signed through the server
        r = await _verify(half, url)
        assert r["verdict"] == "incomplete" and r["issued"] is True and not r["ok"], r
        assert r["document"] == {
            "kind": "minutes",
            "kind_label": "Biên bản cuộc họp",
            "number": "01/BB-CP",
            "title": subject,
            "state": "partial",
            "state_label": "đã ký một phần, còn ô ký chưa ký",
            "exact": True,
            "superseded_at": None,  # current: no correction replaced it (tests/test_verify_history.py)
        }
        (sig,) = r["signatures"]
        assert sig["by_system"] and sig["signer_matches"] and sig["signer_check"] == "issued"
        assert sig["block"] == {
            "field": "ThuKy",
            "role": "secretary",
            "label": "Thư ký",
            "expected_signer": c.secretary.full_name,
        }
        assert r["unsigned_fields"] == [{"name": "ChuToa", "label": "Chủ tọa"}]

        # the probe: the CHỦ TỌA block filled offline with the secretary's own certificate, drawn as the chair's
        for who, keys, check in (
            (c.secretary.username, store, "other_user"),  # the secretary herself
            (c.members[0].username, store, "other_user"),  # a member's certificate
            ("stranger", _stranger(data_dir, tmp_path, c.chair.full_name), "unknown_certificate"),  # CN = the chair
        ):
            forged = await asyncio.to_thread(_offline, half, keys, who, "ChuToa", c.chair.full_name)
            r = await _verify(forged, url)
            assert r["verdict"] == "wrong_signer" and r["ok"] is False and r["issued"] is False, (who, r)
            first, second = r["signatures"]
            assert second["intact"] and second["valid"] and second["trusted"]  # the signature itself verifies
            assert first["signer_check"] == "issued" and first["by_system"]
            assert second["signer_check"] == check and second["signer_matches"] is False and not second["by_system"]
            assert second["block"]["label"] == "Chủ tọa" and second["block"]["expected_signer"] == c.chair.full_name
            assert r["document"]["exact"] is False and r["document"]["number"] == "01/BB-CP"
            assert any(f"Ô “Chủ tọa” phải do {c.chair.full_name} ký" in x for x in r["reasons"]), r["reasons"]
            assert any("không phải văn bản do hệ thống phát hành" in x for x in r["reasons"])
        english = await _verify(forged, url, "en")  # the same answer, in English
        assert english["verdict"] == "wrong_signer" and english["summary"].startswith("Not valid: a signature block")
        assert f"The “Chair” block is {c.chair.full_name}'s to sign" in english["reasons"][0], english["reasons"]
        assert english["document"]["kind_label"] == "Meeting minutes"

        # the chair signs through the server: the issued minutes are valid and say which they are
        done = await chair.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})
        assert done.json()["state"] == "signed", done.text
        full = (await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content
        r = await _verify(full, url)
        assert r["verdict"] == "valid" and r["ok"] and r["issued"] and r["reasons"] == [], r
        assert r["document"]["state"] == "complete" and r["document"]["exact"] and r["document"]["title"] == subject
        assert [(s["block"]["expected_signer"], s["signer_check"]) for s in r["signatures"]] == [
            (c.secretary.full_name, "issued"),
            (c.chair.full_name, "issued"),
        ]
        # /M on the organisation's clock, as /CreationDate and the visible stamp
        offset = pdf_date(datetime.now(ZoneInfo(live_server.settings.timezone)), live_server.settings.timezone)[-7:]
        assert offset == "+07'00'"
        assert [d[-7:] for d in _signature_dates(full)] == [offset, offset]

        # re-signed: the frozen file signed elsewhere by the right people with their own certificates
        again = await asyncio.to_thread(_offline, final, store, c.secretary.username, "ThuKy", c.secretary.full_name)
        again = await asyncio.to_thread(_offline, again, store, c.chair.username, "ChuToa", c.chair.full_name)
        r = await _verify(again, url)
        assert r["verdict"] == "not_issued" and not r["ok"] and not r["issued"], r
        assert [s["signer_check"] for s in r["signatures"]] == ["expected_outside", "expected_outside"]
        assert r["document"]["state"] == "unsigned" and r["document"]["exact"] is False
        assert any("không phải văn bản do hệ thống phát hành" in x for x in r["reasons"])
    finally:
        for client in (staff, secretary, chair):
            await client.aclose()


async def test_a_foreign_file_with_valid_signatures_is_not_issued_here(live_server: LiveServer) -> None:
    """Minutes the server never made, signed with certificates it trusts (those of its own users)."""
    keys = live_server.settings.data_dir / "keys"
    people = [("vanphong", "Nguyễn Thị Lan Anh", ""), ("thutuong", "Nguyễn Văn Thành", "Thủ tướng Chính phủ")]
    ensure_demo_signers(keys, people, PASSWORD)
    store = KeyStore(keys)

    def forge() -> bytes:
        pdf = _offline(render_pdf(sample()), store, "vanphong", "ThuKy", people[0][1])
        return _offline(pdf, store, "thutuong", "ChuToa", people[1][1])

    r = await _verify(await asyncio.to_thread(forge), live_server.url)
    assert r["verdict"] == "not_issued" and r["ok"] is False and r["issued"] is False and r["document"] is None, r
    assert all(s["intact"] and s["valid"] and s["trusted"] and s["ok"] for s in r["signatures"])  # cryptographically
    assert [s["signer_check"] for s in r["signatures"]] == ["unknown_document", "unknown_document"]
    assert [s["block"] for s in r["signatures"]] == [None, None]
    assert r["summary"] == "Không phải văn bản do hệ thống phát hành"


async def test_a_notice_signed_by_another_is_not_valid_and_the_issued_one_is_named(live_server: LiveServer) -> None:
    db, data_dir = live_server.db, live_server.settings.data_dir
    h = held_meeting(db)
    c = h.cabinet
    deadline = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().replace(year=datetime.now().year + 1)
    nid, _ = await asyncio.to_thread(approved_notice, db, h, data_dir, deadline)

    def files() -> dict[str, bytes]:
        with db.read_session() as s:
            return {f.step: f.data for f in s.exec(select(NoticeFile).where(NoticeFile.notice_id == nid))}

    # the approved notice, its block (the chair's) signed offline by the meeting's secretary
    store = KeyStore.for_data_dir(data_dir)
    final = files()["final"]
    forged = await asyncio.to_thread(_offline, final, store, c.secretary.username, "ChuTri", c.chair.full_name)
    r = await _verify(forged, live_server.url)
    assert r["verdict"] == "wrong_signer" and r["signatures"][0]["signer_check"] == "other_user", r
    assert r["document"]["number"] == "01/TB-TTg" and r["document"]["state"] == "unsigned"
    assert r["signatures"][0]["block"]["expected_signer"] == c.chair.full_name

    # signed by the chair through the server (what the route does): issued, valid, named
    job, signed, at = await asyncio.to_thread(signed_by, db, c.chair, nid, data_dir)
    call(db, issuing.store_signature, actor=c.chair, job=job, pdf_bytes=signed, signed_at=at)
    r = await _verify(files()["signed"], live_server.url)
    assert r["verdict"] == "valid" and r["issued"] and r["document"]["kind"] == "notice", r
    assert r["document"]["number"] == "01/TB-TTg" and r["document"]["state"] == "complete"
    assert r["signatures"][0]["signer_check"] == "issued"


async def test_a_signed_answer_sheet_and_the_signed_summary_report_are_named(live_server: LiveServer) -> None:
    """The polls' signed files (polls/issued.py): a voter's sheet signed through the server, and the summary report
    signed by the Government Office's head."""
    db, data_dir = live_server.db, live_server.settings.data_dir
    b = make_board(db, n_members=2)
    poll = make_poll(db, b, deadline=in_(3600))
    voter, other = b.members
    head, _ = make_office(db, b)
    people = [(u.username, u.full_name, "") for u in (voter, other, head)]
    ensure_demo_signers(data_dir / "keys", people, PASSWORD)
    client, office = await login(live_server.url, voter.username), await login(live_server.url, head.username)
    pid = poll["id"]
    try:
        body = {"answers": [{"question_id": q["id"], "choice": "agree"} for q in poll["questions"]]}
        answered = await client.post(f"/api/polls/{pid}/answers", json=body | {"password": PASSWORD})
        assert answered.status_code == 200, answered.text
        sheet = (await client.get(f"/api/polls/{pid}/sheets/{voter.id}")).content
        r = await _verify(sheet, live_server.url)
        assert r["verdict"] == "valid" and r["document"]["kind"] == "poll_sheet", r
        assert r["document"]["title"] == poll["title"]
        assert r["signatures"][0]["block"]["expected_signer"] == voter.full_name

        assert call(db, closing.close_poll, poll_id=pid, now=in_(7200), tz="Asia/Ho_Chi_Minh")
        digest = (await office.get(f"/api/polls/{pid}")).json()["report_to_sign"]["digest"]
        sign = {"password": PASSWORD, "report_digest": digest}
        assert (await office.post(f"/api/polls/{pid}/report/sign", json=sign)).status_code == 200
        report = (await office.get(f"/api/polls/{pid}/report")).content
        r = await _verify(report, live_server.url)
        assert r["verdict"] == "valid" and r["document"]["kind"] == "poll_report", r
        assert r["document"]["number"] == "01/BC-VPCP"
        assert r["signatures"][0]["block"]["expected_signer"] == head.full_name
    finally:
        await client.aclose()
        await office.aclose()


def test_the_lookups_on_both_databases(any_db: Database, tmp_path: Path) -> None:
    """minutes/issued.py find, with the three domains' lookups, on SQLite and PostgreSQL: the frozen minutes, an
    approved notice and a signed report (its SHA-256 as the signing route stores it) are found, nothing else is."""
    for name, lookup in (
        ("minutes", issued.minutes_files),
        ("notices", notice_issued.notice_files),
        ("polls", poll_issued.poll_files),
    ):
        issued.on_lookup(name, lookup)
    b = make_board(any_db, n_members=1)  # first: the poll's chair is the Government's (the first member)
    poll = make_poll(any_db, b, deadline=in_(3600))
    assert call(any_db, closing.close_poll, poll_id=poll["id"], now=in_(7200), tz="Asia/Ho_Chi_Minh")
    head, _ = make_office(any_db, b)
    digest = any_db.run_read(reporting.report_view, actor=head, poll_id=poll["id"], tz="Asia/Ho_Chi_Minh")["digest"]
    report = "ab" * 32
    kw = {"poll_id": poll["id"], "report_sha256": report, "digest": digest, "tz": "Asia/Ho_Chi_Minh"}
    call(any_db, reporting.store_report, actor=head, **kw)
    h = held_meeting(any_db)
    c = h.cabinet
    call(any_db, minutes_services.finalise, actor=c.staff, meeting_id=c.meeting_id)
    deadline = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().replace(year=datetime.now().year + 1)
    nid, _ = approved_notice(any_db, h, tmp_path / "data", deadline)
    with any_db.read_session() as s:
        minutes_sha = s.exec(select(MinutesFile.sha256).where(MinutesFile.step == "final")).one()
        notice_sha = s.exec(select(NoticeFile.sha256).where(NoticeFile.notice_id == nid)).one()
    found = any_db.run_read(issued.find, hashes=[minutes_sha, notice_sha, report, "0" * 64, "not-a-digest"])
    assert sorted(found) == sorted([minutes_sha, notice_sha, report])
    m, n, r = found[minutes_sha], found[notice_sha], found[report]
    assert (m.kind, m.number, m.state) == ("minutes", "01/BB-CP", "unsigned")
    assert [(x.field, x.name, x.signed) for x in m.blocks] == [
        ("ThuKy", c.secretary.full_name, False),
        ("ChuToa", c.chair.full_name, False),
    ]
    assert (n.kind, n.number, n.state, n.blocks[0].name) == ("notice", "01/TB-TTg", "unsigned", c.chair.full_name)
    assert (r.kind, r.state, r.blocks[0].field) == ("poll_report", "complete", REPORT_FIELD)
    assert r.blocks[0].name == head.full_name
