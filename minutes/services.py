"""Minutes (biên bản) operations. Each: permission check -> state guard -> write -> event (sent after commit).

Lifecycle: a draft (generated from the stored events + the secretariat's section edits, edited by the
secretariat only) -> finalise (version n frozen, its PDF stored) -> signed by the secretary -> signed by the
chair (complete: every participant is told and may download it). Frozen minutes are read-only; a correction
is a new version (the old one is superseded, its signed files kept) that starts from the same edits.
The two signing turns are minutes/signoff.py.

Numbers: minutes/register.py (given at finalisation, kept by a correction of unsigned minutes). Times: every
function that renders takes `tz`, the organisation's zone (ECABINET_TIMEZONE), from the route.

Who reads what: the draft, the DOCX and unsigned versions: the secretariat, the meeting's secretary and chair.
The signed minutes: also every participant (invited) of the meeting. Nobody else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from core.clock import DEFAULT_TIMEZONE, iso, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import N_
from core.text import nfc
from meetings.access import Access, access, require_manage
from meetings.models import Meeting, MeetingRole, MeetingState, Participant
from meetings.services import emit, require_state
from minutes import builder, facts, register
from minutes.docx import render_docx
from minutes.fileinfo import FileInfo
from minutes.frozen import frozen_sections, require_results
from minutes.models import MinutesEdit, MinutesFile, MinutesState, MinutesVersion
from minutes.pdf import render_pdf

Zone = str | tzinfo  # the organisation's time zone (Settings.timezone); routes always pass it

MAX_SECTION_CHARS = 50_000


class MinutesFrozen(Conflict):
    code = "minutes_frozen"


# --- state --------------------------------------------------------------------------------------------


def versions(session: Session, meeting_id: int) -> list[MinutesVersion]:
    return list(
        session.exec(
            select(MinutesVersion).where(MinutesVersion.meeting_id == meeting_id).order_by(col(MinutesVersion.version))
        )
    )


def open_version(session: Session, meeting_id: int) -> MinutesVersion | None:
    """The frozen version not superseded (None while a draft is open)."""
    rows = versions(session, meeting_id)
    return rows[-1] if rows and rows[-1].superseded_at is None else None


def require_draft(session: Session, meeting_id: int, action: str) -> None:
    v = open_version(session, meeting_id)
    if v is not None:
        message = (
            "Không thể {action}: biên bản phiên bản {version} đã chốt; muốn sửa hãy tạo phiên bản mới."
            if v.state == MinutesState.final
            else "Không thể {action}: biên bản phiên bản {version} đã chốt và đã ký; muốn sửa hãy tạo phiên bản mới."
        )
        raise MinutesFrozen(
            message,
            action=N_(action),
            version=v.version,
            details={"version": v.version, "state": MinutesState(v.state).value},
        )


def _names(session: Session, ids: list[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    return {u.id: u.full_name for u in session.exec(select(User).where(col(User.id).in_(wanted)))} if wanted else {}


def signer_rows(session: Session, meeting_id: int) -> dict[str, tuple[int, str] | None]:
    rows = session.exec(
        select(Participant.role, User.id, User.full_name)
        .join(User, col(User.id) == Participant.user_id)
        .where(
            Participant.meeting_id == meeting_id,
            Participant.role.in_((MeetingRole.secretary, MeetingRole.chair)),  # type: ignore[attr-defined]
        )
        .order_by(col(Participant.id))
    ).all()
    out: dict[str, tuple[int, str] | None] = {"secretary": None, "chair": None}
    for role, uid, name in rows:
        assert uid is not None  # a stored user's id
        key = MeetingRole(role).value
        out[key] = out[key] or (uid, name)
    return out


def minutes_slice(session: Session, meeting: Meeting) -> dict[str, Any]:
    """The viewer-independent "minutes" status slice: state, version, signers; no text."""
    assert meeting.id is not None
    rows = versions(session, meeting.id)
    current = rows[-1] if rows and rows[-1].superseded_at is None else None
    complete = [v for v in rows if v.state == MinutesState.signed]
    expected = signer_rows(session, meeting.id)
    names = _names(session, [current.secretary_id, current.chair_id] if current else [])
    signers = []
    for role in ("secretary", "chair"):
        at = getattr(current, f"{role}_signed_at") if current else None
        uid = getattr(current, f"{role}_id") if current and at else (expected[role] or (None, ""))[0]
        name = names.get(uid) if current and at else (expected[role] or (None, ""))[1]
        signers.append({"role": role, "user_id": uid, "full_name": name, "signed_at": iso(at)})
    last = complete[-1].version if complete else None
    entry = register.number_of(session, current) if current else None
    return {
        "state": MinutesState(current.state).value if current else "draft",
        "version": current.version if current else None,
        "number": builder.number_code(entry.number) if entry else None,
        "signed_version": last,
        "download_url": f"/api/meetings/{meeting.id}/minutes.pdf" + (f"?version={last}" if last else "")
        if last
        else None,
        "signers": signers,
    }


# --- the draft ----------------------------------------------------------------------------------------


def build_draft(session: Session, meeting_id: int, tz: Zone = DEFAULT_TIMEZONE) -> builder.Draft:
    return builder.build(facts.gather(session, meeting_id), facts.edits_of(session, meeting_id), tz=tz)


def _rendering(
    session: Session, meeting_id: int, tz: Zone, version: MinutesVersion | None
) -> tuple[builder.Draft, FileInfo]:
    """What a file of the minutes says and its properties: a version carries its register number and is dated
    at its finalisation; a draft is dated at the end of the meeting (so drafts, too, regenerate identically)."""
    f = facts.gather(session, meeting_id)
    entry = register.number_of(session, version) if version else None
    draft = builder.build(
        f,
        facts.edits_of(session, meeting_id),
        tz=tz,
        number=entry.number if entry else None,
        dated=entry.allocated_at if entry else None,  # the number's date: the date line (minutes/register.py)
    )
    created = version.finalised_at if version else f.ended_at
    doc = draft.doc
    return draft, FileInfo(title=nfc(f"Biên bản {doc.subject}"), subject=nfc(doc.subject), created=created, tz=tz)


def _reader(session: Session, actor: Actor, meeting_id: int) -> Access:
    acc = access(session, actor, meeting_id)
    if not acc.can_conduct:
        raise Forbidden("Chỉ Văn phòng, thư ký và chủ tọa cuộc họp được xem dự thảo biên bản.")
    return acc


def get_draft(*, session: Session, actor: Actor, meeting_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """The draft as it would be generated now; while a version is finalised, that version's text as frozen (what
    its files say and what is signed), not today's data."""
    acc = _reader(session, actor, meeting_id)
    current = open_version(session, meeting_id)
    draft, _ = _rendering(session, meeting_id, tz, current)  # frozen: with its number
    sections = draft.as_dict()["sections"]
    if current is not None and current.content:
        sections = frozen_sections(current, {s["key"]: s for s in sections})
    return {
        "meeting_id": meeting_id,
        "can_edit": acc.can_manage,
        "frozen_version": current.version if current else None,
        "sections": sections,
        "minutes": minutes_slice(session, acc.meeting),
    }


