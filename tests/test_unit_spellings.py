"""A unit (cơ quan) is printed as the secretariat typed it, or in its one canonical spelling, never in the spelling
of whichever account happened to be read last (accounts/units.py): on the signed conclusion notice, the task list,
the dashboard. A new account naming a unit already on record in another spelling is refused, naming that spelling,
on every path that makes one (the administrator's request, `ecabinet createuser`, the demo loader)."""

from __future__ import annotations

import asyncio
import itertools
import random
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from accounts.models import GlobalRole, User
from accounts.units import canonical_units, unit_key
from app import cli
from app.db import Database
from app.demo import seed
from core.clock import local, utcnow
from core.errors import ValidationFailed
from notices.services import known_unit
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user
from tests.live import login
from tests.minutes_helpers import signer_keys
from tests.notice_helpers import UNIT, held_meeting, unit_user

NEW = "Mật-khẩu-tài-khoản-mới-2027"
CARELESS = "bo tai CHINH"  # an account made before variants were refused, or by a careless hand


def pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


async def test_the_signed_notice_prints_the_unit_as_the_secretariat_typed_it(live_server: LiveServer) -> None:
    """The probe's scenario: an account spelling "bo tai CHINH" is the newest record of the ministry; a task given to
    "Bộ Tài chính" stays "Bộ Tài chính" on the signed PDF, the task list and the dashboard."""
    db = live_server.db
    h = held_meeting(db)  # its ministry user: UNIT ("Bộ Tài chính")
    c = h.cabinet
    signer_keys(live_server.settings.data_dir, c)
    unit_user(db, unit="Bộ Y tế", username="canbo.byt", name="Cán Bộ Y Tế")
    admin_user = make_user(db, GlobalRole.admin, "Quản Trị Hệ Thống")
    url = live_server.url
    admin, staff, chair = [await login(url, a.username) for a in (admin_user, c.staff, c.chair)]
    clients = [admin, staff, chair]
    try:
        person = {"full_name": "Cán Bộ Tài Chính", "title": "Chuyên viên", "password": NEW}
        made = await admin.post("/api/users", json={**person, "username": "canbo.btc", "unit": UNIT})
        assert made.status_code == 201, made.text
        # a variant of a unit on record: refused, the spelling to type named
        for variant in (CARELESS, "BỘ TÀI CHÍNH", "Bộ tài chính"):
            body = {**person, "full_name": "Cán Bộ Hai", "username": "canbo.btc2", "unit": variant}
            r = await admin.post("/api/users", json=body)
            assert r.status_code == 409, r.text
            error = r.json()["error"]
            assert error["code"] == "unit_spelling" and f"“{UNIT}”" in error["message"], error
            assert error["details"][0]["field"] == "unit" and error["details"][0]["existing"] == UNIT
        usernames = [u["username"] for u in (await admin.get("/api/accounts")).json()]
        assert "canbo.btc2" not in usernames
        # ... but one made before the rule (the tests' factory skips the checks) is the newest record of the unit
        legacy = unit_user(db, unit=CARELESS, username="canbo.btc2", name="Cán Bộ Hai")

        r = await staff.post("/api/notices", json={"meeting_id": c.meeting_id})
        assert r.status_code == 201, r.text
        nid = r.json()["id"]
        deadline = (local(utcnow()).date() + timedelta(days=30)).isoformat()
        typed = {UNIT: UNIT, "BO TAI CHINH": UNIT, "bo y te": "Bộ Y tế"}  # typed -> printed
        task_ids = []
        for i, (unit, printed) in enumerate(typed.items(), start=1):
            body = {"unit": unit, "what": f"Nhiệm vụ số {i}", "deadline": deadline}
            r = await staff.post(f"/api/notices/{nid}/tasks", json=body)
            assert r.status_code == 201 and r.json()["unit"] == printed, r.text
            task_ids.append(r.json()["id"])
        # typed exactly as a record spells it: kept, even the careless spelling (the secretariat's choice)
        r = await staff.post(f"/api/notices/{nid}/tasks", json={"unit": CARELESS, "what": "Tạm", "deadline": deadline})
        assert r.status_code == 201 and r.json()["unit"] == CARELESS, r.text
        assert (await staff.delete(f"/api/notices/{nid}/tasks/{r.json()['id']}")).status_code == 200

        assert (await staff.post(f"/api/notices/{nid}/submit")).status_code == 200
        assert (await chair.post(f"/api/notices/{nid}/approve")).status_code == 200
        r = await chair.post(f"/api/notices/{nid}/sign", json={"password": PASSWORD})
        assert r.status_code == 200 and r.json()["state"] == "issued", r.text
        signed = (await staff.get(f"/api/notices/{nid}/pdf")).content
        text = await asyncio.to_thread(pdftotext, signed)
        assert "Đã ký số" in text and CARELESS not in text, text
        for row in (f"{UNIT} Nhiệm vụ số 1 ", f"{UNIT} Nhiệm vụ số 2 ", "Bộ Y tế Nhiệm vụ số 3 "):
            assert "Cơ quan Nhiệm vụ Thời hạn" in text and row in text, text  # the task table's rows

        listed = {t["id"]: t["unit"] for t in (await staff.get("/api/tasks")).json()}
        assert [listed[t] for t in task_ids] == [UNIT, UNIT, "Bộ Y tế"]
        board = (await staff.get("/api/tasks/dashboard")).json()
        assert {t["unit"] for t in board["tasks"]["open"]} == {UNIT, "Bộ Y tế"}
        # the careless record is still a user of the ministry: its tasks reach it, spelled right
        careless = await login(url, legacy.username)
        clients.append(careless)
        assert sorted((t["id"], t["unit"]) for t in (await careless.get("/api/tasks")).json()) == [
            (task_ids[0], UNIT),
            (task_ids[1], UNIT),
        ]
        # giving a task to its own unit in another spelling is no reassignment
        r = await staff.post(f"/api/tasks/{task_ids[0]}/reassign", json={"unit": CARELESS, "reason": "Chính tả"})
        assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "unit", r.text
        r = await staff.post(f"/api/tasks/{task_ids[0]}/reassign", json={"unit": "BỘ Y TẾ", "reason": "Đúng chức năng"})
        assert r.status_code == 200 and r.json()["unit"] == "Bộ Y tế", r.text
    finally:
        for client in clients:
            await client.aclose()


