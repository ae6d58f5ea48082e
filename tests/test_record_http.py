"""Over the real server with ECABINET_TIMEZONE=Europe/Paris: every route that shows a time uses the setting
(pages, draft and signed PDF, DOCX, file dates, the visible signature), none falls back to Hà Nội."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
import pytest

from infra.settings import Settings
from meetings.models import Meeting
from tests.conftest import LiveServer, free_port
from tests.live import login
from tests.minutes_helpers import pdf_text, scripted_meeting, signer_keys
from tests.record_helpers import docx_text, pin_times
from tests.test_record_signature import text_in, widget_rects


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", port=free_port(), socket_rate_per_second=200, timezone="Europe/Paris")


def test_an_unknown_zone_is_refused_at_startup(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ECABINET_TIMEZONE"):
        Settings.from_env({"ECABINET_TIMEZONE": "Asia/Hanoi-ish"})


async def test_every_route_uses_the_configured_zone(live_server: LiveServer) -> None:
    db = live_server.db
    s = scripted_meeting(db)
    pin_times(db, s.meeting_id)
    with db.write_session() as session:
        m = session.get(Meeting, s.meeting_id)
        assert m is not None
        m.scheduled_at = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)
        session.add(m)
        session.commit()
    c, mid = s.cabinet, s.meeting_id
    signer_keys(live_server.settings.data_dir, c)
    staff, secretary, chair = [await login(live_server.url, a.username) for a in (c.staff, c.secretary, c.chair)]
    try:
        page = (await staff.get("/meetings")).text
        assert "02:00, 03/12/2026" in page and '<meta name="timezone" content="Europe/Paris">' in page
        live = (await staff.get(f"/meetings/{mid}")).text
        assert "02:00, 03/12/2026" in live
        draft = pdf_text((await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content)[0]
        sections = " ".join(
            x["effective"] for x in (await staff.get(f"/api/meetings/{mid}/minutes")).json()["sections"]
        )
        docx = docx_text((await staff.get(f"/api/meetings/{mid}/minutes.docx")).content)
        for text in (draft, sections, docx):
            assert "02 giờ 00, ngày 03 tháng 12 năm 2026" in text and "(03:15 - 03:20)" in text, text[:300]
            assert "08 giờ 00" not in text
        assert (await staff.post(f"/api/meetings/{mid}/minutes/finalise")).status_code == 200
        final = (await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content
        with pikepdf.open(io.BytesIO(final)) as pdf:
            assert str(pdf.docinfo["/CreationDate"]).endswith("+01'00'")
        for who in (secretary, chair):
            r = await who.post(
                f"/api/meetings/{mid}/minutes/sign", json={"password": "Mật-khẩu-thử-2026", "version": 1}
            )
            assert r.status_code == 200, r.text
        signers = r.json()["signers"]
        signed = (await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content
        rects = widget_rects(signed)
        for field, signer in zip(("ThuKy", "ChuToa"), signers):
            at = datetime.fromisoformat(signer["signed_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Paris"))
            assert at.strftime("%H:%M, %d/%m/%Y") in text_in(signed, *rects[field])
        verify = (await staff.post("/api/minutes/verify", files={"file": ("bb.pdf", signed, "application/pdf")})).json()
        assert verify["verdict"] == "valid" and [x["signing_time"] for x in verify["signatures"]] == [
            x["signed_at"] for x in signers
        ]
    finally:
        for client in (staff, secretary, chair):
            await client.aclose()
