"""The secretariat puts a meeting's documents on the tablets from the preparation page: upload with a progress
bar to an agenda item, restricted to chosen participants, a new version, a refused file with its reason, and
delete; members see the document live and its new version."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.doc_helpers import encrypted, make_pdf, with_javascript

TITLE = "Tờ trình dự toán ngân sách nhà nước năm 2027"


def _pdf(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_secretariat_uploads_versions_restricts_and_deletes_documents(tablet, tmp_path: Path) -> None:
    staff = tablet("vanphong")
    page = staff.page
    page.goto("/meetings/1/edit")
    section = page.locator("#docs-section")
    expect(section.get_by_role("heading", name="Tài liệu họp")).to_be_visible()
    items = staff.api("GET", "/api/meetings/1/agenda").json()
    people = staff.api("GET", "/api/meetings/1/participants").json()
    allowed = next(p for p in people if p["role"] == "member")
    outsider = next(p for p in people if p["role"] == "member" and p["user_id"] != allowed["user_id"])

    # Upload to agenda item 2: the bar moves, then the document is listed under its item.
    page.set_input_files("#u-file", _pdf(tmp_path, "to-trinh.pdf", make_pdf(40, heading=TITLE)))
    page.fill("#u-title", TITLE)
    page.select_option("#u-item", str(items[1]["id"]))
    page.get_by_test_id("upload-restricted").check()
    expect(page.get_by_test_id("upload-allowed")).to_be_visible()
    page.locator(f"[data-testid=upload-allowed-user][value='{allowed['user_id']}']").check()
    seen_progress = page.evaluate("""() => new Promise((resolve) => {
        const bar = document.getElementById('upload-progress');
        new MutationObserver(() => bar.value > 0 && resolve(true)).observe(bar, {attributes: true});
        const row = document.getElementById('upload-progress-row');
        new MutationObserver(() => !row.hidden && resolve(true)).observe(row, {attributes: true});
        document.getElementById('btn-upload').click();
    })""")
    assert seen_progress
    row = page.get_by_test_id("doc-admin").filter(has_text=TITLE)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Phiên bản 1")
    expect(row).to_contain_text("40 trang")
    expect(row.get_by_test_id("doc-admin-restricted")).to_be_visible()
    expect(section.locator(".doc-group").filter(has=row)).to_contain_text(items[1]["title"])
    expect(page.get_by_test_id("upload-progress")).to_be_hidden()
    doc_id = int(row.get_attribute("data-document-id"))
    detail = staff.api("GET", f"/api/documents/{doc_id}").json()
    assert detail["allowed_user_ids"] == [allowed["user_id"]] and detail["agenda_item_id"] == items[1]["id"]

    # Who may read it: the chosen member yes, another member no.
    reader, other = (
        tablet(allowed_username(staff, allowed["user_id"])),
        tablet(allowed_username(staff, outsider["user_id"])),
    )
    assert reader.api("GET", f"/api/documents/{doc_id}").status == 200
    assert other.api("GET", f"/api/documents/{doc_id}").status == 404  # as absent to him (not his to know of)

    # An encrypted PDF is refused with its reason; nothing new is listed.
    page.set_input_files("#u-file", _pdf(tmp_path, "khoa.pdf", encrypted(make_pdf(1))))
    page.fill("#u-title", "Tài liệu có mật khẩu")
    page.get_by_test_id("btn-upload").click()
    expect(page.get_by_test_id("upload-error")).not_to_be_empty()
    expect(page.get_by_test_id("doc-admin")).to_have_count(1)

    # A PDF with JavaScript is disarmed: stored without it, and the uploader is told what was taken out.
    page.set_input_files("#u-file", _pdf(tmp_path, "co-ma.pdf", with_javascript(make_pdf(1))))
    page.fill("#u-title", "Tài liệu có mã JavaScript")
    page.get_by_test_id("btn-upload").click()
    expect(page.get_by_test_id("toast").filter(has_text="Đã gỡ bỏ nội dung tự thực thi")).to_be_visible()
    disarmed = page.get_by_test_id("doc-admin").filter(has_text="Tài liệu có mã JavaScript")
    expect(disarmed).to_be_visible()
    disarmed.get_by_test_id("doc-admin-delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Xóa").click()
    expect(page.get_by_test_id("doc-admin")).to_have_count(1)

    # A new version of the document: same row, version 2, 12 pages; the old version stays in the history.
    row.get_by_test_id("doc-admin-version").click()
    expect(page.get_by_test_id("upload-replacing")).to_contain_text(TITLE)
    expect(page.locator("#u-title")).to_be_hidden()
    page.set_input_files("#u-file", _pdf(tmp_path, "to-trinh-v2.pdf", make_pdf(12, heading=TITLE + " (sửa đổi)")))
    page.get_by_test_id("btn-upload").click()
    expect(row).to_contain_text("Phiên bản 2")
    expect(row).to_contain_text("12 trang")
    expect(page.get_by_test_id("doc-admin")).to_have_count(1)
    versions = staff.api("GET", f"/api/documents/{doc_id}").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2] and [v["page_count"] for v in versions] == [40, 12]

    # Delete, after confirming.
    row.get_by_test_id("doc-admin-delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Xóa").click()
    expect(page.get_by_test_id("doc-admin")).to_have_count(0)
    assert staff.api("GET", f"/api/documents/{doc_id}").status == 404
    assert not staff.errors


def allowed_username(staff, user_id: int) -> str:
    users = staff.api("GET", "/api/users").json()
    return next(u["username"] for u in users if u["id"] == user_id)
