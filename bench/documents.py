"""bench/documents: a 100-page PDF from upload to every page ready, cached page latency, render throughput.
Printed figures, not a test.

    .venv/bin/python bench/documents.py [--pages 100] [--fetches 300] [--backends sqlite,postgres]

1. The real app under uvicorn (in this process; renders run in its worker-process pool), a fresh migrated
   SQLite in a temporary data dir, then a fresh PostgreSQL database (127.0.0.1:5432, dropped afterwards), a
   cabinet from tests/factories. The secretariat uploads a generated
   N-page PDF (Vietnamese text, DejaVu Sans); we time the 201 answer and the moment GET /api/documents/{id}
   says pages_ready (tablet + thumbnail of every page rendered in the background).
2. A member fetches random tablet pages (cached renders; each answer is watermarked for them): p50/p99,
   then the same with If-None-Match (304 while the watermark's minute is unchanged).
3. Page turn: 25 tablets (25 viewers, sockets joined) fetch the page the presenter turned to, at once, for an
   ordinary and a restricted document, cold (the followers' marks drawn as they joined, as in a meeting; then
   again with the marks' cache emptied, as if they had all joined that moment) and pre-warmed; beside /healthz
   during the same burst, the CPU time the server spent on the burst, and the machine's load (other work on
   the same cores stretches the wall-clock figures; the CPU time is the steadier one). The tablets run in a
   process of their own, and the /healthz probe in another: what is timed is what a user outside the server
   sees.
4. Render throughput on the same file, one process, tablet width (1280 px), PNG files: pypdfium2 versus
   poppler's `pdftoppm -scale-to-x 1280 -scale-to-y -1 -png`, as pages per second and a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))  # after the root: bench/votes.py must not shadow votes/

from _common import machine, pct
from _page_clients import probe, tablets


async def served(pages: int, fetches: int, pdf: bytes, data_dir: Path, database_url: str = "") -> None:
    import uvicorn

    from app.db import Database
    from app.factory import create_app
    from app.migrate import upgrade
    from infra.settings import Settings
    from tests.conftest import free_port
    from tests.doc_helpers import upload
    from tests.factories import make_cabinet
    from tests.live import login

    # as `ecabinet serve` runs; SQLite in data_dir unless a database URL is given
    settings = Settings(data_dir=data_dir, port=free_port(), gc_freeze=True, database_url=database_url)
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    db = Database(settings.effective_database_url)
    c = make_cabinet(db, n_members=TABLETS, start=True)
    app = create_app(settings)
    # keep-alive past the pauses between bursts: else a loaded machine races the server's close with a request
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning", timeout_keep_alive=120)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{settings.port}"
    staff = await login(url, c.staff.username)
    member = await login(url, c.members[0].username)
    try:
        # warm the render pool (worker processes start on first use), as a running server would be
        warm = await upload(staff, c.meeting_id, pdf[:0] + _tiny(), title="Khởi động")
        assert warm.status_code == 201, warm.text
        t0 = time.perf_counter()
        r = await upload(staff, c.meeting_id, pdf, title="Tờ trình 100 trang")
        t_upload = time.perf_counter() - t0
        assert r.status_code == 201, r.text
        doc = r.json()["id"]
        first = await member.get(f"/api/documents/{doc}/pages/1")
        t_first = time.perf_counter() - t0
        assert first.status_code == 200
        while not (await staff.get(f"/api/documents/{doc}")).json()["pages_ready"]:
            await asyncio.sleep(0.05)
        t_ready = time.perf_counter() - t0
        print(
            f"upload of a {pages}-page PDF ({len(pdf) / 1e6:.2f} MB): 201 after {t_upload:.2f} s "
            f"(checks + text of every page), page 1 visible after {t_first:.2f} s, "
            f"all pages ready after {t_ready:.2f} s"
        )

        lat: list[float] = []
        sizes: list[int] = []
        for _ in range(fetches):
            n = random.randint(1, pages)
            s = time.perf_counter()
            p = await member.get(f"/api/documents/{doc}/pages/{n}")
            lat.append((time.perf_counter() - s) * 1000)
            sizes.append(len(p.content))
        print(
            "cached tablet page, watermarked per viewer "
            f"({fetches} fetches, avg {statistics.mean(sizes) / 1024:.0f} KiB): "
            f"p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms"
        )
        etag = (await member.get(f"/api/documents/{doc}/pages/5")).headers["etag"]
        lat304 = []
        for _ in range(fetches):
            s = time.perf_counter()
            await member.get(f"/api/documents/{doc}/pages/5", headers={"If-None-Match": etag})
            lat304.append((time.perf_counter() - s) * 1000)
        print(f"revalidation (If-None-Match → 304): p50 {pct(lat304, 50):.1f} ms, p99 {pct(lat304, 99):.1f} ms")
        secret = await upload(
            staff,
            c.meeting_id,
            pdf,
            title="Tài liệu hạn chế",
            restricted=True,
            allowed_user_ids=[c.chair.id, *(m.id for m in c.members)],
        )
        assert secret.status_code == 201, secret.text
        while not (await staff.get(f"/api/documents/{secret.json()['id']}")).json()["pages_ready"]:
            await asyncio.sleep(0.05)
        await page_turns(app, url, c, {"ordinary": doc, "restricted": secret.json()["id"]}, pages)
    finally:
        await staff.aclose()
        await member.aclose()
        server.should_exit = True
        await task
        db.dispose()


TABLETS = 25


async def page_turns(app: Any, url: str, c: Any, docs: dict[str, int], pages: int) -> None:
    """The presenter turns the page; 25 tablets (25 different viewers, sockets joined) fetch it at once.
    'cold' = a page nobody fetched before; 'pre-warmed' = the next page after the presenter's turn (documents/
    prewarm.py had the time the presenter dwells on a page). Beside it: GET /healthz during the same burst.

    The tablets run in a process of their own and the /healthz probe in another (bench/_page_clients.py), as
    users are outside the server: this process is the server only, so its CPU time over a burst is the server's,
    and /healthz shows what the server's event loop does, not the clients' HTTP parsing beside it."""
    from documents import stamped_pages, watermark

    prewarm = app.state.prewarm
    spawn = mp.get_context("spawn")
    tablets_end, tablets_child = spawn.Pipe()
    probe_end, probe_child = spawn.Pipe()
    users = [c.chair.username, *(m.username for m in c.members[:TABLETS])]
    procs = [
        spawn.Process(target=tablets, args=(tablets_child, url, users, c.meeting_id), daemon=True),
        spawn.Process(target=probe, args=(probe_child, url), daemon=True),
    ]
    for proc in procs:
        proc.start()

    async def ask(conn: Any, *command: Any) -> Any:
        conn.send(command)
        answer = await asyncio.to_thread(conn.recv)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def burst(doc: int, n: int) -> tuple[float, float, list[float], set[str], float, int]:
        """(all answered after ms, p99 ms of one answer, /healthz ms during, Cache-Control values, the server's
        CPU ms, average KiB)."""
        await ask(probe_end, "start")
        cpu0 = time.process_time()
        total, p99, cache, kib = await ask(tablets_end, "burst", doc, n)
        cpu = (time.process_time() - cpu0) * 1000
        health = await ask(probe_end, "stop")
        return total, p99, health, cache, cpu, kib

    async def settled() -> tuple[float, float]:
        """How long until the pre-warm work (documents/prewarm.py) in flight is done, and the server's CPU ms
        meanwhile (that work, mostly)."""
        t, cpu0 = time.perf_counter(), time.process_time()
        while (prewarm.tasks or prewarm.ahead or prewarm.pending or prewarm.marking) and time.perf_counter() - t < 120:
            await asyncio.sleep(0.02)
        return time.perf_counter() - t, (time.process_time() - cpu0) * 1000

    try:
        assert await ask(probe_end, "ready") == "ready"
        assert await ask(tablets_end, "ready") == "ready"
        joined, marks_cpu = await settled()  # the followers' marks, drawn as they joined (documents/prewarm.py)
        print(
            f"the {TABLETS + 1} followers' watermarks (this minute's; the next's too when it is seconds away) drawn "
            f"{joined:.2f} s after they joined: {prewarm.marks_drawn} marks, server CPU {marks_cpu:.0f} ms"
        )
        bursts: dict[str, list[tuple[str, Any]]] = {kind: [] for kind in docs}

        async def turn(kind: str, label: str, n: int) -> None:
            doc = docs[kind]
            if kind == "ordinary":  # the chair shows page n to the room (a restricted document is never shown)
                start = {"document_id": doc} if label == "cold" else {}
                await ask(
                    tablets_end, "present", "presenter:start" if start else "presenter:page", {**start, "page": n}
                )
            bursts[kind].append((label, await burst(doc, n)))  # every tablet opens page n at once
            dwell, dwell_cpu = await settled()  # the page is read; the next are stamped for each of them meanwhile
            if label == "cold":
                ahead = f"pages {n + 1} and {n - 1}" if kind == "ordinary" else f"page {n + 1}"
                print(
                    f"    {kind}: {ahead} stamped ahead for every reader {dwell:.2f} s after the cold burst, server "
                    f"CPU {dwell_cpu:.0f} ms; stamped pages kept {stamped_pages.PAGES.size / 2**20:.1f} MB, decoded "
                    f"renders {stamped_pages.PAGES.decoded_size / 2**20:.1f} MB"
                )

        for kind in docs:
            p = pages // 2 + (0 if kind == "ordinary" else 3)
            await turn(kind, "cold", p)
            await turn(kind, "pre-warmed", p + 1)
        watermark.mark.cache_clear()  # as if every tablet had joined just now: no mark drawn ahead
        for kind in docs:
            await turn(kind, "cold, no mark drawn ahead", pages // 2 + (0 if kind == "ordinary" else 3) + 6)
        for kind in docs:
            for label, (total, p99, health, cache, cpu, kib) in bursts[kind]:
                print(
                    f"page turn, {kind} document, {label}: {TABLETS} tablets all answered after {total:.0f} ms "
                    f"(one answer p99 {p99:.0f} ms, {kib} KiB); /healthz during it p50 {pct(health, 50):.1f} ms p99 "
                    f"{pct(health, 99):.1f} ms "
                    f"(n={len(health)}); server CPU {cpu:.0f} ms; load {os.getloadavg()[0]:.1f}; "
                    f"Cache-Control: {', '.join(sorted(cache))}"
                )
    finally:
        for conn in (tablets_end, probe_end):
            conn.send(("quit",))
        for proc in procs:
            await asyncio.to_thread(proc.join, 30)
            if proc.is_alive():
                proc.kill()


def _tiny() -> bytes:
    from tests.doc_helpers import make_pdf

    return make_pdf(1)


def throughput(pdf_path: Path, pages: int, out: Path) -> None:
    import pypdfium2 as pdfium

    from documents.render import SIZES

    width = SIZES["tablet"]
    t0 = time.perf_counter()
    doc = pdfium.PdfDocument(str(pdf_path))
    for i in range(pages):
        page = doc[i]
        image = page.render(scale=width / page.get_size()[0]).to_pil()
        image.save(out / f"pdfium-{i + 1}.png")
    doc.close()
    t_pdfium = time.perf_counter() - t0
    print(f"pypdfium2, 1 process, {width} px PNG: {pages / t_pdfium:.1f} pages/s ({t_pdfium:.2f} s for {pages} pages)")
    if shutil.which("pdftoppm") is None:
        print("pdftoppm: not installed (apt-get install poppler-utils) — no comparison")
        return
    t0 = time.perf_counter()
    subprocess.run(
        ["pdftoppm", "-scale-to-x", str(width), "-scale-to-y", "-1", "-png", str(pdf_path), str(out / "poppler")],
        check=True,
    )
    t_poppler = time.perf_counter() - t0
    print(
        f"pdftoppm,  1 process, {width} px PNG: {pages / t_poppler:.1f} pages/s ({t_poppler:.2f} s for {pages} pages)"
    )
    print(f"ratio pypdfium2 / pdftoppm throughput: {t_poppler / t_pdfium:.2f}x")


def conversion(out: Path, runs: int = 3) -> None:
    """DOCX -> PDF with LibreOffice as an upload does it (documents.convert), a fresh profile each time."""
    import docx

    from documents import convert

    if shutil.which("soffice") is None:
        print("LibreOffice: not installed (soffice) — no conversion figure")
        return
    d = docx.Document()
    for i in range(10):
        d.add_heading(f"Tờ trình dự toán ngân sách nhà nước năm 2027 — phần {i + 1}", level=1)
        d.add_paragraph("Tổng thu cân đối ngân sách nhà nước đạt 1.700 nghìn tỷ đồng. " * 20)
        d.add_page_break()
    times = []
    for i in range(runs):
        source = out / f"to-trinh-{i}"
        d.save(str(source))
        t0 = time.perf_counter()
        convert.to_pdf(source, "docx", soffice="soffice", filename="to-trinh.docx")
        times.append(time.perf_counter() - t0)
    print(f"LibreOffice DOCX (10 pages) -> PDF: {', '.join(f'{t:.2f}' for t in times)} s per conversion ({runs} runs)")


def one_backend(backend: str, pages: int, fetches: int, pdf: bytes, work: Path) -> None:
    from accounts import passwords

    passwords.configure(time_cost=1, memory_cost=1024)
    print(f"== {backend} ==", flush=True)
    if backend == "sqlite":
        asyncio.run(served(pages, fetches, pdf, work / "data"))
        return
    from tests.pg import fresh_database

    try:
        with fresh_database() as url:
            asyncio.run(served(pages, fetches, pdf, work / "data-pg", url))
    except BaseException as exc:  # pytest.skip's exception: no PostgreSQL on this machine
        if type(exc).__name__ != "Skipped":
            raise
        print(f"postgres skipped: {exc}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--fetches", type=int, default=300)
    ap.add_argument("--no-throughput", action="store_true", help="skip the render throughput and conversion parts")
    ap.add_argument("--backends", default="sqlite,postgres", help="sqlite and/or postgres (a fresh database)")
    a = ap.parse_args()
    from accounts import passwords
    from tests.doc_helpers import make_pdf

    passwords.configure(time_cost=1, memory_cost=1024)
    pdf = make_pdf(a.pages)
    print(f"machine: {machine()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="ecabinet-bench-docs-"))
    try:
        for backend in a.backends.split(","):
            # a process per backend: the stamped pages and marks cached by the first must not serve the second
            proc = mp.get_context("spawn").Process(target=one_backend, args=(backend, a.pages, a.fetches, pdf, work))
            proc.start()
            proc.join()
            if proc.exitcode:
                raise SystemExit(f"{backend}: the bench failed (exit code {proc.exitcode})")
        if a.no_throughput:
            return
        (work / "bench.pdf").write_bytes(pdf)
        (work / "out").mkdir()
        throughput(work / "bench.pdf", a.pages, work / "out")
        conversion(work / "out")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
