"""What an uploaded file is, judged by its content (never by its name), and whether a PDF is safe to keep.

`sniff` tells PDF from office files (ZIP containers with known parts) from anything else. `rebuild` (qpdf via
pikepdf) refuses a PDF that is empty, truncated, damaged or encrypted (nothing we can clean), and writes every
other one again without its active content (documents/cdr.py): the rebuilt file is what the server keeps, and
the upload's answer says what was removed. `rebuild` and the pdfium open (a PDF that qpdf accepts but pdfium cannot
render is useless) run in the render pool, whose workers cap their memory: see documents/render.py.
Every refusal is a ValidationFailed with a Vietnamese message and details.reason for clients.
"""

from __future__ import annotations

import contextlib
import logging
import zipfile
from pathlib import Path
from typing import Callable, Iterator

import pikepdf
from pikepdf.exceptions import PikepdfError

from core.errors import ValidationFailed
from core.i18n import Msg
from documents import cdr, pdfbudget

OFFICE_KINDS = {  # ZIP part that identifies the format -> kind
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}
ODF_KINDS = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}


def refuse(reason: str, message: str, **details: object) -> ValidationFailed:
    return ValidationFailed(message, details={"reason": reason, **details})


def sniff(path: Path, filename: str) -> str:
    """'pdf', an office kind ('docx', 'odt', 'xlsx', ...) or a refusal."""
    size = path.stat().st_size
    if size == 0:
        raise refuse("empty", Msg("Tệp “{filename}” rỗng (0 byte); hãy chọn lại tệp.", filename=filename))
    with path.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        kind = _office_kind(path)
        if kind:
            return kind
    claimed = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if claimed in {*OFFICE_KINDS.values(), *ODF_KINDS.values()}:  # named as an office file: say it is a broken one
        raise refuse(
            "damaged",
            Msg(
                "Tệp “{filename}” không phải tệp {kind} hợp lệ (tệp bị hỏng hoặc không đúng định dạng {kind}). Hãy mở "
                "tệp và lưu lại, hoặc tải lên bản PDF của tài liệu.",
                filename=filename,
                kind=claimed.upper(),
            ),
            kind=claimed,
        )
    raise refuse(
        "not_pdf",
        Msg(
            "Tệp “{filename}” không phải PDF (nội dung tệp không đúng định dạng PDF, dù tên tệp có thể là .pdf). Chỉ "
            "nhận PDF, hoặc DOCX/ODT/XLSX để chuyển sang PDF.",
            filename=filename,
        ),
    )


def _office_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for part, kind in OFFICE_KINDS.items():
                if part in names:
                    return kind
            if "mimetype" in names:
                return ODF_KINDS.get(z.read("mimetype").decode("ascii", "replace").strip())
    except (zipfile.BadZipFile, OSError):
        return None
    return None


def too_many_pages(filename: str, count: int, max_pages: int) -> ValidationFailed:
    return refuse(
        "too_many_pages",
        Msg(
            "Tệp PDF “{filename}” có {count} trang, vượt giới hạn {max_pages} trang của hệ thống.",
            filename=filename,
            count=count,
            max_pages=max_pages,
        ),
        page_count=count,
        max_pages=max_pages,
    )


def too_complex(filename: str) -> ValidationFailed:
    """The file needs more memory than a worker may take (ECABINET_WORKER_MEMORY_MB) to be checked or opened."""
    return refuse(
        "too_complex",
        Msg(
            "Tệp PDF “{filename}” cần quá nhiều bộ nhớ để xử lý an toàn nên bị từ chối (có thể là tệp “bom giải "
            "nén”). Hãy xuất lại thành PDF thông thường (In → Lưu dưới dạng PDF) rồi tải lên.",
            filename=filename,
        ),
    )


ALLOC_FAILED = "bad_alloc"  # what qpdf's warning says when an allocation failed (std::bad_alloc)


