"""Public holidays (ngày nghỉ lễ, Tết) by the Labour Code 2019 (Bộ luật Lao động 45/2019/QH14), Điều 112:
Tết Dương lịch 1 day (1/1); Tết Âm lịch 5 days; Giỗ Tổ Hùng Vương 10/3 lunar; Chiến thắng 30/4; Quốc tế lao
động 1/5; Quốc khánh 2 days (2/9 and one day before or after). A holiday on a weekly rest day is made up on the
next working day (nghỉ bù, Điều 111 khoản 3). Where the Government moves days for a given year (which day of
Tết, which side of 2/9, swapped Saturdays), the admin records it as an override (workdays/models.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from workdays.lunar import tet, to_solar


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    compensatory: bool = False  # nghỉ bù: the holiday itself fell on a weekend
    key: str = ""  # the name's catalogue key: the /workdays page shows it in the reader's language
    n: int = 0  # Tết's day (mùng n) for "holiday.tet"


def is_weekend(d: date) -> bool:
    return d.weekday() >= 5


def _national_day_pair(year: int) -> tuple[date, date]:
    """2/9 and the adjacent day that joins the weekend: 3/9 when 2/9 is a Monday or Thursday, else 1/9
    (2024: 2-3/9; 2025: 1-2/9)."""
    d = date(year, 9, 2)
    other = d + timedelta(days=1) if d.weekday() in (0, 3) else d - timedelta(days=1)
    return (min(d, other), max(d, other))


def _statutory(year: int) -> list[Holiday]:
    """The statutory days of civil `year` (Tết falls between 21/1 and 20/2, so its eve is in the same year)."""
    first = tet(year)
    days = [Holiday(date(year, 1, 1), "Tết Dương lịch", key="holiday.new_year")]
    days.append(Holiday(first - timedelta(days=1), "Tết Nguyên đán (ngày cuối năm Âm lịch)", key="holiday.tet_eve"))
    days += [
        Holiday(first + timedelta(days=i), f"Tết Nguyên đán (mùng {i + 1})", key="holiday.tet", n=i + 1)
        for i in range(4)
    ]
    days.append(Holiday(to_solar(10, 3, year), "Giỗ Tổ Hùng Vương (10/3 Âm lịch)", key="holiday.hung_kings"))
    days.append(Holiday(date(year, 4, 30), "Ngày Chiến thắng (30/4)", key="holiday.victory"))
    days.append(Holiday(date(year, 5, 1), "Ngày Quốc tế lao động (1/5)", key="holiday.labour"))
    days += [Holiday(d, "Quốc khánh", key="holiday.national") for d in _national_day_pair(year)]
    return days


@lru_cache(maxsize=64)
def holidays(year: int) -> tuple[Holiday, ...]:
    """Every day off by law in civil `year`, with the made-up days for holidays on a Saturday or Sunday, in order."""
    statutory = _statutory(year)
    taken = {h.day for h in statutory}
    result = list(statutory)
    for h in sorted(statutory, key=lambda h: h.day):
        if not is_weekend(h.day):
            continue
        d = h.day + timedelta(days=1)
        while is_weekend(d) or d in taken:
            d += timedelta(days=1)
        taken.add(d)
        result.append(Holiday(d, f"Nghỉ bù {h.name}", compensatory=True, key=h.key, n=h.n))
    return tuple(sorted(result, key=lambda h: h.day))


def holiday_on(d: date) -> Holiday | None:
    for h in holidays(d.year):
        if h.day == d:
            return h
    return None
