"""A write that takes no data refuses data (web/nobody.py): a body that is not empty, `{}` or `null` is a 422 and the
action does not run; what clients send for "nothing" still works. Real uvicorn."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import login


async def test_a_display_token_is_not_made_from_a_body_nobody_reads(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    url = f"/api/meetings/{c.meeting_id}/display-tokens"
    try:
        for content, kind in (
            (b"{{{ not json", "application/json"),
            (b"\xff\xfe\xfd", "application/json"),
            (b"hello", "text/plain"),
            (b'{"meeting_id": 2}', "application/json"),
            (b"NaN", "application/json"),
            (b"{}" * 100, "application/json"),
        ):
            r = await staff.post(url, content=content, headers={"content-type": kind})
            assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed", (content, r.text)
            assert "không nhận dữ liệu" in r.json()["error"]["message"]
        assert (await staff.get(url)).json() == []  # nothing was made
        for content in (b"", b"{}", b" null \n"):
            assert (
                await staff.post(url, content=content, headers={"content-type": "application/json"})
            ).status_code == 201
        assert len((await staff.get(url)).json()) == 3
    finally:
        await staff.aclose()


async def test_the_chairs_tap_with_an_empty_body_moves_and_with_data_does_not(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    chair = await login(live_server.url, c.chair.username)
    try:
        url = f"/api/meetings/{c.meeting_id}/next"
        refused = await chair.post(url, json={"item_id": c.item_ids[2]})
        assert refused.status_code == 422
        assert (await chair.get(f"/api/meetings/{c.meeting_id}")).json()["current_item_id"] == c.item_ids[0]
        moved = await chair.post(url)
        assert moved.status_code == 200 and moved.json()["current_item_id"] == c.item_ids[1]
    finally:
        await chair.aclose()


def test_a_second_app_wraps_no_route_again(tmp_path) -> None:
    """The routes are module-level, shared by every app (the tests make hundreds): the checks wrap each once."""
    from starlette.routing import Route

    from app import domains
    from app.factory import create_app
    from infra.settings import Settings

    create_app(Settings(data_dir=tmp_path / "a"))
    first = {id(r): r.app for r in domains.http_routes() if isinstance(r, Route)}
    create_app(Settings(data_dir=tmp_path / "b"))
    again = {id(r): r.app for r in domains.http_routes() if isinstance(r, Route)}
    assert [k for k in first if again[k] is not first[k]] == []
