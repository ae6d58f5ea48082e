"""The HTTP helpers of web/ on a tiny Starlette app, in process (Starlette's TestClient): what a client sends that
is wrong is refused with the status and the field a user (or an API client) can act on, and an unexpected error
never shows its traceback. Fast: no server, no database."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.testclient import TestClient

from core.errors import DomainError, Forbidden
from core.types import MAX_ID
from infra.settings import Settings
from web.http import (
    MAX_DEPTH,
    MAX_JSON_BYTES,
    guard_paths,
    ok,
    on_domain_error,
    on_http_error,
    on_unexpected,
    parse_body,
    query_id,
    query_text,
)
from web.security_headers import SecurityHeaders


class Note(BaseModel):
    title: str = Field(min_length=1, max_length=20)
    count: int = 0


async def echo(request: Request) -> Response:
    note = await parse_body(request, Note)
    return ok({"title": note.title, "count": note.count})


async def item(request: Request) -> Response:
    return ok({"id": request.path_params["id"], "after": query_id(request, "after"), "q": query_text(request, "q")})


async def refused(request: Request) -> Response:
    raise Forbidden("Bạn không có quyền xem mục này.")


async def broken(request: Request) -> Response:
    raise RuntimeError("secret internals: /srv/ecabinet/db.sqlite password=hunter2")


def tiny_app() -> Starlette:
    routes: list[BaseRoute] = [
        Route("/notes", echo, methods=["POST"]),
        Route("/items/{id:int}", item),
        Route("/forbidden", refused),
        Route("/broken", broken),
    ]
    handlers: dict[Any, Any] = {DomainError: on_domain_error, HTTPException: on_http_error, Exception: on_unexpected}
    return Starlette(routes=guard_paths(routes), exception_handlers=handlers)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(tiny_app(), raise_server_exceptions=False)


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def test_a_valid_body_is_parsed_and_answered(client: TestClient) -> None:
    r = client.post("/notes", json={"title": "Tờ trình số 12", "count": 3})
    assert r.status_code == 200 and r.json() == {"title": "Tờ trình số 12", "count": 3}


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b'{"title": "x"', {"content-type": "application/json"}, 400, "bad_request"),  # cut off
        (b'{"title": "x", "count": NaN}', {"content-type": "application/json"}, 400, "bad_request"),
        (b"\xff\xfe", {"content-type": "application/json"}, 400, "bad_request"),  # not UTF-8
        (b"title=x", {"content-type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        (b"[1, 2]", {"content-type": "application/json"}, 422, "validation_failed"),  # not an object
    ],
)
def test_malformed_bodies_are_refused_with_a_client_error(
    client: TestClient, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    r = client.post("/notes", content=body, headers=headers)
    assert r.status_code == status, r.text
    assert error(r)["code"] == code and error(r)["message"]


def test_a_wrong_field_is_named_in_the_answer(client: TestClient) -> None:
    r = client.post("/notes", json={"title": "", "count": "nhiều"})
    assert r.status_code == 422
    fields = {d["field"] for d in error(r)["details"]}
    assert fields == {"title", "count"}


def test_an_oversize_or_too_deep_body_is_refused_before_it_is_read_whole(client: TestClient) -> None:
    big = b'{"title": "' + b"x" * (MAX_JSON_BYTES + 1) + b'"}'
    r = client.post("/notes", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and error(r)["code"] == "too_large"
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    r = client.post(
        "/notes", content=f'{{"title": "x", "count": {deep}}}', headers={"content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("raw", ["0", str(MAX_ID + 1), "99999999999999999999999"])
def test_path_ids_outside_the_database_range_are_refused(client: TestClient, raw: str) -> None:
    r = client.get(f"/items/{raw}")
    assert r.status_code == 422
    assert error(r)["details"][0]["field"] == "path.id"


def test_query_ids_and_texts_are_checked(client: TestClient) -> None:
    assert client.get("/items/7?after=3&q=ngân sách").json() == {"id": 7, "after": 3, "q": "ngân sách"}
    assert client.get("/items/7").json() == {"id": 7, "after": None, "q": ""}
    for query, field in [("after=abc", "query.after"), ("after=-1", "query.after"), ("q=a%00b", "query.q")]:
        r = client.get(f"/items/7?{query}")
        assert r.status_code == 422, query
        assert error(r)["details"][0]["field"] == field


def test_domain_errors_and_unknown_routes_answer_in_the_users_language(client: TestClient) -> None:
    r = client.get("/forbidden")
    assert r.status_code == 403 and error(r) == {"code": "forbidden", "message": "Bạn không có quyền xem mục này."}
    vi = client.get("/nowhere")
    en = client.get("/nowhere", headers={"accept-language": "en-GB,en;q=0.9"})
    assert vi.status_code == en.status_code == 404
    assert error(vi)["message"] == "Không tìm thấy." and error(en)["message"] == "Not found."


def test_an_unexpected_error_shows_no_internals(client: TestClient) -> None:
    r = client.get("/broken")
    assert r.status_code == 500 and error(r)["code"] == "internal_error"
    assert "hunter2" not in r.text and "Traceback" not in r.text and "/srv" not in r.text


def test_every_answer_carries_the_security_headers() -> None:
    app = SecurityHeaders(tiny_app(), Settings.from_env({}))
    with TestClient(app, raise_server_exceptions=False) as client:
        for r in (client.get("/items/1"), client.get("/nowhere"), client.get("/broken")):
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"
            assert "default-src" in r.headers["content-security-policy"]
