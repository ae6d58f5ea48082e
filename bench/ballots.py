"""Secret ballots benchmark: encrypting + proving one ballot in Chromium (the tablet's browser), verifying one
on the server, the meeting's key ceremony (three trustees' contributions, made by the Python implementation of
the tablet's protocol, verified by the server), tallying + decrypting 27 and 500 ballots (close -> two trustees
fetch their sealed shares, check and combine them and send their partial decryptions -> result, over HTTP),
and a burst of N encrypted ballots sent at once (every one verified: 0 lost, exactly N counted, the published
board verified).

    .venv/bin/python bench/ballots.py [--voters 500] [--backends sqlite,postgres]

Reference measured in the same run: one libsodium scalar multiplication (ristretto255) in each place.
Goals (issue 14): <= 300 ms per ballot on the tablet, <= 5 ms per ballot on the server, <= 2 s from close to
result for 500 ballots. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import update

from _common import free_port, pct
from accounts import passwords
from app.db import Database
from app.migrate import upgrade
from meetings.models import Attendance, MeetingRole, Participant
from tests.factories import PASSWORD, make_cabinet, make_user
from votes import services as votes
from tests.vote_helpers import device_partial, with_seal_over_http
from votes.ballot import ceremony, dkg, election, enrolment, group, proofs, verify
from votes.models import VoteKind
from votes.schemas import VoteCreate

SERVER = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from app.factory import create_app
from infra.settings import Settings
uvicorn.run(create_app(Settings.from_env()), host="127.0.0.1", port={port}, log_level="warning", lifespan="on",
            timeout_keep_alive=300)  # 500 clients log in, then wait for the burst on their kept-alive connection
"""
CHROMIUM = "/usr/bin/chromium"


def _ms(values: list[float]) -> str:
    return f"p50={pct(values, 50) * 1000:.2f}ms p99={pct(values, 99) * 1000:.2f}ms"


def prepare(url: str, voters: int) -> dict[str, Any]:
    upgrade(url)
    db = Database(url)
    try:
        c = make_cabinet(db, n_members=1, n_items=1, start=True)
        extra = [make_user(db) for _ in range(voters - 2)]

        def roster(session):
            for actor in extra:
                session.add(Participant(meeting_id=c.meeting_id, user_id=actor.id, role=MeetingRole.member))
            session.flush()
            session.execute(
                update(Participant)
                .where(Participant.meeting_id == c.meeting_id)
                .values(attendance=Attendance.present_room)
            )

        db.run_write(roster)
        for actor in (c.chair, c.secretary, c.members[0]):
            made = enrolment.make_key(db.run_read(enrolment.enrol_precheck, user_id=actor.id), actor.id, PASSWORD)
            db.run_write(enrolment.enrol_trustee, actor=actor, made=made)
        t0 = time.perf_counter()
        cer = db.run_write(ceremony.start_ceremony, actor=c.chair, meeting_id=c.meeting_id).result
        for index, actor in enumerate((c.chair, c.secretary, c.members[0]), start=1):
            body = dkg.contribute(cer["digest"], index, cer["threshold"], cer["trustees"])
            db.run_write(
                ceremony.contribute, actor=actor, meeting_id=c.meeting_id, ceremony_id=cer["id"], contribution=body
            )
        ceremony_s = time.perf_counter() - t0
        data = VoteCreate(agenda_item_id=c.item_ids[0], question="Tín nhiệm?", kind=VoteKind.secret)
        vote = db.run_write(votes.create_vote, actor=c.secretary, meeting_id=c.meeting_id, data=data).result
        vote = db.run_write(votes.open_vote, actor=c.chair, vote_id=vote["id"]).result
        params = db.run_read(election.parameters, actor=c.chair, vote_id=vote["id"])
        return {
            "voters": [a.username for a in (c.chair, *c.members, *extra)],
            "vote_id": vote["id"],
            "params": params,
            "trustees": [c.secretary.username, c.chair.username],
            "ceremony_s": ceremony_s,
        }
    finally:
        db.dispose()


async def login(base: str, username: str, gate: asyncio.Semaphore) -> httpx.AsyncClient:
    async with gate:
        client = httpx.AsyncClient(base_url=base, timeout=300)
        r = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return client


