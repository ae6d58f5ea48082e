"""bench/fanout: how fast does one meeting event reach N logged-in tablets? Printed figures, not a test.

For each N (default 50, 200, 500, 1000) and each server variant: start the real server in a subprocess on
127.0.0.1 with demo data in a temporary ECABINET_DATA_DIR, connect N socket.io clients from separate
process(es) spread over the 27 demo member sessions (one login per user, cookie reused), join meeting 1,
then the chair alternates POST /api/meetings/1/next and /previous at --rate events/s for --seconds. Each
event is one 'event' envelope {meeting_id, seq, type, data, at}; a client's latency is receive wall time
minus the wall time the chair's HTTP request was sent (same machine clock): the tap as a user feels it,
request handling and the write transaction included. `node` is the reference: bench/node_ref/server.js, a
plain Node Socket.IO server that emits an event with the same data on POST /emit, to the same clients.

    .venv/bin/python bench/fanout.py                      # N = 50,200,500,1000; variants product,product-pg,node
    .venv/bin/python bench/fanout.py --n 500 --variants stock,fast,product
    .venv/bin/python bench/fanout.py --quick              # N = 50,200; 5 s
    .venv/bin/python bench/fanout.py --n 500 --client raw --client-procs 2

Variants (server side): stock = python-socketio AsyncManager.emit (the original realtime/broadcast.py)
with the original uvicorn options; fast = realtime/broadcast.py's pre-encoded direct-queue fan-out; product
= `python -m app.cli demo` exactly as shipped (SQLite); product-pg = the same on PostgreSQL (127.0.0.1:5432, a
fresh database seeded by the demo, dropped at the end); fast-asyncio / fast-wsproto / fast-websockets /
fast-deflate / stock-asyncio = one option changed (see VARIANTS).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiohttp
import psutil

from _clients import child_main
from _common import cpu_seconds, machine, parse_at, pct, rss
from _fanout_result import HEADER, Result, print_ratios, print_taps, row
from _target import MEETING_ID, VARIANTS, Server, chair_post, login, postgres_database, seed

CHAIR = "thutuong"
MEMBERS = [f"thanhvien{i:02d}" for i in range(1, 27)]


# What the Node reference emits when no product run of this invocation gave a real event to copy.
FALLBACK_SAMPLE = {
    "meeting": {"id": 1, "title": "x" * 200},
    "agenda": [{"id": i, "title": "y" * 120} for i in range(30)],
}


def on_drive(args: argparse.Namespace, server: Server) -> subprocess.Popen[bytes] | None:
    """--on-drive: e.g. a profiler attached to the server for the taps alone (not the joins before them)."""
    if not args.on_drive:
        return None
    return subprocess.Popen(shlex.split(args.on_drive.format(pid=server.proc.pid)))


async def run_one(
    args: argparse.Namespace, variant: str, n: int, data_dir: Path, log_dir: Path, database_url: str = ""
) -> Result:
    res = Result(variant, n)
    server = Server(variant, data_dir, log_dir, database_url)
    ctx = mp.get_context("spawn")
    children: list[tuple[Any, Any]] = []
    http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    try:
        await server.wait_ready(http)
        node = variant == "node"
        sample = args.sample if args.sample is not None else FALLBACK_SAMPLE
        if node:  # the reference has no accounts: one dummy cookie, the chair's step is POST /emit
            chair, cookies = ("", ""), ["-"]
        else:
            # Sessions live in the database, but log in afresh per server: cheap (27 logins) and always valid.
            chair = await login(http, server.url, CHAIR)
            members = [await login(http, server.url, u) for u in MEMBERS]
            status = await chair_post(http, server.url, chair, "start", {"force": True})  # members are not checked in
            if status not in (200, 409):
                raise RuntimeError(f"start meeting answered {status}")
            cookies = [m[0] for m in members]

        async def tap(path: str) -> int:
            if node:
                async with http.post(
                    server.url + "/emit", json={"type": "agenda.current_changed", "data": sample}
                ) as r:
                    await r.read()
                    return r.status
            return await chair_post(http, server.url, chair, path)

        # One websocket opened and closed first, so "before" is a server that has served a websocket (what it
        # does once, e.g. the product's return of freed heap after connections, infra/gctune.py, is not counted
        # as memory the N sockets freed).
        ws_url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(ws_url, headers={"Cookie": f"ecabinet_session={cookies[0]}"}) as ws:
            await asyncio.wait_for(ws.receive(), 10)
        await asyncio.sleep(1.5)
        res.rss_before = rss(server.ps)

        procs = max(1, min(args.client_procs, n))
        shares = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
        for i, count in enumerate(shares):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=child_main, args=(child, args.client_uvloop), daemon=True)
            p.start()
            # Rotate the cookie list per process so every user appears in every process.
            spec = {
                "url": server.url,
                "cookies": cookies[i:] + cookies[:i],
                "count": count,
                "meeting_id": MEETING_ID,
                "kind": args.client,
                "compress": 15 if args.client_deflate else 0,
            }
            parent.send(("connect", spec))
            children.append((p, parent))
        loop = asyncio.get_running_loop()
        for _p, parent in children:
            ok = await loop.run_in_executor(None, parent.poll, 120 + n * 0.2)
            if not ok:
                raise RuntimeError("clients did not connect in time")
            tag, info = parent.recv()
            res.connected += info["connected"]
            res.connect_s = max(res.connect_s, info["connect_s"])
            res.errors += info["errors"]
        await asyncio.sleep(1.0)  # let the join burst (presence events, acks) drain
        res.rss_after = rss(server.ps)
        client_ps = [psutil.Process(p.pid) for p, _ in children]

        # Warm-up: two steps so the alternation next/previous never hits an end of the agenda.
        warm = [await tap("next") for _ in range(2)]
        warm_ok = sum(1 for s in warm if s == 200)
        await asyncio.sleep(0.5)

        steps = int(args.rate * args.seconds)
        interval = 1.0 / args.rate
        timing: list[tuple[int, float, float]] = []  # (status, sent wall, returned wall)
        s_cpu0, c_cpu0, w0 = cpu_seconds([server.ps]), cpu_seconds(client_ps), time.monotonic()
        start = time.monotonic()
        pending: set[asyncio.Task[None]] = set()
        watcher = on_drive(args, server)

        async def step(i: int) -> None:
            path = "previous" if i % 2 == 0 else "next"
            sent = time.time()
            status = await tap(path)
            timing.append((status, sent, time.time()))

        for i in range(steps):  # open-loop schedule: a slow answer does not slow the rate down
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            # Sequential steps keep seq order == step order; a step still running when the next is due
            # simply delays it (counted as 'late' in the driver numbers).
            if pending:
                await asyncio.wait(pending, timeout=args.seconds)
            t = asyncio.create_task(step(i))
            pending = {t}
        if pending:
            await asyncio.wait(pending, timeout=30)
        drive_s = time.monotonic() - start
        if watcher is not None:
            await asyncio.get_running_loop().run_in_executor(None, watcher.wait)
        await asyncio.sleep(args.grace)
        w1 = time.monotonic()
        s_cpu1, c_cpu1 = cpu_seconds([server.ps]), cpu_seconds(client_ps)
        res.server_cpu = 100 * (s_cpu1 - s_cpu0) / (w1 - w0)
        res.server_cpu_s = s_cpu1 - s_cpu0
        res.load = os.getloadavg()
        res.client_cpu = 100 * (c_cpu1 - c_cpu0) / (w1 - w0)

        rows_all: list[list[tuple[int, float, str]]] = []
        join_seqs: list[int] = []
        for _p, parent in children:
            parent.send(("collect", None))
            ok = await loop.run_in_executor(None, parent.poll, 120)
            if not ok:
                raise RuntimeError("clients did not report in time")
            tag, data = parent.recv()
            rows_all += data["rows"]
            join_seqs += data["join_seq"]
            res.closed += data.get("closed", [])
            if data.get("sample") is not None and not node:
                res.sample = data["sample"]

        ok_steps = [(sent, ret) for status, sent, ret in sorted(timing, key=lambda t: t[1]) if status == 200]
        res.sent = len(ok_steps)
        res.failed_steps = len(timing) - len(ok_steps)
        base = max(join_seqs) + warm_ok if join_seqs else 0
        seq_ret = {base + 1 + i: ret for i, (_sent, ret) in enumerate(ok_steps)}
        seq_sent = {base + 1 + i: sent for i, (sent, _ret) in enumerate(ok_steps)}
        wanted = set(seq_ret)
        at_cache: dict[str, float] = {}
        first_rx, last_rx = float("inf"), 0.0
        for rows in rows_all:
            seen: set[int] = set()
            prev = -1
            for seq, rx, at in rows:
                if seq not in wanted or seq in seen:
                    continue
                seen.add(seq)
                if seq < prev:
                    res.out_of_order += 1
                prev = seq
                t_at = at_cache.get(at)
                if t_at is None:
                    t_at = at_cache[at] = parse_at(at)
                res.lat.append((rx - t_at) * 1000)
                res.lat_ret.append((rx - seq_ret[seq]) * 1000)
                res.lat_sent.append((rx - seq_sent[seq]) * 1000)
                if args.per_tap:
                    res.per_tap.setdefault(seq_sent[seq], []).append(res.lat_sent[-1])
                first_rx, last_rx = min(first_rx, rx), max(last_rx, rx)
            res.received += len(seen)
            missing = wanted - seen
            if missing:
                res.lost_clients += 1
                res.lost_seqs.update(missing)
        res.expected = len(wanted) * len(rows_all)
        if res.received:
            res.deliveries_per_s = res.received / max(drive_s, 1e-9)
        seq_at: dict[int, float] = {}
        for rows in rows_all:
            for seq, _rx, at in rows:
                if seq in wanted and seq not in seq_at:
                    seq_at[seq] = parse_at(at)
        res.commit = [(seq_ret[s] - seq_at[s]) * 1000 for s in seq_at]
        for _p, parent in children:
            parent.send(("stop", None))
        for p, _ in children:
            p.join(40)
    finally:
        for p, _ in children:
            if p.is_alive():
                p.kill()
                p.join(5)
        await http.close()
        server.stop()
    return res


async def main_async(args: argparse.Namespace) -> None:
    ns = [int(x) for x in str(args.n).split(",")]
    variants = [v.strip() for v in args.variants.split(",")]
    for v in variants:
        if v not in VARIANTS:
            raise SystemExit(f"unknown variant {v!r}; choose from {', '.join(VARIANTS)}")
    tmp = Path(tempfile.mkdtemp(prefix="ecabinet-fanout-"))
    stack = contextlib.ExitStack()
    try:
        seed(tmp / "data")
        pg_url = ""
        if "product-pg" in variants:
            pg_url = stack.enter_context(postgres_database())
            if pg_url:
                seed(tmp / "data-pg", pg_url)
            else:
                variants.remove("product-pg")
        print(f"machine: {machine()}")
        print(
            f"load: {args.rate:g} events/s for {args.seconds:g} s per run, event 'agenda.current_changed'; "
            f"clients: {args.client} in {args.client_procs} process(es)"
            f"{', permessage-deflate offered' if args.client_deflate else ''}"
        )
        print(
            "latency ms (p50..max) = from the moment the chair's HTTP request is SENT to the moment each tablet's "
            "websocket receives the event (what a user feels); 'at p99' = from the envelope's 'at' (stamped before "
            "COMMIT); 'ret p99' = from the driver's HTTP answer to client receive"
        )
        print(
            "node = bench/node_ref/server.js (Node Socket.IO, no database), the same clients, emitting on POST /emit "
            "an event of the same data as ours"
        )
        print(
            "lost = not received within --grace s after the last event; srv CPU / cli CPU = % of one core over the "
            "run; KB/conn = server RSS delta after connecting / N; us/dlv = server CPU us per delivery; load1 = "
            "1-min load average at the end of the run (other work on the machine)"
        )
        print(HEADER, flush=True)
        results = []
        for n in ns:
            for _attempt in range(args.repeat):  # interleaved, so background load hits every variant alike
                for v in variants:
                    if v == "product-pg":
                        r = await run_one(args, v, n, tmp / "data-pg", tmp, pg_url)
                    else:
                        r = await run_one(args, v, n, tmp / "data", tmp)
                    results.append(r)
                    if r.sample is not None:
                        args.sample = r.sample
                    print(row(r), flush=True)
                    if args.per_tap:
                        print_taps(r)
                    if r.errors:
                        print(f"    connect errors: {r.errors[:3]}", flush=True)
                    if r.lost_clients:
                        print(
                            f"    lost: {r.lost_clients} clients missed events; missing seqs "
                            f"{sorted(r.lost_seqs)[:5]}..."
                            f"{sorted(r.lost_seqs)[-3:]} of {len(r.lost_seqs)}",
                            flush=True,
                        )
                    if r.closed:
                        print(
                            f"    closed by the server during the run: {len(r.closed)} sockets "
                            f"{Counter(r.closed).most_common(3)}",
                            flush=True,
                        )
                    if r.out_of_order or r.failed_steps:
                        print(f"    out-of-order: {r.out_of_order}, failed steps: {r.failed_steps}", flush=True)
        print_ratios(results, len(variants))
        if args.commit:
            print("driver: 'at' -> HTTP answer (commit + broadcast hand-off) p50/p99 ms per run:")
            for r in results:
                print(f"  {r.variant:<16}{r.n:>5}  {pct(r.commit, 50):7.1f} {pct(r.commit, 99):7.1f}")
    finally:
        stack.close()  # the PostgreSQL database is dropped (its server processes are stopped by then)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", default="50,200,500,1000", help="client counts, comma separated (default 50,200,500,1000)")
    p.add_argument(
        "--variants", default="product,product-pg,node", help=f"server variants, comma separated: {', '.join(VARIANTS)}"
    )
    p.add_argument("--rate", type=float, default=10.0, help="events per second (default 10)")
    p.add_argument("--seconds", type=float, default=10.0, help="duration of the event load (default 10)")
    p.add_argument("--grace", type=float, default=3.0, help="seconds to wait for the last deliveries")
    p.add_argument(
        "--client",
        choices=["sio", "raw", "light"],
        default="sio",
        help="sio = socketio.AsyncClient (default); raw = over aiohttp; light = hand-framed (bench/_clients.py)",
    )
    p.add_argument("--client-procs", type=int, default=1, help="client processes (default 1)")
    p.add_argument("--client-uvloop", action="store_true", help="run the client processes on uvloop")
    p.add_argument("--client-deflate", action="store_true", help="raw clients offer permessage-deflate like browsers")
    p.add_argument("--repeat", type=int, default=1, help="runs per (N, variant)")
    p.add_argument("--commit", action="store_true", help="also print 'at' -> driver answer per run")
    p.add_argument("--quick", action="store_true", help="N = 50,200 and 5 s")
    p.add_argument(
        "--on-drive",
        default="",
        help="a command started as the taps begin, {pid} = the server's, e.g. a profiler: "
        "'py-spy record -p {pid} -d 10 -f raw -o prof.txt' (the run waits for it to end)",
    )
    p.add_argument("--per-tap", action="store_true", help="also print each run's taps: medians, slowest, when")
    p.add_argument("--keep", action="store_true", help="keep the temporary data dir and server logs")
    args = p.parse_args()
    args.sample = None
    if args.quick:
        args.n, args.seconds = "50,200", 5.0
    if args.client_deflate and args.client != "raw":
        p.error("--client-deflate needs --client raw")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
