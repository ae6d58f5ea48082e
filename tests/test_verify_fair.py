"""One anonymous client cannot keep the public signature check (/api/minutes/verify) from everyone else (probe I):

- a file with more revisions than any file the server issues (the probe's: a self-signed signature in each of 20
  incremental revisions over 1,900 annotations, 7.3 CPU-seconds of pyHanko's diff analysis) is refused with 422 in
  both languages before pyHanko compares anything, for a few CPU-milliseconds (minutes/verify_job.py);
- one address holds one verify job, running or waiting: its further uploads get 429 `in_flight` at once, so
  another address always finds a place in the line (before: its three uploads filled the worker and its line of 2,
  and the victim got 503 `busy`) (documents/admission.py, documents/exports.py verify);
- each job's CPU time is charged to its address (infra/costbudget.py, in Redis when configured): past
  VERIFY_CPU_BUDGET a minute, 429 with Retry-After, while another address is served;
- the issued minutes still verify `valid`, for a fraction of the budget.

Addresses: the server believes X-Forwarded-For from this machine (ECABINET_TRUSTED_PROXIES, as
tests/test_login_device_budget.py). Jobs that must hold the worker block on a FIFO the test writes to (as
tests/test_export_pool_fairness.py): no clock decides what runs when."""

from __future__ import annotations

import asyncio
import datetime
import io
import os
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from core.errors import RateLimited
from documents import exports
from documents.routes import renderer_for
from infra.costbudget import CostBudget, cost_budget
from infra.settings import Settings
from ledger.keystore import ensure_demo_signers
from minutes import routes as minutes_routes
from minutes import verify_job
from tests.conftest import LiveServer, pdf_settings, running
from tests.factories import PASSWORD
from tests.live import login
from tests.notice_helpers import held_meeting
from tests.test_export_pool_fairness import _gate, _wait_on
from tests.test_verify_upload_capped import CAP_MB

VERIFY = "/api/minutes/verify"
ATTACKER, VICTIM = "198.51.100.7", "203.0.113.20"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return pdf_settings(tmp_path, render_workers=1, worker_memory_mb=CAP_MB).with_(trusted_proxies=("127.0.0.1",))


