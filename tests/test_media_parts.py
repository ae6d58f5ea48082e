"""The MCU's parts, each alone (no network): layout, compositor, shared encoder and keyframe limiter,
packet fan-out, audio mix / mix-minus, the aiortc/aioice hooks, and remote presence (permission pair)."""

from __future__ import annotations

import asyncio
import inspect

import aioice.ice
import av
import pytest
from aiortc import RTCRtpSender
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket
from PIL import Image

from app.db import Database
from core.errors import Forbidden, NotFound
from meetings import participation, services
from meetings.models import MeetingMode
from meetings.schemas import MeetingUpdate
from realtime.media import hooks
from realtime.media.audio import AudioMixer
from realtime.media.compositor import Compositor
from realtime.media.encoder import KeyframeLimiter, SharedEncoder
from realtime.media.fanout import GOP_REPLAY, Layer, PacketTrack
from realtime.media.layout import layout
from tests.factories import call, make_cabinet
from tests.media.peers import pcm_rms


def _frame(rgb: tuple[int, int, int], size: tuple[int, int] = (320, 180)) -> av.VideoFrame:
    return av.VideoFrame.from_image(Image.new("RGB", size, rgb))


def test_layout_features_the_floor_and_tiles_the_others() -> None:
    assert layout(["a", "b", "c", "d"], None, 1280, 720) == {
        "a": (0, 0, 640, 360),
        "b": (640, 0, 640, 360),
        "c": (0, 360, 640, 360),
        "d": (640, 360, 640, 360),
    }
    rects = layout(["a", "b", "c"], "b", 1280, 720)
    assert rects["b"] == (0, 0, 960, 720) and all(r[0] == 960 and r[2] == 320 for k, r in rects.items() if k != "b")
    assert layout(["a"], "zz", 1280, 720) == {"a": (0, 0, 1280, 720)}


def test_compositor_puts_each_source_in_its_tile_and_a_label_below() -> None:
    comp = Compositor(640, 360)
    for key, rgb in (("r", (255, 0, 0)), ("g", (0, 255, 0))):
        comp.add(key, f"Thành viên {key}")
        comp.update(key, _frame(rgb))
    image = comp.compose().to_image()
    assert image.getpixel((160, 180))[0] > 200 and image.getpixel((480, 180))[1] > 200
    comp.feature("g")
    image = comp.compose().to_image()
    assert image.getpixel((240, 150))[1] > 200  # the featured source takes the left three quarters
    comp.set_video("g", False)
    assert image.getpixel((240, 150)) != comp.compose().to_image().getpixel((240, 150))


def test_a_composite_without_any_camera_says_so_instead_of_staying_black() -> None:
    comp = Compositor(640, 360)
    band = comp.compose().to_image().convert("L").crop((80, 150, 560, 210))
    assert band.getextrema()[1] > 150  # the note's letters, white on the dark background
    comp.add("a", "Thành viên A")
    comp.update("a", _frame((0, 0, 255)))
    band = comp.compose().to_image().convert("L").crop((80, 150, 560, 210))
    assert band.getextrema()[1] < 100  # a camera: the picture, no note


def test_keyframes_are_rate_limited_and_a_late_request_is_served_later() -> None:
    now = [0.0]
    lim = KeyframeLimiter(1.0, clock=lambda: now[0])
    lim.request()
    assert lim.take() is True and lim.take() is False
    now[0] = 0.5
    lim.request()
    assert lim.take() is False
    now[0] = 1.01
    assert lim.take() is True and lim.forced == 2


def test_shared_encoder_gives_packets_with_pts_and_time_base_and_forces_a_keyframe_on_request() -> None:
    enc = SharedEncoder(320, 180, 15, 300_000, keyframe_interval=0.0)
    packets = [p for i in range(5) for p in enc.encode(_frame((i * 40, 0, 0)), i * 6000)]
    assert packets[0].is_keyframe and not any(p.is_keyframe for p in packets[1:])
    assert [p.pts for p in packets] == [0, 6000, 12000, 18000, 24000] and all(
        p.time_base.denominator == 90000 for p in packets
    )
    enc.keyframes.request()
    assert enc.encode(_frame((0, 0, 0)), 30000)[0].is_keyframe


def _decode(packets: list[av.Packet]) -> av.VideoFrame:
    decoder = av.CodecContext.create("libvpx", "r")
    frames = [f for p in packets for f in decoder.decode(av.Packet(bytes(p)))]
    assert frames, "nothing decodable"
    return frames[-1]


async def test_a_joining_viewer_starts_from_the_last_keyframe_and_every_viewer_gets_the_same_packets() -> None:
    enc = SharedEncoder(160, 90, 15, 100_000, keyframe_interval=60.0)
    layer = Layer("high", enc)
    first, late = PacketTrack("video", needs_keyframe=True), PacketTrack("video", needs_keyframe=True)
    layer.attach(first)
    assert enc.keyframes.pending  # nothing to start from yet: ask the encoder for a keyframe
    key = enc.encode(_frame((9, 9, 9), (160, 90)), 0)
    assert key[0].is_keyframe
    layer.deliver(key)
    for i in range(1, 4):
        layer.deliver(enc.encode(_frame((40 * i, 9, 9), (160, 90)), 6000 * i))
    layer.attach(late)  # joins mid-run: gets the keyframe and the three frames since, at once
    assert not enc.keyframes.pending and late.queue.qsize() == 4 == first.queue.qsize()
    assert list(late.queue._queue) == list(first.queue._queue)  # the very same av.Packet objects
    got = [await asyncio.wait_for(late.recv(), 1) for _ in range(4)]
    assert got[0].is_keyframe
    picture = _decode(got).to_image()
    assert abs(picture.getpixel((80, 45))[0] - 120) < 40  # the current picture, not the keyframe's


