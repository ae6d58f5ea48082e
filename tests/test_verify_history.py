"""The public check (/api/minutes/verify) over time: a signer's renewed certificate leaves the files signed before it
theirs (ledger/certhistory.py), an issued file replaced by a later one (a corrected minutes version, the voter's
later answer sheet, a notice returned to the secretariat) says so with when, and the lookups by SHA-256 use an index
(migration 0027_verify_indexes), so an anonymous upload never makes the server scan a table."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from app.db import Database
from core.clock import local
from ledger.keystore import KeyStore, create_demo_ca, ensure_demo_signers, issue_certificate
from minutes import issued
from minutes import services as minutes_services
from minutes.models import MinutesFile
from minutes.replaced import ReplacedFile
from notices import issued as notice_issued
from notices import services as notices
from notices.models import NoticeFile
from polls import answering, closing, reporting
from polls import issued as poll_issued
from polls.models import PollVoter
from polls.schemas import AnswersIn
from tests.conftest import LiveServer
from tests.factories import PASSWORD, call
from tests.live import login
from tests.notice_helpers import approved_notice, held_meeting
from tests.poll_helpers import in_, make_board, make_office, make_poll
from tests.test_verify_issued import _offline, _stranger, _verify

TZ = "Asia/Ho_Chi_Minh"


def _deadline() -> date:
    return datetime.now(ZoneInfo(TZ)).date().replace(year=datetime.now().year + 1)


def _when(at: datetime) -> str:
    moment = local(at, TZ)
    return f"lúc {moment:%H:%M} ngày {moment:%d/%m/%Y}"


async def test_a_renewed_certificate_keeps_earlier_files_their_signers_and_a_correction_supersedes_them(
    live_server: LiveServer, tmp_path: Path
) -> None:
    h = held_meeting(live_server.db)
    c, mid, data_dir, url = h.cabinet, h.meeting_id, live_server.settings.data_dir, live_server.url
    keys = data_dir / "keys"
    people = (c.secretary, c.chair, c.members[0])
    ensure_demo_signers(keys, [(u.username, u.full_name, "") for u in people], PASSWORD)
    store = KeyStore(keys)
    staff, secretary, chair = [await login(url, a.username) for a in (c.staff, c.secretary, c.chair)]
    base = f"/api/meetings/{mid}/minutes"
    try:
        assert (await staff.post(f"{base}/finalise")).json()["state"] == "final"
        final = (await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content
        for who in (secretary, chair):
            signed = await who.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})
            assert signed.status_code == 200, signed.text
        full = (await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content
        # before the renewal, elsewhere: by the right people with the certificates they had then; and the chair's
        # block signed with a member's (then) certificate
        outside = await asyncio.to_thread(_offline, final, store, c.secretary.username, "ThuKy", c.secretary.full_name)
        outside = await asyncio.to_thread(_offline, outside, store, c.chair.username, "ChuToa", c.chair.full_name)
        half = await asyncio.to_thread(_offline, final, store, c.secretary.username, "ThuKy", c.secretary.full_name)
        by_member = await asyncio.to_thread(_offline, half, store, c.members[0].username, "ChuToa", c.chair.full_name)
        old_chair = store.certificate(c.chair.username)

        # everyone gets a new certificate (renewal): the old ones go to the history, with when
        ca = create_demo_ca(keys)
        for u in people:
            issue_certificate(ca, u.username, u.full_name, "", PASSWORD)
        held = store.held(c.chair.username)
        assert [x.replaced_at is None for x in held] == [True, False] and held[1].cert == old_chair
        assert store.certificate(c.chair.username) != old_chair  # the new one signs from now on

        r = await _verify(full, url)
        assert r["verdict"] == "valid" and r["ok"] and r["issued"] and r["reasons"] == [], r
        r = await _verify(outside, url)  # the right people's old certificates: not issued here, never "wrong signer"
        assert r["verdict"] == "not_issued", r
        assert [s["signer_check"] for s in r["signatures"]] == ["expected_outside", "expected_outside"]
        assert all(s["signer_matches"] for s in r["signatures"])
        r = await _verify(by_member, url)  # a certificate that was never the chair's is still the wrong signer
        assert r["verdict"] == "wrong_signer" and r["signatures"][1]["signer_check"] == "other_user", r
        foreign = _stranger(data_dir, tmp_path, c.chair.full_name)
        forged = await asyncio.to_thread(_offline, half, foreign, "stranger", "ChuToa", c.chair.full_name)
        r = await _verify(forged, url)
        assert r["verdict"] == "wrong_signer" and r["signatures"][1]["signer_check"] == "unknown_certificate", r

        # a correction: the signed minutes were issued, and are now replaced (when, on the organisation's clock)
        assert (await staff.post(f"{base}/new-version")).status_code == 200
        with live_server.db.read_session() as s:
            (replaced_at,) = [v.superseded_at for v in minutes_services.versions(s, mid) if v.superseded_at]
        r = await _verify(full, url)
        assert r["verdict"] == "superseded" and not r["ok"] and r["issued"], r
        assert r["summary"].startswith("Văn bản do hệ thống phát hành nhưng đã được thay thế")
        assert r["document"]["superseded_at"] is not None and r["document"]["state"] == "complete"
        assert r["reasons"] == [f"Biên bản này đã được thay thế bằng bản đính chính {_when(replaced_at)}."]
        english = await _verify(full, url, "en")
        assert english["verdict"] == "superseded" and "replaced" in english["summary"], english
        assert "correction" in english["reasons"][0], english["reasons"]
    finally:
        for client in (staff, secretary, chair):
            await client.aclose()


async def test_a_replaced_answer_sheet_was_issued_and_says_it_was_superseded(live_server: LiveServer) -> None:
    db, data_dir, url = live_server.db, live_server.settings.data_dir, live_server.url
    b = make_board(db, n_members=1)
    poll = make_poll(db, b, deadline=in_(3600))
    (voter,) = b.members
    ensure_demo_signers(data_dir / "keys", [(voter.username, voter.full_name, "")], PASSWORD)
    client = await login(url, voter.username)
    pid = poll["id"]

    async def answer(choice: str, password: str | None) -> bytes | None:
        body: dict[str, Any] = {"answers": [{"question_id": q["id"], "choice": choice} for q in poll["questions"]]}
        r = await client.post(f"/api/polls/{pid}/answers", json=body | ({"password": password} if password else {}))
        assert r.status_code == 200, r.text
        return (await client.get(f"/api/polls/{pid}/sheets/{voter.id}")).content if password else None

    def replaced_at(sheet: bytes) -> datetime:
        import hashlib

        with db.read_session() as s:
            row = s.exec(select(ReplacedFile).where(ReplacedFile.sha256 == hashlib.sha256(sheet).hexdigest())).one()
            assert (row.kind, row.ref_id, row.user_id) == ("poll_sheet", pid, voter.id)
            return row.replaced_at

    try:
        first = await answer("agree", PASSWORD)
        second = await answer("disagree", PASSWORD)
        assert first and second and first != second
        r = await _verify(first, url)  # was "not_issued": it was issued, and the voter replaced it
        assert r["verdict"] == "superseded" and r["issued"] and not r["ok"], r
        assert r["document"]["kind"] == "poll_sheet" and r["document"]["title"] == poll["title"]
        assert r["signatures"][0]["signer_check"] == "issued"
        assert r["signatures"][0]["block"]["expected_signer"] == voter.full_name
        assert r["reasons"] == [
            f"Phiếu này đã được người trả lời thay bằng phiếu trả lời sau {_when(replaced_at(first))}."
        ], r["reasons"]
        english = await _verify(first, url, "en")
        assert english["verdict"] == "superseded" and "later answer sheet" in english["reasons"][0], english
        assert (await _verify(second, url))["verdict"] == "valid"  # the current sheet

        await answer("other", None)  # replaced by an answer without a signature: the signed sheet is no longer his
        assert replaced_at(second) >= replaced_at(first)
        r = await _verify(second, url)
        assert r["verdict"] == "superseded" and r["issued"], r
    finally:
        await client.aclose()


def _index_plans(db: Database, hashes: list[str]) -> dict[str, list[str]]:
    """issued.find over `hashes`: each SELECT filtering on a SHA-256 column → its plan (SQLite EXPLAIN QUERY PLAN;
    PostgreSQL EXPLAIN with sequential scans discouraged, so a usable index is used even on a tiny table)."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "sha256 IN" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        db.run_read(issued.find, hashes=hashes)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    plans: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        if not db.is_sqlite:
            conn.execute(text("SET enable_seqscan = off"))
        for statement, parameters in seen:
            explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
            rows = conn.exec_driver_sql(explain + statement, parameters).all()
            plans[statement] = [str(row[-1]) for row in rows]
        conn.rollback()
    return plans