class _OutOfMemory(logging.Handler):
    """Notices qpdf's warnings about a failed allocation: qpdf catches its own std::bad_alloc in places (an object
    stream decoded while the file opens) and reports the file as damaged instead."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        if ALLOC_FAILED in record.getMessage():
            self.seen = True


@contextlib.contextmanager
def watch_memory(error: Callable[[], Exception]) -> Iterator[None]:
    """`error()` is raised when qpdf ran out of memory in the block, whatever it made of that (MemoryError, a damaged
    file, a null object read on as if it were fine). qpdf's warnings reach the handler only (pikepdf.open is called
    with suppress_warnings=False so that they are logged at all). Also used by the whole-file copies
    (documents/exports.py)."""
    logger = logging.getLogger("pikepdf._core")
    watch, propagate = _OutOfMemory(), logger.propagate
    logger.addHandler(watch)
    logger.propagate = False
    try:
        yield
    except MemoryError:
        raise error() from None
    except Exception:
        if watch.seen:
            raise error() from None
        raise
    finally:
        logger.removeHandler(watch)
        logger.propagate = propagate
    if watch.seen:
        raise error()


def rebuild(path: Path, filename: str, max_pages: int, limits: pdfbudget.Limits) -> tuple[Path, dict[str, int]]:
    """Refuse a truncated, damaged or encrypted PDF, one with more than `max_pages` pages or one that decodes past
    `limits` (documents/pdfbudget.py), each checked before anything costly; otherwise write its disarmed
    reconstruction (documents/cdr.py) next to it and answer (that file, what was removed). Runs in a render worker
    process (documents/ingest.py via render.Renderer.run), under its memory cap: what qpdf decodes without a limit
    of its own (an LZW object stream as the file opens) stops there, and is refused as `too_complex`."""
    target = rebuilt_path(path)
    try:
        with watch_memory(lambda: too_complex(filename)):
            return _rebuild(path, target, filename, max_pages, limits)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def rebuilt_path(path: Path) -> Path:
    """Where `rebuild` writes the disarmed copy of `path`."""
    return path.with_name(path.name + ".clean.pdf")


def _rebuild(
    path: Path, target: Path, filename: str, max_pages: int, limits: pdfbudget.Limits
) -> tuple[Path, dict[str, int]]:
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 2048))
        tail = f.read()
    if b"%%EOF" not in tail:
        raise refuse(
            "truncated",
            Msg(
                "Tệp PDF “{filename}” không đầy đủ (bị cắt cụt khi sao chép hoặc tải lên); hãy tải lên lại tệp gốc.",
                filename=filename,
            ),
        )
    pdfbudget.guard_qpdf(limits)  # qpdf decodes some streams while opening the file
    try:
        pdf = pikepdf.open(path, suppress_warnings=False)  # for watch_memory
    except pikepdf.PasswordError:
        raise _encrypted(filename) from None
    except pikepdf.PdfError as exc:
        raise refuse(
            "damaged", Msg("Tệp PDF “{filename}” bị hỏng, không đọc được ({exc}).", filename=filename, exc=exc)
        ) from None
    with pdf:
        if pdf.is_encrypted:  # opened without a password (owner password only): still refused, we do not decrypt
            raise _encrypted(filename)
        try:
            pdfbudget.check_object_streams(pdf, filename, limits)  # the page tree is read out of them
            count = len(pdf.pages)  # qpdf knows it once the file is open: before any page is walked or decoded
            if count > max_pages:
                raise too_many_pages(filename, count, max_pages)
            pdfbudget.check(pdf, filename, limits)
            removed = cdr.disarm(pdf)
            left = cdr.findings(pdf)
            if not left:
                cdr.save(pdf, target)
        except PikepdfError as exc:  # PdfError, or qpdf stopped at a limit (pdfbudget.guard_qpdf)
            target.unlink(missing_ok=True)
            raise refuse(
                "damaged", Msg("Tệp PDF “{filename}” bị hỏng, không đọc được ({exc}).", filename=filename, exc=exc)
            ) from None
    if left:  # never expected: refused rather than kept
        raise refuse(
            "active_content",
            Msg(
                "Tệp PDF “{filename}” chứa nội dung tự thực thi không gỡ bỏ được ({found}) nên bị từ chối vì lý do an "
                "toàn. Hãy xuất lại thành PDF thông thường (In → Lưu dưới dạng PDF) rồi tải lên.",
                filename=filename,
                found=", ".join(sorted(left)),
            ),
            found=sorted(left),
        )
    return target, removed


def _encrypted(filename: str) -> ValidationFailed:
    return refuse(
        "encrypted",
        Msg(
            "Tệp PDF “{filename}” được đặt mật khẩu/mã hóa nên hệ thống không hiển thị được. Hãy gỡ mật khẩu (hoặc "
            "xuất lại PDF không mã hóa) rồi tải lên.",
            filename=filename,
        ),
    )