async def test_a_viewer_joining_long_after_the_keyframe_waits_for_a_fresh_one_within_the_rate_limit() -> None:
    enc = SharedEncoder(160, 90, 15, 100_000, keyframe_interval=60.0)
    layer = Layer("high", enc)
    first, late = PacketTrack("video", needs_keyframe=True), PacketTrack("video", needs_keyframe=True)
    layer.attach(first)
    for i in range(GOP_REPLAY + 2):  # a keyframe, then more frames than a joiner may be replayed
        layer.deliver(enc.encode(_frame((9, 9, 9 + i), (160, 90)), 6000 * i))
    layer.attach(late)
    assert late.queue.empty() and enc.keyframes.pending
    layer.deliver(enc.encode(_frame((20, 9, 9), (160, 90)), 6000 * 40))  # inside the 60 s rate limit: a delta
    assert late.queue.empty()
    enc.keyframes.last = -100.0  # the rate limit's interval has passed: the pending request is served
    layer.deliver(enc.encode(_frame((30, 9, 9), (160, 90)), 6000 * 41))
    got = await asyncio.wait_for(late.recv(), 1)
    # attr-defined: asyncio.Queue's deque (not in typeshed), read to see the last packet without taking it
    assert got.is_keyframe and list(first.queue._queue)[-1][0] is got  # type: ignore[attr-defined]


def test_mixer_gives_listeners_one_encoded_mix_and_live_mics_a_mix_minus() -> None:
    mixer = AudioMixer()
    tone = av.AudioFrame(format="s16", layout="mono", samples=960)
    tone.planes[0].update(bytes([0x00, 0x20]) * 960)
    tone.sample_rate = 48000
    for key in ("a", "b"):
        mixer.push(key, tone)
    packets, minus = mixer.tick({"a", "b"}, 0)
    assert packets and packets[0].pts == 0 and packets[0].time_base.denominator == 48000
    level = {k: pcm_rms(bytes(f.planes[0])[:1920]) for k, f in minus.items()}
    assert level["a"] > 1000 and level["b"] > 1000  # each hears the other
    mixer.push("a", tone)
    _, minus = mixer.tick({"a"}, 960)
    assert pcm_rms(bytes(minus["a"].planes[0])[:1920]) == 0  # never their own voice


def test_mixer_saturates_loud_voices_instead_of_wrapping_around() -> None:
    mixer = AudioMixer()
    loud = av.AudioFrame(format="s16", layout="mono", samples=960)
    loud.planes[0].update(bytes([0x00, 0x60]) * 960)  # 24576: two of them overflow 16 bits
    loud.sample_rate = 48000
    for key in ("a", "b"):
        mixer.push(key, loud)
    _, minus = mixer.tick({"a", "b", "c"}, 0)
    assert set(bytes(minus["c"].planes[0])[:1920]) == {0xFF, 0x7F}  # every sample at +32767, the ceiling
    assert bytes(minus["a"].planes[0])[:1920] == bytes([0x00, 0x60]) * 960  # b alone, unchanged


async def test_hooks_route_pli_to_our_callback_and_limit_host_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks.check_internals()  # fails loudly when a new aiortc/aioice moves what we hook
    assert "_send_keyframe()" in inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    assert "get_host_addresses(" in inspect.getsource(aioice.ice.Connection.gather_candidates)

    class Transport:
        state = "new"

    # arg-type: a stand-in for the RTCDtlsTransport; a sender never started reads only its .state
    sender = RTCRtpSender("video", Transport())  # type: ignore[arg-type]
    asked: list[int] = []
    feedback = hooks.watch_sender(sender, lambda: asked.append(1))
    await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc))
    assert asked == [1] and feedback.plis == 1
    monkeypatch.setattr(aioice.ice, "get_host_addresses", aioice.ice.get_host_addresses)
    hooks.limit_host_addresses(["127.0.0.1", "::1"])
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]


def test_remote_presence_is_set_by_the_participant_or_the_chair_not_by_others(
    db: Database,
) -> None:
    c = make_cabinet(db, start=True)
    call(
        db, services.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(mode=MeetingMode.hybrid)
    )
    with pytest.raises(NotFound):  # not invited: the meeting answers as absent
        call(db, participation.set_remote_presence, actor=c.outsider, meeting_id=c.meeting_id, present=True)
    with pytest.raises(Forbidden):
        call(
            db,
            participation.set_remote_presence,
            actor=c.members[1],
            meeting_id=c.meeting_id,
            present=False,
            user_id=c.members[0].id,
        )
    me = call(db, participation.set_remote_presence, actor=c.members[0], meeting_id=c.meeting_id, present=True)
    assert me["attendance"] == "present_remote"
    back = call(
        db,
        participation.set_remote_presence,
        actor=c.chair,
        meeting_id=c.meeting_id,
        present=False,
        user_id=c.members[0].id,
    )
    assert back["attendance"] == "unknown"
    call(
        db,
        services.update_meeting,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=MeetingUpdate(mode=MeetingMode.in_room),
    )
    with pytest.raises(Forbidden):
        call(db, participation.authorize_remote, actor=c.members[0], meeting_id=c.meeting_id)
