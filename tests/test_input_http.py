"""The probe's 500s and their siblings over real HTTP: each answers a clear 4xx naming what is wrong."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx

from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.fuzz_values import deep
from tests.live import login

BIG = 2**63


def _error(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message"]
    if field is not None:
        assert field in [d["field"] for d in error["details"]], error


async def test_ids_past_the_database_range_are_refused_everywhere(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        for method, url in [
            ("GET", f"/api/meetings/{BIG}"),
            ("PATCH", f"/api/meetings/{BIG}"),
            ("GET", f"/api/documents/{2**64}/pages/1"),
            ("GET", f"/api/documents/1/pages/{BIG}"),
            ("DELETE", f"/api/meetings/{c.meeting_id}/agenda/{BIG}"),
            ("POST", f"/api/votes/{BIG}/close"),
            ("GET", f"/meetings/{BIG}/minutes"),
            ("GET", "/api/meetings/0"),
        ]:
            r = await staff.request(method, url, json={} if method in ("PATCH", "POST") else None)
            assert r.status_code == 422 and r.json()["error"]["details"][0]["field"].startswith("path."), (
                method,
                url,
                r.text,
            )
        _error(await staff.get(f"/api/documents/1/download?version={BIG}"), 422, "validation_failed", "query.version")
        _error(
            await staff.get("/api/documents/1/download?version=" + "9" * 5000),
            422,
            "validation_failed",
            "query.version",
        )
        _error(
            await staff.get(f"/api/meetings/{c.meeting_id}/minutes.pdf?version=²"),
            422,
            "validation_failed",
            "query.version",
        )
        _error(
            await staff.post(f"/api/meetings/{c.meeting_id}/participants", json={"user_id": BIG}),
            422,
            "validation_failed",
            "user_id",
        )
        _error(
            await staff.post(f"/api/meetings/{c.meeting_id}/agenda/reorder", json={"item_ids": [BIG]}),
            422,
            "validation_failed",
            "item_ids.0",
        )
    finally:
        await staff.aclose()


async def test_null_control_characters_and_wrong_types_name_the_field(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        m = f"/api/meetings/{c.meeting_id}"
        _error(await staff.patch(m, json={"place": None}), 422, "validation_failed", "place")
        _error(await staff.patch(m, json={"title": "Phiên họp\x01 tháng 12"}), 422, "validation_failed", "title")
        _error(await staff.patch(m, json={"title": "Phiên họp\ntháng 12"}), 422, "validation_failed", "title")
        _error(await staff.patch(m, json={"description": "Dòng \x1b[31m đỏ"}), 422, "validation_failed", "description")
        _error(
            await staff.patch(f"{m}/agenda/{c.item_ids[0]}", json={"planned_minutes": "15"}),
            422,
            "validation_failed",
            "planned_minutes",
        )
        _error(
            await staff.patch(m, json={"scheduled_at": "0001-01-01T00:00:00+05:00"}),
            422,
            "validation_failed",
            "scheduled_at",
        )
        for lax in ("2027-01-05T10:00:00", "2027-01-05", 0, "1900000000"):  # no zone, no time, Unix time
            _error(await staff.patch(m, json={"scheduled_at": lax}), 422, "validation_failed", "scheduled_at")
        # an instant with an offset is that instant, as stored and read back (SQLite keeps no offset)
        for sent in ("2027-02-01T09:00:00+07:00", "2027-02-01T03:00:00+01:00", "2027-02-01T02:00:00Z"):
            assert (await staff.patch(m, json={"scheduled_at": sent})).status_code == 200
            read = (await staff.get(m)).json()["scheduled_at"]
            assert datetime.fromisoformat(read.replace("Z", "+00:00")) == datetime(2027, 2, 1, 2, tzinfo=timezone.utc)
            listed = [x for x in (await staff.get("/api/meetings")).json() if x["id"] == c.meeting_id]
            assert listed[0]["scheduled_at"] == read
        r = await staff.patch(
            m, json={"description": "Dòng 1\r\nDòng 2", "scheduled_at": None, "title": "Phie\u0302n họp mới"}
        )
        assert (
            r.status_code == 200
            and r.json()["description"] == "Dòng 1\nDòng 2"
            and r.json()["title"] == "Phiên họp mới"
        )
        assert "Vietnamese" not in r.text and (await staff.get(f"{m}/minutes.docx")).status_code in (200, 403)
    finally:
        await staff.aclose()


async def test_bodies_oversize_wrong_type_malformed_nan_and_deep(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    json_type = {"content-type": "application/json"}
    try:
        m = f"/api/meetings/{c.meeting_id}"
        _error(
            await staff.patch(m, content=b'{"title": "' + b"a" * 1_100_000 + b'"}', headers=json_type), 413, "too_large"
        )
        _error(
            await staff.patch(m, content='{"title": "Phiên họp mới"}'.encode(), headers={"content-type": "text/plain"}),
            415,
            "unsupported_media_type",
        )
        _error(await staff.patch(m, content=b'{"title": NaN}', headers=json_type), 400, "bad_request")
        _error(await staff.patch(m, content=b'{"title": Infinity}', headers=json_type), 400, "bad_request")
        _error(await staff.patch(m, content=b"[" * 100_000 + b"]" * 100_000, headers=json_type), 400, "bad_request")
        # one meaning per body: a key given twice (a proxy or audit log reading the first would see another
        # title), at any depth, and a charset that is not UTF-8 are refused; nothing is written
        twice = '{"title": "Phiên họp A", "title": "Phiên họp B"}'.encode()
        r = await staff.patch(m, content=twice, headers=json_type)
        _error(r, 400, "bad_request", "body")
        assert "“title”" in r.json()["error"]["message"] and "hai lần" in r.json()["error"]["message"]
        nested = b'{"agenda": [{"x": 1, "x": 1}]}'
        _error(await staff.patch(m, content=nested, headers=json_type), 400, "bad_request", "body")
        for charset in ("utf-16", "latin-1", '"UTF-32"'):
            utf16 = {"content-type": f"application/json; charset={charset}"}
            _error(await staff.patch(m, content=twice, headers=utf16), 415, "unsupported_media_type")
        assert (await staff.get(m)).json()["title"] not in ("Phiên họp A", "Phiên họp B")
        utf8 = {"content-type": 'application/json; charset="UTF-8"'}
        ok = await staff.patch(m, content='{"title": "Phiên họp đổi tên"}'.encode(), headers=utf8)
        assert ok.status_code == 200, ok.text
        _error(await staff.patch(m, json={"title": deep(40)}), 422, "validation_failed", "body")
        _error(
            await staff.patch(m, content=b'{"title": "\\ud800abc"}', headers=json_type),
            422,
            "validation_failed",
            "title",
        )
    finally:
        await staff.aclose()


async def test_upload_fields_and_filename(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        _error(
            await upload(staff, c.meeting_id, make_pdf(1), agenda_item_id=str(BIG)),
            422,
            "validation_failed",
            "agenda_item_id",
        )
        _error(await upload(staff, c.meeting_id, make_pdf(1), allowed_user_ids="[" * 5000), 422, "validation_failed")
        _error(await upload(staff, c.meeting_id, make_pdf(1), restricted="yes"), 422, "validation_failed", "restricted")
        r = await upload(staff, c.meeting_id, make_pdf(1), filename="..\\..\\C:\\tệp\u202emật.pdf")
        assert r.status_code == 201, r.text
        doc = (await staff.get(f"/api/documents/{r.json()['id']}")).json()
        assert [v["source_name"] for v in doc["versions"]] == ["tệpmật.pdf"]
        for value in (
            "bytes=abc",
            "bytes=-1,99999999999999999999999-",
            "x" * 4000,
        ):  # no partial answers: Range is ignored
            r = await staff.get(
                f"/api/documents/{doc['id']}/download", headers={"Range": value, "If-None-Match": value}
            )
            assert r.status_code == 200 and r.content.startswith(b"%PDF")
    finally:
        await staff.aclose()
