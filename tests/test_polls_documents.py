"""Poll documents: the meeting documents' intake and watermarked page images, with the poll's access rules:
the secretariat adds them; whoever sees the poll reads them; a restricted one only the voters on its list."""

from __future__ import annotations

import io

from PIL import Image

from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf
from tests.live import login
from tests.poll_helpers import in_, make_board, make_poll


async def test_poll_documents_denied_and_allowed(live_server: LiveServer) -> None:
    b = make_board(live_server.db, n_members=2)
    poll = make_poll(live_server.db, b, deadline=in_(3600))
    pid = poll["id"]
    staff, m0, m1, guest = [
        await login(live_server.url, a.username) for a in (b.staff, b.members[0], b.members[1], b.outsider)
    ]
    files = {"file": ("to-trinh.pdf", make_pdf(2), "application/pdf")}
    try:
        assert (
            await m0.post(f"/api/polls/{pid}/documents", data={"title": "Tờ trình"}, files=files)
        ).status_code == 403
        r = await staff.post(
            f"/api/polls/{pid}/documents", data={"title": "Tờ trình của Bộ Kế hoạch và Đầu tư"}, files=files
        )
        assert r.status_code == 201, r.text
        plain = r.json()["id"]
        assert r.json()["page_count"] == 2
        r = await staff.post(
            f"/api/polls/{pid}/documents",
            data={"title": "Báo cáo mật", "restricted": "true", "allowed_user_ids": str(b.members[0].id)},
            files=files,
        )
        assert r.status_code == 201, r.text
        secret = r.json()["id"]
        bad = await staff.post(
            f"/api/polls/{pid}/documents",
            data={"title": "x", "allowed_user_ids": str(b.outsider.id), "restricted": "true"},
            files=files,
        )
        assert bad.status_code == 422
        assert (
            await staff.post(f"/api/polls/{pid}/documents", data={"title": "x", "colour": "red"}, files=files)
        ).status_code == 422
        page = await m1.get(f"/api/polls/{pid}/documents/{plain}/pages/1")
        assert page.status_code == 200 and page.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(page.content)).width > 500
        assert (await m1.get(f"/api/polls/{pid}/documents/{plain}/pages/3")).status_code == 404
        assert (await m1.get(f"/api/polls/{pid}/documents/{plain}/pages/1?size=huge")).status_code == 422
        assert (await guest.get(f"/api/polls/{pid}/documents/{plain}/pages/1")).status_code == 404  # poll hidden
        assert (await m1.get(f"/api/polls/{pid}/documents/{secret}/pages/1")).status_code == 404  # as a missing one
        assert (await m0.get(f"/api/polls/{pid}/documents/{secret}/pages/1")).status_code == 200
        assert [d["id"] for d in (await m1.get(f"/api/polls/{pid}")).json()["documents"]] == [plain]
        assert [d["id"] for d in (await m0.get(f"/api/polls/{pid}")).json()["documents"]] == [plain, secret]
    finally:
        for c in (staff, m0, m1, guest):
            await c.aclose()