async def burst_and_tally(base: str, setup: dict[str, Any]) -> dict[str, Any]:
    gate = asyncio.Semaphore(50)
    clients = await asyncio.gather(*(login(base, u, gate) for u in setup["voters"]))
    trustees = await asyncio.gather(*(login(base, u, gate) for u in setup["trustees"]))
    p = setup["params"]
    n_opt = len(p["params"]["options"])
    ballots = [
        {"ballot": proofs.encrypt_ballot(p["params"], p["params_digest"], i % n_opt, secrets.token_bytes(32))}
        for i in range(len(clients))
    ]
    vid = setup["vote_id"]
    lat: list[float] = []
    errors: dict[str, int] = {}

    async def send(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        r = await client.post(f"/api/votes/{vid}/secret-ballots", json=body)
        if r.status_code == 200:
            lat.append(time.perf_counter() - t0)
        else:
            code = r.json()["error"]["code"]
            errors[code] = errors.get(code, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(send(c, b) for c, b in zip(clients, ballots)))
    burst = time.perf_counter() - t0
    chair = trustees[1]
    t1 = time.perf_counter()
    (await chair.post(f"/api/votes/{vid}/close")).raise_for_status()
    for t in trustees:  # each trustee's device: sealed shares in, Feldman checks, partial with proof out
        material = await t.get(f"/api/votes/{vid}/trustee-material")
        material.raise_for_status()
        partial, _ = device_partial(await with_seal_over_http(t, material.json(), PASSWORD), PASSWORD)
        r = await t.post(f"/api/votes/{vid}/partial", json={"shares": partial})
        r.raise_for_status()
    close_to_result = time.perf_counter() - t1
    result = r.json()["result"]
    board = (await chair.get(f"/api/votes/{vid}/board")).json()
    t2 = time.perf_counter()
    counts = verify.verify_board(board)
    verify_s = time.perf_counter() - t2
    for c in (*clients, *trustees):
        await c.aclose()
    return {
        "acked": len(lat),
        "errors": errors,
        "burst_s": burst,
        "lat": lat,
        "close_to_result_s": close_to_result,
        "counted": sum(result["counts"].values()),
        "board_ballots": len(board["ballots"]),
        "verified": counts is not None,
        "verify_board_s": verify_s,
    }


def server_run(backend: str, url: str, voters: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="ecabinet-bench-ballots-"))
    t0 = time.perf_counter()
    setup = prepare(url, voters)
    setup_s = time.perf_counter() - t0
    port = free_port()
    env = {
        **os.environ,
        "ECABINET_DATA_DIR": str(data_dir),
        "ECABINET_DATABASE_URL": url,
        "ECABINET_LOGIN_RATE": "100000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER.format(root=str(Path(__file__).resolve().parent.parent), port=port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        r = asyncio.run(burst_and_tally(base, setup))
    finally:
        proc.terminate()
        proc.wait(10)
    print(
        f"{backend:<9} N={voters:<4} burst: acked={r['acked']} lost={voters - r['acked']} errors={r['errors'] or 0} "
        f"all in {r['burst_s']:.2f}s, ack {_ms(r['lat'])} | close->result (2 trustees, HTTP) "
        f"{r['close_to_result_s']:.2f}s | "
        f"counted={r['counted']} on board={r['board_ballots']} board verified={r['verified']} in "
        f"{r['verify_board_s']:.2f}s "
        f"(setup {setup_s:.1f}s, key ceremony of 3 trustees {setup['ceremony_s'] * 1000:.0f}ms)",
        flush=True,
    )


def _wait(base: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def in_process(n_ballots: int) -> None:
    """Server-side crypto alone: verify per ballot, and tally + partial decryptions + combine."""
    dealt = proofs.deal(2, 3)
    params = {
        "spec": proofs.SPEC,
        "vote_id": 1,
        "options": [{"id": 1}, {"id": 2}, {"id": 3}],
        "public_key": dealt.public_key.hex(),
    }
    digest = proofs.digest(params)
    ballots = [proofs.encrypt_ballot(params, digest, i % 3, secrets.token_bytes(32)) for i in range(n_ballots)]
    times = []
    for b in ballots:
        t0 = time.perf_counter()
        proofs.verify_ballot(params, digest, b)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    total = proofs.total(3, ballots)
    parts = {i: proofs.partial_decrypt(digest, i, dealt.shares[i - 1], total) for i in (1, 2)}
    for i, part in parts.items():
        proofs.verify_partial(digest, i, proofs.verification_key(dealt.commitments, i), total, part)
    counts = proofs.combine(total, parts, n_ballots)
    tally_s = time.perf_counter() - t0
    ref = []
    for _ in range(200):
        t1 = time.perf_counter()
        group.mul(123456789, group.BASE)
        ref.append(time.perf_counter() - t1)
    print(
        f"server    N={n_ballots:<4} verify one ballot {_ms(times)} | tally+2 partial decryptions+combine "
        f"{tally_s * 1000:.0f}ms "
        f"(counts {counts}) | reference: one scalar mult {_ms(ref)}",
        flush=True,
    )


def chromium(samples: int = 30) -> None:
    """Encrypt + prove in Debian's Chromium, the module as the tablet loads it (the app's CSP included)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    data_dir = Path(tempfile.mkdtemp(prefix="ecabinet-bench-ballots-"))
    url = f"sqlite:///{data_dir / 'ecabinet.db'}"
    setup = prepare(url, 3)
    port = free_port()
    env = {**os.environ, "ECABINET_DATA_DIR": str(data_dir), "ECABINET_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER.format(root=str(Path(__file__).resolve().parent.parent), port=port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(base + "/login")
            out = page.evaluate(
                """async ([params, digest, n]) => {
                    const t0 = performance.now();
                    const m = await import('/static/js/ballot-crypto.js');
                    const sodium = await m.load();
                    const load = performance.now() - t0;
                    const times = [], ballots = [];
                    for (let i = 0; i < n; i++) {
                        const t = performance.now();
                        ballots.push(m.encryptBallot(params, digest, i % params.options.length));
                        times.push(performance.now() - t);
                    }
                    const ref = [];
                    const s = sodium.crypto_core_ristretto255_scalar_random();
                    const g = sodium.crypto_scalarmult_ristretto255_base(s);
                    for (let i = 0; i < 200; i++) {
                        const t = performance.now();
                        sodium.crypto_scalarmult_ristretto255(s, g);
                        ref.push(performance.now() - t);
                    }
                    return {load, times, ref, ballots};
                }""",
                [setup["params"]["params"], setup["params"]["params_digest"], samples],
            )
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    for b in out["ballots"]:
        proofs.verify_ballot(setup["params"]["params"], setup["params"]["params_digest"], b)
    t = [x / 1000 for x in out["times"]]
    r = [x / 1000 for x in out["ref"]]
    print(
        f"chromium  encrypt+prove one ballot (3 options) {_ms(t)} (first {t[0] * 1000:.1f}ms; libsodium load "
        f"{out['load']:.0f}ms once) | all {samples} verified on the server | reference: one scalar mult {_ms(r)}",
        flush=True,
    )


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--voters", type=int, default=500)
    a.add_argument("--backends", default="sqlite,postgres")
    a.add_argument("--sizes", default="27,500", help="ballot counts for the server runs (the last is --voters)")
    a.add_argument("--no-browser", action="store_true")
    args = a.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")[:-1]] + [args.voters]
    passwords.configure(time_cost=1, memory_cost=1024)  # setup speed only; login verifies what is stored
    if not args.no_browser:
        chromium()
        for n in sizes:
            in_process(n)
    for backend in args.backends.split(","):
        for n in sizes:
            if backend == "sqlite":
                d = Path(tempfile.mkdtemp(prefix="ecabinet-bench-ballots-"))
                server_run(backend, f"sqlite:///{d / 'ecabinet.db'}", n)
                continue
            from tests.pg import fresh_database

            try:
                with fresh_database() as url:
                    server_run(backend, url, n)
            except BaseException as exc:  # pytest.skip raises a BaseException subclass
                if type(exc).__name__ != "Skipped":
                    raise
                print(f"{backend:<9} skipped: {exc}", flush=True)


if __name__ == "__main__":
    main()
