"""Offers as browsers send them (rtc:join), kept in tests/browser_offers/*.sdp: Chrome, Firefox and Safari of 2018 as
aiortc's own tests keep them (aiortc/tests/test_sdp.py; Safari without its data channel section, which the tablets
never open), and the shape of today's Chrome (publishing, and watch-only as the tablet's "Chỉ xem và nghe") and
Firefox; and generators of malformed and mutated offers made from them (tests/test_sdpcheck.py,
tests/media/test_rtc_refusals.py). Lines end with CRLF, as browsers send them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Iterator

OFFERS: dict[str, str] = {
    path.stem: path.read_text(encoding="ascii").replace("\n", "\r\n")
    for path in sorted((Path(__file__).parent / "browser_offers").glob("*.sdp"))
}

# --- malformed offers: each one certainly wrong (what tests/test_sdpcheck.py and the media tests feed in) ---------

# A line of each kind made wrong, whatever offer it lands in (the first line starting with the prefix is replaced).
BROKEN_LINES: dict[str, list[str]] = {
    "v=": ["v=1", "v=00", "v= 0"],
    "o=": ["o=- 1 1 IN IP4", "o=- x 1 IN IP4 0.0.0.0", "o=-  1 1 IN IP4 0.0.0.0", "o="],
    "s=": ["s="],
    "t=": ["t=0", "t=a b", "t=0 0 0"],
    "c=": ["c=IN", "c=IN IP4", "c=IN IP9 1.2.3.4", "c=IN IP4 1.2.3.4 5", "c=IN IP4 <script>"],
    "m=": [
        "m=audio 9 UDP/TLS/RTP/SAVPF abc",
        "m=audio 99999 UDP/TLS/RTP/SAVPF 111",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "m=audio 9 RTP/AVP 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 72",
        "m=audio 9 UDP/TLS/RTP/SAVPF 200",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 111",
        "m=audio 9/2 UDP/TLS/RTP/SAVPF 111",
        "m=text 9 UDP/TLS/RTP/SAVPF 111",
        "m=audio 9 UDP/TLS/RTP/SAVPF",
        "m=audio  9 UDP/TLS/RTP/SAVPF 111",
    ],
    "a=rtpmap:": [
        "a=rtpmap:xx opus/48000/2",
        "a=rtpmap:111 opus",
        "a=rtpmap:111 opus/0",
        "a=rtpmap:111 opus/48000/2/1",
        "a=rtpmap:300 opus/48000",
        "a=rtpmap:111 op us/48000",
        "a=rtpmap:111",
        "a=rtpmap:57 opus/48000/2",  # a payload type its m= line does not list
    ],
    "a=fmtp:": [
        "a=fmtp:96 apt",
        "a=fmtp:96 apt=",
        "a=fmtp:96 apt=x",
        "a=fmtp:111 minptime=ten",
        "a=fmtp:111 useinbandfec=2",
        "a=fmtp:111",
        "a=fmtp:111 ;;",
        "a=fmtp:111 a b",
        "a=fmtp: 111 minptime=10",
        "a=fmtp:57 minptime=10",
        "a=fmtp:111 profile-level-id=xyz",
        "a=fmtp:111 packetization-mode=9",
        "a=fmtp:111 maxplaybackrate=48000;stereo=1;",
    ],
    "a=rtcp-fb:": ["a=rtcp-fb:x nack", "a=rtcp-fb:111", "a=rtcp-fb:57 nack", "a=rtcp-fb:"],
    "a=ssrc:": ["a=ssrc:abc cname:x", "a=ssrc:99999999999 cname:x", "a=ssrc:1 cname", "a=ssrc:1", "a=ssrc:1 :x"],
    "a=ssrc-group:": ["a=ssrc-group:FID a b", "a=ssrc-group:FID", "a=ssrc-group:FID 99999999999"],
    "a=extmap:": [
        "a=extmap:zz urn:x",
        "a=extmap:0 urn:x",
        "a=extmap:1 urn:x extra",
        "a=extmap:1/sideways urn:x",
        "a=extmap:256 urn:x",
        "a=extmap:1",
    ],
    "a=fingerprint:": [
        "a=fingerprint:sha-256",
        "a=fingerprint:md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        "a=fingerprint:sha-256 00:11",
        "a=fingerprint:sha-1 " + ":".join(["ZZ"] * 20),
        "a=fingerprint:sha-256 " + ":".join(["00"] * 20),
    ],
    "a=setup:": ["a=setup:banana", "a=setup:holdconn", "a=setup:", "a=setup"],
    "a=ice-ufrag:": ["a=ice-ufrag:a", "a=ice-ufrag:a b c d", "a=ice-ufrag", "a=ice-ufrag:abc!"],
    "a=ice-pwd:": ["a=ice-pwd:short", "a=ice-pwd", "a=ice-pwd:" + "a" * 300],
    "a=mid:": ["a=mid:", "a=mid", "a=mid:this-mid-is-far-too-long", "a=mid:a b"],
    "a=group:": ["a=group:BUNDLE 7 8", "a=group:", "a=group"],
    "a=rtcp:": ["a=rtcp:x IN IP4 0.0.0.0", "a=rtcp:70000", "a=rtcp:9 IN", "a=rtcp:9 IN IP5 0.0.0.0", "a=rtcp:"],
    "a=msid:": ["a=msid", "a=msid:a b c", "a=msid:"],
    "a=rtcp-mux": ["a=rtcp-mux:1"],
    "a=candidate:": [
        "a=candidate:",
        "a=candidate",
        "a=candidate:1 x udp y 1.2.3.4 z typ host",
        "a=candidate:1 1 udp 1 1.2.3.4 70000 typ host",
        "a=candidate:1 0 udp 1 1.2.3.4 5000 typ host",
        "a=candidate:1 1 sctp 1 1.2.3.4 5000 typ host",
        "a=candidate:1 1 udp 1 1.2.3.4 5000 typ nat",
        "a=candidate:1 1 udp 1 1.2.3.4 5000 type host",
        "a=candidate:1 1 udp 1 1.2.3.4 5000 typ host raddr",
        "a=candidate:1 1 udp 1 <script> 5000 typ host",
        "a=candidate:1 1 udp 99999999999 1.2.3.4 5000 typ host",
        "a=candidate:1  1 udp 1 1.2.3.4 5000 typ host",
        "a=candidate:1 1 udp 1 1.2.3.4 5000 typ host ",
        "a=candidate:" + "f" * 40 + " 1 udp 1 1.2.3.4 5000 typ host",
    ],
}
# Characters no offer may hold: control characters (those str.splitlines also breaks at), beyond ASCII.
FOREIGN = ["\x00", "\t", "\x0b", "\x0c", "\x1c", "\x7f", "\x85", "\u2028", "\u2029", "é", "Đ", "\u202e", "\ufeff"]
FOREIGN += ["\ud800", "\U0001f600", "٣", "\r"]
REQUIRED = ("a=mid:", "a=ice-ufrag:", "a=ice-pwd:", "a=setup:", "a=rtcp-mux", "a=fingerprint:")


def _lines(sdp: str) -> list[str]:
    return sdp.split("\r\n")[:-1]


def _join(lines: list[str]) -> str:
    return "".join(line + "\r\n" for line in lines)


def _sections(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.startswith("m=")]


def malformed(rng: random.Random, per_kind: int = 12) -> Iterator[tuple[str, str]]:
    """(what is wrong, offer), each certainly refused by a strict check: truncated, huge, in the wrong order,
    with a broken line of each kind (bad fmtp, bogus candidates...), foreign characters, a required line missing
    or repeated."""
    for name, offer in OFFERS.items():
        lines = _lines(offer)
        last = _sections(lines)[-1]
        # truncated anywhere before the end of the last section's last line it cannot do without
        critical = max(i for i in range(last, len(lines)) if lines[i].startswith(REQUIRED[:-1]))
        end = len(_join(lines[:critical])) + len(lines[critical])
        for cut in sorted(rng.sample(range(end), per_kind)) + [0, 1, len(_join(lines[:last]))]:
            yield f"{name}: cut at {cut}", offer[:cut]
        # huge: past each cap
        yield f"{name}: too long", offer + ("a=x-pad:" + "p" * 1000 + "\r\n") * 70
        yield f"{name}: a long line", offer.replace("s=-", "s=" + "x" * 2000, 1)
        yield f"{name}: many attributes", offer + "a=x-filler:1\r\n" * 310
        yield f"{name}: many candidates", offer + "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n" * 70
        yield f"{name}: many sections", offer + _join(lines[last:]) * 4
        # in the wrong order
        yield f"{name}: o= first", _join([lines[1], lines[0], *lines[2:]])
        first = _sections(lines)[0]
        yield f"{name}: t= after a=", _join([*lines[:3], *lines[4:first], lines[3], *lines[first:]])
        yield f"{name}: m= below its attributes", _join([*lines[:last], *lines[last + 1 :], lines[last]])
        yield (
            f"{name}: mid in the session",
            _join([*lines[:4], next(x for x in lines if x.startswith("a=mid:")), *lines[4:]]),
        )
        yield f"{name}: c= at the end", _join([*[x for x in lines if not x.startswith("c=")], "c=IN IP4 0.0.0.0"])
        # a broken line of each kind
        for prefix, replacements in BROKEN_LINES.items():
            found = [i for i, line in enumerate(lines) if line.startswith(prefix)]
            for bad in replacements if found else []:
                yield f"{name}: {bad[:40]!r}", _join([*lines[: found[0]], bad, *lines[found[0] + 1 :]])
        # foreign characters anywhere
        for char in FOREIGN:
            at = rng.randrange(len(offer) - 2)
            yield f"{name}: {char!r} at {at}", offer[:at] + char + offer[at:]
        # a required line missing, a single one twice
        for prefix in ("v=", "o=", "s=", "t=", *REQUIRED):
            kept = [x for x in lines if not x.startswith(prefix)]
            yield f"{name}: without {prefix}", _join(kept)
        for prefix in ("v=", "o=", "s=", "t=", "a=mid:", "a=ice-ufrag:", "a=setup:", "a=recvonly", "a=sendrecv"):
            for i in [i for i, line in enumerate(lines) if line.startswith(prefix)][:1]:
                yield f"{name}: {prefix} twice", _join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


# --- random mutants: right or wrong, to compare the check with aiortc's parser ------------------------------------
JUNK = ["", "x", "-1", "0", "65536", "99999999999", "1.5", "+1", "1_0", " 1", "::", "a=b", "*", "/", "%s", "{}", "abc"]
JUNK += ["IN IP4", "sha-256", "0-15", "apt=", ";", "a b", "typ", "host", "actpass", "UDP/TLS/RTP/SAVPF", "9/2", "é"]


def mutants(rng: random.Random, n: int) -> Iterator[str]:
    """Offers changed at random: a line dropped, doubled, moved or cut, a word replaced, a junk line added."""
    names = sorted(OFFERS)
    for _ in range(n):
        lines = _lines(OFFERS[rng.choice(names)])
        for _ in range(rng.choice((1, 1, 2, 3))):
            i = rng.randrange(len(lines))
            how = rng.randrange(6)
            if how == 0:
                del lines[i]
            elif how == 1:
                lines.insert(i, lines[i])
            elif how == 2:
                lines.insert(rng.randrange(len(lines)), lines.pop(i))
            elif how == 3:
                lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
            elif how == 4:
                words = lines[i].split(" ")
                w = rng.randrange(len(words))
                head, colon, _ = words[w].partition(":") if w == 0 and ":" in words[w] else ("", "", "")
                words[w] = head + colon + rng.choice(JUNK)
                lines[i] = " ".join(words)
            else:
                lines.insert(i, rng.choice("abcimstvo") + "=" + rng.choice(JUNK))
            if not lines:
                lines = ["v=0"]
        yield _join(lines)
