"""`ecabinet demo` gives the default key holders of secret votes (chair, secretary, first member) trustee keys in
today's form (docs/ballot-spec.md §7): sealed with a trustee passphrase, not the sign-in password, in the form a
tablet sends. So the demo's tablets ask them for that passphrase and offer no upgrade (the meetings page offers
one for a legacy key only: frontend/static/js/trustee-key.js). Running the demo again keeps the keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import select

from accounts.models import User
from app.db import Database
from app.demo.seed import DEMO_PASSWORD, DEMO_TRUSTEE_PASSPHRASE, KEY_HOLDERS
from core.actor import Actor
from core.errors import Forbidden
from votes.ballot import enrolment, trustee_keys
from votes.models import TrusteeKey


def _demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECABINET_DATA_DIR": str(data_dir), "ECABINET_DEMO_BARE": "1"}
    args = [sys.executable, "-m", "app.cli", "demo", "--no-serve"]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


def _keys(db: Database) -> dict[str, TrusteeKey]:
    with db.read_session() as s:
        users = {u.id: u.username for u in s.exec(select(User)).all()}
        return {users[k.user_id]: k for k in s.exec(select(TrusteeKey)).all()}


def test_the_demo_key_holders_have_passphrase_keys_and_nothing_to_upgrade(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stderr
    assert DEMO_TRUSTEE_PASSPHRASE in first.stdout  # told with the accounts, as the demo password is
    db = Database(f"sqlite:///{tmp_path / 'ecabinet.db'}")
    try:
        keys = _keys(db)
        assert sorted(keys) == sorted(KEY_HOLDERS)
        for username, key in keys.items():
            assert key.sealing == "passphrase" and key.lost_at is None, username
            trustee_keys.check_public_key(key.public_key)  # what the server accepts from a tablet
            trustee_keys.check_sealed(key.sealed)
            secret = trustee_keys.unseal_secret(key.sealed, key.user_id, DEMO_TRUSTEE_PASSPHRASE)
            public = (
                X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            )
            assert public.hex() == key.public_key, username  # the seal holds this key's secret half
            with pytest.raises(Forbidden):  # the sign-in password does not open it
                trustee_keys.unseal_secret(key.sealed, key.user_id, DEMO_PASSWORD)
            with db.read_session() as s:
                user = s.exec(select(User).where(User.username == username)).one()
            mine = db.run_read(enrolment.trustee_status, actor=Actor.of(user))  # GET /api/me/trustee-key
            assert mine["enrolled"] is True and mine["lost"] is False and mine["sealing"] == "passphrase"
            assert mine["sealed"] == key.sealed  # the tablet opens it itself, with the passphrase
        again = _demo(tmp_path)
        assert again.returncode == 0, again.stderr
        assert {u: k.sealed for u, k in _keys(db).items()} == {u: k.sealed for u, k in keys.items()}  # kept
    finally:
        db.dispose()
