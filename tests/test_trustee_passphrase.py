"""Trustee keys made on the trustee's tablet (docs/ballot-spec.md §7, docs/ballot-threat-model.md "The server
operator"): the tablet draws the X25519 pair and seals the secret half with a trustee passphrase the server never
sees; the server takes {public_key, sealed_key, sealing: "passphrase"}, checks its form strictly (every malformed
variant a 4xx, never a 500), and such a key is left alone by a password change and by an administrator's reset.
The legacy path ({password}: drawn and sealed by the server) still works. Here the "tablet" is Python doing what
dkg.js does (the browser test tests/browser/test_trustee_passphrase.py runs the real one)."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import create_engine, text

from accounts.models import GlobalRole
from app.db import Database
from app.migrate import upgrade
from core.errors import Conflict, Forbidden, ValidationFailed
from tests.conftest import LiveServer
from tests.factories import PASSWORD, call, make_user
from tests.live import login
from tests.vote_helpers import cast_secret, enrol_legacy, present_cabinet, run_ceremony, trustees
from votes import secret as secret_votes
from votes import services
from votes.ballot import election, enrolment, trustee_keys
from votes.models import TrusteeKey, VoteKind
from votes.schemas import VoteCreate

PASSPHRASE = "cụm mật khẩu của người giữ khóa 2027"
NEW = "Mật-khẩu-mới-của-tôi-2027"
P = 2**255 - 19


def tablet_key(
    user_id: int, passphrase: str = PASSPHRASE, *, t: int = 2, m: int = 32 * 1024, header: dict[str, Any] | None = None
) -> tuple[str, str, bytes]:
    """What trustee-key.js does on the tablet: an X25519 pair, the secret half sealed with the passphrase in the
    keystore format (argon2id + AES-256-GCM, context ballot-trustee:<user id>). (public hex, sealed b64, secret)."""
    key = X25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    h = header or {
        "kdf": "argon2id",
        "t": t,
        "m": m,
        "p": 1,
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
    }
    head = json.dumps(h, separators=(",", ":")).encode()  # the tablet writes JSON.stringify's compact form
    kek = hash_secret_raw(
        passphrase.encode(), salt, time_cost=t, memory_cost=m, parallelism=1, hash_len=32, type=Type.ID
    )
    aad = b"ECKS1\n" + head + f"ballot-trustee:{user_id}".encode()
    blob = b"ECKS1\n" + head + b"\n" + AESGCM(kek).encrypt(nonce, raw, aad)
    return public, base64.b64encode(blob).decode(), raw


def body(user_id: int, **kw: Any) -> dict[str, Any]:
    public, sealed, _ = tablet_key(user_id, **kw)
    return {"public_key": public, "sealed_key": sealed, "sealing": "passphrase"}


def enrol(db: Database, actor: Any, passphrase: str = PASSPHRASE) -> dict[str, Any]:
    public, sealed, _ = tablet_key(actor.id, passphrase)
    return call(db, enrolment.enrol_trustee_key, actor=actor, public_key=public, sealed_key=sealed)


def _sealed(header: dict[str, Any], tail: bytes = b"\0" * 48) -> str:
    return base64.b64encode(b"ECKS1\n" + json.dumps(header).encode() + b"\n" + tail).decode()


_GOOD_HEADER = {"kdf": "argon2id", "t": 2, "m": 32768, "p": 1, "salt": "A" * 22 + "==", "nonce": "B" * 16}
ORDER8 = (
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
)


def malformed(uid: int) -> dict[str, dict[str, Any]]:
    """Every way a request may be wrong, by name: each must be refused with a 4xx and store nothing."""
    good = body(uid)
    pk, sk = good["public_key"], good["sealed_key"]
    cases: dict[str, dict[str, Any]] = {
        "uppercase hex": {**good, "public_key": pk.upper() if pk.upper() != pk else "A" + pk[1:]},
        "63 digits": {**good, "public_key": pk[:63]},
        "65 digits": {**good, "public_key": pk + "0"},
        "not hex": {**good, "public_key": "g" * 64},
        "public key as number": {**good, "public_key": 12},
        "all zero": {**good, "public_key": "00" * 32},
        "one": {**good, "public_key": "01" + "00" * 31},
        "order 8 (a)": {**good, "public_key": ORDER8[0]},
        "order 8 (b)": {**good, "public_key": ORDER8[1]},
        "p - 1": {**good, "public_key": (P - 1).to_bytes(32, "little").hex()},
        "p (non-canonical zero)": {**good, "public_key": P.to_bytes(32, "little").hex()},
        "high bit set": {**good, "public_key": pk[:62] + format(int(pk[62:], 16) | 0x80, "02x")},
        "sealed not base64": {**good, "sealed_key": "%%%not base64%%%"},
        "sealed empty": {**good, "sealed_key": ""},
        "sealed too long": {**good, "sealed_key": "A" * 4000},
        "sealed as list": {**good, "sealed_key": [sk]},
        "wrong magic": {**good, "sealed_key": base64.b64encode(b"ECKS2\n" + base64.b64decode(sk)[6:]).decode()},
        "no header end": {**good, "sealed_key": base64.b64encode(b"ECKS1\n" + b'{"kdf":"argon2id"}').decode()},
        "header not JSON": {**good, "sealed_key": base64.b64encode(b"ECKS1\n{nope\n" + b"\0" * 48).decode()},
        "header a list": {**good, "sealed_key": base64.b64encode(b"ECKS1\n[1,2]\n" + b"\0" * 48).decode()},
        "header extra field": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "x": 1})},
        "header missing salt": {**good, "sealed_key": _sealed({k: v for k, v in _GOOD_HEADER.items() if k != "salt"})},
        "argon2i": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "kdf": "argon2i"})},
        "t too small": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "t": 1})},
        "m too small": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "m": 1024})},
        "two lanes": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "p": 2})},
        "t too large": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "t": 100})},
        "m 1 TiB": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "m": 1 << 30})},
        "t a boolean": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "t": True})},
        "t a string": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "t": "2"})},
        "m a float": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "m": 32768.0})},
        "salt too short": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "salt": "AAAA"})},
        "nonce not base64": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "nonce": "!!!!"})},
        "nonce a number": {**good, "sealed_key": _sealed({**_GOOD_HEADER, "nonce": 5})},
        "body too short": {**good, "sealed_key": _sealed(_GOOD_HEADER, b"\0" * 47)},
        "body too long": {**good, "sealed_key": _sealed(_GOOD_HEADER, b"\0" * 49)},
        "sealing account_password": {**good, "sealing": "account_password"},
        "sealing missing": {k: v for k, v in good.items() if k != "sealing"},
        "sealed key missing": {k: v for k, v in good.items() if k != "sealed_key"},
        "public key missing": {k: v for k, v in good.items() if k != "public_key"},
        "with the account password": {**good, "password": PASSWORD},
        "with a passphrase": {**good, "passphrase": PASSPHRASE},
        "with the secret key": {**good, "secret_key": "00" * 32},
        "with a private key": {**good, "private_key": "00" * 32},
        "unknown field": {**good, "extra": 1},
        "empty object": {},
    }
    return cases


# --- enrolment over HTTP -------------------------------------------------------------------------------------


@pytest.mark.service_pair("votes.ballot.enrolment.enrol_trustee_key")
async def test_a_key_made_on_the_tablet_is_enrolled_with_its_seal_only(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db)
    async with httpx.AsyncClient(base_url=live_server.url) as anonymous:  # denied: not signed in
        r = await anonymous.post("/api/me/trustee-key", json=body(c.members[3].id))
        assert r.status_code in (401, 403), r.text
    member = await login(live_server.url, c.members[3].username)
    try:
        public, sealed, secret = tablet_key(c.members[3].id)
        made = await member.post(
            "/api/me/trustee-key", json={"public_key": public, "sealed_key": sealed, "sealing": "passphrase"}
        )
        assert made.status_code == 200, made.text  # allowed: anyone signed in who may hold a key, as before
        assert made.json() == {"user_id": c.members[3].id, "public_key": public, "sealing": "passphrase"}
        mine = (await member.get("/api/me/trustee-key")).json()
        assert mine["enrolled"] is True and mine["lost"] is False and mine["sealing"] == "passphrase"
        assert mine["public_key"] == public and mine["sealed"] == sealed  # kept byte for byte
        # the same keystore format: it opens with the passphrase (never with the account password)
        assert trustee_keys.unseal_secret(mine["sealed"], c.members[3].id, PASSPHRASE) == secret
        with pytest.raises(Forbidden):
            trustee_keys.unseal_secret(mine["sealed"], c.members[3].id, PASSWORD)
    finally:
        await member.aclose()


async def test_every_malformed_enrolment_is_refused_with_a_4xx(live_server: LiveServer) -> None:
    db = live_server.db
    user = make_user(db)
    other = make_user(db)
    taken = enrol(db, other)["public_key"]
    client = await login(live_server.url, user.username)
    try:
        cases = malformed(user.id)
        cases["another user's public key"] = {**body(user.id), "public_key": taken}
        seen = {}
        for name, payload in cases.items():
            r = await client.post("/api/me/trustee-key", json=payload)
            seen[name] = r.status_code
            assert 400 <= r.status_code < 500, (name, r.status_code, r.text)
            error = r.json()["error"]
            assert error["message"], name  # a message a person can read
        assert set(seen.values()) == {422}, seen
        for raw in (b"[]", b'"x"', b"null", b"{"):
            r = await client.post("/api/me/trustee-key", content=raw, headers={"Content-Type": "application/json"})
            assert r.status_code in (400, 422), (raw, r.status_code)
        mine = (await client.get("/api/me/trustee-key")).json()
        assert mine["enrolled"] is False and mine["sealed"] is None  # nothing was stored
        # the messages say what is wrong, in the user's language
        r = await client.post("/api/me/trustee-key", json=cases["order 8 (a)"])
        assert "bậc thấp" in r.json()["error"]["message"]
        r = await client.post("/api/me/trustee-key", json=cases["t too small"], headers={"Accept-Language": "en"})
        assert "argon2id" in r.json()["error"]["message"]
        r = await client.post("/api/me/trustee-key", json=cases["with the account password"])
        assert "cụm mật khẩu" in r.json()["error"]["message"]
        r = await client.post("/api/me/trustee-key", json=cases["with the secret key"])
        assert r.json()["error"]["details"][0]["message"]
    finally:
        await client.aclose()


async def test_the_legacy_password_enrolment_still_works_but_never_downgrades(live_server: LiveServer) -> None:
    db = live_server.db
    user = make_user(db)
    client = await login(live_server.url, user.username)
    try:
        assert (await client.post("/api/me/trustee-key", json={"password": "không đúng"})).status_code == 403
        made = await client.post("/api/me/trustee-key", json={"password": PASSWORD})  # legacy: still accepted
        assert made.status_code == 200, made.text
        assert made.json()["sealing"] == "account_password"
        mine = (await client.get("/api/me/trustee-key")).json()
        assert mine["sealing"] == "account_password" and mine["sealed"] is None  # released for the password only
        mine = (await client.post("/api/me/trustee-key/sealed", json={"password": PASSWORD})).json()
        trustee_keys.unseal_secret(mine["sealed"], user.id, PASSWORD)
        # the tablet's key replaces it (the key is not in use yet)
        upgraded = await client.post("/api/me/trustee-key", json=body(user.id))
        assert upgraded.status_code == 200, upgraded.text
        assert (await client.get("/api/me/trustee-key")).json()["sealing"] == "passphrase"
        # and the server does not replace a passphrase key by one it made and sealed with the password
        down = await client.post("/api/me/trustee-key", json={"password": PASSWORD})
        assert down.status_code == 409, down.text
        assert (await client.get("/api/me/trustee-key")).json()["sealing"] == "passphrase"
    finally:
        await client.aclose()


# --- a secret vote with passphrase keys, end to end (service level) -------------------------------------------


def test_a_secret_vote_with_passphrase_keys_decrypts_with_the_passphrases(db: Database) -> None:
    from tests.vote_helpers import device_partial

    c = present_cabinet(db)
    holders = trustees(c)
    passphrases = {a.id: f"{PASSPHRASE} #{i}" for i, a in enumerate(holders)}
    for a in holders:
        enrol(db, a, passphrases[a.id])
    run_ceremony(db, c)
    vote = call(
        db,
        services.create_vote,
        actor=c.secretary,
        meeting_id=c.meeting_id,
        data=VoteCreate(agenda_item_id=c.item_ids[0], question="Tín nhiệm?", kind=VoteKind.secret),
    )
    vote = call(db, services.open_vote, actor=c.chair, vote_id=vote["id"])
    for voter, kind in zip([c.chair, *c.members[:3]], ["yes", "yes", "no", "yes"]):
        cast_secret(db, voter, vote, kind)
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    chair = db.run_read(election.trustee_material, actor=c.chair, vote_id=vote["id"])
    assert chair["sealing"] == "passphrase" and chair["key_lost"] is False
    with pytest.raises(Forbidden):  # the account password does not open it
        device_partial(chair, PASSWORD)
    for a in holders[:2]:
        material = db.run_read(election.trustee_material, actor=a, vote_id=vote["id"])
        partial, bad = device_partial(material, passphrases[a.id])
        assert bad == []
        done = call(db, secret_votes.submit_partial, actor=a, vote_id=vote["id"], shares=partial)
    assert done["result"]["yes"] == 3 and done["result"]["no"] == 1


def test_a_key_still_needed_is_not_replaced(db: Database) -> None:
    c = present_cabinet(db)
    for a in trustees(c):
        enrol(db, a)
    run_ceremony(db, c)
    with pytest.raises(Conflict) as refused:  # the meeting's ceremony names it: its shares are sealed to it
        enrol(db, c.secretary)
    assert refused.value.code == "trustee_key_in_use" and refused.value.details["ceremonies"]
    with pytest.raises(Conflict):
        enrol_legacy(db, c.secretary, PASSWORD)


# --- password change and administrator's reset, per kind of seal ----------------------------------------------


async def test_a_password_change_and_a_reset_leave_a_passphrase_key_alone(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db)
    for a in trustees(c):
        enrol(db, a)
    run_ceremony(db, c)
    with db.read_session() as s:
        before = {a.id: s.get(TrusteeKey, a.id).sealed for a in trustees(c)}  # type: ignore[union-attr]
    holder = await login(live_server.url, c.members[0].username)
    try:  # the holder changes their password: nothing to re-seal
        changed = await holder.post("/api/me/password", json={"current": PASSWORD, "new": NEW})
        assert changed.status_code == 200, changed.text
    finally:
        await holder.aclose()
    admin_user = make_user(db, GlobalRole.admin, "Quản Trị Hệ Thống")
    admin = await login(live_server.url, admin_user.username)
    try:  # an administrator resets the secretary's: the key is not lost, nobody is told it is
        reset = await admin.patch(f"/api/users/{c.secretary.id}", json={"password": NEW})
        assert reset.status_code == 200, reset.text
        assert "trustee_key_lost" not in reset.json()
    finally:
        await admin.aclose()
    with db.read_session() as s:
        for a in trustees(c):
            row = s.get(TrusteeKey, a.id)
            assert (
                row is not None and row.sealed == before[a.id] and row.lost_at is None and row.sealing == "passphrase"
            )
    for name, a in (("secretary", c.secretary), ("third", c.members[0])):
        client = await login(live_server.url, a.username, NEW)
        try:
            mine = (await client.get("/api/me/trustee-key")).json()
            assert mine["enrolled"] is True and mine["lost"] is False, name
            assert trustee_keys.unseal_secret(mine["sealed"], a.id, PASSPHRASE), name  # still the passphrase
        finally:
            await client.aclose()


async def test_legacy_keys_keep_following_the_password(live_server: LiveServer) -> None:
    """The same two steps on keys sealed with the account password: re-sealed on a change, lost on a reset."""
    db = live_server.db
    changer, resetted = make_user(db), make_user(db)
    for a in (changer, resetted):
        enrol_legacy(db, a, PASSWORD)
    client = await login(live_server.url, changer.username)
    try:
        assert (await client.post("/api/me/password", json={"current": PASSWORD, "new": NEW})).status_code == 200
        mine = (await client.get("/api/me/trustee-key")).json()
        assert mine["sealing"] == "account_password" and mine["enrolled"] is True
        mine = (await client.post("/api/me/trustee-key/sealed", json={"password": NEW})).json()
        trustee_keys.unseal_secret(mine["sealed"], changer.id, NEW)
    finally:
        await client.aclose()
    admin_user = make_user(db, GlobalRole.admin, "Quản Trị Hệ Thống")
    admin = await login(live_server.url, admin_user.username)
    try:
        reset = await admin.patch(f"/api/users/{resetted.id}", json={"password": NEW})
        assert reset.json()["trustee_key_lost"]["user_id"] == resetted.id
    finally:
        await admin.aclose()
    with pytest.raises(ValidationFailed):  # (the helper itself refuses a header it cannot trust)
        trustee_keys.check_sealed(_sealed({**_GOOD_HEADER, "m": 1 << 30}))


# --- the migration -------------------------------------------------------------------------------------------


def _keys_after_upgrade(url: str) -> list[tuple[Any, ...]]:
    upgrade(url, "0015_ballot_fixes")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "user" (id, username, full_name, title, unit, role, password_hash, is_active, '
                    "created_at) VALUES (1, 'u1', 'Người Một', '', '', 'member', 'x', true, '2026-01-01')"
                )
            )
            conn.execute(
                text("INSERT INTO ballot_trustee_key (user_id, public_key, sealed) VALUES (1, :pk, 'sealed')"),
                {"pk": "ab" * 32},
            )
        upgrade(url)
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT user_id, sealing FROM ballot_trustee_key"))]
    finally:
        engine.dispose()


def test_migration_marks_existing_keys_as_sealed_with_the_account_password_sqlite(tmp_path: Path) -> None:
    assert _keys_after_upgrade(f"sqlite:///{tmp_path / 'old.db'}") == [(1, "account_password")]


def test_migration_marks_existing_keys_as_sealed_with_the_account_password_postgresql() -> None:
    try:
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    name = f"ecabinet_mig_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        assert _keys_after_upgrade(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}") == [(1, "account_password")]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