def test_the_lookups_by_sha256_use_an_index_and_a_returned_notice_was_issued(any_db: Database, tmp_path: Path) -> None:
    for name, lookup in (
        ("minutes", issued.minutes_files),
        ("notices", notice_issued.notice_files),
        ("polls", poll_issued.poll_files),
    ):
        issued.on_lookup(name, lookup)
    b = make_board(any_db, n_members=1)
    poll = make_poll(any_db, b, deadline=in_(3600))
    voter = b.members[0]
    answers = AnswersIn.model_validate(
        {"answers": [{"question_id": q["id"], "choice": "agree"} for q in poll["questions"]]}
    )
    for sheet in ("cd" * 32, "ef" * 32):  # a signed sheet, then the voter's later one (the route stores their digests)
        digest = any_db.run_read(answering.sheet_to_sign, actor=voter, poll_id=poll["id"], data=answers)["digest"]
        kw = {"poll_id": poll["id"], "data": answers, "signed_sheet": sheet, "signed_digest": digest}
        call(any_db, answering.answer, actor=voter, **kw)
    assert call(any_db, closing.close_poll, poll_id=poll["id"], now=in_(7200), tz=TZ)
    head, _ = make_office(any_db, b)
    digest = any_db.run_read(reporting.report_view, actor=head, poll_id=poll["id"], tz=TZ)["digest"]
    kw = {"poll_id": poll["id"], "report_sha256": "ab" * 32, "digest": digest, "tz": TZ}
    call(any_db, reporting.store_report, actor=head, **kw)
    h = held_meeting(any_db)
    c = h.cabinet
    call(any_db, minutes_services.finalise, actor=c.staff, meeting_id=c.meeting_id)
    nid, _ = approved_notice(any_db, h, tmp_path / "data", _deadline())
    with any_db.read_session() as s:
        minutes_sha = s.exec(select(MinutesFile.sha256).where(MinutesFile.step == "final")).one()
        returned = s.exec(select(NoticeFile.sha256).where(NoticeFile.notice_id == nid)).one()
        row = s.get(PollVoter, (poll["id"], voter.id))
        assert row is not None and row.sheet_sha256 == "ef" * 32
    call(any_db, notices.return_to_draft, actor=c.chair, notice_id=nid)  # its frozen PDF is dropped

    hashes = [minutes_sha, returned, "ab" * 32, "cd" * 32, "ef" * 32, "0" * 64]
    found = any_db.run_read(issued.find, hashes=hashes)
    assert sorted(found) == sorted(hashes[:5])
    assert found["cd" * 32].kind == "poll_sheet" and found["cd" * 32].superseded_at is not None
    assert found["ef" * 32].superseded_at is None and found[minutes_sha].superseded_at is None
    notice = found[returned]
    assert (notice.kind, notice.number, notice.state) == ("notice", "01/TB-TTg", "unsigned")
    assert notice.superseded_at is not None  # issued (approved and frozen), then returned: not "never issued"

    plans = _index_plans(any_db, hashes)
    expected = {
        "minutes_file.sha256 IN": "ix_minutes_file_sha256",
        "notice_file.sha256 IN": "ix_notice_file_sha256",
        "poll.report_sha256 IN": "ix_poll_report_sha256",
        "poll_voter.sheet_sha256 IN": "ix_poll_voter_sheet_sha256",
        "replaced_file.sha256 IN": "ix_replaced_file_sha256",
    }
    used = set()
    for statement, plan in plans.items():
        for where, index in expected.items():
            if where in statement:
                table = where.split(".")[0]
                assert any(index in line for line in plan), (statement, plan)
                assert not any(line.startswith(f"SCAN {table}") or f"Seq Scan on {table} " in line for line in plan)
                used.add(index)
    assert used == set(expected.values()), plans  # every lookup was seen, and each used its index


@pytest.mark.parametrize("replaced", [False, True])
def test_the_key_store_keeps_each_replaced_certificate_once(tmp_path: Path, replaced: bool) -> None:
    ca = create_demo_ca(tmp_path / "keys")
    store = KeyStore(tmp_path / "keys")
    issue_certificate(ca, "thutuong", "Nguyễn Văn Thành", "Thủ tướng Chính phủ", PASSWORD)
    first = store.certificate("thutuong")
    if replaced:
        issue_certificate(ca, "thutuong", "Nguyễn Văn Thành", "Thủ tướng Chính phủ", PASSWORD)
    else:  # the same certificate stored again (an import of the same file): nothing was replaced
        p12 = store.unseal_pkcs12("thutuong", PASSWORD)
        store.import_pkcs12("thutuong", p12, PASSWORD)
    held = store.held("thutuong")
    assert [x.cert == first for x in held] == ([False, True] if replaced else [True])
    assert all(x.user_id == "thutuong" for x in held)
    from minutes.verdict import certificate_owners

    owners = certificate_owners(store)
    assert sorted(owners.values()) == ["thutuong"] * len(held) and {x.sha256 for x in held} == set(owners)
