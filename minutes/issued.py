"""The files this server issued, found by their SHA-256: the public check (/api/minutes/verify, minutes/verdict.py)
says whether an upload is one of them, which document it is, and who had to sign each of its signature blocks.

Each domain that keeps signed files registers a lookup (app/domains.py): the minutes (minutes_file: the frozen PDF,
then as signed by the secretary, then by the chair), the conclusion notices (notices/issued.py), the polls' summary
reports and signed answer sheets (polls/issued.py). A lookup answers only what the file prints itself (its kind,
number, title, and the name printed at each signature block): the check is public, and whoever uploads a file holds
it already. Read-only; no actor (anyone may check a file)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from accounts.models import User
from core.i18n import N_
from minutes import builder, register
from minutes.models import MinutesFile, MinutesVersion
from minutes.replaced import ReplacedFile
from minutes.services import signer_rows

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_HASHES = 200  # the job answers the whole file, each signature's part and at most 128 revision ends


@dataclass(frozen=True)
class Block:
    """A signature block of an issued document: the field the server created, whose it is, and whether the server
    signed it in this very file."""

    field: str  # the PDF's signature field ("ThuKy", "ChuToa", ...)
    role: str  # "secretary" | "chair" | "office" | "voter" | "issuer"
    label: str  # the block as the document prints it ("Thư ký", "Chủ tọa", ...)
    user_id: int | None  # who signs it (who signed it, once signed); None: nobody designated
    username: str | None  # the key store's name of that user's certificate
    name: str  # that user's name, printed at the block
    signed: bool  # the server signed this block in this file


@dataclass(frozen=True)
class Issued:
    """One file the server issued: the document it is a state of, and its signature blocks."""

    sha256: str
    kind: str  # "minutes" | "notice" | "poll_report" | "poll_sheet"
    document: str  # which document ("minutes:<meeting>:<version>"): the states of one document share it
    number: str | None  # the register's number as printed ("01/BB-CP"), if it has one
    title: str  # as printed
    state: str  # "unsigned" | "partial" (a block still to sign) | "complete"
    blocks: tuple[Block, ...]
    # when a later file replaced this one (a correction of the minutes, the voter's later sheet, a notice returned
    # to the secretariat): issued, but no longer the current one
    superseded_at: datetime | None = None

    def block(self, field: str) -> Block | None:
        return next((b for b in self.blocks if b.field == field), None)


Lookup = Callable[[Session, frozenset[str]], Iterable[Issued]]
_LOOKUPS: dict[str, Lookup] = {}


def on_lookup(name: str, lookup: Lookup) -> None:
    """`lookup(session, hashes)`: the issued files among `hashes` (registered from app/domains.py)."""
    _LOOKUPS[name] = lookup


def find(*, session: Session, hashes: list[str]) -> dict[str, Issued]:
    """The files the server issued among `hashes` (SHA-256, lowercase hex), by SHA-256."""
    wanted = frozenset(h for h in hashes[:MAX_HASHES] if SHA256.match(h))
    out: dict[str, Issued] = {}
    if wanted:
        for lookup in _LOOKUPS.values():
            out.update((i.sha256, i) for i in lookup(session, wanted))
    return out


def replaced(session: Session, kind: str, hashes: frozenset[str]) -> list[ReplacedFile]:
    """The `kind` files among `hashes` that were issued and later replaced (minutes/replaced.py)."""
    wanted = col(ReplacedFile.sha256).in_(sorted(hashes))
    return list(session.exec(select(ReplacedFile).where(wanted, ReplacedFile.kind == kind)).all())


def person(session: Session, user_id: int | None) -> tuple[str | None, str]:
    """(username, full name) of a signer; (None, "") for nobody."""
    user = session.get(User, user_id) if user_id is not None else None
    return (user.username, user.full_name) if user else (None, "")


def block(session: Session, field: str, role: str, label: str, user_id: int | None, signed: bool) -> Block:
    username, name = person(session, user_id)
    return Block(field, role, label, user_id if username else None, username, name, signed)


# minutes/pdf.py SLOT_FIELDS, the steps of minutes/signoff.py: who signed, and what the file holds at each step
_STEPS = {"final": 0, "secretary": 1, "chair": 2}
_BLOCKS = (("ThuKy", "secretary", N_("Thư ký")), ("ChuToa", "chair", N_("Chủ tọa")))


def _subject(version: MinutesVersion) -> str:
    """The meeting's name as the version froze it (the 'subject' section), as printed."""
    try:
        sections = json.loads(version.content or "[]")
        return next((str(s.get("text", "")) for s in sections if s.get("key") == "subject"), "")
    except (ValueError, AttributeError, TypeError):
        return ""


def minutes_files(session: Session, hashes: frozenset[str]) -> list[Issued]:
    """The minutes' PDFs among `hashes`: frozen (unsigned), signed by the secretary (partial), by both (complete).
    Each block's signer is who signed it, or who signs it now (the meeting's secretary, its chair)."""
    rows = session.exec(
        select(MinutesFile.sha256, MinutesFile.step, MinutesFile.version_id).where(
            col(MinutesFile.sha256).in_(sorted(hashes)), col(MinutesFile.step).in_(tuple(_STEPS))
        )
    ).all()
    out = []
    for sha, step, version_id in rows:
        v = session.get(MinutesVersion, version_id)
        if v is None:
            continue
        expected = signer_rows(session, v.meeting_id)
        done = _STEPS[step]
        blocks = tuple(
            block(
                session,
                field,
                role,
                label,
                getattr(v, f"{role}_id") or (expected[role] or (None, ""))[0],
                done > i,
            )
            for i, (field, role, label) in enumerate(_BLOCKS)
        )
        entry = register.number_of(session, v)
        out.append(
            Issued(
                sha256=sha,
                kind="minutes",
                document=f"minutes:{v.meeting_id}:{v.version}",
                number=builder.number_code(entry.number) if entry else None,
                title=_subject(v),
                state=("unsigned", "partial", "complete")[done],
                blocks=blocks,
                superseded_at=v.superseded_at,
            )
        )
    return out
