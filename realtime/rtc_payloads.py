"""The payloads of the rtc:* socket events (realtime/rtc.py), checked at the edge: an SDP offer and an ICE candidate
are parsed by realtime/media/sdpcheck.py before anything counts their sender present or reaches a media worker."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from core.i18n import N_
from core.types import Flag, Id
from realtime.media.sdpcheck import MAX_SDP_CHARS, check_candidate, check_offer
from web.sockets import MeetingRef
from web.sockets import Strict as _Strict

NO_SECTION = N_("ứng viên ICE phải nêu sdpMid hoặc sdpMLineIndex")


class Offer(_Strict):
    sdp: Annotated[str, Field(min_length=1, max_length=MAX_SDP_CHARS), AfterValidator(check_offer)]
    type: Literal["offer"]


class RtcJoin(MeetingRef):
    offer: Offer
    hall: Flag = False


class Candidate(_Strict):
    candidate: Annotated[str, Field(max_length=2000), AfterValidator(check_candidate)] = ""
    sdpMid: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z0-9_.+-]{1,16}$")  # as an offer's a=mid
    # Int(0, 64) spelled out: mypy reads no call as a type
    sdpMLineIndex: Annotated[int, Field(strict=True, ge=0, le=64)] | None = None
    usernameFragment: str | None = Field(default=None, max_length=256, pattern=r"^[A-Za-z0-9+/]{1,256}$")

    @model_validator(mode="after")
    def _names_its_section(self) -> "Candidate":
        """aiortc adds a candidate to the section it names (RTCPeerConnection.addIceCandidate raises otherwise)."""
        if self.candidate and self.sdpMid is None and self.sdpMLineIndex is None:
            raise ValueError(NO_SECTION)
        return self


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
