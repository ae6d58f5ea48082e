"""Helpers for the votes tests: a started meeting with everyone present and votes in a chosen state."""

from __future__ import annotations

from typing import Any

from core.actor import Actor
from app.db import Database
from meetings import participation
from meetings.models import Attendance
from meetings.schemas import CheckInRequest, ParticipantUpdate
from tests.factories import Cabinet, call, make_cabinet
from votes import services
from votes import secret as secret_votes
from votes.models import VoteKind, VoteRule
from votes.schemas import VoteCreate


def check_in(db: Database, c: Cabinet, actors: list[Actor]) -> None:
    for actor in actors:
        call(db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())


def set_attendance(db: Database, c: Cabinet, actor: Actor, attendance: Attendance, **extra: Any) -> None:
    data = ParticipantUpdate(attendance=attendance, **extra)
    call(db, participation.update, actor=c.staff, meeting_id=c.meeting_id, user_id=actor.id, data=data)


def present_cabinet(db: Database, n_members: int = 5) -> Cabinet:
    """Started, chair and every member checked in (quorum reached)."""
    c = make_cabinet(db, n_members=n_members, start=True)
    check_in(db, c, [c.chair, *c.members])
    return c


def new_vote(
    db: Database,
    c: Cabinet,
    *,
    kind: VoteKind = VoteKind.open,
    rule: VoteRule = VoteRule.all_members,
    state: str = "draft",
) -> dict[str, Any]:
    vote = call(
        db,
        services.create_vote,
        actor=c.secretary,
        meeting_id=c.meeting_id,
        data=VoteCreate(
            agenda_item_id=c.item_ids[0], question="Thông qua dự toán ngân sách năm 2027?", kind=kind, rule=rule
        ),
    )
    if kind == VoteKind.secret and state != "draft":
        ensure_ceremony(db, c)
    if state in ("open", "closed", "published"):
        vote = call(db, services.open_vote, actor=c.chair, vote_id=vote["id"])
    if state in ("closed", "published"):
        vote = call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
        if kind == VoteKind.secret:
            vote = decrypt(db, c, vote)
    if state == "published":
        vote = call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])
    return vote


def option(vote: dict[str, Any], kind: str) -> int:
    return next(o["id"] for o in vote["options"] if o["kind"] == kind)


def enrol_trustees(db: Database, c: Cabinet) -> None:
    """The default key holders of a secret vote (chair, secretary, first member) create their trustee keys."""
    from tests.factories import PASSWORD

    for actor in (c.chair, c.secretary, c.members[0]):
        enrol_legacy(db, actor, PASSWORD)


def enrol_legacy(db: Database, actor: Actor, password: str) -> dict[str, Any]:
    """A legacy trustee key (made by the server, sealed with the password), in the route's three steps
    (votes/trustee_routes.py): refusals read first, the password checked and the key made outside any
    transaction (counted there), then stored. Forbidden for a wrong password."""
    from votes.ballot import enrolment

    stored = db.run_read(enrolment.enrol_precheck, user_id=actor.id)
    made = enrolment.make_key(stored, actor.id, password)
    return call(db, enrolment.enrol_trustee, actor=actor, made=made)


def decrypt_legacy(db: Database, actor: Actor, vote_id: int, password: str) -> dict[str, Any]:
    """A legacy vote's server-side decryption step, as votes/trustee_routes.py takes it: the sealed share read,
    opened with the password outside any transaction, the partial stored. Forbidden for a wrong password."""
    from votes.ballot import election, trustee_keys

    m = db.run_read(election.legacy_share, actor=actor, vote_id=vote_id)
    share = trustee_keys.open_share(m["sealed_key"], actor.id, password, m["sealed_share"], m["aad"])
    return call(db, secret_votes.decrypt, actor=actor, vote_id=vote_id, share=share)


def with_seal(db: Database, material: dict[str, Any]) -> dict[str, Any]:
    """The decryption material with the trustee's seal: a legacy key's is not in it (released for the password
    only, POST /api/me/trustee-key/sealed); read here from the database, as the tests' 'device' may."""
    from votes.ballot import enrolment

    if material["sealed_key"] is not None:
        return material
    return {**material, "sealed_key": db.run_read(enrolment.legacy_sealed, user_id=material["user_id"])["sealed"]}


def cast_secret(db: Database, voter: Actor, vote: dict[str, Any], kind: str) -> dict[str, Any]:
    """What a tablet does: fetch the parameters, encrypt and prove the choice, send the ballot."""
    import secrets

    from votes.ballot import election, proofs

    p = db.run_read(election.parameters, actor=voter, vote_id=vote["id"])
    index = [o["kind"] for o in vote["options"]].index(kind)
    ballot = proofs.encrypt_ballot(p["params"], p["params_digest"], index, secrets.token_bytes(32))
    return call(db, secret_votes.cast_secret, actor=voter, vote_id=vote["id"], ballot=ballot)


def ensure_ceremony(db: Database, c: Cabinet) -> None:
    """The meeting's joint key, made once (trustee keys created, then the ceremony) unless it exists."""
    from votes.ballot import ceremony

    cer = db.run_read(ceremony.ceremony_status, actor=c.chair, meeting_id=c.meeting_id)["ceremony"]
    if cer is None or cer["state"] != "complete":
        enrol_trustees(db, c)
        run_ceremony(db, c)


