"""Content disarm and reconstruction over real HTTP: every hostile PDF of the generated corpus
(tests/cdr_corpus.py) is uploaded by the secretariat, accepted, and what members get back — /download and
annotated.pdf — is re-parsed by a checker independent of documents/cdr.py (tests/cdr_checker.py): no active
content, no trace of the payload, while pages, text, the internal link, the https link and the outline stay."""

from __future__ import annotations

import functools
import io
import shutil
from typing import AsyncIterator, Callable

import httpx
import pypdfium2 as pdfium
import pytest
import pytest_asyncio
from sqlmodel import select

from app.migrate import upgrade
from infra.settings import Settings
from documents.models import DocumentVersion
from documents.storage import blob_path
from tests import cdr_checker, cdr_corpus
from tests.annotation_helpers import note
from tests.conftest import LiveServer, free_port, serving
from tests.doc_helpers import upload
from tests.factories import Cabinet, make_cabinet
from tests.live import login

Clients = tuple[httpx.AsyncClient, httpx.AsyncClient]
# Every action in a link's /A (direct) and as /OpenAction (indirect); every place with JavaScript (direct)
# and Launch (indirect); every other carrier; names spelled with #xx escapes.
CASES: dict[str, Callable[[], bytes]] = {}
for _action in cdr_corpus.ACTIONS:
    for _place, _indirect in (("link annotation /A", False), ("catalog /OpenAction", True)):
        CASES[f"{_action} in {_place}"] = functools.partial(cdr_corpus.build, _place, _action, _indirect)
for _place in cdr_corpus.PLACES:
    CASES[f"JavaScript (direct) in {_place}"] = functools.partial(cdr_corpus.build, _place, "JavaScript", False)
    CASES[f"Launch (indirect) in {_place}"] = functools.partial(cdr_corpus.build, _place, "Launch", True)
    CASES[f"javascript: URI (direct) in {_place}"] = functools.partial(
        cdr_corpus.build, _place, "URI JaVaScRiPt with whitespace", False
    )
for _carrier in cdr_corpus.CARRIERS:
    CASES[_carrier] = functools.partial(cdr_corpus.build_carrier, _carrier)
CASES["names written with #xx escapes"] = cdr_corpus.hex_escaped_names


def _text(data: bytes, page: int) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return doc[page - 1].get_textpage().get_text_range()
    finally:
        doc.close()


def _assert_harmless_parts_kept(data: bytes) -> None:
    assert cdr_checker.problems(data) == []
    assert "Trang 1" in _text(data, 1) and "1.700 nghìn tỷ đồng" in _text(data, 2)
    assert cdr_checker.uris(data) == {cdr_corpus.SAFE_URL}
    targets = cdr_checker.internal_links(data)
    assert targets[:1] == [2] and targets.count(2) >= 2  # the internal link and the first outline entry


def test_the_corpus_is_hostile_to_begin_with() -> None:
    """The checker finds something in every case (else a case would prove nothing)."""
    clean = [name for name, make in CASES.items() if not cdr_checker.problems(make())]
    assert clean == [] and len(CASES) > 90
    _assert_harmless_parts_kept(cdr_corpus._save(cdr_corpus.base()))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def corpus_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[LiveServer, Cabinet, Clients]]:
    """One real server for the whole corpus (a server and its render workers per case would cost ~2 s each),
    with the secretariat and a member logged in."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("cdr") / "data", port=free_port(), socket_rate_per_second=200)
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.effective_database_url)
    async with serving(LiveServer(settings)) as live:
        c = make_cabinet(live.db, n_members=1, n_items=1)
        staff = await login(live.url, c.staff.username)
        member = await login(live.url, c.members[0].username)
        yield live, c, (staff, member)
        await staff.aclose()
        await member.aclose()
    live.db.dispose()
    shutil.rmtree(settings.data_dir, ignore_errors=True)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", CASES)
async def test_a_hostile_pdf_is_stored_and_served_without_its_active_content(
    corpus_server: tuple[LiveServer, Cabinet, Clients], case: str
) -> None:
    live, c, (staff, member) = corpus_server
    r = await upload(staff, c.meeting_id, CASES[case](), title="Tờ trình có nội dung độc hại")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["page_count"] == 2 and doc["removed_content"], doc  # the uploader is told what was taken out
    sha = live.db.run_read(
        lambda session: session.exec(
            select(DocumentVersion.sha256).where(DocumentVersion.document_id == doc["id"])
        ).one()
    )
    _assert_harmless_parts_kept(blob_path(live.settings.data_dir, sha).read_bytes())
    assert (await member.post(f"/api/documents/{doc['id']}/annotations", json=note(1))).status_code == 201
    for path in ("download", "annotated.pdf"):
        got = await member.get(f"/api/documents/{doc['id']}/{path}")
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf", got.text
        _assert_harmless_parts_kept(got.content)


async def test_a_file_stored_before_cdr_is_disarmed_on_its_way_out(live_server: LiveServer) -> None:
    """Defence in depth: a blob that is hostile on disk (kept by an older version) still leaves clean."""
    c = make_cabinet(live_server.db, n_members=1, n_items=1)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        r = await upload(staff, c.meeting_id, cdr_corpus._save(cdr_corpus.base()))
        assert r.status_code == 201 and r.json()["removed_content"] == {}
        sha = live_server.db.run_read(lambda session: session.exec(select(DocumentVersion.sha256)).one())
        hostile = cdr_corpus.build("link annotation /A", "JavaScript", False)
        blob_path(live_server.settings.data_dir, sha).write_bytes(hostile)
        assert cdr_checker.problems(hostile)
        for path in ("download", "annotated.pdf"):
            got = await member.get(f"/api/documents/{r.json()['id']}/{path}")
            assert got.status_code == 200, got.text
            _assert_harmless_parts_kept(got.content)
    finally:
        await staff.aclose()
        await member.aclose()


def test_uri_policy() -> None:
    """Kept: http(s) with a host, mailto. Everything else, however it is spelled, is not a link we keep."""
    import pikepdf

    from documents.cdr import safe_uri

    kept = {
        "https://chinhphu.vn/a?b=1#c": "https://chinhphu.vn/a?b=1#c",
        "HTTP://Example.org": "HTTP://Example.org",
        " https://chinhphu.vn/\n": "https://chinhphu.vn/",
        "mailto:vanphong@chinhphu.vn": "mailto:vanphong@chinhphu.vn",
    }
    for raw, url in kept.items():
        assert safe_uri(pikepdf.String(raw)) == url
    refused = [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "\x01javascript:x",
        "file:///etc/passwd",
        "\\\\host\\share",
        "http:\\\\host\\share",
        "https:///nohost",
        "smb://host/x",
        "data:text/html,x",
        "vbscript:x",
        "relative/page.html",
        "//host/x",
        "mailto:",
        "https://ví-dụ.vn",
        "",
    ]
    for raw in refused:
        assert safe_uri(pikepdf.String(raw)) is None, raw
    assert safe_uri(io.BytesIO()) is None
