"""The public check's answer (/api/minutes/verify): pyHanko's verdict on the signatures (minutes/signing.py), and
whether the file is one this server issued and was signed by the right people (minutes/issued.py).

A signature that verifies says only that its certificate's holder signed those bytes. The minutes are the record
only as the server issued them: each block signed, through the server, by the person whose block it is. So:

- the file is looked up by its SHA-256 among the files the server keeps (minutes, notices, poll reports and
  sheets): one of them, it names the document (what the file prints: kind, number, title) and its state;
- each signature is matched too: the file as it stood when that signature was made (the bytes its /ByteRange
  ends at) is a file the server issued with that block signed → signed through the server, by the person it
  recorded; otherwise the block's signer is who the server expects (its record, or the meeting's secretary /
  chair) and the certificate is compared with that person's certificate in the key store (keys/signers);
- a block signed with someone else's certificate, or one the key store does not know → `wrong_signer`; a file
  the server did not issue (signed elsewhere, re-signed, built on an issued file, or foreign) → `not_issued`,
  even when every signature verifies. Only an issued, fully signed file is `valid`;
- a block's certificate is compared with every certificate its person has held (ledger/certhistory.py), so a file
  signed before a renewal still names its signer, and a certificate that was never theirs is still `wrong_signer`;
- an issued file that a later one replaced (a corrected minutes version, the voter's later sheet, a notice returned
  to the secretariat) is `superseded`, with when, on the organisation's clock: issued, but not the current one.

Verdicts, worst first: modified, wrong_signer, not_issued, untrusted, superseded, incomplete, valid; not_signed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import DEFAULT_TIMEZONE, iso, local
from core.i18n import N_, Msg
from ledger.keystore import KeyStore
from minutes.issued import Block, Issued
from minutes.verify_job import Checked, SignedPart

VERDICTS = {
    "modified": N_("Tài liệu đã bị thay đổi sau khi ký: không còn giá trị như bản đã ký"),
    "wrong_signer": N_("Không hợp lệ: có ô ký không do người phải ký ký"),
    "not_issued": N_("Không phải văn bản do hệ thống phát hành"),
    "untrusted": N_("Nội dung còn nguyên vẹn nhưng người ký không được xác thực bởi cơ quan chứng thực tin cậy"),
    "valid": N_("Hợp lệ: văn bản do hệ thống phát hành, nội dung còn nguyên vẹn, mỗi ô ký do đúng người phải ký ký"),
    "superseded": N_("Văn bản do hệ thống phát hành nhưng đã được thay thế bằng bản sau: không còn là bản hiện hành"),
    "incomplete": N_("Văn bản do hệ thống phát hành nhưng chưa ký đủ: còn ô ký chưa ký"),
    "not_signed": N_("Tài liệu không có chữ ký số"),
}
KINDS = {
    "minutes": N_("Biên bản cuộc họp"),
    "notice": N_("Thông báo kết luận"),
    "poll_report": N_("Báo cáo tổng hợp ý kiến"),
    "poll_sheet": N_("Phiếu lấy ý kiến đã trả lời"),
}
STATES = {
    "unsigned": N_("bản chốt, chưa ký"),
    "partial": N_("đã ký một phần, còn ô ký chưa ký"),
    "complete": N_("đã ký đủ"),
}
NOT_ISSUED = N_(
    "Tệp không trùng với văn bản nào hệ thống đã phát hành (so mã băm SHA-256 với các bản hệ thống lưu): không phải "
    "văn bản do hệ thống phát hành."
)
BUILT_ON = N_(
    "Tệp được tạo từ {kind} số {number} do hệ thống phát hành, nhưng phần thêm vào sau đó không do hệ thống tạo ra."
)
SUPERSEDED = {
    "minutes": N_("Biên bản này đã được thay thế bằng bản đính chính lúc {time} ngày {date}."),
    "notice": N_("Bản thông báo này đã được trả lại để soạn lại lúc {time} ngày {date}; bản phát hành là bản sau."),
    "poll_sheet": N_("Phiếu này đã được người trả lời thay bằng phiếu trả lời sau lúc {time} ngày {date}."),
}
SUPERSEDED_ANY = N_("Văn bản này đã được thay thế bằng bản sau lúc {time} ngày {date}.")
CHECKS = {
    "issued": N_("Do {expected} ký trên hệ thống, đúng người phải ký ô “{block}”"),
    "expected_outside": N_(
        "Đúng chứng thư của {expected}, người phải ký ô “{block}”, nhưng chữ ký không được tạo trên hệ thống"
    ),
    "other_user": N_("Ô “{block}” phải do {expected} ký, nhưng được ký bằng chứng thư của người khác (“{signer}”)"),
    "unknown_certificate": N_(
        "Ô “{block}” phải do {expected} ký, nhưng được ký bằng chứng thư không cấp cho người dùng nào của hệ thống "
        "(“{signer}”)"
    ),
    "no_signer": N_("Ô “{block}” chưa có người được giao ký, nhưng đã có chữ ký của “{signer}”"),
    "unexpected_field": N_("Ô ký “{block}” không có trong văn bản do hệ thống phát hành"),
    "unknown_document": N_("Không xác định được người phải ký: tệp không phải văn bản do hệ thống phát hành"),
}
WRONG = {"other_user", "unknown_certificate", "no_signer"}
# The minutes' blocks by field name (minutes/pdf.py SLOT_FIELDS): what an empty one is called when the file is unknown.
SIGNATURE_BLOCKS = {"ThuKy": N_("Thư ký"), "ChuToa": N_("Chủ tọa")}
SIGNATURE_KEYS = (
    "field_name",
    "signer_name",
    "signer_subject",
    "issuer",
    "intact",
    "valid",
    "trusted",
    "certification",
    "covers_whole_document",
    "modified_after_signing",
    "ok",
    "problems",
    "summary",
)


def certificate_owners(store: KeyStore) -> dict[str, str]:
    """SHA-256 of each certificate a signer holds or held (DER) → that user's name (keys/signers/<user>.pem and its
    history): a renewal leaves the files signed before it their signer's. A certificate is issued to one person; were
    one ever stored for two, the current holder's claim wins over a past one."""
    owners: dict[str, str] = {}
    for held in sorted(store.held(), key=lambda h: h.replaced_at is None):  # current ones last: they win
        owners[held.sha256] = held.user_id
    return owners


