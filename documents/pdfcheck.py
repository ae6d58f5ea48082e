"""What an uploaded file is, judged by its content (never by its name), and whether a PDF is safe to keep.

`sniff` tells PDF from office files (ZIP containers with known parts) from anything else. `check_pdf` (qpdf
via pikepdf) refuses a PDF that is empty, truncated, encrypted or carries active content: JavaScript, an
automatic action on open, Launch/SubmitForm/ImportData actions, embedded files or XFA forms. Such files are
refused, not silently edited, so the secretariat knows to export a clean PDF. The pdfium open (a PDF that
qpdf accepts but pdfium cannot render is useless) happens in the render pool: see documents/render.py.
Every refusal is a ValidationFailed with a Vietnamese message and details.reason for clients.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pikepdf

from core.errors import ValidationFailed

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
_DANGEROUS_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "Launch", "/SubmitForm": "SubmitForm",
                      "/ImportData": "ImportData", "/GoToE": "GoToE", "/Rendition": "Rendition"}  # fmt: skip


def refuse(reason: str, message: str, **details: object) -> ValidationFailed:
    return ValidationFailed(message, details={"reason": reason, **details})


def sniff(path: Path, filename: str) -> str:
    """'pdf', an office kind ('docx', 'odt', 'xlsx', ...) or a refusal."""
    size = path.stat().st_size
    if size == 0:
        raise refuse("empty", f"Tệp “{filename}” rỗng (0 byte); hãy chọn lại tệp.")
    with path.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        kind = _office_kind(path)
        if kind:
            return kind
    raise refuse(
        "not_pdf",
        f"Tệp “{filename}” không phải PDF (nội dung tệp không đúng định dạng PDF, dù tên tệp có thể là .pdf). "
        "Chỉ nhận PDF, hoặc DOCX/ODT/XLSX để chuyển sang PDF.",
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


def check_pdf(path: Path, filename: str) -> None:
    """Refuse a truncated, encrypted or active PDF. Runs in a worker thread (qpdf objects are per call)."""
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 2048))
        tail = f.read()
    if b"%%EOF" not in tail:
        raise refuse("truncated", f"Tệp PDF “{filename}” không đầy đủ (bị cắt cụt khi sao chép hoặc tải lên); hãy tải lên lại tệp gốc.")
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise _encrypted(filename) from None
    except pikepdf.PdfError as exc:
        raise refuse("damaged", f"Tệp PDF “{filename}” bị hỏng, không đọc được ({exc}).") from None
    with pdf:
        if pdf.is_encrypted:
            raise _encrypted(filename)
        found = sorted(active_content(pdf))
    if found:
        raise refuse(
            "active_content",
            f"Tệp PDF “{filename}” chứa nội dung tự thực thi ({', '.join(found)}) nên bị từ chối vì lý do an toàn. "
            "Hãy xuất lại thành PDF thông thường (In → Lưu dưới dạng PDF) rồi tải lên.",
            found=found,
        )


def _encrypted(filename: str) -> ValidationFailed:
    return refuse(
        "encrypted",
        f"Tệp PDF “{filename}” được đặt mật khẩu/mã hóa nên hệ thống không hiển thị được. "
        "Hãy gỡ mật khẩu (hoặc xuất lại PDF không mã hóa) rồi tải lên.",
    )


def active_content(pdf: pikepdf.Pdf) -> set[str]:
    """Names of the active features found anywhere in the file (every object is looked at)."""
    found: set[str] = set()
    root = pdf.Root
    if "/OpenAction" in root and isinstance(root.OpenAction, pikepdf.Dictionary):
        found.add("OpenAction")  # an action on open (a plain destination array is harmless and allowed)
    if "/AA" in root:
        found.add("OpenAction")
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names:
            found.add("JavaScript")
        if "/EmbeddedFiles" in names:
            found.add("EmbeddedFiles")
    acroform = root.get("/AcroForm")
    if isinstance(acroform, pikepdf.Dictionary) and "/XFA" in acroform:
        found.add("XFA")
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) or isinstance(obj, pikepdf.Stream):
            _inspect(obj if isinstance(obj, pikepdf.Dictionary) else obj.stream_dict, found)
    return found


def _inspect(d: pikepdf.Dictionary, found: set[str]) -> None:
    if "/JS" in d:
        found.add("JavaScript")
    kind = d.get("/S")
    if isinstance(kind, pikepdf.Name) and str(kind) in _DANGEROUS_ACTIONS:
        found.add(_DANGEROUS_ACTIONS[str(kind)])
    typ = d.get("/Type")
    subtype = d.get("/Subtype")
    if typ == pikepdf.Name.EmbeddedFile or "/EF" in d:
        found.add("EmbeddedFiles")
    if subtype in (pikepdf.Name.FileAttachment, pikepdf.Name.RichMedia, pikepdf.Name.Movie, pikepdf.Name.Sound):
        found.add(str(subtype)[1:])
    if typ == pikepdf.Name.Page and "/AA" in d:
        found.add("PageAction")