def trustees(c: Cabinet) -> list[Actor]:
    """The default key holders, in index order: chair, secretary, first member."""
    return [c.chair, c.secretary, c.members[0]]


def run_ceremony(db: Database, c: Cabinet, *, only: list[Actor] | None = None) -> dict[str, Any]:
    """The meeting's key ceremony with no dealer: the chair starts it, each trustee's 'device' (the Python
    implementation of what dkg.js does in the browser) contributes."""
    from votes.ballot import ceremony

    cer = call(db, ceremony.start_ceremony, actor=c.chair, meeting_id=c.meeting_id)
    for actor in only if only is not None else trustees(c):
        cer = contribute_as(db, c, actor, cer)
    return cer


def contribute_as(db: Database, c: Cabinet, actor: Actor, cer: dict[str, Any], *, tamper: Any = None) -> dict[str, Any]:
    from votes.ballot import ceremony, dkg

    index = next(t["index"] for t in cer["trustees"] if t["user_id"] == actor.id)
    body = dkg.contribute(cer["digest"], index, cer["threshold"], cer["trustees"])
    if tamper:
        tamper(body)
    return call(db, ceremony.contribute, actor=actor, meeting_id=c.meeting_id, ceremony_id=cer["id"], contribution=body)


def device_partial(material: dict[str, Any], password: str) -> tuple[list[dict[str, str]], list[int]]:
    """A trustee's device at close: unseal the trustee key with the password, open and check the shares sent to
    it, add them up, decrypt its part of the total with the proof. Answers (partial, bad senders)."""
    from votes.ballot import dkg, proofs, trustee_keys

    secret = trustee_keys.unseal_secret(material["sealed_key"], material["user_id"], password)
    combined = dkg.combine_shares(secret, material["ceremony_digest"], material["index"], material["received"])
    return proofs.partial_decrypt(
        material["params_digest"], material["index"], combined.share, material["total"]
    ), combined.bad


def decrypt_as(db: Database, actor: Actor, vote: dict[str, Any]) -> dict[str, Any]:
    from tests.factories import PASSWORD
    from votes.ballot import election

    material = with_seal(db, db.run_read(election.trustee_material, actor=actor, vote_id=vote["id"]))
    partial, bad = device_partial(material, PASSWORD)
    assert bad == []
    return call(db, secret_votes.submit_partial, actor=actor, vote_id=vote["id"], shares=partial)


def decrypt(db: Database, c: Cabinet, vote: dict[str, Any]) -> dict[str, Any]:
    """Two of the three key holders (chair, secretary) decrypt a closed secret vote's total on their devices."""
    decrypt_as(db, c.secretary, vote)
    return decrypt_as(db, c.chair, vote)


async def with_seal_over_http(client: Any, material: dict[str, Any], password: str) -> dict[str, Any]:
    """The decryption material with the trustee's seal, as the tablet gets it: a legacy key's (sealed with the
    account password) only from POST /api/me/trustee-key/sealed with that password."""
    if material["sealed_key"] is not None:
        return material
    sealed = await client.post("/api/me/trustee-key/sealed", json={"password": password})
    assert sealed.status_code == 200, sealed.text
    return {**material, "sealed_key": sealed.json()["sealed"]}


async def decrypt_over_http(client: Any, vote_id: int) -> Any:
    """A trustee's tablet at close over REST: fetch the material, compute the partial here, send it."""
    from tests.factories import PASSWORD

    material = await client.get(f"/api/votes/{vote_id}/trustee-material")
    assert material.status_code == 200, material.text
    partial, bad = device_partial(await with_seal_over_http(client, material.json(), PASSWORD), PASSWORD)
    assert bad == []
    return await client.post(f"/api/votes/{vote_id}/partial", json={"shares": partial})


def deal_legacy_key(db: Database, vote: dict[str, Any]) -> None:
    """Turn an open secret vote into what migration 0013_ballots' votes look like: its key dealt by the server
    (no ceremony), each trustee's share sealed to their trustee key, decrypted with their password on the server."""
    from votes.ballot import proofs, trustee_keys
    from votes.models import BallotElection, TrusteeShare

    dealt = proofs.deal(2, 3)

    def as_legacy(session: Any) -> None:
        election_row = session.get(BallotElection, vote["id"])
        params = {k: v for k, v in election_row.params.items() if k != "ceremony"}
        params["public_key"] = dealt.public_key.hex()
        params["commitments"] = [x.hex() for x in dealt.commitments]
        for t in params["trustees"]:
            t["verification_key"] = proofs.verification_key(dealt.commitments, t["index"]).hex()
            share = session.get(TrusteeShare, (vote["id"], t["index"]))
            share.sealed = trustee_keys.seal_share(
                t["trustee_key"],
                dealt.shares[t["index"] - 1].to_bytes(32, "little"),
                f"ballot-share:{vote['id']}:{t['index']}",
            )
            session.add(share)
        election_row.params, election_row.params_digest, election_row.ceremony_id = params, proofs.digest(params), None
        session.add(election_row)

    db.run_write(as_legacy)
