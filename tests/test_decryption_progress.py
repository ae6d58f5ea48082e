"""A closed secret vote tells its members how far the key holders' joint decryption has got (shares in, shares
needed, who gave theirs and who is awaited: votes/serialize.py `decryption`), over REST and live as each share
arrives ("vote.partial"); guests and the hall display get exactly what they got before, nothing more."""

from __future__ import annotations

import json
from typing import Any

from display import services as display
from tests.conftest import LiveServer
from tests.factories import call
from tests.live import live_client, login
from tests.test_display import _screen
from tests.vote_helpers import cast_secret, decrypt_as, decrypt_over_http, new_vote, present_cabinet
from app.db import Database
from core.errors import Conflict
from votes import services
from votes.models import VoteKind

import pytest


def _votes(tablet: Any) -> list[dict[str, Any]]:
    assert tablet.state is not None  # joined
    return list(tablet.state["votes"])


def _closed_secret(db: Database) -> tuple[Any, dict[str, Any]]:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    cast_secret(db, c.members[1], vote, "yes")
    cast_secret(db, c.members[2], vote, "no")
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    return c, vote


def _progress(db: Database, actor: Any, vote_id: int) -> Any:
    return db.run_read(services.get_vote, actor=actor, vote_id=vote_id).get("decryption", "absent")


def test_members_see_each_share_arrive_guests_see_nothing_more(db: Database) -> None:
    c, vote = _closed_secret(db)
    vid = vote["id"]
    holders = [c.chair, c.secretary, c.members[0]]  # the default key holders, in index order
    guest_before = db.run_read(services.get_vote, actor=c.guest, vote_id=vid)
    guest_list_before = db.run_read(services.list_votes, actor=c.guest, meeting_id=c.meeting_id)
    for viewer in (c.chair, c.members[3]):  # the one who conducts and a plain member alike
        d = _progress(db, viewer, vid)
        assert d == {
            "threshold": 2,
            "decrypted": 0,
            "trustees": [{"user_id": a.id, "name": a.full_name, "decrypted": False} for a in holders],
        }
    with pytest.raises(Conflict):  # nothing to publish yet: the chair's tablet offers no button (publishable)
        call(db, services.publish_vote, actor=c.chair, vote_id=vid)
    ack = decrypt_as(db, c.secretary, vote)  # the first share
    assert ack["decryption"]["decrypted"] == 1 and ack["result"] is None
    d = _progress(db, c.members[3], vid)
    assert d["decrypted"] == 1 and [t["decrypted"] for t in d["trustees"]] == [False, True, False]
    assert set(d) == {"threshold", "decrypted", "trustees"}  # counts of shares and names: no ballot content
    assert all(set(t) == {"user_id", "name", "decrypted"} for t in d["trustees"])
    member_view = db.run_read(services.get_vote, actor=c.members[3], vote_id=vid)
    assert member_view["tally"] is None and member_view["result"] is None
    # the guest: the very answer of before the share, without the progress
    assert db.run_read(services.get_vote, actor=c.guest, vote_id=vid) == guest_before
    assert "decryption" not in guest_before
    assert db.run_read(services.list_votes, actor=c.guest, meeting_id=c.meeting_id) == guest_list_before
    assert all("decryption" not in v for v in guest_list_before)
    decrypt_as(db, c.chair, vote)  # the second: the total is decrypted, the chair may publish
    d = _progress(db, c.chair, vid)
    assert d["decrypted"] == 2 and [t["decrypted"] for t in d["trustees"]] == [True, True, False]
    published = call(db, services.publish_vote, actor=c.chair, vote_id=vid)
    assert published["decryption"] is None  # once published the result says it all


