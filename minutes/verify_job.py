"""The anonymous signature check's job (minutes/routes.py verify → documents/exports.py verify), run in the verify
worker: the upload's structure is bounded before pyHanko reads it, and pyHanko's log is kept quiet.

pyHanko validates every signature field, with a diff analysis of the file for each, so its cost grows faster than the
number of fields: a 170 KB file with 2,000 fields pointing at one signature took 30+ CPU-seconds, 4,000 fields 150+
(and pyHanko logged a traceback per field, ~1.5 MB a request). Real minutes carry 2-3 signatures: a file with more
than MAX_SIGNATURE_FIELDS signature fields, MAX_FORM_FIELDS fields or MAX_ANNOTATIONS annotations is refused (422,
reason `too_complex`) after a walk with qpdf that costs milliseconds, within the job's memory cap and CPU time."""

from __future__ import annotations

import io
import logging
from typing import Any

import pikepdf

from core.errors import ValidationFailed
from core.i18n import N_
from documents import pdfbudget, pdfcheck
from minutes import signing

log = logging.getLogger(__name__)

MAX_SIGNATURE_FIELDS = 20
MAX_FORM_FIELDS = 200
MAX_ANNOTATIONS = 2000
MAX_UPLOAD_MB = 20  # minutes/routes.py MAX_VERIFY_BYTES: what qpdf may decode of one stream follows from it
TOO_MANY = N_(
    "Tệp PDF này có quá nhiều trường chữ ký, trường biểu mẫu hoặc ghi chú để kiểm tra chữ ký an toàn (biên bản chỉ có "
    "vài chữ ký; tối đa {limit} trường chữ ký) nên bị từ chối."
)
TOO_COMPLEX = N_("Tệp PDF này cần quá nhiều bộ nhớ hoặc thời gian để kiểm tra chữ ký an toàn nên bị từ chối.")


def too_complex() -> ValidationFailed:
    return ValidationFailed(TOO_COMPLEX, details={"reason": "too_complex"})


def verify_upload(pdf: bytes, roots_pem: list[bytes]) -> signing.VerificationReport:
    """signing.verify_pdf_pem on an upload whose structure is within bounds (ValidationFailed `too_complex` if not)."""
    _quiet()
    if signing._looks_like_pdf(pdf):  # else verify_pdf says it is no PDF
        check_structure(pdf)
    return signing.verify_pdf_pem(pdf, roots_pem)


def check_structure(pdf: bytes) -> None:
    """Count the form's fields (signature fields apart) and the pages' annotations, stopping past the bounds."""
    pdfbudget.guard_qpdf(pdfbudget.Limits.for_upload(MAX_UPLOAD_MB))
    try:
        with pdfcheck.watch_memory(too_complex), pikepdf.open(io.BytesIO(pdf)) as doc:
            fields, signatures = _fields(doc.Root)
            annotations = 0
            for page in doc.pages:
                annots = page.obj.get("/Annots")
                annotations += len(annots) if isinstance(annots, pikepdf.Array) else 0
                if annotations > MAX_ANNOTATIONS:
                    break
    except ValidationFailed:
        raise
    except Exception as exc:  # encrypted, or unreadable to qpdf: verify_pdf says why (within the job's limits)
        log.info("upload not counted: qpdf cannot read it (%s)", str(exc)[:200])
        return
    if signatures > MAX_SIGNATURE_FIELDS or fields > MAX_FORM_FIELDS or annotations > MAX_ANNOTATIONS:
        log.info("upload refused: %s fields (%s signature), %s annotations", fields, signatures, annotations)
        raise ValidationFailed(TOO_MANY, limit=MAX_SIGNATURE_FIELDS, details={"reason": "too_complex"})


def _fields(root: Any) -> tuple[int, int]:
    """(fields, signature fields) of the form, each object once (a field listed twice, or a cycle of /Kids, is one)."""
    form = root.get("/AcroForm")
    listed = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
    stack = list(listed) if isinstance(listed, pikepdf.Array) else []
    seen: set[tuple[int, int]] = set()
    fields = signatures = 0
    while stack and fields <= MAX_FORM_FIELDS and signatures <= MAX_SIGNATURE_FIELDS:
        field = stack.pop()
        if not isinstance(field, pikepdf.Dictionary):
            continue
        if field.is_indirect:
            if field.objgen in seen:
                continue
            seen.add(field.objgen)
        fields += 1
        signatures += field.get("/FT") == pikepdf.Name.Sig
        kids = field.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
    return fields, signatures


def _quiet() -> None:
    """pyHanko logs a warning with a traceback for every signature it cannot validate, and our per-signature notes
    carry one too: in this worker only the file's verdict, and our own unexpected errors, are worth a line."""
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    logging.getLogger(signing.__name__).setLevel(logging.WARNING)
