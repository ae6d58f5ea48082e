"""PAdES signatures on the minutes PDF (pyHanko), and their verification for the 'check a file' page.

Both functions are CPU-bound and call asyncio.run inside pyHanko: never on the event loop (an upload is verified in
a capped export worker, minutes/routes.py verify: parsing it may cost far more than its size). Signing appends an
incremental update, so the chair's signature leaves the secretary's intact. The first signature is a certification
(DocMDP: form filling and further signatures only), so any later change other than a signature breaks it, in pyHanko
and in Acrobat alike.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.info import view_from_info_dict
from pyhanko.pdf_utils.metadata.xmp_xml import meta_from_xmp, parse_xmp
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import ExpiredError, NotYetValidError, RevokedError

from core.clock import DEFAULT_TIMEZONE, local, utcnow
from core.errors import Conflict, ValidationFailed
from core.i18n import N_, Msg
from core.text import nfc
from ledger.keystore import KeyStore, password_bytes
from minutes.stamp import field_rect, stamp_style

log = logging.getLogger(__name__)

NOT_PDF = N_("Tệp tải lên không phải là tài liệu PDF hợp lệ.")
UNREADABLE_PDF = N_("Không đọc được tệp PDF này để kiểm tra chữ ký: tệp bị hỏng hoặc dùng định dạng chưa được hỗ trợ.")
# What pyHanko's parser raises on a damaged or hostile file (a filter it lacks such as LZW, nesting deeper than the
# interpreter's stack, …): the file's fault, a refusal and not a 500. Anything else is refused too, but logged loudly.
PARSE_ERRORS = (PdfError, ValueError, LookupError, TypeError, AttributeError, NotImplementedError, RecursionError)
OK = "Hợp lệ"
NO_SIGNATURES = "Tài liệu không có chữ ký số"
BROKEN = "Chữ ký không hợp lệ: nội dung được ký đã bị sửa"
BAD_CRYPTO = "Chữ ký không hợp lệ: chữ ký không khớp với chứng thư"
MODIFIED = "Tài liệu đã bị thay đổi sau khi ký"
UNTRUSTED = "Chứng thư không thuộc cơ quan chứng thực tin cậy"
REVOKED = "Chứng thư đã bị thu hồi"
EXPIRED = "Chứng thư đã hết hạn hoặc chưa có hiệu lực"
UNREADABLE = "Chữ ký bị hỏng, không đọc được"
LATER_SIGNATURES = "Hợp lệ; sau khi ký chỉ có thêm chữ ký khác"
FAILED = "Chữ ký không đạt yêu cầu kiểm tra"
# One verdict per file, worst first: what the page says in one line, in one colour.
VERDICTS = {
    "modified": "Tài liệu đã bị thay đổi sau khi ký: không còn giá trị như bản đã ký",
    "untrusted": "Nội dung còn nguyên vẹn nhưng người ký không được xác thực bởi cơ quan chứng thực tin cậy",
    "valid": "Hợp lệ: nội dung còn nguyên vẹn từ khi ký và người ký được xác thực",
    "incomplete": "Các chữ ký có trên tệp hợp lệ, nhưng tệp chưa được ký đủ: còn chỗ ký chưa ký",
    "not_signed": NO_SIGNATURES,
}
# Signing certificates carry nonRepudiation, digitalSignature or both (national CAs differ): one suffices.
KEY_USAGE = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False)
# Updates a later signer may make without "changing the document": another signature, DSS/timestamps.
PERMITTED = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING}


def _looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]  # readers accept the header anywhere in the first KiB


class _OnOrganisationClock(IncrementalPdfFileWriter):
    """pyHanko dates the update's /ModDate on the machine's zone (tzlocal); the record's dates, /CreationDate
    included, are on the organisation's clock: the signing time, with the organisation's offset."""

    modified_at: datetime | None = None

    def _update_meta(self) -> None:
        super()._update_meta()  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
        info = self._info.get_object() if self._info is not None else None  # type: ignore[no-untyped-call]
        if self.modified_at is not None and info is not None and "/ModDate" in info:
            info["/ModDate"] = generic.pdf_date(self.modified_at)


def _writer(pdf: bytes) -> tuple[_OnOrganisationClock, bool]:
    """The writer for the update, and whether the file has no signature yet."""
    if not _looks_like_pdf(pdf):
        raise ValidationFailed(NOT_PDF)
    try:
        writer = _OnOrganisationClock(io.BytesIO(pdf), strict=False)
        return writer, not writer.prev.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError):
        raise ValidationFailed(NOT_PDF) from None


def _reserve(signer: signers.SimpleSigner) -> int:
    """Room for the CMS blob: the certificates it embeds plus signature and attributes. Saying it up front
    skips pyHanko's dry run that signs once just to measure (a third of the signing time)."""
    certs = [signer.signing_cert, *(signer.cert_registry or ())]
    return 8192 + 2 * sum(len(c.dump()) for c in certs if c is not None)  # must be even


