"""The Host header a client sends never becomes a redirect to another site: a path with a trailing slash is not
redirected (Starlette would build the Location from that header), it is simply not found; a host not ours is
refused before that (web/hosts.py)."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer


async def test_a_forged_host_is_not_reflected_in_a_redirect(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, follow_redirects=False) as client:
        for path in ("/meetings/", "/api/meetings/", "/polls/", "/login/"):
            r = await client.get(path, headers={"Host": "evil.example"})
            assert "evil.example" not in r.headers.get("location", ""), (path, r.headers)
            assert r.status_code == 400, (path, r.status_code)  # not a host of ours (web/hosts.py)
            r = await client.get(path, headers={"Host": "localhost"})  # one of ours: no redirect either
            assert "location" not in r.headers and r.status_code == 404, (path, r.status_code, r.headers)
        assert (await client.get("/login")).status_code == 200  # the path itself is served
