"""The payloads of the rtc:* socket events (realtime/rtc.py), checked at the edge: an SDP offer and an ICE candidate
are parsed by realtime/media/sdpcheck.py before anything counts their sender present or reaches a media worker."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from core.types import Flag, Id
from realtime.media.sdpcheck import check_candidate, check_offer
from web.sockets import MeetingRef
from web.sockets import Strict as _Strict


class Offer(_Strict):
    sdp: Annotated[str, Field(min_length=1, max_length=100_000), AfterValidator(check_offer)]
    type: Literal["offer"]


class RtcJoin(MeetingRef):
    offer: Offer
    hall: Flag = False


class Candidate(_Strict):
    candidate: Annotated[str, Field(max_length=2000), AfterValidator(check_candidate)] = ""
    sdpMid: str | None = Field(default=None, max_length=64)
    # Int(0, 64) spelled out: mypy reads no call as a type
    sdpMLineIndex: Annotated[int, Field(strict=True, ge=0, le=64)] | None = None
    usernameFragment: str | None = Field(default=None, max_length=256)


class RtcCandidate(MeetingRef):
    candidate: Candidate | None = None
    hall: Flag = False


class RtcLeave(MeetingRef):
    hall: Flag = False


class RtcMute(MeetingRef):
    audio: Flag | None = None
    video: Flag | None = None


class RtcTarget(MeetingRef):
    user_id: Id
