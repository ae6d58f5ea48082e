"""The admin's audit log page: the log, newest first, and the verification, which names the row a raw SQL
UPDATE altered, the last checkpoint and any stored state that differs from the log (a role promoted by
hand); nobody else gets the page or the menu entry."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import expect


def test_admin_sees_the_log_verifies_it_and_is_told_which_row_was_altered(tablet, server) -> None:
    admin = tablet("admin")
    page = admin.page
    page.get_by_test_id("nav-admin").click()  # the header's one link to the administrator's pages
    page.get_by_test_id("nav-audit").click()
    expect(page.get_by_role("heading", name="Nhật ký hệ thống")).to_be_visible()
    rows = page.get_by_test_id("audit-row")
    expect(rows.first).to_be_visible()
    ids = [int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.id)")]
    assert ids == sorted(ids, reverse=True) and len(ids) > 5  # the demo's preparation, newest first

    page.get_by_test_id("btn-audit-verify").click()
    verdict = page.get_by_test_id("audit-verdict")
    expect(verdict).to_have_attribute("data-ok", "true")
    expect(verdict).to_contain_text(f"đã kiểm tra {ids[0]} bản ghi")
    details = page.get_by_test_id("audit-details")
    expect(details).to_contain_text("Điểm kiểm gần nhất")
    expect(details).to_contain_text("ký bởi khóa tổ chức")

    victim = ids[len(ids) // 2]
    with sqlite3.connect(server.data_dir / "ecabinet.db") as con:  # someone edits the database by hand
        con.execute("UPDATE audit_entry SET summary = summary || ' (đã sửa)' WHERE id = ?", (victim,))
    page.get_by_test_id("btn-audit-verify").click()
    expect(verdict).to_have_attribute("data-ok", "false")
    expect(verdict).to_contain_text(f"#{victim}")
    expect(page.locator(f"[data-testid=audit-row][data-id='{victim}']")).to_have_class("broken")
    with sqlite3.connect(server.data_dir / "ecabinet.db") as con:  # put it back, then promote someone by hand
        con.execute("UPDATE audit_entry SET summary = replace(summary, ' (đã sửa)', '') WHERE id = ?", (victim,))
        con.execute("UPDATE user SET role = 'admin' WHERE username = 'thanhvien02'")
    page.get_by_test_id("btn-audit-verify").click()
    expect(verdict).to_have_attribute("data-ok", "false")
    expect(verdict).to_contain_text("Nhật ký có vấn đề")
    expect(page.get_by_test_id("audit-problem")).to_contain_text(
        "(thanhvien02) là quản trị trong cơ sở dữ liệu nhưng nhật ký ghi lần cuối là thành viên"
    )
    with sqlite3.connect(server.data_dir / "ecabinet.db") as con:  # put it back for the other tests of this module
        con.execute("UPDATE user SET role = 'member' WHERE username = 'thanhvien02'")


def test_the_audit_page_is_the_admins_only(tablet) -> None:
    for username in ("vanphong", "thanhvien01"):
        person = tablet(username)
        expect(person.page.get_by_test_id("nav-audit")).to_have_count(0)
        response = person.page.goto("/audit")
        assert response is not None and response.status == 403
        expect(person.page.locator("body")).to_contain_text("Chỉ quản trị viên")
