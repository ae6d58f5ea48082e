"""What a browser sends for WebRTC, checked before it reaches aiortc: an SDP offer of the shape JSEP gives it
(RFC 8829, RFC 8866) and ICE candidates of RFC 8839's grammar. Wrong input is the client's error
(validation_failed), not a media server outage.

Strict on purpose, so that the class of "aiortc's parser raises on what we let through" is closed, not its
examples: printable ASCII only, a size cap, v= o= s= t= once each and in RFC order, then one to MAX_MEDIA audio
or video sections over DTLS-SRTP, each with its mid, direction, ICE credentials, fingerprint, setup and rtcp-mux
(aiortc cannot answer a section without them), capped counts; every attribute aiortc reads (aiortc/sdp.py:
SessionDescription.parse) has its grammar here and the references between lines (payload types, BUNDLE mids)
must hold. Attributes aiortc does not read are taken as printable text. tests/test_sdpcheck.py compares this
check with aiortc's parser on mutated browser offers; what aiortc still refuses when it applies an offer (no
codec in common...) is refused as the client's error by the media worker (realtime/media/room.py: Refused)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.i18n import N_, Msg

MAX_SDP_CHARS = 65_536  # a browser's audio + video offer with its candidates: 5-12 KB
MAX_LINES = 2_000
MAX_LINE_CHARS = 1_024
MAX_MEDIA = 4  # the tablets send two sections (audio, video)
MAX_ATTRIBUTES = 300  # a= lines in one section (a browser's video section: ~150)
MAX_SESSION_ATTRIBUTES = 64
MAX_CANDIDATES = 64  # per section
MAX_FORMATS = 64  # payload types on one m= line

_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_ADDR = r"[0-9A-Za-z.:%_-]{1,255}"  # IPv4, IPv6 (with a zone) or a host name (mDNS: uuid.local)
_MID = r"[A-Za-z0-9_.+-]{1,16}"  # RFC 8843: at most 16 characters (it travels in an RTP header extension)
_HEX = "[0-9A-Fa-f]{2}"
_U32 = 2**32 - 1
# Each line type's value, in the order RFC 8866 gives them (v o s i u e p c b t r z k a / m i c b k a); the types
# WebRTC does not use (u e p r z k) are refused.
_SESSION_ORDER, _MEDIA_ORDER = "vosicbta", "micba"
_ONCE = frozenset("vosicmt")
_LINE = {
    "v": re.compile("0"),
    "o": re.compile(rf"[\x21-\x7e]{{1,64}} \d{{1,20}} \d{{1,20}} IN IP[46] {_ADDR}"),
    "s": re.compile(r"[\x20-\x7e]{1,256}"),
    "i": re.compile(r"[\x20-\x7e]{1,256}"),
    "c": re.compile(rf"IN IP[46] {_ADDR}"),
    "b": re.compile(r"[A-Za-z0-9-]{1,16}:\d{1,10}"),
    "t": re.compile(r"\d{1,20} \d{1,20}"),
    "m": re.compile(r"(audio|video) (\d{1,5}) ([A-Z/]{1,32}) (\d{1,3}(?: \d{1,3})*)"),
    "a": re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})(?::(.*))?"),
}
PROTOCOLS = frozenset({"UDP/TLS/RTP/SAVPF", "TCP/TLS/RTP/SAVPF", "TCP/DTLS/RTP/SAVPF", "RTP/SAVPF"})
DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})
FLAGS = DIRECTIONS | {
    "rtcp-mux",
    "rtcp-rsize",
    "rtcp-mux-only",
    "ice-lite",
    "end-of-candidates",
    "extmap-allow-mixed",
    "bundle-only",
}
_FINGERPRINT_BYTES = {"sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64}
# The values of the attributes aiortc reads (and a few it passes on); any other attribute: printable text.
_VALUE = {
    "group": re.compile(rf"[A-Za-z0-9-]{{1,16}}(?: {_MID}){{0,16}}"),
    "msid-semantic": re.compile(r" ?[A-Za-z]{1,16}(?: [\x21-\x7e]{1,64}){0,16} *"),
    "fingerprint": re.compile(rf"(sha-1|sha-224|sha-256|sha-384|sha-512) ({_HEX}(?::{_HEX}){{19,63}})", re.I),
    "setup": re.compile("actpass|active|passive"),
    "ice-ufrag": re.compile(r"[A-Za-z0-9+/]{4,256}"),
    "ice-pwd": re.compile(r"[A-Za-z0-9+/]{22,256}"),
    "ice-options": re.compile(r"[A-Za-z0-9+/_.-]{1,32}(?: [A-Za-z0-9+/_.-]{1,32}){0,8}"),
    "extmap": re.compile(r"(\d{1,3})(?:/(?:sendrecv|sendonly|recvonly|inactive))? [\x21-\x7e]{1,256}"),
    "mid": re.compile(_MID),
    "msid": re.compile(r"[\x21-\x7e]{1,64}(?: [\x21-\x7e]{1,64})?"),
    "rtcp": re.compile(rf"(\d{{1,5}})(?: IN IP[46] {_ADDR})?"),
    "rtpmap": re.compile(r"(\d{1,3}) [A-Za-z0-9_.-]{1,32}/(\d{1,10})(?:/(\d{1,2}))?"),
    "fmtp": re.compile(r"(\d{1,3}) ([\x21-\x7e](?:[\x20-\x7e]{0,1022}[\x21-\x7e])?)"),
    "rtcp-fb": re.compile(r"(\*|\d{1,3}) [A-Za-z0-9_.-]{1,32}(?: [\x21-\x7e]{1,64}){0,2}"),
    "ssrc": re.compile(r"(\d{1,10}) [A-Za-z0-9_.-]{1,32}:[\x20-\x7e]{1,256}"),
    "ssrc-group": re.compile(r"[A-Za-z0-9-]{1,16}((?: \d{1,10}){1,16})"),
    "sctp-port": re.compile(r"\d{1,5}"),
    "max-message-size": re.compile(r"\d{1,10}"),
    "sctpmap": re.compile(r"\d{1,5} [\x21-\x7e]{1,64}(?: \d{1,5})?"),
    "candidate": re.compile(r"[\x21-\x7e].*"),  # then check_candidate
}
_OTHER = re.compile(r"[\x20-\x7e]{0,1024}")
_MEDIA_ONLY = frozenset(
    {"mid", "rtpmap", "fmtp", "rtcp-fb", "ssrc", "ssrc-group", "candidate", "end-of-candidates", "msid", "rtcp"}
    | {"rtcp-mux", "rtcp-rsize", "rtcp-mux-only", "sctp-port", "sctpmap", "max-message-size", "bundle-only"}
)
_SESSION_ONLY = frozenset({"group", "msid-semantic", "ice-lite"})
_ONCE_PER_SECTION = frozenset({"mid", "ice-ufrag", "ice-pwd", "setup", "rtcp", "msid-semantic", "ice-lite"})
_SHARED = ("ice-ufrag", "ice-pwd", "fingerprint", "setup")  # in the section or for the whole session
# fmtp parameters aiortc reads as integers (aiortc/sdp.py FMTP_INT_PARAMETERS) and a few with a known shape
_FMTP_PARAM = re.compile(r" ?([\x21-\x3a\x3c\x3e-\x7e]{1,64})(?:=([\x21-\x3a\x3c-\x7e]{0,256}))?")
_FMTP_VALUE = {
    **{k: re.compile(r"\d{1,10}") for k in ("apt", "max-fr", "max-fs", "maxplaybackrate", "minptime")},
    **{k: re.compile("[01]") for k in ("stereo", "useinbandfec")},
    "profile-level-id": re.compile("[0-9A-Fa-f]{6}"),
    "packetization-mode": re.compile("[0-2]"),
}

_FOUNDATION = re.compile(r"[A-Za-z0-9+/]{1,32}")
_ADDRESS = re.compile(_ADDR)
TYPES = frozenset({"host", "srflx", "prflx", "relay"})

TOO_BIG = N_("bản chào SDP quá lớn (tối đa {max_chars} ký tự, {max_lines} dòng)")
NOT_V0 = N_("bản chào SDP phải bắt đầu bằng v=0")
BAD_CHAR = N_("bản chào SDP có ký tự không được phép ở dòng {line}")
BAD_LINE = N_("bản chào SDP có dòng {line} không hợp lệ")
MISPLACED = N_("bản chào SDP có dòng {line} sai vị trí hoặc bị lặp lại")
MISSING_LINE = N_("bản chào SDP thiếu dòng {kind}=")
NOT_AV = N_("bản chào SDP chỉ được có phần âm thanh hoặc hình ảnh qua DTLS-SRTP (dòng {line})")
NO_MEDIA = N_("bản chào SDP không có âm thanh hay hình ảnh")
TOO_MANY = N_("bản chào SDP có quá nhiều dòng {kind} (dòng {line}; tối đa {max})")
MISSING_ATTRIBUTE = N_("phần m= ở dòng {line} của bản chào SDP thiếu a={attribute}")
DANGLING = N_("bản chào SDP có dòng {line} nhắc đến mid hoặc mã định dạng không có")
BAD_CANDIDATE = N_("ứng viên ICE không hợp lệ")


@dataclass
class _Section:
    line: int  # its m= line (0: the session)
    formats: set[int] = field(default_factory=set)
    seen: dict[str, int] = field(default_factory=dict)  # attribute -> how many
    rtpmaps: set[int] = field(default_factory=set)
    fmtps: dict[int, int] = field(default_factory=dict)  # payload type -> line
    extmaps: set[int] = field(default_factory=set)
    attributes: int = 0
    types: str = ""  # the line types so far, in order

    def has(self, name: str) -> bool:
        return name in self.seen


def _refuse(message: str, **params: object) -> ValueError:
    return ValueError(Msg(message, **params))


def _lines(sdp: str) -> list[str]:
    if len(sdp) > MAX_SDP_CHARS:
        raise _refuse(TOO_BIG, max_chars=MAX_SDP_CHARS, max_lines=MAX_LINES)
    lines = sdp.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    if len(lines) > MAX_LINES:
        raise _refuse(TOO_BIG, max_chars=MAX_SDP_CHARS, max_lines=MAX_LINES)
    lines = [line.removesuffix("\r") for line in lines]
    for number, line in enumerate(lines, 1):
        if not _PRINTABLE.fullmatch(line):  # control characters (a lone CR too), anything beyond ASCII
            raise _refuse(BAD_CHAR, line=number)
        if len(line) > MAX_LINE_CHARS or len(line) < 3 or line[1] != "=":
            raise _refuse(BAD_LINE, line=number)
    return lines


def check_offer(sdp: str) -> str:
    lines = _lines(sdp)
    if not lines or lines[0] != "v=0":
        raise _refuse(NOT_V0)
    session, media = _Section(0), []
    current = session
    for number, line in enumerate(lines, 1):
        kind, value = line[0], line[2:]
        if kind == "m":
            current = _media_line(value, number)
            media.append(current)
            if len(media) > MAX_MEDIA:
                raise _refuse(TOO_MANY, kind="m=", line=number, max=MAX_MEDIA)
        order = _SESSION_ORDER if current is session else _MEDIA_ORDER
        if kind not in order:
            raise _refuse(BAD_LINE, line=number)
        if current.types and (
            order.index(kind) < order.index(current.types[-1]) or (kind in _ONCE and kind in current.types)
        ):
            raise _refuse(MISPLACED, line=number)
        current.types += kind
        if kind == "a":
            _attribute(current, value, number, session)
        elif kind != "m" and not _LINE[kind].fullmatch(value):
            raise _refuse(BAD_LINE, line=number)
    for kind in "ost":
        if kind not in session.types:
            raise _refuse(MISSING_LINE, kind=kind)
    if not media:
        raise _refuse(NO_MEDIA)
    _cross_check(lines, session, media)
    return sdp


def _media_line(value: str, number: int) -> _Section:
    words = value.split(" ")
    if words[0] not in ("audio", "video") or len(words) < 4 or words[2] not in PROTOCOLS:
        raise _refuse(NOT_AV, line=number)
    m = _LINE["m"].fullmatch(value)
    if m is None:
        raise _refuse(BAD_LINE, line=number)
    formats = [int(f) for f in m.group(4).split(" ")]
    if (
        int(m.group(2)) > 65535
        or len(formats) > MAX_FORMATS
        or len(set(formats)) != len(formats)
        or any(f > 127 or 64 <= f <= 95 for f in formats)  # RTP payload types; 64-95 clash with RTCP (RFC 5761)
    ):
        raise _refuse(BAD_LINE, line=number)
    return _Section(number, formats=set(formats))


def _attribute(section: _Section, value: str, number: int, session: _Section) -> None:
    m = _LINE["a"].fullmatch(value)
    if m is None:
        raise _refuse(BAD_LINE, line=number)
    name, rest = m.group(1), m.group(2)
    section.attributes += 1
    most = MAX_SESSION_ATTRIBUTES if section is session else MAX_ATTRIBUTES
    if section.attributes > most:
        raise _refuse(TOO_MANY, kind="a=", line=number, max=most)
    if (name in _MEDIA_ONLY and section is session) or (name in _SESSION_ONLY and section is not session):
        raise _refuse(MISPLACED, line=number)
    key = "direction" if name in DIRECTIONS else name
    if key in section.seen and (key in _ONCE_PER_SECTION or key == "direction"):
        raise _refuse(MISPLACED, line=number)
    section.seen[key] = section.seen.get(key, 0) + 1
    if name in FLAGS:
        if rest is not None:
            raise _refuse(BAD_LINE, line=number)
        return
    pattern = _VALUE.get(name, _OTHER)
    found = pattern.fullmatch(rest) if rest is not None else None
    if found is None or not _value_holds(section, name, rest or "", found):
        raise _refuse(BAD_LINE, line=number)
    if name == "candidate" and section.seen[name] > MAX_CANDIDATES:
        raise _refuse(TOO_MANY, kind="a=candidate", line=number, max=MAX_CANDIDATES)
    if name == "fmtp":
        section.fmtps[int(found.group(1))] = number
    elif name in ("rtpmap", "fmtp", "rtcp-fb") and found.group(1) != "*":
        if int(found.group(1)) not in section.formats:
            raise _refuse(DANGLING, line=number)


def _value_holds(section: _Section, name: str, value: str, found: re.Match[str]) -> bool:
    """What a pattern cannot say: numbers in range, nothing twice, a fingerprint of its hash's length."""
    if name == "rtpmap":
        pt, clock, channels = int(found.group(1)), int(found.group(2)), found.group(3)
        ok = pt not in section.rtpmaps and 0 < clock <= _U32 and (channels is None or 0 < int(channels) <= 16)
        section.rtpmaps.add(pt)
        return ok
    if name == "fmtp":
        return int(found.group(1)) not in section.fmtps and _fmtp_params(found.group(2))
    if name == "extmap":
        ext = int(found.group(1))
        ok = 0 < ext <= 255 and ext not in section.extmaps
        section.extmaps.add(ext)
        return ok
    if name == "fingerprint":
        return len(found.group(2)) == 3 * _FINGERPRINT_BYTES[found.group(1).lower()] - 1
    if name in ("rtcp", "sctp-port"):
        return int(found.group(1) if name == "rtcp" else value) <= 65535
    if name == "ssrc":
        return int(found.group(1)) <= _U32
    if name == "ssrc-group":
        return all(int(s) <= _U32 for s in found.group(1).split())
    if name == "candidate":
        return _candidate_ok(value)
    return True


