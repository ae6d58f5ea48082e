"""The poll pages ask what GET /api/polls/{id} asks (denied/allowed pairs), and the home page shows the
member's inbox of open polls with their deadline and what remains to answer."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer
from tests.factories import make_user
from tests.live import login
from tests.poll_helpers import answer, in_, make_board, make_poll
from accounts.models import GlobalRole


async def test_poll_pages_denied_and_allowed(live_server: LiveServer) -> None:
    b = make_board(live_server.db, n_members=2)
    draft = make_poll(live_server.db, b, deadline=in_(3600), state="draft")
    poll = make_poll(live_server.db, b, deadline=in_(3600))
    answer(live_server.db, poll, b.members[1], "agree")
    outsider = make_user(live_server.db, GlobalRole.member, "Người Ngoài")
    clients = {
        name: await login(live_server.url, a.username)
        for name, a in {
            "staff": b.staff,
            "chair": b.chair,
            "m0": b.members[0],
            "m1": b.members[1],
            "outsider": outsider,
        }.items()
    }
    try:
        cases = [
            (f"/polls/{poll['id']}", "m0", 200),
            (f"/polls/{poll['id']}", "outsider", 404),  # not on its list: as a poll never made
            (f"/polls/{poll['id']}", "staff", 200),
            (f"/polls/{draft['id']}", "staff", 200),
            (f"/polls/{draft['id']}", "chair", 404),
            (f"/polls/{draft['id']}", "m0", 404),
            ("/polls/999999", "staff", 404),
            ("/polls", "m0", 200),
        ]
        for path, who, status in cases:
            r = await clients[who].get(path)
            assert r.status_code == status, (path, who, r.status_code)
        async with httpx.AsyncClient(base_url=live_server.url) as anon:
            assert (await anon.get(f"/polls/{poll['id']}")).status_code == 303
            assert (await anon.get("/polls")).status_code == 303
        home = (await clients["m0"].get("/meetings")).text
        assert 'data-testid="poll-inbox"' in home and "Còn 2 câu chưa trả lời" in home and poll["title"] in home
        assert "Còn 1 câu chưa trả lời" in (await clients["m1"].get("/meetings")).text
        assert 'data-testid="poll-inbox-item"' not in (await clients["outsider"].get("/meetings")).text
    finally:
        for c in clients.values():
            await c.aclose()
