"""Every path that writes an account's username or full name goes through one check (accounts/namesakes.py
check_new_account, called by accounts/services.py create_user, the one writer): the administrator's request (tested in
tests/test_lookalikes.py), `ecabinet createuser`, the demo loader. No path renames an account: the administrator's
PATCH refuses a name, and no product module writes User.username or User.full_name elsewhere (checked below)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from accounts.models import GlobalRole, User
from app import cli
from app.db import Database
from app.demo import seed
from app.demo.cabinet import CHAIR, MEMBERS
from core.errors import Conflict
from tests.conftest import LiveServer
from tests.factories import make_user
from tests.live import login

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Mật-khẩu-dòng-lệnh-2027"


def _createuser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> None:
    monkeypatch.setenv("ECABINET_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("ECABINET_NEW_PASSWORD", PASSWORD)
    cli.main(["createuser", *args])


def _refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        _createuser(monkeypatch, tmp_path, *args)
    assert exit_.value.code == 2
    return capsys.readouterr().err


def test_the_command_line_refuses_a_look_alike_account(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _createuser(monkeypatch, tmp_path, "thutuong01", "--full-name", "Nguyễn Văn Thành", "--title", "Thủ tướng")
    _createuser(monkeypatch, tmp_path, "vutruong01", "--full-name", "Hoa Lan", "--title", "Vụ trưởng")
    assert "Đã tạo tài khoản thutuong01" in capsys.readouterr().out
    err = _refused(monkeypatch, tmp_path, capsys, "thutuong0l", "--full-name", "Trần Văn Khác")
    assert "dễ nhầm" in err and "thutuong01" in err  # a username that reads like another
    err = _refused(monkeypatch, tmp_path, capsys, "vutruong02", "--full-name", "Ноа Lan")  # Cyrillic Н о а
    assert "ký tự khác" in err
    err = _refused(monkeypatch, tmp_path, capsys, "tt02", "--full-name", "Nguyễn  Văn Thành", "--title", "THỦ TƯỚNG")
    assert "cùng chức vụ" in err  # the same name and title as an active account
    err = _refused(monkeypatch, tmp_path, capsys, "cv01", "--full-name", "Nguyễn Văn Thành", "--title", "Chuyên viên")
    assert "cùng họ tên" in err and "Thủ tướng" in err and "--same-name-confirmed" in err  # the other one named
    confirmed = ("--title", "Chuyên viên", "--same-name-confirmed")
    _createuser(monkeypatch, tmp_path, "cv01", "--full-name", "Nguyễn Văn Thành", *confirmed)
    assert "Đã tạo tài khoản cv01" in capsys.readouterr().out  # a real namesake, confirmed
    db = Database(f"sqlite:///{tmp_path / 'cli' / 'ecabinet.db'}")
    try:
        names = db.run_read(lambda session: sorted(session.exec(select(User.username)).all()))
    finally:
        db.dispose()
    assert names == ["cv01", "thutuong01", "vutruong01"]


async def test_the_administrators_update_cannot_rename_an_account(live_server: LiveServer) -> None:
    """No rename exists: a PATCH naming a username or full name is refused whole (422), nothing changes; the same
    request without it is the administrator's update as before (the allowed half)."""
    db = live_server.db
    target = make_user(db, GlobalRole.member, "Hoa Lan")
    admin_user = make_user(db, GlobalRole.admin, "Quản Trị Hệ Thống")
    admin = await login(live_server.url, admin_user.username)
    url = f"/api/users/{target.id}"
    try:
        for change in ({"full_name": "Ноа Lan"}, {"username": "u0l-member"}, {"role": "member", "full_name": "X Y"}):
            r = await admin.patch(url, json=change)
            assert r.status_code == 422, r.text
            assert r.json()["error"]["code"] == "validation_failed"
        assert (await admin.patch(url, json={"role": "member"})).status_code == 200
        [row] = [u for u in (await admin.get("/api/accounts")).json() if u["id"] == target.id]
        assert (row["username"], row["full_name"]) == (target.username, "Hoa Lan")
    finally:
        await admin.aclose()


