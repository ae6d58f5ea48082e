"""What a browser sends for WebRTC, checked before it reaches aiortc (whose parsers assert, or raise on int(), on
malformed input): an SDP offer with at least one audio or video section, and ICE candidates of RFC 8839's grammar.
Wrong input is the client's error (validation_failed), not a media server outage."""

from __future__ import annotations

import re

from core.i18n import N_

_LINE = re.compile(r"[a-z]=[^\x00\r\n]*")
_MEDIA = re.compile(r"m=(audio|video|application|text|message) \d{1,5}(/\d{1,5})? [A-Za-z0-9/._-]{1,64}( \S{1,64})*")
_FOUNDATION = re.compile(r"[A-Za-z0-9+/]{1,32}")
_ADDRESS = re.compile(r"[0-9A-Za-z.:%_-]{1,255}")  # IPv4, IPv6 (with a zone) or a host name (mDNS: uuid.local)
TYPES = frozenset({"host", "srflx", "prflx", "relay"})


def check_offer(sdp: str) -> str:
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0] != "v=0":
        raise ValueError(N_("bản chào SDP phải bắt đầu bằng v=0"))
    bad = next((line for line in lines if not _LINE.fullmatch(line)), None)
    if bad is not None:
        raise ValueError(N_("bản chào SDP có dòng không hợp lệ"))
    media = [line for line in lines if line.startswith("m=")]
    if any(not _MEDIA.fullmatch(line) for line in media):
        raise ValueError(N_("bản chào SDP có dòng m= không hợp lệ"))
    if not any(line.startswith(("m=audio ", "m=video ")) for line in media):
        raise ValueError(N_("bản chào SDP không có âm thanh hay hình ảnh"))
    return sdp


def _int(text: str, hi: int) -> bool:
    return text.isdigit() and len(text) <= 10 and int(text) <= hi


def check_candidate(candidate: str) -> str:
    """'' (the end of candidates) or `candidate:<foundation> <component> <udp|tcp> <priority> <address> <port> typ
    <type> [raddr <address>] [rport <port>] [tcptype <type>] [<name> <value>]…`."""
    if candidate == "":
        return candidate
    bits = candidate.removeprefix("candidate:").split(" ")
    ok = (
        len(bits) >= 8
        and len(bits) % 2 == 0
        and _FOUNDATION.fullmatch(bits[0]) is not None
        and _int(bits[1], 256)
        and bits[1] != "0"
        and bits[2].lower() in ("udp", "tcp")
        and _int(bits[3], 2**32 - 1)
        and _ADDRESS.fullmatch(bits[4]) is not None
        and _int(bits[5], 65535)
        and bits[6] == "typ"
        and bits[7] in TYPES
    )
    for name, value in zip(bits[8::2], bits[9::2]):
        if not ok:
            break
        if name == "raddr":
            ok = _ADDRESS.fullmatch(value) is not None
        elif name == "rport":
            ok = _int(value, 65535)
        elif name == "tcptype":
            ok = value in ("active", "passive", "so")
        else:
            ok = bool(re.fullmatch(r"[A-Za-z0-9-]{1,32}", name)) and bool(re.fullmatch(r"[\x21-\x7e]{1,256}", value))
    if not ok:
        raise ValueError(N_("ứng viên ICE không hợp lệ"))
    return candidate