@pytest.fixture(params=["local", "redis"])
async def live(request: pytest.FixtureRequest, settings: Settings, db: Any) -> AsyncIterator[LiveServer]:
    """A server whose verify budget is kept in this process, or in Redis."""
    if request.param == "redis":
        from tests.test_multinode import REDIS_URL, _redis_up

        if not _redis_up():
            pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
        settings = settings.with_(redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    async with running(settings) as server:
        yield server


@pytest.fixture
async def fifo(tmp_path: Path) -> AsyncIterator[tuple[str, int]]:
    path = tmp_path / "release"
    os.mkfifo(path)
    fd = os.open(path, os.O_RDWR)
    try:
        yield str(path), fd
    finally:
        os.close(fd)


def attack_pdf(work: Path, signatures: int, annotations: int, pages: int) -> bytes:
    """The probe's file (/tmp/probeI/mksig.py): `pages` blank pages carrying `annotations` squares, then
    `signatures` self-signed signatures, each in its own incremental revision."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn A")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem, cert_pem = work / "k.pem", work / "c.pem"
    key_pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(key_pem), str(cert_pem))
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
    for page in pdf.pages:
        squares = [
            pdf.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[0, 0, 9, 9])
            )
            for _ in range(annotations // pages)
        ]
        page.obj.Annots = pdf.make_indirect(pikepdf.Array(squares))
    out = io.BytesIO()
    pdf.save(out)
    data = out.getvalue()
    for i in range(signatures):
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        spec = fields.SigFieldSpec(f"Sig{i}", on_page=i % pages, box=(0, 0, 10, 10))
        signed = io.BytesIO()
        signers.PdfSigner(signers.PdfSignatureMetadata(field_name=f"Sig{i}"), signer, new_field_spec=spec).sign_pdf(
            writer, output=signed
        )
        data = signed.getvalue()
    return data


async def _post(url: str, pdf: bytes, address: str, lang: str = "vi") -> httpx.Response:
    headers = {"X-Forwarded-For": address, "Accept-Language": lang}
    async with httpx.AsyncClient(base_url=url, timeout=120, headers=headers) as client:
        return await client.post(VERIFY, files={"file": ("bien-ban.pdf", pdf, "application/pdf")})


def _budget(live: LiveServer) -> CostBudget:
    budget: CostBudget = live.app.state.verify_cpu_budget
    return budget


async def _charged() -> None:
    """Every job's cost written to the budget (the charge follows the job's end, apart from its answer)."""
    await asyncio.gather(*list(exports._CHARGES))


@pytest.fixture(autouse=True)
def _uploads_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(minutes_routes, "VERIFY_LIMIT", (60, 60))  # the CPU budget and the line are under test


async def test_a_many_revision_file_is_refused_before_pyhanko_compares_revisions(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """The probe's shape, smaller (12 signatures, each its own revision, 600 annotations): 422 `too_complex` naming
    the bound, in both languages, for a few milliseconds of the worker (before: every signature's diff analysis)."""
    pdf = await asyncio.to_thread(attack_pdf, tmp_path, 12, 600, 12)
    vi, en = await _post(live_server.url, pdf, ATTACKER), await _post(live_server.url, pdf, ATTACKER, "en")
    for r in (vi, en):
        assert r.status_code == 422, r.text[:300]
        error = r.json()["error"]
        assert error["code"] == "validation_failed", error
        assert error["details"] == {"reason": "too_complex", "bound": "revisions", "limit": 6}, error
    assert "quá nhiều lần (13 lần lưu" in vi.json()["error"]["message"]
    assert "13 saves" in en.json()["error"]["message"] and "more than 6" in en.json()["error"]["message"]
    await _charged()
    assert await _budget(live_server).spent_by(ATTACKER) < 0.5  # two refusals: CPU-milliseconds, not seconds


async def test_one_address_holds_one_job_so_another_always_finds_a_place(
    live_server: LiveServer, fifo: tuple[str, int], tmp_path: Path
) -> None:
    """The attacker's job holds the worker: its three more uploads (the probe sent three at once) get 429 `in_flight`
    at once, in both languages, and leave the line free; the victim's file from another address waits its turn and
    is checked (before: two of the attacker's filled the line and the victim got 503 `busy`)."""
    path, release = fifo
    pdf = await asyncio.to_thread(attack_pdf, tmp_path, 2, 20, 2)
    renderer = renderer_for(live_server.app.state.ctx)
    queue = live_server.settings.verify_queue
    held = asyncio.ensure_future(exports.verify(renderer, None, queue, _wait_on, path, address=ATTACKER))
    gate = _gate(live_server, "verify")
    try:
        await gate.until(lambda g: g.running == 1)
        more = await asyncio.gather(*(_post(live_server.url, pdf, ATTACKER, lang) for lang in ("vi", "vi", "en")))
        for r in more:
            assert r.status_code == 429, r.text[:300]
            assert r.json()["error"]["details"] == {"reason": "in_flight"} and int(r.headers["retry-after"]) > 0
        assert "Tệp bạn gửi trước vẫn đang được kiểm tra" in more[0].json()["error"]["message"]
        assert "still being checked" in more[2].json()["error"]["message"]
        assert len(gate.waiting) == 0  # the line is free for everyone else
        victim = asyncio.ensure_future(_post(live_server.url, pdf, VICTIM))
        await gate.until(lambda g: len(g.waiting) == 1)
        os.write(release, b"x")
        await held
        r = await victim
        assert r.status_code == 200, r.text[:300]
        assert r.json()["verdict"] == "not_issued" and len(r.json()["signatures"]) == 2
    finally:
        os.write(release, b"x" * 4)  # whatever still waits on it ends


async def test_an_address_past_its_cpu_budget_waits_and_another_is_served(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A file within every bound but costly to check (5 signatures each in its own revision, 190 annotations), sent
    again and again from one address: once what its jobs cost reaches the budget (lowered to 0.3 CPU-second for the
    test), 429 with Retry-After and the reason, in both languages; another address's check is answered meanwhile."""
    monkeypatch.setattr(minutes_routes, "VERIFY_CPU_BUDGET", (0.3, 60.0))
    pdf = await asyncio.to_thread(attack_pdf, tmp_path, 5, 190, 5)
    answers = []
    for _ in range(20):
        r = await _post(live.url, pdf, ATTACKER)
        answers.append(r.status_code)
        if r.status_code != 200:
            break
        assert r.json()["verdict"] == "not_issued", r.text[:300]  # checked to its end: within the bounds
        await _charged()
    assert answers[-1] == 429 and len(answers) > 1, answers
    assert r.json()["error"]["details"] == {"reason": "cost_budget"}
    assert 0 < int(r.headers["retry-after"]) <= 60
    assert "đã dùng hết thời gian kiểm tra" in r.json()["error"]["message"]
    english = await _post(live.url, pdf, ATTACKER, "en")
    assert english.status_code == 429 and "used up the checking time" in english.json()["error"]["message"]
    assert await _budget(live).spent_by(ATTACKER) >= 0.3
    r = await _post(live.url, pdf, VICTIM)
    assert r.status_code == 200 and r.json()["verdict"] == "not_issued", r.text[:300]


async def test_the_budget_is_shared_by_the_nodes_through_redis() -> None:
    """What one node charged an address, another node refuses it for (Retry-After until it leaves the window)."""
    from tests.test_multinode import REDIS_URL, _redis_up

    if not _redis_up():
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    prefix = f"ecabinet-test-{uuid.uuid4().hex[:8]}"
    one, two = cost_budget(1.0, 60, REDIS_URL, prefix), cost_budget(1.0, 60, REDIS_URL, prefix)
    try:
        await two.check(ATTACKER, "{seconds}")
        await one.charge(ATTACKER, 0.6)
        await two.check(ATTACKER, "{seconds}")  # 0.6 of 1.0: still admitted
        await one.charge(ATTACKER, 0.6)
        with pytest.raises(RateLimited) as refused:
            await two.check(ATTACKER, "{seconds}")
        assert refused.value.retry_after is not None and 55 <= refused.value.retry_after <= 60
        await two.check(VICTIM, "{seconds}")  # another address: nothing spent
        assert round(await two.spent_by(ATTACKER), 3) == 1.2
    finally:
        await one.stop()
        await two.stop()


async def test_issued_minutes_still_verify_valid_for_a_fraction_of_the_budget(live_server: LiveServer) -> None:
    """The minutes signed by the secretary and the chair through the server: `valid`, as before the bounds, and their
    check costs a small part of what an address may spend a minute."""
    h = held_meeting(live_server.db)
    c, mid = h.cabinet, h.meeting_id
    people = [(u.username, u.full_name, "") for u in (c.secretary, c.chair)]
    ensure_demo_signers(live_server.settings.data_dir / "keys", people, PASSWORD)
    staff, secretary, chair = [await login(live_server.url, a.username) for a in (c.staff, c.secretary, c.chair)]
    base = f"/api/meetings/{mid}/minutes"
    try:
        assert (await staff.post(f"{base}/finalise")).json()["state"] == "final"
        for signer in (secretary, chair):
            r = await signer.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})
            assert r.status_code == 200, r.text
        full = (await staff.get(f"/api/meetings/{mid}/minutes.pdf")).content
    finally:
        for client in (staff, secretary, chair):
            await client.aclose()
    r = await _post(live_server.url, full, VICTIM)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["verdict"] == "valid" and r.json()["issued"] and r.json()["document"]["state"] == "complete"
    await _charged()
    spent = await _budget(live_server).spent_by(VICTIM)
    assert 0 < spent < minutes_routes.VERIFY_CPU_BUDGET[0] / 5, spent
    assert verify_job.MAX_SIGNED_REVISIONS >= 2 * 3  # the margin over the minutes' 3 revisions
