"""Minutes benchmark: a 4-hour scripted session (30 items, 300 speeches, 20 votes, 27 attendees) rendered to PDF,
signed by the secretary then the chair (PAdES, demo CA), and verified; p50 over N runs with a breakdown.

    .venv/bin/python bench/minutes.py [--runs 5]

Figures are printed, not asserted. Run 1 includes imports' lazy work (fonts, pyHanko); p50 is the steady state.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdfium2 as pdfium

from minutes.document import Attendee, ItemRecord, MinutesDoc, Signer, Speech, VoteRecord
from ledger.keystore import KeyStore, ensure_demo_signers
from minutes.pdf import render_pdf
from minutes.signing import sign_pdf, verify_pdf

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
GIVEN = ["Văn Thành", "Quốc Hưng", "Thị Thu Hằng", "Minh Đức", "Văn Khải", "Thị Ngọc Ánh", "Hữu Phước", "Đức Long"]
MINISTRIES = [
    "Bộ Tài chính",
    "Bộ Kế hoạch và Đầu tư",
    "Bộ Tư pháp",
    "Bộ Y tế",
    "Bộ Giáo dục và Đào tạo",
    "Bộ Giao thông vận tải",
    "Bộ Công Thương",
    "Bộ Nông nghiệp và Phát triển nông thôn",
]


def session() -> MinutesDoc:
    people = [Attendee(f"{SURNAMES[i % 14]} {GIVEN[i % 8]}", f"Bộ trưởng {MINISTRIES[i % 8]}") for i in range(27)]
    items = []
    minute = 8 * 60 + 15
    for n in range(30):
        speeches = []
        for k in range(10):  # 300 speeches over 4 hours: ~45 s each on average, two per slot in the text
            who = people[(n * 7 + k) % 27]
            speeches.append(
                Speech(
                    who.name,
                    who.title,
                    f"{minute // 60:02d}:{minute % 60:02d}",
                    f"{(minute + 1) // 60:02d}:{(minute + 1) % 60:02d}",
                )
            )
            minute += 0 if k % 2 else 1
        votes = []
        if n < 20:  # 20 votes, one on each of the first 20 items; every third one named (27 rows)
            named = [(p.name, "Tán thành" if i % 5 else "Không tán thành") for i, p in enumerate(people)]
            kind = "ghi danh" if n % 3 == 0 else "kín"
            votes.append(
                VoteRecord(
                    f"Thông qua dự thảo Nghị định số {n + 1}?",
                    kind,
                    "Quá nửa tổng số thành viên Chính phủ tán thành",
                    [("Tán thành", 22), ("Không tán thành", 5), ("Không biểu quyết", 0)],
                    True,
                    named=named if kind == "ghi danh" else None,
                )
            )
        items.append(
            ItemRecord(
                position=n + 1,
                title=f"Dự thảo Nghị định số {n + 1} quy định chi tiết một số điều của Luật Ngân sách",
                presenter=MINISTRIES[n % 8],
                documents=[f"Tờ trình số {100 + n}/TTr-BTC", "Dự thảo Nghị định", "Báo cáo thẩm định"],
                speeches=speeches,
                votes=votes,
                conclusion="Chính phủ thống nhất thông qua; giao cơ quan chủ trì tiếp thu, hoàn thiện, trình ban hành.",
            )
        )
    return MinutesDoc(
        agency="Chính phủ",
        number="Số:      /BB-CP",
        place_date="Hà Nội, ngày 03 tháng 12 năm 2026",
        subject="Phiên họp Chính phủ thường kỳ tháng 11/2026",
        started="08 giờ 00, ngày 03 tháng 12 năm 2026",
        place="Phòng họp Chính phủ, số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội",
        chair=Attendee("Nguyễn Văn Thành", "Thủ tướng Chính phủ"),
        secretary=Attendee("Nguyễn Thị Lan Anh", "Vụ trưởng Văn phòng Chính phủ"),
        present_room=people[:22],
        present_remote=people[22:25],
        deputies=[],
        absent=people[25:],
        guests=[],
        items=items,
        ended="12 giờ 05 cùng ngày",
        signers=(Signer("THƯ KÝ", "Nguyễn Thị Lan Anh"), Signer("CHỦ TỌA", "Nguyễn Văn Thành", "Thủ tướng Chính phủ")),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    doc = session()
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys"
        t = time.perf_counter()
        ensure_demo_signers(
            keys,
            [("vanphong", "Nguyễn Thị Lan Anh", "Vụ trưởng"), ("thutuong", "Nguyễn Văn Thành", "Thủ tướng Chính phủ")],
            "demo",
        )
        first_setup = time.perf_counter() - t
        t = time.perf_counter()
        ensure_demo_signers(
            keys,
            [("vanphong", "Nguyễn Thị Lan Anh", "Vụ trưởng"), ("thutuong", "Nguyễn Văn Thành", "Thủ tướng Chính phủ")],
            "demo",
        )
        again_setup = time.perf_counter() - t
        store, roots = KeyStore(keys), KeyStore(keys).trusted_roots()
        rows: list[dict[str, float]] = []
        for _ in range(args.runs):
            r: dict[str, float] = {}
            t = time.perf_counter()
            pdf = render_pdf(doc)
            r["render"] = time.perf_counter() - t
            t = time.perf_counter()
            one = sign_pdf(
                pdf,
                store=store,
                user_id="vanphong",
                password="demo",
                field_name="ThuKy",
                reason="Thư ký ký biên bản",
                location="Hà Nội",
                signer_name="Nguyễn Thị Lan Anh",
            )
            r["sign secretary"] = time.perf_counter() - t
            t = time.perf_counter()
            two = sign_pdf(
                one,
                store=store,
                user_id="thutuong",
                password="demo",
                field_name="ChuToa",
                reason="Chủ tọa ký biên bản",
                location="Hà Nội",
                signer_name="Nguyễn Văn Thành",
            )
            r["sign chair"] = time.perf_counter() - t
            t = time.perf_counter()
            report = verify_pdf(two, roots)
            r["verify"] = time.perf_counter() - t
            assert report.ok, report
            r["total"] = sum(r.values())
            rows.append(r)
    pages = len(pdfium.PdfDocument(two))
    print(
        f"session: 30 items, 300 speeches, 20 votes (7 named x 27), 27 attendees -> {len(pdf) / 1024:.0f} KiB "
        f"PDF, {pages} pages; signed file {len(two) / 1024:.0f} KiB"
    )
    print(f"demo key setup: first {first_setup * 1000:.0f} ms, again {again_setup * 1000:.1f} ms")
    print(f"{'step':<16}{'run 1':>10}{'p50':>10}{'max':>10}   ({args.runs} runs, ms)")
    for key in rows[0]:
        values = [row[key] * 1000 for row in rows]
        print(f"{key:<16}{values[0]:>10.0f}{statistics.median(values):>10.0f}{max(values):>10.0f}")


if __name__ == "__main__":
    main()
