"""The anonymous signature check's job (minutes/routes.py verify → documents/exports.py verify), run in the verify
worker: the upload's structure is bounded before pyHanko reads it, and pyHanko's log is kept quiet.

pyHanko validates every signature field, with a diff analysis of the file for each, so its cost grows faster than the
number of fields: a 170 KB file with 2,000 fields pointing at one signature took 30+ CPU-seconds, 4,000 fields 150+
(and pyHanko logged a traceback per field, ~1.5 MB a request). Its diff analysis compares each signed revision with
every later one, page annotations included: 20 signatures each in its own revision over 1,900 annotations took 7.3
CPU-seconds (probe I). What the server issues is small: minutes are one file plus a revision per signature (the
secretary's, the chair's: 3 revisions, 2 signatures), a notice, a poll report or answer sheet one signature (2
revisions), each with a widget annotation per signature block. So a file with more than MAX_SIGNED_REVISIONS
revisions (pyHanko's own reading of the cross-reference chain, milliseconds), MAX_SIGNATURE_FIELDS signature fields,
MAX_FORM_FIELDS fields or MAX_ANNOTATIONS annotations is refused (422, reason `too_complex`, saying which bound) after
a walk that costs milliseconds, within the job's memory cap and CPU time, before pyHanko validates anything: it cannot
be a file the server issued, and within the bounds a check costs well under a second.

Besides pyHanko's verdict the job answers what the server needs to say whether the file is one it issued
(minutes/verdict.py): the file's SHA-256, for each signature the SHA-256 of the file as it stood when that signature
was made (the bytes its /ByteRange ends at: a signed file the server keeps, if the server made it) and of the
signer's certificate, and the SHA-256 of each earlier revision (the bytes up to an %%EOF: an unsigned file it keeps,
signed elsewhere). All of it in one pass over the bytes."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

import pikepdf

from core.errors import ValidationFailed
from core.i18n import N_
from documents import pdfbudget, pdfcheck
from minutes import signing

log = logging.getLogger(__name__)

MAX_SIGNATURE_FIELDS = 20
MAX_FORM_FIELDS = 200
MAX_ANNOTATIONS = 200  # issued files: one widget per signature block (2 in minutes)
MAX_SIGNED_REVISIONS = 6  # issued files: at most 3 (the frozen minutes, then the secretary's and the chair's)
MAX_REVISIONS = 64  # earlier revisions hashed (%%EOF markers); a server-made file has 1-3
MAX_UPLOAD_MB = 20  # minutes/routes.py MAX_VERIFY_BYTES: what qpdf may decode of one stream follows from it
TOO_MANY = N_(
    "Tệp PDF này có quá nhiều trường chữ ký, trường biểu mẫu hoặc ghi chú để kiểm tra chữ ký an toàn (biên bản chỉ có "
    "vài chữ ký; tối đa {limit} trường chữ ký) nên bị từ chối."
)
TOO_MANY_REVISIONS = N_(
    "Tệp PDF này đã được sửa hoặc ký thêm quá nhiều lần ({count} lần lưu, nhiều hơn {limit}): văn bản do hệ thống phát "
    "hành chỉ có vài lần lưu, nên tệp bị từ chối mà không kiểm tra chữ ký."
)
TOO_COMPLEX = N_("Tệp PDF này cần quá nhiều bộ nhớ hoặc thời gian để kiểm tra chữ ký an toàn nên bị từ chối.")


def too_complex() -> ValidationFailed:
    return ValidationFailed(TOO_COMPLEX, details={"reason": "too_complex"})


@dataclass(frozen=True)
class SignedPart:
    """One signature as the server matches it: the file when it was signed, and who holds its certificate."""

    field_name: str
    sha256: str | None  # the file up to the end of the signature's /ByteRange; None: an unusual byte range
    certificate: str | None  # SHA-256 of the signer's certificate (DER); None: unreadable


@dataclass(frozen=True)
class Checked:
    """The job's answer: pyHanko's report and the digests the server looks up among the files it issued."""

    report: signing.VerificationReport
    sha256: str
    parts: list[SignedPart] = field(default_factory=list)  # in the order of report.signatures
    prefixes: list[tuple[int, str]] = field(default_factory=list)  # (length, SHA-256) of earlier states, shortest first

    def hashes(self) -> list[str]:
        return [self.sha256, *(h for _, h in self.prefixes)]


def verify_upload(pdf: bytes, roots_pem: list[bytes]) -> Checked:
    """signing.verify_pdf_pem on an upload whose structure is within bounds (ValidationFailed `too_complex` if not),
    with the digests that say which file the server issued it is, if any."""
    _quiet()
    if signing._looks_like_pdf(pdf):  # else verify_pdf says it is no PDF
        check_structure(pdf)
    report = signing.verify_pdf_pem(pdf, roots_pem)
    ends, parts = _signed_parts(pdf) if report.signatures else ([], [])
    if [p.field_name for p in parts] != [s.field_name for s in report.signatures]:  # not the same reading: no match
        ends, parts = [-1] * len(report.signatures), [SignedPart(s.field_name, None, None) for s in report.signatures]
    prefixes = _prefixes(pdf, [*ends, *_revision_ends(pdf)])  # the last one is the whole file
    digest = dict(prefixes)
    parts = [replace(p, sha256=digest.get(end)) for p, end in zip(parts, ends)]
    return Checked(report, prefixes[-1][1], parts, prefixes[:-1])


def _signed_parts(pdf: bytes) -> tuple[list[int], list[SignedPart]]:
    """(where each signature's signed bytes end, its part without the digest yet); ([], []) if unreadable now."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    ends: list[int] = []
    parts: list[SignedPart] = []
    try:
        for sig in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures:
            br = [int(x) for x in sig.byte_range]
            end = br[2] + br[3] if len(br) == 4 and br[0] == 0 and 0 < br[2] + br[3] <= len(pdf) else -1
            ends.append(end)
            parts.append(SignedPart(sig.field_name, None, hashlib.sha256(sig.signer_cert.dump()).hexdigest()))
    except MemoryError:
        raise
    except Exception:  # verify_pdf read it; whatever fails here leaves the file unmatched, never a 500
        log.info("signature parts unreadable", exc_info=True)
        return [], []
    return ends, parts


def _revision_ends(pdf: bytes) -> list[int]:
    """Where each of the first MAX_REVISIONS revisions ends: after %%EOF, with and without its end of line."""
    out: list[int] = []
    for m in re.finditer(rb"%%EOF(\r\n|\r|\n)?", pdf):
        out += [m.start() + 5, m.end()]
        if len(out) >= 2 * MAX_REVISIONS:
            break
    return out


def _prefixes(pdf: bytes, ends: list[int]) -> list[tuple[int, str]]:
    """(length, SHA-256 of pdf[:length]) for each length, and the whole file: one pass over the bytes."""
    h, at, out = hashlib.sha256(), 0, []
    view = memoryview(pdf)
    for end in sorted({e for e in ends if 0 < e <= len(pdf)} | {len(pdf)}):
        h.update(view[at:end])
        at = end
        out.append((end, h.copy().hexdigest()))
    return out


def check_structure(pdf: bytes) -> None:
    """Count the file's revisions, the form's fields (signature fields apart) and the pages' annotations, stopping
    past the bounds."""
    _check_revisions(pdf)
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


def _check_revisions(pdf: bytes) -> None:
    """The revisions as pyHanko will read them (its cross-reference chain, not %%EOF markers, which a file may omit);
    reading the chain parses no object beyond the trailers."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        revisions = PdfFileReader(io.BytesIO(pdf), strict=False).xrefs.total_revisions
    except MemoryError:
        raise
    except Exception as exc:  # verify_pdf says why it cannot read the file (within the job's limits)
        log.info("upload revisions not counted (%s)", str(exc)[:200])
        return
    if revisions > MAX_SIGNED_REVISIONS:
        log.info("upload refused: %s revisions", revisions)
        raise ValidationFailed(
            TOO_MANY_REVISIONS,
            count=revisions,
            limit=MAX_SIGNED_REVISIONS,
            details={"reason": "too_complex", "bound": "revisions", "limit": MAX_SIGNED_REVISIONS},
        )


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