def _plain(text: str) -> str:
    """A section's text as an edit stores it (NFC, one kind of line break, no edge spaces): compared, not shown."""
    return nfc(text).replace("\r\n", "\n").replace("\r", "\n").strip()


def edit_section(
    *,
    session: Session,
    actor: Actor,
    meeting_id: int,
    key: str,
    text: str | None,
    tz: Zone = DEFAULT_TIMEZONE,
    base: str | None = None,
) -> dict[str, Any]:
    """The secretariat's text for one section; text=None goes back to the generated text. `base`: the text the
    editor started from; if another's edit changed the section meanwhile, 409 (their edit is not lost)."""
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_draft(session, meeting_id, "sửa biên bản")
    draft = build_draft(session, meeting_id, tz)
    if key not in builder.section_keys(draft):
        raise NotFound("Biên bản không có mục “{key}” được phép sửa.", key=key)
    current = draft.section(key)
    if base is not None and _plain(base) != _plain(current.effective):
        raise Conflict(
            "Mục “{label}” vừa được người khác sửa; hãy xem nội dung mới rồi sửa tiếp.",
            label=current.label,
            details={"key": key, "effective": current.effective},
        )
    row = session.get(MinutesEdit, (meeting_id, key))
    if text is None:
        if row is not None:
            session.delete(row)
    else:
        text = nfc(text)
        if len(text) > MAX_SECTION_CHARS:
            raise ValidationFailed(
                "Mục biên bản dài quá {MAX_SECTION_CHARS} ký tự.",
                MAX_SECTION_CHARS=MAX_SECTION_CHARS,
                details=[{"field": "text", "message": N_("quá dài")}],
            )
        if row is not None and row.text == text:
            return draft.section(key).as_dict()
        row = row or MinutesEdit(meeting_id=meeting_id, section_key=key)
        row.text, row.updated_by, row.updated_at = text, actor.id, utcnow()
        session.add(row)
    session.flush()
    emit(session, acc, "minutes.section_edited", key=key)  # no text: the draft is staff-only
    return build_draft(session, meeting_id, tz).section(key).as_dict()


