"""The demo meetings' agendas and papers (fictional figures and people; offices and form as in 2026)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from app.demo.cabinet import MEMBERS, username_of
from app.demo.papers import Paper

DATE = "Hà Nội, ngày 25 tháng 11 năm 2026"


def _minister(unit: str) -> str:
    return next(name for name, _, u in MEMBERS if u == unit)


class Upload(TypedDict, total=False):
    """A paper's upload fields beyond its title and agenda item (app/demo/documents.py uploads it)."""

    title: str  # instead of the one made from the paper's kind, number and subject
    restricted: bool
    allowed: list[str]  # usernames of the readers of a restricted paper
    share_with_guests: bool


@dataclass(frozen=True)
class Item:
    title: str
    presenter: str
    minutes: int


UPCOMING = [
    Item("Báo cáo tình hình kinh tế - xã hội tháng 11 và 11 tháng năm 2026", "Bộ Tài chính", 40),
    Item("Tình hình thực hiện dự toán ngân sách nhà nước và giải ngân vốn đầu tư công năm 2026", "Bộ Tài chính", 30),
    Item(
        "Đề nghị xây dựng Nghị định sửa đổi, bổ sung một số điều của Nghị định quy định về bồi thường, hỗ trợ, "
        "tái định cư khi Nhà nước thu hồi đất",
        "Bộ Nông nghiệp và Môi trường",
        35,
    ),
    Item("Dự án Luật Chuyển đổi số", "Bộ Khoa học và Công nghệ", 30),
    Item(
        "Dự thảo Nghị quyết của Chính phủ về các giải pháp bảo đảm cung ứng điện mùa khô năm 2027", "Bộ Công Thương", 25
    ),
    Item(
        "Công tác phòng, chống thiên tai và khắc phục hậu quả mưa lũ tại các tỉnh miền Trung",
        "Bộ Nông nghiệp và Môi trường",
        20,
    ),
]

PAST = [
    Item("Báo cáo tình hình kinh tế - xã hội tháng 10 và 10 tháng năm 2026", "Bộ Tài chính", 40),
    Item(
        "Dự thảo Nghị định quy định chi tiết một số điều của Luật Đất đai về giá đất",
        "Bộ Nông nghiệp và Môi trường",
        30,
    ),
    Item("Tình hình chuẩn bị năm học và công tác tuyển sinh năm 2026", "Bộ Giáo dục và Đào tạo", 20),
]

DRAFT = [
    Item("Báo cáo tình hình kinh tế - xã hội năm 2026, kế hoạch năm 2027", "Bộ Tài chính", 45),
    Item("Dự án Luật sửa đổi, bổ sung một số điều của Luật Đất đai", "Bộ Nông nghiệp và Môi trường", 40),
]

_KTXH = [
    (
        "I. TÌNH HÌNH KINH TẾ - XÃ HỘI",
        [
            "Tháng 11 năm 2026, kinh tế vĩ mô tiếp tục ổn định, lạm phát được kiểm soát, các cân đối lớn được bảo đảm. "
            "Chỉ số giá tiêu dùng bình quân 11 tháng tăng 3,4% so với cùng kỳ; tổng kim ngạch xuất nhập khẩu ước đạt "
            "842 tỷ USD, tăng 14,2%; vốn đầu tư trực tiếp nước ngoài thực hiện ước đạt 23,6 tỷ USD.",
            "Sản xuất nông nghiệp giữ vững đà tăng trưởng; công nghiệp chế biến, chế tạo tăng 10,1%; khu vực dịch vụ "
            "phục hồi rõ nét, khách quốc tế đến Việt Nam ước đạt 19,8 triệu lượt.",
        ],
    ),
    (
        "II. MỘT SỐ TỒN TẠI, HẠN CHẾ",
        [
            "Giải ngân vốn đầu tư công tại một số bộ, địa phương còn chậm; vướng mắc trong công tác bồi thường, giải "
            "phóng mặt bằng, định giá đất và giao đất, cho thuê đất chưa được tháo gỡ dứt điểm.",
            "Thị trường bất động sản phục hồi chưa đồng đều; việc thực hiện Luật Đất đai tại cơ sở còn lúng túng ở "
            "khâu xác định giá đất cụ thể.",
        ],
    ),
    (
        "III. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM THÁNG 12",
        [
            "Tập trung tháo gỡ khó khăn về đất đai cho các dự án; đẩy nhanh giải ngân vốn đầu tư công, phấn đấu đạt "
            "trên 95% kế hoạch; bảo đảm cung ứng hàng hóa thiết yếu dịp cuối năm và Tết Nguyên đán.",
            "Các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương khẩn trương hoàn "
            "thiện các văn bản quy định chi tiết, báo cáo Chính phủ trước ngày 15 tháng 12 năm 2026.",
        ],
    ),
]

