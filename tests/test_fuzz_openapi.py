"""Schemathesis against the real server: every operation of /api/openapi.json, as a secretariat member and
as a plain member, with valid and invalid data. No answer may be a 5xx, and every answer must match the
document (status code, content type, body schema). A new route is fuzzed as soon as it is documented
(and tests/test_http_api.py fails when a route is not).

Bounded: a fixed seed and a per-operation example count keep the run around a minute on two cores; set
ECABINET_FUZZ_EXAMPLES / ECABINET_FUZZ_SEED to fuzz harder or differently. Runs offline against 127.0.0.1
and writes only inside the test's tmp directory (no report, no example database).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx

from speakers import services as speakers
from speakers.schemas import SpeakRequest
from tests.annotation_helpers import note
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, call
from tests.live import login
from tests.vote_helpers import new_vote, present_cabinet

EXAMPLES = os.environ.get("ECABINET_FUZZ_EXAMPLES", "12")
SEED = os.environ.get("ECABINET_FUZZ_SEED", "20261210")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


async def _schemathesis(url: str, cookie: str, csrf: str, workdir: Path, examples: str, budget: int) -> tuple[int, str]:
    """Run the schemathesis CLI in its own process (the server answers in this event loop meanwhile)."""
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/api/openapi.json",
        "--checks",
        CHECKS,
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        examples,
        "--seed",
        SEED,
        "--max-time",
        str(budget),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--exclude-path",
        "/api/auth/logout",  # would end the session the run is using
        "-H",
        f"Cookie: ecabinet_session={cookie}",
        "-H",
        f"X-CSRF-Token: {csrf}",
        "--no-color",
        "--output-truncate",
        "true",
    ]
    # One worker: CPython 3.11.7's ast.parse is not thread-safe (gh-106905, "AST constructor recursion depth
    # mismatch"), and hypothesis parses lambda sources while two schemathesis worker threads generate cases.
    env = {
        **os.environ,
        "HOME": str(workdir),
        "XDG_CACHE_HOME": str(workdir),
        "HYPOTHESIS_STORAGE_DIRECTORY": str(workdir / "hyp"),
    }
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=workdir, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), budget + 60)
    return proc.returncode or 0, out.decode("utf-8", "replace")


async def _seed(live: LiveServer, c: Cabinet, staff: httpx.AsyncClient, member: httpx.AsyncClient) -> None:
    """One object of each kind, so that small ids (the coverage phase tries 1) reach real objects, not only 404s."""
    r = await upload(staff, c.meeting_id, make_pdf(2))
    assert r.status_code == 201, r.text
    r = await member.post(f"/api/documents/{r.json()['id']}/annotations", json=note())
    assert r.status_code == 201, r.text
    new_vote(live.db, c, state="open")
    call(live.db, speakers.request_floor, actor=c.members[0], meeting_id=c.meeting_id, data=SpeakRequest())


async def test_openapi_operations_never_answer_5xx_and_match_the_document(
    live_server: LiveServer, tmp_path: Path
) -> None:
    c = present_cabinet(live_server.db, n_members=2)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        await _seed(live_server, c, staff, member)
        plans = [
            ("secretariat", staff, EXAMPLES, 70, 150),
            ("member", member, "5", 45, 30),
        ]  # who, examples, seconds, at least
        runs = [
            _schemathesis(
                live_server.url,
                client.cookies["ecabinet_session"],
                client.headers["X-CSRF-Token"],
                tmp_path / who,
                examples,
                budget,
            )
            for who, client, examples, budget, _ in plans
        ]
        for (code, output), (who, *_, least) in zip(await asyncio.gather(*runs), plans):
            assert code == 0, f"schemathesis as {who} found failures:\n{output[-12000:]}"
            generated = re.search(r"(\d+) generated", output)
            assert generated and int(generated.group(1)) >= least, (
                f"schemathesis as {who} hardly ran:\n{output[-3000:]}"
            )
    finally:
        await staff.aclose()
        await member.aclose()
    leftovers = {p.name for p in Path.cwd().iterdir()} & {".hypothesis", "schemathesis-report"}
    assert not leftovers, f"the fuzz run wrote outside its tmp directory: {leftovers}"
