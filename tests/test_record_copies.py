"""Siblings of the minutes' file dates: the watermarked download and the annotated export say when the copy was
made (/ModDate, with the organisation's UTC offset) and that e-Cabinet made it; the watermark line reads the
organisation's clock (ECABINET_TIMEZONE=Europe/Paris here), and the original's author stays the original's."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pikepdf
import pytest

from infra.settings import Settings
from tests.annotation_helpers import note
from tests.conftest import LiveServer, free_port
from tests.factories import make_cabinet
from tests.live import login
from tests.test_documents_access import _doc


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", port=free_port(), socket_rate_per_second=200, timezone="Europe/Paris")


def _moments(before: datetime, after: datetime) -> set[str]:
    """The PDF dates (minute precision, Paris offset) a copy made between `before` and `after` may carry."""
    paris = ZoneInfo("Europe/Paris")
    out, t = set(), before.replace(second=0, microsecond=0)
    while t <= after:
        out.add(t.astimezone(paris).strftime("D:%Y%m%d%H%M"))
        t += timedelta(minutes=1)
    return out


async def test_downloads_say_when_and_by_whom_the_copy_was_made(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c)
    me = await login(live_server.url, c.members[0].username)
    try:
        await me.post(f"/api/documents/{doc}/annotations", json=note(1, text="Ghi chú"))
        before = datetime.now(timezone.utc)
        copies = [(await me.get(f"/api/documents/{doc}/{path}")).content for path in ("download", "annotated.pdf")]
        after = datetime.now(timezone.utc)
        for data in copies:
            with pikepdf.open(io.BytesIO(data)) as pdf:
                info = {k: str(v) for k, v in pdf.docinfo.items()}
            assert info["/ModDate"][:14] in _moments(before, after) and info["/ModDate"][16:] in ("+01'00'", "+02'00'")
            assert info["/Producer"] == "e-Cabinet"
            stamp = info["/Subject"].rsplit(" lúc ", 1)[1]  # "dd/mm/yyyy HH:MM" on the organisation's clock
            assert datetime.strptime(stamp, "%d/%m/%Y %H:%M").strftime("D:%Y%m%d%H%M") in _moments(before, after)
    finally:
        await me.aclose()