# --- files --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileOut:
    data: bytes
    filename: str
    media_type: str


def _slug(meeting_id: int, version: int | None, suffix: str) -> str:
    return f"bien-ban-cuoc-hop-{meeting_id}" + (f"-v{version}" if version else "-du-thao") + suffix


def _stored(session: Session, version: MinutesVersion, step: str) -> MinutesFile | None:
    return session.exec(
        select(MinutesFile).where(MinutesFile.version_id == version.id, MinutesFile.step == step)
    ).first()


def latest_file(session: Session, version: MinutesVersion) -> MinutesFile:
    files = {f.step: f for f in session.exec(select(MinutesFile).where(MinutesFile.version_id == version.id))}
    return files.get("chair") or files.get("secretary") or files["final"]


def get_pdf(
    *,
    session: Session,
    actor: Actor,
    meeting_id: int,
    draft: bool = False,
    version: int | None = None,
    tz: Zone = DEFAULT_TIMEZONE,
) -> FileOut:
    """Staff/secretary/chair: the open version's latest file (or the draft when none is open or draft=True).
    Participants: the signed minutes (the latest, or `version`)."""
    acc = access(session, actor, meeting_id)
    if actor.is_display:
        raise Forbidden("Màn hình phòng họp không tải biên bản.")
    rows = versions(session, meeting_id)
    if version is not None:
        chosen = next((v for v in rows if v.version == version), None)
        if chosen is None:
            raise NotFound("Không có biên bản phiên bản {version} của cuộc họp này.", version=version)
        if chosen.state != MinutesState.signed and not acc.can_conduct:
            raise Forbidden("Biên bản phiên bản này chưa được ký; chỉ Văn phòng, thư ký và chủ tọa được xem.")
        return FileOut(latest_file(session, chosen).data, _slug(meeting_id, chosen.version, ".pdf"), "application/pdf")
    if acc.can_conduct:
        current = None if draft else open_version(session, meeting_id)
        if current is None:
            draft_, info = _rendering(session, meeting_id, tz, None)
            pdf = render_pdf(draft_.doc, info)
            return FileOut(pdf, _slug(meeting_id, None, ".pdf"), "application/pdf")
        return FileOut(
            latest_file(session, current).data, _slug(meeting_id, current.version, ".pdf"), "application/pdf"
        )
    signed = [v for v in rows if v.state == MinutesState.signed]
    if not signed:
        raise Forbidden("Biên bản cuộc họp chưa được ký; thành viên chỉ xem biên bản đã ký.")
    return FileOut(
        latest_file(session, signed[-1]).data, _slug(meeting_id, signed[-1].version, ".pdf"), "application/pdf"
    )


