"""A trustee key sealed with the account password follows it (accounts/hooks.py, registered in app/domains.py).

A key made on the trustee's tablet and sealed with a trustee passphrase (`sealing` = passphrase, spec §7) has
nothing to do with the account password: a change leaves it as it is (no re-seal: the server could not) and an
administrator's reset does not lose it; the holder keeps decrypting with their passphrase. What follows is about
legacy keys (`account_password`), whose secret half is sealed with the account password. When the holder changes their
password they type the current one: the key is opened with it and sealed again with the new one (FOLLOWER, the
three steps of accounts/hooks.py: the seal read, opened and re-sealed in a worker thread with no transaction open,
then stored by the password change's write if it is still the one read, else 409 and nothing changes), so nothing
changes for their votes. When an administrator resets the password the old one is
unknown and the seal cannot follow: the key is marked lost (it still opens with the password before the reset,
should the holder remember it), the holder is told to create a new key (GET /api/me/trustee-key: lost), and the
administrator is told in the PATCH answer which votes wait for that holder's share and which meetings' key
ceremonies name them (the other two holders can still decrypt; a ceremony must be run again for new votes).
A reset is not refused: a member who forgot their password must be able to sign in to the meeting, and their key
is lost either way; the threshold (2 of 3) is what covers one lost key.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from accounts.hooks import PasswordFollower
from core.clock import utcnow
from core.errors import Forbidden, ValidationFailed
from meetings.models import Meeting, MeetingState
from votes.ballot import trustee_keys
from votes.models import KeyCeremony, Sealing, TrusteeKey, TrusteeShare, Vote, VoteState


def sealed_now(session: Session, user_id: int) -> str | None:
    """The seal that follows the account password: a live legacy key's (None: no key, a passphrase key, a lost one)."""
    row = session.get(TrusteeKey, user_id)
    if row is None or row.lost_at is not None or row.sealing == Sealing.passphrase:
        return None
    return row.sealed


def reseal(sealed: str, user_id: int, old: str, new: str) -> str | None:
    """The legacy key opened with the old password and sealed with the new one: two argon2id derivations, in a
    worker thread outside any transaction. None when the old password does not open it (sealed with another
    already: as lost as after a reset)."""
    try:
        secret = trustee_keys.unseal_secret(sealed, user_id, old)
    except (Forbidden, ValidationFailed):
        return None
    return trustee_keys.seal_secret(secret, user_id, new)


def store_resealed(session: Session, user_id: int, resealed: str | None) -> None:
    """In the password change's write (the seal still the one `reseal` opened: accounts/hooks.py checks)."""
    row = session.get(TrusteeKey, user_id)
    assert row is not None  # sealed_now found it in this transaction
    if resealed is None:
        row.lost_at = utcnow()
    else:
        row.sealed = resealed
    session.add(row)


def password_reset(session: Session, user_id: int) -> dict[str, Any] | None:
    """An administrator's reset: the old password is unknown, the legacy key cannot follow and is marked lost."""
    if sealed_now(session, user_id) is None:
        return None
    row = session.get(TrusteeKey, user_id)
    assert row is not None
    row.lost_at = utcnow()
    session.add(row)
    return {"trustee_key_lost": {"user_id": user_id, **waiting_for(session, user_id)}}


FOLLOWER = PasswordFollower(read=sealed_now, reseal=reseal, store=store_resealed, reset=password_reset)


def waiting_for(session: Session, user_id: int) -> dict[str, list[int]]:
    """The secret votes not yet decrypted that hold a share for this user, and the key ceremonies of meetings not
    over that name them."""
    rows = session.exec(
        select(Vote, TrusteeShare)
        .join(TrusteeShare, col(TrusteeShare.vote_id) == Vote.id)
        .where(TrusteeShare.user_id == user_id, col(Vote.state).in_([VoteState.open, VoteState.closed]))
        .order_by(col(Vote.id))
    ).all()
    # (a JSON column stores None as JSON null, not SQL NULL: filtered here)
    votes = [v.id for v, share in rows if v.id is not None and v.result is None and share.partial is None]
    ceremonies = session.exec(
        select(KeyCeremony)
        .join(Meeting, col(Meeting.id) == KeyCeremony.meeting_id)
        .where(Meeting.state != MeetingState.ended)
        .order_by(col(KeyCeremony.id))
    ).all()
    return {
        "pending_votes": votes,
        "ceremonies": [
            c.id for c in ceremonies if c.id is not None and any(t["user_id"] == user_id for t in c.trustees)
        ],
    }
