"""The Vietnamese lunar calendar (âm lịch): Hồ Ngọc Đức's algorithm (astronomical new moons and solar terms
after Jean Meeus), evaluated in the Vietnamese time zone, UTC+7. The zone matters: the Chinese calendar (UTC+8)
puts some new moons a day later, and Tết 1985 and 2007 differ between the two countries."""

from __future__ import annotations

import math
from datetime import date

VN_OFFSET_HOURS = 7.0
_JD_OF_ORDINAL = 1721425  # Julian day number of date.fromordinal(0): proleptic Gregorian day 0
_SYNODIC = 29.530588853
_DR = math.pi / 180


def jd(d: date) -> int:
    return d.toordinal() + _JD_OF_ORDINAL


def from_jd(day: int) -> date:
    return date.fromordinal(day - _JD_OF_ORDINAL)


def _new_moon(k: int) -> float:
    """The Julian day (with fraction, UT) of the k-th new moon after 1900-01-01."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * _DR)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3  # sun's mean anomaly
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3  # moon's mean anomaly
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3  # moon's argument of latitude
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * _DR) + 0.0021 * math.sin(2 * _DR * m)
    c1 = c1 - 0.4068 * math.sin(mpr * _DR) + 0.0161 * math.sin(_DR * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(_DR * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(_DR * 2 * f) - 0.0051 * math.sin(_DR * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(_DR * (m - mpr)) + 0.0004 * math.sin(_DR * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(_DR * (2 * f - m)) - 0.0006 * math.sin(_DR * (2 * f + mpr))
    c1 = c1 + 0.0010 * math.sin(_DR * (2 * f - mpr)) + 0.0005 * math.sin(_DR * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - delta_t


def _new_moon_day(k: int, tz: float) -> int:
    return math.floor(_new_moon(k) + 0.5 + tz / 24)


def _sun_longitude(jdn: float) -> float:
    """The sun's apparent longitude in radians, 0..2π, at Julian day `jdn` (UT)."""
    t = (jdn - 2451545.0) / 36525
    t2 = t * t
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(_DR * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(_DR * 2 * m) + 0.000290 * math.sin(_DR * 3 * m)
    lon = (l0 + dl) * _DR
    return lon - 2 * math.pi * math.floor(lon / (2 * math.pi))


def _sun_sector(day: int, tz: float) -> int:
    """Which twelfth of the ecliptic (0..11) the sun is in at the start of local day `day`."""
    return math.floor(_sun_longitude(day - 0.5 - tz / 24) / math.pi * 6)


def _month11(year: int, tz: float) -> int:
    """The first day of the lunar month that holds the winter solstice of `year`."""
    k = math.floor((jd(date(year, 12, 31)) - 2415021) / _SYNODIC)
    nm = _new_moon_day(k, tz)
    return _new_moon_day(k - 1, tz) if _sun_sector(nm, tz) >= 9 else nm


def _leap_offset(a11: int, tz: float) -> int:
    k = math.floor((a11 - 2415021.076998695) / _SYNODIC + 0.5)
    i = 1
    arc = _sun_sector(_new_moon_day(k + i, tz), tz)
    while True:
        last = arc
        i += 1
        arc = _sun_sector(_new_moon_day(k + i, tz), tz)
        if arc == last or i >= 14:
            return i - 1


def to_solar(day: int, month: int, year: int, *, leap: bool = False, tz: float = VN_OFFSET_HOURS) -> date:
    """The civil date of lunar day/month/year (leap: the intercalary month of that number). ValueError when the
    year has no such leap month."""
    if month < 11:
        a11, b11 = _month11(year - 1, tz), _month11(year, tz)
    else:
        a11, b11 = _month11(year, tz), _month11(year + 1, tz)
    k = math.floor(0.5 + (a11 - 2415021.076998695) / _SYNODIC)
    off = (month - 11) % 12
    if b11 - a11 > 365:
        leap_off = _leap_offset(a11, tz)
        leap_month = (leap_off - 2) % 12
        if leap and month != leap_month:
            raise ValueError("năm âm lịch này không có tháng nhuận đó")
        if leap or off >= leap_off:
            off += 1
    elif leap:
        raise ValueError("năm âm lịch này không có tháng nhuận")
    return from_jd(_new_moon_day(k + off, tz) + day - 1)


def tet(year: int) -> date:
    """Mùng 1 Tết Nguyên đán of the lunar year that starts in civil `year`."""
    return to_solar(1, 1, year)