def get_docx(*, session: Session, actor: Actor, meeting_id: int, tz: Zone = DEFAULT_TIMEZONE) -> FileOut:
    _reader(session, actor, meeting_id)
    current = open_version(session, meeting_id)
    frozen = _stored(session, current, "docx") if current else None
    if frozen is not None:  # a finalised version: the text frozen with it, not today's data
        data = frozen.data
    else:  # the draft (or a version finalised before its DOCX was kept)
        draft, info = _rendering(session, meeting_id, tz, current)
        data = render_docx(draft.doc, info)
    return FileOut(
        data,
        _slug(meeting_id, current.version if current else None, ".docx"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


def store_file(session: Session, version: MinutesVersion, step: str, data: bytes) -> MinutesFile:
    assert version.id is not None
    row = MinutesFile(
        version_id=version.id, step=step, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), data=data
    )
    session.add(row)
    return row


# --- finalise, correct --------------------------------------------------------------------------------


def finalise(*, session: Session, actor: Actor, meeting_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """Freezes version n with its register number (minutes/register.py) and its PDF, in one transaction."""
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_state(acc.meeting, (MeetingState.ended,), "chốt biên bản của")
    require_draft(session, meeting_id, "chốt biên bản")
    signers = signer_rows(session, meeting_id)
    if signers["secretary"] is None or signers["chair"] is None:
        raise Conflict("Không thể chốt biên bản: cuộc họp phải có thư ký và chủ tọa để ký.")
    require_results(session, meeting_id)
    rows = versions(session, meeting_id)
    now = utcnow()
    v = MinutesVersion(
        meeting_id=meeting_id, version=(rows[-1].version if rows else 0) + 1, finalised_by=actor.id, finalised_at=now
    )
    v.number_id = (
        register.kept_number(rows[-1] if rows else None)
        or register.allocate(session, meeting_id=meeting_id, version=v.version, at=now, tz=tz, actor_id=actor.id).id
    )
    draft, info = _rendering(session, meeting_id, tz, v)
    v.content = json.dumps(
        [{"key": s.key, "label": s.label, "text": s.effective} for s in draft.sections], ensure_ascii=False
    )
    session.add(v)
    session.flush()
    store_file(session, v, "final", render_pdf(draft.doc, info))
    store_file(session, v, "docx", render_docx(draft.doc, info))  # the same frozen text, for its editors
    session.flush()
    status = minutes_slice(session, acc.meeting)
    emit(session, acc, "minutes.finalised", version=v.version, minutes=status)
    return status


def new_version(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """A correction: the open version is superseded (its files kept) and a new draft opens with the same edits."""
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    current = open_version(session, meeting_id)
    if current is None:
        raise Conflict("Biên bản đang là dự thảo; chưa có phiên bản nào để thay thế.")
    current.superseded_at, current.superseded_by = utcnow(), actor.id
    session.add(current)
    session.flush()
    status = minutes_slice(session, acc.meeting)
    emit(session, acc, "minutes.reopened", superseded_version=current.version, minutes=status)
    return status


def list_versions(*, session: Session, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    acc = access(session, actor, meeting_id)
    rows = versions(session, meeting_id)
    if not acc.can_conduct:
        rows = [v for v in rows if v.state == MinutesState.signed]
    return [
        {
            "version": v.version,
            "state": MinutesState(v.state).value,
            "finalised_at": iso(v.finalised_at),
            "number": builder.number_code(n.number) if (n := register.number_of(session, v)) else None,
            "secretary_signed_at": iso(v.secretary_signed_at),
            "chair_signed_at": iso(v.chair_signed_at),
            "superseded": v.superseded_at is not None,
            "download_url": f"/api/meetings/{meeting_id}/minutes.pdf?version={v.version}",
        }
        for v in rows
    ]
