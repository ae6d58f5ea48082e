"""A new account must be told apart from every other in the record: by its username at sign-in, by its name and title
in the minutes, the signatures and the named votes.

Compared by skeleton (core/scripts.py: NFC, case, spaces, invisible characters and look-alike letters do not count):
- a username that reads like another ("thanhvien0l" beside "thanhvien01") is refused;
- a full name that reads like another's but is written with other characters ("Nguyễn Văn Тhành" with a Cyrillic
  Т) is refused: a namesake writes the same letters, only an impostor needs look-alikes;
- a full name and title that read like an active account's are refused, whatever the unit: the minutes name people
  by name and title ("Nguyễn Văn Thành, Thủ tướng Chính phủ"), so two such people cannot be told apart there;
- the same full name as another account's (a real namesake happens) is refused with `same_name` and the accounts
  named, unless the administrator confirms (`same_name_confirmed`): the other one may be the same person.
The unit is checked here too (accounts/units.py check_new_unit): another spelling of a unit on record is refused.
"""

from __future__ import annotations

import unicodedata

from sqlmodel import Session, col, select

from accounts import units
from accounts.models import User
from accounts.schemas import UserCreate
from core.errors import Conflict
from core.scripts import skeleton


class SameName(Conflict):
    """Another account has this full name: confirm that the new one is another person (details name them)."""

    code = "same_name"


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def check_new_account(session: Session, data: UserCreate) -> None:
    """The one check of a new account's names, on every path that makes one (accounts/services.py create_user: the
    administrator's request, `ecabinet createuser`, the demo loader). Only the new account is compared with the
    others: accounts made before this rule that read alike among themselves do not stop anything else."""
    users = session.exec(select(User).order_by(col(User.id))).all()
    rows = [(u.username, u.full_name, u.title, u.unit, u.is_active) for u in users]
    username = skeleton(data.username)
    for other, *_ in rows:
        if other != data.username and skeleton(other) == username:
            raise Conflict(
                "Tên đăng nhập “{username}” dễ nhầm với tên đăng nhập đã có “{other}”; hãy chọn tên khác.",
                username=data.username,
                other=other,
            )
    name = skeleton(data.full_name)
    same = [row for row in rows if skeleton(row[1]) == name]
    for _, full_name, title, _unit, active in same:
        if _plain(full_name) != _plain(data.full_name):
            raise Conflict(
                "Họ tên “{full_name}” trông giống hệt họ tên của một tài khoản đã có nhưng được viết bằng ký tự khác; "
                "hãy gõ lại họ tên.",
                full_name=data.full_name,
            )
        if active and skeleton(title) == skeleton(data.title):
            raise Conflict(
                "Đã có tài khoản “{full_name}” cùng chức vụ; hai tài khoản như vậy không phân biệt được trong "
                "biên bản.",
                full_name=data.full_name,
            )
    if same and not data.same_name_confirmed:
        raise SameName(
            "Đã có tài khoản cùng họ tên “{full_name}”. Nếu đây là một người khác, hãy xác nhận để tạo tài khoản.",
            full_name=data.full_name,
            details={"accounts": [{"full_name": r[1], "title": r[2], "unit": r[3], "active": r[4]} for r in same]},
        )
    units.check_new_unit(session, data.unit)  # the unit as the records already spell it (accounts/units.py)


def lookalike(a: str, b: str) -> bool:
    """Two full names that read alike but are written with other characters: never two real namesakes."""
    return skeleton(a) == skeleton(b) and _plain(a) != _plain(b)
