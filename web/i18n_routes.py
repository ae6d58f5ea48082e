"""GET /i18n/{lang}.json: the UI catalogue for the ES modules (frontend/static/js/i18n.js).

Pages link it with ?v=<hash of its content>: that URL never changes meaning, so it is cached for a year;
without v (or with an old one) it is revalidated by ETag."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.i18n import LANGS, plural_expr, table


@cache
def body(lang: str) -> tuple[bytes, str]:
    data = json.dumps(
        {"lang": lang, "plural": plural_expr(lang), "messages": table(lang)},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")
    return data, hashlib.sha256(data).hexdigest()[:16]


def url(lang: str) -> str:
    return f"/i18n/{lang}.json?v={body(lang)[1]}"


async def catalogue_json(request: Request) -> Response:
    lang = request.path_params["lang"]
    if lang not in LANGS:
        return Response(status_code=404)
    data, version = body(lang)
    etag = f'"{version}"'
    immutable = request.query_params.get("v") == version
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache",
        "Vary": "Accept-Encoding",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/json; charset=utf-8", headers=headers)


routes = [Route("/i18n/{lang}.json", catalogue_json, methods=["GET"])]
