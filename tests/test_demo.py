"""`ecabinet demo` seeds what a new user should see at once: today's cabinet (the 14 ministries and 3
ministry-level agencies after the 2025 reorganisation, fictional people), a published meeting with real
papers (readable, searchable, one restricted, one shared with guests), a past meeting with its minutes
drafted, and a draft. Checked over HTTP against the real server on the seeded file."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, create_engine, select

from accounts.models import User
from infra.settings import Settings
from documents.models import Document
from meetings.models import Meeting
from tests.conftest import free_port, running
from tests.test_cli import run

MINISTRIES = [
    "Bộ Quốc phòng",
    "Bộ Công an",
    "Bộ Ngoại giao",
    "Bộ Nội vụ",
    "Bộ Tư pháp",
    "Bộ Tài chính",
    "Bộ Công Thương",
    "Bộ Nông nghiệp và Môi trường",
    "Bộ Xây dựng",
    "Bộ Văn hóa, Thể thao và Du lịch",
    "Bộ Khoa học và Công nghệ",
    "Bộ Giáo dục và Đào tạo",
    "Bộ Y tế",
    "Bộ Dân tộc và Tôn giáo",
]
HEADS = [
    "Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ",
    "Thống đốc Ngân hàng Nhà nước Việt Nam",
    "Tổng Thanh tra Chính phủ",
]
GONE = [
    "Kế hoạch và Đầu tư",
    "Lao động - Thương binh",
    "Giao thông vận tải",
    "Thông tin và Truyền thông",
    "Tài nguyên và Môi trường",
    "Ủy ban Dân tộc",
    "Nội vụ và",
    "Quảng Nam",
]  # merged away in 2025
REAL_PEOPLE = ["Phạm Minh Chính", "Bùi Thanh Sơn", "Mai Văn Chính", "Huỳnh Tấn Phát", "Nguyễn Hòa Bình", "Trần Hồng Hà"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("demo")
    first = run(data_dir, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    return data_dir


def _nfc_with_marks(text: str) -> bool:
    return unicodedata.normalize("NFC", text) == text


def test_the_cabinet_is_todays_government_with_fictional_people(seeded: Path) -> None:
    engine = create_engine(f"sqlite:///{seeded / 'ecabinet.db'}")
    with Session(engine) as s:
        users = {u.username: u for u in s.exec(select(User)).all()}
    engine.dispose()
    titles = [users[f"thanhvien{i:02d}"].title for i in range(1, 27)]
    assert [t for t in titles if t.startswith("Bộ trưởng Bộ ")] == [f"Bộ trưởng {m}" for m in MINISTRIES]
    assert all(h in titles for h in HEADS) and titles.count("Phó Thủ tướng Thường trực") == 1
    assert users["thutuong"].title == "Thủ tướng Chính phủ"
    every = [x for u in users.values() for x in (u.full_name, u.title, u.unit)]
    assert not [x for x in every for gone in GONE if gone in x]
    assert not [x for x in every for real in REAL_PEOPLE if real in x]
    assert all(_nfc_with_marks(x) for x in every) and "Phó Thủ tướng" in titles


async def _client(url: str, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30)
    r = await client.post("/api/auth/login", json={"username": username, "password": "demo"})
    assert r.status_code == 200, r.text
    return client


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


async def test_a_member_reads_the_meetings_papers_and_a_restricted_one_only_when_allowed(seeded: Path) -> None:
    settings = Settings(data_dir=seeded, port=free_port(), demo_mode=True)
    async with running(settings) as live:
        people = [await _client(live.url, u) for u in ("thanhvien17", "thanhvien20", "khachmoi01", "vanphong")]
        member, outsider, guest, secretary = people
        try:
            meetings = (await member.get("/api/meetings")).json()
            titles = {m["title"]: m for m in meetings}
            upcoming = titles["Phiên họp Chính phủ thường kỳ tháng 11/2026"]
            assert (
                upcoming["state"] == "published"
                and titles["Phiên họp Chính phủ thường kỳ tháng 10/2026"]["state"] == "ended"
            )
            agenda = (await member.get(f"/api/meetings/{upcoming['id']}/agenda")).json()
            assert {i["presenter"] for i in agenda} <= set(MINISTRIES) and len(agenda) >= 5

            docs = (
                await member.get(f"/api/meetings/{upcoming['id']}/documents")
            ).json()  # thanhvien17: the minister presenting it
            assert len(docs) == 6 and any(d["title"].startswith("Tờ trình số") for d in docs)
            assert all(d["pages_ready"] for d in docs)  # rendered while seeding, not on the first tablet's request
            restricted = [d for d in docs if d["restricted"]]
            assert len(restricted) == 1
            assert all(_nfc_with_marks(s) for s in _strings(docs)) and any(
                "Dự thảo Nghị định" in d["title"] for d in docs
            )
            page = await member.get(f"/api/documents/{docs[0]['id']}/pages/1")
            assert page.status_code == 200 and page.headers["content-type"].startswith("image/")
            hits = (await member.get(f"/api/documents/{docs[2]['id']}/text", params={"q": "dat dai"})).json()
            assert "đất đai" in str(hits).lower()

            theirs = (await outsider.get(f"/api/meetings/{upcoming['id']}/documents")).json()
            assert len(theirs) == 5 and restricted[0]["id"] not in [d["id"] for d in theirs]
            assert (await outsider.get(f"/api/documents/{restricted[0]['id']}")).status_code == 404  # as absent
            past = titles["Phiên họp Chính phủ thường kỳ tháng 10/2026"]
            minutes = (await secretary.get(f"/api/meetings/{past['id']}/minutes")).json()
            assert "thông qua dự thảo Nghị định" in str(minutes) and all(_nfc_with_marks(x) for x in _strings(minutes))
            shared = (await guest.get(f"/api/meetings/{upcoming['id']}/documents")).json()
            assert [d["title"] for d in shared] == [docs[0]["title"]] and "kinh tế - xã hội" in shared[0]["title"]
        finally:
            for c in people:
                await c.aclose()


def test_running_it_again_adds_nothing(seeded: Path) -> None:
    def counts() -> tuple[int, int, int]:
        engine = create_engine(f"sqlite:///{seeded / 'ecabinet.db'}")
        with Session(engine) as s:
            out = tuple(len(s.exec(select(t)).all()) for t in (User, Meeting, Document))
        engine.dispose()
        return out  # type: ignore[return-value]

    before = counts()
    assert before[1] == 3
    again = run(seeded, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert counts() == before
