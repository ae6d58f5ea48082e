"""From an uploaded file on disk to a StoredFile: sniff -> convert (office files) -> check (page-count and
decoded-size limits first) and rebuild without active content (the rebuilt PDF is what is kept) -> PDFium open ->
page-count limit again (PDFium's count) -> text of every page ->
content-addressed store. Runs at the edge, before the write
transaction, off the event loop: LibreOffice in a thread (it is its own process), qpdf in the upload-check workers
and PDFium in the render workers, processes whose memory is capped (documents/render.py): a file that needs more
than a worker may take, or that kills one, is refused (`too_complex`) and the next upload is served as usual.

On any refusal nothing stays behind: the temporary files are removed and nothing was stored yet (the store
is the last step). If the later database write fails, the caller drops the blob when no version uses it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable

import pypdfium2 as pdfium
from anyio import CapacityLimiter, to_thread

from core.errors import ValidationFailed
from core.i18n import Msg
from documents import convert, pdfbudget, pdfcheck, render, storage
from documents.render import Renderer
from documents.schemas import StoredFile

TEXT_CHUNK = 25  # pages per text-extraction job
# LibreOffice conversions at once; more uploads wait their turn. Their own limiter, not anyio's default one: a
# conversion holds its thread for up to convert.TIMEOUT_SECONDS, and the default limiter also runs every database
# call, so a burst of office uploads would otherwise stall the whole server (and start one soffice per upload).
CONVERSIONS = CapacityLimiter(2)


async def prepare(
    *,
    upload: Path,
    filename: str,
    data_dir: Path,
    renderer: Renderer,
    soffice: str,
    max_pages: int,
    max_upload_mb: int = pdfbudget.DEFAULT_UPLOAD_MB,
    sandboxed: bool = True,
) -> tuple[StoredFile, bool]:
    """(the stored file, whether this upload created the blob). `upload` is consumed (moved or deleted).
    `max_upload_mb` (ECABINET_MAX_UPLOAD_MB) sets how far the PDF may decode (documents/pdfbudget.py)."""
    leftovers = [upload]
    try:
        kind = await to_thread.run_sync(pdfcheck.sniff, upload, filename)
        pdf, cleaned = upload, dict[str, int]()
        if kind != "pdf":  # what the office cleaning removed is reported with what the PDF's CDR removes
            pdf, cleaned = await to_thread.run_sync(
                lambda: convert.to_pdf_cleaned(upload, kind, soffice=soffice, filename=filename, sandboxed=sandboxed),
                limiter=CONVERSIONS,
            )
            leftovers.append(pdf)
        limits = pdfbudget.Limits.for_upload(max_upload_mb)
        pdfbudget.guard_qpdf(limits)  # this process's own qpdf (minutes, poll sheets) reads no more than uploads
        leftovers.append(pdfcheck.rebuilt_path(pdf))  # even from a worker that died writing it
        pdf, removed = await _in_worker(renderer.check, filename, pdfcheck.rebuild, pdf, filename, max_pages, limits)
        removed = {**cleaned, **{k: v + cleaned.get(k, 0) for k, v in removed.items()}}
        try:
            info = await _in_worker(renderer.run, filename, render.inspect_pdf, str(pdf))
        except pdfium.PdfiumError as exc:
            raise pdfcheck.refuse(
                "damaged", Msg("Tệp PDF “{filename}” bị hỏng, không hiển thị được ({exc}).", filename=filename, exc=exc)
            ) from None
        count = info["page_count"]
        if count == 0:
            raise pdfcheck.refuse("no_pages", Msg("Tệp PDF “{filename}” không có trang nào.", filename=filename))
        if count > max_pages:  # PDFium may count otherwise than qpdf (a damaged page tree)
            raise pdfcheck.too_many_pages(filename, count, max_pages)
        texts = await _texts(renderer, pdf, count, filename)
        size = pdf.stat().st_size
        sha, created = await to_thread.run_sync(storage.put, data_dir, pdf)
        return StoredFile(sha, count, size, filename[:300], kind, texts, removed), created
    finally:
        for path in leftovers:
            path.unlink(missing_ok=True)


async def _in_worker(run: Callable[..., Any], filename: str, fn: Callable[..., Any], *args: Any) -> Any:
    """`run(fn, *args)` (Renderer.run or .check: in a worker); what runs out of the worker's memory, or kills it
    twice, is refused."""
    try:
        return await run(fn, *args)
    except (MemoryError, BrokenProcessPool):
        raise pdfcheck.too_complex(filename) from None


async def _texts(renderer: Renderer, pdf: Path, count: int, filename: str) -> list[tuple[int, str, str]]:
    chunks = [list(range(a, min(a + TEXT_CHUNK, count + 1))) for a in range(1, count + 1, TEXT_CHUNK)]
    try:
        jobs = (_in_worker(renderer.run, filename, render.extract_texts, str(pdf), c) for c in chunks)
        parts = await asyncio.gather(*jobs)
    except pdfium.PdfiumError as exc:
        raise ValidationFailed(
            "Không đọc được nội dung chữ của tệp PDF ({exc}).", exc=exc, details={"reason": "damaged"}
        ) from None
    return [row for part in parts for row in part]
