"""bench/documents: a 100-page PDF from upload to every page ready, cached page latency, render throughput.
Printed figures, not a test.

    .venv/bin/python bench/documents.py [--pages 100] [--fetches 300]

1. The real app under uvicorn (in this process; renders run in its worker-process pool), a fresh migrated
   SQLite in a temporary data dir, a cabinet from tests/factories. The secretariat uploads a generated
   N-page PDF (Vietnamese text, DejaVu Sans); we time the 201 answer and the moment GET /api/documents/{id}
   says pages_ready (tablet + thumbnail of every page rendered in the background).
2. A member fetches random tablet pages (cached renders; each answer is watermarked for them): p50/p99,
   then the same with If-None-Match (304 while the watermark's minute is unchanged).
3. Render throughput on the same file, one process, tablet width (1280 px), PNG files: pypdfium2 versus
   poppler's `pdftoppm -scale-to-x 1280 -scale-to-y -1 -png`, as pages per second and a ratio.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))  # after the root: bench/votes.py must not shadow votes/

from _common import pct  # noqa: E402


async def served(pages: int, fetches: int, pdf: bytes, data_dir: Path) -> None:
    import uvicorn

    from app.db import Database
    from app.factory import create_app
    from app.migrate import upgrade
    from app.settings import Settings
    from tests.conftest import free_port
    from tests.doc_helpers import upload
    from tests.factories import make_cabinet
    from tests.live import login

    settings = Settings(data_dir=data_dir, port=free_port())
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    db = Database(settings.effective_database_url)
    c = make_cabinet(db)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning"))
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
        print(f"upload of a {pages}-page PDF ({len(pdf) / 1e6:.2f} MB): 201 after {t_upload:.2f} s "
              f"(checks + text of every page), page 1 visible after {t_first:.2f} s, all pages ready after {t_ready:.2f} s")  # fmt: skip

        lat: list[float] = []
        sizes: list[int] = []
        for _ in range(fetches):
            n = random.randint(1, pages)
            s = time.perf_counter()
            p = await member.get(f"/api/documents/{doc}/pages/{n}")
            lat.append((time.perf_counter() - s) * 1000)
            sizes.append(len(p.content))
        print(f"cached tablet page, watermarked per viewer ({fetches} fetches, avg {statistics.mean(sizes) / 1024:.0f} KiB): "
              f"p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms")  # fmt: skip
        etag = (await member.get(f"/api/documents/{doc}/pages/5")).headers["etag"]
        lat304 = []
        for _ in range(fetches):
            s = time.perf_counter()
            await member.get(f"/api/documents/{doc}/pages/5", headers={"If-None-Match": etag})
            lat304.append((time.perf_counter() - s) * 1000)
        print(f"revalidation (If-None-Match → 304): p50 {pct(lat304, 50):.1f} ms, p99 {pct(lat304, 99):.1f} ms")
    finally:
        await staff.aclose()
        await member.aclose()
        server.should_exit = True
        await task
        db.dispose()


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
    subprocess.run(["pdftoppm", "-scale-to-x", str(width), "-scale-to-y", "-1", "-png", str(pdf_path), str(out / "poppler")],
                   check=True)  # fmt: skip
    t_poppler = time.perf_counter() - t0
    print(f"pdftoppm,  1 process, {width} px PNG: {pages / t_poppler:.1f} pages/s ({t_poppler:.2f} s for {pages} pages)")
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--fetches", type=int, default=300)
    a = ap.parse_args()
    from accounts import passwords
    from tests.doc_helpers import make_pdf

    passwords.configure(time_cost=1, memory_cost=1024)
    pdf = make_pdf(a.pages)
    work = Path(tempfile.mkdtemp(prefix="ecabinet-bench-docs-"))
    try:
        asyncio.run(served(a.pages, a.fetches, pdf, work / "data"))
        (work / "bench.pdf").write_bytes(pdf)
        (work / "out").mkdir()
        throughput(work / "bench.pdf", a.pages, work / "out")
        conversion(work / "out")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