_DAT_DAI = [
    (
        "I. SỰ CẦN THIẾT BAN HÀNH",
        [
            "Qua hơn hai năm thi hành Luật Đất đai, công tác bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất "
            "đã có nhiều chuyển biến, song còn vướng mắc về xác định giá đất bồi thường, hỗ trợ ổn định đời sống và bố "
            "trí tái định cư tại chỗ.",
            "Việc sửa đổi, bổ sung Nghị định nhằm bảo đảm quyền lợi hợp pháp của người có đất thu hồi, đồng thời đẩy "
            "nhanh tiến độ giải phóng mặt bằng các dự án trọng điểm quốc gia.",
        ],
    ),
    (
        "II. MỤC ĐÍCH, QUAN ĐIỂM XÂY DỰNG",
        [
            "Thể chế hóa kịp thời các chủ trương về đất đai; bảo đảm người có đất thu hồi có chỗ ở, thu nhập và điều "
            "kiện sống bằng hoặc tốt hơn nơi ở cũ.",
            "Phân cấp mạnh cho Ủy ban nhân dân cấp tỉnh trong quyết định giá đất cụ thể, hỗ trợ chuyển đổi "
            "nghề nghiệp.",
        ],
    ),
    (
        "III. NỘI DUNG CHÍNH CỦA DỰ THẢO",
        [
            "Điều 1 sửa đổi quy định về bồi thường đất nông nghiệp; Điều 2 bổ sung chính sách hỗ trợ ổn định đời sống; "
            "Điều 3 quy định việc bố trí tái định cư trước khi thu hồi đất; Điều 4 về tổ chức thực hiện.",
            "Bộ Nông nghiệp và Môi trường đã lấy ý kiến các bộ, ngành, địa phương và đăng tải dự thảo trên Cổng Thông "
            "tin điện tử Chính phủ trong 60 ngày theo quy định.",
        ],
    ),
    (
        "IV. ĐỀ XUẤT",
        [
            "Bộ Nông nghiệp và Môi trường kính trình Chính phủ xem xét, thông qua đề nghị xây dựng Nghị định./.",
        ],
    ),
]

_CDS = [
    (
        "I. SỰ CẦN THIẾT",
        [
            "Chuyển đổi số đã trở thành động lực phát triển; cần một đạo luật khung về chính phủ số, kinh tế số, xã "
            "hội số, dữ liệu và an toàn thông tin trong môi trường số.",
        ],
    ),
    (
        "II. BỐ CỤC DỰ ÁN LUẬT",
        [
            "Dự án Luật gồm 8 chương, 72 điều: quy định chung; hạ tầng số; chính phủ số; kinh tế số; xã hội số; dữ "
            "liệu số; bảo đảm an toàn; tổ chức thực hiện.",
            "Dịch vụ công trực tuyến toàn trình trở thành mặc định; hồ sơ, tài liệu họp của cơ quan nhà nước được số "
            "hóa, không dùng giấy.",
        ],
    ),
    ("III. KIẾN NGHỊ", ["Đề nghị Chính phủ cho ý kiến để hoàn thiện hồ sơ, trình Quốc hội tại kỳ họp gần nhất./."]),
]


def papers() -> list[tuple[int, Paper, Upload]]:
    """(agenda item index, paper, upload fields beyond title) for the upcoming meeting."""
    btc, nnmt, khcn = (
        _minister("Bộ Tài chính"),
        _minister("Bộ Nông nghiệp và Môi trường"),
        _minister("Bộ Khoa học và Công nghệ"),
    )
    return [
        (
            0,
            Paper(
                "BỘ TÀI CHÍNH",
                "Số: 512/BC-BTC",
                DATE,
                "BÁO CÁO",
                "Tình hình kinh tế - xã hội tháng 11 và 11 tháng năm 2026",
                _KTXH,
                signer=btc,
                addressee="",
            ),
            {"share_with_guests": True},
        ),
        (
            1,
            Paper(
                "BỘ TÀI CHÍNH",
                "Số: 518/BC-BTC",
                DATE,
                "BÁO CÁO",
                "Tình hình thực hiện dự toán ngân sách nhà nước và giải ngân vốn đầu tư công năm 2026",
                _KTXH[1:],
                signer=btc,
                addressee="",
            ),
            {},
        ),
        (
            2,
            Paper(
                "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG",
                "Số: 236/TTr-BNNMT",
                DATE,
                "TỜ TRÌNH",
                "Đề nghị xây dựng Nghị định sửa đổi, bổ sung một số điều của Nghị định quy định về bồi thường, "
                "hỗ trợ, tái định cư khi Nhà nước thu hồi đất",
                _DAT_DAI,
                signer=nnmt,
            ),
            {},
        ),
        (
            2,
            Paper(
                "CHÍNH PHỦ",
                "Số:      /2026/NĐ-CP",
                "Hà Nội, ngày      tháng      năm 2026",
                "NGHỊ ĐỊNH",
                "Sửa đổi, bổ sung một số điều của Nghị định quy định về bồi thường, hỗ trợ, tái định cư khi Nhà nước "
                "thu hồi đất (Dự thảo)",
                _DAT_DAI[2:] + _DAT_DAI[:2],
                signer_title="TM. CHÍNH PHỦ<br/>THỦ TƯỚNG",
                signer="",
                addressee="Căn cứ Luật Tổ chức Chính phủ; căn cứ Luật Đất đai;",
            ),
            {
                "title": (
                    "Dự thảo Nghị định sửa đổi, bổ sung một số điều của Nghị định quy định về bồi thường, hỗ trợ, "
                    "tái định cư khi Nhà nước thu hồi đất"
                )
            },
        ),
        (
            2,
            Paper(
                "BỘ TƯ PHÁP",
                "Số: 187/BCTĐ-BTP",
                DATE,
                "BÁO CÁO THẨM ĐỊNH",
                "Đề nghị xây dựng Nghị định về bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất "
                "(tài liệu hạn chế)",
                _DAT_DAI[:2],
                signer=_minister("Bộ Tư pháp"),
                addressee="Kính gửi: Bộ Nông nghiệp và Môi trường.",
            ),
            {
                "restricted": True,
                "allowed": [
                    "thutuong",
                    "thanhvien01",
                    "thanhvien03",
                    username_of("Bộ Nông nghiệp và Môi trường"),
                    username_of("Bộ Tư pháp"),
                ],
            },
        ),
        (
            3,
            Paper(
                "BỘ KHOA HỌC VÀ CÔNG NGHỆ",
                "Số: 341/TTr-BKHCN",
                DATE,
                "TỜ TRÌNH",
                "Dự án Luật Chuyển đổi số",
                _CDS,
                signer=khcn,
            ),
            {},
        ),
    ]