def _fmtp_params(text: str) -> bool:
    pieces = text.split(";")
    if len(pieces) > 32:
        return False
    for piece in pieces:
        m = _FMTP_PARAM.fullmatch(piece)
        if m is None:
            return False
        shape = _FMTP_VALUE.get(m.group(1))
        if shape is not None and (m.group(2) is None or not shape.fullmatch(m.group(2))):
            return False
    return True


def _cross_check(lines: list[str], session: _Section, media: list[_Section]) -> None:
    """Each section has what aiortc needs to answer it; payload types and BUNDLE mids name what exists."""
    mids: set[str] = set()
    for section in media:
        for attribute in ("mid", "rtcp-mux", "direction", *_SHARED):
            if not section.has(attribute) and not (attribute in _SHARED and session.has(attribute)):
                shown = "sendrecv|sendonly|recvonly|inactive" if attribute == "direction" else attribute
                raise _refuse(MISSING_ATTRIBUTE, line=section.line, attribute=shown)
        for pt, number in section.fmtps.items():
            if pt not in section.rtpmaps:  # aiortc looks the codec up by its rtpmap
                raise _refuse(DANGLING, line=number)
    for number, line in enumerate(lines, 1):
        if line.startswith("a=mid:"):
            if line[6:] in mids:
                raise _refuse(MISPLACED, line=number)
            mids.add(line[6:])
    for number, line in enumerate(lines, 1):
        if line.startswith("a=group:") and not set(line[8:].split(" ")[1:]) <= mids:
            raise _refuse(DANGLING, line=number)


def _int(text: str, hi: int) -> bool:
    return text.isdigit() and text.isascii() and len(text) <= 10 and int(text) <= hi


def _candidate_ok(candidate: str) -> bool:
    bits = candidate.removeprefix("candidate:").split(" ")
    ok = (
        len(bits) >= 8
        and len(bits) % 2 == 0
        and _FOUNDATION.fullmatch(bits[0]) is not None
        and _int(bits[1], 256)
        and bits[1] != "0"
        and bits[2].lower() in ("udp", "tcp")
        and _int(bits[3], _U32)
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
    return ok


def check_candidate(candidate: str) -> str:
    """'' (the end of candidates) or `candidate:<foundation> <component> <udp|tcp> <priority> <address> <port> typ
    <type> [raddr <address>] [rport <port>] [tcptype <type>] [<name> <value>]…`."""
    if candidate != "" and not _candidate_ok(candidate):
        raise ValueError(BAD_CANDIDATE)
    return candidate