def sign_pdf(
    pdf: bytes,
    *,
    store: KeyStore,
    user_id: str | int,
    password: str,
    field_name: str,
    reason: str,
    location: str,
    signer_name: str,
    signer_title: str = "",
    signed_at: datetime | None = None,
    tz: str | tzinfo = DEFAULT_TIMEZONE,
    stamp_name: str | None = None,
) -> bytes:
    """Adds one PAdES B-B signature as an incremental update and returns the whole new file. When the file has
    the field with a size (minutes/pdf.py puts one in each signature block), the signature is visible there:
    'Đã ký số', name, title and `signed_at` on the organisation's clock, the same time the signature claims.
    `stamp_name` is the name drawn there (default `signer_name`; "" when the document prints the name below)."""
    p12 = store.unseal_pkcs12(user_id, password)  # Conflict: no certificate; Forbidden: wrong password
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=(), passphrase=password_bytes(password))
    except ValueError:  # an imported PKCS#12 whose inner password differs from the one it was sealed with
        raise Conflict("Không mở được chứng thư số đã lưu; cần nhập lại tệp PKCS#12.") from None
    writer, first = _writer(pdf)
    at = (signed_at or utcnow()).replace(microsecond=0)
    writer.modified_at = local(at, tz)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=nfc(reason),
        location=nfc(location),
        name=nfc(signer_name),
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=first,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    size = field_rect(writer, field_name)
    shown = signer_name if stamp_name is None else stamp_name
    style = stamp_style(size, name=shown, title=signer_title, at=at, tz=tz) if size else None
    try:
        pdf_signer = signers.PdfSigner(meta, signer, stamp_style=style)
        out = asyncio.run(_sign_at(pdf_signer, writer, local(at, tz), _reserve(signer)))
    except SigningError as e:
        log.info("signing refused: %s", e)
        msg = Msg(
            "Không ký được tài liệu (trường chữ ký '{field_name}' đã được ký hoặc tài liệu bị khóa).",
            field_name=field_name,
        )
        raise Conflict(msg) from None
    return out.getvalue()


async def _sign_at(
    pdf_signer: signers.PdfSigner, writer: IncrementalPdfFileWriter, at: datetime, reserve: int
) -> io.BytesIO:
    """pyHanko's async_sign_pdf, with the signing time fixed to `at` (the one the appearance shows) instead of
    pyHanko's own clock reading; `at` on the organisation's clock, so /M carries its offset (CMS signingTime: UTC)."""
    session = pdf_signer.init_signing_session(writer)
    session.system_time = at
    validation = await session.perform_presign_validation(writer)
    tbs = session.prepare_tbs_document(validation_info=validation, bytes_reserved=reserve)
    digest, output = tbs.digest_tbs_document(output=io.BytesIO())
    attrs = PdfCMSSignedAttributes(
        signing_time=at,
        adobe_revinfo_attr=validation.adobe_revinfo_attr if validation else None,
        cades_signed_attrs=pdf_signer.signature_meta.cades_signed_attr_spec,
    )
    post = await tbs.perform_signature(document_digest=digest.document_digest, pdf_cms_signed_attrs=attrs)
    await post.post_signature_processing(output)
    return output  # type: ignore[return-value]


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_name: str  # certificate subject CN
    signer_subject: str  # full subject, RFC 4514
    issuer: str
    signing_time: datetime | None  # claimed by the signer (no timestamp authority yet)
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # the cryptographic signature verifies with the certificate
    trusted: bool  # the certificate chains to a trusted root and has a signing key usage (whatever the content)
    certification: bool  # sets a DocMDP policy (the first signature; a field /Lock counts too)
    covers_whole_document: bool  # nothing was appended after this signature
    modified_after_signing: bool  # the signed bytes changed, or appended updates go beyond further signatures
    modification_level: str | None  # pyHanko's ModificationLevel name
    ok: bool
    problems: list[str] = field(default_factory=list)
    summary: str = OK


