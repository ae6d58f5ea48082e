"""Request and answer shapes of the conclusions and minutes API (validated at the edge, documented in OpenAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.types import Flag, Id, Int, MAX_ID, Para, Secret


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConclusionSave(_In):
    text: Para = Field(max_length=20_000)
    base_revision: Int(0, MAX_ID) = Field(  # type: ignore[valid-type]
        description="the revision the text was edited from; a stale one answers 409",
    )


class ConclusionPublish(_In):
    published: Flag = True


class ConclusionPublic(BaseModel):
    agenda_item_id: int
    text: str
    revision: int
    published: bool
    published_revision: int | None
    published_text: str | None
    published_at: str | None
    updated_at: str | None
    updated_by: int | None


class SectionEdit(_In):
    text: Para | None = Field(default=None, max_length=50_000, description="null = back to the generated text")
    # The section's text the editor started from: when another's edit changed it meanwhile, the edit is refused (409),
    # not written over theirs. Absent: not checked.
    base: Para | None = Field(default=None, max_length=50_000)


class SectionPublic(BaseModel):
    key: str
    label: str
    generated: str
    edited: str | None
    effective: str
    editable: bool
    multiline: bool


class SignerStatus(BaseModel):
    role: str
    user_id: int | None
    full_name: str | None
    signed_at: str | None


class MinutesStatus(BaseModel):
    state: str
    version: int | None
    number: str | None = Field(description="số/ký hiệu from the register once finalised, e.g. '07/BB-CP'")
    signed_version: int | None
    download_url: str | None
    signers: list[SignerStatus]


class MinutesDraft(BaseModel):
    meeting_id: int
    can_edit: bool
    frozen_version: int | None = Field(
        description="while a version is finalised: its number; the sections are then its text as frozen, read-only"
    )
    sections: list[SectionPublic]
    minutes: MinutesStatus


class MinutesVersionPublic(BaseModel):
    version: int
    state: str
    number: str | None  # from the register, e.g. "07/BB-CP"
    finalised_at: str | None
    secretary_signed_at: str | None
    chair_signed_at: str | None
    superseded: bool
    download_url: str


class SignRequest(_In):
    password: Secret = Field(min_length=1, max_length=200)
    # The version the signer was shown (its text is frozen at finalisation): another one is refused, not signed.
    version: Id


class VerifyUpload(_In):
    file: bytes = Field(description="the PDF (multipart field 'file'; a raw application/pdf body works too)")


class SignatureBlock(BaseModel):
    field: str  # the PDF's signature field the server created ("ThuKy", "ChuToa", "VanPhongChinhPhu", ...)
    role: str  # "secretary" | "chair" | "office" | "voter" | "issuer"
    label: str  # the block as the document prints it ("Thư ký", "Chủ tọa", ...)
    expected_signer: str | None  # who had to sign it (the name printed at the block)


class SignatureCheck(BaseModel):
    field_name: str
    signer_name: str
    signer_subject: str
    issuer: str
    signing_time: str | None
    intact: bool
    valid: bool
    trusted: bool
    certification: bool
    covers_whole_document: bool
    modified_after_signing: bool
    ok: bool
    problems: list[str]
    summary: str
    block: SignatureBlock | None  # the block this signature fills, when the file is (built on) an issued one
    by_system: bool  # signed through this server, in a file it issued
    # issued | expected_outside (the right person's certificate, signed elsewhere) | other_user | unknown_certificate
    # | no_signer | unexpected_field | unknown_document
    signer_check: str
    signer_matches: bool | None  # the certificate is the block's signer's (None: no block known)
    signer_summary: str


class UnsignedField(BaseModel):
    name: str  # the PDF's signature field ("ThuKy", "ChuToa")
    label: str  # what the signature block is ("Thư ký", "Chủ tọa")


class IssuedDocument(BaseModel):
    kind: Literal["minutes", "notice", "poll_report", "poll_sheet"]
    kind_label: str
    number: str | None  # as printed ("01/BB-CP")
    title: str  # as printed
    state: Literal["unsigned", "partial", "complete"]
    state_label: str
    exact: bool  # the file is this issued one; False: it begins with it and has more after it
    superseded_at: str | None = None  # a later file replaced this one then (a correction, the voter's later sheet)


class VerifyReport(BaseModel):
    ok: bool
    # one verdict per file, worst first; "incomplete": issued, a signature block still empty; "not_issued": not a
    # file this server issued (even if its signatures verify); "wrong_signer": a block signed by someone else
    # "superseded": issued, then replaced by a later file (document.superseded_at)
    verdict: Literal[
        "valid", "incomplete", "superseded", "modified", "wrong_signer", "not_issued", "untrusted", "not_signed"
    ]
    summary: str
    sha256: str
    issued: bool  # the file is exactly one this server issued (its SHA-256)
    document: IssuedDocument | None  # which (only what the file prints)
    reasons: list[str]  # why it is not valid, in words
    signatures: list[SignatureCheck]
    unsigned_fields: list[UnsignedField]