async def test_every_tablet_follows_each_share_live_the_guest_and_display_do_not(live_server: LiveServer) -> None:
    db = live_server.db
    c, vote = _closed_secret(db)
    vid, mid = vote["id"], c.meeting_id
    token = call(db, display.create_token, actor=c.staff, meeting_id=mid)["token"]
    member, mh = await live_client(live_server.url, c.members[3].username)
    chair, ch = await live_client(live_server.url, c.chair.username)
    guest, gh = await live_client(live_server.url, c.guest.username)
    screen, screen_events = await _screen(live_server, token)
    tablets = (member, chair, guest)
    try:
        for tablet in tablets:
            assert (await tablet.join(mid))["ok"]
        shown = (await screen.call("meeting:join", {"meeting_id": mid}, timeout=10))["data"]["snapshot"]
        mine = next(v for v in _votes(member) if v["id"] == vid)
        assert mine["decryption"]["decrypted"] == 0  # the snapshot carries it for members
        told = next(v for v in _votes(guest) if v["id"] == vid)
        assert "decryption" not in told and "decryption" not in json.dumps(shown)
        secretary = await login(live_server.url, c.secretary.username)
        try:
            r = await decrypt_over_http(secretary, vid)
            assert r.status_code == 200, r.text
        finally:
            await secretary.aclose()
        for tablet in (member, chair):
            env = await tablet.wait_for(lambda e: e["type"] == "vote.partial", 10)
            d = next(v for v in env["data"]["votes"] if v["id"] == vid)["decryption"]
            assert d["decrypted"] == 1 and d["threshold"] == 2
            names = {t["name"]: t["decrypted"] for t in d["trustees"]}
            assert names == {c.chair.full_name: False, c.secretary.full_name: True, c.members[0].full_name: False}
            applied = next(v for v in _votes(tablet) if v["id"] == vid)  # the tablet's state moved with it
            assert applied["decryption"]["decrypted"] == 1
        # the guest gets the event's placeholder only (its seq), never what it says
        await guest.wait_for(lambda e: e["seq"] == member.seq, 10)
        assert guest.seq == member.seq
        placeholder = next(e for e in guest.events if e["seq"] == member.seq)
        assert placeholder["type"] == "hidden" and not placeholder.get("data")
        assert (await ch.post(f"/api/votes/{vid}/publish")).status_code == 409  # still not publishable
        r = await decrypt_over_http(ch, vid)  # the chair's share: the second, the total decrypted
        assert r.status_code == 200, r.text
        env = await member.wait_for(lambda e: e["type"] == "vote.decrypted", 10)
        d = next(v for v in env["data"]["votes"] if v["id"] == vid)["decryption"]
        assert d["decrypted"] == 2
        await guest.wait_for(lambda e: e["type"] == "vote.decrypted", 10)
        for received in (guest.events, screen_events, guest.state):
            assert "decryption" not in json.dumps(received)
        assert (await gh.get(f"/api/votes/{vid}")).json().get("decryption", "absent") == "absent"
        assert (await mh.get(f"/api/votes/{vid}")).json()["decryption"]["decrypted"] == 2
    finally:
        await screen.disconnect()
        for tablet in tablets:
            await tablet.close()
        for h in (mh, ch, gh):
            await h.aclose()


def test_a_plain_member_whose_share_completes_the_total_is_not_told_the_counts(db: Database) -> None:
    """The key holder who completes the decryption learns it is done, not the result: a plain member reads the
    counts when the chair publishes them, like every other member (the chair sees the tally at once)."""
    c, vote = _closed_secret(db)
    vid = vote["id"]
    decrypt_as(db, c.secretary, vote)
    ack = decrypt_as(db, c.members[0], vote)  # a default key holder who does not conduct: the completing share
    assert ack["result"] is None and ack["tally"] is None, ack
    assert ack["decryption"]["decrypted"] == 2
    assert db.run_read(services.get_vote, actor=c.chair, vote_id=vid)["tally"] is not None
    published = call(db, services.publish_vote, actor=c.chair, vote_id=vid)
    assert published["result"] is not None
    assert db.run_read(services.get_vote, actor=c.members[0], vote_id=vid)["result"] is not None