@dataclass(frozen=True)
class VerificationReport:
    signatures: list[SignatureReport]
    ok: bool  # at least one signature and every one ok
    summary: str  # the verdict in words (VERDICTS)
    verdict: str = "not_signed"  # "valid" | "incomplete" | "modified" | "untrusted" | "not_signed"
    unsigned_fields: list[str] = field(default_factory=list)  # signature fields the file offers, not signed yet


def verdict_of(reports: list[SignatureReport]) -> str:
    if not reports:
        return "not_signed"
    if any(r.modified_after_signing or not (r.intact and r.valid) for r in reports):
        return "modified"
    return "valid" if all(r.ok for r in reports) else "untrusted"


def _cn(name: asn1_x509.Name) -> str:
    return nfc(str(name.native.get("common_name", "") or name.human_friendly))


def _shown_metadata(reader: PdfFileReader, revision: int) -> tuple[object, ...]:
    """Title, author, subject, keywords as a reader shows them (Info dict and XMP) at a revision. pyHanko's
    diff policy lets /Info and XMP change freely (its own signing bumps ModDate/Producer), but a title bar
    that says something else than what was signed is a change the signer did not approve."""
    try:
        hist = reader.get_historical_resolver(revision)
        trailer, root = hist.trailer_view, reader.get_historical_root(revision)
        metas = []
        if "/Info" in trailer:
            metas.append(view_from_info_dict(hist(trailer.raw_get("/Info").reference), strict=False))
        if "/Metadata" in root:
            stream = hist(root.raw_get("/Metadata").reference)
            metas.append(meta_from_xmp(parse_xmp(io.BytesIO(stream.data))))
        return tuple((str(m.title), str(m.author), str(m.subject), tuple(m.keywords)) for m in metas)
    except MemoryError:
        raise
    except Exception:  # unreadable metadata at one revision and not the other is itself a difference
        return ("unreadable", revision)


async def _certificate(sig: EmbeddedPdfSignature, roots: list[asn1_x509.Certificate]) -> str | None:
    """The certificate's own verdict (None: trusted), judged apart from the document, so the same certificate
    gets the same answer on an intact and on a tampered file. No fetching: an upload must not make us call out."""
    vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    try:
        await CertificateValidator(
            sig.signer_cert, sig.other_embedded_certs, validation_context=vc
        ).async_validate_path()
        KEY_USAGE.validate(sig.signer_cert)
        return None
    except RevokedError:
        return REVOKED
    except (ExpiredError, NotYetValidError):
        return EXPIRED
    except MemoryError:
        raise
    except Exception:  # no path to a trusted root, bad key usage, a broken certificate: not trusted
        return UNTRUSTED


def _judge(
    sig: EmbeddedPdfSignature, status: PdfSignatureStatus, meta_changed: bool, cert_problem: str | None
) -> SignatureReport:
    level = status.modification_level
    coverage = status.coverage
    whole = coverage == SignatureCoverageLevel.ENTIRE_FILE
    broken = not (status.intact and status.valid)
    modified = broken or (
        not whole
        and (
            coverage is None
            or coverage < SignatureCoverageLevel.ENTIRE_REVISION
            or level not in PERMITTED
            or status.docmdp_ok is False
            or meta_changed
        )
    )
    problems = []
    if not status.intact:
        problems.append(BROKEN)
    elif not status.valid:
        problems.append(BAD_CRYPTO)
    elif modified:
        problems.append(MODIFIED)
    if cert_problem:
        problems.append(cert_problem)
    if not problems and not status.bottom_line:  # e.g. seed-value constraints of the field not met
        problems.append(FAILED)
    cert = status.signing_cert
    return SignatureReport(
        field_name=sig.field_name,
        signer_name=_cn(cert.subject),
        signer_subject=_rfc4514(cert),
        issuer=_cn(cert.issuer),
        signing_time=status.signer_reported_dt,
        intact=status.intact,
        valid=status.valid,
        trusted=cert_problem is None,
        certification=sig.docmdp_level is not None,
        covers_whole_document=whole,
        modified_after_signing=modified,
        modification_level=level.name if level else None,
        ok=not problems,
        problems=problems,
        summary="; ".join(problems) if problems else (OK if whole else LATER_SIGNATURES),
    )