def test_the_canonical_spelling_does_not_depend_on_the_order_rows_are_read() -> None:
    rows = [
        (3, "Bộ Tài chính", True),
        (5, "bo tai CHINH", True),
        (7, "Bộ  Tài chính ", True),  # the same spelling once tidied
        (9, "BỘ TÀI CHÍNH", True),
        (2, "Bộ Y tế", True),
        (4, "bo y te", True),  # a tie: the earliest account's spelling (2)
        (1, "Bộ Công an", False),  # guests / locked: they count only where no user names the unit
        (8, "BỘ CÔNG AN", False),
        (6, "Bo cong an", True),
        (10, "Ủy ban Dân tộc", False),
        (11, "UY BAN DAN TOC", False),
    ]
    expected = {unit_key(s): s for s in ("Bộ Tài chính", "Bộ Y tế", "Bo cong an", "Ủy ban Dân tộc")}
    rng = random.Random(2027)
    orders = [rows, rows[::-1], *(rng.sample(rows, len(rows)) for _ in range(50))]
    for order in orders:
        assert {key: unit.canonical for key, unit in canonical_units(order).items()} == expected, order
    units = canonical_units(rows)
    assert units[unit_key(UNIT)].spell("bộ tài chính") == UNIT  # a variant: the canonical spelling
    assert units[unit_key(UNIT)].spell("BỘ TÀI CHÍNH") == "BỘ TÀI CHÍNH"  # on a record: as typed
    assert units[unit_key(UNIT)].spell("Bộ   Tài chính") == UNIT


@pytest.mark.parametrize("order", list(itertools.permutations(["careful", "careful2", "careless"])))
def test_a_task_is_given_the_unit_most_of_its_users_spell_whatever_the_order_they_were_made(
    db: Database, order: tuple[str, ...]
) -> None:
    spelled = {"careful": UNIT, "careful2": UNIT, "careless": CARELESS}
    for i, who in enumerate(order):
        unit_user(db, unit=spelled[who], username=f"cv-{who}", name=f"Cán Bộ Số {i}")
    with db.read_session() as session:
        assert known_unit(session, "bộ tài chính") == UNIT  # two records against one, first or last
        assert known_unit(session, UNIT) == UNIT and known_unit(session, CARELESS) == CARELESS  # as typed
        with pytest.raises(ValidationFailed):
            known_unit(session, "Bộ Tài chánh")


def test_a_tie_goes_to_the_earliest_account_not_to_the_last_one_read(db: Database) -> None:
    unit_user(db, unit=CARELESS, username="cv-truoc", name="Cán Bộ Trước")
    unit_user(db, unit=UNIT, username="cv-sau", name="Cán Bộ Sau")
    with db.read_session() as session:
        assert known_unit(session, "BỘ TÀI CHÍNH") == CARELESS  # 1 against 1: the earliest record's spelling
        assert known_unit(session, UNIT) == UNIT


def _createuser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> None:
    monkeypatch.setenv("ECABINET_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("ECABINET_NEW_PASSWORD", NEW)
    cli.main(["createuser", *args])


def test_the_command_line_refuses_a_variant_of_a_unit_and_names_the_spelling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _createuser(monkeypatch, tmp_path, "btc01", "--full-name", "Hoa Lan", "--unit", UNIT)
    _createuser(monkeypatch, tmp_path, "btc02", "--full-name", "Mai Đào", "--unit", UNIT)  # the same spelling
    assert "Đã tạo tài khoản btc02" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        _createuser(monkeypatch, tmp_path, "btc03", "--full-name", "Trúc Cúc", "--unit", "bộ tài chính")
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"“{UNIT}”" in err and "“bộ tài chính”" in err
    _createuser(monkeypatch, tmp_path, "byt01", "--full-name", "Lê Y Tá", "--unit", "Bộ Y tế")  # a new unit
    db = Database(f"sqlite:///{tmp_path / 'cli' / 'ecabinet.db'}")
    try:
        units = db.run_read(lambda session: sorted(session.exec(select(User.username, User.unit)).all()))
    finally:
        db.dispose()
    assert units == [("btc01", UNIT), ("btc02", UNIT), ("byt01", "Bộ Y tế")]


def test_the_demo_starts_again_over_variants_made_before_the_rule(db: Database) -> None:
    made = db.run_write(seed.load, full=False, password_hash="-").result
    unit_user(db, unit=CARELESS, username="cv-cu", name="Người Cũ")  # a record of before the rule
    assert db.run_write(seed.load, full=False, password_hash="-").result == made  # the demo starts as before
    with db.read_session() as session:
        assert known_unit(session, "bộ tài chính") == UNIT  # one record each: the earliest's, the demo minister's
