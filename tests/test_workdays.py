"""The working-day calendar: lunar holidays computed in UTC+7, weekends, made-up days, the admin's overrides,
and the /api/workdays routes (denied/allowed pairs) on the real server."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import GlobalRole
from app.db import Database
from tests.conftest import LiveServer
from tests.factories import make_user
from tests.live import login
from workdays import services
from workdays.holidays import holidays
from workdays.lunar import tet, to_solar
from workdays.schemas import OverrideCreate


@pytest.mark.parametrize(
    "year,expected",
    [
        (2024, date(2024, 2, 10)),
        (2025, date(2025, 1, 29)),
        (2026, date(2026, 2, 17)),
        (2027, date(2027, 2, 6)),
        (1985, date(1985, 1, 21)),
        (2007, date(2007, 2, 17)),
    ],
)
def test_tet_is_computed_in_the_vietnamese_time_zone(year: int, expected: date) -> None:
    # 1985 and 2007: Tết in Việt Nam falls a day (1985: a month) before the Chinese New Year (UTC+8).
    assert tet(year) == expected


def test_hung_kings_day_and_leap_months() -> None:
    assert to_solar(10, 3, 2025) == date(2025, 4, 7)
    assert to_solar(10, 3, 2026) == date(2026, 4, 26)
    assert to_solar(1, 6, 2025, leap=True) == date(2025, 7, 25)  # 2025 has a leap 6th month (tháng 6 nhuận)
    with pytest.raises(ValueError):
        to_solar(1, 6, 2026, leap=True)


def test_statutory_days_of_2026_with_made_up_days() -> None:
    off = {h.day: h.name for h in holidays(2026)}
    assert date(2026, 2, 16) in off and date(2026, 2, 20) in off  # 30 Tết .. mùng 4
    assert off[date(2026, 4, 27)].startswith("Nghỉ bù")  # Giỗ Tổ falls on a Sunday
    assert {date(2026, 4, 30), date(2026, 5, 1), date(2026, 9, 2), date(2026, 1, 1)} <= set(off)
    assert len([d for d, n in off.items() if n == "Quốc khánh"]) == 2


def test_counting_working_days(db: Database) -> None:
    with db.read_session() as s:
        assert services.add_working_days(s, date(2026, 12, 4), 5) == date(2026, 12, 11)  # Fri + 5 = next Fri
        assert services.add_working_days(s, date(2026, 12, 30), 1) == date(2026, 12, 31)
        assert services.add_working_days(s, date(2026, 12, 31), 1) == date(2027, 1, 4)  # 1/1 Fri, then the weekend
        # Tết 2026: Fri 13/2 + 1 working day jumps the weekend and 16-20/2 to Monday 23/2.
        assert services.add_working_days(s, date(2026, 2, 13), 1) == date(2026, 2, 23)
        assert services.add_working_days(s, date(2026, 2, 23), -1) == date(2026, 2, 13)
        assert services.add_working_days(s, date(2026, 2, 13), 0) == date(2026, 2, 13)
        assert services.working_days_between(s, date(2026, 2, 13), date(2026, 2, 23)) == 1
        assert services.working_days_between(s, date(2026, 2, 23), date(2026, 2, 13)) == -1
        assert not services.is_working_day(s, date(2026, 4, 27)) and services.is_working_day(s, date(2026, 4, 28))
        for n in (1, 3, 5, 22, 250):
            end = services.add_working_days(s, date(2026, 1, 2), n)
            assert services.working_days_between(s, date(2026, 1, 2), end) == n


def test_overrides_change_the_count(db: Database) -> None:
    admin = make_user(db, GlobalRole.admin)
    db.run_write(
        services.add_override, actor=admin, data=OverrideCreate(day=date(2026, 12, 7), kind="off", note="Nghỉ đặc biệt")
    )
    db.run_write(
        services.add_override, actor=admin, data=OverrideCreate(day=date(2026, 12, 12), kind="work", note="Làm bù")
    )
    with db.read_session() as s:
        assert not services.is_working_day(s, date(2026, 12, 7))
        assert services.is_working_day(s, date(2026, 12, 12))  # a Saturday worked
        assert services.add_working_days(s, date(2026, 12, 4), 1) == date(2026, 12, 8)
        assert services.working_days_between(s, date(2026, 12, 4), date(2026, 12, 14)) == 6  # 8,9,10,11,12,14


async def test_workdays_routes_denied_and_allowed(live_server: LiveServer) -> None:
    admin = make_user(live_server.db, GlobalRole.admin)
    staff = make_user(live_server.db, GlobalRole.secretariat)
    member = make_user(live_server.db, GlobalRole.member)
    a, st, m = [await login(live_server.url, u.username) for u in (admin, staff, member)]
    try:
        r = await m.get("/api/workdays?year=2026")
        assert r.status_code == 200
        days = {d["day"]: d for d in r.json()["days_off"]}
        assert days["2026-02-17"]["reason"].startswith("Tết Nguyên đán") and "2026-04-26" not in days  # Sunday
        assert (await m.get("/api/workdays?year=99999")).status_code == 422
        body = {"day": "2026-12-12", "kind": "work", "note": "Làm bù thứ Bảy"}
        assert (await st.post("/api/workdays/overrides", json=body)).status_code == 403
        assert (await m.post("/api/workdays/overrides", json=body)).status_code == 403
        r = await a.post("/api/workdays/overrides", json=body)
        assert r.status_code == 201, r.text
        oid = r.json()["id"]
        assert (await a.post("/api/workdays/overrides", json=body)).status_code == 409
        assert (await a.post("/api/workdays/overrides", json={**body, "kind": "maybe"})).status_code == 422
        assert (await a.post("/api/workdays/overrides", json={**body, "note": "a\x00b"})).status_code == 422
        made_up = (await m.get("/api/workdays?year=2026")).json()["make_up_days"]
        assert [d["day"] for d in made_up] == ["2026-12-12"]
        assert [o["day"] for o in (await m.get("/api/workdays/overrides")).json()] == ["2026-12-12"]
        assert (await m.delete(f"/api/workdays/overrides/{oid}")).status_code == 403
        assert (await a.delete(f"/api/workdays/overrides/{oid}")).status_code == 204
        assert (await a.delete(f"/api/workdays/overrides/{oid}")).status_code == 404
        async with __import__("httpx").AsyncClient(base_url=live_server.url) as anon:
            assert (await anon.get("/api/workdays")).status_code == 401
    finally:
        for c in (a, st, m):
            await c.aclose()


async def test_the_calendar_page(live_server: LiveServer) -> None:
    import httpx

    admin = make_user(live_server.db, GlobalRole.admin)
    member = make_user(live_server.db, GlobalRole.member)
    a, m = [await login(live_server.url, u.username) for u in (admin, member)]
    try:
        page = await m.get("/workdays?year=2026")
        assert page.status_code == 200 and "Tết Nguyên đán (mùng 1)" in page.text and "Thứ Ba, 17/02/2026" in page.text
        assert 'data-testid="workdays-admin"' not in page.text  # members read, the admin edits
        assert 'data-testid="workdays-admin"' in (await a.get("/workdays?year=2026")).text
        async with httpx.AsyncClient(base_url=live_server.url) as anon:
            assert (await anon.get("/workdays")).status_code == 303
    finally:
        await a.aclose()
        await m.aclose()