def _rfc4514(cert: asn1_x509.Certificate) -> str:
    return x509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()


def _unreadable(sig: EmbeddedPdfSignature) -> SignatureReport:
    return SignatureReport(
        field_name=sig.field_name,
        signer_name="",
        signer_subject="",
        issuer="",
        signing_time=None,
        intact=False,
        valid=False,
        trusted=False,
        certification=False,
        covers_whole_document=False,
        modified_after_signing=True,
        modification_level=None,
        ok=False,
        problems=[UNREADABLE],
        summary=UNREADABLE,
    )


async def _validate_all(reader: PdfFileReader, roots: list[asn1_x509.Certificate]) -> list[SignatureReport]:
    out = []
    last = _shown_metadata(reader, reader.xrefs.total_revisions - 1)
    for sig in reader.embedded_signatures:
        # allow_fetching=False: an uploaded file's certificates must not make the server fetch their URLs.
        vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = await async_validate_pdf_signature(sig, signer_validation_context=vc, key_usage_settings=KEY_USAGE)
            cert_problem = await _certificate(sig, roots)
            out.append(_judge(sig, status, _shown_metadata(reader, sig.signed_revision) != last, cert_problem))
        except MemoryError:
            raise
        except Exception:  # an untrusted upload can break the CMS or PDF structure in any way: report, not crash
            log.info("signature %s unreadable", sig.field_name, exc_info=True)
            out.append(_unreadable(sig))
    return out


def _unreadable_file(exc: Exception) -> ValidationFailed:
    """A parser error is the file's fault; anything else may be our own bug, so it is logged with its traceback (and
    still refused: the upload is what made it happen)."""
    known = isinstance(exc, PARSE_ERRORS)
    log.log(logging.INFO if known else logging.WARNING, "uploaded PDF unreadable: %r", exc, exc_info=not known)
    return ValidationFailed(UNREADABLE_PDF, details={"reason": "unreadable"})


def verify_pdf_pem(pdf: bytes, roots_pem: list[bytes]) -> VerificationReport:
    """`verify_pdf` with the trusted roots as PEM: the arguments of a job sent to a worker process must pickle."""
    return verify_pdf(pdf, [x509.load_pem_x509_certificate(p) for p in roots_pem])


def verify_pdf(pdf: bytes, trust_roots: Iterable[x509.Certificate]) -> VerificationReport:
    """Every signature of an uploaded PDF: who, when, intact, trusted, changed since. ValidationFailed if it is not a
    PDF or cannot be parsed; MemoryError (under a worker's cap) passes through for the caller to name."""
    if not _looks_like_pdf(pdf):
        raise ValidationFailed(NOT_PDF)
    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust_roots]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            raise ValidationFailed("Tài liệu được mã hóa; không kiểm tra được chữ ký.")
        if not reader.embedded_signatures:
            return VerificationReport(signatures=[], ok=False, summary=VERDICTS["not_signed"], verdict="not_signed")
        reports = asyncio.run(_validate_all(reader, roots))
    except (ValidationFailed, MemoryError):
        raise
    except Exception as exc:
        raise _unreadable_file(exc) from None
    # minutes signed by the secretary alone are not the minutes: a signature block still empty is said
    try:
        unsigned = [name for name, _, _ in fields.enumerate_sig_fields(reader, filled_status=False)]
    except MemoryError:
        raise
    except Exception:
        unsigned = []  # a form too damaged to list: the signatures' own verdict stands
    verdict = verdict_of(reports)
    if verdict == "valid" and unsigned:
        verdict = "incomplete"
    return VerificationReport(
        signatures=reports, ok=verdict == "valid", summary=VERDICTS[verdict], verdict=verdict, unsigned_fields=unsigned
    )
