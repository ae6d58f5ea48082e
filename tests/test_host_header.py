"""The Host header a client sends never becomes a redirect to another site: a path with a trailing slash is not
redirected (Starlette would build the Location from that header), it is simply not found."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer


async def test_a_forged_host_is_not_reflected_in_a_redirect(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, follow_redirects=False) as client:
        for path in ("/meetings/", "/api/meetings/", "/polls/", "/login/"):
            r = await client.get(path, headers={"Host": "evil.example"})
            assert "evil.example" not in r.headers.get("location", ""), (path, r.headers)
            assert r.status_code == 404, (path, r.status_code)
        assert (await client.get("/login")).status_code == 200  # the path itself is served
