"""Minutes over the real server: conclusion autosave and 409 with the current text, the draft JSON, section
edits, PDF/DOCX downloads, signing with the password (secretary then chair), the live `minutes.completed`
notification to a member's tablet, replay == snapshot, and the verify endpoint (signed, tampered, not a PDF)."""

from __future__ import annotations

import httpx

from minutes import routes as minutes_routes
from tests.conftest import LiveServer
from tests.factories import PASSWORD
from tests.live import live_client, login
from tests.minutes_helpers import CONCLUSIONS, pdf_text, scripted_meeting, signer_keys


async def test_conclusion_autosave_over_http_and_stale_409(live_server: LiveServer) -> None:
    s = scripted_meeting(live_server.db, end=False)
    c, mid, item = s.cabinet, s.meeting_id, s.cabinet.item_ids[2]
    staff, chair, member = [await login(live_server.url, a.username) for a in (c.staff, c.chair, c.members[0])]
    url = f"/api/meetings/{mid}/agenda/{item}/conclusion"
    try:
        r = await chair.put(url, json={"text": "Chủ tọa gõ tiếp", "base_revision": 1})
        assert r.status_code == 200 and r.json()["revision"] == 2
        stale = await staff.put(url, json={"text": "Văn phòng gõ đè", "base_revision": 1})
        assert stale.status_code == 409
        err = stale.json()["error"]
        assert (
            err["code"] == "stale_revision"
            and err["details"]["text"] == "Chủ tọa gõ tiếp"
            and err["details"]["revision"] == 2
        )
        assert (await member.put(url, json={"text": "x", "base_revision": 2})).status_code == 403
        assert (await member.get(f"/api/meetings/{mid}/conclusions")).status_code == 403
        drafts = (await staff.get(f"/api/meetings/{mid}/conclusions")).json()
        assert [d["text"] for d in drafts] == [CONCLUSIONS[0], CONCLUSIONS[1], "Chủ tọa gõ tiếp"]
        pub = await staff.post(url + "/publish", json={"published": True})
        assert pub.status_code == 200 and pub.json()["published_text"] == "Chủ tọa gõ tiếp"
        snap = (await member.get(f"/api/meetings/{mid}/snapshot")).json()["snapshot"]
        assert [x["text"] for x in snap["conclusions"]] == [CONCLUSIONS[0], "Chủ tọa gõ tiếp"]
        assert snap["minutes"]["state"] == "draft"
    finally:
        for client in (staff, chair, member):
            await client.aclose()


async def test_edit_generate_sign_notify_download_verify(live_server: LiveServer) -> None:
    s = scripted_meeting(live_server.db)
    c, mid = s.cabinet, s.meeting_id
    signer_keys(live_server.settings.data_dir, c)
    tablet, member = await live_client(live_server.url, c.members[0].username)
    staff, secretary, chair, outsider = [
        await login(live_server.url, a.username) for a in (c.staff, c.secretary, c.chair, c.outsider)
    ]
    base = f"/api/meetings/{mid}/minutes"
    try:
        join = await tablet.join(mid)
        assert join["ok"] and join["data"]["snapshot"]["minutes"]["state"] == "draft"
        draft = (await staff.get(base)).json()
        assert draft["can_edit"] and any(x["key"] == "recipients" for x in draft["sections"])
        assert (await chair.get(base)).json()["can_edit"] is False
        key = f"item:{c.item_ids[0]}:conclusion"
        r = await staff.put(f"{base}/sections/{key}", json={"text": "Kết luận đã biên tập của Văn phòng."})
        assert r.status_code == 200 and r.json()["effective"] == "Kết luận đã biên tập của Văn phòng."
        assert (await chair.put(f"{base}/sections/opening", json={"text": "x"})).status_code == 403
        pdf = await staff.get(f"/api/meetings/{mid}/minutes.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert "Kết luận đã biên tập của Văn phòng." in pdf_text(pdf.content)[0]
        word = await staff.get(f"/api/meetings/{mid}/minutes.docx")
        assert word.status_code == 200 and word.content[:2] == b"PK"
        assert (await member.get(f"/api/meetings/{mid}/minutes.pdf")).status_code == 403
        assert (await staff.post(f"{base}/finalise")).json()["state"] == "final"
        assert (await staff.put(f"{base}/sections/opening", json={"text": "muộn"})).json()["error"][
            "code"
        ] == "minutes_frozen"
        early = await chair.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})
        assert early.status_code == 403 and "Thư ký ký trước" in early.json()["error"]["message"]
        wrong = await secretary.post(f"{base}/sign", json={"password": "không đúng", "version": 1})
        assert wrong.status_code == 403
        assert (await secretary.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})).json()[
            "state"
        ] == "secretary_signed"
        done = await chair.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})
        assert done.status_code == 200 and done.json()["state"] == "signed", done.text
        event = await tablet.wait_for(lambda e: e["type"] == "minutes.completed")
        assert event["data"]["version"] == 1 and event["data"]["meeting_id"] == mid
        url = event["data"]["download_url"]
        signed = await member.get(url)
        assert signed.status_code == 200 and b"/ByteRange" in signed.content
        assert (await outsider.get(url)).status_code == 404  # not invited: the meeting answers as absent
        fresh = await tablet.join(mid)
        await tablet.wait_for(lambda e: e["type"] == "minutes.completed")
        assert fresh["data"]["snapshot"]["minutes"] == event["data"]["minutes"]
        async with httpx.AsyncClient(base_url=live_server.url) as anonymous:  # anyone with the file may check it
            ok = (
                await anonymous.post(
                    "/api/minutes/verify", files={"file": ("bb.pdf", signed.content, "application/pdf")}
                )
            ).json()
            assert ok["ok"] and [x["signer_name"] for x in ok["signatures"]] == [
                c.secretary.full_name,
                c.chair.full_name,
            ]
            assert all(x["trusted"] and x["intact"] for x in ok["signatures"])
            assert ok["verdict"] == "valid" and ok["issued"] and ok["document"]["number"] == "01/BB-CP"  # issued here
            body = bytearray(signed.content)
            start = body.index(b"stream", len(body) // 3) + 10  # flip a byte inside a signed content stream
            body[start] ^= 0x01
            bad = (
                await anonymous.post(
                    "/api/minutes/verify", content=bytes(body), headers={"content-type": "application/pdf"}
                )
            ).json()
            assert bad["ok"] is False and any(not x["intact"] for x in bad["signatures"]), bad
            junk = await anonymous.post(
                "/api/minutes/verify", files={"file": ("x.pdf", b"not a pdf", "application/pdf")}
            )
            assert junk.status_code == 422
            page = await anonymous.get("/minutes/verify")
            assert page.status_code == 200 and "Kiểm tra chữ ký số" in page.text
    finally:
        await tablet.close()
        for client in (member, staff, secretary, chair, outsider):
            await client.aclose()


async def test_verify_is_size_limited(live_server: LiveServer, monkeypatch) -> None:
    monkeypatch.setattr(minutes_routes, "MAX_VERIFY_BYTES", 1024)
    async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
        r = await anonymous.post(
            "/api/minutes/verify", content=b"%PDF-" + b"0" * 200_000, headers={"content-type": "application/pdf"}
        )
        assert r.status_code == 413