def test_the_demo_loader_refuses_a_look_alike_and_loads_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    crafted = [("Hoa Lan", "Phó Thủ tướng", "Chính phủ"), ("Ноа Lan", "Phó Thủ tướng", "Chính phủ"), *MEMBERS[2:]]
    monkeypatch.setattr(seed, "MEMBERS", crafted)
    with pytest.raises(Conflict, match="hãy gõ lại họ tên"):  # the account refused, not only its invitation
        db.run_write(seed.load, full=False, password_hash="-")
    assert db.run_read(lambda session: session.exec(select(User)).all()) == []  # the whole load rolled back


def test_the_demo_command_says_why_it_stops(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(seed, "MEMBERS", [*MEMBERS[:1], ("Nguyễn Văn Thành", *CHAIR[1:]), *MEMBERS[2:]])
    monkeypatch.setenv("ECABINET_DATA_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("ECABINET_DEMO_BARE", "1")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["demo", "--no-serve"])
    assert exit_.value.code == 2
    assert "cùng chức vụ" in capsys.readouterr().err  # a second "Nguyễn Văn Thành, Thủ tướng Chính phủ"


def test_the_demo_starts_again_over_look_alikes_made_before_the_rule(db: Database) -> None:
    made = db.run_write(seed.load, full=False, password_hash="-").result
    impostor = make_user(db, GlobalRole.member, "Người Cũ")
    with db.engine.begin() as conn:  # accounts made before look-alikes were refused (Cyrillic Н о а)
        rename = text('UPDATE "user" SET full_name = :n WHERE id = :id')
        conn.execute(rename, {"n": "Nguyễn Văn Тhành", "id": impostor.id})
    assert db.run_write(seed.load, full=False, password_hash="-").result == made  # the demo starts as before
    count = db.run_read(lambda session: len(session.exec(select(User)).all()))
    assert count == len(made) + 1


# Where a User row is written outside the one writer: constructing one, assigning its names, an UPDATE of the table.
_WRITER = ROOT / "accounts" / "services.py"
_PACKAGES = [d for d in sorted(ROOT.iterdir()) if (d / "__init__.py").exists() and d.name not in ("tests", "bench")]
_PRODUCT = [p for d in _PACKAGES for p in sorted(d.rglob("*.py"))]


def _writes_names(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "User" and path != _WRITER:
                found.append(f"{path}:{node.lineno}: User(...)")
            if node.func.id == "update" and any(isinstance(a, ast.Name) and a.id == "User" for a in node.args):
                found.append(f"{path}:{node.lineno}: update(User)")
        if isinstance(node, ast.Call) and any(k.arg == "check_names" for k in node.keywords):
            found.append(f"{path}:{node.lineno}: check_names= (the tests' factories only)")
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for t in targets:
            if isinstance(t, ast.Attribute) and t.attr in NAMES:
                found.append(f"{path}:{t.lineno}: .{t.attr} =")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value in NAMES:
                found.append(f"{path}:{node.lineno}: setattr(.., {node.args[1].value!r})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            sql = " ".join(node.value.lower().replace('"', "").split())
            if ("update user " in sql or "insert into user " in sql) and any(n in sql for n in NAMES):
                found.append(f"{path}:{node.lineno}: SQL on user")
    return found


NAMES = ("username", "full_name")


def test_no_product_module_writes_an_accounts_names_but_the_one_writer(tmp_path: Path) -> None:
    assert {"accounts", "app", "meetings", "display"} <= {d.name for d in _PACKAGES} and _WRITER in _PRODUCT
    assert [f for p in _PRODUCT for f in _writes_names(p)] == []
    # what it would catch: a rename, a second writer, a raw UPDATE, a call that skips the check
    bad = tmp_path / "rename.py"
    bad.write_text(
        "def rename(session, user, name):\n"
        "    user.full_name = name\n"
        "    setattr(user, 'username', name)\n"
        "    session.add(User(username=name))\n"
        "    session.execute(update(User).values(full_name=name))\n"
        "    session.execute(text('UPDATE \"user\" SET full_name = :n'))\n"
        "    create_user(session=session, actor=None, data=name, min_length=0, check_names=False)\n",
        encoding="utf-8",
    )
    assert len(_writes_names(bad)) == 6