def _base(checked: Checked, found: dict[str, Issued]) -> Issued | None:
    """The issued file the upload is, or else the latest issued state it begins with."""
    if checked.sha256 in found:
        return found[checked.sha256]
    return next((found[h] for _, h in reversed(checked.prefixes) if h in found), None)


def _check(
    part: SignedPart, signer: str, base: Issued | None, found: dict[str, Issued], owners: dict[str, str]
) -> tuple[str, Block | None, Msg]:
    """(code, the block the signature fills or None, the sentence) for one signature."""
    made = found.get(part.sha256 or "")
    there = made.block(part.field_name) if made else None
    if there is not None and there.signed and made is not None and base is not None and made.document == base.document:
        return "issued", there, Msg(CHECKS["issued"].key, expected=there.name, block=there.label)
    if base is None:
        return "unknown_document", None, CHECKS["unknown_document"]
    block = base.block(part.field_name)
    if block is None:
        return "unexpected_field", None, Msg(CHECKS["unexpected_field"].key, block=part.field_name)
    owner = owners.get(part.certificate or "")
    if block.username is None:
        code = "no_signer"
    elif owner is not None and owner == block.username:
        code = "expected_outside"
    else:
        code = "other_user" if owner is not None else "unknown_certificate"
    return code, block, Msg(CHECKS[code].key, expected=block.name, block=block.label, signer=signer)


def _block(block: Block | None) -> dict[str, Any] | None:
    if block is None:
        return None
    return {"field": block.field, "role": block.role, "label": block.label, "expected_signer": block.name or None}


def _when(at: datetime, tz: str) -> dict[str, str]:
    moment = local(at, tz)
    return {"time": moment.strftime("%H:%M"), "date": moment.strftime("%d/%m/%Y")}


def _document(issued: Issued | None, exact: bool) -> dict[str, Any] | None:
    if issued is None:
        return None
    return {
        "kind": issued.kind,
        "kind_label": KINDS[issued.kind],
        "number": issued.number,
        "title": issued.title,
        "state": issued.state,
        "state_label": STATES[issued.state],
        "exact": exact,  # False: the file begins with this issued one and has more after it
        "superseded_at": iso(issued.superseded_at),  # a later file replaced it (None: current)
    }


def _verdict(crypto: str, codes: list[str], exact: Issued | None, unsigned: list[str]) -> str:
    if crypto in ("modified", "not_signed"):
        return crypto
    if WRONG & set(codes):
        return "wrong_signer"
    if exact is None or any(c != "issued" for c in codes):
        return "not_issued"
    if crypto == "untrusted":
        return "untrusted"
    if exact.superseded_at is not None:
        return "superseded"
    return "incomplete" if exact.state != "complete" or unsigned else "valid"


def judge(
    checked: Checked, found: dict[str, Issued], owners: dict[str, str], tz: str = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """The answer of /api/minutes/verify (Msg values in it: the route answers them in the caller's language); dates
    on the organisation's clock `tz`."""
    report = checked.report
    exact = found.get(checked.sha256)
    base = _base(checked, found)
    signatures, codes, reasons = [], [], []
    for sig, part in zip(report.signatures, checked.parts):
        code, block, sentence = _check(part, sig.signer_name, base, found, owners)
        codes.append(code)
        if code in WRONG:
            reasons.append(sentence)
        signatures.append(
            {k: getattr(sig, k) for k in SIGNATURE_KEYS}
            | {
                "signing_time": iso(sig.signing_time),
                "block": _block(block),
                "by_system": code == "issued",
                "signer_check": code,
                "signer_matches": None if block is None else code in ("issued", "expected_outside"),
                "signer_summary": sentence,
            }
        )
    verdict = _verdict(report.verdict, codes, exact, report.unsigned_fields)
    if exact is None and report.signatures:
        reasons.append(NOT_ISSUED)
        if base is not None:
            reasons.append(Msg(BUILT_ON.key, kind=KINDS[base.kind], number=base.number or "—"))
    if exact is not None and exact.superseded_at is not None:
        reasons.append(Msg(SUPERSEDED.get(exact.kind, SUPERSEDED_ANY).key, **_when(exact.superseded_at, tz)))
    labels = {b.field: b.label for b in base.blocks} if base else {}
    return {
        "ok": verdict == "valid",
        "verdict": verdict,
        "summary": VERDICTS[verdict],
        "sha256": checked.sha256,
        "issued": exact is not None,
        "document": _document(base, exact is not None),
        "reasons": reasons,
        "signatures": signatures,
        "unsigned_fields": [
            {"name": n, "label": labels.get(n) or SIGNATURE_BLOCKS.get(n, n)} for n in report.unsigned_fields
        ],
    }
